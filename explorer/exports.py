"""File ▸ Export view… and Export window… (and every plot's right-click Export…): a view or the whole
window as a PNG or SVG at a chosen size, a view's numbers as CSV with plain-text headers, and an
animated GIF of the current pass's forward and backward sweep, one frame a step.

A picture is the widget as it is on screen (titles, axes, legends, colour bars), laid out at the
asked proportions and scaled up to the asked size, so its text keeps its share of the picture and
stays sharp. Only exporters that work here are offered: pyqtgraph's own export dialog (whose
Matplotlib and HDF5 exporters fail without those packages, and which lists every plot as "Plot")
is replaced by this one, and the GIF is offered only where Pillow is installed.
"""

import csv
import html
import importlib.util
import math
import os
import re
from contextlib import closing, contextmanager

import numpy as np
import pyqtgraph as pg
import pyqtgraph.exporters  # noqa: F401  (pg.exporters)
from PySide6.QtCore import QObject, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QRegion
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (QApplication, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QLineEdit, QMessageBox, QProgressDialog, QPushButton,
                               QSpinBox, QTableWidget, QVBoxLayout, QWidget)

from .qt_session import wait_until_idle
from .views import style
from .views.style import BACKGROUND

WINDOW = "window"                  # the export target that is the whole window
FORMATS = {"png": "PNG picture", "svg": "SVG drawing (vector)", "csv": "CSV table of the numbers",
           "gif": "Animated GIF of the pass (forward, then backward)"}
MAX_SIZE = (7680, 4320)
ROOMY = (640, 360)                 # a picture is laid out at least this large before it is scaled up
MIN_SIZE = (16, 16)
PRESETS = [("1280 × 720", (1280, 720)), ("1920 × 1080", (1920, 1080)), ("3840 × 2160", (3840, 2160))]
MAX_GIF_FRAMES = 150               # a longer pass is sampled every few steps
FRAME_MS, LAST_FRAME_MS = 150, 2000
HAVE_PILLOW = importlib.util.find_spec("PIL") is not None


# ---------------------------------------------------------------------------- pictures
def layout_size(widget: QWidget, size: QSize) -> QSize:
    """The size to lay ``widget`` out at for a picture of ``size``: its on-screen size stretched to the
    picture's proportions, so scaling it up keeps the text's share; a view squeezed on screen is given
    room up to :data:`ROOMY` first (never less than its minimum size)."""
    shown = widget.size()
    scale = min(size.width() / max(shown.width(), 1), size.height() / max(shown.height(), 1))
    scale = min(scale, max(1.0, min(size.width() / ROOMY[0], size.height() / ROOMY[1])))
    least = widget.minimumSizeHint().expandedTo(widget.minimumSize())
    scale = min(scale, size.width() / max(least.width(), 1), size.height() / max(least.height(), 1))
    return QSize(max(1, round(size.width() / scale)), max(1, round(size.height() / scale)))


@contextmanager
def laid_out(widget: QWidget, size: QSize):
    """``widget`` laid out at ``size`` for as long as the block runs, then put back as it was."""
    before = widget.size()
    if size != before:
        widget.resize(size)
        _settle(widget)
    try:
        yield
    finally:
        if size != before:
            widget.resize(before)
            _settle(widget)


def _canvases(widget: QWidget):
    """The pyqtgraph canvases in ``widget`` (itself included)."""
    return ([widget] if isinstance(widget, pg.GraphicsView) else []) + widget.findChildren(pg.GraphicsView)


def _settle(widget: QWidget) -> None:
    """Let ``widget``'s own layouts and plots take its size now. Only the events posted to what is
    inside it: its parent's layout, run now, would put the widget back to its place's size."""
    inside = [widget, *widget.findChildren(QObject)]
    inside += [item for canvas in _canvases(widget) for item in canvas.scene().items() if isinstance(item, QObject)]
    for receiver in inside:
        QApplication.sendPostedEvents(receiver, 0)


