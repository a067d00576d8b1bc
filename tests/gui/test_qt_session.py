"""The session's Qt adapter: large passes on the worker thread (the views keep the old, whole result
until the new one lands), stale results dropped, the training pipe read when it is readable, and the
session's events relayed as Qt signals."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from explorer.cost import SYNC_LIMIT_MS, estimate_ms  # noqa: E402
from explorer.qt_session import QtSession  # noqa: E402
from explorer.session import Phase  # noqa: E402
from explorer.worker import Worker  # noqa: E402

from engine_reference import reference_record  # noqa: E402


def settle(qtbot, state, timeout=20_000):
    qtbot.waitUntil(lambda: state.idle and not state.training, timeout=timeout)


@pytest.fixture
def state(qtbot):
    s = QtSession()
    yield s
    s.shutdown()


def test_large_pass_runs_off_the_gui_thread_and_lands_consistent(qtbot, state):
    changes = dict(seq_len=400, hidden=64, batch=8, task="sine")
    assert estimate_ms(state.config.with_(**changes)) > SYNC_LIMIT_MS
    with qtbot.waitSignal(state.busyChanged, timeout=1000):
        assert state.set_config(**changes)
    assert state.busy and state.phase is Phase.COMPUTING
    assert state.config.seq_len == 20 and state.record.seq_len == 20   # the old, whole result
    settle(qtbot, state)
    assert state.config.seq_len == 400 and state.result.seq_len == 400
    assert np.array_equal(state.record.dh, reference_record(state.config).dh)


def test_a_new_request_cancels_the_running_one(qtbot, state):
    assert state.set_config(seq_len=600, hidden=64, batch=8, task="sine")
    assert state.busy
    assert state.set_config(seq_len=30, hidden=6, batch=1, task="delayed_recall")   # small: at once
    settle(qtbot, state)
    qtbot.wait(300)                                    # the cancelled job must not land late
    assert (state.config.seq_len, state.config.hidden) == (30, 6) and state.record.seq_len == 30


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


def test_live_training_reaches_the_views_through_the_event_loop(qtbot, state):
    """Nobody calls poll: the pipe's notifier does. The curves move with every message, the network
    views get a new pass less often, and on pause they show the weights training stopped with."""
    passes, curves = [], []
    state.passChanged.connect(lambda: passes.append(len(state.history)))
    state.historyChanged.connect(lambda: curves.append(len(state.history)))
    with qtbot.waitSignal(state.trainingChanged, timeout=1000):
        state.start_training()
    qtbot.waitUntil(lambda: len(curves) >= 12, timeout=30_000)
    during = len(passes)
    state.pause_training()
    settle(qtbot, state)
    assert not state.training and during < len(curves)
    assert passes[-1] == len(state.history)
    assert np.array_equal(state.record.dh, reference_record(state.config, state.params).dh)


def test_undo_and_redo_are_relayed(qtbot, state):
    with qtbot.waitSignal(state.undoChanged, timeout=1000):
        assert state.set_config(hidden=5)
    assert state.can_undo and state.undo() and state.config.hidden == 8


def test_the_window_side_uses_one_blas_thread(state):
    from threadpoolctl import threadpool_info
    assert {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"} == {1}
