"""A lesson step about the Training view gives it the larger share of the right column (its loss
curve was 45 px high at 1280 × 800 under gradient flow's three plots), never squeezing gradient
flow below its plots' least; a step about another view gives gradient flow its share back."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from test_window import settle  # noqa: E402


def heights(window):
    return window.docks["GradientFlowView"].height(), window.docks["TrainingView"].height()


@pytest.mark.parametrize("size", [(1920, 1080), (1280, 800)])
def test_a_step_about_training_gives_it_room_and_gradient_flow_keeps_its_least(qtbot, window, size):
    window.resize(*size)
    qtbot.waitUntil(lambda: window.size().toTuple() == size)
    window.apply_default_sizes()
    settle(qtbot, window)
    flow_before, training_before = heights(window)
    window.open_lesson("names", step=0)                 # about the Training view
    settle(qtbot, window, timeout=120_000)
    qtbot.wait(50)
    flow, training = heights(window)
    assert training > training_before
    if size == (1920, 1080):
        assert training > flow
    view = window.views["GradientFlowView"]
    assert view.canvas.height() >= view.least_height()
    window.open_lesson("vanishing", step=0)             # about the graph and gradient flow
    settle(qtbot, window, timeout=120_000)
    qtbot.wait(50)
    flow_after, training_after = heights(window)
    assert flow_after > training_after
    assert abs(flow_after - flow_before) <= 2
