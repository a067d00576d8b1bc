"""Where a pass first leaves the finite range: the blow-up finder.

Forward, states are computed in time order, each step's layers from the bottom up (the LSTM's
c_t before h_t), then ŷ_t; backward, ∂L/∂h_t arrives from the last step towards the first, each
step's layers from the top down. The first value, in that order, that is NaN or Inf or whose
magnitude exceeds a threshold is where the pass blew up: everything computed after it depends on
it. Reads a :class:`~rnn.bptt.Recording`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

DEFAULT_THRESHOLD = 1e6


class Blowup(NamedTuple):
    quantity: str         # "h", "c", "ŷ", "∂L/∂h" or "∂L/∂c"
    t: int
    layer: int | None     # None for ŷ
    sequence: int
    unit: int
    value: float

    @property
    def backward(self) -> bool:
        return self.quantity.startswith("∂")

    def __str__(self) -> str:
        where = f"t = {self.t}" + ("" if self.layer is None else f", layer {self.layer}")
        what = "output" if self.quantity == "ŷ" else "unit"
        sweep = "backward" if self.backward else "forward"
        return (f"{sweep}: {self.quantity} first blows up at {where}, sequence {self.sequence}, "
                f"{what} {self.unit}: {self.value:.6g}")


def _first(values: np.ndarray, threshold: float):
    """(index tuple, value) of the first entry in C order that is not finite or exceeds the
    threshold in magnitude, or None."""
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(values) | (np.abs(values) > threshold)
    if not bad.any():
        return None
    flat = int(np.argmax(bad.ravel()))
    index = np.unravel_index(flat, values.shape)
    return tuple(int(i) for i in index), float(values[index])


def find_blowup(record, threshold: float = DEFAULT_THRESHOLD) -> Blowup | None:
    """The first state, output or state gradient of ``record`` that is NaN/Inf or has
    |value| > ``threshold`` (forward first, then backward, each in the order it was computed);
    None if there is none."""
    T_done = record.forward_done
    forward = [("c", record.c), ("h", record.h)] if record.c is not None else [("h", record.h)]
    for t in range(T_done):
        for layer in range(record.spec.num_layers):
            for name, values in forward:
                found = _first(values[layer, t], threshold)
                if found:
                    (b, unit), value = found
                    return Blowup(name, t, layer, b, unit, value)
        found = _first(record.yhat[t], threshold)
        if found:
            (b, unit), value = found
            return Blowup("ŷ", t, None, b, unit, value)
    backward = [("∂L/∂h", record.dh)] + ([("∂L/∂c", record.dc)] if record.dc is not None else [])
    for t in np.flatnonzero(record.visits)[::-1]:
        for layer in range(record.spec.num_layers - 1, -1, -1):
            for name, values in backward:
                found = _first(values[layer, t], threshold)
                if found:
                    (b, unit), value = found
                    return Blowup(name, int(t), layer, b, unit, value)
    return None
