"""The training loop reuses its recordings' arrays from one update to the next (rnn.bptt.Buffers):
what a user gets must be exactly what fresh passes give, and a recording the caller still holds
must never be written over."""

import weakref

import numpy as np
import pytest

from rnn.bptt import Buffers, run_bptt
from rnn.optim import Adam
from rnn.params import NetworkSpec, init_params
from rnn.tasks import get_task
from rnn.training import train
from rnn.truncation import Truncation

RECORDED = ("pre", "h", "gates", "c", "extra", "yhat", "loss_t", "dyhat", "dh", "dc", "d_ih", "d_hh", "dh0", "dc0")


def setup(cell):
    task = get_task("sine")
    spec = NetworkSpec(cell=cell, input_size=task.input_size, hidden_size=5, output_size=task.output_size)
    return task, spec, init_params(spec, seed=3)


def fresh_pass(spec, params, task, record, truncation, seed, step):
    """The update's pass made again from nothing: new zeroed arrays, the same batch and weights."""
    return run_bptt(spec, params, record.inputs, record.targets, loss=task.loss, loss_at=record.loss_mask,
                    truncation=truncation, seed=[seed, step], with_sensitivity=False)


def assert_identical(record, expected):
    for name in RECORDED:
        got, want = getattr(record, name), getattr(expected, name)
        if want is None:
            assert got is None, name
        else:
            assert np.array_equal(got, want), name      # bit for bit, not to a tolerance
    for name, grad in expected.gradients().items():
        assert np.array_equal(record.gradients()[name], grad), name


# overlapping truncation windows (each step visited twice: the second visit adds) and randomized cuts
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("truncation", [Truncation(), Truncation("tbptt", 3, 6), Truncation("random", 0, 3)])
def test_updates_on_reused_arrays_equal_fresh_passes_bit_for_bit(cell, truncation):
    task, spec, params = setup(cell)
    before, first_h = {name: value.copy() for name, value in params.items()}, None
    updates = train(spec, params, task, Adam(0.05), steps=6, seq_len=9, batch_size=4, truncation=truncation,
                    clip_mode="norm", clip_threshold=1.0, seed=7)
    for update in updates:
        record = update.record
        assert_identical(record, fresh_pass(spec, before, task, record, truncation, 7, update.step))
        if update.step == 1:
            first_h = weakref.ref(record.h)
        if update.step == 3:   # the first update's arrays, dropped since, were written again: reuse happened
            assert record.h is first_h()
        before = {name: value.copy() for name, value in params.items()}
        del update, record


def test_a_recording_the_caller_keeps_is_never_written_over():
    task, spec, params = setup("lstm")
    snapshots = []
    kept = []
    for update in train(spec, params, task, Adam(0.05), steps=5, seq_len=9, batch_size=4, seed=2):
        kept.append(update)                              # every update's recording held on to
        snapshots.append({name: getattr(update.record, name).copy() for name in ("h", "c", "dh", "d_ih")})
    view_kept = None
    for update in train(spec, init_params(spec, seed=3), task, Adam(0.05), steps=5, seq_len=9, batch_size=4, seed=2):
        if update.step == 1:
            view_kept = update.record.dh[0, 2]             # a view of the first recording, the recording dropped
            first = view_kept.copy()
    assert len({id(update.record.h) for update in kept}) == 5
    for update, snapshot in zip(kept, snapshots):
        for name, value in snapshot.items():
            assert np.array_equal(getattr(update.record, name), value), (update.step, name)
    assert np.array_equal(view_kept, first)


def test_buffers_hand_out_an_array_again_only_once_nothing_holds_it():
    buffers = Buffers(keep=2)
    a = buffers.empty((3, 4), np.float64)
    assert buffers.empty((3, 4), np.float64) is not a          # a is still held here
    kept = weakref.ref(a)
    view = a[1:]
    del a
    assert buffers.empty((3, 4), np.float64) is not kept()     # a view of it is still held
    del view
    assert buffers.empty((3, 4), np.float64) is kept()         # nothing holds it now
    assert buffers.empty((3, 4), np.float32).dtype == np.float32
    assert buffers.empty((4, 3), np.float64).shape == (4, 3)
