"""Lessons in the window, driven as a teacher would: chosen from the Lessons menu, answered by
clicking a choice, stepped with Next / Back and Page Down / Page Up, closed and brought back with
Ctrl+L, opened from a file (a broken one is refused and changes nothing), kept in a saved session."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

import pyqtgraph  # noqa: E402,F401  (after PySide6)
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QLabel, QPushButton  # noqa: E402

from explorer.lessons import shipped_lessons  # noqa: E402

LESSONS = shipped_lessons()


def settle(qtbot, window, timeout=90_000):
    state = window.state
    qtbot.waitUntil(lambda: state.idle and not state.training, timeout=timeout)
    qtbot.wait(150)                   # the lesson box redraws its measured values on a 100 ms timer


def claim_texts(window):
    return [label.text() for label in window.lesson.claims.findChildren(QLabel) if label.isVisible()]


def click(qtbot, button):
    assert button.isVisible() and button.isEnabled(), button.objectName()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def answer(qtbot, window):
    """Click the right choice (or "Show the result") if the step asks a question."""
    runner = window.runner
    if runner.waiting_for_answer:
        name = "reveal" if runner.step.answer is None else str(runner.step.answer)
        click(qtbot, window.lesson.findChild(QPushButton, f"lesson:choice:{name}"))


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.name for lesson in LESSONS])
def test_every_lesson_runs_from_the_menu_to_its_end_with_its_claims_shown(qtbot, shared_window, lesson):
    window = shared_window
    window.actions[f"lesson:{lesson.name}"].trigger()
    for index in range(len(lesson.steps)):
        settle(qtbot, window)
        assert window.lesson.isVisible() and f"Step {index + 1} of {len(lesson.steps)}" in window.lesson.title.text()
        assert window.state.requested == lesson.config_at(index)
        answer(qtbot, window)
        settle(qtbot, window)
        texts = claim_texts(window)
        assert len(texts) == len(lesson.steps[index].claims)
        assert all(text.startswith("✓") and "measured" in text for text in texts), texts
        assert "${" not in window.lesson.text.text()
        label = lesson.steps[index].keep_previous_as
        if label:                                          # the run compared with is on the plots
            kept = next(r for r in window.state.references if r.label == label)
            flow = window.views["GradientFlowView"]
            assert any(flow.legend.getLabel(c) is not None and flow.legend.getLabel(c).text == label
                       for c in flow.reference_curves)
            if len(kept.history):                          # named in the loss plot's legend, beside this run
                names = window.views["TrainingView"].legend_names()
                assert label in names and names[0] == "this run", names
        if lesson.steps[index].compare:                    # side B is on the plots, named, trained with A
            b = window.state.compared
            assert b is not None and b.changes == lesson.steps[index].compare
            assert f"B: {b.label}" in window.views["TrainingView"].legend_names() or not len(b.history)
            assert len(b.history) == len(window.state.history)
        else:
            assert window.state.compared is None
        if lesson.steps[index].rolled is not None:
            assert window.views["GraphView"].rolled is lesson.steps[index].rolled
        image = window.grab().toImage().scaled(80, 50)
        assert len({image.pixel(x, y) for x in range(80) for y in range(50)}) > 30, "the window looks blank"
        if index + 1 < len(lesson.steps):
            click(qtbot, window.lesson.next)
    assert not window.lesson.next.isEnabled()


def test_the_result_waits_for_the_answer_and_page_keys_move_between_steps(qtbot, shared_window):
    window = shared_window
    window.open_lesson("exploding")
    settle(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_PageDown)           # step 2 asks before it trains
    settle(qtbot, window)
    assert window.runner.index == 1 and window.runner.waiting_for_answer
    assert len(window.state.history) == 0 and not window.lesson.claims.isVisible()
    click(qtbot, window.lesson.findChild(QPushButton, "lesson:choice:0"))   # a wrong guess
    settle(qtbot, window)
    assert 0 < len(window.state.history) <= 20 and not np.isfinite(window.state.history.loss[-1])
    assert "not quite" in window.lesson.feedback.text() and window.lesson.explain.isVisible()
    assert window.alert.isVisible() and "NaN" in window.alert.text.text()
    marks = [line.value() for line in window.views["TrainingView"].overflow_lines if line.isVisible()]
    assert marks and set(marks) == {float(len(window.state.history))}      # at the update that overflowed
    qtbot.keyClick(window, Qt.Key.Key_PageDown)           # with clipping: it survives
    settle(qtbot, window)
    assert len(window.state.history) == 300 and np.all(np.isfinite(window.state.history.loss))
    assert not window.alert.isVisible()
    assert not any(line.isVisible() for line in window.views["TrainingView"].overflow_lines)
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    qtbot.keyClick(window, Qt.Key.Key_PageUp)
    settle(qtbot, window)
    assert window.runner.index == 0 and window.state.config.clip_mode == "none"


def test_the_lesson_box_closes_and_comes_back(qtbot, shared_window):
    window = shared_window
    window.open_lesson("vanishing")
    settle(qtbot, window)
    close = next(b for b in window.lesson.findChildren(type(window.lesson.next).__mro__[1]) if b.text() == "✕")
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    assert not window.lesson.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.lesson.isVisible() and "Vanishing" in window.lesson.title.text()


def test_a_lesson_file_opens_and_a_broken_one_changes_nothing(qtbot, shared_window, tmp_path):
    window = shared_window
    window.open_lesson("vanishing")
    settle(qtbot, window)
    config, runner = window.state.config, window.runner
    broken = tmp_path / "broken.toml"
    broken.write_text('title = "x"\n[[steps]]\ntitle = "a"\ntext = "b"\nconfig = { seq_len = 50000 }\n')
    assert not window.files.open_lesson(str(broken), quiet=True)
    assert window.state.config == config and window.runner is runner
    assert "seq_len must be a number from 1 to 10000" in window.statusBar().currentMessage()
    good = tmp_path / "mine.toml"
    good.write_text('title = "My lesson"\nconfig = { hidden = 5 }\n[[steps]]\ntitle = "a"\n'
                    'text = "H is ${H}"\nnew_weights = true\n')
    assert window.files.open_lesson(str(good), quiet=True)
    settle(qtbot, window)
    assert window.state.config.hidden == 5 and window.lesson.text.text() == "H is 5"
    assert "My lesson" in window.lesson.title.text()


def test_a_step_that_zooms_shows_its_steps_and_the_next_step_shows_them_all(qtbot, shared_window, tmp_path):
    """zoom = [first, last] puts those steps in view in the unrolled graph and the gradient-flow
    plots (the cursor elsewhere); Page Down to a step without it shows the whole sequence again."""
    window = shared_window
    lesson = tmp_path / "zoomed.toml"
    lesson.write_text('title = "Zoomed"\nconfig = { task = "sine", seq_len = 200, truncation = "tbptt", k1 = 20, '
                      'k2 = 20, loss_at = "last" }\n[[steps]]\ntitle = "a"\ntext = "the end"\nnew_weights = true\n'
                      'run = "finish"\nzoom = [160, 199]\n[[steps]]\ntitle = "b"\ntext = "all of it"\n')
    assert window.files.open_lesson(str(lesson), quiet=True)
    settle(qtbot, window)
    plot, graph = window.views["GradientFlowView"].norm_plot, window.views["GraphView"].plot
    for view, room in ((plot, 2), (graph, 3)):          # (the graph keeps room for the step ring: in
        first, last = view.getViewBox().viewRange()[0]  # steps, more where they are drawn as bands)
        assert 160 - room < first < 160 and 199 < last < 199 + room, view
    qtbot.keyClick(window, Qt.Key.Key_PageDown)
    settle(qtbot, window)
    for view, room in ((plot, 5), (graph, 12)):        # (the graph keeps room for the step ring)
        first, last = view.getViewBox().viewRange()[0]
        assert first < 0 and 199 < last < 199 + room, view


def test_names_lesson_shows_five_sampled_names(qtbot, shared_window):
    window = shared_window
    window.open_lesson("names")
    settle(qtbot, window)
    samples = window.state.samples
    assert len(samples) == 5 and window.controls.samples_box.isVisible()
    text = window.controls.samples_label.text()
    assert all((s or "(empty)") in text for s in samples)
    window.open_lesson("shapes")
    settle(qtbot, window)
    assert not window.controls.samples_box.isVisible()


def test_the_data_view_shows_the_chosen_sequence_in_letters(qtbot, shared_window):
    from PySide6.QtWidgets import QSpinBox
    window = shared_window
    window.open_lesson("alphabet")
    settle(qtbot, window)
    window.docks["DataView"].raise_()
    view = window.views["DataView"]
    box = view.findChild(QSpinBox, "data:sequence")
    box.setFocus()
    box.selectAll()
    qtbot.keyClicks(box, "3")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    settle(qtbot, window)
    state = window.state
    assert state.selection.batch_index == 3 and state.result.data.sequence == 3
    vocab = state.task.vocab
    expected_inputs = [vocab[i] for i in np.argmax(state.batch.inputs[:, 3], axis=-1)]
    expected_targets = [vocab[i] for i in state.batch.targets[:, 3]]
    letters = {}
    for item in view.letters:
        if item.isVisible():
            letters[(round(item.pos().x()), round(item.pos().y()))] = item.textItem.toPlainText()
    T = state.config.seq_len
    assert [letters[(t, 2)] for t in range(T)] == expected_inputs
    assert [letters[(t, 0)] for t in range(T)] == expected_targets
    assert all((t, 1) in letters for t in range(T))      # a prediction at every step with a loss


def test_the_shared_weights_view_draws_each_share_and_a_click_selects_its_sequence(qtbot, shared_window):
    from qt_clicks import click_plot
    window = shared_window
    window.open_lesson("shared-weights", step=2)
    settle(qtbot, window)
    view = window.views["WeightSharesView"]
    assert window.docks["WeightSharesView"].isVisible()
    result = window.state.result
    heights = view.sequence_bars.opts["height"]
    np.testing.assert_array_equal(heights, result.w_hh_sequence_norms[-1])
    np.testing.assert_array_equal(view.step_bars.opts["height"], result.w_hh_step_norms[-1])
    click_plot(qtbot, view.canvas, view.sequence_plot, 2, 0.5 * heights[2])
    settle(qtbot, window)
    assert window.state.selection.batch_index == 2
    colours = [brush.color().name() for brush in view.sequence_bars.opts["brushes"]]
    assert colours[2] != colours[0] and colours.count(colours[2]) == 1  # the chosen sequence stands out
    assert window.views["DataView"].sequence_box.value() == 2          # every view follows


def test_starting_at_a_later_step_arrives_there_without_freezing_the_window(qtbot, shared_window):
    """As `main.py --lesson names --step 3` does: the window stays responsive (the event loop runs
    while the first step trains) and arrives at step 3 with the trained network's names."""
    window = shared_window
    runner = window.open_lesson("names", 0, run=False)
    runner.advance_to(2)
    assert runner.index == 0 and window.state.training           # training in its process, not here
    settle(qtbot, window)
    assert runner.index == 2 and window.state.config.temperature == 1.5
    assert len(window.state.history) == 300 and len(set(window.state.samples)) == 5
    assert "Step 3 of 3" in window.lesson.title.text() and claim_texts(window)[0].startswith("✓")
    shown = window.views["TrainingView"].samples_label             # the names under the loss, at a projector too
    assert shown.isVisibleTo(window) and all((name or "(empty)") in shown.text() for name in window.state.samples)


@pytest.mark.parametrize("text, shown", [
    ("∂h_t/∂h_{t−1} = W_hh", "∂h<sub>t</sub>/∂h<sub>t−1</sub> = W<sub>hh</sub>"),
    ("γσ_max < 1", "γσ<sub>max</sub> &lt; 1"),
    ("set seq_len and keep_previous_as", "set seq_len and keep_previous_as"),   # words keep their _
    ("a   —   b\nc", "a &nbsp;&nbsp;— &nbsp;&nbsp;b<br>c"),
])
def test_a_lessons_math_indices_are_subscripts_and_its_words_are_left_alone(text, shown):
    from explorer.lesson_panel import lesson_html
    assert lesson_html(text) == shown


def test_the_lesson_box_shows_w_hh_with_hh_as_a_subscript(qtbot, window):
    window.open_lesson("vanishing", step=1)
    qtbot.waitUntil(lambda: "W<sub>hh</sub>" in window.lesson.text.text(), timeout=10_000)
    assert window.lesson.text.textFormat() == Qt.TextFormat.RichText and "W_hh" not in window.lesson.text.text()
