"""Shared look of the views: fonts, colours, colour maps, plot set-up and display helpers.

Everything a view draws in common lives here, so the views stay consistent on a projector:
white background, dark text, axis labels ≥ 12 pt, titles 13 pt. Only display transforms are
computed here (log10 for colour scales, level ranges); the numbers themselves come from the engine.
"""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

import pyqtgraph as pg

AXIS_PT = 12
TICK_PT = 11
TITLE_PT = 13
TEXT_PT = 13
LEFT_AXIS_PX = 76          # one width for every left axis, so stacked plots line up
BACKGROUND = "w"
FOREGROUND = "#202020"
MUTED = "#9a9a9a"
ACCENT = "#d95f02"          # selection / highlight
BACKWARD = "#e7298a"        # the backward wave
CLIP_RED = "#d62728"
CURVE_BLUE = "#1f5fbf"

DIVERGING = "CET-D1"        # blue–white–red, symmetric levels
SEQUENTIAL = "viridis"      # magnitudes on a log scale
GRADIENT = "inferno"        # edge gradients, reversed: pale yellow (small) → dark purple (large)

REFERENCE_COLOURS = ("#8c8c8c", "#b07aa1", "#9c755f", "#59a14f")   # runs kept for comparison (A/B)

SEGMENT_TINTS = ((70, 130, 220, 40), (60, 170, 90, 40))  # alternating truncation segments


