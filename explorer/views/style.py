"""Shared look of the views: fonts, colours, colour maps, plot set-up and display helpers.

Everything a view draws in common lives here, so the views stay consistent on a projector:
white background, dark text, axis labels ≥ 12 pt, titles 13 pt. Only display transforms are
computed here (log10 for colour scales, level ranges); the numbers themselves come from the engine.

The sizes above are base sizes. What they are drawn at is :data:`LOOK`'s: the user's zoom
(Ctrl + / Ctrl −), presentation mode (larger, never below 18 pt) and high contrast (thicker lines,
darker greys); :func:`pt` and :func:`line_width` apply it. Whatever is given a font or a pen here
remembers its base size, so that :func:`restyle` can draw it again at a new look
(:mod:`explorer.presentation` changes the look and calls it).
"""

import math
import re

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QCheckBox, QLabel, QRadioButton, QVBoxLayout, QWidget

import pyqtgraph as pg

from .. import notation
from ..notation import MINUS, PLAIN_RANGE, number, power_of_ten, scientific

AXIS_PT = 12
TICK_PT = 11
TITLE_PT = 13
TEXT_PT = 13
LEFT_AXIS_PX = 76          # the least width of a left axis (wider where its numbers need it, see RoomyAxis._updateWidth)
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
SIDE_B = "#7b3294"           # side B of an A/B comparison, computed and trained beside this run

SEGMENT_TINTS = ((70, 130, 220, 40), (60, 170, 90, 40))  # alternating truncation segments


# ---------------------------------------------------------------------------- the look
PRESENTATION_SCALE = 1.75     # presentation mode: every text 1.75 × larger,
PRESENTATION_MIN_PT = 18.0    # and none below 18 pt (legible from the back of a classroom),
PRESENTATION_HEIGHT = 1080    # on a screen this high; on another, the same share of its height
PRESENTATION_LINES = 1.5      # presentation mode: lines 1.5 × thicker
HIGH_CONTRAST_LINES = 2.0     # high contrast: lines 2 × thicker,
HIGH_CONTRAST_GREY = 0.5      # and grey lines half as light (#c8c8c8 → #646464): a washed-out projector keeps them
GREY_TOLERANCE = 12           # a colour whose channels differ by at most this is a grey


class Look:
    """How large and how strong everything is drawn: the user's ``zoom`` (Ctrl + / Ctrl − / Ctrl 0),
    ``presenting`` (presentation mode) on a screen of ``height_scale`` × 1080 px, and ``high_contrast``."""

    def __init__(self, zoom: float = 1.0, presenting: bool = False, high_contrast: bool = False,
                 height_scale: float = 1.0):
        self.zoom, self.presenting, self.high_contrast = zoom, presenting, high_contrast
        self.height_scale = height_scale

    @property
    def line_scale(self) -> float:
        return (PRESENTATION_LINES if self.presenting else 1.0) * (HIGH_CONTRAST_LINES if self.high_contrast else 1.0)

    @property
    def grey_scale(self) -> float:
        return HIGH_CONTRAST_GREY if self.high_contrast else 1.0


LOOK = Look()   # the one look of the application (its fonts are shared too)


def pt(points: float) -> float:
    """The size a base size is drawn at: ``points · zoom``; presenting, ``max(18, 1.75 · points · zoom)``
    on a 1080 px screen, and that × height / 1080 on another (text keeps its share of the screen)."""
    size = points * LOOK.zoom
    if LOOK.presenting:
        size = LOOK.height_scale * max(PRESENTATION_MIN_PT, PRESENTATION_SCALE * size)
    return round(size, 2)


def line_width(width: float) -> float:
    """The width a base line width is drawn at (thicker in presentation mode and high contrast)."""
    return width * LOOK.line_scale


def font(points: float = AXIS_PT, bold: bool = False) -> QFont:
    """A font of base size ``points`` at the current look (see :func:`set_font` to keep it there)."""
    f = QFont()
    f.setPointSizeF(pt(points))
    f.setBold(bold)
    return f


def line_px(points: float = TICK_PT) -> float:
    """The height in pixels of a line of text of base size ``points`` at the current look (its line
    spacing, as the font's metrics give it on this screen): what a row of labels needs."""
    return QFontMetricsF(font(points)).lineSpacing()


def mono_font(points: float = TEXT_PT) -> QFont:
    f = QFont("monospace")
    f.setStyleHint(QFont.StyleHint.Monospace)
    f.setPointSizeF(pt(points))
    return f


BASE_POINTS = "explorerPoints"    # the property that holds a widget's or text item's base size


def set_font(target, points: float, bold: bool = False, mono: bool = False) -> None:
    """Give a widget or a text item the font of base size ``points`` and remember that size, so
    that :func:`restyle` keeps it at the look (a bare ``setFont`` would stay at today's size)."""
    target.setProperty(BASE_POINTS, float(points))
    target.setFont(mono_font(points) if mono else font(points, bold))


def _refont(target, current: QFont) -> None:
    """Put a :func:`set_font` target back at its base size under the current look."""
    points = target.property(BASE_POINTS)
    if points is None:
        return
    updated = QFont(current)
    updated.setPointSizeF(pt(points))
    if updated != current:
        target.setFont(updated)


def colormap(name: str) -> pg.ColorMap:
    return pg.colormap.get(name)


