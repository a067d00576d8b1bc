"""At the projector (issue #9): the step-Jacobian strip of the gradient-flow view labels two values
that do not overlap when presenting at 1280 × 800 and 1024 × 768 (lesson "vanishing", step 2, is
about that strip), and the Clipping view's legend (lesson "exploding", step 4) stays whole and
leaves its plot most of the canvas."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from test_presentation import default_look, present  # noqa: E402,F401  (default_look: autouse)
from test_legibility import drawn_numbers  # noqa: E402
from test_window import settle  # noqa: E402

LEGEND_AREA_SHARE = 0.3      # the legend covers at most this share of the Clipping view's canvas
LEGEND_HEIGHT_SHARE = 0.35   # and, above the plot, this share of its height (it was about half)
PLOT_HEIGHT_SHARE = 0.4      # the plot's data box keeps at least this share of the canvas's height


def show_view(qtbot, window, name):
    window.docks[name].show()
    window.docks[name].raise_()
    view = window.views[name]
    qtbot.waitUntil(view.isVisible, timeout=5000)
    window.grab()                                          # (laid out and painted)
    qtbot.wait(50)
    return view


def open_at(qtbot, window, lesson, step, size, presenting):
    """The lesson's step run first, then the window presented (or resized) at ``size``: the order
    of ``main.py --lesson … --presentation --size …``."""
    window.open_lesson(lesson, 0, run=False).run_through(step - 1)
    settle(qtbot, window)
    if presenting:
        present(qtbot, window, size)
    else:
        window.resize(*size)
        qtbot.waitUntil(lambda: window.size().toTuple() == size)
    settle(qtbot, window)


@pytest.mark.parametrize("size", [(1280, 800), (1024, 768)])
def test_presenting_the_step_jacobian_strip_labels_two_values_apart(qtbot, window, size):
    open_at(qtbot, window, "vanishing", 2, size, presenting=True)
    flow = show_view(qtbot, window, "GradientFlowView")
    axis = flow.jac_plot.getAxis("left")
    numbers = drawn_numbers(axis)
    assert len(numbers) >= 2, (numbers, flow.jac_plot.getViewBox().height())
    rects = sorted(numbers.values(), key=lambda rect: rect.top())
    assert all(a.bottom() <= b.top() for a, b in zip(rects, rects[1:])), rects        # none over another
    low, high = flow.jac_plot.getViewBox().viewRange()[1]
    values = [float(text.replace("−", "-")) for text in numbers]
    assert all(low <= v <= high for v in values), (values, low, high)
    norms = flow.state.result.jacobian_norms[flow.state.selection.layer]
    assert low < norms.min() and norms.max() < high                                    # every norm in view
    for plot in (flow.norm_plot, flow.jac_plot, flow.sens_plot):                       # no strip squeezed
        assert plot.height() >= plot.minimumHeight() - 1


def clipping_layout(view):
    """(canvas, legend, plot's data box) in scene coordinates."""
    canvas = view.canvas.mapToScene(view.canvas.viewport().rect()).boundingRect()
    legend = view.legend.mapRectToScene(view.legend.boundingRect())
    return canvas, legend, view.plot.getViewBox().sceneBoundingRect()


@pytest.mark.parametrize("size, presenting", [((1024, 768), True), ((1280, 800), True), ((1920, 1080), True),
                                              ((1920, 1080), False), ((1280, 800), False)])
def test_the_clipping_legend_is_whole_and_leaves_the_plot_most_of_its_canvas(qtbot, window, size, presenting):
    open_at(qtbot, window, "exploding", 4, size, presenting)
    view = show_view(qtbot, window, "ClippingView")
    canvas, legend, box = clipping_layout(view)
    texts = [label.text for _, label in view.legend.items]
    assert len(texts) == 3 and texts[0].startswith("A: value clipping") and texts[1].startswith("B: norm clipping")
    assert canvas.contains(legend), (canvas, legend)                                   # whole: nothing cut
    for _, label in view.legend.items:                                                 # each entry whole too
        assert canvas.contains(label.mapRectToScene(label.boundingRect())), label.text
    assert not legend.intersects(box), (legend, box)                                   # it covers no data
    above = legend.bottom() <= box.top() + 1
    if presenting:                              # (a short wide dock lists it beside the plot, its height kept)
        assert legend.width() * legend.height() <= LEGEND_AREA_SHARE * canvas.width() * canvas.height(), \
            (legend, canvas)
    if above:
        assert legend.height() <= LEGEND_HEIGHT_SHARE * canvas.height(), (legend, canvas)
        assert box.height() >= PLOT_HEIGHT_SHARE * canvas.height(), (box, canvas)


@pytest.mark.parametrize("size", [(1280, 800), (1920, 1080)])
def test_the_sensitivity_colour_bar_is_as_high_as_its_image_and_its_end_numbers_are_inside(qtbot, window, size):
    """The colour bar beside the sensitivity matrix spans the image (not the row with the plot's
    axis under it), so its lowest number is not cut by the canvas's foot."""
    window.resize(*size)
    settle(qtbot, window)
    qtbot.wait(50)
    view = window.views["GradientFlowView"]
    bar, image = view.sens_bar, view.sens_plot.getViewBox().sceneBoundingRect()
    assert bar.isVisible()
    spanned = bar.getViewBox().sceneBoundingRect()
    assert abs(spanned.top() - image.top()) <= 2 and abs(spanned.bottom() - image.bottom()) <= 2, (spanned, image)
    canvas = view.canvas.mapToScene(view.canvas.viewport().rect()).boundingRect()
    assert canvas.contains(bar.axis.sceneBoundingRect()), (bar.axis.sceneBoundingRect(), canvas)
