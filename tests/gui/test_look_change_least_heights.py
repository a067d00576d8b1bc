"""A lesson opened before the look changes (F11, Ctrl +) lays out as one opened after it: the
gradient-flow plots' least heights are lines of the look's text whatever the order (opened at
1920×1080 and then presented, the Jacobian plot kept the normal look's least: 63 px, two lines of
its ticks, where opened while presenting it has 111)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from test_presentation import default_look, present  # noqa: E402,F401  (the fixture resets the look)
from test_window import settle  # noqa: E402


def plot_heights(window) -> list:
    view = window.views["GradientFlowView"]
    return [round(plot.getViewBox().height()) for plot in (view.norm_plot, view.jac_plot, view.sens_plot)]


def test_a_lesson_presented_after_it_opened_lays_out_as_one_opened_presenting(qtbot, window):
    window.resize(1920, 1080)
    qtbot.waitUntil(lambda: window.width() == 1920)
    window.open_lesson("first-look", 0)
    settle(qtbot, window)
    present(qtbot, window, (1920, 1080))
    settle(qtbot, window)
    assert window.presentation.second_view() == "GradientFlowView"
    opened_before = plot_heights(window)
    window.open_lesson("first-look", 0)           # the same step again: its pass drawn at the presenting look
    settle(qtbot, window)
    qtbot.wait(50)
    opened_presenting = plot_heights(window)
    assert all(abs(a - b) <= 1 for a, b in zip(opened_before, opened_presenting)), (opened_before, opened_presenting)