@contextmanager
def export_mode(widget: QWidget, scale: float = 1.0):
    """The plots under ``widget`` drawn for export ``scale`` times larger than laid out: point symbols
    as shapes, as pyqtgraph's own exporters draw them (not copied from a screen-resolution pixmap,
    which would blur and which a vector drawing cannot hold), and curves and lines ``scale`` times
    wider (their pens are a fixed number of pixels wide, whatever the scale)."""
    items = [item for canvas in _canvases(widget) for item in canvas.scene().items() if hasattr(item, "setExportMode")]
    restore = []
    for item in items:
        item.setExportMode(True, {"antialias": True})
        restore.append(_widened(item, scale))
    try:
        yield
    finally:
        for item, put_back in zip(items, restore):
            item.setExportMode(False)
            put_back()


def _widened(item, scale: float):
    """Widen an item's lines ``scale`` times (curves, infinite lines, axes, symbol outlines); returns
    what puts them back."""
    if isinstance(item, (pg.AxisItem, pg.ScatterPlotItem)):
        before = item.pen() if isinstance(item, pg.AxisItem) else item.opts["pen"]
        if isinstance(before, QPen):
            wider = QPen(before)
            wider.setWidthF(before.widthF() * scale)
            item.setPen(wider)
            return lambda: item.setPen(before)
        return lambda: None
    style._restyle_lines(item, scale, 1.0)
    return lambda: style._restyle_lines(item, 1 / scale, 1.0)


def paint(widget: QWidget, device, scale: float) -> None:
    """Draw ``widget`` as it is laid out onto ``device``, in the widget's own pixels: the device
    scales them ``scale`` times (an image through its device pixel ratio, an SVG through its view box)."""
    with export_mode(widget, scale):
        painter = QPainter(device)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        widget.render(painter, QPoint(0, 0), QRegion(),
                      QWidget.RenderFlag.DrawChildren | QWidget.RenderFlag.DrawWindowBackground)
        painter.end()


def slide_size(widget: QWidget, width: int = 1280) -> tuple:
    """(w, h) of a picture ``width`` pixels wide in the widget's on-screen proportions."""
    return width, max(1, round(width * widget.height() / max(widget.width(), 1)))


def render_image(widget: QWidget, size: QSize) -> QImage:
    """``widget`` as a picture of exactly ``size`` pixels."""
    logical = layout_size(widget, size)
    image = QImage(size, QImage.Format.Format_RGB32)
    image.fill(QColor(BACKGROUND))
    scale = size.width() / logical.width()
    image.setDevicePixelRatio(scale)
    with laid_out(widget, logical):
        paint(widget, image, scale)
    image.setDevicePixelRatio(1.0)
    return image


def write_png(widget: QWidget, path: str, size: QSize) -> None:
    if not render_image(widget, size).save(path, "PNG"):
        raise OSError(f"could not write {path}")


def write_svg(widget: QWidget, path: str, size: QSize, title: str = "") -> None:
    """``widget`` as an SVG drawing of ``size`` pixels (text stays text; heatmaps are embedded pictures)."""
    logical = layout_size(widget, size)
    generator = QSvgGenerator()
    generator.setFileName(path)
    generator.setResolution(96)          # (its width and height in mm: a pixel is 1/96 inch)
    generator.setSize(size)
    generator.setViewBox(QRect(QPoint(0, 0), logical))
    generator.setTitle(title)
    generator.setDescription("Exported from BPTT Explorer")
    with laid_out(widget, logical):
        paint(widget, generator, 1.0)      # (a viewer scales an SVG's lines with everything else)
    if not os.path.exists(path):
        raise OSError(f"could not write {path}")


# ---------------------------------------------------------------------------- numbers
def plain_text(text) -> str:
    """Rich text as plain Unicode for a CSV header: x<sub>t</sub> → x_t, s<sub>t−1</sub> → s_{t−1},
    e<sup>2</sup> → e^2, other tags dropped, entities decoded."""
    def script(mark):
        def replace(match):
            inner = re.sub(r"<[^>]+>", "", match.group(1))
            return mark + (inner if len(inner) == 1 else "{" + inner + "}")
        return replace
    text = re.sub(r"<sub>(.*?)</sub>", script("_"), str(text or ""), flags=re.S)
    text = re.sub(r"<sup>(.*?)</sup>", script("^"), text, flags=re.S)
    text = re.sub(r"<br\s*/?>", " ", text)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return " ".join(text.split())


