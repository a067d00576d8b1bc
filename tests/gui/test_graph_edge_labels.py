"""The unrolled graph's edge labels and input edges, on the real window (issue #9): the weight names
W_hh, W_ih and W_hy stay legible and apart when the rows are squeezed, W_hh is named at step 0 while a
recurrent edge is drawn, and a one-to-many task's input edges are coloured only where it has an input."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from explorer.views import style  # noqa: E402
from test_presentation import present  # noqa: E402
from test_window import settle  # noqa: E402


@pytest.fixture(autouse=True)
def default_look():
    """Every test ends at the default look (presenting changes the application's text size)."""
    yield
    style.LOOK.__init__()


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
