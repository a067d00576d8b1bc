"""The unrolled graph's edge labels and input edges, on the real window (issue #9): the weight names
W_hh, W_ih and W_hy stay legible and apart when the rows are squeezed, W_hh is named at step 0 while a
recurrent edge is drawn, and a one-to-many task's input edges are coloured only where it has an input."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from test_presentation import default_look, present  # noqa: E402,F401  (default_look: autouse: the look and
#                                                       the application's fonts back to their defaults)
from test_window import settle  # noqa: E402


def open_step(qtbot, window, lesson, index):
    """A lesson's step ``index`` (0 is the first), run as a user arriving there would see it."""
    runner = window.open_lesson(lesson, index, run=False)
    assert runner.run_through(index)
    settle(qtbot, window)
    qtbot.wait(50)


def name_rects(graph):
    """The drawn weight names' boxes on the screen, by name ("Whh", "Wih", "Why")."""
    rects = {}
    for label in graph._weight_texts:
        if label.isVisible():
            rects.setdefault(label.textItem.toPlainText(), []).append(
                label.textItem.mapRectToScene(label.textItem.boundingRect()))
    return rects


def node_rects(graph):
    """The drawn nodes' boxes on the screen (the symbol's size about its centre)."""
    vb = graph.plot.getViewBox()
    size = node_sizes(graph)
    out = []
    for x, y, s in zip(graph.nodes.data["x"], graph.nodes.data["y"], size):
        centre = vb.mapViewToScene(pg_point(x, y))
        out.append((centre.x() - s / 2, centre.y() - s / 2, centre.x() + s / 2, centre.y() + s / 2))
    return out


def node_sizes(graph):
    """The drawn nodes' sizes in px (a node without a size of its own is drawn at the item's)."""
    size = graph.nodes.data["size"]
    return np.where(size < 0, graph.nodes.opts["size"], size)


def pg_point(x, y):
    from PySide6.QtCore import QPointF
    return QPointF(float(x), float(y))


def overlaps(rect, box):
    left, top, right, bottom = box
    return rect.left() < right and rect.right() > left and rect.top() < bottom and rect.bottom() > top


@pytest.mark.parametrize("presenting", [False, True], ids=["1280x800", "presenting-1024x768"])
def test_shared_weights_names_stand_apart_from_each_other_and_the_nodes(qtbot, window, presenting):
    """Shared weights, step 1, at 1280×800 and presenting at 1024×768 (rows squeezed): W_hh, W_ih and
    W_hy are all drawn, no two names' boxes meet and none covers a node."""
    if presenting:
        present(qtbot, window, (1024, 768))
    open_step(qtbot, window, "shared-weights", 0)
    graph = window.views["GraphView"]
    rects = name_rects(graph)
    assert {"Whh", "Wih", "Why"} <= set(rects), rects
    every = [(name, rect) for name, found in rects.items() for rect in found]
    for i, (name, rect) in enumerate(every):
        for other, rect2 in every[i + 1:]:
            assert not rect.intersects(rect2), (name, rect, other, rect2)
        hit = [box for box in node_rects(graph) if overlaps(rect, box)]
        assert not hit, (name, rect, hit)


@pytest.mark.parametrize("presenting", [False, True], ids=["1280x800", "presenting-1024x768"])
def test_w_hh_is_hung_from_the_recurrent_edge_it_names(qtbot, window, presenting):
    """Shared weights, step 1 (large nodes, steps barely wider than a name when presenting at 1024):
    W_hh stands between two h nodes, under or over the h row, and where it is further from the
    h → h edge than from the x → h edges beside it, a leader runs from the name to the edge's line.
    (Half a row under the h row without one, it stood between two x → h edges and read as W_ih.)"""
    if presenting:
        present(qtbot, window, (1024, 768))
    open_step(qtbot, window, "shared-weights", 0)
    graph = window.views["GraphView"]
    vb = graph.plot.getViewBox()
    (rect,) = name_rects(graph)["Whh"]
    h_row = vb.mapViewToScene(pg_point(0, graph.h_rows[0])).y()
    columns = sorted({round(vb.mapViewToScene(pg_point(t, 0)).x(), 1) for t in graph.nodes.data["x"]})
    left = max(x for x in columns if x < rect.center().x())
    right = min(x for x in columns if x > rect.center().x())
    assert abs(rect.center().x() - (left + right) / 2) < 1.0          # centred between two steps
    near_edge = rect.top() if rect.center().y() > h_row else rect.bottom()   # (scene y runs down)
    from_row = abs(near_edge - h_row)
    from_columns = min(rect.left() - left, right - rect.right())
    xs, ys = graph.weight_leaders.getData()
    leaders = [(vb.mapViewToScene(pg_point(xs[i], ys[i])), vb.mapViewToScene(pg_point(xs[i + 1], ys[i + 1])))
               for i in range(0, 0 if xs is None else len(xs), 2)]
    if from_row > from_columns:
        assert any(abs(a.x() - rect.center().x()) < 1.0 and {round(a.y()), round(b.y())} ==
                   {round(near_edge), round(h_row)} for a, b in leaders), (rect, h_row, leaders)
    assert from_row < 0.35 * abs(h_row - vb.mapViewToScene(pg_point(0, 0)).y())   # nearer h than x


