"""The status bar tells the truth: a note about a pass goes when another pass is shown (other
settings, or an earlier update picked on the loss curve), it stays while the pass it is about is
only being stepped, and it does not repeat what the NaN banner already says."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from qt_clicks import click_plot  # noqa: E402
from test_window import settle  # noqa: E402


def train_one_update(qtbot, window):
    window.actions["update"].trigger()
    settle(qtbot, window)
    assert f"Trained to update {len(window.state.history)}" in window.statusBar().currentMessage()


def test_the_trained_note_stays_while_stepping_and_goes_when_a_control_changes_the_pass(qtbot, window):
    train_one_update(qtbot, window)
    window.views["GraphView"].setFocus()
    qtbot.keyClick(window, Qt.Key.Key_Home)              # stepping the same pass: the note still holds
    qtbot.keyClick(window, Qt.Key.Key_Right)
    settle(qtbot, window)
    assert "Trained to update 1" in window.statusBar().currentMessage()
    activation = window.controls.widgets["activation"]
    before = window.state.config.activation
    activation.setFocus()
    qtbot.keyClick(activation, Qt.Key.Key_Down)          # another φ, the same weights
    qtbot.waitUntil(lambda: window.state.config.activation != before, timeout=3000)
    settle(qtbot, window)
    assert "Trained to update" not in window.statusBar().currentMessage()


def test_the_trained_note_goes_when_an_earlier_update_is_shown(qtbot, window):
    for _ in range(3):
        train_one_update(qtbot, window)
    view = window.views["TrainingView"]
    window.docks["TrainingView"].raise_()
    qtbot.wait(100)                                       # painted: the plot ranges are applied
    click_plot(qtbot, view.canvas, view.loss_plot, 1, float(np.log10(window.state.history.loss[0])))
    settle(qtbot, window)
    assert window.state.shown_update == 1
    assert "Trained to update 3" not in window.statusBar().currentMessage()


def test_the_typing_hint_goes_when_the_field_gives_the_keys_back(qtbot, window):
    spin = window.controls.widgets["seq_len"]
    spin.setFocus()
    assert "Typing in a field" in window.statusBar().currentMessage()
    qtbot.keyClick(spin, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not spin.hasFocus(), timeout=2000)
    assert "Typing in a field" not in window.statusBar().currentMessage()


def test_the_nan_banner_is_not_repeated_in_the_status_bar(qtbot, window):
    state = window.state
    assert state.set_config(activation="linear", scale_kind="radius", scale=3.0, lr=5.0, seq_len=40, hidden=16)
    settle(qtbot, window)
    window.actions["play"].trigger()
    settle(qtbot, window)
    assert window.alert.isVisible() and "NaN/Inf" in window.alert.text.text()
    assert window.statusBar().currentMessage() != window.alert.text.text()
    assert "NaN/Inf" not in window.statusBar().currentMessage()
