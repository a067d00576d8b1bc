"""The Data view of a classification read from numbers (the shapes lesson's "softmax output,
trained") shows what the lesson talks about: the softmax output at a loss step, one bar per class as
high as its probability and a ring over the target class, for the sequence chosen in the spin box.
A regression or a text task shows no softmax plot."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from test_window import settle  # noqa: E402


def softmax_shown(view):
    """(bar heights, target ring's (x, y)) as the plot holds them."""
    heights = np.asarray(view.softmax_bars.opts["height"], dtype=float)
    xs, ys = view.softmax_target.getData()
    return heights, list(zip(xs, ys))


def expected_softmax(record, sequence, step):
    """softmax(ŷ_t) of one sequence, worked out here from the logits: e^(ŷ − max) / Σ e^(ŷ − max)."""
    logits = np.asarray(record.yhat[step, sequence], dtype=float)
    e = np.exp(logits - logits.max())
    return e / e.sum()


def in_canvas(view):
    return view.softmax_plot in view.canvas.ci.items


def test_the_softmax_plot_shows_the_chosen_sequences_probabilities_at_its_loss_step(qtbot, window):
    window.open_lesson("shapes", step=1)
    settle(qtbot, window, timeout=120_000)
    window.docks["DataView"].show()
    window.docks["DataView"].raise_()
    view = window.views["DataView"]
    qtbot.waitUntil(view.isVisible)
    assert in_canvas(view)
    record = window.state.record
    T, B = record.yhat.shape[:2]
    last = T - 1                                  # the loudest task's one loss step
    assert np.asarray(record.loss_mask)[:, 0].nonzero()[0].tolist() == [last]

    heights, ring = softmax_shown(view)
    np.testing.assert_allclose(heights, expected_softmax(record, 0, last), rtol=1e-12)
    assert heights.sum() == pytest.approx(1.0)
    assert ring == [(int(record.targets[last][0]), 1.0)]
    assert view.softmax_plot.titleLabel.text.startswith("softmax")   # (names the step where it has room)
    assert len(view.softmax_plot.getAxis("bottom")._tickLevels[0]) == len(heights)  # a name per class

    # the next sequence, chosen with the keyboard in the spin box: its probabilities, its target
    box = view.sequence_box
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Up)
    qtbot.waitUntil(lambda: window.state.selection.batch_index == 1)
    settle(qtbot, window)
    heights, ring = softmax_shown(view)
    np.testing.assert_allclose(heights, expected_softmax(record, 1, last), rtol=1e-12)
    assert ring == [(int(record.targets[last][1]), 1.0)]
    assert not np.allclose(heights, expected_softmax(record, 0, last))   # (the two sequences differ)

    # the pass reset (Home): nothing computed, no bars shown; finished (End): the loss step is
    # computed again and its probabilities shown
    qtbot.keyClick(box, Qt.Key.Key_Escape)          # (the field gives the stepping keys back)
    qtbot.keyClick(window, Qt.Key.Key_Home)
    qtbot.waitUntil(lambda: window.state.selection.step == 0)
    settle(qtbot, window)
    heights, ring = softmax_shown(view)
    assert window.state.record.forward_done <= last
    assert len(heights) == 0 and ring == []
    assert "not computed yet" in view.softmax_plot.titleLabel.text
    qtbot.keyClick(window, Qt.Key.Key_End)
    qtbot.waitUntil(lambda: window.state.record.forward_done == T)
    settle(qtbot, window)
    heights, _ = softmax_shown(view)
    np.testing.assert_allclose(heights, expected_softmax(window.state.record, 1, last), rtol=1e-12)


@pytest.mark.parametrize("task", ["sine", "names"])
def test_a_regression_or_a_text_task_shows_no_softmax_plot(qtbot, window, task):
    window.open_lesson("shapes", step=1)
    settle(qtbot, window, timeout=120_000)
    view = window.views["DataView"]
    assert in_canvas(view)
    assert window.state.set_config(task=task)
    settle(qtbot, window)
    assert not in_canvas(view)