def number(value) -> str:
    """A cell: a whole number as one, any other the shortest text that reads back as the same float;
    empty for NaN (nothing drawn)."""
    value = float(value)
    if math.isnan(value):
        return ""
    return str(int(value)) if value.is_integer() and abs(value) < 2 ** 53 else repr(value)


def graph_table(state):
    """The numbers the unrolled graph draws: per step, the gradient on each kind of edge."""
    result = state.result
    T, layers = result.seq_len, result.dh_norm_batch.shape[0]
    layer = (lambda l: f" (layer {l + 1})") if layers > 1 else (lambda l: "")
    columns = {"step t": np.arange(T)}
    for l in range(layers):
        columns[f"‖∂L/∂h_t‖{layer(l)}"] = result.dh_norm_batch[l]
    for l in range(layers):
        columns[f"‖∂L/∂(W_ih x_t + b_ih)‖{layer(l)}"] = result.d_ih_norm_batch[l]
    columns["‖∂L/∂ŷ_t‖"] = result.dyhat_norm_batch
    columns["carries a loss"] = result.loss_steps.astype(float)
    columns["computed forward"] = (np.arange(T) < result.forward_done).astype(float)
    return list(columns), [[number(column[t]) for column in columns.values()] for t in range(T)]


def _plots(view: QWidget):
    """The pyqtgraph plots of a view, top to bottom, left to right."""
    plots = {item for canvas in _canvases(view) for item in canvas.scene().items() if isinstance(item, pg.PlotItem)}
    place = lambda plot: (round(plot.sceneBoundingRect().top()), round(plot.sceneBoundingRect().left()))
    return sorted(plots, key=place)


def _series(plot: pg.PlotItem):
    """(name, x, y) of every curve, point set and bar set a plot draws, and one per row of its heatmap."""
    title = plain_text(plot.titleLabel.text) if plot.titleLabel.isVisible() else ""
    name = title or plain_text(plot.getAxis("left").labelText) or "plot"
    for item in plot.items:
        if not item.isVisible():
            continue
        if isinstance(item, pg.PlotDataItem):
            x, y = item.getOriginalDataset()
            yield plain_text(item.name()) or name, x, y
        elif isinstance(item, pg.ScatterPlotItem) and not isinstance(item.parentItem(), pg.PlotDataItem):
            x, y = item.getData()
            yield plain_text(item.name()) or name, x, y
        elif isinstance(item, pg.BarGraphItem):
            yield name, item.opts.get("x"), item.opts.get("height")
        elif isinstance(item, pg.ImageItem) and item.image is not None and item.image.ndim == 2:
            yield from _image_rows(item, _colour_label(item) or name,
                                   plain_text(plot.getAxis("left").labelText) or "row")


def _colour_label(image: pg.ImageItem) -> str:
    """The label of the colour bar that colours ``image`` (what its values are: "log₁₀ S"), or ""."""
    for item in image.scene().items():
        if isinstance(item, pg.ColorBarItem) and any(ref() is image for ref in getattr(item, "img_list", [])):
            return plain_text(item.axis.labelText)
    return ""


def _image_rows(item: pg.ImageItem, name: str, row_name: str):
    """A row-major heatmap as one series per row, against the x of each column's centre."""
    rows, cols = item.image.shape
    rect = item.mapRectToParent(item.boundingRect())
    x = rect.left() + (np.arange(cols) + 0.5) * rect.width() / cols
    for r in range(rows):
        at = rect.top() + (r + 0.5) * rect.height() / rows
        yield f"{name}, {row_name} = {at:g}", x, item.image[r]


def _drawn_series(view: QWidget):
    """(name, x, y, the x axis's label) of every series with a finite value that the view's plots draw."""
    for plot in _plots(view):
        for name, x, y in _series(plot):
            if x is not None and y is not None and np.any(np.isfinite(np.asarray(y, dtype=float))):
                yield name, np.asarray(x, dtype=float), np.asarray(y, dtype=float), \
                    plain_text(plot.getAxis("bottom").labelText)


