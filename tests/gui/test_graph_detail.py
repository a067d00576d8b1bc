"""The unrolled graph at every sequence length, driven through the real window: bands instead of a
solid block at large T (bounded drawing, the session's numbers decimated per pixel column), wheel zoom
with a hint, the view following the step cursor, named value labels and subscripts."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QWheelEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import pyqtgraph  # noqa: E402,F401  (after PySide6)

from explorer.notation import number  # noqa: E402
from explorer.views import graph_detail  # noqa: E402
from explorer.views.graph_names import WEIGHT_LABEL_MIN_PX  # noqa: E402
from qt_clicks import click_plot  # noqa: E402
from test_window import settle  # noqa: E402

MAX_DRAWN = 3000      # nodes or edges drawn one by one, whatever T is


def configure(qtbot, window, **changes):
    assert window.state.set_config(**changes)
    settle(qtbot, window)


def x_range(graph):
    return graph.plot.getViewBox().viewRange()[0]


def wheel(qtbot, graph, x_fraction, notches):
    """A real wheel turn over the graph, at ``x_fraction`` of the plot's width (positive: zoom in)."""
    vb = graph.plot.getViewBox()
    rect = vb.sceneBoundingRect()
    scene = QPointF(rect.left() + x_fraction * rect.width(), rect.center().y())
    pos = QPointF(graph.canvas.mapFromScene(scene))
    global_pos = QPointF(graph.canvas.viewport().mapToGlobal(pos.toPoint()))
    event = QWheelEvent(pos, global_pos, QPoint(0, 0), QPoint(0, 120 * notches), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(graph.canvas.viewport(), event)
    qtbot.wait(10)


def press_right(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window, Qt.Key.Key_Right)


# ---------------------------------------------------------------------------- level of detail

def test_every_length_and_depth_draws_a_bounded_readable_graph(qtbot, window):
    graph = window.views["GraphView"]
    for T, L in [(5, 1), (20, 4), (60, 2), (200, 1), (500, 3), (1000, 4), (1000, 1)]:
        configure(qtbot, window, seq_len=T, layers=L)
        px = graph._px_per_step()
        assert graph.band_mode() == (px < graph_detail.DETAIL_MIN_PX), (T, L)
        assert graph.drawn_node_count() <= MAX_DRAWN and graph.drawn_edge_count() <= MAX_DRAWN, (T, L)
        assert len(graph.plot.getAxis("left")._tickLevels[0]) == L + 3
        if graph.band_mode():
            assert graph.bands.isVisible() and graph.drawn_edge_count() == 0
            assert graph.cursor_line.isVisible()
        else:                                   # the whole sequence in view: every node and edge
            assert not graph.bands.isVisible()
            assert graph.drawn_node_count() == graph.node_count()
            assert graph.drawn_edge_count() == graph.e_kind.size
    assert graph.band_mode(), "T = 1000 has far fewer pixels than steps"


def test_at_T_1000_the_bands_are_the_per_column_max_of_the_sessions_gradients(qtbot, window):
    configure(qtbot, window, seq_len=1000, layers=2, task="sine")
    graph = window.views["GraphView"]
    result = window.state.result
    k = graph.bands.k
    assert k > 1 and graph.bands.image.image.shape[1] == -(-1000 // k)   # decimated to about a pixel a column
    assert graph.bands.image.image.shape[1] <= graph.plot.getViewBox().width()
    for layer in range(2):
        values = np.where(result.visited, result.dh_norm_batch[layer], np.nan)
        expected = [np.max(values[i:i + k]) for i in range(0, 1000, k)]
        assert np.allclose(graph.bands.columns[f"h{layer}"], expected, rtol=0, atol=0)
    expected = [np.max(result.dyhat_norm_batch[i:i + k]) for i in range(0, 1000, k)]
    assert np.allclose(graph.bands.columns["h→ŷ"], expected, rtol=0, atol=0)
    assert graph.drawn_node_count() <= graph.bands.image.image.shape[1]   # the loss nodes, one a column
    # each column is drawn in the colour bar's colour of its value
    lo, hi = graph.bar.levels()
    peak = graph.bands.columns["h0"]
    row = int((1.0 - graph_detail.GAP_BAND[0]) * graph_detail.BAND_ROWS_PER_UNIT)   # y = 1: layer 0's row
    lut = graph._cmap.getLookupTable(0.0, 1.0, graph_detail.LUT_SIZE, alpha=True)
    index = np.clip(np.round((np.log10(peak) - lo) / (hi - lo) * (graph_detail.LUT_SIZE - 1)), 0, 255).astype(int)
    assert np.array_equal(graph.bands.image.image[row], lut[index])


def test_a_click_on_a_band_selects_that_step_and_layer(qtbot, window):
    configure(qtbot, window, seq_len=1000, layers=2)
    graph = window.views["GraphView"]
    click_plot(qtbot, graph.canvas, graph.plot, 612, 2)
    sel = window.state.selection
    assert abs(sel.step - 612) <= 2 * graph.bands.k and sel.layer == 1
    assert graph.cursor_line.value() == sel.step and f"t = {sel.step}" in graph.cursor_line.label.toPlainText()


# ---------------------------------------------------------------------------- zoom, hint, following the cursor

def test_wheel_zoom_shows_a_hint_and_the_view_follows_the_step_cursor(qtbot, window):
    configure(qtbot, window, seq_len=300)
    graph = window.views["GraphView"]
    assert "wheel to zoom" in graph.hint_text()
    label = graph.plot.getAxis("bottom").label
    assert label.isVisible()
    axis_rect = graph.plot.getAxis("bottom").sceneBoundingRect()
    shown = label.mapRectToScene(label.boundingRect())
    assert axis_rect.left() - 1 <= shown.left() and shown.right() <= axis_rect.right() + 1   # not clipped
    window.actions["reset"].trigger()
    wheel(qtbot, graph, 0.05, 8)
    x0, x1 = x_range(graph)
    assert x1 - x0 < 60, "the wheel zooms the time axis"
    assert "double-click" in graph.hint_text()          # (with the steps shown, where there is room)
    width = x1 - x0
    press_right(qtbot, window)
    if window.state.result.forward_done == 0:
        pytest.skip("this platform plugin does not deliver shortcuts off screen")
    moved = False
    for _ in range(int(x1) + 5):
        press_right(qtbot, window)
        step = window.state.selection.step
        a, b = x_range(graph)
        assert a <= step <= b, (step, a, b)                       # the cursor never leaves the view
        moved = moved or a > x0 + 1
    assert window.state.selection.step > x1 and moved
    a, b = x_range(graph)
    assert b - a == pytest.approx(width), "still zoomed: the view moved, it did not refit"
    # a double-click shows every step again
    centre = graph.plot.getViewBox().sceneBoundingRect().center()
    pos = graph.canvas.mapFromScene(centre)
    qtbot.mouseClick(graph.canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos)    # a double-click: a click,
    qtbot.mouseDClick(graph.canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos)   # the second press
    qtbot.mouseRelease(graph.canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos)  # and its release
    qtbot.waitUntil(lambda: not graph_detail.is_zoomed(*x_range(graph), 300), timeout=2000)
    assert "wheel to zoom" in graph.hint_text()


def test_zoomed_into_a_long_sequence_the_nodes_in_view_are_drawn(qtbot, window):
    configure(qtbot, window, seq_len=1000)
    graph = window.views["GraphView"]
    graph.plot.getViewBox().setXRange(400, 420, padding=0)
    assert not graph.band_mode()
    shown = graph.nodes.data["data"].astype(int)
    steps = graph.node_t[shown]
    assert steps.min() <= 400 and steps.max() >= 420                  # everything in view…
    assert graph.drawn_node_count() < 0.2 * graph.node_count()        # …and not the whole sequence
    window.state.select(step=700)                                     # a jump: the view follows
    a, b = x_range(graph)
    assert a <= 700 <= b and b - a == pytest.approx(20)
    assert graph.node_t[graph.nodes.data["data"].astype(int)].max() >= b


# ---------------------------------------------------------------------------- labels

def test_value_labels_say_what_they_are(qtbot, window):
    configure(qtbot, window, seq_len=20, layers=1)
    graph, state = window.views["GraphView"], window.state
    graph.plot.getViewBox().setXRange(4.6, 7.4, padding=0)
    qtbot.waitUntil(lambda: bool(graph.value_label_texts()), timeout=2000)
    texts = graph.value_label_texts()
    assert all(re.match(r"^(x|h|ŷ|ℓ) = ", text) for text in texts), texts
    u = state.selection.unit
    assert f"h = {number(state.record.h[0, 6, 0, u], 3)}" in texts
    window.resize(1920, 1080)                                       # further in, and taller: the gradients too
    settle(qtbot, window)
    graph.plot.getViewBox().setXRange(4.7, 6.6, padding=0)
    if graph._px_per_step() / graph._text_scale() < graph_detail.GRADIENT_LABEL_MIN_PX or not graph._rows_fit(2):
        pytest.skip("the window is too small here for the gradient labels")
    texts = graph.gradient_label_texts()
    assert f"‖∂L/∂h₅‖ = {number(state.result.dh_norm_batch[0, 5], 3)}" in texts, texts


def test_a_text_tasks_nodes_are_labelled_with_the_letters_read_and_predicted(qtbot, window):
    configure(qtbot, window, task="alphabet_forward", seq_len=12, layers=1, hidden=8)
    graph, state = window.views["GraphView"], window.state
    graph.plot.getViewBox().setXRange(4.8, 7.2, padding=0)      # (room for "h = −0.473")
    qtbot.waitUntil(lambda: bool(graph.value_label_texts()), timeout=2000)
    texts = graph.value_label_texts()
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    read = letters[int(np.argmax(state.record.inputs[6, 0]))]            # the batch's own one-hot input
    predicted = letters[int(np.argmax(state.record.yhat[6, 0]))]
    assert f"x = {read}" in texts and f"ŷ = {predicted}" in texts, texts
    assert not any("#" in text for text in texts)


def test_weights_and_rows_are_named_with_real_subscripts(qtbot, window):
    configure(qtbot, window, seq_len=3, task="sine", layers=2)
    graph = window.views["GraphView"]
    window.state.select(step=1)
    names = graph.weight_label_texts()
    assert {"Wih", "Whh", "Why"} <= set(names), names               # W with the subscript as rich text
    assert all("<sub>" in label._explorer_text for label in graph._weight_texts if label.isVisible())
    ticks = [text for _, text in graph.plot.getAxis("left")._tickLevels[0]]
    assert ticks == ["xₜ", "hₜ⁽⁰⁾", "hₜ⁽¹⁾", "ŷₜ", "Lₜ"]
    assert not any("_" in text for text in ticks + names + graph.value_label_texts())


@pytest.mark.parametrize("seq_len", [5, 8])
def test_at_step_0_every_weight_is_named_inside_the_plot(qtbot, window, seq_len):
    """The default selection is step 0: W_ih, W_hh and W_hy are all named (the lesson "One W_hh, T uses
    of it" opens there), none past the plot's left edge (they read "Vhy", "Vih" there), also where
    steps are closer than the names' usual room (T = 8 in the window's graph)."""
    configure(qtbot, window, seq_len=seq_len, task="sine", layers=1)
    graph = window.views["GraphView"]
    window.state.select(step=0)
    qtbot.wait(20)
    assert (graph._px_per_step() / graph._text_scale() < WEIGHT_LABEL_MIN_PX) == (seq_len == 8)
    assert {"Wih", "Whh", "Why"} <= set(graph.weight_label_texts()), graph.weight_label_texts()
    box = graph.plot.getViewBox().sceneBoundingRect()
    for label in graph._weight_texts:
        if label.isVisible():
            text = label.textItem.mapRectToScene(label.textItem.boundingRect())
            assert box.left() - 0.5 <= text.left() and text.right() <= box.right() + 0.5, label._explorer_text


def test_among_the_bands_each_named_row_is_thicker_than_the_edges_between_rows(qtbot, window):
    """Four layers drawn as bands (as stacking's T = 30 is in a narrow graph): nine bands, six names;
    the rows the axis names (h⁽ˡ⁾, along time) are thicker than the bands of the edges joining
    two rows, so the named ones read as the rows (they were as thick as each other)."""
    configure(qtbot, window, seq_len=1000, layers=4)
    graph = window.views["GraphView"]
    assert graph.band_mode()
    strips = {name: y1 - y0 for name, y0, y1, *_ in graph.band_strips()}
    rows = [strips[f"h{layer}"] for layer in range(4)]
    between = [height for name, height in strips.items() if "→" in name]
    assert min(rows) > 1.5 * max(between), strips