def test_w_hh_is_named_at_step_0_presenting_at_1920(qtbot, window):
    """Presenting at 1920×1080 the lesson opens at step 0, which has no recurrent edge into it: W_hh is
    still named, on a recurrent edge drawn in view."""
    present(qtbot, window, (1920, 1080))
    open_step(qtbot, window, "shared-weights", 0)
    graph = window.views["GraphView"]
    assert window.state.selection.step == 0
    assert "Whh" in name_rects(graph), name_rects(graph)


def test_one_to_many_input_edges_are_coloured_only_where_there_is_an_input(qtbot, window):
    """Architectures, step 3 (one-to-many: sine from one input): the x → h edges carry a colour only at
    the steps where the task's batch has an input; elsewhere they are drawn thin grey, as many-to-one
    draws the output edges of its steps without a loss."""
    open_step(qtbot, window, "architectures", 2)
    graph, record = window.views["GraphView"], window.state.record
    assert window.state.task.name == "sine_from_one"
    has_input = np.any(np.asarray(record.inputs) != 0, axis=(1, 2))        # the task's own inputs
    assert 0 < has_input.sum() < has_input.size, has_input
    x_row = graph.row_of("x")
    coloured = set()
    for item in graph.edge_bins:                       # the edges drawn in a colour of the scale
        if item.isVisible() and item.xData is not None:
            x, y = item.xData.reshape(-1, 2), item.yData.reshape(-1, 2)
            coloured |= {int(a) for (a, _), (ya, _) in zip(x, y) if ya == x_row}
    grey = graph.idle_edges
    x, y = grey.xData.reshape(-1, 2), grey.yData.reshape(-1, 2)
    greyed = {int(a) for (a, _), (ya, _) in zip(x, y) if ya == x_row}
    assert coloured == set(np.flatnonzero(has_input)), (coloured, has_input)
    assert greyed == set(np.flatnonzero(~has_input)), (greyed, has_input)


@pytest.mark.parametrize("presenting", [False, True], ids=["1280x800", "presenting-1024x768"])
def test_no_edge_is_wider_than_the_nodes_it_joins(qtbot, window, presenting):
    """The demo's graph (T = 20, every step a node) at 1280×800 and presenting at 1024×768, where the
    graph is narrowest and lines are drawn thicker: the widest edge a gradient can draw is narrower
    than the nodes, so no node is hidden under its edges."""
    if presenting:
        present(qtbot, window, (1024, 768))
    settle(qtbot, window)
    graph = window.views["GraphView"]
    assert graph.drawn_node_count() > 0 and not graph.band_mode()
    widest = max(item.opts["pen"].widthF() for item in graph.edge_bins)
    smallest = min(node_sizes(graph))
    assert widest < smallest, (widest, smallest)


def test_presenting_60_steps_the_h_row_shows_the_gradient_fade(qtbot, window):
    """Vanishing gradients, step 1, presenting at 1920×1080: 60 steps in half the width. The text says
    the edges fade from right to left; drawn one node a step, the h → h edges were 1–2 px of colour
    between node dots and the row read as one colour. The h row is a band: light at step 5, where
    ‖∂L/∂h₅‖ ≈ 10⁻¹⁷, dark at step 55, near the loss."""
    present(qtbot, window, (1920, 1080))
    open_step(qtbot, window, "vanishing", 0)
    graph = window.views["GraphView"]
    assert graph.band_mode()
    image = graph.grab().toImage()
    vb = graph.plot.getViewBox()

    def lightness(step):
        scene = vb.mapViewToScene(pg_point(step, graph.h_rows[0] + 0.1))
        pixel = graph.canvas.mapTo(graph, graph.canvas.mapFromScene(scene))
        colour = image.pixelColor(pixel.x(), pixel.y())
        return (colour.red() + colour.green() + colour.blue()) / (3 * 255)

    assert lightness(5) - lightness(55) > 0.4, (lightness(5), lightness(55))
