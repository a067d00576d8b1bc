"""At a projector a lesson step's words point at what is on screen: presenting shows the graph and
one view beside it (and the few controls a step asks for), so a step that says "the Data view",
"the Bag box" or "the Hidden states view" must have it shown, and the shapes table shows the rows
a step's question is about."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QPushButton  # noqa: E402

from explorer.lessons import shipped_lessons  # noqa: E402

from test_presentation import default_look, present  # noqa: E402,F401  (default_look: autouse)
from test_window import settle  # noqa: E402

LESSONS = {lesson.name: lesson for lesson in shipped_lessons()}


def shown(widget) -> bool:
    """Drawn in the window: visible and of some size."""
    return widget.isVisible() and widget.width() > 0 and widget.height() > 0


def words(step) -> str:
    return " ".join((step.text, step.question, step.explain, *step.choices))


def go_to(qtbot, window, lesson: str, index: int):
    """The lesson's step ``index`` (from 0) as the student reaches it: its setup, its question
    answered, its pass run (not the training of the steps before: the views are what matters)."""
    runner = window.open_lesson(lesson, index)
    if runner.step.question:
        runner.reveal(runner.step.answer)
    settle(qtbot, window, timeout=120_000)     # (a step that trains: on a loaded machine over 30 s)
    qtbot.wait(50)                 # (the lesson box asks for its height, then the window lays out)
    return runner


def views_named_but_hidden(window, step) -> list:
    """The views a step's words name ("the Data view", "the Hidden states tab") that are not drawn."""
    text = words(step).lower()
    return [dock.windowTitle() for dock in window.docks.values() if dock.windowTitle() != "Controls"
            and any(f"{dock.windowTitle().lower()} {what}" in text for what in ("view", "tab", "plot"))
            and not shown(dock)]


@pytest.mark.parametrize("lesson, index", [("shared-weights", 0), ("shared-weights", 2), ("stacking", 1),
                                           ("gating", 0), ("sequence-data", 2), ("alphabet", 3)])
def test_presenting_a_step_shows_the_views_its_text_names(qtbot, window, lesson, index):
    """Steps whose text named the Data view, the Hidden states tab or the gradient-flow plot while
    presenting showed another view beside the graph: what they name now is on screen."""
    present(qtbot, window, (1920, 1080))
    step = go_to(qtbot, window, lesson, index).step
    assert views_named_but_hidden(window, step) == []
    assert "gradient-flow plot" not in words(step) or shown(window.docks["GradientFlowView"])
    assert " tab" not in words(step)          # (presenting shows views, not tabs)


@pytest.mark.parametrize("lesson, index", [("sequence-data", 2), ("alphabet", 3)])
def test_presenting_a_step_about_the_bag_box_shows_the_bag_box(qtbot, window, lesson, index):
    """"(the Bag box in the Data group)": presenting, the controls panel shows that box."""
    present(qtbot, window, (1920, 1080))
    step = go_to(qtbot, window, lesson, index).step
    assert "Bag box" in step.text
    bag = window.controls.widgets["shuffled"]
    assert shown(window.docks["Controls"]) and shown(bag)
    assert bag.isChecked()                                     # (the shuffled order the step is about)


def answer_the_question(qtbot, window):
    """A click on the step's right answer, and the window settled after it."""
    button = window.lesson.findChild(QPushButton, f"lesson:choice:{window.runner.step.answer}")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    settle(qtbot, window)
    qtbot.wait(50)


def rows_whole(table) -> list:
    """The first-column texts of the rows the table draws whole."""
    viewport = table.viewport().rect()
    return [table.item(i, 0).text() for i in range(table.rowCount())
            if viewport.contains(table.visualItemRect(table.item(i, 0)))]


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080), (1024, 768)])
def test_presenting_shapes_step_1_shows_the_rows_its_question_asks_about(qtbot, window, size):
    """"What is the shape of the concise W = [W_hh W_ih]?": its row is drawn whole, and W_hh's, and
    W_ih's where the table has room for the three (at 1024×768 it has room for four rows, two of
    them two lines high); before the answer and after it (the lesson box grows, the table shrinks)."""
    present(qtbot, window, size)
    window.open_lesson("shapes", 0, run=False)
    panel = window.views["ShapesPanel"]
    settle(qtbot, window)
    assert shown(window.docks["ShapesPanel"])
    wanted = ("W = [", "weight_hh_l0") + (("weight_ih_l0",) if size != (1024, 768) else ())
    for answered in (False, True):
        if answered:
            answer_the_question(qtbot, window)
        whole = rows_whole(panel.table)
        assert all(any(key in text for text in whole) for key in wanted), (answered, whole)


def test_shapes_step_1_at_1280x800_shows_the_rows_its_question_asks_about(qtbot, window):
    """The same out of presentation mode, on a laptop's 1280×800 window."""
    window.open_lesson("shapes", 0, run=False)
    panel = window.views["ShapesPanel"]
    answer_the_question(qtbot, window)
    assert shown(panel.table)
    whole = rows_whole(panel.table)
    assert all(any(key in text for text in whole) for key in ("W = [", "weight_hh_l0", "weight_ih_l0")), whole
