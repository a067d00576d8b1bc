"""The views follow the state: each is built from a real QtSession, the state is changed, and what
the view draws is compared with what the engine recorded."""

import os
import re

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import html  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QTextDocument  # noqa: E402

import pyqtgraph  # noqa: E402,F401  (imported after PySide6 so it binds to it)

from explorer.notation import number  # noqa: E402
from explorer.qt_session import QtSession  # noqa: E402
from explorer.views import (GradientFlowView, GraphView, HiddenStatesView, InspectorView,  # noqa: E402
                            RegimeBadge, ShapesPanel, TrainingView)
from explorer.views import style  # noqa: E402
from explorer.views.gradflow import BOUND_NAME, NO_SENSITIVITY  # noqa: E402
from rnn.diagnostics import gradient_bound  # noqa: E402
from rnn.params import shapes_table  # noqa: E402
from engine_reference import reference_jacobians  # noqa: E402
from qt_clicks import click_plot  # noqa: E402


# ---------------------------------------------------------------------------- helpers

def settle(qtbot, state):
    """Wait until the state has no pass or training job pending on its worker."""
    qtbot.waitUntil(lambda: state.idle, timeout=10_000)


def configure(qtbot, state, **changes):
    assert state.set_config(**changes)
    settle(qtbot, state)


@pytest.fixture
def state(qtbot):
    s = QtSession()
    settle(qtbot, s)
    yield s
    if hasattr(s, "shutdown"):
        s.shutdown()


def make(qtbot, cls, state, size=(900, 500)):
    view = cls(state)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    return view


