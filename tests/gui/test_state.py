"""The application state and its worker: one source of truth, consistent after every change,
heavy work off the GUI thread, stale results dropped, training that stops on NaN with the last
finite parameters."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from explorer.config import ExplorerConfig  # noqa: E402
from explorer.state import (SYNC_LIMIT_MS, AppState, estimate_ms,  # noqa: E402
                            training_seed)
from explorer.worker import Worker  # noqa: E402
from rnn.optim import make_optimizer  # noqa: E402
from rnn.params import init_params  # noqa: E402

from engine_reference import reference_record  # noqa: E402
from rnn.training import train  # noqa: E402


def settle(qtbot, state, timeout=20_000):
    qtbot.waitUntil(lambda: state.idle and not state.training, timeout=timeout)


@pytest.fixture
def state(qtbot):
    s = AppState()
    yield s
    s.shutdown()


def assert_consistent(state):
    """Everything the views read describes the same configuration."""
    c, r = state.config, state.record
    assert r.seq_len == c.seq_len and r.batch_size == c.batch
    assert r.spec == c.spec()
    assert state.params["weight_hh_l0"].shape == (c.spec().gates * c.hidden, c.hidden)
    assert state.batch.inputs.shape[:2] == (c.seq_len, c.batch)
    s = state.selection
    assert 0 <= s.step < c.seq_len and 0 <= s.layer < c.layers and 0 <= s.unit < c.hidden
    assert 0 <= s.batch_index < c.batch


def test_starts_on_the_demo_with_a_complete_pass(state):
    assert state.config == ExplorerConfig()
    assert (state.config.task, state.config.seq_len, state.config.cell) == ("delayed_recall", 20, "rnn")
    assert state.stepper.done
    ref = reference_record(state.config)
    assert np.array_equal(state.record.h, ref.h) and np.array_equal(state.record.dh, ref.dh)
    assert_consistent(state)


def test_invalid_change_is_refused_and_leaves_the_state_alone(qtbot, state):
    before = (state.config, state.params, state.record)
    messages = []
    state.message.connect(lambda text, level: messages.append((level, text)))
    assert not state.set_config(truncation="tbptt", k1=8, k2=4)
    assert not state.set_config(seq_len=1)            # delayed recall needs T ≥ 2
    assert not state.set_config(hidden=0)
    assert not state.set_config(cell="transformer")
    assert (state.config, state.params, state.record) == before
    assert state.requested == state.config
    assert [level for level, _ in messages] == ["error"] * 4
    assert "k2" in messages[0][1] and "at least 2" in messages[1][1]


def test_signals_fire_once_per_real_change(qtbot, state):
    seen = []
    for name in ("configChanged", "paramsChanged", "passChanged"):
        getattr(state, name).connect(lambda *a, name=name: seen.append(name))
    assert state.set_config(hidden=8)                  # no change: nothing emitted
    assert seen == []
    assert state.set_config(hidden=12)
    assert seen.count("configChanged") == 1 and seen.count("paramsChanged") == 1
    seen.clear()
    assert state.set_config(lr=0.1)                    # training-only setting: no new pass
    assert seen == ["configChanged"]


@pytest.mark.parametrize("changes", [
    dict(seq_len=35), dict(hidden=5, layers=2), dict(cell="lstm"), dict(cell="gru", batch=3),
    dict(truncation="tbptt", k1=4, k2=7), dict(activation="relu", init="orthogonal", scale_kind="radius", scale=1.2),
    dict(task="sine", loss_at="all"), dict(task="names", seq_len=12, batch=2),
])
def test_each_change_matches_the_engine(qtbot, state, changes):
    assert state.set_config(**changes)
    settle(qtbot, state)
    ref = reference_record(state.config)
    assert np.array_equal(state.record.h, ref.h)
    assert np.array_equal(state.record.dh, ref.dh)
    assert np.allclose(state.record.loss_t, ref.loss_t)
    assert_consistent(state)


def test_stepping_through_gives_the_whole_pass(state):
    config = state.config
    T = config.seq_len
    state.step_forward()                               # from a finished pass: a fresh walk-through
    assert state.stepper.forward_done == 1 and state.selection.step == 0
    for _ in range(T - 1):
        state.step_forward()
    assert state.stepper.forward_complete and not state.stepper.backward_complete
    for _ in range(len(state.stepper.plan)):
        state.step_backward()
    assert state.stepper.done and state.selection.step == 0
    ref = reference_record(config)
    for name in ("h", "pre", "yhat", "loss_t", "dh", "d_ih", "dh0"):
        assert np.array_equal(getattr(state.record, name), getattr(ref, name)), name
    assert np.allclose(state.record.sensitivity, ref.sensitivity)


def test_large_pass_runs_off_the_gui_thread_and_lands_consistent(qtbot, state):
    changes = dict(seq_len=400, hidden=64, batch=8, task="sine")
    assert estimate_ms(state.config.with_(**changes)) > SYNC_LIMIT_MS
    assert state.set_config(**changes)
    assert state.busy and state.config.seq_len == 20    # the views still show the old, whole result
    assert_consistent(state)
    settle(qtbot, state)
    assert state.config.seq_len == 400
    assert_consistent(state)
    ref = reference_record(state.config)
    assert np.array_equal(state.record.dh, ref.dh)


def test_a_new_request_cancels_the_running_one(qtbot, state):
    assert state.set_config(seq_len=600, hidden=64, batch=8, task="sine")
    assert state.busy
    assert state.set_config(seq_len=30, hidden=6, batch=1, task="delayed_recall")   # small: synchronous
    settle(qtbot, state)
    qtbot.wait(300)                                    # the cancelled job must not land late
    assert (state.config.seq_len, state.config.hidden) == (30, 6)
    assert_consistent(state)


def test_worker_drops_stale_results(qtbot):
    worker = Worker()
    results = []

    def slow(tag, n):
        def job():
            for _ in range(n):
                yield
            return tag
        return job

    def never_yields_quickly():
        import time
        time.sleep(0.2)
        yield
        return "old"

    worker.submit(never_yields_quickly, on_finished=results.append)
    worker.submit(slow("new", 3), on_finished=results.append)
    qtbot.waitUntil(lambda: not worker.busy, timeout=5000)
    qtbot.waitUntil(lambda: worker.threads_running == 0, timeout=5000)
    assert results == ["new"]
    worker.shutdown()


def test_training_never_touches_the_arrays_the_gui_reads(qtbot, state):
    assert state.set_config(task="sine", hidden=8, optimizer="adam", lr=0.01)
    params, record = state.params, state.record
    saved = {k: v.copy() for k, v in params.items()}
    saved_h = record.h.copy()
    state.start_training(40)
    settle(qtbot, state)
    assert len(state.history) == 40
    assert state.params is not params
    assert all(np.array_equal(params[k], saved[k]) for k in saved)
    assert np.array_equal(record.h, saved_h)
    assert_consistent(state)


def test_training_matches_the_engine_loop(qtbot, state):
    assert state.set_config(task="sine", hidden=6, optimizer="sgd", lr=0.05, clip_mode="norm",
                            clip_threshold=0.5)
    start = {k: v.copy() for k, v in state.params.items()}
    state.start_training(15)
    settle(qtbot, state)
    c = state.config
    params = {k: v.copy() for k, v in start.items()}
    losses = [u.loss for u in train(c.spec(), params, c.task_object, make_optimizer(c.optimizer, c.lr),
                                    steps=15, seq_len=c.seq_len, batch_size=c.batch, clip_mode=c.clip_mode,
                                    clip_threshold=c.clip_threshold, seed=training_seed(c, 0))]
    assert np.allclose(state.history.loss, losses)
    assert all(np.array_equal(state.params[k], params[k]) for k in params)


def test_continuous_training_pauses_and_resumes(qtbot, state):
    state.start_training()
    assert state.training
    qtbot.waitUntil(lambda: len(state.history) >= 5, timeout=10_000)
    state.pause_training()
    assert not state.training
    n = len(state.history)
    qtbot.wait(200)
    assert len(state.history) == n                     # nothing lands after a pause
    state.toggle_training()
    qtbot.waitUntil(lambda: len(state.history) > n + 3, timeout=10_000)
    state.toggle_training()
    assert not state.training


def test_live_training_in_its_process_is_the_engine_loop(qtbot, state):
    """Continuous training runs in a child process; what lands is exactly the engine's own run."""
    assert state.set_config(task="sine", hidden=6, optimizer="adam", lr=0.01, clip_mode="norm",
                            clip_threshold=0.5, truncation="tbptt")
    start = {k: v.copy() for k, v in state.params.items()}
    state.start_training()
    qtbot.waitUntil(lambda: len(state.history) >= 30, timeout=20_000)
    state.pause_training()
    settle(qtbot, state)
    n, c = len(state.history), state.config
    params = {k: v.copy() for k, v in start.items()}
    optimizer = make_optimizer(c.optimizer, c.lr)
    truncation = c.truncation_rule()
    updates = list(train(c.spec(), params, c.task_object, optimizer, steps=n, seq_len=c.seq_len,
                         batch_size=c.batch, truncation=truncation, clip_mode=c.clip_mode,
                         clip_threshold=c.clip_threshold, seed=training_seed(c, 0), compare_full=True))
    assert np.array_equal(state.history.loss, [u.loss for u in updates])
    assert np.array_equal(state.history.cosine, [u.cosine_to_full for u in updates])
    assert all(np.array_equal(state.params[k], params[k]) for k in params)


