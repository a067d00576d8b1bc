"""A/B side by side: side B, the session's configuration with a few fields changed, computed on
the same batch and trained on the same batches as A, update for update; every other field follows A."""

import time

import numpy as np
import pytest

from explorer.config import ExplorerConfig
from explorer.lessons import LessonError, read_lesson
from explorer.session import Phase, Session
from rnn.errors import RnnInputError

ADDING = ExplorerConfig(task="adding", seq_len=12, hidden=6, batch=8, optimizer="adam", lr=0.02,
                        clip_mode="norm", clip_threshold=1.0)


@pytest.fixture
def session():
    s = Session(ADDING)
    yield s
    s.shutdown()


def trained(session, updates, timeout=60.0):
    """Train ``updates`` updates in the training process and wait for the run to end."""
    session.start_training(steps=updates)
    deadline = time.monotonic() + timeout
    while session.training and time.monotonic() < deadline:
        session.poll(timeout=0.2)
    assert not session.training, "the run did not end in time"
    return session


def alone(config, updates):
    """The same configuration trained in a session of its own (nothing compared)."""
    other = Session(config)
    try:
        trained(other, updates)
        return other.history.loss.copy(), {name: value.copy() for name, value in other.params.items()}
    finally:
        other.shutdown()


def test_side_b_trains_on_the_same_batches_as_it_would_alone_and_a_is_unchanged(session):
    """What makes A/B a fair comparison: B's run is exactly the run of B's configuration trained
    alone, and A's run is exactly A's alone, bit for bit (the same batches, update for update)."""
    assert session.compare(cell="lstm")
    trained(session, 40)
    b = session.compared
    assert len(session.history) == len(b.history) == 40
    b_alone, b_weights = alone(ADDING.with_(cell="lstm"), 40)
    a_alone, a_weights = alone(ADDING, 40)
    assert np.array_equal(b.history.loss, b_alone) and np.array_equal(session.history.loss, a_alone)
    assert all(np.array_equal(b.params[name], b_weights[name]) for name in b_weights)
    assert all(np.array_equal(session.params[name], a_weights[name]) for name in a_weights)
    assert b.config.cell == "lstm" and session.config.cell == "rnn"


def test_a_few_updates_made_at_once_train_b_too(session):
    """Update (one update, made on the calling thread) trains both sides the same way."""
    session.compare(optimizer="sgd")
    session.apply_update()
    while session.training:
        session.poll(timeout=0.2)
    b_alone, _ = alone(ADDING.with_(optimizer="sgd"), 1)
    assert len(session.compared.history) == 1 and np.array_equal(session.compared.history.loss, b_alone)


def test_b_is_computed_on_as_batch_and_drawn_beside_it(session):
    session.compare(cell="gru")
    b = session.compared
    assert np.array_equal(b.result.record.inputs, session.result.record.inputs)
    assert b.result.dh_norm_batch.shape == session.result.dh_norm_batch.shape
    runs = session.runs_compared
    assert [r.label for r in runs] == ["B: GRU"] and runs[0].live
    assert np.array_equal(runs[0].dh_norm, b.result.dh_norm_batch[-1])
    assert session.run_label == "A: tanh RNN"
    session.stop_comparing()
    assert session.compared is None and session.runs_compared == [] and session.run_label == "this run"


def test_b_follows_every_field_it_does_not_change(session):
    session.compare(cell="lstm")
    first_weights = session.compared.params["weight_hh_l0"].copy()
    session.set_config(hidden=9)                     # a network field: B gets fresh weights of that size
    b = session.compared
    assert b.config.hidden == 9 and b.config.cell == "lstm" and b.params["weight_hh_l0"].shape == (36, 9)
    session.set_config(cell="gru")                   # B's own field stays B's
    assert session.compared.config.cell == "lstm"
    session.set_config(lr=0.005)                     # a training setting: B's optimizer follows, no new weights
    assert session.compared.config.lr == 0.005 and session.compared.optimizer.lr == 0.005
    session.set_config(seq_len=15)                   # a new batch: B's pass is on it too
    assert np.array_equal(session.compared.result.record.inputs, session.result.record.inputs)
    assert session.compared.result.record.inputs.shape[0] == 15
    assert not np.array_equal(first_weights, session.compared.params["weight_hh_l0"])


