"""A/B in the window: Compare ▸ B: … draws side B on the same plots, trains it with Update and Play,
and Stop comparing takes it away."""

import numpy as np
from PySide6.QtCore import Qt
from test_window import settle

from explorer.views import style


def compare_action(window, text):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Compare")
    return next(a for a in menu.actions() if a.text().replace("&", "") == text)


def test_compare_menu_draws_b_beside_a_and_trains_both(qtbot, window):
    state = window.state
    lstm = compare_action(window, "B: the same as an LSTM")
    assert compare_action(window, "B: the same as a tanh RNN").isEnabled() is False   # the demo is one
    lstm.trigger()
    settle(qtbot, window)
    assert state.compared is not None and state.compared.config.cell == "lstm" and lstm.isChecked()
    flow = window.views["GradientFlowView"]
    names = [flow.legend.getLabel(c).text for c in flow.reference_curves if flow.legend.getLabel(c) is not None]
    assert names == ["B: LSTM"]
    curve = next(c for c in flow.reference_curves if c.isVisible())
    assert np.allclose(10 ** curve.getData()[1], state.compared.result.dh_norm_batch[-1], rtol=1e-12)  # (a log axis)
    assert "A: tanh RNN" in flow.legend.getLabel(flow.norm_curve).text

    for _ in range(3):
        window.actions["update"].trigger()
        settle(qtbot, window)
    assert len(state.history) == len(state.compared.history) == 3
    training = window.views["TrainingView"]
    assert training.legend_names() == ["A: tanh RNN", "B: LSTM"]
    b_curve = next(c for c in training.reference_curves if c.isVisible())
    assert len(b_curve.getData()[1]) == 3
    assert training.b_grad_curve.isVisible()          # and B's ‖g‖ beside A's, A's in A's colour
    assert training.grad_curve.opts["pen"].color().name() == style.CURVE_BLUE
    assert np.allclose(10 ** training.b_grad_curve.getData()[1], state.compared.history.grad_norm, rtol=1e-12)

    stop = compare_action(window, "Stop comparing")
    stop.trigger()
    settle(qtbot, window)
    assert state.compared is None and not stop.isEnabled() and not lstm.isChecked()
    assert training.legend_names() == [] and not any(c.isVisible() for c in flow.reference_curves)
    assert not training.b_grad_curve.isVisible() and training.grad_curve.opts["pen"].color().name() != style.CURVE_BLUE


def test_a_control_changed_during_a_b_changes_both_sides(qtbot, window):
    compare_action(window, "B: trained with Adam").trigger()
    settle(qtbot, window)
    spin = window.controls.widgets["hidden"]
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin.lineEdit(), "12")
    qtbot.keyClick(spin.lineEdit(), "\r")
    settle(qtbot, window)
    b = window.state.compared
    assert window.state.config.hidden == 12 and b.config.hidden == 12 and b.config.optimizer == "adam"
    assert b.params["weight_hh_l0"].shape == (12, 12)


def test_a_long_name_for_b_leaves_the_gradient_plot_its_width(qtbot, window):
    """A legend entry wider than the dock is cut at its edge; the plots keep their width (a long
    name once stretched every plot of the gradient-flow view far beyond the dock, out of sight)."""
    flow = window.views["GradientFlowView"]
    width = flow.norm_plot.getViewBox().width()
    window.state.compare("value clipping with a threshold of one half, as min-char-rnn does it, "
                         "entry by entry", clip_mode="value", clip_threshold=0.5)
    settle(qtbot, window)
    assert 0.8 * width <= flow.norm_plot.getViewBox().width() <= flow.canvas.width()
    assert flow.legend.width() > flow.canvas.width()            # (the entry itself is wider: it is cut
    assert flow.legend.sceneBoundingRect().left() >= 0          # at its end: its start is in view)


def test_a_session_saved_while_comparing_opens_with_b_on_the_plots_and_in_the_menu(qtbot, window, tmp_path):
    """File ▸ Save keeps side B; opening the file brings B back: its curve, its name, its menu entry."""
    compare_action(window, "B: the same as a GRU").trigger()
    settle(qtbot, window)
    for _ in range(2):
        window.actions["update"].trigger()
        settle(qtbot, window)
    path = str(tmp_path / "ab.bptt")
    assert window.files.save_session(path, quiet=True)
    assert "with side B of the A/B comparison (GRU)" in window.statusBar().currentMessage()
    compare_action(window, "Stop comparing").trigger()
    settle(qtbot, window)
    assert window.state.compared is None
    assert window.files.open_session(path, quiet=True)
    settle(qtbot, window)
    b = window.state.compared
    assert b is not None and b.config.cell == "gru" and len(b.history) == 2
    assert compare_action(window, "B: the same as a GRU").isChecked()
    assert window.views["TrainingView"].legend_names() == ["A: tanh RNN", "B: GRU"]


def test_at_1280_the_step_jacobians_keep_two_lines_of_ticks_beside_a_many_row_sensitivity(qtbot, window):
    """Copy memory (a loss at five steps) beside TBPTT at 1280×800: the gradient-flow dock holds
    ‖∂L/∂h_t‖, the step Jacobians and S; the Jacobian plot keeps room for two tick labels (it was a
    strip showing one)."""
    window.state.set_config(task="copy_memory", seq_len=20, cell="gru", hidden=16, batch=8)
    compare_action(window, "B: the same as a tanh RNN").trigger()
    settle(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_End)
    settle(qtbot, window)
    flow = window.views["GradientFlowView"]
    line = style.pt(style.TICK_PT) * 96 / 72
    assert flow.jac_plot.getViewBox().height() >= 2 * line          # (it was ~15 px: one tick)
    assert flow.sens_plot.getViewBox().height() >= 2 * line
    assert flow.norm_plot.getViewBox().height() > flow.jac_plot.getViewBox().height()


def test_full_bptt_beside_a_truncated_b_draws_b_s_cosine_to_its_full_gradient(qtbot, window):
    """The truncation lesson's comparison: A backpropagates fully, B through TBPTT(5, 5) only; each
    update computes B's full gradient too, and the cos(g̃, g) plot shows B's cosine (A, untruncated,
    has none: the plot was hidden while the lesson's claim spoke of it)."""
    state = window.state
    assert state.config.truncation == "full"
    assert state.session.compare("TBPTT(5, 5)", truncation="tbptt", k1=5, k2=5)
    settle(qtbot, window)
    for _ in range(3):
        window.actions["update"].trigger()
        settle(qtbot, window)
    training = window.views["TrainingView"]
    b_cosine = state.compared.history.cosine
    assert len(b_cosine) == 3 and np.all(np.abs(b_cosine) <= 1) and np.all(np.isnan(state.history.cosine))
    assert training.cos_plot.isVisible() and training.b_cos_curve.isVisible()
    x, y = training.b_cos_curve.getData()
    assert list(x) == [1, 2, 3] and np.array_equal(y, b_cosine)
    assert training.b_cos_curve.opts["pen"].color().name() == style.SIDE_B.lower()
    compare_action(window, "Stop comparing").trigger()
    settle(qtbot, window)
    assert not training.b_cos_curve.isVisible() and not training.cos_plot.isVisible()
