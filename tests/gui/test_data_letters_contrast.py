"""The Data view's letters legible from the back of a classroom (issue #9): every letter drawn
at a contrast of at least 4.5 : 1 against the plot behind it (WCAG's threshold for text) however
unsure the network is — in the normal look, in high contrast and presenting —, the probability
still shown (a bar as long as it), the chosen step marked without running through the letters,
and the first column clear of the y axis."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

import pyqtgraph as pg  # noqa: E402  (after PySide6)
from PySide6.QtCore import QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QFontMetricsF, QPainterPath, QPainterPathStroker  # noqa: E402

from explorer.views import style  # noqa: E402

LEGIBLE = 4.5         # WCAG 2 (1.4.3): the least contrast of normal-size text


def settle(qtbot, window, timeout=120_000):
    state = window.state
    qtbot.waitUntil(lambda: state.idle and not state.training, timeout=timeout)
    qtbot.wait(150)


@pytest.fixture(scope="module")
def window(shared_window):
    return shared_window


def open_data(qtbot, window, lesson, step):
    """The lesson at ``step`` (0 the first), its run done, the Data view in front."""
    window.open_lesson(lesson, step=step)
    settle(qtbot, window)
    window.docks["DataView"].raise_()
    view = window.views["DataView"]
    qtbot.waitUntil(view.isVisible)
    qtbot.wait(50)
    return view


def letters(view, row=None):
    """The visible letters (of one row: 2 xₜ, 1 ŷₜ, 0 yₜ), left to right."""
    shown = [item for item in view.letters
             if item.isVisible() and (row is None or round(item.pos().y()) == row)]
    return sorted(shown, key=lambda item: item.pos().x())


def luminance(colour: QColor) -> float:
    """WCAG 2 relative luminance of an opaque sRGB colour."""
    def linear(channel):
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * linear(colour.red()) + 0.7152 * linear(colour.green()) + 0.0722 * linear(colour.blue())


def contrast(text: QColor, background: QColor) -> float:
    """WCAG 2 contrast ratio of ``text`` (its alpha blended over ``background``) on ``background``."""
    a = text.alphaF()
    seen = QColor.fromRgbF(*(a * t + (1 - a) * b for t, b in zip(text.getRgbF()[:3], background.getRgbF()[:3])))
    lighter, darker = sorted((luminance(seen), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def drawn_colour(item) -> QColor:
    """The colour a letter is drawn with: its text colour, faded by the item's own opacity."""
    colour = QColor(item.textItem.defaultTextColor())
    colour.setAlphaF(colour.alphaF() * item.effectiveOpacity())
    return colour


def glyph_rect(item) -> QRectF:
    """A letter's ink on the scene: its advance wide, its capitals high, about the item's centre."""
    metrics = QFontMetricsF(item.textItem.font())
    centre = item.sceneBoundingRect().center()
    width, height = metrics.horizontalAdvance(item.toPlainText()), metrics.capHeight()
    return QRectF(centre.x() - width / 2, centre.y() - height / 2, width, height)


def assert_legible(view, where):
    background = view.canvas.backgroundBrush().color()
    shown = letters(view)
    assert letters(view, 1), where                      # predictions drawn
    worst = min(shown, key=lambda item: contrast(drawn_colour(item), background))
    ratio = contrast(drawn_colour(worst), background)
    assert ratio >= LEGIBLE, (where, worst.toPlainText(), drawn_colour(worst).name(QColor.NameFormat.HexArgb), ratio)


def cursors(view):
    """What marks the chosen step in the plot: its visible dashed lines."""
    found = []
    for item in view.outputs_plot.getViewBox().childGroup.childItems():    # (all it draws, bounds or not)
        pen = item.pen if isinstance(item, pg.InfiniteLine) else (
            item.opts.get("pen") if isinstance(item, pg.PlotDataItem) else None)
        if item.isVisible() and pen is not None and pg.mkPen(pen).style() == Qt.PenStyle.DashLine:
            found.append(item)
    return found


def scene_outline(item, view) -> QPainterPath:
    """A dashed item's line on the scene, as wide as its pen."""
    vb = view.outputs_plot.getViewBox()
    path = QPainterPath()
    if isinstance(item, pg.InfiniteLine):
        (x0, x1), (y0, y1) = vb.viewRange()
        points = [QPointF(item.value(), y0), QPointF(item.value(), y1)]
        width = item.pen.widthF()
    else:
        xs, ys = item.getData()
        points = [QPointF(x, y) for x, y in zip(xs, ys)]
        width = pg.mkPen(item.opts["pen"]).widthF()
    scene = [vb.mapViewToScene(p) for p in points]
    path.moveTo(scene[0])
    for p in scene[1:]:
        path.lineTo(p)
    stroker = QPainterPathStroker()
    stroker.setWidth(max(width, 1.0))
    return stroker.createStroke(path)


