"""Lessons without Qt: the files a teacher writes are read or refused with a clear reason, claims
are measured from the engine (never typed), and a lesson runs step by step on a session, asking
its question before it shows the result. Every shipped lesson is run headless and each of its
claims must hold."""

import math

import numpy as np
import pytest

from explorer.config import ExplorerConfig
from explorer.lesson_runner import LessonRunner
from explorer.lessons import LESSON_FOLDER, LessonError, lesson_from_dict, read_lesson, shipped_lessons
from explorer.measures import ExpressionError, evaluate, fill, label, measure, number, parse
from explorer.session import Phase, Session


@pytest.fixture
def session():
    s = Session()
    yield s
    s.shutdown()


def write(tmp_path, text, name="lesson.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL = """
title = "Tiny"
[[steps]]
title = "One"
text = "Hello"
"""


# ----------------------------------------------------------------------------- the claim language
@pytest.mark.parametrize("text", [
    "__import__('os').system('true')", "gradient.__class__", "[x for x in (1, 2)]", "lambda: 1",
    "open('/etc/passwd')", "'text' == 'text'", "loss if True else 1", "gradient", "loss(3)",
    "nothing < 1", "gradient(0, 1, 2, 3)", "True", "", "1 < ", "x := 1",
])
def test_the_claim_language_refuses_everything_but_quantities_and_arithmetic(text):
    with pytest.raises(ExpressionError):
        parse(text)


def test_a_claim_reads_as_mathematics():
    assert label("gradient(0) / gradient(59) <= bound(59)") == "‖∂L/∂h₀‖ / ‖∂L/∂h₅₉‖ ≤ (γσ_max)⁵⁹"
    assert label("loss < 0.3 * baseline") == "loss < 0.3 × baseline"
    assert label("cosine < 0.9 and updates >= 200") == "cos(g̃, g) < 0.9 and updates ≥ 200"


def test_measured_values_are_those_of_the_engine(session):
    """The vanishing claim, measured from the session, against the recording's own arrays."""
    session.set_config(task="delayed_recall", seq_len=30, hidden=12, scale_kind="sigma", scale=0.8)
    dh = session.record.dh[-1]                          # (T, B, H), the top layer's ∂L/∂h_t
    ratio = np.linalg.norm(dh[0]) / np.linalg.norm(dh[29])
    assert evaluate("gradient(0) / gradient(29)", session) == pytest.approx(ratio, rel=1e-12)
    sigma = np.linalg.svd(session.params["weight_hh_l0"], compute_uv=False)[0]
    assert evaluate("bound(29)", session) == pytest.approx(sigma ** 29, rel=1e-9)
    m = measure("gradient(0) / gradient(T - 1) <= bound(T - 1)", session)
    assert m.holds is True and m.formula == "‖∂L/∂h₀‖ / ‖∂L/∂h₂₉‖ ≤ (γσ_max)²⁹"
    assert m.measured == f"{number(ratio)} ≤ {number(sigma ** 29)}"


def test_the_clipping_angle_is_that_of_the_gradient_vector_clipped(session):
    """clip_angle against the whole gradient as one vector, clipped entry by entry or rescaled."""
    session.set_config(activation="linear", seq_len=40, hidden=16, batch=8, scale_kind="radius", scale=1.3,
                       clip_mode="value", clip_threshold=0.5)
    g = np.concatenate([value.ravel() for value in session.record.gradients().values()])
    clipped = np.clip(g, -0.5, 0.5)
    expected = math.degrees(math.acos(g @ clipped / (np.linalg.norm(g) * np.linalg.norm(clipped))))
    assert expected > 5 and evaluate("clip_angle", session) == pytest.approx(expected, rel=1e-9)
    session.set_config(clip_mode="norm", clip_threshold=1.0)     # a rescaling: no turn
    assert np.linalg.norm(g) > 1 and evaluate("clip_angle", session) < 1e-5


def test_a_quantity_without_a_value_is_pending_not_false(session):
    m = measure("loss < first_loss", session)          # no training yet
    assert m.holds is None and "not measured yet" in m.measured
    assert fill("went from ${first_loss} to ${loss:.3f}", session).startswith("went from … to ")
    session.set_config(seq_len=10)
    session.reset_pass()                                # the backward pass has not run
    assert measure("gradient(0) < 1", session).holds is None


def test_the_adding_baseline_is_half_the_variance_of_the_sum(session):
    """Predicting the constant 1 on the adding problem: ½ Var(U₁ + U₂) = ½ · 2/12 = 1/12."""
    session.set_config(task="adding", seq_len=20)
    assert evaluate("baseline", session) == pytest.approx(1 / 12, rel=0.05)


def test_the_baseline_of_a_uniform_next_letter_is_log_26(session):
    """Alphabet from a random start: each next letter is uniform over 26 classes → ln 26 per step."""
    session.set_config(task="alphabet_forward", seq_len=5)
    assert evaluate("baseline", session) == pytest.approx(5 * math.log(26), rel=0.02)


# ----------------------------------------------------------------------------- lesson files
def test_a_minimal_lesson_reads(tmp_path):
    lesson = read_lesson(write(tmp_path, MINIMAL, "07-tiny.toml"))
    assert lesson.name == "tiny" and lesson.title == "Tiny" and len(lesson.steps) == 1
    assert not lesson.steps[0].new_weights                 # no configuration: the weights stay
    assert lesson.config_at(0) == ExplorerConfig()


def test_each_step_configuration_accumulates_and_going_back_gives_the_same(tmp_path):
    lesson = read_lesson(write(tmp_path, """
title = "T"
config = { hidden = 16 }
[[steps]]
title = "a"
text = "a"
config = { seq_len = 30 }
[[steps]]
title = "b"
text = "b"
config = { cell = "lstm" }
[[steps]]
title = "c"
text = "c"
config = { seq_len = 40 }
"""))
    assert lesson.config_at(0) == ExplorerConfig(hidden=16, seq_len=30)
    assert lesson.config_at(1) == ExplorerConfig(hidden=16, seq_len=30, cell="lstm")
    assert lesson.config_at(2) == ExplorerConfig(hidden=16, seq_len=40, cell="lstm")
    assert all(step.new_weights for step in lesson.steps)    # each step sets a configuration


@pytest.mark.parametrize("text, reason", [
    ("title = ", "not valid TOML"),
    ("steps = []\ntitle = 'x'", "at least one [[steps]]"),
    (MINIMAL + "colour = 'red'\n", "unknown key 'colour'"),
    (MINIMAL.replace('text = "Hello"', 'text = "Hello"\nconfig = { hiden = 3 }'), "unknown setting 'hiden'"),
    (MINIMAL.replace('text = "Hello"', 'text = "Hello"\nconfig = { seq_len = 50000 }'),
     "step 1: seq_len must be a number from 1 to 10000"),
    (MINIMAL.replace('text = "Hello"', 'text = "Hello"\nrun = "train"'), "needs updates"),
    (MINIMAL.replace('text = "Hello"', 'text = "Hello"\nrun = "fly"'), "run must be one of"),
    (MINIMAL.replace('text = "Hello"', 'text = "Hello"\nview = "map"'), "view must be one of"),
    (MINIMAL.replace('text = "Hello"', 'text = "Hello"\nzoom = [50, 10]'), "zoom must be [first, last]"),
    (MINIMAL.replace('text = "Hello"', 'text = "Hello"\nzoom = 5'), "zoom must be [first, last]"),
    (MINIMAL.replace('text = "Hello"', 'text = "Hello"\ncontrols = ["wh_scale"]'), "unknown setting 'wh_scale'"),
    (MINIMAL.replace('text = "Hello"', 'text = "Hello"\ncontrols = "scale"'), "controls must be a list"),
    (MINIMAL.replace('text = "Hello"', 'text = "Hello"\nchoices = ["a"]'), "choices need a question"),
    (MINIMAL.replace('text = "Hello"', 'text = "Hello"\nquestion = "?"\nchoices = ["a"]\nanswer = 3'),
     "answer must be the index"),
    (MINIMAL + '[[steps.claims]]\nsays = "x"\ncheck = "__import__(\'os\')"\n', "claim 1"),
    (MINIMAL.replace('text = "Hello"', 'text = "Hello ${open(1)}"'), "not a function"),
    (MINIMAL.replace('text = "Hello"', 'text = ""'), "text must be a non-empty text"),
    ("title = 'x'\n" + "a = " + "[" * 2000 + "]" * 2000, "cannot be read"),
])
def test_a_broken_lesson_file_is_refused_with_its_reason(tmp_path, text, reason):
    with pytest.raises(LessonError) as error:
        read_lesson(write(tmp_path, text))
    assert reason in str(error.value) and "\n" not in str(error.value)


def test_files_that_are_not_lessons_are_refused(tmp_path):
    (tmp_path / "big.toml").write_bytes(b"#" * (2 << 20))
    (tmp_path / "binary.toml").write_bytes(b"\xff\xfe\x00title")
    (tmp_path / "folder.toml").mkdir()
    for name, reason in (("big.toml", "at most"), ("binary.toml", "UTF-8"), ("folder.toml", "not a lesson file"),
                         ("missing.toml", "not a lesson file")):
        with pytest.raises(LessonError, match=reason):
            read_lesson(tmp_path / name)


# ----------------------------------------------------------------------------- running a lesson
QUESTION = """
title = "Predict"
config = { task = "delayed_recall", seq_len = 12, hidden = 6, batch = 4 }
[[steps]]
title = "First"
text = "T = ${T}"
run = "finish"
[[steps]]
title = "Train after the question"
text = "the loss ${loss}"
run = "train"
updates = 5
question = "Will the loss go down?"
choices = ["yes", "no"]
answer = 0
explain = "It went from ${first_loss} to ${loss}."
[[steps.claims]]
says = "five updates were made"
check = "updates == 5"
[[steps]]
title = "Longer"
text = "now T = ${T}"
config = { seq_len = 24 }
"""


def test_a_question_is_answered_before_the_step_runs(session):
    runner = LessonRunner(session, lesson_from_dict(__import__("tomllib").loads(QUESTION)))
    runner.go_to(0)
    assert runner.text() == "T = 12" and session.config.seq_len == 12
    runner.next()
    assert runner.waiting_for_answer and len(session.history) == 0
    assert runner.measurements[0].holds is False            # nothing trained yet: 0 ≠ 5
    assert runner.explanation() == ""
    runner.reveal(1)
    assert runner.run_to_end_of_step(timeout=60)
    assert len(session.history) == 5 and runner.answered_right() is False
    assert runner.measurements[0].holds is True and "It went from" in runner.explanation()
    runner.next()
    assert session.config.seq_len == 24 and runner.text() == "now T = 24"
    runner.back()                                           # the step's own configuration again
    assert session.config.seq_len == 12 and runner.waiting_for_answer
    runner.close()


def test_training_stops_when_until_holds(session):
    lesson = lesson_from_dict({"title": "U", "config": {"cell": "lstm", "hidden": 48, "seq_len": 60, "batch": 16},
                               "steps": [{"title": "t", "text": "t", "run": "train", "updates": 20000,
                                          "until": "updates >= 30"}]})
    runner = LessonRunner(session, lesson)
    runner.go_to(0)
    assert session.phase is Phase.TRAINING
    assert runner.run_to_end_of_step(timeout=60)
    assert len(session.history) == 30 and session.phase is not Phase.TRAINING     # at that update, not after
    runner.close()


def test_until_stops_at_the_first_update_after_which_it_holds_with_the_weights_of_that_update(session):
    """"loss < 0.5 * baseline" (the mean of the last 20 updates' losses) stops training exactly at
    the first update where that mean falls below half the baseline, with that update's weights:
    the same as training exactly that many updates."""
    config = {"task": "adding", "seq_len": 12, "hidden": 8, "batch": 16, "optimizer": "adam", "lr": 0.02}
    lesson = lesson_from_dict({"title": "U", "config": config,
                               "steps": [{"title": "t", "text": "t", "run": "train", "updates": 5000,
                                          "until": "loss < 0.5 * baseline"}]})
    runner = LessonRunner(session, lesson)
    runner.go_to(0)
    assert runner.run_to_end_of_step(timeout=60)
    losses, half = session.history.loss, 0.5 * session.baseline
    recent = np.array([losses[max(0, n - 20):n].mean() for n in range(1, len(losses) + 1)])
    assert recent[-1] < half and np.all(recent[:-1] >= half)            # the first update where it holds
    runner.close()
    alone = Session(ExplorerConfig(**config))
    try:
        alone.start_training(steps=len(losses))
        while alone.training:
            alone.poll(timeout=0.2)
        assert np.array_equal(alone.history.loss, losses)
        assert all(np.array_equal(alone.params[name], session.params[name]) for name in alone.params)
    finally:
        alone.shutdown()


def test_moving_to_a_step_without_running_keeps_the_session_as_it_is(session):
    lesson = lesson_from_dict(__import__("tomllib").loads(QUESTION))
    session.set_config(hidden=9)
    params = {k: v.copy() for k, v in session.params.items()}
    runner = LessonRunner(session, lesson)
    runner.go_to(2, run=False)
    assert session.config.hidden == 9 and all(np.array_equal(params[k], session.params[k]) for k in params)
    runner.close()


# ----------------------------------------------------------------------------- the shipped lessons
LESSONS = shipped_lessons()


def test_the_lessons_are_shipped():
    names = {lesson.name for lesson in LESSONS}
    assert {"first-look", "vanishing"} <= names
    assert all(path.suffix == ".toml" for path in LESSON_FOLDER.iterdir())


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.name for lesson in LESSONS])
def test_every_claim_of_every_lesson_holds(session, lesson):
    """Run the lesson headless, step after step, answering each question rightly: every claim of
    every step is ✓ when its step has run."""
    runner = LessonRunner(session, lesson)
    failures = []
    for index in range(runner.count):
        runner.go_to(index)
        assert runner.run_to_end_of_step(timeout=120), f"step {index + 1} did not finish"
        assert "${" not in runner.text()
        for claim, measurement in zip(runner.step.claims, runner.measurements):
            if measurement.holds is not True:
                failures.append(f"step {index + 1}: {claim.says}: {measurement.formula} — {measurement.measured}")
    runner.close()
    assert not failures, "\n".join(failures)