def plot_table(view: QWidget):
    """Every series the view's plots draw, side by side on their shared x (None if there is none)."""
    series, x_names = [], []
    for name, x, y, label in _drawn_series(view):
        series.append((name, x, y))
        if label and label not in x_names:
            x_names.append(label)
    if not series:
        return None
    headers, seen = [" / ".join(x_names) or "x"], set()
    for i, (name, _, _) in enumerate(series):
        headers.append(name if name not in seen else f"{name} ({i + 1})")
        seen.add(name)
    xs = np.unique(np.concatenate([x[np.isfinite(x)] for _, x, _ in series]))
    lookups = [dict(zip(x.tolist(), y.tolist())) for _, x, y in series]
    rows = [[number(x)] + [number(lookup.get(x, math.nan)) for lookup in lookups] for x in xs.tolist()]
    return headers, rows


def _tables(view: QWidget):
    return [table for table in view.findChildren(QTableWidget) if table.rowCount()]


def widget_table(view: QWidget):
    """The cells of a view's tables (the inspector, the shapes), one table after another."""
    tables = _tables(view)
    if not tables:
        return None
    cell = lambda item: plain_text(item.text()) if item is not None else ""
    headers, rows = None, []
    for table in tables:
        names = [cell(table.verticalHeaderItem(r)) for r in range(table.rowCount())]
        named = table.verticalHeader().isVisible() and any(names)      # rows named ("unit 0"): a column
        first = lambda r: [names[r]] if named else []
        labels = ([""] if named else []) + [cell(table.horizontalHeaderItem(c)) for c in range(table.columnCount())]
        if headers is None:
            headers = labels
        else:
            rows += [[], labels]
        rows += [first(r) + [cell(table.item(r, c)) for c in range(table.columnCount())]
                 for r in range(table.rowCount())]
    return headers, rows


def view_table(window, key: str):
    """(headers, rows) of what a view shows, or None for what has no numbers to give (the window)."""
    if key == "GraphView":
        return graph_table(window.state)
    view = window.views.get(key)
    if key == WINDOW or view is None:
        return None
    return plot_table(view) or widget_table(view)


def has_numbers(window, key: str) -> bool:
    """Whether :func:`view_table` has something to give for ``key`` (without formatting it)."""
    view = window.views.get(key)
    if key == "GraphView":
        return True
    return key != WINDOW and view is not None and (next(_drawn_series(view), None) is not None or bool(_tables(view)))


def write_csv(path: str, table) -> None:
    headers, rows = table
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(headers)
        writer.writerows(rows)


# ---------------------------------------------------------------------------- the sweep as a GIF
def sweep_plan(T: int, visits: int, max_frames: int = MAX_GIF_FRAMES):
    """The steps of a whole pass ("forward" T times, then "backward" ``visits`` times), each with
    whether a frame is taken after it: every step, or every k-th when there would be more than
    ``max_frames`` (the last step of each direction always)."""
    stride = max(1, math.ceil((T + visits) / max_frames))
    for direction, count in (("forward", T), ("backward", visits)):
        for i in range(count):
            yield direction, (i + 1) % stride == 0 or i == count - 1


def frame_count(T: int, visits: int, max_frames: int = MAX_GIF_FRAMES) -> int:
    return sum(taken for _, taken in sweep_plan(T, visits, max_frames))


@contextmanager
def position_kept(state):
    """Put the pass back where it was (its steps and the selection) after the block has stepped it."""
    result, selection = state.result, state.selection
    position = (result.forward_done, result.visits_done, result.done)
    try:
        yield
    finally:
        forward, visits, done = position
        if not done:
            state.reset_pass()
            for _ in range(forward):
                state.step_forward()
            for _ in range(visits):
                state.step_backward()
        state.select(**selection.__dict__)


