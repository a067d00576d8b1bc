"""A sensitivity matrix with one loss row (delayed recall: the loss at the last step) is a strip one
row high: the label up its side fits in it (written "loss step t", it was cut to "oss step"; one
row has no room for three words), its title keeps clear of the colour bar's label beside it (presenting
at 1024 × 768 under truncation, "(full BPTT)" ran into "log₁₀ S"), and a matrix of many rows says
what its rows are."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from test_presentation import default_look, present  # noqa: E402,F401  (the fixture resets the look)
from test_window import settle  # noqa: E402


def label_fits(view) -> bool:
    axis = view.sens_plot.getAxis("left")
    label = axis.label.mapRectToScene(axis.label.boundingRect())
    return axis.label.isVisible() and label.height() <= axis.sceneBoundingRect().height()


@pytest.mark.parametrize("size, presenting", [((1280, 800), False), ((1024, 768), True)])
def test_a_one_row_strips_label_fits_up_its_side(qtbot, window, size, presenting):
    if presenting:
        present(qtbot, window, size)
    else:
        window.resize(*size)
    window.open_lesson("first-look", 0)
    settle(qtbot, window)
    qtbot.wait(50)
    view = window.views["GradientFlowView"]
    first, last = view._loss_rows()
    assert first == last                              # (one loss row: the strip)
    assert label_fits(view)


def test_a_matrix_of_many_loss_rows_names_them(qtbot, window):
    assert window.state.set_config(task="sine")       # a loss at every step
    settle(qtbot, window)
    view = window.views["GradientFlowView"]
    assert "loss step" in view.sens_plot.getAxis("left").labelText


@pytest.mark.parametrize("size, presenting", [((1024, 768), True), ((1280, 800), True), ((1280, 800), False)])
def test_the_strips_title_keeps_clear_of_the_colour_bars_label(qtbot, window, size, presenting):
    if presenting:
        present(qtbot, window, size)
    else:
        window.resize(*size)
    window.open_lesson("truncation", 0)              # a one-row strip under truncation: the longest title
    settle(qtbot, window, timeout=120_000)
    window.grab()
    qtbot.wait(50)
    view = window.views["GradientFlowView"]
    title = view.sens_plot.titleLabel
    title_rect = title.item.mapRectToScene(title.item.boundingRect())
    bar_label = view.sens_bar.getAxis("left").label
    bar_rect = bar_label.mapRectToScene(bar_label.boundingRect())
    assert view.sens_bar.isVisible() and bar_label.isVisible()
    assert "‖∂L" in title.text                       # (what the matrix is, whatever the room)
    assert not title_rect.intersects(bar_rect), (title.text, title_rect, bar_rect)


@pytest.mark.parametrize("lesson, step", [("vanishing", 0), ("activations", 1), ("gating", 1)])
def test_presenting_at_1024_the_sensitivity_axis_label_is_whole_in_its_panel(qtbot, window, lesson, step):
    """Presenting at 1024 × 768 the lesson box's claims come first and the panel beside the graph
    gets less than its plots' least: "state step k" was cut in half at the panel's foot. The
    Jacobian plot gives up its "step t" (the plot above reads the same steps); every label is whole."""
    present(qtbot, window, (1024, 768))
    window.actions["layout:GradientFlowView"].trigger()
    window.open_lesson(lesson, 0, run=False).run_through(step)
    settle(qtbot, window, timeout=120_000)
    window.grab()
    qtbot.wait(50)
    view = window.views["GradientFlowView"]
    height = view.canvas.height()
    for plot in (view.jac_plot, view.sens_plot):
        axis = plot.getAxis("bottom")
        if axis.label.isVisible():
            label = axis.label.mapRectToScene(axis.label.boundingRect())
            assert label.bottom() <= height + 0.5, (plot.titleLabel.text, label, height)
        assert plot.sceneBoundingRect().bottom() <= height + 0.5
    assert view.sens_plot.getAxis("bottom").label.isVisible()      # (what k counts, said under it)
    dropped = not view.jac_plot.getAxis("bottom").label.isVisible()
    assert dropped == (height < view.least_height())