def test_a_change_b_cannot_have_is_refused_with_a_message_and_nothing_changes(session):
    messages = []
    session.message.connect(lambda text, level: messages.append((text, level)))
    for change in (dict(seq_len=30), dict(task="sine"), dict(batch=2), dict(seed=3), dict(hidden=10**6),
                   dict(no_such_control=1)):
        assert not session.compare(**change)
        assert session.compared is None and messages[-1][1] == "error"
    assert "A's batch" in messages[0][0]


def test_a_breakpoint_in_b_pauses_both_and_says_it_was_b():
    """The exploding setup: A clips and survives, B does not clip and overflows at update 2."""
    config = ExplorerConfig(activation="linear", task="delayed_recall", seq_len=40, hidden=16, batch=8,
                            scale_kind="radius", scale=1.3, lr=0.01, clip_mode="norm", clip_threshold=1.0)
    session = Session(config)
    try:
        stops = []
        session.breakpoint_hit.connect(lambda text, level: stops.append(text))
        session.compare(clip_mode="none")
        session.start_training(steps=200)
        deadline = time.monotonic() + 60
        while session.training and time.monotonic() < deadline:
            session.poll(timeout=0.2)
        assert session.phase is Phase.PAUSED
        assert stops and stops[-1].startswith("Side B: NaN/Inf")
        assert len(session.compared.history.nonfinite) == 1
        assert np.all(np.isfinite(session.history.loss))
        assert all(np.all(np.isfinite(value)) for value in session.compared.params.values())
    finally:
        session.shutdown()


def test_a_lesson_step_can_compare_and_its_claims_measure_b(tmp_path, session):
    from explorer.lesson_runner import LessonRunner
    path = tmp_path / "ab.toml"
    path.write_text('''
title = "A/B"
config = { task = "adding", seq_len = 12, hidden = 6, batch = 8 }
[[steps]]
title = "side by side"
text = "B's loss is ${pass_loss_B}."
compare = { cell = "lstm" }
compare_as = "the LSTM"
run = "finish"
[[steps.claims]]
says = "B's pass is computed"
check = "pass_loss_B > 0"
[[steps]]
title = "alone again"
text = "No B here."
run = "finish"
[[steps.claims]]
says = "nothing to measure on B"
check = "pass_loss_B > 0"
''', encoding="utf-8")
    runner = LessonRunner(session, read_lesson(path))
    runner.go_to(0)
    runner.run_to_end_of_step()
    assert session.compared.label == "the LSTM" and session.compared.config.cell == "lstm"
    assert runner.measurements[0].holds
    b_loss = session.compared.result.loss
    assert f"{b_loss:.4g}"[:4] in runner.text().replace("×10", "e")
    runner.next()
    runner.run_to_end_of_step()
    assert session.compared is None and runner.measurements[0].holds is None      # pending: no B
    runner.close()


@pytest.mark.parametrize("step, problem", [
    ('compare = { seq_len = 30 }', "A's batch"),
    ('compare = { colour = "red" }', "unknown setting"),
    ('compare_as = "B"', "goes with compare"),
    ('compare = "lstm"', "must be a table"),
])
def test_a_lesson_that_compares_what_cannot_differ_is_refused(tmp_path, step, problem):
    path = tmp_path / "bad.toml"
    path.write_text(f'title = "x"\n[[steps]]\ntitle = "s"\ntext = "t"\n{step}\n', encoding="utf-8")
    with pytest.raises(LessonError, match=problem):
        read_lesson(path)


def test_b_chosen_while_new_weights_are_computing_keeps_them_and_comes_with_them(monkeypatch):
    """A lesson step asks for new weights and then for side B: when the pass is a job off the
    calling thread (a large network), B is computed when that pass lands, and the new weights stay."""
    import explorer.session as session_module
    from test_session import HeldRunner
    from rnn.diagnostics import block_spectra
    runner = HeldRunner()
    runner.spectra = block_spectra                                  # (σ_max and ρ measured in place)
    session = Session(ADDING, runner=runner)
    try:
        monkeypatch.setattr(session_module, "SYNC_LIMIT_MS", -1.0)     # every pass counts as large
        before = session.params["weight_hh_l0"].copy()
        session.set_config(reinitialise=True, seed=5)
        assert session.phase is Phase.COMPUTING
        assert session.compare(cell="gru")
        while runner.jobs:
            runner.run()
        assert session.phase is Phase.IDLE and session.config.seed == 5
        assert not np.array_equal(session.params["weight_hh_l0"], before)
        fresh = Session(ADDING.with_(seed=5))
        try:
            assert np.array_equal(session.params["weight_hh_l0"], fresh.params["weight_hh_l0"])
        finally:
            fresh.shutdown()
        b = session.compared
        assert b.result is not None and b.config.cell == "gru" and b.config.seed == 5
        assert np.array_equal(b.result.record.inputs, session.result.record.inputs)
    finally:
        session.shutdown()


