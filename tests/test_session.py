"""The session without Qt: one source of truth, consistent after every change, events once per real
change, an explicit phase, training in its own process that is exactly the engine's loop, breakpoints
that keep the last finite weights, undo that brings back what a change discarded, time travel."""

import subprocess
import sys
import time

import numpy as np
import pytest

from explorer.config import ExplorerConfig
from explorer.jobs import training_seed
from explorer.session import TRANSITIONS, Phase, Session
from rnn.cells import make_cell
from rnn.diagnostics import jacobian_norms
from rnn.errors import RnnInputError
from rnn.optim import make_optimizer
from rnn.user_data import SequencesTask
from rnn.params import NetworkSpec, init_params
from rnn.training import train

from engine_reference import reference_record


@pytest.fixture
def session():
    s = Session()
    yield s
    s.shutdown()


def train_until(session, n, timeout=30.0):
    """Apply what the training process sends until the history holds ``n`` updates."""
    deadline = time.monotonic() + timeout
    while len(session.history) < n and time.monotonic() < deadline:
        session.poll(timeout=0.2)
    assert len(session.history) >= n, f"only {len(session.history)} updates in {timeout} s"


def finish_training(session, timeout=30.0):
    deadline = time.monotonic() + timeout
    while session.phase is Phase.TRAINING and time.monotonic() < deadline:
        session.poll(timeout=0.2)
    assert session.phase is not Phase.TRAINING


def engine_run(config, start, steps, start_step=0, optimizer=None):
    """The same training run in the engine's own loop: (updates, final params)."""
    params = {k: v.copy() for k, v in start.items()}
    optimizer = optimizer or make_optimizer(config.optimizer, config.lr)
    updates = list(train(params=params, optimizer=optimizer, steps=steps, start_step=start_step,
                         seed=training_seed(config, start_step), **config.training_arguments()))
    return updates, params


