"""What a projector shows must stay readable (issue #9): the step-Jacobian strip labels two values
on its axis at every size, the sensitivity map's colour bar never keeps a pass's numbers after
one that overflowed, and a one-layer network's unrolled graph names every row when presenting
at 1024 × 768."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QFontMetricsF  # noqa: E402

from test_presentation import default_look, present  # noqa: E402,F401  (default_look: autouse)
from test_legibility import drawn_numbers  # noqa: E402
from test_window import settle  # noqa: E402


def type_into(qtbot, box, text):
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


@pytest.mark.parametrize("size, presenting", [((1280, 800), False), ((1920, 1080), False),
                                              ((1920, 1080), True), ((1024, 768), True)])
@pytest.mark.parametrize("lesson, step", [("exploding", 3), (None, None)])
def test_the_step_jacobian_strip_labels_two_values(qtbot, window, size, presenting, lesson, step):
    """Its norms lie within a few hundredths of each other (2.105 at every step of the exploding
    lesson's last step, 0.95 in the first pass): one number alone gives no scale."""
    if presenting:
        present(qtbot, window, size)
    else:
        window.resize(*size)
        qtbot.waitUntil(lambda: window.size().toTuple() == size)
    if lesson is not None:
        window.open_lesson(lesson, 0, run=False).run_through(step)
    settle(qtbot, window)
    flow = window.views["GradientFlowView"]
    window.docks["GradientFlowView"].show()
    window.docks["GradientFlowView"].raise_()
    qtbot.waitUntil(lambda: flow.jac_plot.isVisible())
    window.grab()                                          # (laid out and painted)
    qtbot.wait(20)
    axis = flow.jac_plot.getAxis("left")
    numbers = list(drawn_numbers(axis))
    assert len(numbers) >= 2, (numbers, flow.jac_plot.height())
    values = sorted(float(text.replace("−", "-")) for text in numbers)
    low, high = flow.jac_plot.getViewBox().viewRange()[1]
    assert all(low <= v <= high for v in values), (values, low, high)
    # the labels do not crowd each other, and every norm is in view
    line = QFontMetricsF(axis.style["tickFont"]).height()
    px = flow.jac_plot.getViewBox().height() / (high - low)
    assert all((b - a) * px >= line for a, b in zip(values, values[1:])), (values, px, line)
    norms = flow.state.result.jacobian_norms[flow.state.selection.layer]
    assert low < norms.min() and norms.max() < high
    # the other strips keep their least heights
    for plot in (flow.norm_plot, flow.sens_plot):
        assert plot.height() >= plot.minimumHeight() - 1


def test_the_sensitivity_colour_bar_keeps_no_numbers_of_a_pass_before_an_overflow(qtbot, window):
    flow = window.views["GradientFlowView"]
    bar = flow.sens_bar
    assert bar.isVisible()
    before = list(drawn_numbers(bar.axis))
    assert len(before) >= 2
    controls = window.controls.widgets
    assert window.state.set_config(activation="linear", scale_kind="radius", seq_len=400, hidden=8)
    settle(qtbot, window)
    type_into(qtbot, controls["scale"], "10")              # W_hh at ρ = 10: 10⁴⁰⁰ overflows float64
    settle(qtbot, window)
    result = window.state.result
    assert result.done and result.sensitivity is not None
    assert flow.sens_message.isVisible() and "overflowed" in flow.sens_message.toPlainText()
    shown = list(drawn_numbers(bar.axis)) if bar.isVisible() else []
    assert not shown, (before, shown)                      # no scale of colours there are not
    type_into(qtbot, controls["scale"], "1.1")             # a finite pass: its scale again
    settle(qtbot, window)
    assert bar.isVisible() and not flow.sens_message.isVisible()
    assert len(list(drawn_numbers(bar.axis))) >= 2