def test_a_few_updates_on_the_gui_thread_never_wait_for_a_redraw(state, monkeypatch):
    """Short runs are drained on the GUI thread, where nobody acknowledges chunks: even when a
    chunk falls due at every update, the run must finish (a live run would wait for the GUI)."""
    import faulthandler
    import explorer.state as state_module
    monkeypatch.setattr(state_module, "CHUNK_SECONDS", 0.0)
    faulthandler.dump_traceback_later(60, exit=True)    # a hang fails the run instead of stalling it
    try:
        state.start_training(5)
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert len(state.history) == 5 and not state.training


def test_live_training_moves_the_curves_every_chunk_and_the_views_catch_up_on_pause(qtbot, state):
    passes, chunks = [], []
    state.passChanged.connect(lambda: passes.append(len(state.history)))
    state.historyChanged.connect(lambda: chunks.append(len(state.history)))
    state.start_training()
    qtbot.waitUntil(lambda: len(chunks) >= 8, timeout=20_000)
    during = len(passes)
    state.pause_training()
    settle(qtbot, state)
    assert during < len(chunks)        # the network views get a new pass less often than the curves
    assert passes[-1] == len(state.history)
    # what the views draw is the pass of the parameters training stopped with
    assert all(np.array_equal(state.stepper.params[k], state.params[k]) for k in state.params)
    assert_consistent(state)


