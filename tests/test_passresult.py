"""PassResult: what the views draw is measured once, by the engine, and stepping measures only the
steps it touched without changing a single number."""

import numpy as np
import pytest

from rnn.bptt import BPTT
from rnn.cells import make_cell
from rnn.diagnostics import jacobian_norms, regime
from rnn.params import NetworkSpec, init_params
from rnn.passresult import NORMS, summarise
from rnn.truncation import Truncation


def stepper_for(cell, truncation=Truncation(), T=9, B=3, layers=2):
    spec = NetworkSpec(cell=cell, input_size=2, hidden_size=4, output_size=2, num_layers=layers)
    params = init_params(spec, seed=1)
    rng = np.random.default_rng(0)
    return BPTT(spec, params, rng.normal(size=(T, B, 2)), rng.normal(size=(T, B, 2)), loss_at="all",
                truncation=truncation), spec, params


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("truncation", [Truncation(), Truncation("tbptt", 3, 5)])
def test_a_result_updated_step_by_step_equals_one_made_from_scratch(cell, truncation):
    stepper, spec, params = stepper_for(cell, truncation)
    reg = regime(params, spec)
    result = summarise(stepper, reg, sequence=1)
    while not stepper.done:
        if not stepper.forward_complete:
            touched = [stepper.step_forward()]
        else:
            touched = [stepper.step_backward()[1]]
        result = summarise(stepper, reg, 1, previous=result, steps=touched)
        fresh = summarise(stepper, reg, 1)
        for field in NORMS:
            assert np.array_equal(getattr(result, field), getattr(fresh, field), equal_nan=True), field
        np.testing.assert_allclose(result.w_hh_step_norms, fresh.w_hh_step_norms, rtol=1e-12, atol=0)
        assert np.array_equal(result.jacobian_norms, fresh.jacobian_norms, equal_nan=True)
        assert result.forward_done == stepper.forward_done and result.visits_done == stepper.visits_done


def test_norms_are_what_their_names_say():
    stepper, spec, params = stepper_for("lstm")
    stepper.finish()
    result, r = summarise(stepper, regime(params, spec)), stepper.record
    l, t, b = 1, 4, 2
    assert result.dh_norm_batch[l, t] == pytest.approx(np.sqrt(np.sum(r.dh[l, t] ** 2)), rel=1e-15)
    assert result.dh_norm_sequence[l, t, b] == pytest.approx(np.sqrt(np.sum(r.dh[l, t, b] ** 2)), rel=1e-15)
    assert result.dyhat_norm_sequence[t, b] == pytest.approx(np.sqrt(np.sum(r.dyhat[t, b] ** 2)), rel=1e-15)


def test_jacobian_norms_of_a_range_of_steps_are_those_of_the_whole_pass():
    stepper, spec, params = stepper_for("gru")
    stepper.finish()
    cell = make_cell("gru", "tanh")
    whole = jacobian_norms(stepper.record, cell, params, 1, 2)
    part = jacobian_norms(stepper.record, cell, params, 1, 2, slice(3, 7))
    assert np.allclose(part, whole[3:7], rtol=1e-14, atol=0)


def test_step_jacobians_measured_a_few_steps_per_call_are_those_of_one_call(monkeypatch):
    """The window's thread is let in between calls of the stacked SVD: the chunks change no number."""
    import rnn.passresult as passresult
    stepper, spec, params = stepper_for("lstm", T=9)
    stepper.finish()
    cell = make_cell("lstm", "tanh")
    whole = np.stack([jacobian_norms(stepper.record, cell, params, layer, 2) for layer in range(2)])
    monkeypatch.setattr(passresult, "JACOBIAN_CHUNK", 2 * 8 ** 3)   # two steps per call at size 2H = 8
    chunked = passresult.step_jacobians(stepper.record, cell, params, 2, slice(1, 8))
    np.testing.assert_allclose(chunked[:, 1:8], whole[:, 1:8], rtol=1e-14, atol=0)
    assert np.all(np.isnan(chunked[:, [0, 8]]))


def test_truncation_masks():
    stepper, _, _ = stepper_for("rnn", Truncation("tbptt", 3, 5), T=9)
    result = summarise(stepper, regime(stepper.params, stepper.spec))
    # segments [0,3) [3,6) [6,9), each backpropagated through 2 more steps before it
    assert np.array_equal(result.window_masks.astype(int),
                          [[1, 1, 1, 0, 0, 0, 0, 0, 0], [0, 1, 1, 1, 1, 1, 0, 0, 0], [0, 0, 0, 0, 1, 1, 1, 1, 1]])
    assert np.array_equal(result.through, [False] + [True] * 8)


@pytest.mark.parametrize("cell, B", [("rnn", 3), ("lstm", 3), ("gru", 1), ("rnn", 9)])
def test_every_step_and_every_sequence_adds_its_share_of_the_shared_weights_gradient(cell, B):
    """∂L/∂W_hh = Σ_t C_t = Σ_b G_b: each step's and each sequence's outer products d pᵀ, written out
    here one by one, against the shares; the total is the engine's gradient of W_hh."""
    stepper, spec, params = stepper_for(cell, B=B)
    stepper.finish()
    result, r = summarise(stepper, regime(params, spec)), stepper.record
    for layer in range(spec.num_layers):
        previous = [r.h0[layer]] + [r.h[layer, t - 1] for t in range(1, r.seq_len)]
        outer = np.array([[np.outer(r.d_hh[layer, t, b], previous[t][b]) for b in range(B)]
                          for t in range(r.seq_len)])                          # (T, B, GH, H)
        np.testing.assert_allclose(result.w_hh_step_norms[layer],
                                   [np.linalg.norm(outer[t].sum(axis=0)) for t in range(r.seq_len)], rtol=1e-12)
        np.testing.assert_allclose(result.w_hh_sequence_norms[layer],
                                   [np.linalg.norm(outer[:, b].sum(axis=0)) for b in range(B)], rtol=1e-12)
        assert result.w_hh_norm[layer] == pytest.approx(
            np.linalg.norm(r.gradients()[f"weight_hh_l{layer}"]), rel=1e-12)