def same_params(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def assert_consistent(session):
    """Everything the views read describes the same configuration."""
    c, r, result = session.config, session.record, session.result
    assert r.seq_len == c.seq_len and r.batch_size == c.batch and r.spec == c.spec()
    assert session.params["weight_hh_l0"].shape == (c.spec().gates * c.hidden, c.hidden)
    assert session.batch.inputs.shape[:2] == (c.seq_len, c.batch)
    assert result.dh_norm_batch.shape == (c.layers, c.seq_len)
    assert result.jacobian_norms.shape == (c.layers, c.seq_len)
    s = session.selection
    assert 0 <= s.step < c.seq_len and 0 <= s.layer < c.layers and 0 <= s.unit < c.hidden
    assert 0 <= s.batch_index < c.batch


def test_the_session_imports_no_qt():
    code = ("import sys, explorer.session, explorer.jobs, explorer.trainer, rnn.passresult; "
            "print([m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'shiboken'))])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_starts_on_the_demo_with_a_complete_pass(session):
    assert session.config == ExplorerConfig() and session.phase is Phase.IDLE
    assert session.result.done
    ref = reference_record(session.config)
    assert np.array_equal(session.record.h, ref.h) and np.array_equal(session.record.dh, ref.dh)
    assert_consistent(session)


def test_the_pass_result_measures_what_the_engine_recorded(session):
    assert session.set_config(hidden=5, layers=2, batch=3, truncation="tbptt", k1=4, k2=6)
    result, r = session.result, session.record
    # every norm, written out from its definition on the recorded arrays
    for l in range(2):
        for t in range(r.seq_len):
            assert result.dh_norm_batch[l, t] == pytest.approx(np.sqrt((r.dh[l, t] ** 2).sum()), rel=1e-14)
            for b in range(3):
                assert result.dh_norm_sequence[l, t, b] == pytest.approx(np.sqrt((r.dh[l, t, b] ** 2).sum()),
                                                                         rel=1e-14)
    # truncation: TBPTT(4, 6) on T = 20: segments [0,4), [4,8), …; the windows reach 2 steps back
    through = np.zeros(20, bool)
    for start in range(0, 20, 4):
        through[max(start - 2, 0) + 1:start + 4] = True
    assert np.array_equal(result.through, through)
    assert np.array_equal(result.loss_steps, np.arange(20) == 19)     # delayed recall: the last step
    cell = make_cell("rnn", "tanh")
    for l in range(2):
        assert np.allclose(result.jacobian_norms[l], jacobian_norms(r, cell, session.params, l, 0), rtol=1e-13)


def test_invalid_change_is_refused_and_leaves_the_session_alone(session):
    before = (session.config, session.params, session.record)
    messages = []
    session.message.connect(lambda text, level: messages.append((level, text)))
    assert not session.set_config(truncation="tbptt", k1=8, k2=4)
    assert not session.set_config(seq_len=1)            # delayed recall needs T ≥ 2
    assert not session.set_config(hidden=0)
    assert not session.set_config(cell="transformer")
    assert (session.config, session.params, session.record) == before
    assert session.requested == session.config and not session.can_undo
    assert [level for level, _ in messages] == ["error"] * 4
    assert "k2" in messages[0][1] and "at least 2" in messages[1][1]


def test_events_fire_once_per_real_change(session):
    seen = []
    for name in ("config_changed", "params_changed", "pass_changed", "request_changed"):
        getattr(session, name).connect(lambda *a, name=name: seen.append(name))
    assert session.set_config(hidden=8)                 # no change: nothing emitted
    assert seen == []
    assert session.set_config(hidden=12)
    assert seen.count("config_changed") == 1 and seen.count("params_changed") == 1
    assert seen.count("request_changed") == 1
    seen.clear()
    assert session.set_config(lr=0.1)                   # training-only setting: no new pass
    assert sorted(seen) == ["config_changed", "request_changed"]
    seen.clear()
    session.select(step=3)
    session.select(step=3)
    assert seen == []


@pytest.mark.parametrize("changes", [
    dict(seq_len=35), dict(hidden=5, layers=2), dict(cell="lstm"), dict(cell="gru", batch=3),
    dict(truncation="tbptt", k1=4, k2=7), dict(activation="relu", init="orthogonal", scale_kind="radius", scale=1.2),
    dict(task="sine", loss_at="all"), dict(task="names", seq_len=12, batch=2),
])
def test_each_change_matches_the_engine(session, changes):
    assert session.set_config(**changes)
    ref = reference_record(session.config)
    assert np.array_equal(session.record.h, ref.h)
    assert np.array_equal(session.record.dh, ref.dh)
    assert np.allclose(session.record.loss_t, ref.loss_t)
    assert_consistent(session)


def test_stepping_through_gives_the_whole_pass_and_names_its_phase(session):
    phases = []
    session.phase_changed.connect(phases.append)
    T = session.config.seq_len
    session.step_forward()                               # from a finished pass: a fresh walk-through
    assert session.result.forward_done == 1 and session.selection.step == 0
    assert session.phase is Phase.STEPPING
    for _ in range(T - 1):
        session.step_forward()
    assert session.result.forward_complete and not session.result.backward_complete
    for _ in range(session.result.plan_length):
        session.step_backward()
    assert session.result.done and session.selection.step == 0 and session.phase is Phase.IDLE
    assert phases == [Phase.STEPPING, Phase.IDLE]
    ref = reference_record(session.config)
    for name in ("h", "pre", "yhat", "loss_t", "dh", "d_ih", "dh0"):
        assert np.array_equal(getattr(session.record, name), getattr(ref, name)), name
    assert np.allclose(session.record.sensitivity, ref.sensitivity)


def test_jacobian_norms_follow_the_steps_and_the_selected_sequence(session):
    assert session.set_config(batch=3)
    cell = make_cell("rnn", "tanh")
    session.reset_pass()
    for _ in range(4):
        session.step_forward()
    jac = session.result.jacobian_norms[0]
    assert np.all(np.isfinite(jac[:4])) and np.all(np.isnan(jac[4:]))     # not computed yet
    session.finish_pass()
    session.select(batch_index=2)
    expected = jacobian_norms(session.record, cell, session.params, 0, 2)
    assert session.result.jacobian_sequence == 2
    assert np.allclose(session.result.jacobian_norms[0], expected, rtol=1e-13)


def test_a_step_backward_before_the_forward_pass_ends_is_refused_with_a_message(session):
    messages = []
    session.message.connect(lambda text, level: messages.append(level))
    session.reset_pass()
    session.step_backward()
    assert messages == ["warning"] and session.result.visits_done == 0


def test_phase_transitions_are_the_named_ones(session):
    with pytest.raises(RuntimeError):
        session._set_phase(Phase.PAUSED)                # idle → paused is not a transition
    assert Phase.PAUSED in TRANSITIONS[Phase.TRAINING] and Phase.PAUSED not in TRANSITIONS[Phase.IDLE]


def test_float32_precision_keeps_the_weights_computes_in_float32_and_trains(session, tmp_path):
    assert session.set_config(cell="lstm", hidden=6, task="sine", optimizer="adam", lr=0.01)
    before = {k: v.copy() for k, v in session.params.items()}
    exact = session.result.dh_norm_batch.copy()
    assert session.set_config(precision="float32")
    assert all(v.dtype == np.float32 for v in session.params.values())
    assert same_params(session.params, {k: v.astype(np.float32) for k, v in before.items()})   # the same weights
    assert session.record.h.dtype == np.float32 and session.record.dh.dtype == np.float32
    np.testing.assert_allclose(session.result.dh_norm_batch, exact, rtol=1e-5)
    session.start_training()
    train_until(session, 10)
    session.pause_training()
    assert all(v.dtype == np.float32 for v in session.params.values()) and np.isfinite(session.history.loss).all()
    path = tmp_path / "single.bptt"
    session.save(path)
    reopened = Session()
    try:
        reopened.open(path)
        assert reopened.config.precision == "float32" and reopened.record.h.dtype == np.float32
        assert same_params(reopened.params, session.params)
    finally:
        reopened.shutdown()
    assert session.set_config(precision="float64")
    assert all(v.dtype == np.float64 for v in session.params.values())


def test_the_shapes_quiz_task_takes_its_inputs_and_classes_from_the_settings(session):
    assert session.set_config(task="loudest", inputs=5, classes=4, hidden=7, batch=16, seq_len=10)
    assert (session.spec.input_size, session.spec.output_size) == (5, 4)
    assert session.record.inputs.shape == (10, 16, 5) and session.params["readout.weight"].shape == (4, 7)
    assert session.baseline == pytest.approx(np.log(4), abs=0.01)
    session.start_training(5)
    finish_training(session)
    assert len(session.history) == 5
    before = session.config
    assert not session.set_config(classes=6)                # more classes than inputs: refused, nothing changes
    assert session.config == before
    assert session.set_config(task="sine")                  # a task of fixed sizes keeps its own
    assert (session.spec.input_size, session.spec.output_size) == (1, 1)


def test_a_few_updates_match_the_engine_loop(session):
    assert session.set_config(task="sine", hidden=6, optimizer="sgd", lr=0.05, clip_mode="norm",
                              clip_threshold=0.5)
    start = {k: v.copy() for k, v in session.params.items()}
    session.start_training(15)
    finish_training(session)
    assert session.phase is Phase.IDLE and len(session.history) == 15
    updates, params = engine_run(session.config, start, 15)
    assert np.array_equal(session.history.loss, [u.loss for u in updates])
    assert same_params(session.params, params)


def test_live_training_in_its_process_is_the_engine_loop(session):
    """Continuous training runs in the child process; what lands is exactly the engine's own run,
    and the display pass is the pass of the weights training stopped with."""
    assert session.set_config(task="sine", hidden=6, optimizer="adam", lr=0.01, clip_mode="norm",
                              clip_threshold=0.5, truncation="tbptt")
    start = {k: v.copy() for k, v in session.params.items()}
    session.start_training()
    assert session.phase is Phase.TRAINING
    train_until(session, 30)
    session.pause_training()
    assert session.phase is Phase.IDLE
    n = len(session.history)
    updates, params = engine_run(session.config, start, n)
    assert np.array_equal(session.history.loss, [u.loss for u in updates])
    assert np.array_equal(session.history.cosine, [u.cosine_to_full for u in updates])
    assert same_params(session.params, params)
    assert np.array_equal(session.record.dh, reference_record(session.config, params).dh)   # the views
    time.sleep(0.2)
    session.poll(timeout=0.1)
    assert len(session.history) == n                     # nothing lands after a pause


def test_training_resumes_with_fresh_batches_and_the_same_process(session):
    session.start_training()
    train_until(session, 5)
    session.pause_training()
    process = session.channel._process
    n = len(session.history)
    session.toggle_training()
    train_until(session, n + 5)
    session.toggle_training()
    assert session.channel._process is process          # one child per session, kept between Plays
    assert session.phase is Phase.IDLE


def test_the_training_descriptor_is_readable_exactly_while_something_waits_to_be_read(session):
    """The window reads the channel when its descriptor is readable: it must be while messages
    wait (none is left unread without a wake-up) and stop being once they are read (no busy loop)."""
    import select
    session.start_training(40)
    fd = session.channel.fileno()
    arrived = 0
    while session.training:
        readable, _, _ = select.select([fd], [], [], 30)
        assert readable, "messages were sent but the descriptor never became readable"
        arrived += session.poll()
    assert arrived and len(session.history) == 40
    time.sleep(0.3)                                       # the run has ended: nothing more is sent
    assert session.channel.receive() == []
    assert select.select([fd], [], [], 0)[0] == []


def test_nan_pauses_training_and_keeps_the_last_finite_weights(session):
    hits = []
    session.breakpoint_hit.connect(lambda text, level: hits.append((level, text)))
    assert session.set_config(activation="linear", scale_kind="radius", scale=3.0, lr=5.0, seq_len=40,
                              hidden=16, batch=4)
    start = {k: v.copy() for k, v in session.params.items()}
    session.start_training(500)
    finish_training(session)
    assert session.phase is Phase.PAUSED
    assert hits and hits[-1][0] == "error" and "NaN/Inf" in hits[-1][1]
    n = len(session.history)
    assert n < 500 and not np.isfinite(session.history.loss[-1])
    assert all(np.all(np.isfinite(v)) for v in session.params.values())
    updates, params = engine_run(session.config, start, 500)
    assert len(updates) == n and not updates[-1].finite
    assert same_params(session.params, params)


@pytest.mark.parametrize("changes, word", [
    (dict(break_on_norm=True, break_norm=1e-5), "‖g‖"),
    (dict(clip_mode="norm", clip_threshold=1e-6, break_on_clip=True), "clipped"),
])
def test_breakpoints_pause_at_the_first_update_that_meets_them(session, changes, word):
    hits = []
    session.breakpoint_hit.connect(lambda text, level: hits.append(text))
    assert session.set_config(**changes)
    session.start_training(50)
    finish_training(session)
    assert len(session.history) == 1 and hits and word in hits[0] and session.phase is Phase.PAUSED


def test_one_update_and_reinitialise(session):
    before = session.params
    session.apply_update()
    assert len(session.history) == 1 and session.params is not before
    session.reinitialise()
    assert len(session.history) == 0
    assert same_params(session.params, init_params(session.spec, **session.config.init_options()))


def test_names_training_samples_names(session):
    assert session.set_config(task="names", seq_len=12, hidden=16, batch=8, optimizer="adam", lr=0.02)
    session.start_training(20)
    finish_training(session)
    assert len(session.samples) == 5 and all(isinstance(s, str) for s in session.samples)
    assert all(set(s) <= set("abcdefghijklmnopqrstuvwxyz") for s in session.samples)


def test_load_weights_adopts_their_shape(session):
    spec = NetworkSpec(cell="gru", input_size=1, hidden_size=5, output_size=1, num_layers=2)
    params = init_params(spec, seed=3)
    assert session.load_weights(spec, params, "test")
    assert (session.config.cell, session.config.hidden, session.config.layers) == ("gru", 5, 2)
    assert same_params(session.params, params)
    assert_consistent(session)
    too_big = NetworkSpec(cell="rnn", input_size=1, hidden_size=300, output_size=1)
    assert not session.load_weights(too_big, init_params(too_big), "big")   # H is at most 256
    assert session.config.cell == "gru"


def test_weights_no_task_fits_are_shown_on_random_inputs_of_their_sizes(session):
    spec = NetworkSpec(cell="lstm", input_size=3, hidden_size=7, output_size=1)
    params = init_params(spec, seed=4)
    messages = []
    session.message.connect(lambda text, level: messages.append(text))
    assert session.load_weights(spec, params, "m.pt")
    assert session.config.task.startswith("data") and session.spec == spec
    assert same_params(session.params, params)
    inputs = session.record.inputs
    assert inputs.shape[2] == 3 and abs(inputs.mean()) < 0.5 and 0.5 < inputs.std() < 1.5
    assert any("Random inputs (3 → 1)" in m and "File ▸ Open data" in m for m in messages)
    assert_consistent(session)


def test_own_data_keeps_fitting_weights_and_is_sampled_from_the_users_sequences(session):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((12, 30, 1))              # T = 12 steps of 30 sequences, 1 input
    y = np.cumsum(x, axis=0)
    before = {k: v.copy() for k, v in session.params.items()}
    assert session.load_data(SequencesTask(x, y, "walk.npy"))
    walk = session.config.task
    assert walk.startswith("data") and session.config.seq_len == 12
    assert same_params(session.params, before)        # 1 input, 1 output: the weights fit
    record = session.record
    for b in range(record.batch_size):                # every sequence is one of the user's, whole
        column = [j for j in range(30) if np.array_equal(x[:, j], record.inputs[:, b])]
        assert len(column) == 1 and np.array_equal(record.targets[:, b], y[:, column[0]])
    assert not session.set_config(seq_len=13)         # longer than the data: refused, nothing changes
    assert session.config.seq_len == 12
    assert session.set_config(seq_len=5)              # the first 5 steps
    assert np.array_equal(session.record.targets[:, 0], y[:5, [j for j in range(30)
                          if np.array_equal(x[:5, j], session.record.inputs[:, 0])][0]])

    classes = rng.integers(0, 4, size=(8, 6))          # xent, 4 classes, 3 inputs: new weights
    assert session.load_data(SequencesTask(rng.standard_normal((8, 6, 3)), classes, "cls.npz"))
    assert (session.spec.input_size, session.spec.output_size) == (3, 4)
    assert session.record.loss_kind == "xent"
    assert_consistent(session)
    assert session.config.task != walk
    # undo goes back to the first data, still there under its own name, with its weights
    assert session.undo() and session.config.task == walk and session.spec.output_size == 1


def test_undo_brings_back_the_trained_weights_a_change_discarded(session):
    session.start_training(20)
    trained, history = {k: v.copy() for k, v in session.params.items()}, session.history.loss.copy()
    assert session.set_config(hidden=12)                # a network change: fresh weights, no history
    assert len(session.history) == 0 and session.can_undo
    assert "hidden = 8" in session.undo_text()
    assert session.undo()
    assert session.config.hidden == 8 and session.requested.hidden == 8
    assert same_params(session.params, trained) and np.array_equal(session.history.loss, history)
    assert session.redo()
    assert session.config.hidden == 12 and len(session.history) == 0 and not session.can_redo
    assert session.undo() and session.config.hidden == 8


def test_undo_of_a_setting_keeps_the_training(session):
    session.start_training(10)
    assert session.set_config(lr=0.2) and session.set_config(clip_mode="norm")
    assert session.undo() and session.config.clip_mode == "none" and session.config.lr == 0.2
    assert session.undo() and session.config.lr == 0.05 and len(session.history) == 10
    assert not session.undo()


def test_reset_to_defaults_is_undoable(session):
    assert session.set_config(cell="lstm", seq_len=30)
    assert session.reset_to_defaults() and session.config == ExplorerConfig()
    assert session.undo() and (session.config.cell, session.config.seq_len) == ("lstm", 30)


def test_time_travel_shows_an_earlier_network_and_forks_from_it(session):
    assert session.set_config(task="sine", hidden=6, optimizer="adam", lr=0.01)
    start = {k: v.copy() for k, v in session.params.items()}
    for _ in range(10):
        session.start_training(4)                         # 40 updates, a checkpoint after every 4
    assert len(session.history) == 40
    changed = []
    session.params_changed.connect(lambda: changed.append(True))
    shown = session.show_update(18)
    assert shown == 16 and changed                        # (the regime badge follows)                                    # the nearest checkpoint at or before update 18
    params_16, optimizer = start, make_optimizer("adam", 0.01)
    for k in range(4):                                    # (the run is runs of 4 updates)
        _, params_16 = engine_run(session.config, params_16, 4, start_step=4 * k, optimizer=optimizer)
    assert same_params(session.params, params_16)
    ref = reference_record(session.config, params_16)
    assert np.array_equal(session.record.dh, ref.dh)       # the pass recomputed from that checkpoint
    assert len(session.history) == 40                      # looking back loses nothing
    session.continue_from(16)
    assert len(session.history) == 16 and len(session.earlier_runs) == 1
    assert len(session.earlier_runs[0][1]) == 40           # the run forked away from stays on the curve
    session.set_config(lr=0.001)
    session.start_training(4)
    assert len(session.history) == 20


def test_a_whole_scenario_without_qt(session):
    """Set a configuration, step forward and back, train, pause at a breakpoint, undo."""
    assert session.set_config(task="sine", hidden=6, seq_len=15)
    session.step_forward()
    session.step_forward()
    session.finish_pass()
    session.step_backward()
    assert session.phase is Phase.STEPPING
    assert session.set_config(break_on_norm=True, break_norm=1e-5)
    session.start_training(100)
    finish_training(session)
    assert session.phase is Phase.PAUSED and len(session.history) == 1
    assert session.undo() and not session.config.break_on_norm
    session.start_training(3)
    assert len(session.history) == 4 and session.phase is Phase.IDLE


def test_a_breakpoint_in_a_few_cheap_updates_pauses_too(session):
    assert session.set_config(break_on_norm=True, break_norm=1e-5)
    session.apply_update()                                # one update: trained at once, here
    assert session.phase is Phase.PAUSED and len(session.history) == 1
    session.step_forward()
    assert session.phase is Phase.STEPPING


def test_a_saved_session_opens_as_it_was(session, tmp_path):
    assert session.set_config(task="sine", hidden=6, optimizer="adam", lr=0.01, seq_len=12)
    session.start_training(6)
    session.reset_pass()
    for _ in range(5):
        session.step_forward()
    session.select(unit=3)
    path = tmp_path / "lesson.bptt"
    session.save(path, layout=b"\x01\x02", lesson={"name": "vanishing", "step": 2})
    saved = (session.config, {k: v.copy() for k, v in session.params.items()}, session.history.loss.copy())
    other = Session()
    try:
        document = other.open(path)
        assert document is not None and document.layout == b"\x01\x02" and document.lesson["step"] == 2
        assert other.config == saved[0] and same_params(other.params, saved[1])
        assert np.array_equal(other.history.loss, saved[2])
        assert other.result.forward_done == 5 and other.phase is Phase.STEPPING
        assert other.selection.unit == 3 and other.selection.step == 4
        # the optimizer state came along: training on gives what the original gives
        session.finish_pass()
        other.finish_pass()
        session.start_training(3)
        other.start_training(3)
        assert same_params(other.params, session.params)
        assert other.undo() and other.config == ExplorerConfig()     # opening is undoable
    finally:
        other.shutdown()


def test_a_broken_session_file_changes_nothing(session, tmp_path):
    from rnn.errors import RnnInputError
    path = tmp_path / "broken.bptt"
    session.save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])                # truncated
    before = (session.config, session.params)
    with pytest.raises(RnnInputError, match="broken.bptt"):
        session.open(path)
    with pytest.raises(RnnInputError, match="missing.bptt"):
        session.open(tmp_path / "missing.bptt")
    assert (session.config, session.params) == before and not session.can_undo


