"""One timestep of each cell: the forward map and its local backward (the adjoint of that map).

Conventions (PyTorch's): x (B, in), h (B, H); weights act on the right, ``x @ W_ih.T``. Gate rows of
the stacked weights are i, f, g, o for the LSTM and r, z, n for the GRU.

Every backward takes the adjoints ``dh = ∂L/∂h_t`` (and ``dc`` for the LSTM) and returns:

    d_ih     ∂L/∂(W_ih x_t + b_ih)       (B, G·H)  so ∂L/∂W_ih += d_ihᵀ x_t
    d_hh     ∂L/∂(W_hh h_{t−1} + b_hh)   (B, G·H)  so ∂L/∂W_hh += d_hhᵀ h_{t−1}
    dh_prev  ∂L/∂h_{t−1} through this step
    dc_prev  ∂L/∂c_{t−1} through this step (LSTM; None otherwise)
    dc_total ∂L/∂c_t, the carried dc plus the path through h_t (LSTM; None otherwise)

(∂L/∂x_t = W_ihᵀ d_ih is left to the caller: only a layer with a layer below needs it.)

``backward`` is ``backward_from(local_factors(…), …)``: the factors that do not depend on the
adjoints (σ'(a), 1 − tanh², the gates the adjoints pass through, …) are computed first, for as
many steps at once as the caller likes (the stepper: a block of steps per call), and the adjoint
part is then a few products a step. The factors are block-major, (factor, …, B, H): each factor
of a step is one contiguous (B, H) array, so every product of a visit reads contiguous memory
(an elementwise operation on a strided gate slice costs NumPy 3–5× one on a contiguous array).
Given arrays ``d_ih``, ``d_hh``, ``dc_total`` (the recording's rows at step t), ``backward_from``
writes those results there instead of into new arrays.

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


def matmul(a, W):
    """a @ W as one matrix product over all leading axes (stacked adjoints). A 2-D ``a`` goes to
    ``np.dot``, whose call costs half of ``@``'s at B = 1 (1.5 µs against 3 for (1, 64) @ (64, 64):
    the same BLAS product without the ufunc machinery; the same numbers)."""
    if a.ndim == 2:
        return np.dot(a, W)
    if not a.flags.c_contiguous:
        return a @ W
    return np.dot(a.reshape(-1, a.shape[-1]), W).reshape(a.shape[:-1] + (W.shape[1],))


class RNNCell:
    """a_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh,   h_t = φ(a_t)."""
    gates = 1
    factor_count = 1   # how many arrays local_factors returns: φ'(a_t)

    def __init__(self, activation: str = "tanh"):
        self.phi = get_activation(activation)

    def input_bias(self, b_ih, b_hh):
        """The bias added with the input projection W_ih x_t: b_ih + b_hh (a_t is linear in both)."""
        return b_ih + b_hh

    def forward(self, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh) -> CellStep:
        a = x @ W_ih.T
        a += self.input_bias(b_ih, b_hh)
        B, H = a.shape[:-1], W_hh.shape[1]
        h, extra = np.empty(B + (H,), a.dtype), np.empty(B + (H,), a.dtype)
        self.forward_into(a, h_prev, c_prev, W_hh, b_hh, h, h, None, extra)
        self.local_derivatives(a, h, extra)
        return CellStep(a, h, h, None, extra)

    def forward_into(self, pre, h_prev, c_prev, W_hh, b_hh, gates, h, c, extra):
        """The step written into the given buffers; ``pre`` holds W_ih x_t + input_bias on entry.
        The vanilla cell's gates are h_t itself: the recording's ``gates`` is its ``h``."""
        pre += matmul(h_prev, W_hh.T)
        self.phi.function(pre, out=h)          # h_t = φ(a_t)

    def local_derivatives(self, pre, h, extra):
        """φ'(a_t) into ``extra``, for a block of steps at once (the recurrence does not need it)."""
        self.phi.derivative(pre, h, out=extra)

    def backward(self, gates, extra, h_prev, c_prev, dh, dc, W_ih, W_hh) -> Backward:
        return self.backward_from(self.local_factors(gates, extra, h_prev, c_prev), dh, dc, W_hh)

    def local_factors(self, gates, extra, h_prev, c_prev):
        """(1, …): φ'(a_t), recorded as ``extra`` already (a view of it)."""
        return extra[None]

    def backward_from(self, factors, dh, dc, W_hh, *, d_ih=None, d_hh=None, dc_total=None) -> Backward:
        da = np.multiply(dh, factors[0], out=d_ih)   # ∂L/∂a_t = ∂L/∂h_t ⊙ φ'(a_t)
        return Backward(da, da, matmul(da, W_hh), None, None)   # ∂L/∂h_{t−1} = W_hhᵀ ∂L/∂a_t


