"""The "Bag (order shuffled)" check box in the real window: a click shows the same letters in a
random order in the Data view, the trained weights stay, and the window's settings keep it."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QStyle, QStyleOptionButton  # noqa: E402

from test_window import make_window, set_widget, settle  # noqa: E402

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def click_check_box(qtbot, box):
    """A real left click on the box's indicator (a box without text is clicked there, not anywhere)."""
    option = QStyleOptionButton()
    box.initStyleOption(option)
    target = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxClickRect, option, box)
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=target.center())


def input_letters(window) -> str:
    """The x_t row the Data view drew (row 2 of its letters), left to right."""
    items = [item for item in window.views["DataView"].letters if item.isVisible() and item.pos().y() == 2]
    return "".join(item.textItem.toPlainText() for item in sorted(items, key=lambda item: item.pos().x()))


def is_walk(letters: str) -> bool:
    return all((ALPHABET.index(b) - ALPHABET.index(a)) % 26 == 1 for a, b in zip(letters, letters[1:]))


def test_a_click_on_the_bag_box_shuffles_what_the_data_view_shows_and_keeps_the_weights(qtbot, window):
    panel = window.controls
    for name, value in (("task", "alphabet_forward"), ("seq_len", 26), ("hidden", 10)):
        set_widget(panel.widgets[name], value)
        qtbot.waitUntil(lambda: getattr(window.state.requested, name) == value, timeout=3000)
        settle(qtbot, window)
    box = panel.widgets["shuffled"]
    assert "random order" in box.toolTip() and "adding problem" in box.toolTip()
    window.state.start_training(20)
    settle(qtbot, window)
    trained = {name: value.copy() for name, value in window.state.params.items()}
    ordered = input_letters(window)
    assert len(ordered) == 26 and is_walk(ordered)

    click_check_box(qtbot, box)
    qtbot.waitUntil(lambda: window.state.config.shuffled, timeout=3000)
    settle(qtbot, window)
    shuffled = input_letters(window)
    assert sorted(shuffled) == sorted(ordered) and not is_walk(shuffled)     # the same letters, out of order
    assert all(np.array_equal(window.state.params[name], value) for name, value in trained.items())
    assert len(window.state.history) == 20

    click_check_box(qtbot, box)                                              # and off: the walk again
    qtbot.waitUntil(lambda: not window.state.config.shuffled, timeout=3000)
    settle(qtbot, window)
    assert input_letters(window) == ordered


def test_the_settings_keep_it(qtbot, tmp_path):
    ini = tmp_path / "settings.ini"
    first = make_window(qtbot, ini, restore=True)
    settle(qtbot, first)
    assert first.state.set_config(task="sine", shuffled=True)
    first.close()
    second = make_window(qtbot, ini, restore=True)
    settle(qtbot, second)
    assert second.state.config.shuffled and second.controls.widgets["shuffled"].isChecked()
    second.state.shutdown()
