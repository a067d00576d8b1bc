"""A claim's line in the lesson box never breaks beside a comparison: in a 1024×768 window at 125 %
text, where the box is narrow, "measured 2.379×10⁻⁵ < 0.05189" is not split into "… <" and
"0.05189" (it was, presenting at 1024×768; presenting on so small a screen a claim is now one line,
its formula in its tooltip)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QTextDocument  # noqa: E402
from PySide6.QtWidgets import QPushButton  # noqa: E402

from test_presentation import default_look  # noqa: E402,F401  (the fixture resets the look)
from test_window import settle  # noqa: E402

COMPARISONS = "≤≥<>=≠"


def shown_lines(label) -> list[str]:
    """The lines a rich-text label is broken into at its width (the label's own text layout)."""
    document = QTextDocument()
    document.setDefaultFont(label.font())
    document.setHtml(label.text())
    document.setDocumentMargin(0)
    document.setTextWidth(label.contentsRect().width())
    document.size()                                      # (laid out now)
    lines, block = [], document.begin()
    while block.isValid():
        layout, text = block.layout(), block.text()
        lines += [text[layout.lineAt(i).textStart():][:layout.lineAt(i).textLength()]
                  for i in range(layout.lineCount())]
        block = block.next()
    return lines


@pytest.mark.parametrize("lesson, step", [("first-look", 2), ("architectures", 2)])
def test_in_a_1024_window_at_125_percent_no_claim_line_breaks_beside_a_comparison(qtbot, window, lesson, step):
    window.open_lesson(lesson, step=step)
    settle(qtbot, window)
    if window.runner.waiting_for_answer:                   # the claims show once it is answered
        qtbot.mouseClick(window.lesson.findChild(QPushButton, "lesson:choice:0"), Qt.MouseButton.LeftButton)
        settle(qtbot, window)
    window.resize(1024, 768)
    qtbot.waitUntil(lambda: window.width() == 1024)
    for _ in range(2):                                     # Ctrl + twice: 125 %
        window.actions["zoom_in"].trigger()
    settle(qtbot, window)
    qtbot.wait(50)
    labels = [label for label in window.lesson.claim_labels if label.isVisible()]
    assert labels
    lines = [line.strip() for label in labels for line in shown_lines(label)]
    assert len(lines) > len(labels), "the claims fit on one line each: the test shows nothing"
    broken = [line for line in lines if line[:1] in COMPARISONS or line[-1:] in COMPARISONS]
    assert broken == [], lines
