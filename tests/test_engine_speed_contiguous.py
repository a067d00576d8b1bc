"""The gated cells' backward reads contiguous memory (block-major local factors) and writes a step's
first visit straight into the recording: what a user must still get is a recording whose rows,
once a visit has written them, change only by what a later visit to the same step adds."""

import numpy as np
import pytest

from rnn import BPTT, NetworkSpec, Truncation, init_params
from rnn.bptt import _LocalFactors
from rnn.cells import cell_of

BACKWARD_ROWS = ("dh", "dc", "d_ih", "d_hh")


def make(cell, layers=2, T=9, B=3, H=4):
    spec = NetworkSpec(cell=cell, input_size=2, hidden_size=H, output_size=2, num_layers=layers)
    rng = np.random.default_rng(5)
    return spec, init_params(spec, seed=2), rng.standard_normal((T, B, 2)), rng.standard_normal((T, B, 2))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_every_factor_a_visit_reads_is_one_contiguous_array(cell):
    """The point of the block-major layout: a strided (B, H) gate slice costs NumPy 3–5× a
    contiguous one in every product of every visit."""
    spec, params, inputs, targets = make(cell, layers=1, B=5, H=6)
    stepper = BPTT(spec, params, inputs, targets, with_sensitivity=False)
    record = stepper.finish_forward()
    factors = _LocalFactors(cell_of(spec), record, 0)
    for t in (8, 3, 0):
        step = factors.at(t)
        assert len(step) == cell_of(spec).factor_count
        for factor in step:
            assert factor.shape == (5, 6) and factor.flags.c_contiguous


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("truncation", [Truncation(), Truncation("random", 0, 3), Truncation("tbptt", 2, 5)],
                         ids=["full", "random", "overlapping"])
def test_a_recorded_row_changes_only_when_its_step_is_visited_again(cell, truncation):
    """The views show the backward wave as it sweeps: a row written by one visit must not change
    when later visits write their own rows (no recorded row may share memory with what the
    stepper carries on), and a second visit to a step (overlapping windows) adds to its row."""
    spec, params, inputs, targets = make(cell)
    stepper = BPTT(spec, params, inputs, targets, truncation=truncation, seed=4, with_sensitivity=False)
    record = stepper.finish_forward()
    shown = {}                                      # (name, t) → the row as the last visit to t left it
    while not stepper.backward_complete:
        _, t = stepper.step_backward()
        for (name, step), row in shown.items():
            if step != t:
                assert np.array_equal(getattr(record, name)[:, step], row), (name, step, t)
        for name in BACKWARD_ROWS:
            if getattr(record, name) is not None:
                shown[name, t] = getattr(record, name)[:, t].copy()
    if truncation.mode == "tbptt":
        assert record.visits.max() > 1              # (the case where a visit adds to a written row)