COMPARE = """
title = "Compare"
config = { task = "sine", seq_len = 10, hidden = 4, batch = 2 }
[[steps]]
title = "RNN"
text = "a"
config = { cell = "rnn" }
run = "train"
updates = 3
[[steps]]
title = "LSTM"
text = "b"
config = { cell = "lstm" }
keep_previous_as = "RNN"
run = "train"
updates = 4
[[steps]]
title = "GRU"
text = "c"
config = { cell = "gru" }
keep_previous_as = "LSTM"
"""


def test_a_step_keeps_the_run_before_it_to_compare_on_the_same_plots(session):
    import tomllib
    runner = LessonRunner(session, lesson_from_dict(tomllib.loads(COMPARE)))
    runner.go_to(0)
    runner.run_to_end_of_step()
    rnn_losses, rnn_flow = session.history.loss.copy(), session.result.dh_norm_batch[-1].copy()
    runner.next()
    runner.run_to_end_of_step()
    assert [r.label for r in session.references] == ["RNN"]
    kept = session.references[0]
    assert kept.config.cell == "rnn" and np.array_equal(kept.history.loss, rnn_losses)
    assert np.array_equal(kept.dh_norm, rnn_flow) and len(session.history) == 4     # the LSTM's own run
    runner.next()
    assert [r.label for r in session.references] == ["RNN", "LSTM"]
    assert len(session.references[1].history) == 4
    runner.back()                                     # the LSTM's step: what it compares with only
    assert [r.label for r in session.references] == ["RNN"]
    runner.go_to(0)
    assert session.references == []
    runner.go_to(2)                                   # a jump: no run of the steps before was made
    assert session.references == []
    runner.close()


