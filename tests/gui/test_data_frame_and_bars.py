"""The Data view's text mode read at a glance in every look: the dashed frame of the chosen step
keeps a visible gap from every letter (presenting at 1024 × 768 its lines touched the letters of
the chosen column), and each prediction's confidence bar is thick enough to read (about 2 px at
1280 × 800) without running into a letter. Measured in pixels on the scene: each letter's ink
(its glyphs' outline where Qt lays them out), the frame's stroked lines and the bars' rects."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import math  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

import pyqtgraph as pg  # noqa: E402  (after PySide6)
from PySide6.QtCore import QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QPainterPath  # noqa: E402

from test_presentation import default_look, present  # noqa: E402,F401  (default_look: autouse)

VISIBLE_GAP_PX = 2.0    # white between a frame line and a letter that the eye sees as a gap
LEGIBLE_BAR_PX = 4.0 - 1e-6   # a bar 4 px high reads as a bar (2 px reads as a hairline)
BAR_CLEARANCE_PX = 1.0  # a bar keeps at least this clear of every letter's ink

MODES = [((1280, 800), False), ((1920, 1080), False),
         ((1024, 768), True), ((1280, 800), True), ((1920, 1080), True)]


def settle(qtbot, window, timeout=120_000):
    state = window.state
    qtbot.waitUntil(lambda: state.idle and not state.training, timeout=timeout)
    qtbot.wait(100)


def show_data(qtbot, window, lesson, step, size, presenting):
    """The lesson at ``step`` (0 the first) in a window of ``size``, presenting (the graph and the
    Data view) or not, the Data view in front and painted. (A fresh window each time: one that has
    presented keeps the docks' sizes it was given then.)"""
    if presenting:
        present(qtbot, window, size)
        window.actions["layout:DataView"].trigger()
    else:
        window.resize(*size)
        qtbot.waitUntil(lambda: window.size().toTuple() == size)
    window.open_lesson(lesson, step=step)
    settle(qtbot, window)
    window.docks["DataView"].show()
    window.docks["DataView"].raise_()
    view = window.views["DataView"]
    qtbot.waitUntil(view.isVisible)
    window.grab()                       # (laid out and painted)
    qtbot.wait(50)
    return view


def shown_letters(view):
    return [item for item in view.letters if item.isVisible() and item.toPlainText()]


def ink(item) -> QRectF:
    """A letter's ink on the scene: its glyphs' outline, at the baseline Qt lays its line out on."""
    text = item.textItem
    block = text.document().firstBlock()
    layout = block.layout()
    line = layout.lineAt(0)
    baseline = layout.position() + QPointF(line.x(), line.y() + line.ascent())
    path = QPainterPath()
    path.addText(baseline, text.font(), item.toPlainText())
    return text.mapRectToScene(path.boundingRect())


def distance(a: QRectF, b: QRectF) -> float:
    """The least distance (px) between two rects; where they overlap, minus how far they do."""
    dx = max(a.left() - b.right(), b.left() - a.right())
    dy = max(a.top() - b.bottom(), b.top() - a.bottom())
    if dx >= 0 and dy >= 0:
        return math.hypot(dx, dy)
    return max(dx, dy)


def frame_strokes(view) -> list[QRectF]:
    """The frame's lines on the scene (every visible dashed line the plot draws), each as the rect
    its pen covers (square caps: half the pen beyond each end; a dashed line taken as solid,
    where a dash may fall)."""
    vb = view.outputs_plot.getViewBox()
    strokes = []
    for item in vb.childGroup.childItems():
        if not (isinstance(item, pg.PlotDataItem) and item.isVisible()):
            continue
        pen = pg.mkPen(item.opts["pen"])
        xs, ys = item.getData()
        if pen.style() != Qt.PenStyle.DashLine or xs is None:
            continue
        half = 0.5 * max(pen.widthF(), 1.0)
        for (x0, y0), (x1, y1) in zip(zip(xs, ys), zip(xs[1:], ys[1:])):
            if not all(np.isfinite((x0, y0, x1, y1))):
                continue                              # (a break in the line)
            a, b = vb.mapViewToScene(QPointF(x0, y0)), vb.mapViewToScene(QPointF(x1, y1))
            strokes.append(QRectF(a, b).normalized().adjusted(-half, -half, half, half))
    assert strokes, "the chosen step is not framed"
    return strokes


def bar_rects(view) -> list[QRectF]:
    """Each prediction's bar track on the scene (the bar itself lies inside it)."""
    track = view.confidence_track
    vb = view.outputs_plot.getViewBox()
    rects = []
    for x0, y0, w, h in zip(*(np.asarray(track.opts[k], dtype=float) for k in ("x0", "y0", "width", "height"))):
        a, b = vb.mapViewToScene(QPointF(x0, y0)), vb.mapViewToScene(QPointF(x0 + w, y0 + h))
        rects.append(QRectF(a, b).normalized())
    return rects


def frame_gap(view) -> float:
    """The least gap (px) between the frame's lines and any letter's ink."""
    strokes = frame_strokes(view)
    return min(distance(stroke, ink(item)) for stroke in strokes for item in shown_letters(view))


@pytest.mark.parametrize("size, presenting", MODES)
def test_the_frame_of_the_chosen_step_keeps_clear_of_every_letter(qtbot, window, size, presenting):
    """alphabet 4 (capitals) at t = 0, 7 and the last step: the frame's lines are a visible gap from
    the letters of the chosen column and of its neighbours, and it is the chosen column it frames."""
    view = show_data(qtbot, window, "alphabet", 3, size, presenting)
    last = len(window.state.result.data.targets) - 1
    for step in (0, 7, last):
        window.scrubber.setValue(step)
        qtbot.wait(20)
        assert window.state.selection.step == step
        gap = frame_gap(view)
        assert gap >= VISIBLE_GAP_PX, (size, presenting, step, gap)
        chosen = [ink(item) for item in shown_letters(view) if round(item.pos().x()) == step]
        assert len(chosen) == 3
        strokes = frame_strokes(view)
        left = min(s.left() for s in strokes)
        right = max(s.right() for s in strokes)
        top, bottom = min(s.top() for s in strokes), max(s.bottom() for s in strokes)
        for letter in chosen:            # (around the chosen column's letters)
            assert left < letter.left() and letter.right() < right, (step, letter, left, right)
            assert top < letter.top() and letter.bottom() < bottom, (step, letter, top, bottom)
        low, high = view.step_band.getRegion()      # the column shaded: the mark where the frame is in pieces
        assert view.step_band.isVisible() and low < step < high and high - low <= 1.0 + 1e-9, (low, high)


BAR_CASES = ([(size, presenting, "alphabet", 3) for size, presenting in MODES]     # capitals
             + [((1280, 800), presenting, "names", 1) for presenting in (False, True)])   # lower case: descenders under ŷ


@pytest.mark.parametrize("size, presenting, lesson, step", BAR_CASES)
def test_the_confidence_bars_are_thick_enough_to_read_and_clear_of_the_letters(
        qtbot, window, size, presenting, lesson, step):
    """alphabet 4 in every mode; names 2 in the tightest normal and presenting looks."""
    view = show_data(qtbot, window, lesson, step, size, presenting)
    bars = bar_rects(view)
    assert bars and view.confidence_bars.isVisible()
    heights = [bar.height() for bar in bars]
    letters = [ink(item) for item in shown_letters(view)]
    clearance = min(distance(bar, letter) for bar in bars for letter in letters)
    assert min(heights) >= LEGIBLE_BAR_PX, (size, presenting, heights[:3])
    assert clearance >= BAR_CLEARANCE_PX, (size, presenting, clearance)
    drawn = view.confidence_bars.mapRectToScene(view.confidence_bars.boundingRect())
    assert drawn.height() >= LEGIBLE_BAR_PX        # (what is painted, not only what is asked)


@pytest.mark.parametrize("size, presenting", MODES)
def test_the_letters_title_is_whole_in_the_view(qtbot, window, size, presenting):
    """Presenting at 1024 × 768 the text mode's title "input xₜ · prediction ŷₜ · target yₜ" was
    cut at the view's right edge after "target": where it has no room, the shorter one (its rows
    are named xₜ, ŷₜ, yₜ up the side)."""
    view = show_data(qtbot, window, "alphabet", 3, size, presenting)
    title = view.outputs_plot.titleLabel
    rect = title.item.mapRectToScene(title.item.boundingRect())
    assert title.text.startswith("input")
    assert 0 <= rect.left() and rect.right() <= view.canvas.width() + 0.5, (title.text, rect, view.canvas.width())