def gradient_colormap() -> pg.ColorMap:
    """The edge colour map, without its palest end so that small gradients stay visible on white."""
    cmap = pg.colormap.get(GRADIENT).getSubset(0.08, 0.86)
    cmap.reverse()
    return cmap


def subscript(name: str, index) -> str:
    """``name`` with a whole-number index as a Unicode subscript, for plain text: h₁₂ (not h_12)."""
    return f"{name}{notation.subscript(index)}"


def sub_html(name: str, sub: str) -> str:
    """``name`` with a subscript in rich text (any letters, e.g. W<sub>hh</sub>), for text items."""
    return f"{name}<sub>{sub}</sub>"


def positive_or_nan(values) -> np.ndarray:
    """Float copy with every value that is not finite and > 0 replaced by NaN (for log plots)."""
    values = np.array(values, dtype=float)
    values[~(np.isfinite(values) & (values > 0))] = np.nan
    return values


def block_max(matrix, max_shape=(1024, 1024)) -> np.ndarray:
    """``matrix`` shrunk to at most ``max_shape`` by taking the largest value of each block of
    ⌈n / max⌉ rows × ⌈m / max⌉ columns (NaN-free, ≥ 0 values: a pixel shows its block's peak).
    An image is never drawn larger than a screen can show."""
    matrix = np.asarray(matrix, dtype=float)
    for axis, limit in enumerate(max_shape):
        n = matrix.shape[axis]
        factor = -(-n // limit)
        if factor > 1:
            pad = [(0, 0), (0, 0)]
            pad[axis] = (0, factor * -(-n // factor) - n)
            padded = np.pad(matrix, pad)
            shape = list(padded.shape)
            shape[axis: axis + 1] = [shape[axis] // factor, factor]
            matrix = padded.reshape(shape).max(axis=axis + 1)
    return matrix


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
    m = min(float(np.max(np.abs(finite))), DISPLAY_LIMIT) if finite.size else 0.0
    if m == 0.0:
        m = 1.0
    return -m, m


def pen(color, width: float = 1.0, style=Qt.PenStyle.SolidLine):
    """A cosmetic pen of base width ``width`` (px), at the look's width and greys."""
    p = pg.mkPen(color, width=line_width(width))
    p.setStyle(style)
    p.setCosmetic(True)
    return _scale_grey(p, LOOK.grey_scale)


def _scale_grey(p: QPen, factor: float) -> QPen:
    """The pen with its colour's lightness × ``factor`` if it is a grey (colours stay as they are)."""
    c = p.color()
    if factor != 1.0 and max(c.red(), c.green(), c.blue()) - min(c.red(), c.green(), c.blue()) <= GREY_TOLERANCE:
        p.setColor(QColor(*(min(255, round(v * factor)) for v in (c.red(), c.green(), c.blue())), c.alpha()))
    return p


def style_axis(axis: pg.AxisItem, label: str | None = None, width: float | None = None) -> None:
    """Projector fonts; two tick levels (major and minor): the third, finest level is unreadable at
    these sizes and costs about half of each axis's redraw. ``width`` (px, a left axis's) grows
    with the tick font, so that larger numbers still fit."""
    axis._explorer_styled = True
    axis.setStyle(maxTickLevel=1)
    axis.setPen(pen(FOREGROUND, 1))
    axis.setTextPen(pg.mkPen(FOREGROUND))
    axis.setTickFont(font(TICK_PT))
    axis.setSIPrefixEnableRanges(())   # never: pyqtgraph computes a prefix scale even when disabled,
    axis.enableAutoSIPrefix(False)     # and keeps multiplying the tick labels by it (×1000 on a log axis)
    if label is not None:
        axis.setLabel(label, **{"font-size": f"{pt(AXIS_PT)}pt", "color": FOREGROUND})
    if getattr(axis, "_explorer_label_only", False):    # (pyqtgraph leaves a large label ~20 % short of room)
        axis.setStyle(tickLength=max(5, round(0.45 * pt(AXIS_PT) - 1)))
    axis._explorer_digit = math.ceil(QFontMetricsF(axis.style["tickFont"]).horizontalAdvance("0"))
    if width is not None:
        axis._explorer_width = width
    if getattr(axis, "_explorer_width", None) is not None:
        least = round(axis._explorer_width * pt(TICK_PT) / TICK_PT)
        if isinstance(axis, RoomyAxis) and axis.orientation == "left":   # (wider where its numbers need it)
            axis.fixedWidth, axis._explorer_least = None, least
            axis._updateWidth()
        else:
            axis.setWidth(least)
    if isinstance(axis, ColorBarAxis):
        axis.fit_width()               # (its numbers at the new size)


def style_plot(plot: pg.PlotItem, title: str, left: str | None = None, bottom: str | None = None) -> None:
    """Title and axis labels in projector-size fonts; pyqtgraph's context menu (export) stays on."""
    set_title(plot, title)
    if type(plot.getAxis("left")) is pg.AxisItem:      # (numbers that never crowd a short plot)
        plot.setAxisItems({"left": RoomyAxis("left")})
    style_axis(plot.getAxis("left"), left, width=LEFT_AXIS_PX)
    style_axis(plot.getAxis("bottom"), bottom)
    plot.showGrid(x=False, y=False)


class RoomyAxis(pg.AxisItem):
    """An axis whose numbers never crowd: up a short left (or right) axis, the coarsest level keeps
    every 1st, 2nd, 5th, 10th … value (round ones) that leaves 1.25 lines of text between labels,
    and a finer level is labelled only if all of it has that room too (a log axis's 2s and 5s: each
    one that has it)."""

    ROOM_LINES = 1.25
    STRIDES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)

    def tickValues(self, minVal, maxVal, size):
        levels = super().tickValues(minVal, maxVal, size)
        if self.orientation not in ("left", "right") or maxVal == minVal or size <= 0:
            return levels
        line = QFontMetricsF(self.style["tickFont"] or QFont()).height()
        room = self.ROOM_LINES * line * abs(maxVal - minVal) / size      # in axis units
        kept, thinned = [], []
        fits = lambda values: (all(abs(v - k) >= room for v in values for k in kept)
                               and all(b - a >= room for a, b in zip(values, values[1:])))
        for level, (spacing, values) in enumerate(levels):
            values = sorted(values)
            if level == 0:
                values = self._round_values(values, spacing, fits)
            elif spacing is None:         # (a log axis's 2s and 5s: each one where it has room)
                chosen = []
                for v in values:
                    if fits(chosen + [v]):
                        chosen.append(v)
                values = chosen
            elif not fits(values):
                break
            kept += values
            if values:
                thinned.append((spacing, values))
        self._shown_values = kept          # (every level's: pyqtgraph asks for their strings one level at a time)
        spacings = [spacing for spacing, _ in thinned]
        self._label_spacing = min(spacings) if spacings and all(s and s > 0 for s in spacings) else None
        return thinned

    def _updateWidth(self):
        """A left axis given a least width (:func:`style_axis`) is as wide as the widest of the left
        axes of its canvas needs for its numbers, its ticks and its label (and at least that), so that
        stacked plots still line up when one writes 6.4×10⁶ (pyqtgraph: a fixed width, or its own need)."""
        least = getattr(self, "_explorer_least", None)
        if least is None or self.fixedWidth is not None:
            return super()._updateWidth()
        shows = self.style["showValues"]
        self._explorer_needed = 0 if not self.isVisible() else math.ceil(
            (self.textWidth + self.style["tickTextOffset"][0] if shows else 0) + max(0, self.style["tickLength"])
            + (self.label.boundingRect().height() if self.label.isVisible() else 0))
        layout = self.parentItem().parentItem() if self.parentItem() is not None else None
        plots = [item for item in getattr(layout, "items", ()) if isinstance(item, pg.PlotItem)] or [self.parentItem()]
        axes = [axis for axis in (plot.getAxis("left") for plot in plots if plot is not None)
                if getattr(axis, "_explorer_least", None) is not None and axis.fixedWidth is None] or [self]
        width = max([least] + [getattr(axis, "_explorer_needed", 0) for axis in axes])
        for axis in axes:
            if axis.minimumWidth() != width or axis.maximumWidth() != width:
                axis.setMaximumWidth(width)
                axis.setMinimumWidth(width)
                axis.picture = None

    def _round_values(self, values, spacing, fits) -> list:
        """The coarsest level's values: every 1st, 2nd, 5th … (multiples of stride × spacing: 0.2,
        0.4 …, not 0.2, 0.6 …) that ``fits``; at least one."""
        for stride in self.STRIDES:
            if spacing:
                step = stride * spacing
                chosen = [v for v in values if abs(v / step - round(v / step)) < 1e-6]
            else:
                chosen = values[::stride]
            if chosen and fits(chosen):
                return chosen
        return values[:1]

    def tickStrings(self, values, scale, spacing):
        """pyqtgraph's numbers, with the decimal a level spaced 0.025 needs (0.175, not "0.17"); up a
        left or right axis, every level with the decimals of the finest one labelled (0.30 beside
        0.35, not 0.3)."""
        finest = getattr(self, "_label_spacing", None) if self.orientation in ("left", "right") else None
        if not self.logMode and finest is not None and spacing is not None and finest < spacing <= 10 * finest:
            spacing = finest
        if not self.logMode and values and spacing * scale > 0:
            places = max(0, math.ceil(-math.log10(spacing * scale)))
            if any(abs(round(v * scale, places) - v * scale) > 1e-6 * spacing * scale for v in values):
                spacing = spacing / 10
        if not self.logMode and powers_of_ten([v * scale for v in values]):
            return [scientific(v * scale, 3) for v in values]        # (pyqtgraph would write 6e+06)
        return [text.replace("-", MINUS) for text in super().tickStrings(values, scale, spacing)]


def powers_of_ten(values) -> bool:
    """True when an axis's numbers are written with powers of ten (2×10⁵, 10⁻⁶): when one of them
    is nonzero and outside :data:`explorer.notation.PLAIN_RANGE` (where a number alone would be
    written so). All of an axis's numbers are written one way."""
    low, high = PLAIN_RANGE
    return any(v != 0 and not low <= abs(v) < high for v in values if math.isfinite(v))


def decade_text(value: float) -> str:
    """A log axis's number as a power of ten: 10⁻⁶, 2×10⁵ (its mantissa a whole number, as log ticks are)."""
    exponent = math.floor(math.log10(value) + 1e-9)
    mantissa = round(value / 10.0 ** exponent)
    if mantissa == 10:
        mantissa, exponent = 1, exponent + 1
    return power_of_ten(mantissa, exponent)


class LogAxis(RoomyAxis):
    """A log axis that labels decades first, then 2 and 5, then the rest — only as room allows.
    Up a short axis where not every decade has room for its number, every 2nd, 3rd, 4th, 5th …
    decade is labelled (the fewest skipped that leave room), placed to reach as near both ends as
    they can, and each decade left unlabelled still has a short tick: any value in view can be
    placed by counting decades from a number (‖∂L/∂h₂₉‖ = 0.12 on 10⁻⁸ … 0.5 once had 10⁻² as its
    nearest number and no mark above it)."""

    DECADE_STRIDES = (1, 2, 3, 4, 5, 10, 20, 50, 100)
    MIN_DECADE_PX = 4.0           # unlabelled decades closer than this get no tick (a smear, not marks)

    def tickValues(self, minVal, maxVal, size):
        levels = super().tickValues(minVal, maxVal, size)
        self._minor_decades = []
        decades = [float(d) for d in range(math.ceil(minVal), math.floor(maxVal) + 1)]
        if not self.logMode or self.orientation not in ("left", "right") or len(decades) < 2 or size <= 0:
            return levels
        decade_px = size / (maxVal - minVal)
        room = self.ROOM_LINES * QFontMetricsF(self.style["tickFont"] or QFont()).height()
        stride = next((s for s in self.DECADE_STRIDES if s * decade_px >= room), self.DECADE_STRIDES[-1])
        if stride == 1:                     # every decade has room: all of them, in the first level
            finer = [(spacing, [v for v in values if not float(v).is_integer()]) for spacing, values in levels]
            levels = [(1.0, decades)] + [(spacing, values) for spacing, values in finer if values]
        else:
            # (the phase whose first and last labels leave the least unlabelled at the ends)
            labelled = min((decades[phase::stride] for phase in range(min(stride, len(decades)))),
                           key=lambda chosen: max(chosen[0] - minVal, maxVal - chosen[-1]))
            levels = [(float(stride), labelled)]
            if decade_px >= self.MIN_DECADE_PX:
                self._minor_decades = [d for d in decades if d not in labelled]
        self._shown_values = [v for _, values in levels for v in values]
        return levels

    def generateDrawSpecs(self, p):
        """pyqtgraph's ticks and numbers, and a shorter, fainter tick at each unlabelled decade."""
        specs = super().generateDrawSpecs(p)
        minor = getattr(self, "_minor_decades", [])
        if specs is None or not minor or not specs[1] or self._tickLevels is not None:
            return specs
        axis_spec, tick_specs, text_specs = specs
        bounds = self.mapRectFromParent(self.geometry())
        low, high = self.range
        edge, inward = (bounds.right(), -1) if self.orientation == "left" else (bounds.left(), 1)
        length = self.style["tickLength"] / 1.5                     # (pyqtgraph's second level's)
        tick_pen = QPen(tick_specs[0][0])
        colour = QColor(tick_pen.color())
        colour.setAlpha(colour.alpha() // 2)
        tick_pen.setColor(colour)
        for value in minor:
            y = (1 - (value - low) / (high - low)) * bounds.height()      # (as pyqtgraph places its ticks)
            tick_specs.append((tick_pen, QPointF(edge, y), QPointF(edge + inward * length, y)))
        return axis_spec, tick_specs, text_specs

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

    def logTickStrings(self, values, scale, spacing):
        """The numbers written one way up the whole axis: 20 and 0.005 while all of them are in
        :data:`PLAIN_RANGE`, else every one as a power of ten (2×10¹, 10⁻³, 5×10⁻⁶), never a mix, not
        even between the decades and the 2s and 5s (each level's strings are asked for on their own)."""
        numbers = [10.0 ** float(x) * scale for x in values]
        shown = getattr(self, "_shown_values", [])
        shown = shown if set(values) <= set(shown) else values       # (the levels of the one drawing asked for)
        if powers_of_ten([10.0 ** float(x) * scale for x in shown] + numbers):
            return [decade_text(v) for v in numbers]
        return [str(int(round(v))) if v >= 1 else f"{v:.1g}" for v in numbers]


class IntegerAxis(RoomyAxis):
    """An axis that only ticks whole numbers (steps, units). Along the bottom, the first step's
    number may overhang the plot's left edge by a digit: a heatmap's first cell is centred half a
    cell from it, and pyqtgraph would drop its "0" (often the point: what reaches step 0). Only
    leftwards, over the left axis's empty corner, never into what stands to the right (a colour bar).
    ``span`` (first, last), when set, is the values there are: none is ticked outside it (the room
    beside a graph's first and last step is no step)."""

    span = None

    def boundingRect(self):
        rect = super().boundingRect()
        if self.orientation in ("bottom", "top") and self.style["hideOverlappingLabels"] is True:
            rect = rect.adjusted(-getattr(self, "_explorer_digit", 0), 0, 0, 0)
        return rect

    def tickValues(self, minVal, maxVal, size):
        levels = []
        for spacing, values in super().tickValues(minVal, maxVal, size):
            values = [v for v in values if float(v).is_integer()]
            if self.span is not None:
                values = [v for v in values if self.span[0] <= v <= self.span[1]]
            if values:
                levels.append((max(spacing, 1.0), values))
        self._label_spacing = None          # (whole numbers: no decimals)
        return levels


def integer_axis(plot: pg.PlotItem, name: str) -> pg.AxisItem:
    """Replace one axis of a plot by an IntegerAxis, keeping its label and the views' style."""
    label = plot.getAxis(name).labelText
    axis = IntegerAxis(name)
    plot.setAxisItems({name: axis})
    style_axis(axis, label or None, width=LEFT_AXIS_PX if name == "left" else None)
    return axis


def log_y(plot: pg.PlotItem) -> None:
    """Log y axis whose minor labels give way when the plot is short."""
    label = plot.getAxis("left").labelText
    axis = LogAxis("left")
    plot.setAxisItems({"left": axis})
    style_axis(axis, label or None, width=LEFT_AXIS_PX)
    axis.setStyle(textFillLimits=[(0, 0.8), (2, 0.35), (4, 0.2), (6, 0.1)])
    plot.setLogMode(x=False, y=True)
    plot.getViewBox().setLimits(minYRange=MIN_LOG_SPAN)   # a labelled tick is always in view


MIN_LOG_SPAN = 1.0            # decades a log y axis shows at least (82–85 alone has no tick to label)


def set_line_label(line: pg.InfiniteLine, text: str) -> None:
    """Set an InfiniteLine's label text, even while the line is hidden (pyqtgraph only re-renders
    the label of a visible line, so a label set while hidden would show stale text)."""
    line.label.setFormat(text)
    line.label.setText(text)


def set_title(plot: pg.PlotItem, title: str) -> None:
    """Set a plot's title (skipped when unchanged: re-laying out a title costs about a millisecond)."""
    size = f"{pt(TITLE_PT)}pt"
    if getattr(plot, "_explorer_title", None) != (title, size):
        plot._explorer_title = (title, size)
        plot.setTitle(title, size=size, color=FOREGROUND)
        _fit_title(plot)


def set_fitting_title(plot: pg.PlotItem, titles) -> None:
    """The first of ``titles`` (longest first) that fits above the plot, or the last: chosen again
    when the plot is resized or drawn at another look. No titles: none (and none chosen again)."""
    plot._explorer_titles = list(titles)
    if not hasattr(plot, "_explorer_refit"):
        plot._explorer_refit = True
        plot.geometryChanged.connect(lambda: _choose_title(plot))
    _choose_title(plot)


def _choose_title(plot: pg.PlotItem) -> None:
    metrics = QFontMetricsF(font(TITLE_PT))
    room = plot.getViewBox().width() + 16      # (a title centred over the plot may overhang its margins)
    text = lambda title: re.sub(r"<[^>]+>", "", title)
    titles = plot._explorer_titles
    if not titles:
        set_title(plot, None)
        return
    set_title(plot, next((t for t in titles if metrics.horizontalAdvance(text(t)) <= room), titles[-1]))


TITLE_ROW_PX = 30          # pyqtgraph's height of a plot's title row, kept for titles that fit in it


def _fit_title(plot: pg.PlotItem) -> None:
    """The title row as high as its text (pyqtgraph fixes it at 30 px, too low for presentation
    sizes), and the title free to overhang a plot narrower than itself (pyqtgraph would widen the
    plot beyond its canvas, which cuts off the plot's right side)."""
    label = plot.titleLabel
    if not hasattr(label, "_explorer_fitted"):
        label._explorer_fitted = True
        full_width = label.updateMin

        def height_only():
            full_width()
            label.setMinimumWidth(0)
            label._sizeHint[Qt.SizeHint.MinimumSize] = (0, label._sizeHint[Qt.SizeHint.MinimumSize][1])
        label.updateMin = height_only
        label.updateMin()
    if plot._explorer_title[0] is None:         # no title: no title row (pyqtgraph's setTitle(None) left it 0 px)
        return
    height = max(TITLE_ROW_PX, math.ceil(label.itemRect().height()))
    label.setMaximumHeight(height)
    plot.layout.setRowFixedHeight(0, height)


DISPLAY_LIMIT = 1e300         # beyond this a value is drawn at ±DISPLAY_LIMIT: ranges (max − min) stay finite


def displayable(values) -> np.ndarray:
    """Values as floats pyqtgraph can lay out: NaN stays NaN (a gap), ±Inf and anything beyond
    ±DISPLAY_LIMIT is drawn at ±DISPLAY_LIMIT, so no range, level or tick overflows."""
    values = np.asarray(values, dtype=float)
    return np.clip(values, -DISPLAY_LIMIT, DISPLAY_LIMIT)


def set_curve(item: pg.PlotDataItem, x, y) -> None:
    """setData with NaN gaps (connect="finite"); an all-NaN curve is set empty (no All-NaN warnings);
    values beyond ±DISPLAY_LIMIT are drawn at it (:func:`displayable`)."""
    y = displayable(y)
    if not np.any(np.isfinite(y)):
        item.setData(np.zeros(0), np.zeros(0))
    else:
        item.setData(np.asarray(x, dtype=float), y, connect="finite")


def plot_widget(parent=None) -> pg.PlotWidget:
    widget = pg.PlotWidget(parent=parent, background=BACKGROUND)
    widget._explorer_lines = (LOOK.line_scale, LOOK.grey_scale)    # the look its pens are drawn at
    return widget


def layout_widget(parent=None) -> pg.GraphicsLayoutWidget:
    widget = pg.GraphicsLayoutWidget(parent=parent)
    widget.setBackground(BACKGROUND)
    widget._explorer_lines = (LOOK.line_scale, LOOK.grey_scale)    # the look its pens are drawn at
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


class ColorBarAxis(RoomyAxis):
    """A colour bar's numbers: its two ends always (what the darkest and the palest colour mean),
    between them the round values that leave room, all written one way (:func:`powers_of_ten`),
    and the axis as wide as its widest number (pyqtgraph's fixed 45 px drops 4×10⁴ and keeps "0")."""

    MARGIN_PX = 4
    END_DIGITS = 2           # the ends' numbers: −4.1×10⁴, −0.15 (the colours are read to two digits at best)

    def tickValues(self, minVal, maxVal, size):
        levels = super().tickValues(minVal, maxVal, size)
        if maxVal == minVal or size <= 0:
            return levels
        line = QFontMetricsF(self.style["tickFont"] or QFont()).height()
        room = self.ROOM_LINES * line * abs(maxVal - minVal) / size
        ends = [minVal, maxVal]
        inner = [(spacing, [v for v in values if all(abs(v - end) >= room for end in ends)]) for spacing, values in levels]
        self._label_spacing = None
        # (nor an inner number written as an end is: −1.2 next to the end −1.17, written −1.2)
        self._explorer_shown = ends + [v for _, values in inner for v in values]
        written = set(self.tickStrings(ends, 1.0, None))
        inner = [(spacing, [v for v, text in zip(values, self.tickStrings(values, 1.0, spacing)) if text not in written])
                 for spacing, values in inner]
        return [(None, ends)] + [(spacing, values) for spacing, values in inner if values]

    def tickStrings(self, values, scale, spacing):
        shown = getattr(self, "_explorer_shown", [])
        if powers_of_ten(shown):             # (an axis written with ×10ⁿ)
            return [scientific(v * scale, self.END_DIGITS) for v in values]
        if spacing is None:                  # (the ends)
            return [number(v * scale, self.END_DIGITS) for v in values]
        return super().tickStrings(values, scale, spacing)

    def generateDrawSpecs(self, p):
        """pyqtgraph's ticks and numbers; on a bar shorter than its two ends' numbers (a one-row
        sensitivity strip squeezed under a three-line legend: a 12 px bar, its "−0.9" and "−8.3" drawn
        over each other), the two ends stacked about its middle, the upper above the lower, alone."""
        specs = super().generateDrawSpecs(p)
        if specs is None or len(specs[2]) < 2:
            return specs
        axis_spec, tick_specs, text_specs = specs
        order = sorted(range(len(text_specs)), key=lambda i: text_specs[i][0].center().y())
        top, bottom = QRectF(text_specs[order[0]][0]), QRectF(text_specs[order[-1]][0])
        if not top.intersects(bottom):
            return specs
        middle = (top.center().y() + bottom.center().y()) / 2
        top.moveBottom(middle)
        bottom.moveTop(middle)
        stacked = [(top,) + tuple(text_specs[order[0]][1:]), (bottom,) + tuple(text_specs[order[-1]][1:])]
        return axis_spec, tick_specs, stacked

    def labelled(self) -> list:
        """The numbers the axis writes at its current range and height."""
        low, high = self.range
        size = max(self.geometry().height(), 50.0)
        levels = self.tickValues(low, high, size)
        self._explorer_shown = [v for _, values in levels for v in values]
        return [text for spacing, values in levels for text in self.tickStrings(values, 1.0, spacing)]

    def fit_width(self) -> None:
        """As wide as the widest number it writes, beside its ticks."""
        metrics = QFontMetricsF(self.style["tickFont"] or QFont())
        widest = max((metrics.horizontalAdvance(text) for text in self.labelled()), default=0.0)
        width = math.ceil(widest + max(0, self.style["tickLength"]) + self.style["tickTextOffset"][0] + self.MARGIN_PX)
        # (the ends' numbers are centred on them; on a bar shorter than two of them, stacked about its middle)
        overlap = math.ceil(max(metrics.height() / 2, metrics.height() - self.geometry().height() / 2)) + 1
        if self.style["hideOverlappingLabels"] != overlap:   # (setStyle redraws: at every range change otherwise)
            self.setStyle(hideOverlappingLabels=overlap)
        if width != self.fixedWidth:
            self.setWidth(width)

    def setRange(self, mn, mx):
        super().setRange(mn, mx)
        self.fit_width()

    def resizeEvent(self, ev=None):
        super().resizeEvent(ev)
        self.fit_width()


def color_bar(cmap: pg.ColorMap, label: str, values=(0.0, 1.0)) -> pg.ColorBarItem:
    """A non-interactive colour bar with a labelled axis in the views' fonts (its numbers: :class:`ColorBarAxis`)."""
    bar = pg.ColorBarItem(values=values, colorMap=cmap, label=label, interactive=False,
                          colorMapMenu=False, width=18)
    axis = ColorBarAxis("right")
    bar.setAxisItems({"right": axis})
    axis.setZValue(0.5)
    axis.unlinkFromView()
    bar.axis = axis
    style_axis(axis)
    axis.setRange(*bar.values)
    bar.getAxis("left")._explorer_label_only = True     # its label only, clear of the bar
    style_axis(bar.getAxis("left"), label)
    for name in ("top", "bottom"):
        bar.getAxis(name).setPen(pen(FOREGROUND, 1))
    return bar


def legend(plot: pg.PlotItem, offset=(-10, -10)) -> pg.LegendItem:
    item = plot.addLegend(offset=offset, labelTextSize=f"{pt(TICK_PT)}pt", labelTextColor=FOREGROUND,
                          brush=pg.mkBrush(255, 255, 255, 200), pen=pg.mkPen(MUTED))
    item._explorer_points = TICK_PT
    return item


LEGEND_COLUMNS = 3     # a legend row holds this many entries per line (a wider one would widen its dock)


def legend_row(layout: pg.GraphicsLayout, plot: pg.PlotItem, row: int, col: int = 0, colspan: int = 1,
               points: int = AXIS_PT, columns: int = LEGEND_COLUMNS) -> pg.LegendItem:
    """A legend in its own layout cell, where it covers no data: a one-line heading above ``plot``
    (``columns`` entries a line), or, with ``columns=1``, a list beside it (for a short plot, whose
    height it then leaves to the data). Curves added to ``plot`` with a name join it; call
    :func:`fit_legend_row` after adding or removing an entry."""
    holder = pg.GraphicsWidget()
    layout.addItem(holder, row=row, col=col, colspan=colspan)
    item = pg.LegendItem(offset=None, labelTextSize=f"{pt(points)}pt", labelTextColor=FOREGROUND, frame=False,
                         colCount=4, horSpacing=6)
    item._explorer_points = points
    item._explorer_columns = columns
    item.setParentItem(holder)
    item.anchor(itemPos=(0.5, 0.5), parentPos=(0.5, 0.5))
    item._explorer_holder = holder
    item._explorer_layout = layout
    plot.legend = item
    fit_legend_row(item)
    layout.geometryChanged.connect(lambda: fit_legend_row(item))     # (a resized canvas: its lines again)
    return item


def move_legend_row(item: pg.LegendItem, row: int, col: int = 0, colspan: int = 1,
                    columns: int = LEGEND_COLUMNS) -> None:
    """Move a :func:`legend_row` to another cell of its layout, as a heading (``columns`` > 1) or a
    side list (``columns=1``): a plot whose canvas turns tall and narrow keeps its width for the data
    with its legend on top, and a short wide one its height with the legend beside it."""
    holder, layout = item._explorer_holder, item._explorer_layout
    if layout.items.get(holder, [None])[0] == (row, col) and item._explorer_columns == columns:
        return
    layout.removeItem(holder)
    layout.addItem(holder, row=row, col=col, colspan=colspan)
    item._explorer_columns = columns
    fit_legend_row(item)


LEGEND_CANVAS_MARGINS = 18      # px of a canvas's height its layout keeps for margins


def place_legend_row(item: pg.LegendItem, canvas, beside: tuple, above: tuple, ratio: float) -> None:
    """A :func:`legend_row` beside its plot, as a list at the layout cell ``beside`` (row, col), while
    the canvas is at least ``ratio`` times as wide as high and the list fits its height (a short
    wide dock: its height goes to the data), else as a heading at ``above`` (a tall narrow dock, a
    presentation: a list beside the plot would squeeze it to a strip; a large text in a short dock:
    a list would stand out of it). Call it at every resize of the canvas."""
    size = canvas.size()
    entries = len([label for _, label in item.items if label.text])
    listed = item.height() * entries / max(item.layout.rowCount(), 1)   # (its height as a list)
    if size.width() >= ratio * size.height() and listed <= size.height() - LEGEND_CANVAS_MARGINS:
        move_legend_row(item, *beside, columns=1)
    else:
        move_legend_row(item, *above)


def fit_legend_row(item: pg.LegendItem) -> None:
    """Size a :func:`legend_row`'s row to its entries: a heading holds as many entries a line as its
    canvas has room for (at most its ``columns``: the others wrap), a side list one."""
    holder = item._explorer_holder
    if not holder.isVisible():                  # a hidden legend leaves its row (or column) to the plot
        holder.setMinimumSize(0, 0)
        holder.setMaximumSize(0, 0)
        item._explorer_fitted = None
        return
    views = holder.scene().views() if holder.scene() is not None else []
    room = views[0].viewport().width() - 12 if views else None      # (less the layout's margins)
    fitted = (tuple(label.text for _, label in item.items), room, item._explorer_columns, LOOK.zoom,
              LOOK.presenting, LOOK.height_scale)
    if fitted == getattr(item, "_explorer_fitted", None):
        return                                  # (the same entries in the same room: refitting costs ~3 ms)
    item._explorer_fitted = fitted
    columns = max(1, min(len(item.items), item._explorer_columns))
    while True:
        item.setColumnCount(columns)
        item.updateSize()
        if columns == 1 or room is None or item.width() <= room:
            break
        columns -= 1
    height = max(item.height(), 2 * pt(item._explorer_points))
    holder.setMinimumHeight(height)
    holder.setMaximumHeight(height if item._explorer_columns > 1 else 1e6)   # a heading: its height; a list: any
    holder.setMinimumWidth(item.width() if room is None else min(item.width(), room))   # (an entry wider
    holder.setMaximumWidth(item.width() if item._explorer_columns == 1 else 1e6)         # than the canvas is cut
    wider = room is not None and item.width() > room                                     # at its end, not its start)
    item.anchor(itemPos=(0.0 if wider else 0.5, 0.5), parentPos=(0.0 if wider else 0.5, 0.5))
    canvas = views[0] if views else None      # a layout a wider legend had widened: back to its canvas
    if canvas is not None and getattr(canvas, "centralWidget", None) is not None \
            and canvas.centralWidget.geometry() != canvas.range:
        canvas.centralWidget.setGeometry(canvas.range)


def title_label(text: str, parent=None) -> QLabel:
    label = QLabel(text, parent)
    set_font(label, TITLE_PT, bold=True)
    return label


def overlay_text(plot: pg.PlotItem, text: str) -> pg.TextItem:
    """A centred message inside a plot (e.g. 'finish the backward pass…'), hidden by default."""
    item = pg.TextItem(text, color=FOREGROUND, anchor=(0.5, 0.5), fill=pg.mkBrush(255, 255, 255, 220),
                       border=pg.mkPen(MUTED))
    set_font(item, TEXT_PT)
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


# ---------------------------------------------------------------------------- drawing again at a new look
INDICATOR_SHARE = 0.8      # a check box's square, as a share of its text's height, once the text is enlarged


def indicator_sheet(font: QFont) -> str:
    """A check box's (or radio button's) style sheet at the look: where the text is enlarged
    (presenting, Ctrl +) its square grows with it (the style draws it at ~13 px, a speck beside
    24 pt text); at the normal size, none (the style's own)."""
    if pt(10.0) <= 10.5:                 # (the look draws a 10 pt text at this size)
        return ""
    side = round(INDICATOR_SHARE * QFontMetricsF(font).height())
    return f"::indicator {{ width: {side}px; height: {side}px; }}"


def restyle(root: QWidget) -> None:
    """Draw everything under ``root`` again at the current :data:`LOOK`: every font given with
    :func:`set_font`, every axis, title and legend styled here, the width and greys of every line
    (each canvas remembers the look its pens were drawn at), and whatever a widget's own
    ``restyle()`` method draws again (the lesson box's frame)."""
    widgets = [root, *root.findChildren(QWidget)]
    for widget in widgets:
        _refont(widget, widget.font())
        if isinstance(widget, (QCheckBox, QRadioButton)):
            widget.setStyleSheet(indicator_sheet(widget.font()))
        elif widget.styleSheet():     # a style sheet keeps the font it was polished with: polish again
            widget.setStyleSheet(widget.styleSheet())
    for canvas in root.findChildren(pg.GraphicsView):
        _restyle_canvas(canvas)
    for widget in widgets:
        own = getattr(widget, "restyle", None)
        if callable(own):
            own()


def _restyle_canvas(canvas: pg.GraphicsView) -> None:
    line_scale, grey_scale = getattr(canvas, "_explorer_lines", (LOOK.line_scale, LOOK.grey_scale))
    widths, greys = LOOK.line_scale / line_scale, LOOK.grey_scale / grey_scale
    for item in canvas.scene().items():
        if isinstance(item, pg.AxisItem):
            _restyle_axis(item)
        elif isinstance(item, pg.PlotItem) and hasattr(item, "_explorer_titles"):
            _choose_title(item)
        elif isinstance(item, pg.PlotItem) and hasattr(item, "_explorer_title"):
            set_title(item, item._explorer_title[0])
        elif isinstance(item, pg.LegendItem) and hasattr(item, "_explorer_points"):
            _restyle_legend(item)
        elif isinstance(item, pg.TextItem):
            _refont(item, item.textItem.font())
        elif (widths, greys) != (1.0, 1.0):
            _restyle_lines(item, widths, greys)
    canvas._explorer_lines = (LOOK.line_scale, LOOK.grey_scale)


def _restyle_axis(axis: pg.AxisItem) -> None:
    if not getattr(axis, "_explorer_styled", False):
        return
    shown = axis.label.isVisibleTo(axis)      # (setting a label shows it: a hidden one stays hidden)
    style_axis(axis, axis.labelText or None)
    axis.showLabel(shown)


def _restyle_legend(item: pg.LegendItem) -> None:
    size = f"{pt(item._explorer_points)}pt"
    item.opts["labelTextSize"] = size         # (entries added later)
    for _, label in item.items:
        label.setText(label.text, size=size)
    if hasattr(item, "_explorer_holder"):
        fit_legend_row(item)
    else:
        item.updateSize()


def _moved(p: QPen, widths: float, greys: float) -> QPen:
    """A pen drawn at one look, moved to another: its width × ``widths``, its greys × ``greys``."""
    p = QPen(p)
    p.setWidthF(p.widthF() * widths)
    return _scale_grey(p, greys)


def _restyle_lines(item, widths: float, greys: float) -> None:
    """The lines of a curve or an infinite line, moved to the current look (their colours and dashes kept)."""
    drawn = lambda p: isinstance(p, QPen) and p.style() != Qt.PenStyle.NoPen
    if isinstance(item, pg.PlotDataItem):
        if drawn(item.opts["pen"]):
            item.setPen(_moved(item.opts["pen"], widths, greys))
    elif isinstance(item, pg.PlotCurveItem) and not isinstance(item.parentItem(), pg.PlotDataItem):
        if drawn(item.opts["pen"]):
            item.setPen(_moved(item.opts["pen"], widths, greys))
    elif isinstance(item, pg.InfiniteLine):
        if drawn(item.pen):
            item.setPen(_moved(item.pen, widths, greys))
        if drawn(item.hoverPen):
            item.setHoverPen(_moved(item.hoverPen, widths, greys))