def sweep_frames(state, widget: QWidget, size: QSize):
    """Step the current pass from t = 0 forward to the end and back, yielding a picture of ``widget``
    after each step (see :func:`sweep_plan`). The pass is put back where it was afterwards, also
    when the caller stops early."""
    plan = list(sweep_plan(state.config.seq_len, state.result.plan_length))
    step = {"forward": state.step_forward, "backward": state.step_backward}
    with position_kept(state):
        state.reset_pass()
        for direction, taken in plan:
            step[direction]()
            if taken:
                yield render_image(widget, size)


def to_pil(image: QImage):
    """A QImage as a Pillow image with its own palette (a GIF frame)."""
    from PIL import Image
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = rgb.width(), rgb.height()
    pixels = np.frombuffer(rgb.constBits(), np.uint8).reshape(height, rgb.bytesPerLine())[:, :3 * width]
    return Image.fromarray(pixels.reshape(height, width, 3).copy()).convert("P", palette=Image.Palette.ADAPTIVE)


def write_gif(state, widget: QWidget, path: str, size: QSize, keep_going=lambda done, total: True) -> int:
    """The sweep of the current pass as an animated GIF (one frame a step, the last held); returns
    the number of frames, 0 when ``keep_going(done, total)`` said stop (nothing is written)."""
    total = frame_count(state.config.seq_len, state.result.plan_length)
    frames = []
    with closing(sweep_frames(state, widget, size)) as images:     # (closed: the pass is put back)
        for image in images:
            frames.append(to_pil(image))
            if not keep_going(len(frames), total):
                return 0
    durations = [FRAME_MS] * (len(frames) - 1) + [LAST_FRAME_MS]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=durations, loop=0, disposal=1)
    return len(frames)


# ---------------------------------------------------------------------------- what the window offers
def drop_unusable_exporters() -> None:
    """Unregister pyqtgraph's exporters that need a package that is not installed (Matplotlib, HDF5)."""
    needs = {"MatplotlibExporter": "matplotlib", "HDF5Exporter": "h5py"}
    pg.exporters.Exporter.Exporters[:] = [
        exporter for exporter in pg.exporters.Exporter.Exporters
        if exporter.__name__ not in needs or importlib.util.find_spec(needs[exporter.__name__]) is not None]


