"""Paint safety: states that overflow float64 (a linear RNN with ρ = 10 over 1000 steps: h_t ≈ 10ᵗ)
reach no axis, level or range as Inf; every view paints (pytest-qt fails a test on an exception
raised inside a paint) and says what overflowed."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

import pyqtgraph  # noqa: E402,F401  (after PySide6)

from explorer.views import style  # noqa: E402
from test_window import settle  # noqa: E402


def test_overflowing_states_paint_in_every_view(qtbot, window):
    s = window.state
    assert s.set_config(activation="linear", scale_kind="radius", scale=10.0, seq_len=1000, hidden=8)
    settle(qtbot, window)
    assert not np.all(np.isfinite(s.record.h))              # the states really overflowed
    for name, dock in window.docks.items():
        dock.show()
        dock.raise_()
        qtbot.wait(10)
        image = dock.grab().toImage()                        # a paint of the dock and its plots
        assert not image.isNull(), name
    window.grab()
    flow = window.views["GradientFlowView"]
    assert flow.norm_empty.isVisible() and "overflowed" in flow.norm_empty.toPlainText()


def test_displayable_keeps_ranges_finite():
    values = np.array([np.nan, np.inf, -np.inf, 1.7e308, -3.0])
    shown = style.displayable(values)
    assert np.isnan(shown[0]) and shown[1] == style.DISPLAY_LIMIT and shown[2] == -style.DISPLAY_LIMIT
    assert np.isfinite(np.nanmax(shown) - np.nanmin(shown)) and shown[4] == -3.0
    low, high = style.symmetric_levels(values)
    assert np.isfinite(high - low)


def axis_labels(axis, values):
    """The tick labels pyqtgraph draws at ``values`` (log axes: the exponents), as it draws them."""
    return axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, 1.0)


def test_every_axis_labels_its_ticks_with_the_values_themselves(qtbot, window):
    """A label scale left over from pyqtgraph's SI prefixes once made ‖∂L/∂h_t‖ read 1000× too
    large (10⁻⁹ × in presentation mode)."""
    import pyqtgraph as pg
    settle(qtbot, window)
    for enter_presentation in (False, True):
        if enter_presentation:
            window.presentation.enter()
            qtbot.wait(50)
        axes = [item for item in window.findChildren(pg.GraphicsView) for item in item.scene().items()
                if isinstance(item, pg.AxisItem)]
        assert axes
        for axis in axes:
            assert axis.autoSIPrefixScale == 1.0, axis.labelText
    flow = window.views["GradientFlowView"].norm_plot.getAxis("left")
    assert axis_labels(flow, [-3.0]) == ["10⁻³"] or axis_labels(flow, [-3.0]) == ["0.001"]


def test_a_flat_loss_keeps_a_labelled_tick_on_its_log_axis(qtbot, window):
    """A loss that stays within 82–85 (a bag of letters) once left its log axis with no tick at all."""
    plot = window.views["TrainingView"].loss_plot
    plot.getViewBox().setYRange(np.log10(82), np.log10(85), padding=0)
    low, high = plot.getViewBox().viewRange()[1]
    assert high - low >= 1.0 - 1e-9
    assert any(low <= np.log10(v) <= high for v in (10, 20, 30, 40, 50, 60, 70, 80, 90, 100))
