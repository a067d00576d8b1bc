"""A lesson step that asks the student to use a control scrolls the Controls panel to it: at
1280×800 the temperature (names step 3: "change τ") lies below the fold of the panel."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QRect  # noqa: E402
from PySide6.QtWidgets import QAbstractSlider  # noqa: E402

from test_window import settle  # noqa: E402


def in_view(panel, widget) -> bool:
    """Whether the whole widget lies inside the panel's visible part."""
    viewport = panel.scroll.viewport()
    top_left = widget.mapTo(viewport, QPoint(0, 0))
    return viewport.rect().contains(QRect(top_left, widget.size()))


@pytest.mark.parametrize("lesson, step, control", [("names", 2, "temperature")])
def test_a_step_asking_for_a_control_scrolls_the_controls_to_it(qtbot, window, lesson, step, control):
    panel = window.controls
    window.open_lesson(lesson, step=step)
    settle(qtbot, window, 120_000)
    assert lesson == window.runner.lesson.name and control in window.runner.step.controls
    assert in_view(panel, panel.widgets[control])
    panel.scroll.verticalScrollBar().setValue(0)          # scrolled away, the step shown again
    qtbot.wait(20)
    assert not in_view(panel, panel.widgets[control]), "in view at the top: the test shows nothing"
    window.runner.go_to(step)
    settle(qtbot, window, 120_000)
    assert in_view(panel, panel.widgets[control])
    window.resize(1280, 760)                              # kept in view as the panel's height changes
    qtbot.wait(50)
    assert in_view(panel, panel.widgets[control])


def test_once_the_user_scrolls_the_panel_stays_where_they_put_it(qtbot, window):
    panel = window.controls
    window.open_lesson("names", step=2)
    settle(qtbot, window, 120_000)
    panel.scroll.verticalScrollBar().triggerAction(QAbstractSlider.SliderAction.SliderToMinimum)   # as a click on the bar
    window.resize(1280, 760)
    qtbot.wait(50)
    assert panel.scroll.verticalScrollBar().value() == 0
