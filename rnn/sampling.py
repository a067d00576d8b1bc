"""Sampling text from a character-level network, one step at a time.

At each step the readout gives logits ŷ_t; the next character is drawn from
p = softmax(ŷ_t / τ) with temperature τ (τ → 0: greedy; τ = 1: the model's distribution). A
temperature so small that ŷ_t / τ overflows picks the most probable character, as τ → 0 does.
"""

import numpy as np

from .cells import cell_of
from .errors import RnnInputError
from .losses import softmax
from .params import NetworkSpec, layer_params


def sample_text(spec: NetworkSpec, params: dict, task, rng: np.random.Generator,
                temperature: float = 1.0, max_length: int = 20, start: str | None = None) -> str:
    """Draw characters until the end marker (the vocab's first symbol) or ``max_length``; the
    network first reads ``start`` (default: the marker) character by character, and the text
    returned is what it writes after it."""
    if not np.isfinite(temperature) or temperature <= 0:
        raise RnnInputError(f"temperature must be a number > 0, got {temperature!r}")
    cell = cell_of(spec)
    marker = task.vocab[0]
    given = task.encode(start or marker)
    h = np.zeros((spec.num_layers, 1, spec.hidden_size))
    c = np.zeros_like(h)

    def read(index):
        """One step on the character ``index``: the states move on; returns the logits ŷ_t."""
        x = np.zeros((1, spec.input_size))
        x[0, index] = 1.0
        for l in range(spec.num_layers):
            step = cell.forward(x, h[l], c[l], *layer_params(params, l))
            h[l], x = step.h, step.h
            if step.c is not None:
                c[l] = step.c
        return (x @ params["readout.weight"].T + params["readout.bias"])[0]

    for index in given[:-1]:
        read(index)
    index, out = int(given[-1]), []
    for _ in range(max_length):
        logits = read(index)
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = logits / temperature
        if np.all(np.isfinite(scaled)):
            index = int(rng.choice(len(task.vocab), p=softmax(scaled)))
        else:
            index = int(np.argmax(logits))
        if task.vocab[index] == marker:
            break
        out.append(task.vocab[index])
    return "".join(out)
