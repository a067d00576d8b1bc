"""A stacked network's gradient-flow plot draws the bottom layer's ‖∂L/∂h_t‖ beside the top
layer's: stacking 2 asks which layer receives the larger gradient at the loss step, and the plot
showed the top layer alone (the answer was only in the measured claim)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from test_legibility import plain  # noqa: E402
from test_window import settle  # noqa: E402


def legend_names(view) -> list:
    return [plain(label.text) for _, label in view.legend.items]


def drawn(curve):
    x, y = curve.getData()
    return np.asarray(x), np.asarray(y)


def test_stacking_draws_the_bottom_layer_under_the_top_at_the_loss_step(qtbot, window):
    runner = window.open_lesson("stacking", 1)
    runner.reveal(runner.step.answer)
    settle(qtbot, window, timeout=120_000)
    view = window.views["GradientFlowView"]
    names = legend_names(view)
    assert any("layer 0 (bottom)" in name for name in names), names
    assert any("layer 3 (top)" in name for name in names), names
    (top_x, top_y), (bottom_x, bottom_y) = drawn(view.norm_curve), drawn(view.bottom_curve)
    assert view.bottom_curve.isVisible() and len(bottom_x) == len(top_x) == 30
    assert bottom_y[-1] < top_y[-1]        # the bottom layer lower at the loss step, as the claim measures


def test_one_layer_draws_no_bottom_layer(qtbot, window):
    assert window.state.result.record.spec.num_layers == 1
    view = window.views["GradientFlowView"]
    assert not view.bottom_curve.isVisible()
    assert not any("bottom" in name for name in legend_names(view))