def test_the_teachers_reference_names_every_quantity_and_setting():
    """docs/lessons.md is what a teacher writes lessons from: every quantity a claim may use and
    every setting a step may change is in it."""
    import pathlib
    from dataclasses import fields
    from explorer.quantities import QUANTITIES
    text = (pathlib.Path(__file__).resolve().parent.parent / "docs" / "lessons.md").read_text(encoding="utf-8")
    missing = [name for name in QUANTITIES if f"`{name}`" not in text and f"`{name}(" not in text]
    assert not missing, missing
    settings = [f.name for f in fields(ExplorerConfig) if not f.name.startswith("break")]
    assert not [name for name in settings if f"`{name}`" not in text]


def test_advancing_to_a_step_arrives_as_a_student_would_without_waiting(session):
    """advance_to (the window's --step N): it returns while training runs, then each step is entered
    when the one before has run; the alphabet read backward is then tested on the trained weights."""
    import time
    lesson = next(item for item in LESSONS if item.name == "alphabet")
    runner = LessonRunner(session, lesson)
    runner.advance_to(2)
    assert runner.index == 1 and session.phase is Phase.TRAINING          # it did not wait
    deadline = time.monotonic() + 60
    while (runner.index < 2 or runner.running) and time.monotonic() < deadline:
        session.poll(timeout=0.2)
    assert runner.index == 2 and len(session.history) == 300
    assert session.config.task == "alphabet_backward" and runner.revealed
    assert all(m.holds for m in runner.measurements)                       # trained forward, read backward
    runner.close()


def test_the_sentence_a_lesson_quotes_is_the_sentence_it_shows(session):
    """Shared weights, step 1 says the network reads “. what time is it” and predicts “what time is
    it ?”: the sequence every view shows (sequence 0) is that one (it read “time to go .”)."""
    lesson = next(lesson for lesson in LESSONS if lesson.name == "shared-weights")
    runner = LessonRunner(session, lesson)
    runner.go_to(0)
    assert runner.run_to_end_of_step(timeout=120)
    record, symbols = session.record, session.config.task_object.symbols
    read = " ".join(symbols[i] for i in np.asarray(record.inputs)[:, 0].argmax(axis=-1))
    predicted = " ".join(symbols[i] for i in np.asarray(record.targets)[:, 0])
    text = runner.text()
    runner.close()
    assert (read, predicted) == (". what time is it", "what time is it ?")
    assert f"“{read}”" in text and f"“{predicted}”" in text