class Exports:
    """The window's exports: the dialog, the one :meth:`export` they all go through, and every plot's
    right-click Export… opening the dialog on its view."""

    def __init__(self, window):
        self.window = window
        self.dialog = None
        self.folder = os.path.expanduser("~")
        drop_unusable_exporters()
        for key, view in window.views.items():
            for canvas in _canvases(view):
                action = canvas.scene().contextMenu[0]
                action.triggered.disconnect()
                action.setText("Export…")
                action.triggered.connect(lambda checked=False, key=key: self.open_dialog(key))

    def targets(self):
        """(key, title) of everything that can be exported: the window, the graph, each docked view."""
        docked = [(key, dock.windowTitle()) for key, dock in self.window.docks.items() if key in self.window.views]
        return [(WINDOW, "Whole window"), ("GraphView", "Unrolled graph"), *docked]

    def widget(self, key: str) -> QWidget:
        return self.window if key == WINDOW else self.window.views[key]

    def formats(self, key: str):
        """The formats that work for ``key`` here (CSV where it has numbers, GIF where Pillow is and
        the pass can be stepped: not a pass kept as checkpoints)."""
        offered = ["png", "svg"]
        if has_numbers(self.window, key):
            offered.append("csv")
        if HAVE_PILLOW and not self.window.state.kept_as_checkpoints:
            offered.append("gif")
        return offered

    def show_target(self, key: str) -> None:
        """Bring a view's dock to the front (a tab behind another has no size to draw at)."""
        dock = self.window.docks.get(key)
        if dock is not None and (dock.isHidden() or self.widget(key).visibleRegion().isEmpty()):
            dock.show()
            dock.raise_()
            QApplication.processEvents()    # (a view that skipped redraws while hidden catches up)

    def export(self, key: str, fmt: str, path: str, size=None, quiet: bool = False) -> bool:
        """Write ``key`` (a view's name, or :data:`WINDOW`) as ``fmt`` to ``path``; ``size`` (w, h) in
        pixels, default as on screen. Says the outcome in the status bar (and a message box on a
        problem unless ``quiet``)."""
        self.show_target(key)
        if fmt not in self.formats(key):
            where = ("here: the pass is kept as checkpoints (too long to record whole) and cannot be stepped"
                     if fmt == "gif" and self.window.state.kept_as_checkpoints else "for this view")
            return self._error(f"{FORMATS.get(fmt, fmt)} is not available {where}", quiet)
        widget = self.widget(key)
        size = QSize(*size) if size else widget.size()
        title = dict(self.targets()).get(key, key)
        try:
            if fmt == "png":
                write_png(widget, path, size)
            elif fmt == "svg":
                write_svg(widget, path, size, title)
            elif fmt == "csv":
                write_csv(path, view_table(self.window, key))
            elif not self._write_gif(widget, path, size, quiet):
                self.window.show_message("Export cancelled: nothing was written", "info")
                return False
        except (OSError, ValueError) as error:
            return self._error(f"Could not write {path}: {error}", quiet)
        self.folder = os.path.dirname(os.path.abspath(path))
        self.window.show_message(f"Exported {title} to {path}", "info")
        return True

    def _write_gif(self, widget, path, size, quiet) -> bool:
        state = self.window.state
        if state.training:
            state.pause_training()
        if not wait_until_idle(state, timeout_s=30):
            raise ValueError("the pass is still computing; try again in a moment")
        progress = None
        if not quiet:
            progress = QProgressDialog("Stepping through the pass…", "Cancel", 0,
                                       frame_count(state.config.seq_len, state.result.plan_length), self.window)
            progress.setWindowTitle("Export GIF")
            progress.setWindowModality(Qt.WindowModality.WindowModal)
            progress.setMinimumDuration(400)

        def keep_going(done, total):
            if progress is None:
                return True
            progress.setValue(done)        # (a modal progress dialog processes events)
            return not progress.wasCanceled()
        try:
            return write_gif(state, widget, path, size, keep_going) > 0
        finally:
            if progress is not None:
                progress.close()

    def _error(self, text, quiet) -> bool:
        self.window.show_message(text, "error")
        if not quiet:
            QMessageBox.warning(self.window, "Export", text)
        return False

    def open_dialog(self, key: str = "GraphView"):
        """The export dialog on ``key``, shown without blocking the window (returned)."""
        if self.dialog is not None:
            self.dialog.close()
        self.dialog = ExportDialog(self, key)
        self.dialog.open()
        return self.dialog

    def view_dialog(self):
        return self.open_dialog("GraphView")

    def window_dialog(self):
        return self.open_dialog(WINDOW)


