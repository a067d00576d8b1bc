"""The lean pass for long sequences (rnn.lean): checkpoints and carries instead of a whole recording.

The oracle is the full recording of the same pass (itself checked against PyTorch and finite
differences elsewhere; the lean pass against PyTorch in test_torch_parity)."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn import NetworkSpec, RnnInputError, Truncation, init_params, run_bptt
from rnn.gradcheck import relative_error
from rnn.lean import run_lean
from rnn.passresult import NORMS, _measure, forget_products

RECORDED = ["h", "c", "gates", "pre", "extra", "dh", "dc", "d_ih", "d_hh"]
TRUNCATIONS = {"full": Truncation(), "random": Truncation("random", 0, 3), "tbptt-4-4": Truncation.every(4)}


def problem(cell, layers=2, T=37, B=3, seed=0):
    spec = NetworkSpec(cell=cell, input_size=3, hidden_size=5, output_size=2, num_layers=layers)
    rng = np.random.default_rng(seed)
    h0 = rng.normal(size=(layers, B, 5))
    c0 = rng.normal(size=(layers, B, 5)) if cell == "lstm" else None
    return spec, init_params(spec, seed=seed), rng.normal(size=(T, B, 3)), rng.normal(size=(T, B, 2)), h0, c0


@pytest.mark.parametrize("loss_at", ["all", "last"])
@pytest.mark.parametrize("truncation", TRUNCATIONS)
@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_a_lean_pass_has_the_numbers_of_the_full_recording(cell, truncation, loss_at):
    spec, params, x, y, h0, c0 = problem(cell)
    options = dict(loss_at=loss_at, truncation=TRUNCATIONS[truncation], h0=h0, c0=c0, seed=5)
    full = run_bptt(spec, params, x, y, **options)
    lean = run_lean(spec, params, x, y, segment=8, **options)       # 37 = 4 × 8 + 5
    assert len(lean.starts) == 6
    assert lean.loss == full.loss
    expected = full.gradients()
    for name, grad in lean.gradients().items():        # a sum over segments: the order of the sum differs
        assert relative_error(grad, expected[name]) < 1e-13, name
    np.testing.assert_array_equal(lean.dh0, full.dh0)
    np.testing.assert_array_equal(lean.visits, full.visits)
    np.testing.assert_array_equal(lean.yhat, full.yhat)
    for field in NORMS:                                 # every step's norms: the same bits
        np.testing.assert_array_equal(lean.norms[field], _measure(full, field), err_msg=field)
    if cell == "lstm":
        np.testing.assert_array_equal(lean.dc0, full.dc0)
        mean, best = forget_products(full)
        np.testing.assert_allclose(lean.forget_product, mean, rtol=1e-14)
        np.testing.assert_allclose(lean.forget_product_best, best, rtol=1e-14)
    else:
        assert lean.forget_product is None


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_a_segment_computed_again_is_the_full_recordings_steps(cell):
    spec, params, x, y, h0, c0 = problem(cell, T=30)
    full = run_bptt(spec, params, x, y, h0=h0, c0=c0)
    lean = run_lean(spec, params, x, y, h0=h0, c0=c0, segment=7)
    for k in (0, 2, len(lean.starts) - 2):
        s, e = lean.starts[k], lean.starts[k + 1]
        segment = lean.segment(k)
        for name in RECORDED:
            if getattr(full, name) is not None:
                np.testing.assert_array_equal(getattr(segment, name), getattr(full, name)[:, s:e], err_msg=name)
    assert lean.segment_at(0) == 0 and lean.segment_at(13) == 1 and lean.segment_at(29) == 4


def test_one_loss_step_under_full_bptt_keeps_its_sensitivity_row():
    spec, params, x, y, h0, _ = problem("rnn", T=40)
    full = run_bptt(spec, params, x, y, loss_at="last", h0=h0)
    lean = run_lean(spec, params, x, y, loss_at="last", h0=h0)
    np.testing.assert_array_equal(lean.sensitivity_rows.steps, [39])
    np.testing.assert_allclose(lean.sensitivity_rows.rows, full.sensitivity_rows.rows, rtol=1e-12)
    assert run_lean(spec, params, x, y, loss_at="all").sensitivity_rows is None   # a row per loss step: not kept


@settings(max_examples=25, deadline=None)
@given(T=st.integers(1, 40), segment=st.integers(1, 45), cell=st.sampled_from(["rnn", "lstm", "gru"]))
def test_any_segment_length_gives_the_same_gradients(T, segment, cell):
    spec, params, x, y, h0, c0 = problem(cell, layers=1, T=T, B=2)
    expected = run_bptt(spec, params, x, y, h0=h0, c0=c0).gradients()
    lean = run_lean(spec, params, x, y, h0=h0, c0=c0, segment=segment)
    for name, grad in lean.gradients().items():
        assert relative_error(grad, expected[name]) < 1e-13, name


def test_a_long_lstm_pass_takes_a_fraction_of_the_full_recordings_memory():
    spec = NetworkSpec(cell="lstm", input_size=2, hidden_size=32, output_size=1)
    params = init_params(spec)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2500, 2, 2)), rng.normal(size=(2500, 2, 1))
    peaks = {}
    for name, run in (("full", lambda: run_bptt(spec, params, x, y, loss_at="last", with_sensitivity=False)),
                      ("lean", lambda: run_lean(spec, params, x, y, loss_at="last"))):
        tracemalloc.start()
        result = run()
        peaks[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del result
    assert peaks["full"] > 2500 * 2 * 32 * 8 * 10         # ≥ 10 floats a step, sequence and unit
    assert peaks["lean"] < peaks["full"] / 8


def test_truncations_that_cross_checkpoints_and_bad_segments_are_refused():
    spec, params, x, y, _, _ = problem("rnn")
    with pytest.raises(RnnInputError, match="TBPTT\\(k, k\\)"):
        run_lean(spec, params, x, y, truncation=Truncation("tbptt", 3, 6))
    with pytest.raises(RnnInputError, match="segment"):
        run_lean(spec, params, x, y, truncation=Truncation.every(4), segment=6)   # not whole chunks
    with pytest.raises(RnnInputError, match="segment"):
        run_lean(spec, params, x, y, segment=0)


def test_the_forget_gate_product_reaches_back_across_segments_from_an_early_last_loss():
    spec, params, x, y, h0, c0 = problem("lstm", T=37)
    mask = np.zeros(37)
    mask[[3, 12]] = 1.0                                  # the last loss at step 12, in the second segment
    full = run_bptt(spec, params, x, y, loss_at=mask, h0=h0, c0=c0)
    lean = run_lean(spec, params, x, y, loss_at=mask, h0=h0, c0=c0, segment=8)
    mean, best = forget_products(full)
    assert np.all(np.isnan(lean.forget_product[:, 13:])) and np.all(lean.forget_product[:, 12] == 1.0)
    np.testing.assert_allclose(lean.forget_product, mean, rtol=1e-14)
    np.testing.assert_allclose(lean.forget_product_best, best, rtol=1e-14)


def test_training_beyond_the_memory_budget_trains_the_same_weights(monkeypatch):
    from rnn.memory import BUDGET_VARIABLE, lean_pass_bytes, pass_bytes
    from rnn.optim import make_optimizer
    from rnn.tasks import get_task
    from rnn.training import train
    task = get_task("adding")
    spec = NetworkSpec(cell="gru", input_size=task.input_size, hidden_size=8, output_size=task.output_size)
    runs = {}
    for budget in (None, 2 * lean_pass_bytes(spec, 400, 4, 20)):
        if budget is not None:
            assert budget < pass_bytes(spec, 400, 4, False)
            monkeypatch.setenv(BUDGET_VARIABLE, str(budget))
        params = init_params(spec, seed=2)
        updates = list(train(spec, params, task, make_optimizer("adam", 0.01), steps=3, seq_len=400,
                             batch_size=4, clip_mode="norm", clip_threshold=1.0, seed=4))
        runs[budget is None] = (params, updates)
    (whole, whole_updates), (lean, lean_updates) = runs[True], runs[False]
    assert type(lean_updates[0].record).__name__ == "LeanPass" and type(whole_updates[0].record).__name__ == "Recording"
    for a, b in zip(whole_updates, lean_updates):
        assert b.loss == pytest.approx(a.loss, rel=1e-14) and b.grad_norm == pytest.approx(a.grad_norm, rel=1e-12)
    for name in whole:
        assert relative_error(lean[name], whole[name]) < 1e-12, name


def test_a_lean_pass_says_how_far_it_is_as_it_goes():
    from rnn.lean import lean_pass
    spec, params, x, y, h0, _ = problem("rnn", T=30)
    job = lean_pass(spec, params, x, y, h0=h0, segment=10)
    shares = []
    while True:
        try:
            shares.append(next(job))
        except StopIteration as done:
            lean = done.value
            break
    assert shares == pytest.approx([1 / 9, 2 / 9, 3 / 9, 5 / 9, 7 / 9, 1.0])   # forward a third, backward the rest
    assert relative_error(lean.gradients()["weight_hh_l0"],
                          run_bptt(spec, params, x, y, h0=h0).gradients()["weight_hh_l0"]) < 1e-13


def test_what_the_window_holds_of_a_lean_pass_is_a_fraction_of_the_whole_recording():
    from rnn.diagnostics import regime
    from rnn.lean import summarise_lean
    spec = NetworkSpec(cell="lstm", input_size=3, hidden_size=32, output_size=2)
    params = init_params(spec)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(400, 8, 3)), rng.normal(size=(400, 8, 2))
    whole = run_bptt(spec, params, x, y, with_sensitivity=False)
    shown = summarise_lean(run_lean(spec, params, x, y), regime(params, spec), 3).record
    assert whole.nbytes >= 400 * 8 * 32 * 17 * 8            # ≥ 17 floats a step, sequence and unit
    assert shown.nbytes < whole.nbytes / 4                  # one sequence of 8, and per-step summaries
