"""Answering a step whose text is longer than the lesson box: the verdict on the answer and the
explanation come into view (they were below the fold, under the text the student has already
read), and they stay there as the box settles; the student's own scroll is not undone."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import tomllib  # noqa: E402

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, Qt  # noqa: E402
from PySide6.QtWidgets import QPushButton  # noqa: E402

from explorer.lessons import LESSON_FOLDER, lesson_from_dict  # noqa: E402

from test_window import settle, settle_box  # noqa: E402


def long_step_lesson(explain_times=1):
    """Stacking with its second step's text eight times as long (longer than the box has room for),
    and its explanation ``explain_times`` as long."""
    with open(LESSON_FOLDER / "12-stacking.toml", "rb") as file:
        data = tomllib.load(file)
    step = data["steps"][1]
    step["text"] = " ".join([step["text"]] * 8)
    step["explain"] = " ".join([step["explain"]] * explain_times)
    return lesson_from_dict(data, name="long-stacking")


def visible_rows(box, label) -> int:
    """How many pixel rows of ``label`` the lesson text's viewport shows."""
    viewport = box.scroll.viewport()
    top = label.mapTo(viewport, QPoint(0, 0)).y()
    return max(0, min(top + label.height(), viewport.height()) - max(top, 0))


def top_line_whole(box) -> bool:
    """The text's viewport starts at a line's top, not across a line: the label at its top edge
    has a whole number of its lines above it (within a pixel)."""
    value = box.scroll.verticalScrollBar().value()
    for label in (box.step_title, box.text, box.question, box.feedback, box.explain):
        geometry = label.geometry()
        if label.isVisible() and geometry.top() <= value < geometry.bottom() + 4:      # (+ the spacing below it)
            offset = (value - geometry.top()) % label.fontMetrics().lineSpacing()
            return offset <= 1 or label.fontMetrics().lineSpacing() - offset <= 1 or value >= geometry.bottom()
    return False


def open_long_step(qtbot, window, size, explain_times=1):
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size().toTuple() == size)
    runner = window.open_lesson(long_step_lesson(explain_times), 1, run=False)
    settle(qtbot, window)
    box = window.lesson
    qtbot.waitUntil(lambda: box.scroll.verticalScrollBar().maximum() > 0, timeout=2000)   # (longer than the box: the point)
    return runner, box


def answer(qtbot, window, runner, box):
    qtbot.mouseClick(box.findChild(QPushButton, f"lesson:choice:{runner.step.answer}"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not runner.running and box.feedback.isVisible(), timeout=30_000)
    settle(qtbot, window)
    settle_box(qtbot, box)


@pytest.mark.parametrize("size", [(1280, 800), (1440, 900)])
def test_answering_a_long_step_shows_the_verdict_and_the_explanation(qtbot, window, size):
    runner, box = open_long_step(qtbot, window, size)
    assert visible_rows(box, box.feedback) == 0 or not box.feedback.isVisible()
    answer(qtbot, window, runner, box)
    assert visible_rows(box, box.feedback) == box.feedback.height()          # the verdict whole
    assert visible_rows(box, box.explain) > 0                                # and the explanation after it
    assert "right" in box.feedback.text()
    assert top_line_whole(box)
    assert not box.status.isVisible()        # (no line under the claims saying what Next ▶ does: the text has it)


def test_the_students_own_scroll_is_kept(qtbot, window):
    """Scrolled back up by the wheel, the text stays where the student put it when the box settles
    again (a new measurement refreshes the text; the window is resized)."""
    runner, box = open_long_step(qtbot, window, (1280, 800))
    answer(qtbot, window, runner, box)
    bar = box.scroll.verticalScrollBar()
    assert bar.value() > 0
    for _ in range(40):
        bar.triggerAction(bar.SliderAction.SliderSingleStepSub)        # as the wheel and the arrows do
    assert bar.value() == 0
    box.refresh_values()
    window.resize(1300, 800)
    qtbot.waitUntil(lambda: window.width() == 1300)
    settle(qtbot, window)
    assert bar.value() == 0


def foot_ink(box) -> float:
    """The share of the text viewport's bottom 3 pixel rows that is ink (darker than the box's
    ground): a line cut across at the foot shows its letters' strokes there; a whole last line
    at most the tails of a few descenders."""
    image = box.scroll.viewport().grab().toImage()
    ground = image.pixelColor(2, image.height() - 1).lightness()
    rows = range(image.height() - 3, image.height())
    ink = sum(image.pixelColor(x, y).lightness() < ground - 80 for y in rows for x in range(image.width()))
    return ink / (3 * image.width())


@pytest.mark.parametrize("size", [(1280, 800), (1440, 900)])
def test_answered_the_text_ends_on_a_whole_line(qtbot, window, size):
    """Scrolled to the answer, the lines under the question are of mixed heights (bold, sub- and
    superscripts): the text still ends on a whole line, not one cut across at the box's foot; and
    so it does wherever the student scrolls it."""
    runner, box = open_long_step(qtbot, window, size, explain_times=4)
    answer(qtbot, window, runner, box)
    bar = box.scroll.verticalScrollBar()
    assert 0 < bar.value() < bar.maximum()
    assert foot_ink(box) < 0.08, foot_ink(box)          # (a line cut across: 0.15–0.17)
    for _ in range(3):
        bar.triggerAction(bar.SliderAction.SliderSingleStepAdd)       # as the wheel and the arrows do
        qtbot.wait(20)
        assert foot_ink(box) < 0.08, (bar.value(), foot_ink(box))


def lines_in_view(box) -> list:
    """The text's lines (top, bottom) wholly inside its viewport as it is scrolled."""
    top = box.scroll.verticalScrollBar().value()
    bottom = top + box.scroll.viewport().height()
    return [span for span in box._line_spans() if top <= span[0] and span[1] <= bottom]


@pytest.mark.parametrize("lesson, index", [("alphabet", 2), ("shared-weights", 0), ("architectures", 2)])
def test_answered_an_explanation_that_fits_is_in_view_to_its_last_line(qtbot, window, lesson, index):
    """Where the question, the verdict and the explanation fit in the box, all of them are in view
    after answering, to the explanation's last line, and the lines before the question fill what
    room is left above them (scrolled as far as it went, to a line's top short of the end, the last
    line of "Trained forward, tested backward" was cut and left blank at 1280 × 800)."""
    window.resize(1280, 800)
    qtbot.waitUntil(lambda: window.size().toTuple() == (1280, 800))
    runner = window.open_lesson(lesson, index, run=False)
    settle(qtbot, window, timeout=120_000)
    box = window.lesson
    answer(qtbot, window, runner, box)
    assert box.scroll.verticalScrollBar().maximum() > 0          # (longer than the box: the point)
    spans = box._line_spans()
    shown = lines_in_view(box)
    room = box.scroll.viewport().height()
    question = box.question.geometry().top()
    if spans[-1][1] - question > room:
        pytest.skip("the explanation is longer than the box: scrolled to the question (the tests above)")
    assert spans[-1] in shown                                   # the explanation's last line, whole
    assert min(top for top, _ in shown) <= question             # from the question on
    first = spans.index(shown[0])
    assert first == 0 or spans[-1][1] - spans[first - 1][0] > room   # and no line left out above that would fit
    assert top_line_whole(box)
