"""A pass checks its parameters and seed more cheaply than it did (one errstate for every
parameter, no random generator where nothing is drawn): what it accepts and refuses must not
change."""

import warnings

import numpy as np
import pytest

from rnn.bptt import BPTT, run_bptt
from rnn.errors import RnnInputError
from rnn.params import NetworkSpec, all_finite, check_params, init_params
from rnn.truncation import Truncation

SPEC = NetworkSpec(cell="gru", input_size=2, hidden_size=3, output_size=2, num_layers=2)
X, Y = np.random.default_rng(0).standard_normal((6, 2, 2)), np.random.default_rng(1).standard_normal((6, 2, 2))


def params_with(name, change):
    params = init_params(SPEC, seed=0)
    params[name] = change(params[name])
    return params


@pytest.mark.parametrize("bad, message", [
    (np.nan, "weight_hh_l1 contains NaN or Inf"),
    (np.inf, "weight_hh_l1 contains NaN or Inf"),
    (-np.inf, "weight_hh_l1 contains NaN or Inf"),
])
def test_a_non_finite_weight_is_named(bad, message):
    def spoil(w):
        w = w.copy()
        w[1, 2] = bad
        return w
    with pytest.raises(RnnInputError, match=message):
        run_bptt(SPEC, params_with("weight_hh_l1", spoil), X, Y)


def test_a_weight_of_whole_numbers_is_refused():
    with pytest.raises(RnnInputError, match="bias_ih_l0 must be a floating-point array"):
        check_params(params_with("bias_ih_l0", lambda b: np.ones(b.shape, dtype=int)), SPEC)


def test_the_first_bad_parameter_is_the_one_named():
    """A NaN in an earlier parameter is reported before a wrong shape in a later one."""
    params = params_with("weight_ih_l0", lambda w: np.full(w.shape, np.nan))
    params["readout.bias"] = np.zeros(5)
    with pytest.raises(RnnInputError, match="weight_ih_l0 contains NaN"):
        check_params(params, SPEC)


def test_huge_finite_weights_are_accepted_without_a_warning():
    """Entries near the largest float64 overflow their sum; they are still finite numbers."""
    huge = params_with("readout.weight", lambda w: np.full(w.shape, 1e308))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_params(huge, SPEC)
        assert all_finite(huge["readout.weight"])
    assert not all_finite(np.array([1e308, np.nan]))


@pytest.mark.parametrize("seed", [-1, 1.5, "seven", -(2 ** 70)])
@pytest.mark.parametrize("truncation", [Truncation(), Truncation.every(2), Truncation("random", 0, 3)])
def test_a_bad_seed_is_refused_whatever_the_truncation(seed, truncation):
    with pytest.raises(RnnInputError, match="seed must be"):
        BPTT(SPEC, init_params(SPEC, seed=0), X, Y, truncation=truncation, seed=seed)


@pytest.mark.parametrize("seed", [0, 7, np.int64(3), 2 ** 70, [4, 5]])
def test_good_seeds_are_accepted_and_draw_the_same_cuts(seed):
    params, trunc = init_params(SPEC, seed=0), Truncation("random", 0, 2)
    full = BPTT(SPEC, params, X, Y, seed=seed)
    assert np.array_equal(full.carry_factors, np.ones(len(X)))
    a = BPTT(SPEC, params, X, Y, truncation=trunc, seed=seed).carry_factors
    b = BPTT(SPEC, params, X, Y, truncation=trunc, seed=seed).carry_factors
    assert np.array_equal(a, b) and set(np.unique(a)) <= {0.0, 2.0}


def test_visits_counted_one_visit_at_a_time_match_a_whole_pass():
    """Overlapping TBPTT windows visit steps more than once; record.visits counts them as the
    stepping goes, the same as a pass run to its end."""
    params, trunc = init_params(SPEC, seed=0), Truncation("tbptt", 2, 4)
    whole = run_bptt(SPEC, params, X, Y, truncation=trunc)
    stepper = BPTT(SPEC, params, X, Y, truncation=trunc)
    stepper.finish_forward()
    expected = np.zeros(len(X), dtype=int)
    while not stepper.backward_complete:
        _, t = stepper.step_backward()
        expected[t] += 1
        assert np.array_equal(stepper.record.visits, expected)
    assert np.array_equal(whole.visits, expected) and expected.max() == 2
    for name, grad in whole.gradients().items():
        assert np.array_equal(stepper.record.gradients()[name], grad), name
