"""Presenting, a check box's square grows with its text (the style drew it at ~13 px beside 24 pt
text: "rolled", "Bag (order shuffled)"); back at the normal look it is the style's own again."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QCheckBox, QStyle, QStyleOptionButton  # noqa: E402

from test_presentation import default_look, present  # noqa: E402,F401  (the fixture resets the look)


def square_and_text(box: QCheckBox) -> tuple:
    """(the square's height as the box's style lays it out, its text's height)."""
    option = QStyleOptionButton()
    box.initStyleOption(option)
    square = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    return square.height(), box.fontMetrics().height()


def test_presenting_the_check_boxes_squares_grow_with_their_text(qtbot, window):
    rolled = window.views["GraphView"].rolled_box
    normal_square, normal_text = square_and_text(rolled)
    present(qtbot, window, (1920, 1080))
    boxes = [b for b in window.findChildren(QCheckBox) if b.isVisible()]
    assert rolled in boxes
    for box in boxes:
        square, text = square_and_text(box)
        assert square >= 0.7 * text, (box.text(), square, text)
    assert square_and_text(rolled)[0] > 1.4 * normal_square
    qtbot.keyClick(window, Qt.Key.Key_Escape)               # leave presentation mode
    qtbot.waitUntil(lambda: not window.presentation.presenting)
    assert square_and_text(rolled) == (normal_square, normal_text)
