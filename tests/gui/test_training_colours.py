"""The Training view's curves are in the colours its legend gives them: where the legend names
this run (blue) beside a run kept (grey, dashed), this run's gradient norm ‖g‖ is blue too (drawn
grey, it read as the run kept, whose ‖g‖ is not drawn)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtGui import QColor  # noqa: E402

from explorer.views import style  # noqa: E402

from test_window import settle  # noqa: E402


def colour(curve) -> str:
    return curve.opts["pen"].color().name()


def test_beside_a_run_kept_this_runs_gradient_norm_is_in_this_runs_colour(qtbot, window):
    window.open_lesson("sequence-data", 0, run=False).run_through(3)   # a fresh network beside the one trained in order
    settle(qtbot, window, timeout=120_000)
    view = window.views["TrainingView"]
    assert view.legend_names() == ["this run", "trained in order"]
    blue = QColor(style.CURVE_BLUE).name()
    assert colour(view.loss_curve) == blue
    assert colour(view.grad_curve) == blue
    kept = [c for c in view.reference_curves if c.isVisible()]
    assert kept and all(colour(c) != blue for c in kept)


def test_alone_the_gradient_norm_is_not_drawn_in_the_loss_curves_blue(qtbot, window):
    window.actions["update"].trigger()                  # Run ▸ Update: one run, no legend of runs
    settle(qtbot, window)
    view = window.views["TrainingView"]
    assert not window.state.runs_compared
    assert colour(view.grad_curve) != QColor(style.CURVE_BLUE).name()
