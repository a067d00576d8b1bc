"""The LSTM's cell-state path in the unrolled graph, in the real window: a c row under each layer's
h row (one node a step, its edges coloured by ‖∂L/∂c_t‖ as recorded), the ∏f ribbons and labels
the engine's numbers, none of it for the RNN; at large T as bands, in presentation mode, and a click
on a c node selects its step and layer."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

import pyqtgraph  # noqa: E402,F401  (after PySide6)

from explorer.notation import number  # noqa: E402
from explorer.views import graph as graph_module, graph_detail, style  # noqa: E402
from qt_clicks import click_plot  # noqa: E402
from test_graph_detail import configure  # noqa: E402
from test_presentation import present  # noqa: E402
from test_window import settle  # noqa: E402

C_KIND = graph_module.NODE_KINDS.index("c")


def c_nodes(graph):
    return np.flatnonzero(graph.node_kind == C_KIND)


def recorded_cell_gradient(record, layer):
    """‖∂L/∂c_t‖ over the batch and the units, from the recording itself."""
    return np.sqrt(np.sum(record.dc[layer] ** 2, axis=(1, 2)))


def test_an_lstm_has_a_c_row_per_layer_coloured_by_its_recorded_gradient(qtbot, window):
    T, L = 7, 2
    configure(qtbot, window, cell="lstm", seq_len=T, layers=L, task="sine", batch=3)
    graph, state = window.views["GraphView"], window.state
    r = state.record
    nodes = c_nodes(graph)
    assert nodes.size == T * L
    for layer in range(L):                                    # c under its layer's h, one node a step
        row = graph.row_of("c", layer)
        mine = nodes[graph.node_row[nodes] == row]
        assert np.array_equal(np.sort(graph.node_t[mine]), np.arange(T))
        assert row == graph.row_of("h", layer) - 1
    ticks = [text for _, text in graph.plot.getAxis("left")._tickLevels[0]]
    assert ticks == ["xₜ", "cₜ⁽⁰⁾  (∏f)", "hₜ⁽⁰⁾", "cₜ⁽¹⁾  (∏f)", "hₜ⁽¹⁾", "ŷₜ", "Lₜ"]
    # the edges c_{t−1} → c_t carry ‖∂L/∂c_{t−1}‖ as recorded
    mags = graph.edge_magnitudes()
    for layer in range(L):
        along = (graph.e_r0 == graph.row_of("c", layer)) & (graph.e_r1 == graph.e_r0)
        assert along.sum() == T - 1
        assert np.allclose(mags[along], recorded_cell_gradient(r, layer)[graph.e_t0[along]], rtol=1e-12, atol=0)
    assert graph.drawn_edge_count() == graph.e_kind.size        # all drawn, one by one
    # the ribbons: ±CAROUSEL_HALF_WIDTH × the engine's ∏f of every step up to the loss at T − 1
    for layer in range(L):
        for ribbon, product in enumerate([state.result.forget_product_best, state.result.forget_product]):
            steps, width = graph.carousel_widths(layer, ribbon)
            assert np.array_equal(steps, np.arange(T))
            np.testing.assert_allclose(width, graph_module.CAROUSEL_HALF_WIDTH * product[layer], rtol=1e-12)
        assert width[-1] == pytest.approx(graph_module.CAROUSEL_HALF_WIDTH)   # ∏f = 1 at the loss step


def test_zoomed_in_each_c_node_is_labelled_with_its_forget_product(qtbot, window):
    configure(qtbot, window, cell="lstm", seq_len=12, layers=1, task="sine", batch=2)
    graph, state = window.views["GraphView"], window.state
    window.resize(1920, 1080)
    settle(qtbot, window)
    graph.plot.getViewBox().setXRange(4.6, 7.4, padding=0)
    qtbot.waitUntil(lambda: any(text.startswith("∏f") for text in graph.value_label_texts()), timeout=3000)
    texts = graph.value_label_texts()
    best = state.result.forget_product_best[0]
    for t in (5, 6, 7):
        assert f"∏f = {number(best[t], 3)}" in texts, texts
    assert any(text.startswith("h = ") for text in texts)          # the h row keeps its own labels


def test_the_rnn_graph_has_no_cell_row(qtbot, window):
    configure(qtbot, window, cell="lstm", seq_len=9, layers=2)
    graph = window.views["GraphView"]
    assert c_nodes(graph).size == 18
    configure(qtbot, window, cell="rnn")
    assert c_nodes(graph).size == 0 and graph.c_rows.size == 0
    assert graph.node_count() == 9 * (2 + 2) + 1                  # x, two h rows, ŷ; the loss at the last step
    assert not any(item.isVisible() for ribbons in graph.carousels for ribbon in ribbons for item in ribbon)
    assert not any("c" in text for _, text in graph.plot.getAxis("left")._tickLevels[0])


def test_while_stepping_forward_the_product_waits_for_the_loss_step(qtbot, window):
    configure(qtbot, window, cell="lstm", seq_len=6, layers=1)        # delayed recall: the loss at t = 5
    graph, state = window.views["GraphView"], window.state
    state.reset_pass()
    for _ in range(3):
        state.step_forward()
    assert graph.carousel_widths(0)[0].size == 0                      # f₅ not computed: ∏f not known
    assert not graph.node_labelled[c_nodes(graph)].any()
    while not state.result.forward_complete:
        state.step_forward()
    steps, _ = graph.carousel_widths(0)
    assert np.array_equal(steps, np.arange(6))


def test_a_click_on_a_c_node_selects_its_step_and_layer_and_rings_it(qtbot, window):
    configure(qtbot, window, cell="lstm", seq_len=10, layers=2)
    graph, state = window.views["GraphView"], window.state
    x, y = graph.node_position(6, graph.row_of("c", 1))
    click_plot(qtbot, graph.canvas, graph.plot, x, y)
    assert (state.selection.step, state.selection.layer) == (6, 1)
    assert graph.marker.data["x"][0] == 6 and graph.marker.data["y"][0] == graph.row_of("c", 1)
    inspector = window.views["InspectorView"]
    window.docks["InspectorView"].raise_()
    qtbot.waitUntil(lambda: not inspector.visibleRegion().isEmpty(), timeout=2000)
    inspector.refresh()
    c = state.record.c[1, 6, 0, state.selection.unit]
    assert f"c<sub>6</sub>[{state.selection.unit}]" in inspector.html() and number(c) in inspector.html()
    x, y = graph.node_position(6, graph.row_of("h", 1))                 # the same step and layer's h
    click_plot(qtbot, graph.canvas, graph.plot, x, y)
    assert graph.marker.data["y"][0] == graph.row_of("h", 1)


def test_rolled_the_c_row_has_its_loop_and_its_numbers(qtbot, window):
    configure(qtbot, window, cell="lstm", seq_len=8, layers=2, task="sine")
    graph, state = window.views["GraphView"], window.state
    state.select(step=3, unit=1)
    graph.rolled_box.setChecked(True)
    assert sum(loop.isVisible() for loop in graph.loops) == 4         # h and c of two layers
    texts = graph.value_label_texts()
    c = style.subscript("c", 3)
    assert f"{c}[1] = {number(state.record.c[0, 3, 0, 1])}" in " ".join(texts)
    assert f"∏f = {number(state.result.forget_product[1, 3])}" in " ".join(texts)
    graph.rolled_box.setChecked(False)
    assert graph.carousel_widths(0)[0].size == 8


def test_at_large_T_the_c_rows_are_bands_of_the_recorded_cell_gradient(qtbot, window):
    configure(qtbot, window, cell="lstm", seq_len=1000, layers=2, task="sine", hidden=4)
    graph, state = window.views["GraphView"], window.state
    assert graph.band_mode() and graph.drawn_edge_count() == 0
    k = graph.bands.k
    r = state.record
    for layer in range(2):
        values = recorded_cell_gradient(r, layer)
        expected = [np.max(values[i:i + k]) for i in range(0, 1000, k)]
        assert np.allclose(graph.bands.columns[f"c{layer}"], expected, rtol=1e-12, atol=0)
        assert f"c{layer}→h{layer}" in graph.bands.columns and f"h{layer}" in graph.bands.columns
    assert "x→c0" in graph.bands.columns and "h0→c1" in graph.bands.columns
    steps, _ = graph.carousel_widths(1)
    assert np.array_equal(steps, np.arange(1000))                    # the ribbon at every step (a loss at each)
    graph.plot.getViewBox().setXRange(400, 420, padding=0)          # zoomed in: nodes again, c among them
    assert not graph.band_mode()
    shown = graph.nodes.data["data"].astype(int)
    assert np.count_nonzero(graph.node_kind[shown] == C_KIND) >= 2 * 21


def test_presentation_mode_draws_the_c_rows(qtbot, window):
    configure(qtbot, window, cell="lstm", seq_len=16, layers=2, task="adding")   # (20 steps in half of 800 px: bands)
    graph = window.views["GraphView"]
    present(qtbot, window, (1280, 800))
    settle(qtbot, window)
    assert window.presentation.presenting and graph.isVisible()
    assert c_nodes(graph).size == 32 and graph.drawn_node_count() == graph.node_count()
    image = graph.grab().toImage()
    assert not image.isNull()
    green = graph_module.CAROUSEL_FILLS[0][:3]
    y = graph.plot.getViewBox().mapViewToScene(pyqtgraph.Point(14.5, graph.row_of("c", 1) + 0.15))
    pixel = graph.canvas.mapFromScene(y)
    pixel = graph.canvas.mapTo(graph, pixel)
    colour = image.pixelColor(pixel.x(), pixel.y())
    white = np.array([255, 255, 255])
    # the ribbon (translucent green over white) between the last two steps, where ∏f is largest
    tint = np.array([colour.red(), colour.green(), colour.blue()])
    assert tint[1] > tint[0] and tint[1] > tint[2] and not np.array_equal(tint, white), (tint, green)
    assert graph_detail.band_mode(graph._px_per_step()) is False