class ExportDialog(QDialog):
    """What to export (the window or a view), as what (only the formats that work for it), at which
    size (as on screen, twice that, or a slide size) and where; Export writes it."""

    def __init__(self, exports: Exports, key: str, parent=None):
        super().__init__(parent or exports.window)
        self.exports = exports
        self.setWindowTitle("Export")
        self.setMinimumWidth(520)
        self.target = QComboBox()
        self.target.setObjectName("export:target")
        for target, title in exports.targets():
            self.target.addItem(title, target)
        self.format = QComboBox()
        self.format.setObjectName("export:format")
        self.preset = QComboBox()
        self.preset.setObjectName("export:preset")
        self.width_box, self.height_box = QSpinBox(), QSpinBox()
        for box, name, most in ((self.width_box, "width", MAX_SIZE[0]), (self.height_box, "height", MAX_SIZE[1])):
            box.setObjectName(f"export:{name}")
            box.setRange(MIN_SIZE[0], most)
            box.setSuffix(" px")
            box.valueChanged.connect(self._size_edited)
        self.path = QLineEdit()
        self.path.setObjectName("export:path")
        browse = QPushButton("Browse…")
        browse.setObjectName("export:browse")
        browse.clicked.connect(self._browse)
        self.note = QLabel()
        self.note.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Export", self.target)
        form.addRow("As", self.format)
        sizes = QHBoxLayout()
        sizes.addWidget(self.preset, 1)
        sizes.addWidget(self.width_box)
        sizes.addWidget(QLabel("×"))
        sizes.addWidget(self.height_box)
        form.addRow("Size", sizes)
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(browse)
        form.addRow("File", where)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        self.buttons.accepted.connect(self._export)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)

        self._filling = False
        self._suggested = ""            # the file name the dialog proposed (replaced when the target changes)
        self.target.currentIndexChanged.connect(self._target_changed)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.preset.currentIndexChanged.connect(self._preset_chosen)
        self.target.setCurrentIndex(max(0, self.target.findData(key)))
        self._target_changed()

    @property
    def key(self) -> str:
        return self.target.currentData()

    @property
    def size_asked(self):
        return self.width_box.value(), self.height_box.value()

    def _target_changed(self, *_):
        self.exports.show_target(self.key)
        chosen = self.format.currentData()
        self._filling = True
        self.format.clear()
        for fmt in self.exports.formats(self.key):
            self.format.addItem(FORMATS[fmt], fmt)
        self.format.setCurrentIndex(max(0, self.format.findData(chosen)))
        shown = self.exports.widget(self.key).size()
        w, h = shown.width(), shown.height()
        self.preset.clear()
        self.preset.addItem(f"As on screen ({w} × {h})", (w, h))
        self.preset.addItem(f"Twice as large ({2 * w} × {2 * h})", (2 * w, 2 * h))
        for text, size in PRESETS:
            self.preset.addItem(text, size)
        self.preset.addItem("Custom", None)
        self._filling = False
        self.preset.setCurrentIndex(1)
        self._preset_chosen()
        self._format_changed()

    def _format_changed(self, *_):
        if self._filling:
            return
        fmt = self.format.currentData() or "png"
        name = re.sub(r"[^a-z0-9]+", "-", self.target.currentText().lower()).strip("-")
        current = self.path.text().strip()
        typed = current and current != self._suggested        # a name of the user's own is kept
        stem = os.path.splitext(current)[0] if typed else os.path.join(self.exports.folder, f"bptt-{name}")
        self.path.setText(f"{stem}.{fmt}")
        if not typed:
            self._suggested = self.path.text()
        sized = fmt != "csv"
        for widget in (self.preset, self.width_box, self.height_box):
            widget.setEnabled(sized)
        self._update_note()

    def _preset_chosen(self, *_):
        size = self.preset.currentData()
        if self._filling or size is None:
            return
        self._filling = True
        self.width_box.setValue(size[0])
        self.height_box.setValue(size[1])
        self._filling = False
        self._update_note()

    def _size_edited(self, *_):
        if self._filling:
            return
        self.preset.blockSignals(True)
        self.preset.setCurrentIndex(self.preset.count() - 1)     # Custom
        self.preset.blockSignals(False)
        self._update_note()

    def _update_note(self):
        fmt = self.format.currentData()
        state = self.exports.window.state
        T, visits = state.config.seq_len, state.result.plan_length
        notes = {
            "png": "The picture as on screen (titles, axes, colour bars), laid out at these proportions.",
            "svg": "A vector drawing (text stays text); heatmaps are embedded as pictures.",
            "csv": "The numbers behind the picture, one row per x value; headers in plain text.",
            "gif": (f"{frame_count(T, visits)} frames: {T} forward steps, then {visits} backward visits"
                    + (f" (one frame every {math.ceil((T + visits) / MAX_GIF_FRAMES)} steps)"
                       if T + visits > MAX_GIF_FRAMES else "")
                    + "; the pass is put back where it was afterwards."),
        }
        self.note.setText(notes.get(fmt, ""))

    def _browse(self):
        fmt = self.format.currentData()
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text(),
                                              f"{FORMATS[fmt]} (*.{fmt});;All files (*)")
        if path:
            self.path.setText(path)

    def _export(self):
        path = self.path.text().strip()
        fmt = self.format.currentData()
        if not path:
            self.note.setText("Choose a file to write to.")
            return
        if not os.path.splitext(path)[1]:
            path += f".{fmt}"
        if self.exports.export(self.key, fmt, path, self.size_asked):
            self.accept()
