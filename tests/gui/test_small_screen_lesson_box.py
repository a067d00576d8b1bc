"""Presenting on a small screen (1024×768) the lesson box keeps its text readable beside long
claims: each claim says what it claims and what was measured (its formula in its tooltip: three
claims of two lines each left truncation 1's text one line), and a text that scrolls shows whole
lines (the last one in view was cut across)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint  # noqa: E402

from test_legibility import plain  # noqa: E402
from test_presentation import default_look, present  # noqa: E402,F401  (the fixture resets the look)
from test_window import settle, settle_box  # noqa: E402


def claims(window):
    return [label for label in window.lesson.claim_labels if label.isVisible()]


def test_presenting_at_1024_a_claim_is_one_line_and_its_formula_in_its_tooltip(qtbot, window):
    present(qtbot, window, (1024, 768))
    runner = window.open_lesson("truncation", 0)
    settle(qtbot, window, timeout=120_000)
    qtbot.waitUntil(lambda: len(claims(window)) == len(runner.step.claims) == 3, timeout=5000)
    settle_box(qtbot, window.lesson)
    for label, claim in zip(claims(window), runner.step.claims):
        line = label.fontMetrics().lineSpacing()
        assert label.height() < 1.6 * line, plain(label.text())            # one line
        assert claim.says in plain(label.text()) and "measured" in plain(label.text())
        assert "‖" not in plain(label.text()).split("measured")[0] or "‖" in claim.says
        assert "measured" in plain(label.toolTip()) and len(plain(label.toolTip())) > len(plain(label.text()))
    text = window.lesson.text
    assert text.visibleRegion().boundingRect().height() >= 2 * text.fontMetrics().lineSpacing()   # two lines of it


def test_in_a_larger_window_a_claim_shows_its_formula(qtbot, window):
    window.resize(1920, 1080)
    qtbot.waitUntil(lambda: window.width() == 1920)
    window.open_lesson("truncation", 0)
    settle(qtbot, window, timeout=120_000)
    qtbot.waitUntil(lambda: len(claims(window)) == 3, timeout=5000)
    assert "‖∂L/∂h" in plain(claims(window)[0].text())
    assert claims(window)[0].toolTip() == ""


def test_a_text_that_scrolls_shows_whole_lines(qtbot, window):
    """Gating 2 before its answer: 2⅔ lines of its text showed."""
    present(qtbot, window, (1024, 768))
    window.open_lesson("gating", 1, run=False)
    box = window.lesson
    settle_box(qtbot, box)
    assert box.scroll.verticalScrollBar().maximum() > 0                    # (it scrolls: the point)
    viewport, text = box.scroll.viewport(), box.text
    below = viewport.height() - text.mapTo(viewport, QPoint(0, 0)).y()    # the text's part in view
    line = text.fontMetrics().lineSpacing()
    assert below % line <= 1 or line - below % line <= 1, (below, line)
