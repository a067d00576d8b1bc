"""A log axis too short to number every decade numbers every 2nd (3rd, 5th …) one, as near both
ends as it can, and still marks each decade it leaves unnumbered: a value in view can be read
off it by counting decades from a number. Lesson "stacking", step 1, quotes ‖∂L/∂h₂₉‖ = 0.12
beside a ‖∂L/∂h_t‖ plot from 10⁻⁸ to 0.5 that numbered only 10⁻⁸, 10⁻⁶, 10⁻⁴, 10⁻²: nothing
marked the decade above 10⁻² the quoted number sits in."""

import math
import os
import re

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")
from PySide6.QtCore import QPointF  # noqa: E402

from test_presentation import default_look  # noqa: E402,F401  (default_look: autouse)
from test_strip_ticks_and_clip_legend import open_at, show_view  # noqa: E402
from test_legibility import plain  # noqa: E402
from axis_drawing import draw_specs  # noqa: E402

SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
TICK_TOLERANCE_PX = 1.5      # a decade's tick from where the decade is drawn
MAX_LABEL_GAP = 2            # decades between two numbers, where each decade has half a line or more


def exponent(text: str) -> float:
    """log10 of a log axis's number: 10⁻⁷ → −7, 2×10³ → 3.30…, 0.1 → −1, 20 → 1.30…"""
    match = re.fullmatch(r"(?:(\d+)×)?10([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)", text)
    if match:
        return math.log10(int(match.group(1) or 1)) + int(match.group(2).translate(SUPERSCRIPT))
    return math.log10(float(text.replace("−", "-")))


def drawn(axis):
    """(tick positions, {number: its rectangle}) an axis really draws at its size on screen, in
    its own coordinates."""
    _, ticks, texts = draw_specs(axis)
    return [p1.y() for _, p1, _ in ticks], {text: rect for rect, _, text in texts}


def decade_y(plot, axis, value: float) -> float:
    """Where ``value`` (log10) is drawn, in the axis's coordinates."""
    box = plot.getViewBox()
    return axis.mapFromScene(box.mapViewToScene(QPointF(0, value))).y()


def read_log_axis(plot):
    axis = plot.getAxis("left")
    ticks, numbers = drawn(axis)
    low, high = plot.getViewBox().viewRange()[1]
    decades = list(range(math.ceil(low), math.floor(high) + 1))
    return axis, ticks, numbers, decades


def assert_every_decade_marked_and_numbers_apart(plot):
    axis, ticks, numbers, decades = read_log_axis(plot)
    assert len(numbers) >= 2, numbers
    for decade in decades:                               # each decade in view has its tick
        y = decade_y(plot, axis, decade)
        assert any(abs(y - tick) <= TICK_TOLERANCE_PX for tick in ticks), (decade, y, sorted(ticks))
    rects = sorted(numbers.values(), key=lambda rect: rect.top())
    assert all(a.bottom() <= b.top() for a, b in zip(rects, rects[1:])), numbers     # none over another
    return axis, numbers, decades


@pytest.mark.parametrize("size, presenting", [((1280, 800), False), ((1920, 1080), True),
                                              ((1920, 1080), False), ((1024, 768), True)])
def test_the_quoted_gradient_norm_can_be_read_off_the_plot(qtbot, window, size, presenting):
    open_at(qtbot, window, "stacking", 1, size, presenting)
    flow = show_view(qtbot, window, "GradientFlowView")
    text = plain(window.lesson.text.text())                 # what the lesson box says
    quoted = float(re.search(r"‖∂L/∂h₂₉‖ at the loss is (\d+(?:\.\d+)?)", text).group(1))
    axis, numbers, decades = assert_every_decade_marked_and_numbers_apart(flow.norm_plot)
    labelled = sorted(exponent(text) for text in numbers)
    assert all(float(v).is_integer() for v in labelled), numbers
    # a number no more than a decade from the quoted one, and never more than two decades between numbers
    assert min(abs(math.log10(quoted) - v) for v in labelled) <= 1, (quoted, numbers)
    assert all(b - a <= MAX_LABEL_GAP for a, b in zip(labelled, labelled[1:])), numbers
    low, high = flow.norm_plot.getViewBox().viewRange()[1]
    assert labelled[0] - low <= MAX_LABEL_GAP and high - labelled[-1] <= MAX_LABEL_GAP, (numbers, low, high)


@pytest.mark.parametrize("lesson, step", [("first-look", 1), ("vanishing", 1), ("exploding", 2)])
@pytest.mark.parametrize("size, presenting", [((1280, 800), False), ((1024, 768), True)])
def test_other_log_plots_mark_every_decade_without_crowding(qtbot, window, lesson, step, size, presenting):
    open_at(qtbot, window, lesson, step, size, presenting)
    flow = show_view(qtbot, window, "GradientFlowView")
    axis, numbers, decades = assert_every_decade_marked_and_numbers_apart(flow.norm_plot)
    box = axis.boundingRect()
    assert all(box.contains(rect) for rect in numbers.values()), numbers             # none cut off