def gate_sigmoid(pre, steepness: float, out):
    """The gates' σ(β a) into ``out`` (β = 1: PyTorch's cells)."""
    if steepness == 1.0:
        return sigmoid(pre, out=out)
    np.multiply(pre, steepness, out=out)
    return sigmoid(out, out=out)


def _gate(gates, k: int, count: int, out=None):
    """Gate k of the stacked (…, count·H) ``gates`` as one contiguous (…, H) array (``out`` if given):
    one strided copy, after which every product on it runs over contiguous memory."""
    H = gates.shape[-1] // count
    block = gates[..., k * H:(k + 1) * H]
    if out is None:
        return np.ascontiguousarray(block)
    np.copyto(out, block)
    return out


class _Steepness(float):
    """The gates' steepness β as a factor: β x is x itself when β = 1 (PyTorch's cells), one array
    operation fewer, and the same numbers (1 · x = x exactly)."""

    def __mul__(self, x):
        return x if self == 1.0 else float(self) * x

    __rmul__ = __mul__


class LSTMCell:
    """i, f, o = σ(β·), g = tanh(·) of a = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh (rows i, f, g, o);
    c_t = f ⊙ c_{t−1} + i ⊙ g,   h_t = o ⊙ tanh(c_t). β, the gates' steepness, is 1 in PyTorch's
    cell; a steeper gate (β > 1) switches more sharply between closed and open."""
    gates = 4
    factor_count = 6   # how many arrays local_factors returns: four gate derivatives, ∂h_t/∂c_t and f

    def __init__(self, steepness: float = 1.0):
        self.steepness = float(steepness)

    def input_bias(self, b_ih, b_hh):
        """The bias added with the input projection W_ih x_t: b_ih + b_hh (a is linear in both)."""
        return b_ih + b_hh

    def forward(self, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh) -> CellStep:
        pre = x @ W_ih.T
        pre += self.input_bias(b_ih, b_hh)
        H = W_hh.shape[1]
        gates, h, c, extra = (np.empty(pre.shape, pre.dtype), np.empty(pre.shape[:-1] + (H,), pre.dtype),
                              np.empty(pre.shape[:-1] + (H,), pre.dtype), np.empty(pre.shape[:-1] + (H,), pre.dtype))
        self.forward_into(pre, h_prev, c_prev, W_hh, b_hh, gates, h, c, extra)
        return CellStep(pre, gates, h, c, extra)

    def forward_into(self, pre, h_prev, c_prev, W_hh, b_hh, gates, h, c, extra):
        """The step written into the given buffers; ``pre`` holds W_ih x_t + input_bias on entry."""
        pre += matmul(h_prev, W_hh.T)                     # a = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh
        H = W_hh.shape[1]
        # i, f, o = σ(βa_i), σ(βa_f), σ(βa_o); σ of the whole contiguous row costs less than of two
        # strided slices, and the g block is then overwritten with g = tanh(a_g)
        gate_sigmoid(pre, self.steepness, out=gates)
        np.tanh(pre[..., 2 * H:3 * H], out=gates[..., 2 * H:3 * H])
        i, f, g, o = gates[..., :H], gates[..., H:2 * H], gates[..., 2 * H:3 * H], gates[..., 3 * H:]
        np.multiply(f, c_prev, out=c)                     # c_t = f ⊙ c_{t−1} + i ⊙ g
        c += i * g
        np.tanh(c, out=extra)
        np.multiply(o, extra, out=h)                      # h_t = o ⊙ tanh(c_t)

    def local_derivatives(self, pre, h, extra):
        """Nothing: ``extra`` is made by the recurrence itself."""

    def backward(self, gates, extra, h_prev, c_prev, dh, dc, W_ih, W_hh) -> Backward:
        return self.backward_from(self.local_factors(gates, extra, h_prev, c_prev), dh, dc, W_hh)

    def local_factors(self, gates, extra, h_prev, c_prev):
        """(6, …, B, H): the local derivatives ∂c_t/∂a_i, ∂c_t/∂a_f, ∂c_t/∂a_g, ∂h_t/∂a_o, ∂h_t/∂c_t
        and ∂c_t/∂c_{t−1}, i.e. g ⊙ βi(1 − i), c_{t−1} ⊙ βf(1 − f), i ⊙ (1 − g²), tanh(c_t) ⊙ βo(1 − o),
        o ⊙ (1 − tanh²(c_t)) and f."""
        factors = np.empty((6,) + np.broadcast_shapes(extra.shape, c_prev.shape), gates.dtype)
        i, f, g, o = (_gate(gates, 0, 4), _gate(gates, 1, 4, out=factors[5]), _gate(gates, 2, 4), _gate(gates, 3, 4))
        tanh_c, beta = extra, _Steepness(self.steepness)   # d σ(βa)/da = β σ (1 − σ)
        np.multiply(beta * (g * i), 1.0 - i, out=factors[0])
        np.multiply(beta * (c_prev * f), 1.0 - f, out=factors[1])
        np.multiply(i, 1.0 - g * g, out=factors[2])
        np.multiply(beta * (tanh_c * o), 1.0 - o, out=factors[3])
        np.multiply(o, 1.0 - tanh_c * tanh_c, out=factors[4])
        return factors

    def backward_from(self, factors, dh, dc, W_hh, *, d_ih=None, d_hh=None, dc_total=None) -> Backward:
        dc_di, dc_df, dc_dg, dh_do, dh_dc, f = factors
        dc_total = np.multiply(dh, dh_dc, out=dc_total)     # ∂L/∂c_t through h_t = o ⊙ tanh(c_t) …
        dc_total += dc                                      # … plus the carried ∂L/∂c_t
        H = dc_total.shape[-1]
        dpre = np.empty(dc_total.shape[:-1] + (4 * H,), dc_total.dtype) if d_ih is None else d_ih
        np.multiply(dc_total, dc_di, out=dpre[..., :H])          # ∂L/∂a_i = ∂L/∂c_t ⊙ ∂c_t/∂a_i
        np.multiply(dc_total, dc_df, out=dpre[..., H:2 * H])     # ∂L/∂a_f = ∂L/∂c_t ⊙ ∂c_t/∂a_f
        np.multiply(dc_total, dc_dg, out=dpre[..., 2 * H:3 * H]) # ∂L/∂a_g = ∂L/∂c_t ⊙ ∂c_t/∂a_g
        np.multiply(dh, dh_do, out=dpre[..., 3 * H:])            # ∂L/∂a_o = ∂L/∂h_t ⊙ ∂h_t/∂a_o
        return Backward(dpre, dpre, matmul(dpre, W_hh),          # ∂L/∂h_{t−1} = W_hhᵀ ∂L/∂a
                        dc_total * f, dc_total)                  # ∂L/∂c_{t−1} = ∂L/∂c_t ⊙ f


