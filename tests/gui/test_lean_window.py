"""A pass too long to record whole, in the window: kept as checkpoints (rnn.lean), it is shown, not
stepped. The memory budget is set low so that a small LSTM is such a pass."""

import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine_reference import reference_record
from rnn.lean import segment_length
from rnn.memory import BUDGET_VARIABLE, lean_pass_bytes, pass_bytes
from rnn.params import NetworkSpec
from test_window import make_window, set_widget, settle

T, B, H = 600, 4, 16


@pytest.fixture
def lean_window(qtbot, monkeypatch):
    spec = NetworkSpec("lstm", input_size=1, hidden_size=H, output_size=1)
    whole = pass_bytes(spec, T, B, with_sensitivity=False)
    budget = whole // 2
    assert lean_pass_bytes(spec, T, B, segment_length(T)) + pass_bytes(spec, T, 1, False) < budget
    monkeypatch.setenv(BUDGET_VARIABLE, str(budget))
    window = make_window(qtbot)
    settle(qtbot, window)
    for name, value in (("task", "sine"), ("cell", "lstm"), ("hidden", H), ("batch", B), ("seq_len", T)):
        set_widget(window.controls.widgets[name], value)
        qtbot.waitUntil(lambda: getattr(window.state.requested, name) == value, timeout=3000)
        settle(qtbot, window)
    yield window
    window.state.shutdown()


def shown_states(window):
    """The hidden-states view's picture: (T, H) h_t of the shown layer and sequence."""
    return window.views["HiddenStatesView"].image.image.T


def test_a_pass_beyond_the_budget_is_shown_whole_with_the_numbers_of_the_full_recording(qtbot, lean_window):
    window, state = lean_window, lean_window.state
    assert state.config.seq_len == T and state.config.batch == B and state.kept_as_checkpoints
    assert "kept as checkpoints every 25 steps" in window.statusBar().currentMessage()
    reference = reference_record(state.config, state.params)
    assert state.result.loss == pytest.approx(reference.loss, rel=1e-14)
    drawn = window.views["GradientFlowView"].norm_curve.yData
    np.testing.assert_allclose(drawn, reference.step_norms("dh")[-1], rtol=1e-12)
    np.testing.assert_allclose(shown_states(window), reference.h[0, :, 0], rtol=0, atol=1e-15)

    window.views["GraphView"].setFocus()                # stepping: refused, with the reason, nothing lost
    qtbot.keyClick(window.views["GraphView"], Qt.Key.Key_Right)
    assert "cannot be stepped" in window.statusBar().currentMessage()
    assert state.result.done and state.kept_as_checkpoints

    window.views["DataView"].sequence_box.setValue(2)   # another sequence: its recording computed, then shown
    settle(qtbot, window)
    assert state.selection.batch_index == 2
    np.testing.assert_allclose(shown_states(window), reference.h[0, :, 2], rtol=0, atol=1e-15)


def test_training_a_pass_beyond_the_budget(qtbot, lean_window):
    window, state = lean_window, lean_window.state
    before = {name: value.copy() for name, value in state.params.items()}
    window.actions["update"].trigger()
    settle(qtbot, window, timeout=60_000)
    assert len(state.history) == 1 and np.isfinite(state.history.loss[0])
    assert any(not np.array_equal(before[name], state.params[name]) for name in before)
    assert state.kept_as_checkpoints and state.result.done


def test_a_pass_kept_as_checkpoints_offers_no_animation_of_its_steps(qtbot, lean_window, tmp_path):
    exports = lean_window.exports
    assert "gif" not in exports.formats("GraphView") and "png" in exports.formats("GraphView")
    assert not exports.export("GraphView", "gif", str(tmp_path / "sweep.gif"), quiet=True)
    assert "kept as checkpoints" in lean_window.statusBar().currentMessage()
    assert not (tmp_path / "sweep.gif").exists()