def font(points: int = AXIS_PT, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSize(points)
    f.setBold(bold)
    return f


def mono_font(points: int = TEXT_PT) -> QFont:
    f = QFont("monospace")
    f.setStyleHint(QFont.StyleHint.Monospace)
    f.setPointSize(points)
    return f


def colormap(name: str) -> pg.ColorMap:
    return pg.colormap.get(name)


def gradient_colormap() -> pg.ColorMap:
    """The edge colour map, without its palest end so that small gradients stay visible on white."""
    cmap = pg.colormap.get(GRADIENT).getSubset(0.08, 0.86)
    cmap.reverse()
    return cmap


def fmt(value, digits: int = 4) -> str:
    """A number with ~4 significant digits, or '—' for None / NaN."""
    if value is None:
        return "—"
    value = float(value)
    if np.isnan(value):
        return "—"
    return f"{value:.{digits}g}"


def positive_or_nan(values) -> np.ndarray:
    """Float copy with every value that is not finite and > 0 replaced by NaN (for log plots)."""
    values = np.array(values, dtype=float)
    values[~(np.isfinite(values) & (values > 0))] = np.nan
    return values


def log10_or_nan(values) -> np.ndarray:
    """log10 where the value is finite and > 0, NaN elsewhere — never a log(0) warning."""
    values = positive_or_nan(values)
    out = np.full(values.shape, np.nan)
    ok = ~np.isnan(values)
    out[ok] = np.log10(values[ok])
    return out


def log_levels(values, max_decades: float | None = None, default=(-3.0, 0.0)) -> tuple:
    """(low, high) of log10 over the finite positive values, at least half a decade apart.

    ``max_decades`` keeps only the top decades (so one tiny value does not wash out the scale).
    Returns ``default`` when no value is positive.
    """
    logs = log10_or_nan(values)
    logs = logs[~np.isnan(logs)]
    if logs.size == 0:
        return default
    low, high = float(logs.min()), float(logs.max())
    if max_decades is not None:
        low = max(low, high - max_decades)
    if high - low < 0.5:
        middle = 0.5 * (low + high)
        low, high = middle - 0.25, middle + 0.25
    return low, high


def symmetric_levels(values) -> tuple:
    """(−m, m) with m = max |finite value| (1 if there is none or it is 0)."""
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    m = float(np.max(np.abs(finite))) if finite.size else 0.0
    if m == 0.0:
        m = 1.0
    return -m, m


def pen(color, width: float = 1.0, style=Qt.PenStyle.SolidLine):
    p = pg.mkPen(color, width=width)
    p.setStyle(style)
    p.setCosmetic(True)
    return p


def style_axis(axis: pg.AxisItem, label: str | None = None) -> None:
    """Projector fonts; two tick levels (major and minor): the third, finest level is unreadable at
    these sizes and costs about half of each axis's redraw."""
    axis.setStyle(maxTickLevel=1)
    axis.setPen(pg.mkPen(FOREGROUND))
    axis.setTextPen(pg.mkPen(FOREGROUND))
    axis.setTickFont(font(TICK_PT))
    axis.enableAutoSIPrefix(False)
    if label is not None:
        axis.setLabel(label, **{"font-size": f"{AXIS_PT}pt", "color": FOREGROUND})


def style_plot(plot: pg.PlotItem, title: str, left: str | None = None, bottom: str | None = None) -> None:
    """Title and axis labels in projector-size fonts; pyqtgraph's context menu (export) stays on."""
    set_title(plot, title)
    for name in ("left", "bottom"):
        style_axis(plot.getAxis(name), {"left": left, "bottom": bottom}[name])
    plot.getAxis("left").setWidth(LEFT_AXIS_PX)
    plot.showGrid(x=False, y=False)


class LogAxis(pg.AxisItem):
    """A log axis that labels decades first, then 2 and 5, then the rest — only as room allows."""

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        ticks = [(spacing, t) for spacing, t in stdTicks if spacing >= 1.0]
        if len(ticks) >= 3:
            return ticks
        inside = lambda values: [v for v in values if minVal < v < maxVal]
        decades = range(int(np.floor(minVal)), int(np.ceil(maxVal)) + 1)
        if not ticks:
            whole = inside([float(v) for v in decades])
            if whole:
                ticks.append((None, whole))
        ticks.append((None, inside([v + np.log10(m) for v in decades for m in (2, 5)])))
        ticks.append((None, inside([v + np.log10(m) for v in decades for m in (3, 4, 6, 7, 8, 9)])))
        return ticks


class IntegerAxis(pg.AxisItem):
    """An axis that only ticks whole numbers (steps, units)."""

    def tickValues(self, minVal, maxVal, size):
        levels = []
        for spacing, values in super().tickValues(minVal, maxVal, size):
            values = [v for v in values if float(v).is_integer()]
            if values:
                levels.append((max(spacing, 1.0), values))
        return levels


def integer_axis(plot: pg.PlotItem, name: str) -> pg.AxisItem:
    """Replace one axis of a plot by an IntegerAxis, keeping its label and the views' style."""
    label = plot.getAxis(name).labelText
    axis = IntegerAxis(name)
    plot.setAxisItems({name: axis})
    style_axis(axis, label or None)
    if name == "left":
        axis.setWidth(LEFT_AXIS_PX)
    return axis


def log_y(plot: pg.PlotItem) -> None:
    """Log y axis whose minor labels give way when the plot is short."""
    label = plot.getAxis("left").labelText
    axis = LogAxis("left")
    plot.setAxisItems({"left": axis})
    style_axis(axis, label or None)
    axis.setWidth(LEFT_AXIS_PX)
    axis.setStyle(textFillLimits=[(0, 0.8), (2, 0.35), (4, 0.2), (6, 0.1)])
    plot.setLogMode(x=False, y=True)


def set_line_label(line: pg.InfiniteLine, text: str) -> None:
    """Set an InfiniteLine's label text, even while the line is hidden (pyqtgraph only re-renders
    the label of a visible line, so a label set while hidden would show stale text)."""
    line.label.setFormat(text)
    line.label.setText(text)


def set_title(plot: pg.PlotItem, title: str) -> None:
    """Set a plot's title (skipped when unchanged: re-laying out a title costs about a millisecond)."""
    if getattr(plot, "_explorer_title", None) != title:
        plot._explorer_title = title
        plot.setTitle(title, size=f"{TITLE_PT}pt", color=FOREGROUND)


def set_curve(item: pg.PlotDataItem, x, y) -> None:
    """setData with NaN gaps (connect="finite"); an all-NaN curve is set empty (no All-NaN warnings)."""
    y = np.asarray(y, dtype=float)
    if not np.any(np.isfinite(y)):
        item.setData(np.zeros(0), np.zeros(0))
    else:
        item.setData(np.asarray(x, dtype=float), y, connect="finite")


def plot_widget(parent=None) -> pg.PlotWidget:
    widget = pg.PlotWidget(parent=parent, background=BACKGROUND)
    return widget


def layout_widget(parent=None) -> pg.GraphicsLayoutWidget:
    widget = pg.GraphicsLayoutWidget(parent=parent)
    widget.setBackground(BACKGROUND)
    return widget


class CanvasView(QWidget):
    """A view that is one pyqtgraph layout of plots filling the widget, with the view's tooltip."""

    def __init__(self, state, tooltip: str, parent=None):
        super().__init__(parent)
        self.state = state
        self.setToolTip(tooltip)
        self.canvas = layout_widget()
        self.canvas.setToolTip(tooltip)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.canvas)


def color_bar(cmap: pg.ColorMap, label: str, values=(0.0, 1.0)) -> pg.ColorBarItem:
    """A non-interactive colour bar with a labelled axis in the views' fonts."""
    bar = pg.ColorBarItem(values=values, colorMap=cmap, label=label, interactive=False,
                          colorMapMenu=False, width=18)
    style_axis(bar.axis)
    style_axis(bar.getAxis("left"), label)
    for name in ("top", "bottom", "left"):
        bar.getAxis(name).setPen(pg.mkPen(FOREGROUND))
    return bar


def legend(plot: pg.PlotItem, offset=(-10, -10)) -> pg.LegendItem:
    item = plot.addLegend(offset=offset, labelTextSize=f"{TICK_PT}pt", labelTextColor=FOREGROUND,
                          brush=pg.mkBrush(255, 255, 255, 200), pen=pg.mkPen(MUTED))
    return item


LEGEND_COLUMNS = 3     # a legend row holds this many entries per line (a wider one would widen its dock)


