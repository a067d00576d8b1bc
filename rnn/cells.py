"""One timestep of each cell: the forward map and its local backward (the adjoint of that map).

Conventions (PyTorch's): x (B, in), h (B, H); weights act on the right, ``x @ W_ih.T``. Gate rows of
the stacked weights are i, f, g, o for the LSTM and r, z, n for the GRU.

Every backward takes the adjoints ``dh = ∂L/∂h_t`` (and ``dc`` for the LSTM) and returns:

    d_ih     ∂L/∂(W_ih x_t + b_ih)       (B, G·H)  so ∂L/∂W_ih += d_ihᵀ x_t
    d_hh     ∂L/∂(W_hh h_{t−1} + b_hh)   (B, G·H)  so ∂L/∂W_hh += d_hhᵀ h_{t−1}
    dh_prev  ∂L/∂h_{t−1} through this step
    dc_prev  ∂L/∂c_{t−1} through this step (LSTM; None otherwise)
    dc_total ∂L/∂c_t, the carried dc plus the path through h_t (LSTM; None otherwise)
    dx       ∂L/∂x_t

The adjoints may carry extra leading axes (…, B, H) over the cached (B, H) arrays: the same
code then pushes many adjoint vectors at once (sensitivity rows, Jacobian columns).
"""

from typing import NamedTuple

import numpy as np

from .activations import get_activation, sigmoid


class CellStep(NamedTuple):
    """What one forward step records: pre-activations, activated gates, new state, cached extra."""
    pre: np.ndarray     # (B, G·H) pre-activations (for the GRU n gate: W_in x + b_in + r ⊙ (W_hn h + b_hn))
    gates: np.ndarray   # (B, G·H) activated gates (vanilla cell: h_t itself)
    h: np.ndarray       # (B, H)
    c: np.ndarray | None  # (B, H), LSTM only
    extra: np.ndarray   # (B, H): φ'(a_t) (RNN), tanh(c_t) (LSTM), W_hn h_{t−1} + b_hn (GRU)


class Backward(NamedTuple):
    d_ih: np.ndarray
    d_hh: np.ndarray
    dh_prev: np.ndarray
    dc_prev: np.ndarray | None
    dc_total: np.ndarray | None
    dx: np.ndarray


class RNNCell:
    """a_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh,   h_t = φ(a_t)."""
    gates = 1

    def __init__(self, activation: str = "tanh"):
        self.phi = get_activation(activation)

    def forward(self, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh) -> CellStep:
        a = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
        h = self.phi(a)
        return CellStep(a, h, h, None, self.phi.derivative(a, h))

    def backward(self, gates, extra, h_prev, c_prev, dh, dc, W_ih, W_hh) -> Backward:
        da = dh * extra                       # ∂L/∂a_t = ∂L/∂h_t ⊙ φ'(a_t)
        return Backward(da, da, da @ W_hh,    # ∂L/∂h_{t−1} = W_hhᵀ ∂L/∂a_t
                        None, None, da @ W_ih)


class LSTMCell:
    """i, f, o = σ(·), g = tanh(·) of W_ih x_t + b_ih + W_hh h_{t−1} + b_hh (rows i, f, g, o);
    c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t)."""
    gates = 4

    def forward(self, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh) -> CellStep:
        pre = x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
        i, f, g, o = np.split(pre, 4, axis=-1)
        i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
        c = f * c_prev + i * g
        tanh_c = np.tanh(c)
        return CellStep(pre, np.concatenate([i, f, g, o], axis=-1), o * tanh_c, c, tanh_c)

    def backward(self, gates, extra, h_prev, c_prev, dh, dc, W_ih, W_hh) -> Backward:
        i, f, g, o = np.split(gates, 4, axis=-1)
        tanh_c = extra
        dc_total = dc + dh * o * (1.0 - tanh_c * tanh_c)   # ∂L/∂c_t through h_t = o ⊙ tanh(c_t)
        dpre = np.concatenate([
            dc_total * g * i * (1.0 - i),                  # ∂L/∂i · σ'
            dc_total * c_prev * f * (1.0 - f),             # ∂L/∂f · σ'
            dc_total * i * (1.0 - g * g),                  # ∂L/∂g · tanh'
            dh * tanh_c * o * (1.0 - o),                   # ∂L/∂o · σ'
        ], axis=-1)
        return Backward(dpre, dpre, dpre @ W_hh, dc_total * f, dc_total, dpre @ W_ih)


class GRUCell:
    """r = σ(W_ir x + b_ir + W_hr h + b_hr),  z = σ(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}."""
    gates = 3

    def forward(self, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh) -> CellStep:
        gi = x @ W_ih.T + b_ih
        gh = h_prev @ W_hh.T + b_hh
        gi_r, gi_z, gi_n = np.split(gi, 3, axis=-1)
        gh_r, gh_z, gh_n = np.split(gh, 3, axis=-1)
        r, z = sigmoid(gi_r + gh_r), sigmoid(gi_z + gh_z)
        a_n = gi_n + r * gh_n
        n = np.tanh(a_n)
        h = (1.0 - z) * n + z * h_prev
        pre = np.concatenate([gi_r + gh_r, gi_z + gh_z, a_n], axis=-1)
        return CellStep(pre, np.concatenate([r, z, n], axis=-1), h, None, gh_n)

    def backward(self, gates, extra, h_prev, c_prev, dh, dc, W_ih, W_hh) -> Backward:
        r, z, n = np.split(gates, 3, axis=-1)
        gh_n = extra
        da_n = dh * (1.0 - z) * (1.0 - n * n)              # ∂L/∂a_n, a_n = W_in x + b_in + r ⊙ gh_n
        da_r = da_n * gh_n * r * (1.0 - r)                 # ∂L/∂(r's pre-activation)
        da_z = dh * (h_prev - n) * z * (1.0 - z)           # ∂L/∂(z's pre-activation)
        d_ih = np.concatenate([da_r, da_z, da_n], axis=-1)
        d_hh = np.concatenate([da_r, da_z, da_n * r], axis=-1)  # reset acts after W_hn h + b_hn
        dh_prev = dh * z + d_hh @ W_hh
        return Backward(d_ih, d_hh, dh_prev, None, None, d_ih @ W_ih)


def make_cell(cell: str, activation: str = "tanh"):
    return {"rnn": lambda: RNNCell(activation), "lstm": LSTMCell, "gru": GRUCell}[cell]()