def nan_equal(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.array_equal(np.isnan(a), np.isnan(b)) and \
        np.allclose(a[~np.isnan(a)], b[~np.isnan(b)], rtol=1e-12, atol=0)


def plain(rich: str) -> str:
    doc = QTextDocument()
    doc.setHtml(rich)
    return doc.toPlainText()


# ---------------------------------------------------------------------------- style helpers

def test_log_helpers_never_take_log_of_zero():
    with np.errstate(all="raise"):
        logs = style.log10_or_nan([0.0, 1e-3, -1.0, np.inf, np.nan, 10.0])
        assert nan_equal(logs, [np.nan, -3.0, np.nan, np.nan, np.nan, 1.0])
        assert style.log_levels([0.0, 1e-3, 10.0]) == (-3.0, 1.0)
        assert style.log_levels([0.0, 0.0], default=(-2.0, 0.0)) == (-2.0, 0.0)
        assert style.log_levels([1e-20, 1.0], max_decades=5) == (-5.0, 0.0)
    assert style.symmetric_levels([-0.5, 0.2, np.nan]) == (-0.5, 0.5)


# ---------------------------------------------------------------------------- graph

def test_graph_nodes_follow_the_configuration(qtbot, state):
    view = make(qtbot, GraphView, state)
    L = state.config.layers
    loss_steps = int(np.sum(np.any(state.record.loss_mask != 0, axis=1)))
    assert view.node_count() == state.config.seq_len * (L + 2) + loss_steps
    configure(qtbot, state, seq_len=7, layers=2)
    assert view.node_count() == 7 * (2 + 2) + 1            # delayed recall: one loss, at the last step
    configure(qtbot, state, task="sine")                     # many-to-many: a loss node at every step
    assert view.node_count() == 7 * (2 + 3)
    assert len(view.plot.getAxis("left")._tickLevels[0]) == 2 + 3   # rows x, h l0, h l1, ŷ, L


def test_graph_edges_are_coloured_by_the_recorded_gradient(qtbot, state):
    view = make(qtbot, GraphView, state)
    r = state.record
    mags = view.edge_magnitudes()
    recurrent = (view.e_kind == 2) & (view.e_layer == 0)
    expected = np.sqrt(np.sum(r.dh[0] ** 2, axis=(1, 2)))[view.e_t0[recurrent]]
    assert np.allclose(mags[recurrent], expected)
    output = view.e_kind == 3
    assert np.allclose(mags[output], np.sqrt(np.sum(r.dyhat ** 2, axis=(1, 2)))[view.e_t0[output]])
    # colour level grows with the magnitude, the colour bar spans the log10 range
    active = view.edge_bin >= 0
    order = np.argsort(mags[active])
    assert np.all(np.diff(view.edge_bin[active][order]) >= 0)
    assert view.bar.levels() == pytest.approx(style.log_levels(mags[active], max_decades=12))
    # every edge is drawn exactly once, by one of the items
    drawn = sum(item.xData.size for item in [view.idle_edges, view.cut_edges, *view.edge_bins]
                if item.xData is not None) // 2
    assert drawn == view.e_kind.size


def test_graph_shows_forward_progress_backward_wave_and_truncation(qtbot, state):
    configure(qtbot, state, task="sine", seq_len=12, truncation="tbptt", k1=4, k2=4)
    view = make(qtbot, GraphView, state)
    assert view.shading.describe() == [(-0.5, 3.5), (3.5, 7.5), (7.5, 11.5)]
    cut = view.edge_cut & (view.e_kind == 2)
    assert sorted(view.e_t1[cut]) == [4, 8]                  # detached between segments
    state.reset_pass()
    for _ in range(3):
        state.step_forward()
    h_row = view.node_row == 1
    assert np.array_equal(view.node_done[h_row], np.arange(12) < 3)
    assert view.forward_line.isVisible() and view.forward_line.value() == pytest.approx(2.5)
    assert not view.backward_line.isVisible()
    while not state.result.forward_complete:
        state.step_forward()
    state.step_backward()
    assert view.backward_line.isVisible()
    assert view.backward_line.value() == state.result.next_visit[1]
    assert np.all(np.isnan(view.edge_magnitudes()[view.e_t0 < 8]))   # not reached yet


def test_graph_click_selects_step_and_layer(qtbot, state):
    configure(qtbot, state, layers=2, seq_len=10)
    view = make(qtbot, GraphView, state)
    x, y = view.node_position(6, 2)                          # h of layer 1 at step 6
    click_plot(qtbot, view.canvas, view.plot, x, y)
    assert (state.selection.step, state.selection.layer) == (6, 1)
    view.select_node(3, 0)                                   # an input node selects the step only
    assert (state.selection.step, state.selection.layer) == (3, 1)
    assert view.marker.data["x"][0] == 3 and view.marker.data["y"][0] == 2


def test_graph_rolled_toggle_shows_the_selected_steps_values(qtbot, state):
    view = make(qtbot, GraphView, state)
    state.select(step=5, unit=2)
    view.rolled_box.setChecked(True)
    assert view.rolled and view.rolled_nodes.isVisible() and not view.nodes.isVisible()
    texts = [label.toPlainText() for label in view._labels if label.isVisible()]
    assert any(number(state.record.h[0, 5, 0, 2]) in text for text in texts)
    state.select(step=9)
    texts = [label.toPlainText() for label in view._labels if label.isVisible()]
    assert any(f"h₉[2] = {number(state.record.h[0, 9, 0, 2])}" in text for text in texts)   # (subscripts as subscripts)
    view.rolled_box.setChecked(False)
    assert view.nodes.isVisible() and not view.rolled_nodes.isVisible()


def test_graph_labels_only_when_zoomed_in(qtbot, state):
    configure(qtbot, state, seq_len=5, task="sine")
    view = make(qtbot, GraphView, state, size=(1000, 500))
    labels = [label for label in view._labels if label.isVisible()]
    assert labels, "T = 5 has room for per-node labels"
    configure(qtbot, state, seq_len=400)
    assert not any(label.isVisible() for label in view._labels)


def test_graph_updates_items_instead_of_rebuilding(qtbot, state):
    view = make(qtbot, GraphView, state)
    items = list(view.plot.items)
    for step in range(5):
        state.select(step=step)
        state.passChanged.emit()
    assert view.plot.items == items


# ---------------------------------------------------------------------------- hidden states

def test_heatmap_shows_the_recorded_states(qtbot, state):
    view = make(qtbot, HiddenStatesView, state)
    r = state.record
    assert nan_equal(view.image.image, r.h[0, :, 0, :].T)
    lo, hi = view.bar.levels()
    assert lo == -hi and hi == pytest.approx(np.abs(r.h[0, :, 0]).max())
    view.set_quantity("dh")
    assert nan_equal(view.image.image, r.dh[0, :, 0, :].T)


def test_heatmap_lstm_gates_and_layers(qtbot, state):
    configure(qtbot, state, cell="lstm", layers=2)
    view = make(qtbot, HiddenStatesView, state)
    keys = [k for k, _ in view.quantities()]
    assert {"c", "gate:i", "gate:f", "gate:g", "gate:o"} <= set(keys)
    state.select(layer=1)
    assert view.layer == 1
    view.set_quantity("gate:f")
    H = state.config.hidden
    assert nan_equal(view.image.image, state.record.gates[1, :, 0, H:2 * H].T)
    assert view.bar.levels() == (0.0, 1.0)
    configure(qtbot, state, cell="gru", layers=1)
    assert {"gate:r", "gate:z", "gate:n"} <= {k for k, _ in view.quantities()}


def test_heatmap_blanks_steps_not_computed_and_click_selects(qtbot, state):
    view = make(qtbot, HiddenStatesView, state)
    state.reset_pass()
    for _ in range(4):
        state.step_forward()
    image = view.image.image
    assert not np.any(np.isnan(image[:, :4])) and np.all(np.isnan(image[:, 4:]))
    assert view.step_line.value() == 3
    click_plot(qtbot, view.canvas, view.plot, 2, 5)
    assert (state.selection.step, state.selection.unit) == (2, 5)
    assert view.unit_line.value() == 5


# ---------------------------------------------------------------------------- gradient flow

def test_gradient_flow_curve_bound_and_sensitivity(qtbot, state):
    view = make(qtbot, GradientFlowView, state)
    r = state.record
    norms = r.dh_norm
    x, y = view.norm_curve.xData, view.norm_curve.yData
    assert nan_equal(y, np.where(norms > 0, norms, np.nan)) and np.array_equal(x, np.arange(r.seq_len))
    bound = gradient_bound(r, state.regime)
    assert nan_equal(view.bound_curve.yData, np.where(bound > 0, bound, np.nan))
    assert view.legend.getLabel(view.bound_curve).text == BOUND_NAME
    rows = np.flatnonzero(np.any(r.loss_mask != 0, axis=1))          # the image: first to last loss row
    S = r.sensitivity[rows[0]:rows[-1] + 1]
    expected = np.where(S > 0, np.log10(np.where(S > 0, S, 1)), np.nan)
    assert nan_equal(view.sens_image.image, expected)
    assert not view.sens_message.isVisible()
    if rows[0] == rows[-1]:                    # one loss row: that step is named on its axis, at any size
        assert [text for _, text in view.sens_plot.getAxis("left")._tickLevels[0]] == [str(rows[0])]
    assert nan_equal(view.jac_curve.yData, reference_jacobians(state, 0))


def test_a_long_sequences_sensitivity_is_drawn_at_most_1024_square_each_pixel_its_blocks_peak(qtbot, state):
    view = make(qtbot, GradientFlowView, state)
    configure(qtbot, state, task="sine", seq_len=3000, hidden=4, batch=1)
    S = state.record.sensitivity                                          # 3000 × 3000, every row a loss
    image = view.sens_image.image
    assert image.shape == (1000, 1000)                                    # blocks of 3 × 3 steps
    for i, j in [(0, 0), (999, 999), (500, 123), (999, 0)]:
        peak = S[3 * i:3 * i + 3, 3 * j:3 * j + 3].max()
        assert (np.isnan(image[i, j]) and peak == 0) or image[i, j] == pytest.approx(np.log10(peak))
    rect = view.sens_image.mapRectToParent(view.sens_image.boundingRect())
    assert (rect.left(), rect.width(), rect.top(), rect.height()) == (-0.5, 3000, -0.5, 3000)


def test_gradient_flow_before_the_pass_ends(qtbot, state):
    view = make(qtbot, GradientFlowView, state)
    state.reset_pass()
    for _ in range(5):
        state.step_forward()
    assert view.sens_message.isVisible() and NO_SENSITIVITY in view.sens_message.toPlainText()
    assert view.sens_image.image is None
    assert view.norm_curve.yData is None or view.norm_curve.yData.size == 0    # nothing backpropagated yet
    jac = view.jac_curve.yData
    assert np.all(np.isfinite(jac[:5])) and np.all(np.isnan(jac[5:]))   # steps 5.. not computed: gaps


def test_gradient_flow_gated_cell_has_no_bound(qtbot, state):
    configure(qtbot, state, cell="lstm")
    view = make(qtbot, GradientFlowView, state)
    assert not view.bound_curve.isVisible() and view.legend.getLabel(view.bound_curve) is None
    configure(qtbot, state, cell="rnn")
    assert view.bound_curve.isVisible() and view.legend.getLabel(view.bound_curve) is not None


# ---------------------------------------------------------------------------- training

def test_training_curves_follow_the_history(qtbot, state):
    view = make(qtbot, TrainingView, state)
    assert view.empty.isVisible()
    configure(qtbot, state, clip_mode="norm", clip_threshold=0.02)
    state.start_training(30)                          # a few cheap updates: trained at once
    settle(qtbot, state)
    h = state.history
    assert len(h) == 30 and not view.empty.isVisible()
    assert np.array_equal(view.loss_curve.xData, np.arange(1, 31))     # x is the update number
    assert np.array_equal(view.loss_curve.yData, h.loss)
    assert np.array_equal(view.clip_points.xData, np.flatnonzero(h.clipped) + 1)
    assert 0 < h.clipped.sum() and f"clipped {int(h.clipped.sum())}" in view.grad_plot.titleLabel.text
    assert not view.cos_plot.isVisible()              # full BPTT: nothing to compare
    configure(qtbot, state, truncation="tbptt", k1=5, k2=5)
    state.apply_update()
    settle(qtbot, state)
    assert view.cos_plot.isVisible() and view.cos_curve.yData[-1] == state.history.cosine[-1]


def test_training_view_draws_a_million_updates_decimated(qtbot, state):
    """A refresh draws at most two points per pixel column, whatever the length of the history,
    and the envelope (every spike) survives."""
    from explorer.history import TrainingHistory
    n = 1_000_000
    rng = np.random.default_rng(0)
    loss = rng.random(n) + 0.5
    loss[123_457] = 40.0                                # one spike among a million
    grad = rng.random(n) + 0.1
    state.session.history = TrainingHistory.from_arrays(
        {"loss": loss, "grad_norm": grad, "clipped": np.zeros(n, bool), "cosine": np.full(n, np.nan)})
    view = make(qtbot, TrainingView, state)
    drawn = view.raw_loss_curve.yData                   # each update's loss, decimated
    assert drawn.size <= 2 * view.columns() < 10_000
    assert np.nanmax(drawn) == 40.0 and np.nanmin(drawn) == loss.min()
    assert view.raw_loss_curve.xData[-1] <= n and "1000000 updates" in view.loss_plot.titleLabel.text
    # over it, the moving average of the last 1000 updates (a thirtieth of a million, at most 1000)
    x, smooth = view.loss_curve.xData, view.loss_curve.yData
    assert x.size <= view.columns() and x[-1] == n
    for at in (int(x[0]), int(x[len(x) // 2]), int(x[-1])):    # x is 1-based: update `at` is loss[at − 1]
        expected = loss[max(0, at - 1000):at].mean()
        assert smooth[list(x).index(at)] == pytest.approx(expected, rel=1e-9)


def test_clicking_the_loss_curve_travels_back_and_continue_forks(qtbot, state):
    configure(qtbot, state, task="sine", hidden=6, optimizer="adam", lr=0.01)
    for _ in range(10):
        state.start_training(4)                           # 40 updates, a checkpoint after every 4
        settle(qtbot, state)
    view = make(qtbot, TrainingView, state)
    qtbot.wait(100)                                           # painted: the plot ranges are applied
    assert not view.travel_bar.isVisible()
    latest = {k: v.copy() for k, v in state.params.items()}
    loss_y = float(np.log10(state.history.loss[21]))        # (log axis: view y is log10)
    click_plot(qtbot, view.canvas, view.loss_plot, 22, loss_y)
    settle(qtbot, state)
    assert state.shown_update == 20                           # the nearest checkpoint at or before 22
    assert view.travel_bar.isVisible() and view.cursor.isVisible() and view.cursor.value() == 20
    assert "update 20 of 40" in view.travel_label.text()
    assert not all(np.array_equal(state.params[k], latest[k]) for k in latest)
    qtbot.mouseClick(view.latest_button, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert state.shown_update is None and not view.travel_bar.isVisible()
    assert all(np.array_equal(state.params[k], latest[k]) for k in latest)
    click_plot(qtbot, view.canvas, view.loss_plot, 12, loss_y)
    settle(qtbot, state)
    qtbot.mouseClick(view.continue_button, Qt.MouseButton.LeftButton)
    settle(qtbot, state)
    assert len(state.history) == 12 and state.shown_update is None
    assert view.earlier_curves[0].isVisible() and view.earlier_curves[0].xData[-1] == 40
    state.start_training(4)
    settle(qtbot, state)
    assert len(state.history) == 16 and view.loss_curve.xData[-1] == 16


# ---------------------------------------------------------------------------- inspector

def test_inspector_shows_the_selected_values(qtbot, state):
    view = make(qtbot, InspectorView, state)
    state.select(step=7, unit=3)
    r = state.record
    text = view.text.toPlainText()
    h, a = r.h[0, 7, 0, 3], r.pre[0, 7, 0, 3]
    assert f"h7[3] = tanh(a7[3]) = tanh({number(a)}) = {number(h)}" in text.replace("₇", "7")
    assert number(r.dh[0, 7, 0, 3]) in text
    assert number(np.linalg.norm(r.dh[0, 7, 0])) in text
    assert number(reference_jacobians(state, 0)[7]) in text
    assert view.table.rowCount() == state.config.hidden
    assert [view.table.item(u, 0).text() for u in range(8)] == [number(v) for v in r.h[0, 7, 0]]
    assert view.table.currentRow() == 3 or view.table.selectedItems()[0].row() == 3
    view.table.cellClicked.emit(5, 0)
    assert state.selection.unit == 5


def test_inspector_behind_a_tab_catches_up_when_shown(qtbot, state):
    from PySide6.QtWidgets import QLabel, QTabWidget
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    tabs.addTab(QLabel("front"), "front")
    view = InspectorView(state)
    tabs.addTab(view, "inspector")
    tabs.show()
    qtbot.waitExposed(tabs)
    state.select(step=5, unit=2)                      # while the inspector is hidden
    tabs.setCurrentWidget(view)
    r = state.record
    assert f"= {number(r.h[0, 5, 0, 2])}" in view.text.toPlainText()
    assert [view.table.item(u, 0).text() for u in range(3)] == [number(v) for v in r.h[0, 5, 0, :3]]


def test_inspector_not_computed_yet(qtbot, state):
    view = make(qtbot, InspectorView, state)
    state.reset_pass()
    state.step_forward()
    state.select(step=10)
    assert "Not computed yet" in view.text.toPlainText()
    assert view.table.item(0, 0).text() == "—"
    state.select(step=0)
    assert "Not computed yet" not in view.text.toPlainText().split("Backward")[0]
    assert "backward pass starts when the forward pass is complete" in view.text.toPlainText()


def test_inspector_lstm_and_gru_formulas(qtbot, state):
    configure(qtbot, state, cell="lstm")
    view = make(qtbot, InspectorView, state)
    state.select(step=4, unit=1)
    r = state.record
    text = view.text.toPlainText()
    assert f"= {number(r.c[0, 4, 0, 1])}" in text and f"= {number(r.h[0, 4, 0, 1])}" in text
    assert "c_t" in [view.table.horizontalHeaderItem(i).text() for i in range(view.table.columnCount())]
    configure(qtbot, state, cell="gru")
    assert "(1 − z)·n + z·h" in view.text.toPlainText()


# ---------------------------------------------------------------------------- regime and shapes

def test_regime_badge_shows_the_verdict_and_colour(qtbot, state):
    view = make(qtbot, RegimeBadge, state, size=(700, 60))
    written = lambda verdict: verdict.replace("σ_max", "σmax")    # (σ_max is drawn as σ with a subscript)
    assert written(state.regime.verdict) in plain(view.text())
    assert "σ_max" not in plain(view.text())
    configure(qtbot, state, scale_kind="sigma", scale=0.5)
    verdict = state.regime.verdict
    assert verdict.startswith("vanishing") and written(verdict) in plain(view.text())
    assert number(state.regime.sigma_max) in plain(view.text())
    assert "#cfe2f7" in view.label.styleSheet()
    assert html.escape(state.regime.explanation) in view.toolTip()
    configure(qtbot, state, cell="lstm")
    assert "#e3e3e3" in view.label.styleSheet()


def test_the_shapes_panel_gives_x_and_y_the_shapes_the_engine_holds(qtbot, state):
    view = make(qtbot, ShapesPanel, state)
    for task in ("sine", "loudest"):                    # float targets (T, B, O); class indices (T, B)
        configure(qtbot, state, task=task, batch=5, seq_len=9)
        shown = {view.table.item(i, 0).text(): view.table.item(i, 1).text() for i in range(view.table.rowCount())}
        assert shown["x"] == str(state.record.inputs.shape) and shown["y"] == str(state.record.targets.shape), task


def test_shapes_panel_lists_every_tensor(qtbot, state):
    view = make(qtbot, ShapesPanel, state)
    c = state.config
    rows = shapes_table(state.spec, c.batch, c.seq_len)
    assert view.table.rowCount() == len(rows)
    assert view.table.item(0, 1).text() == "(20, 1, 1)"
    configure(qtbot, state, layers=3, batch=4)
    rows = shapes_table(state.spec, 4, state.config.seq_len)
    assert view.table.rowCount() == len(rows)
    shown = [view.table.item(i, 0).text() for i in range(len(rows))]
    assert all(text.endswith(row[0].rsplit(" (", 1)[1]) for text, row in zip(shown, rows) if " (" in row[0])


def test_the_shapes_panel_writes_its_indices_as_subscripts(qtbot, state):
    """W_ih, h_(t−1), c_t as a formula writes them (Wᵢₕ, hₜ₋₁, cₜ), the PyTorch names as PyTorch does."""
    view = make(qtbot, ShapesPanel, state)
    configure(qtbot, state, cell="lstm", layers=2)
    shown = [view.table.item(i, 0).text() for i in range(view.table.rowCount())]
    for text in ("Wᵢₕ (weight_ih_l0)", "Wₕₕ (weight_hh_l1)", "bᵢₕ (bias_ih_l0)", "W = [Wₕₕ Wᵢₕ] (layer 1)",
                 "[hₜ₋₁; xₜ] (layer 0)", "hₜ (layer 1)", "cₜ (layer 0)", "ŷₜ"):
        assert text in shown
    assert not [text for text in shown if re.search(r"_\(|\b[Whbcx]_(ih|hh|t)\b", text)]


# ---------------------------------------------------------------------------- all views together

def test_a_log_axis_writes_all_its_numbers_one_way_and_stacked_axes_fit_the_widest(qtbot):
    """0.01, 5×10⁻³, 2×10⁻³, 0.001 on one axis (decades plain, the 2s and 5s as powers) read as two
    scales; and a left axis whose numbers are 6.4×10⁶ is as wide as they and its label need, with the
    axis stacked above it as wide (the plots still line up)."""
    from PySide6.QtGui import QImage, QPainter
    from explorer.views import style
    canvas = style.layout_widget()
    qtbot.addWidget(canvas)
    log_plot = canvas.addPlot(row=0, col=0)
    style.style_plot(log_plot, "log", left="‖∂L/∂h‖")
    style.log_y(log_plot)
    wide_plot = canvas.addPlot(row=1, col=0)
    style.style_plot(wide_plot, "wide", left="norm")
    log_plot.plot([0, 1], [4e-4, 1.2e-2])
    wide_plot.plot([0, 1], [6.2e6, 6.5e6])
    canvas.resize(500, 700)
    canvas.show()
    qtbot.waitExposed(canvas)
    qtbot.wait(50)
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    drawn = {}
    for name, plot in (("log", log_plot), ("wide", wide_plot)):
        painter = QPainter(image)
        specs = plot.getAxis("left").generateDrawSpecs(painter)
        painter.end()
        drawn[name] = [text for _, _, text in specs[2]]
    assert len(drawn["log"]) >= 3 and all("10" in text for text in drawn["log"]), drawn["log"]
    assert any("10⁶" in text for text in drawn["wide"]), drawn["wide"]
    canvas.grab()
    qtbot.wait(50)
    axes = [plot.getAxis("left") for plot in (log_plot, wide_plot)]
    assert axes[0].width() == axes[1].width()
    axis = axes[1]
    label = axis.label.mapRectToScene(axis.label.boundingRect())
    painter = QPainter(image)
    texts = [axis.mapRectToScene(rect) for rect, _, _ in axis.generateDrawSpecs(painter)[2]]
    painter.end()
    assert all(not label.intersects(text) for text in texts), (label, texts)
