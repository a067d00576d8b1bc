"""Sampling names from a character-level network (rnn.sampling.sample_text)."""

import numpy as np

from rnn.bptt import run_bptt
from rnn.params import NetworkSpec, init_params
from rnn.sampling import sample_text
from rnn.tasks import get_task

TASK = get_task("names")
SPEC = NetworkSpec("gru", input_size=len(TASK.vocab), hidden_size=16, output_size=len(TASK.vocab), num_layers=2)
PARAMS = init_params(SPEC, seed=4)


def engine_next_letter(start: str) -> str:
    """The most probable letter after ``start``, from the engine's own forward pass over it."""
    symbols = TASK.encode(start)
    inputs = np.eye(len(TASK.vocab))[symbols][:, None, :]                 # (T, 1, V) one-hot
    record = run_bptt(SPEC, PARAMS, inputs, np.zeros((len(symbols), 1), dtype=int), loss="xent")
    return TASK.vocab[int(np.argmax(record.yhat[-1, 0]))]


def test_the_whole_start_is_read_before_writing():
    for start in (".an", ".el", ".zo", ".mar"):
        first = sample_text(SPEC, PARAMS, TASK, np.random.default_rng(0), temperature=1e-9,
                            max_length=1, start=start)
        assert first in ("", engine_next_letter(start))
        assert first == engine_next_letter(start) or engine_next_letter(start) == "."


def test_a_vanishing_temperature_is_greedy_instead_of_nan():
    picks = {sample_text(SPEC, PARAMS, TASK, np.random.default_rng(seed), temperature=1e-320, max_length=12)
             for seed in range(5)}
    assert len(picks) == 1                                                   # no randomness left
    assert picks == {sample_text(SPEC, PARAMS, TASK, np.random.default_rng(9), temperature=1e-9, max_length=12)}
