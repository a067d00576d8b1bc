"""Presenting at 1024×768 a step whose evidence is the Training view (truncation 2: A learns, B
stays at the constant guess) keeps its three plots readable under a tall lesson box: each plot
has room for its ticks, and the axis names up their sides do not run into each other (they were
15–20 px strips, "loss L", "‖g‖" and "cosine" overprinting)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtGui import QFontMetricsF  # noqa: E402

from test_presentation import default_look, present  # noqa: E402,F401  (the fixture resets the look)
from test_window import settle  # noqa: E402


def test_presenting_truncation_2_at_1024_keeps_the_training_plots_readable(qtbot, window):
    present(qtbot, window, (1024, 768))
    runner = window.open_lesson("truncation", 1)
    runner.reveal(runner.step.answer)
    settle(qtbot, window, timeout=240_000)
    qtbot.wait(100)
    assert window.presentation.second_view() == "TrainingView"
    view = window.views["TrainingView"]
    plots = [view.loss_plot, view.grad_plot, view.cos_plot]
    assert all(plot.isVisible() for plot in plots)
    for plot in plots:
        axis = plot.getAxis("left")
        line = QFontMetricsF(axis.style["tickFont"]).height()
        assert plot.getViewBox().height() >= 2 * line, (plot.titleLabel.text, plot.getViewBox().height(), line)
    names = [plot.getAxis("left").label.mapRectToScene(plot.getAxis("left").label.boundingRect()) for plot in plots]
    assert all(upper.bottom() <= lower.top() + 1 for upper, lower in zip(names, names[1:])), names