def test_selecting_another_sequence_after_live_training_measures_its_jacobians(session):
    assert session.set_config(batch=3, task="sine", hidden=6)
    session.start_training()
    train_until(session, 5)
    session.pause_training()
    assert session.stepper is None                       # the display pass came from the child
    session.select(batch_index=2)
    expected = jacobian_norms(session.record, make_cell("rnn", "tanh"), session.params, 0, 2)
    assert session.result.jacobian_sequence == 2
    assert np.allclose(session.result.jacobian_norms[0], expected, rtol=1e-13)


def test_a_setting_changed_while_a_mid_size_network_trains_never_deadlocks(session):
    """A new run's weights (~0.6 MB) sent while the child sends a display pass (6.5 MB here) once
    hung the window for good, both ends of the pipe blocked in send."""
    import faulthandler
    assert session.set_config(cell="gru", hidden=64, seq_len=50, batch=16, task="sine", optimizer="adam",
                              lr=0.01)
    faulthandler.dump_traceback_later(120, exit=True)   # a hang fails the run instead of stalling it
    try:
        for lr in (0.02, 0.01, 0.03):
            session.start_training()
            train_until(session, len(session.history) + 3)
            time.sleep(0.6)                                # a display pass is due: the child is sending
            assert session.set_config(lr=lr)               # training-only: the run restarts at once
            assert session.phase is Phase.TRAINING
        train_until(session, len(session.history) + 3)
        session.pause_training()
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert session.phase is Phase.IDLE and session.config.lr == 0.03


