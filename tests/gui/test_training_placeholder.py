"""Before any training the Training view shows its hint and the names of its axes, not a scale:
pyqtgraph's default range (0.5–3 up a log axis, updates 0–9) has nothing to do with the curve
that comes (the alphabet lesson's loss starts near 85). Once there are updates, the numbers come
back. At 1280 × 800 and presenting at 1920 × 1080."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")
from PySide6.QtGui import QImage, QPainter  # noqa: E402

from test_presentation import default_look, present  # noqa: E402,F401  (default_look: autouse)
from test_window import settle  # noqa: E402

CENTRE_TOLERANCE_PX = 3      # the hint's centre from the plot's centre


def drawn(axis):
    """(tick marks, numbers) an axis really draws at its size on screen."""
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    if specs is None:
        return [], []
    _, ticks, texts = specs
    return ticks, [text for _, _, text in texts]


def training_view(qtbot, window, size, presenting):
    if presenting:
        present(qtbot, window, size)
    else:
        window.resize(*size)
        qtbot.waitUntil(lambda: window.size().toTuple() == size)
    window.docks["TrainingView"].show()
    window.docks["TrainingView"].raise_()
    view = window.views["TrainingView"]
    qtbot.waitUntil(view.loss_plot.isVisible, timeout=5000)
    window.grab()                                   # (laid out and painted)
    qtbot.wait(50)
    return view


@pytest.mark.parametrize("size, presenting", [((1280, 800), False), ((1920, 1080), True)])
def test_before_training_the_loss_plot_shows_no_made_up_scale(qtbot, window, size, presenting):
    view = training_view(qtbot, window, size, presenting)
    assert len(window.state.history) == 0
    plot = view.loss_plot
    left, bottom = plot.getAxis("left"), plot.getAxis("bottom")
    for axis in (left, bottom):
        ticks, numbers = drawn(axis)
        assert numbers == [] and ticks == [], (axis.orientation, numbers, len(ticks))
    # what will be plotted is still named, and the hint sits in the middle of the plot
    assert left.label.isVisible() and left.labelText == "loss L"
    assert bottom.label.isVisible() and bottom.labelText == "update"
    assert view.empty.isVisible() and "train" in view.empty.toPlainText()
    hint = view.empty.mapRectToScene(view.empty.boundingRect())
    box = plot.getViewBox().sceneBoundingRect()
    assert abs(hint.center().x() - box.center().x()) <= CENTRE_TOLERANCE_PX, (hint, box)
    assert abs(hint.center().y() - box.center().y()) <= CENTRE_TOLERANCE_PX, (hint, box)
    assert box.contains(hint), (hint, box)

    window.state.start_training(20)
    settle(qtbot, window)
    window.grab()
    qtbot.wait(50)
    assert len(window.state.history) == 20 and not view.empty.isVisible()
    _, loss_numbers = drawn(left)
    assert loss_numbers, "the loss axis has its numbers again"
    losses = window.state.history.loss
    low, high = (10.0 ** v for v in plot.getViewBox().viewRange()[1])
    assert low <= losses.min() and losses.max() <= high          # the scale is the curve's own
    _, update_numbers = drawn(view.grad_plot.getAxis("bottom"))   # (the lowest plot numbers the updates)
    assert update_numbers and all(0 <= int(text) <= 20 for text in update_numbers), update_numbers


def test_a_reset_history_hides_the_scale_again(qtbot, window):
    view = training_view(qtbot, window, (1280, 800), False)
    window.state.start_training(5)
    settle(qtbot, window)
    assert drawn(view.loss_plot.getAxis("left"))[1]
    window.state.reinitialise()                     # new initial weights: the history is cleared
    settle(qtbot, window)
    window.grab()
    qtbot.wait(50)
    assert len(window.state.history) == 0 and view.empty.isVisible()
    for name in ("left", "bottom"):
        assert drawn(view.loss_plot.getAxis(name)) == ([], []), name