def test_nan_pauses_training_and_keeps_the_last_finite_parameters(qtbot, state):
    hits, messages = [], []
    state.breakpointHit.connect(lambda text, level: hits.append((level, text)))
    state.message.connect(lambda text, level: messages.append((level, text)))
    assert state.set_config(activation="linear", scale_kind="radius", scale=3.0, lr=5.0, seq_len=40,
                            hidden=16, batch=4)
    start = {k: v.copy() for k, v in state.params.items()}
    state.start_training(500)
    settle(qtbot, state)
    assert not state.training
    assert hits and hits[-1][0] == "error" and "NaN/Inf" in hits[-1][1]
    assert any(level == "error" and "NaN/Inf" in text for level, text in messages)
    n = len(state.history)
    assert n < 500 and not np.isfinite(state.history.loss[-1])
    assert all(np.all(np.isfinite(v)) for v in state.params.values())
    # the same run in the engine: the parameters after the last finite update
    c = state.config
    params = {k: v.copy() for k, v in start.items()}
    updates = list(train(c.spec(), params, c.task_object, make_optimizer(c.optimizer, c.lr), steps=500,
                         seq_len=c.seq_len, batch_size=c.batch, seed=training_seed(c, 0)))
    assert len(updates) == n and not updates[-1].finite
    assert all(np.array_equal(state.params[k], params[k]) for k in params)


def test_gradient_norm_breakpoint(qtbot, state):
    hits = []
    state.breakpointHit.connect(lambda text, level: hits.append(text))
    assert state.set_config(break_on_norm=True, break_norm=1e-5)
    state.start_training(50)
    settle(qtbot, state)
    assert len(state.history) == 1 and hits and "‖g‖" in hits[0]


def test_clipping_breakpoint(qtbot, state):
    hits = []
    state.breakpointHit.connect(lambda text, level: hits.append(text))
    assert state.set_config(clip_mode="norm", clip_threshold=1e-6, break_on_clip=True)
    state.start_training(50)
    settle(qtbot, state)
    assert len(state.history) == 1 and state.history.clipped == [True] and "clipped" in hits[0]


def test_one_update_and_reinitialise(qtbot, state):
    before = state.params
    state.apply_update()
    settle(qtbot, state)
    assert len(state.history) == 1 and state.params is not before
    state.reinitialise()
    settle(qtbot, state)
    assert len(state.history) == 0
    assert all(np.array_equal(state.params[k], v) for k, v in
               init_params(state.spec, **state.config.init_options()).items())


def test_names_training_samples_names(qtbot, state):
    assert state.set_config(task="names", seq_len=12, hidden=16, batch=8, optimizer="adam", lr=0.02)
    settle(qtbot, state)
    state.start_training(20)
    settle(qtbot, state)
    assert len(state.samples) == 5 and all(isinstance(s, str) for s in state.samples)
    assert all(set(s) <= set("abcdefghijklmnopqrstuvwxyz") for s in state.samples)


def test_load_weights_adopts_their_shape(qtbot, state):
    from rnn.params import NetworkSpec
    spec = NetworkSpec(cell="gru", input_size=1, hidden_size=5, output_size=1, num_layers=2)
    params = init_params(spec, seed=3)
    assert state.load_weights(spec, params, "test")
    settle(qtbot, state)
    assert (state.config.cell, state.config.hidden, state.config.layers) == ("gru", 5, 2)
    assert all(np.array_equal(state.params[k], params[k]) for k in params)
    assert_consistent(state)
    bad = NetworkSpec(cell="rnn", input_size=7, hidden_size=5, output_size=3)
    assert not state.load_weights(bad, init_params(bad), "bad")
    assert state.config.cell == "gru"


def test_jacobian_norms_follow_the_steps(state):
    full = state.jacobian_norms(0).copy()
    state.reset_pass()
    state.step_forward()
    partial = state.jacobian_norms(0)
    assert partial.shape == full.shape and not np.array_equal(partial, full)