def test_time_travel_shows_b_as_it_was_then_and_a_fork_takes_b_back_too(session):
    """Scrubbing the loss curve back to an update shows both networks as they were after it, and
    continuing from there drops B's later updates as it drops A's."""
    session.compare(cell="gru")
    trained(trained(session, 12), 18)          # (two runs: a checkpoint at update 12 for certain)
    b = session.compared
    latest_b = {name: value.copy() for name, value in b.params.items()}
    at = session.show_update(12)
    assert at == 12
    _, b_then = alone(ADDING.with_(cell="gru"), at)
    _, a_then = alone(ADDING, at)
    assert all(np.array_equal(b.params[name], b_then[name]) for name in b_then)
    assert all(np.array_equal(session.params[name], a_then[name]) for name in a_then)
    shown = Session(ADDING.with_(cell="gru"))      # B's pass on the batch, with B's weights of then
    try:
        shown.load_weights(shown.spec, b_then)
        assert np.array_equal(b.result.dh_norm_batch, shown.result.dh_norm_batch)
    finally:
        shown.shutdown()
    session.show_latest()
    assert all(np.array_equal(b.params[name], latest_b[name]) for name in latest_b)
    session.continue_from(at)
    assert len(session.history) == len(b.history) == at
    trained(session, 30 - at)                      # and on again, as B alone would go on from there
    other = Session(ADDING.with_(cell="gru"))
    try:
        trained(trained(other, at), 30 - at)
        assert np.array_equal(b.history.loss, other.history.loss)
    finally:
        other.shutdown()


def test_time_travel_to_before_b_began_shows_b_as_it_began(session):
    trained(session, 10)
    session.compare(cell="lstm")
    began = {name: value.copy() for name, value in session.compared.params.items()}
    trained(session, 10)
    session.show_update(5)
    assert all(np.array_equal(session.compared.params[name], began[name]) for name in began)
    session.continue_from(5)
    assert len(session.compared.history) == 0


def test_a_saved_session_keeps_side_b_and_opens_with_it(tmp_path, session):
    """Saving mid-comparison and opening the file elsewhere gives back both sides: B's changes,
    name, weights, optimizer and loss curve, and B's pass on A's batch; training goes on for both."""
    session.compare(cell="lstm")
    trained(session, 15)
    path = tmp_path / "ab.bptt"
    session.save(path)
    b = session.compared
    opened = Session(ExplorerConfig())
    try:
        opened.open(path)
        ob = opened.compared
        assert ob is not None and ob.label == "LSTM" and ob.config.cell == "lstm" and opened.config.cell == "rnn"
        assert np.array_equal(ob.history.loss, b.history.loss) and len(ob.history) == 15
        assert all(np.array_equal(ob.params[name], b.params[name]) for name in b.params)
        assert np.array_equal(ob.result.dh_norm_batch, b.result.dh_norm_batch)
        assert [r.label for r in opened.runs_compared] == ["B: LSTM"]
        trained(opened, 5)
        trained(session, 5)
        assert np.array_equal(ob.history.loss, b.history.loss) and len(ob.history) == 20
        opened.open(_saved_without_b(tmp_path, opened))      # a file without B ends the comparison
        assert opened.compared is None and opened.runs_compared == []
    finally:
        opened.shutdown()


def _saved_without_b(tmp_path, _session):
    path, plain = tmp_path / "a-only.bptt", Session(ADDING)
    try:
        plain.save(path)
    finally:
        plain.shutdown()
    return path


def test_a_saved_side_b_that_cannot_be_b_is_refused_and_nothing_changes(tmp_path, session):
    """A hand-edited file whose side B changes the batch (B must see A's batch) is refused."""
    import json
    import zipfile
    session.compare(cell="gru")
    path, edited = tmp_path / "ab.bptt", tmp_path / "edited.bptt"
    session.save(path)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(edited, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "session.json":
                text = json.loads(data)
                text["compared"]["changes"]["seq_len"] = 30
                data = json.dumps(text).encode()
            target.writestr(item, data)
    before = session.params["weight_hh_l0"].copy()
    with pytest.raises(RnnInputError) as refused:
        session.open(edited)
    assert "cannot be used" in str(refused.value) and "seq_len" in str(refused.value)
    assert session.compared.config.cell == "gru" and np.array_equal(session.params["weight_hh_l0"], before)
