"""A run of a few updates is drawn with markers a back row sees (exploding 2 overflows at its
second update: its one finite loss was a 5 px dot), smaller ones once there are more."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from test_window import settle  # noqa: E402


def test_the_first_updates_markers_are_large_and_shrink_as_updates_come(qtbot, window):
    view = window.views["TrainingView"]
    for _ in range(2):
        qtbot.keyClick(window, Qt.Key.Key_U)             # Run ▸ Update
        settle(qtbot, window)
    assert len(window.state.history) == 2
    few = view.loss_curve.opts["symbolSize"], view.grad_curve.opts["symbolSize"]
    assert view.loss_curve.opts["symbol"] == "o" and min(few) >= 10
    for _ in range(10):
        qtbot.keyClick(window, Qt.Key.Key_U)
        settle(qtbot, window)
    assert len(window.state.history) == 12
    assert view.loss_curve.opts["symbol"] == "o" and view.loss_curve.opts["symbolSize"] < min(few)