class GRUCell:
    """r = σ(β(W_ir x + b_ir + W_hr h + b_hr)),  z = σ(β(W_iz x + b_iz + W_hz h + b_hz)),
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),  h_t = (1 − z) ⊙ n + z ⊙ h_{t−1};
    β = 1 is PyTorch's cell."""
    gates = 3
    factor_count = 5   # how many arrays local_factors returns: three gate derivatives, r and z

    def __init__(self, steepness: float = 1.0):
        self.steepness = float(steepness)

    def input_bias(self, b_ih, b_hh):
        """The bias added with the input projection W_ih x_t: b_ih plus the r and z rows of b_hh
        (b_hn stays inside the reset, r ⊙ (W_hn h + b_hn))."""
        H = len(b_hh) // 3
        return b_ih + np.concatenate([b_hh[:2 * H], np.zeros(H, b_hh.dtype)])

    def forward(self, x, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh) -> CellStep:
        pre = x @ W_ih.T
        pre += self.input_bias(b_ih, b_hh)
        H = W_hh.shape[1]
        gates, h, extra = (np.empty(pre.shape, pre.dtype), np.empty(pre.shape[:-1] + (H,), pre.dtype),
                           np.empty(pre.shape[:-1] + (H,), pre.dtype))
        self.forward_into(pre, h_prev, c_prev, W_hh, b_hh, gates, h, None, extra)
        return CellStep(pre, gates, h, None, extra)

    def forward_into(self, pre, h_prev, c_prev, W_hh, b_hh, gates, h, c, extra):
        """The step written into the given buffers; ``pre`` holds W_ih x_t + input_bias on entry."""
        gh = matmul(h_prev, W_hh.T)                       # W_hh h_{t−1} (rows r, z, n)
        H = W_hh.shape[1]
        pre[..., :2 * H] += gh[..., :2 * H]               # a_r, a_z = W_i x + b_i + W_h h_{t−1} + b_h
        gate_sigmoid(pre[..., :2 * H], self.steepness, out=gates[..., :2 * H])   # r, z = σ(βa_r), σ(βa_z)
        r, z = gates[..., :H], gates[..., H:2 * H]
        np.add(gh[..., 2 * H:], b_hh[2 * H:], out=extra)  # gh_n = W_hn h_{t−1} + b_hn
        pre[..., 2 * H:] += r * extra                     # a_n = W_in x + b_in + r ⊙ gh_n
        n = np.tanh(pre[..., 2 * H:], out=gates[..., 2 * H:])
        np.subtract(h_prev, n, out=h)                     # h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
        h *= z                                            #     = n + z ⊙ (h_{t−1} − n), as PyTorch computes it
        h += n

    def local_derivatives(self, pre, h, extra):
        """Nothing: ``extra`` is made by the recurrence itself."""

    def backward(self, gates, extra, h_prev, c_prev, dh, dc, W_ih, W_hh) -> Backward:
        return self.backward_from(self.local_factors(gates, extra, h_prev, c_prev), dh, dc, W_hh)

    def local_factors(self, gates, extra, h_prev, c_prev):
        """(5, …, B, H): the local derivatives ∂a_n/∂a_r (through r ⊙ gh_n), ∂h_t/∂a_z, ∂h_t/∂a_n,
        i.e. gh_n ⊙ βr(1 − r), (h_{t−1} − n) ⊙ βz(1 − z), (1 − z) ⊙ (1 − n²), then the gates r
        (∂a_n/∂gh_n) and z (∂h_t/∂h_{t−1} directly); a_n = W_in x + b_in + r ⊙ gh_n."""
        factors = np.empty((5,) + np.broadcast_shapes(extra.shape, h_prev.shape), gates.dtype)
        r, z, n = _gate(gates, 0, 3, out=factors[3]), _gate(gates, 1, 3, out=factors[4]), _gate(gates, 2, 3)
        gh_n, beta = extra, _Steepness(self.steepness)     # d σ(βa)/da = β σ (1 − σ)
        np.multiply(beta * (gh_n * r), 1.0 - r, out=factors[0])
        np.multiply(beta * ((h_prev - n) * z), 1.0 - z, out=factors[1])
        np.multiply(1.0 - z, 1.0 - n * n, out=factors[2])
        return factors

    def backward_from(self, factors, dh, dc, W_hh, *, d_ih=None, d_hh=None, dc_total=None) -> Backward:
        dan_dar, dh_daz, dh_dan, r, z = factors
        H = dh.shape[-1]
        if d_ih is None:
            d_ih = np.empty(np.broadcast_shapes(dh.shape, z.shape)[:-1] + (3 * H,), np.result_type(dh, z))
        if d_hh is None:
            d_hh = np.empty_like(d_ih)
        da_n = d_ih[..., 2 * H:]
        np.multiply(dh, dh_daz, out=d_ih[..., H:2 * H])  # ∂L/∂a_z = ∂L/∂h_t ⊙ ∂h_t/∂a_z
        np.multiply(dh, dh_dan, out=da_n)                # ∂L/∂a_n = ∂L/∂h_t ⊙ ∂h_t/∂a_n
        np.multiply(da_n, dan_dar, out=d_ih[..., :H])    # ∂L/∂a_r = ∂L/∂a_n ⊙ ∂a_n/∂a_r
        d_hh[..., :2 * H] = d_ih[..., :2 * H]         # the same, but the reset acts after W_hn h + b_hn:
        np.multiply(da_n, r, out=d_hh[..., 2 * H:])   # ∂L/∂gh_n = ∂L/∂a_n ⊙ r
        dh_prev = matmul(d_hh, W_hh)                  # ∂L/∂h_{t−1}: W_hhᵀ through the gates …
        dh_prev += dh * z                             # … plus the direct path z ⊙ h_{t−1}
        return Backward(d_ih, d_hh, dh_prev, None, None)


def make_cell(cell: str, activation: str = "tanh", gate_steepness: float = 1.0):
    return {"rnn": lambda: RNNCell(activation), "lstm": lambda: LSTMCell(gate_steepness),
            "gru": lambda: GRUCell(gate_steepness)}[cell]()


def cell_of(spec):
    """The cell a NetworkSpec describes."""
    return make_cell(spec.cell, spec.activation, spec.gate_steepness)