@pytest.mark.parametrize("lesson, step", [("alphabet", 3), ("names", 1)])
def test_every_letter_reads_at_4_5_to_1_however_unsure_the_network(qtbot, window, lesson, step):
    """alphabet 4 (the bag: wrong, unsure letters) and names 2: the normal look, then high contrast."""
    view = open_data(qtbot, window, lesson, step)
    data = window.state.result.data
    predicted = [t for t in range(len(data.targets)) if t < data.computed and data.loss_steps[t]]
    assert min(data.confidence[predicted]) < 0.5          # (an unsure network: its letters used to fade)
    assert_legible(view, f"{lesson} {step + 1}")
    window.actions["high_contrast"].trigger()
    try:
        assert style.LOOK.high_contrast
        qtbot.wait(50)
        assert_legible(view, f"{lesson} {step + 1}, high contrast")
    finally:
        window.actions["high_contrast"].trigger()
    assert not style.LOOK.high_contrast


def test_presenting_the_letters_stay_legible_and_clear_of_the_axis(qtbot, window):
    view = open_data(qtbot, window, "alphabet", 3)
    window.actions["presentation"].trigger()
    try:
        screen = window.screen().geometry()
        qtbot.waitUntil(lambda: window.geometry() == screen)
        window.actions["layout:DataView"].trigger()
        window.resize(1024, 768)
        qtbot.waitUntil(lambda: window.size().toTuple() == (1024, 768))
        window.docks["DataView"].raise_()
        qtbot.waitUntil(view.isVisible)
        qtbot.wait(50)
        assert_legible(view, "presenting at 1024x768")
        assert_clear_of_axis(view)
    finally:
        window.actions["presentation"].trigger()
    qtbot.waitUntil(lambda: not style.LOOK.presenting)


def test_each_prediction_has_a_bar_as_long_as_its_probability(qtbot, window):
    """The probability the letters' fading showed, now a bar: its length ÷ its track's = p(ŷ_t)."""
    view = open_data(qtbot, window, "alphabet", 3)
    data = window.state.result.data
    predicted = [t for t in range(len(data.targets)) if t < data.computed and data.loss_steps[t]]
    bars, track = view.confidence_bars, view.confidence_track
    assert bars.isVisible() and track.isVisible()
    np.testing.assert_allclose(np.asarray(bars.opts["width"]) / np.asarray(track.opts["width"]),
                               data.confidence[predicted])
    np.testing.assert_allclose(np.asarray(bars.opts["x0"]), np.asarray(track.opts["x0"]))  # (left-aligned)
    ink = [glyph_rect(item) for item in letters(view)]
    for bar in (bars, track):     # in the gap between the ŷ and y letters, over none of them
        drawn = bar.mapRectToScene(bar.boundingRect())
        assert drawn.height() > 0
        assert not any(drawn.intersects(rect) for rect in ink), drawn


def assert_clear_of_axis(view):
    axis = view.outputs_plot.getAxis("left")
    axis_right = axis.mapRectToScene(axis.boundingRect()).right()   # (its line, ticks and labels)
    for row in (0, 1, 2):
        first = letters(view, row)[0]
        assert first.sceneBoundingRect().left() > axis_right, (row, first.sceneBoundingRect(), axis_right)


def test_the_first_letters_sit_right_of_the_y_axis(qtbot, window):
    view = open_data(qtbot, window, "alphabet", 3)
    assert_clear_of_axis(view)


def test_the_chosen_step_is_marked_without_a_line_through_its_letters(qtbot, window):
    """alphabet 4 at t = 0 (where the dashed line ran through the first letter of each row), then t = 5."""
    view = open_data(qtbot, window, "alphabet", 3)
    for step in (0, 5):
        window.scrubber.setValue(step)
        qtbot.wait(20)
        assert window.state.selection.step == step
        marks = cursors(view)
        assert marks, "the chosen step is not marked"
        chosen = [item for item in letters(view) if round(item.pos().x()) == step]
        assert len(chosen) == 3
        lowest = min(item.zValue() for item in letters(view))
        for mark in marks:
            outline = scene_outline(mark, view)
            assert mark.zValue() < lowest, "the step's mark is drawn over the letters"
            assert not any(outline.intersects(glyph_rect(item)) for item in letters(view)), step
            # (and it marks the chosen step: it is beside that column's letters, nearer than to the next)
            centre = chosen[0].sceneBoundingRect().center().x()
            assert abs(outline.boundingRect().center().x() - centre) < 0.5 * glyph_rect(chosen[0]).width() + 2