def legend_row(layout: pg.GraphicsLayout, plot: pg.PlotItem, row: int, col: int = 0, colspan: int = 1,
               points: int = AXIS_PT) -> pg.LegendItem:
    """A one-line legend in its own layout row (above ``plot``, where it covers no data), used as
    the plot's heading. Curves added to ``plot`` with a name join it; call :func:`fit_legend_row`
    after adding or removing an entry."""
    holder = pg.GraphicsWidget()
    layout.addItem(holder, row=row, col=col, colspan=colspan)
    item = pg.LegendItem(offset=None, labelTextSize=f"{points}pt", labelTextColor=FOREGROUND, frame=False,
                         colCount=4, horSpacing=6)
    item.setParentItem(holder)
    item.anchor(itemPos=(0.5, 0.5), parentPos=(0.5, 0.5))
    item._explorer_holder = holder
    plot.legend = item
    fit_legend_row(item)
    return item


def fit_legend_row(item: pg.LegendItem) -> None:
    """Size a :func:`legend_row`'s row to its entries (one line)."""
    item.setColumnCount(max(1, min(len(item.items), LEGEND_COLUMNS)))   # more entries wrap to a second row
    item.updateSize()
    holder = item._explorer_holder
    height = max(item.height(), font(int(item.opts["labelTextSize"][:-2])).pointSize() * 2)
    holder.setMinimumHeight(height)
    holder.setMaximumHeight(height)
    holder.setMinimumWidth(item.width())


def title_label(text: str, parent=None) -> QLabel:
    label = QLabel(text, parent)
    label.setFont(font(TITLE_PT, bold=True))
    return label


def overlay_text(plot: pg.PlotItem, text: str) -> pg.TextItem:
    """A centred message inside a plot (e.g. 'finish the backward pass…'), hidden by default."""
    item = pg.TextItem(text, color=FOREGROUND, anchor=(0.5, 0.5), fill=pg.mkBrush(255, 255, 255, 220),
                       border=pg.mkPen(MUTED))
    item.setFont(font(TEXT_PT))
    item.setZValue(100)
    item.setVisible(False)
    plot.addItem(item, ignoreBounds=True)
    return item


def center_overlay(plot: pg.PlotItem, item: pg.TextItem) -> None:
    (x0, x1), (y0, y1) = plot.getViewBox().viewRange()
    item.setPos(0.5 * (x0 + x1), 0.5 * (y0 + y1))


class SegmentShading:
    """Truncation segments drawn as background bands in a plot whose x axis is the step t.

    Each segment's loss range [loss_start, loss_end) is a full-height band (alternating tints);
    the extra history it is backpropagated through, [window_start, loss_start), is a lower band in
    the same tint. Randomized truncation's cuts (carry factor 0 from t back to t−1) are dashed lines.
    Items are pooled: updating moves them, it never rebuilds the plot.
    """

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        self.bands, self.windows, self.cuts = [], [], []

    @staticmethod
    def _region(span, tint):
        item = pg.LinearRegionItem(values=(0, 1), movable=False, span=span,
                                   brush=pg.mkBrush(*tint), pen=pg.mkPen(None))
        item.setZValue(-100)
        for line in item.lines:
            line.setPen(pg.mkPen(None))
        return item

    def _pool(self, items, n, make):
        while len(items) < n:
            item = make()
            self.plot.addItem(item, ignoreBounds=True)
            items.append(item)
        for i, item in enumerate(items):
            item.setVisible(i < n)

    def update(self, segments, carry_factors=None) -> None:
        segments = list(segments)
        if len(segments) == 1 and segments[0].window_start == segments[0].loss_start:
            segments = []   # full BPTT: one segment, nothing to shade
        self._pool(self.bands, len(segments), lambda: self._region((0, 1), SEGMENT_TINTS[0]))
        extra = [(i, s) for i, s in enumerate(segments) if s.window_start < s.loss_start]
        self._pool(self.windows, len(extra), lambda: self._region((0, 0.12), SEGMENT_TINTS[0]))
        for i, seg in enumerate(segments):
            band = self.bands[i]
            band.setBrush(pg.mkBrush(*SEGMENT_TINTS[i % 2]))
            band.setRegion((seg.loss_start - 0.5, seg.loss_end - 0.5))
        for item, (i, seg) in zip(self.windows, extra):
            r, g, b, _ = SEGMENT_TINTS[i % 2]
            item.setBrush(pg.mkBrush(r, g, b, 110))
            item.setRegion((seg.window_start - 0.5, seg.loss_start - 0.5))
        cut_steps = [] if carry_factors is None else np.flatnonzero(np.asarray(carry_factors)[1:] == 0) + 1
        self._pool(self.cuts, len(cut_steps),
                   lambda: pg.InfiniteLine(angle=90, movable=False,
                                           pen=pen(MUTED, 1.5, Qt.PenStyle.DashLine)))
        for line, t in zip(self.cuts, cut_steps):
            line.setValue(t - 0.5)

    def describe(self) -> list:
        """(start, end) of every visible loss band (for tests and tooltips)."""
        return [tuple(b.getRegion()) for b in self.bands if b.isVisible()]


def step_color(kind: str) -> QColor:
    return QColor({"x": "#4f9bd9", "h": "#3a7d44", "y": "#8e5ab5", "L": "#c0392b"}[kind])
