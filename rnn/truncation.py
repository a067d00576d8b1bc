"""Which losses are backpropagated through which steps.

TBPTT(k1, k2) (Williams & Peng 1990; Sutskever 2013): the T steps are split into segments of k1;
the losses of segment [s, e) are backpropagated through the window [max(0, s − (k2 − k1)), e) (the
segment and the k2 − k1 steps before it); the state before the window is a constant. k1 = k2 = k is
"detach every k steps"; k1 = 1 gives every loss term exactly k2 steps of history. In the chunked
form the first loss of a chunk sees one step of history and the last loss sees k.

Randomized truncation (Tallec & Ollivier 2017): going back from step t to t − 1, the gradient is cut
with probability p = 1/k and otherwise multiplied by 1/(1 − p). The multipliers are independent with
mean 1 and the backward pass is linear in them, so the gradient is unbiased: E[g̃] = g.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .errors import RnnInputError

MODES = ("full", "tbptt", "random")


class Segment(NamedTuple):
    loss_start: int    # losses of steps [loss_start, loss_end) are injected
    loss_end: int
    window_start: int  # backpropagated through steps [window_start, loss_end)


@dataclass(frozen=True)
class Truncation:
    """``full``; ``tbptt`` with k1, k2 (1 ≤ k1 ≤ k2); ``random`` with mean length k2 = 1/p ≥ 2."""
    mode: str = "full"
    k1: int = 0
    k2: int = 0

    def __post_init__(self):
        if self.mode not in MODES:
            raise RnnInputError(f"unknown truncation {self.mode!r}; choose one of {', '.join(MODES)}")
        if self.mode == "tbptt" and not (isinstance(self.k1, (int, np.integer)) and
                                         isinstance(self.k2, (int, np.integer)) and 1 <= self.k1 <= self.k2):
            raise RnnInputError(f"impossible truncation k1={self.k1}, k2={self.k2}: "
                                "need whole numbers with 1 ≤ k1 ≤ k2")
        if self.mode == "random" and not (isinstance(self.k2, (int, float, np.number)) and self.k2 >= 2):
            raise RnnInputError(f"randomized truncation needs a mean length k ≥ 2, got {self.k2!r}")

    @classmethod
    def every(cls, k: int) -> "Truncation":
        """Detach every k steps: TBPTT(k, k)."""
        return cls("tbptt", k, k)

    @property
    def is_full(self) -> bool:
        return self.mode == "full"

    @property
    def label(self) -> str:
        if self.mode == "full":
            return "full BPTT"
        if self.mode == "random":
            return f"randomized truncation, mean length {self.k2:g}"
        return f"TBPTT(k1={self.k1}, k2={self.k2})"

    def segments(self, seq_len: int) -> list:
        if self.mode != "tbptt":
            return [Segment(0, seq_len, 0)]
        return [Segment(s, min(seq_len, s + self.k1), max(0, s - (self.k2 - self.k1)))
                for s in range(0, seq_len, self.k1)]

    def carry_factors(self, seq_len: int, rng: np.random.Generator):
        """factor[t] multiplies the gradient carried from step t back to step t − 1."""
        factors = np.ones(seq_len)
        if self.mode == "random":
            p = 1.0 / self.k2
            factors = np.where(rng.random(seq_len) < p, 0.0, 1.0 / (1.0 - p))
        return factors
