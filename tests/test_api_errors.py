"""The engine's Python API refuses bad calls with RnnInputError and a message: no raw NumPy or
Python error escapes, nothing bad is silently accepted."""

import numpy as np
import pytest

from rnn.bptt import BPTT, run_bptt
from rnn.diagnostics import regime
from rnn.errors import RnnInputError
from rnn.io import read_npz, save_npz, save_params
from rnn.params import NetworkSpec, init_params

SPEC = NetworkSpec(input_size=2, hidden_size=3, output_size=1)
PARAMS = init_params(SPEC)
X, Y = np.zeros((4, 2, 2)), np.zeros((4, 2, 1))

BAD_CALLS = {
    "forward_steps(-1)": (lambda: BPTT(SPEC, PARAMS, X, Y).forward_steps(-1), "whole number ≥ 1"),
    "forward_steps(0)": (lambda: BPTT(SPEC, PARAMS, X, Y).forward_steps(0), "whole number ≥ 1"),
    "forward_steps(2.5)": (lambda: BPTT(SPEC, PARAMS, X, Y).forward_steps(2.5), "whole number ≥ 1"),
    "backward_steps(True)": (lambda: BPTT(SPEC, PARAMS, X, Y).backward_steps(True), "whole number ≥ 1"),
    "ragged inputs": (lambda: run_bptt(SPEC, PARAMS, [[[0, 0]], [[0]]], Y), "cannot be read as an array"),
    "complex inputs": (lambda: run_bptt(SPEC, PARAMS, X + 1j, Y), "real numbers"),
    "string targets": (lambda: run_bptt(SPEC, PARAMS, X, np.full((4, 2, 1), "a")), "real numbers"),
    "object inputs": (lambda: run_bptt(SPEC, PARAMS, np.array([None] * 16).reshape(4, 2, 2), Y), "real numbers"),
    "ragged h0": (lambda: run_bptt(SPEC, PARAMS, X, Y, h0=[[1], [2, 3]]), "cannot be read as an array"),
    "truncation as a string": (lambda: run_bptt(SPEC, PARAMS, X, Y, truncation="full"), "must be a Truncation"),
    "negative seed": (lambda: run_bptt(SPEC, PARAMS, X, Y, seed=-1), "seed must be"),
    "spec as a string": (lambda: run_bptt("rnn", PARAMS, X, Y), "must be a NetworkSpec"),
    "hidden_size=True": (lambda: NetworkSpec(hidden_size=True), "whole number ≥ 1"),
    "num_layers=True": (lambda: NetworkSpec(num_layers=True), "num_layers"),
    "init seed -1": (lambda: init_params(SPEC, seed=-1), "seed must be"),
    "init seed 1.5": (lambda: init_params(SPEC, seed=1.5), "seed must be"),
    "save_params of no network": (lambda: save_params("/tmp/never-written.npz", {"x": np.zeros(2)}),
                                  "not a network's parameters"),
    "save_npz of objects": (lambda: save_npz("/tmp/never-written.npz", {"x": np.array([{}])}), "not a numeric"),
}


@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_a_bad_call_raises_rnn_input_error_with_a_message(name):
    call, match = BAD_CALLS[name]
    with pytest.raises(RnnInputError, match=match):
        call()


def test_the_regime_of_non_finite_weights_says_so():
    verdict = regime({**PARAMS, "weight_hh_l0": np.full((3, 3), np.nan)}, SPEC).verdict
    assert verdict.startswith("no regime")


def test_any_key_can_be_saved_and_read_back(tmp_path):
    """np.savez's own argument names (file, allow_pickle) are ordinary keys here."""
    save_npz(tmp_path / "a.npz", {"file": np.arange(3), "allow_pickle": np.ones(2)})
    arrays = read_npz(tmp_path / "a.npz", "test file")
    assert sorted(arrays) == ["allow_pickle", "file"] and arrays["file"].tolist() == [0, 1, 2]