def test_training_at_a_set_speed_shows_every_update_and_pauses_at_once(session):
    """Updates per second: 5 updates at 10 a second take about half a second, each arrives on its
    own with a new display pass (every view redraws each update), and Pause does not wait."""
    session.set_config(speed=10.0)
    passes, updates_seen = [], []
    session.pass_changed.connect(lambda: passes.append(session.result))
    session.history_changed.connect(lambda: updates_seen.append(len(session.history)))
    start = time.monotonic()
    session.start_training(5)
    assert session.phase is Phase.TRAINING            # never the quick path on this thread
    finish_training(session)
    elapsed = time.monotonic() - start
    assert len(session.history) == 5 and elapsed >= 0.35
    assert sorted(set(updates_seen)) == [1, 2, 3, 4, 5]    # one at a time
    assert len(passes) >= 5
    session.set_config(speed=2.0)
    session.start_training()                               # continuous, two a second
    train_until(session, 1)
    before = time.monotonic()
    session.pause_training()
    assert time.monotonic() - before < 0.3 and session.phase is not Phase.TRAINING
    assert 6 <= len(session.history) <= 8               # (5 before, then a few at two a second)


def test_a_task_of_the_same_shapes_keeps_the_trained_weights_and_another_draws_new_ones(session):
    session.set_config(task="alphabet_forward", seq_len=12, hidden=8, batch=4)
    session.start_training(3)
    finish_training(session)
    trained = {k: v.copy() for k, v in session.params.items()}
    session.set_config(task="alphabet_backward")          # 26 letters in, 26 out: the same network
    assert same_params(session.params, trained) and len(session.history) == 3
    assert session.config.task == "alphabet_backward"
    assert np.array_equal(np.argmax(session.batch.inputs[1], -1), (np.argmax(session.batch.inputs[0], -1) - 1) % 26)
    session.undo()                                        # and back, still the same weights
    assert session.config.task == "alphabet_forward" and same_params(session.params, trained)
    session.set_config(task="adding")                     # 2 inputs, 1 output: a new network
    assert not same_params(session.params, trained) and len(session.history) == 0


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("task, seq_len", [("adding", 12), ("sine", 10), ("copy_memory", 20)])
def test_pytorchs_reductions_are_the_loss_and_gradients_of_the_pass(session, task, seq_len, reduction):
    """reduction = mean / sum: the pass computes nn.MSELoss(reduction=…) — (ŷ − y)² over the loss
    steps × sequences × outputs, no ½ — or nn.CrossEntropyLoss(reduction=…) over the loss steps ×
    sequences, and its gradients are PyTorch autograd's for the same network and batch."""
    torch = pytest.importorskip("torch")
    session.set_config(task=task, seq_len=seq_len, batch=4, reduction=reduction)
    r, p = session.record, session.params
    rnn = torch.nn.RNN(r.spec.input_size, r.spec.hidden_size).double()
    head = torch.nn.Linear(r.spec.hidden_size, r.spec.output_size).double()
    with torch.no_grad():
        for name, value in p.items():
            module, key = (head, name.split(".")[1]) if name.startswith("readout") else (rnn, name)
            getattr(module, key).copy_(torch.from_numpy(value))
    out, _ = rnn(torch.from_numpy(r.inputs))
    mask = torch.from_numpy(r.loss_mask != 0)
    yhat = head(out)[mask]
    if r.loss_kind == "mse":
        loss = torch.nn.MSELoss(reduction=reduction)(yhat, torch.from_numpy(r.targets)[mask])
    else:
        loss = torch.nn.CrossEntropyLoss(reduction=reduction)(yhat, torch.from_numpy(r.targets)[mask])
    loss.backward()
    assert r.loss == pytest.approx(loss.item(), rel=1e-12)
    grads = r.gradients()
    np.testing.assert_allclose(grads["weight_hh_l0"], rnn.weight_hh_l0.grad.numpy(), rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(grads["readout.weight"], head.weight.grad.numpy(), rtol=1e-9, atol=1e-13)


def test_training_on_own_data_learns_it(session):
    """The training process has only the ready-made tasks: the user's data travels with the run.
    Targets y_t = 2 x_t are learnt: the loss ends far below that of the best constant guess,
    ½ Σ_t Var(y_t) ≈ ½ · 10 · 4 = 20."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal((10, 64, 2))
    y = 2.0 * x[:, :, :1]
    assert session.load_data(SequencesTask(x, y, "double.npy"))
    assert session.set_config(optimizer="adam", lr=0.02, batch=16, hidden=8)
    session.start_training(300)
    finish_training(session, timeout=60)
    assert len(session.history) == 300
    constant_guess = 0.5 * np.sum(np.var(y, axis=1))
    assert np.mean(session.history.loss[-20:]) < 0.05 * constant_guess


@pytest.mark.parametrize("make", ["sequences", "last-step classes", "text", "series", "random"])
def test_a_saved_session_carries_the_users_data(session, tmp_path, make):
    """Saved, then opened in another session: the data is read back from the file (added anew
    under a name of its own), and the same batch of it comes back, with the weights."""
    from rnn.user_data import RandomInputsTask, SeriesTask, TextTask
    rng = np.random.default_rng(1)
    task = {"sequences": lambda: SequencesTask(rng.standard_normal((9, 7, 2)), rng.standard_normal((9, 7, 3)), "a.npy"),
            "last-step classes": lambda: SequencesTask(rng.standard_normal((9, 7, 2)), rng.integers(0, 5, 7), "b.npz"),
            "text": lambda: TextTask("abracadabra, said the wizard", "w.txt"),
            "series": lambda: SeriesTask(np.sin(np.arange(80) / 5.0), "s.csv, value"),
            "random": lambda: RandomInputsTask(4, 2)}[make]()
    assert session.load_data(task)
    record, params = session.record, {k: v.copy() for k, v in session.params.items()}
    session.save(tmp_path / "s.bptt")
    fresh = Session()
    try:
        fresh.open(tmp_path / "s.bptt")
        assert fresh.config.task != session.config.task or make == "random"   # (random inputs are shared)
        assert fresh.config.task_object.title.startswith(task.title.split(" #")[0])
        assert np.array_equal(fresh.record.inputs, record.inputs)
        assert np.array_equal(fresh.record.targets, record.targets)
        assert np.array_equal(fresh.record.loss_mask, record.loss_mask)
        assert same_params(fresh.params, params)
    finally:
        fresh.shutdown()


def test_find_blowup_steps_to_the_first_exploding_value_and_selects_it(session):
    """Forward: a linear RNN with σ_max = 3 triples its state; the first |h| > 10⁶ (found here by
    scanning the recorded states in the order they were computed) is where the pass is stepped to.
    Backward: a tanh RNN keeps |h| < 1 while ∂L/∂h grows past 2 on its way back."""
    assert session.set_config(activation="linear", scale_kind="sigma", scale=3.0, seq_len=40, hidden=4, batch=2)
    h = session.record.h                                  # (L, T, B, H)
    t_first = next(t for t in range(40) if np.any(np.abs(h[0, t]) > 1e6))
    found = session.find_blowup()
    assert found is not None and not found.backward and found.t == t_first
    assert session.result.forward_done == t_first + 1 and session.result.visits_done == 0
    assert session.selection.step == t_first and session.selection.unit == found.unit
    assert abs(session.record.h[0, t_first, found.sequence, found.unit]) > 1e6

    assert session.set_config(activation="tanh", scale_kind="sigma", scale=2.5, seq_len=30, hidden=8, batch=1,
                              task="sine")
    dh = session.record.dh[0, :, 0]
    assert np.abs(session.record.h).max() < 2 < np.abs(dh).max()
    t_back = max(t for t in range(30) if np.any(np.abs(dh[t]) > 2))   # the backward wave runs t = T−1 … 0
    found = session.find_blowup(threshold=2)
    assert found.backward and found.t == t_back and session.selection.step == t_back
    assert session.result.forward_done == 30 and not session.result.done
    assert np.any(np.abs(session.record.dh[0, t_back]) > 2)      # computed by now …
    assert not np.any(np.abs(session.record.dh[0, :t_back]) > 0)  # … and nothing before it yet

    session.finish_pass()
    assert session.find_blowup(threshold=1e6) is None


def test_check_gradients_reports_each_parameter(session):
    rows = []
    done = {}
    session.set_config(cell="gru", hidden=3, seq_len=6, batch=2, truncation="tbptt", k1=2, k2=3)
    session.check_gradients(entries=5, on_row=lambda name, error: rows.append((name, error)),
                            on_done=done.update)
    assert [name for name, _ in rows] == list(session.params)
    assert all(error < 1e-7 for _, error in rows) and set(done) == set(session.params)


def test_changing_only_the_reduction_recomputes_the_pass(session):
    assert session.set_config(task="sine", seq_len=10, batch=3)
    engine = session.record.loss
    assert session.set_config(reduction="sum")        # nn.MSELoss(sum) = 2B × the engine's L
    assert session.record.loss == pytest.approx(2 * 3 * engine, rel=1e-12)


class HeldRunner:
    """A runner that holds the job it is given, to run when the test says (a worker thread's role)."""
    busy = False

    def __init__(self):
        self.jobs = []

    def submit(self, job, on_finished=None, on_progress=None, on_failed=None):
        self.jobs.append((job, on_finished))

    def run(self):
        from explorer.jobs import drain
        job, on_finished = self.jobs.pop()
        on_finished(drain(job()))

    def cancel(self):
        pass

    def shutdown(self):
        pass


def test_a_large_step_back_runs_off_the_calling_thread_and_lands_on_the_first_visit(monkeypatch):
    """◀ after a complete pass recomputes the forward pass: for a large pass that is a job (the
    window keeps drawing), and the pass lands with one backward visit, that step selected."""
    import explorer.session as session_module
    runner = HeldRunner()
    session = Session(runner=runner)
    try:
        runner.run() if runner.jobs else None
        assert session.result.done
        monkeypatch.setattr(session_module, "SYNC_LIMIT_MS", -1.0)     # every pass counts as large
        session.step_backward()
        assert session.phase is Phase.COMPUTING and len(runner.jobs) == 1
        runner.run()
        T = session.config.seq_len
        assert session.result.forward_done == T and session.result.visits_done == 1
        assert session.selection.step == session.stepper.plan[0][1]
        assert session.phase is Phase.STEPPING
    finally:
        session.shutdown()


@pytest.mark.parametrize("value", ["Infinity", "1e999", "-1", '"many"', "[1]", "1" + "0" * 400, "NaN"])
def test_a_hand_edited_session_with_a_bad_value_is_refused_and_nothing_changes(session, tmp_path, value):
    import json
    import zipfile
    session.save(tmp_path / "s.bptt")
    with zipfile.ZipFile(tmp_path / "s.bptt") as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    text = members["session.json"].decode()
    doc = json.loads(text)
    doc["config"]["seq_len"] = "@@"
    members["session.json"] = json.dumps(doc).replace('"@@"', value).encode()
    with zipfile.ZipFile(tmp_path / "edited.bptt", "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    before = session.config
    with pytest.raises(RnnInputError, match="cannot be used|seq_len|config"):
        session.open(tmp_path / "edited.bptt")
    assert session.config == before
