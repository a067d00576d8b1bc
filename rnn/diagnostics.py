"""What the gradient does through time: sensitivity, step Jacobians, the regime verdict, and how
far a truncated gradient is from the full one. Everything here reads a :class:`Recording`.
"""

from typing import NamedTuple

import numpy as np

from .flush import FLUSH_EVERY, flush_vanished
from .params import NetworkSpec, largest_singular_value, recurrent_blocks, spectral_radius


class Sensitivity(NamedTuple):
    """S[t, k] = ‖∂L_t/∂h_k‖ kept for the steps t that carry a loss (the other rows are 0):
    ``rows[i]`` is S[steps[i], :]. A loss at the last step of T = 10,000 keeps 10,000 numbers,
    not the 10⁸ of the whole matrix."""
    steps: np.ndarray      # (n,) the loss steps, ascending
    rows: np.ndarray       # (n, T)

    def dense(self, first: int = 0, last: int | None = None) -> np.ndarray:
        """Rows ``first`` … ``last`` (default: all) of the whole (T, T) matrix."""
        T = self.rows.shape[1]
        last = T - 1 if last is None else last
        block = np.zeros((last - first + 1, T))
        inside = (self.steps >= first) & (self.steps <= last)
        block[self.steps[inside] - first] = self.rows[inside]
        return block

    def own(self) -> np.ndarray:
        """‖∂L_t/∂h_t‖ of each loss step t: S's diagonal there."""
        return self.rows[np.arange(len(self.steps)), self.steps]


def sensitivity(record, cell, params, full_bptt: bool = False) -> Sensitivity:
    """S[t, k] = ‖∂L_t/∂h_k‖ (Frobenius over batch and units) of the top layer, 0 for k > t.

    One vectorised backward sweep over the full (untruncated) graph: the adjoints of every loss
    term L_t still alive at step k are pushed back together, A_k[t] = (∂h_{k+1}/∂h_k)ᵀ A_{k+1}[t],
    and a new row A_k[k] = W_hyᵀ ∂ℓ_k/∂ŷ_k joins at each step that carries a loss.

    With one loss step t* and ``full_bptt`` (the record's backward pass was full BPTT) no sweep is
    needed: L = L_{t*}, so S[t*, k] = ‖∂L/∂h_k‖ of the top layer, which the pass recorded (the
    layers below feed the top one and never the reverse).
    """
    top = record.spec.num_layers - 1
    T = record.seq_len
    loss_steps = np.flatnonzero(np.any(record.loss_mask != 0, axis=1))
    if full_bptt and len(loss_steps) == 1:
        return Sensitivity(loss_steps, record.step_norms("dh")[top][None].copy())
    W_hh, W_hy = params[f"weight_hh_l{top}"], params["readout.weight"]
    h_prev, c_prev = record.h_prev(top), record.c_prev(top)
    has_loss = np.any(record.loss_mask != 0, axis=1)
    B, H = record.batch_size, record.spec.hidden_size
    lstm = c_prev is not None
    rows = np.flatnonzero(has_loss)[::-1]       # loss steps, in the order their adjoints join
    S = np.zeros((len(rows), T))                # S[i, k] = ‖∂L_{rows[i]}/∂h_k‖
    buf_h = np.empty((len(rows), B, H))         # the live adjoints are buf[:n], oldest first
    buf_c = np.zeros((len(rows), B, H)) if lstm else None
    gates, extra = record.gates[top], record.extra[top]
    block = max(1, 65536 // (B * H))   # rows per block: ~512 KB of h-adjoints, a few MB of gate ones
    n = 0
    for k in range(T - 1, -1, -1):
        if n:                         # step k + 1's local factors, once for every block of rows
            factors = cell.local_factors(gates[k + 1], extra[k + 1], h_prev[k + 1], c_prev[k + 1] if lstm else None)
        for a in range(0, n, block):  # back through step k + 1, one cache-sized block of rows at a time
            b = min(n, a + block)
            back = cell.backward_from(factors, buf_h[a:b], buf_c[a:b] if lstm else None, W_hh)
            buf_h[a:b] = back.dh_prev
            if lstm:
                buf_c[a:b] = back.dc_prev
        if n and k % FLUSH_EVERY == 0:
            flush_vanished(buf_h[:n])
            if lstm:
                flush_vanished(buf_c[:n])
        if has_loss[k]:
            np.matmul(record.dyhat[k], W_hy, out=buf_h[n])
            if lstm:
                buf_c[n] = 0.0
            n += 1
        if n:
            live = buf_h[:n].reshape(n, -1)
            S[:n, k] = np.sqrt(np.einsum("ij,ij->i", live, live))
    return Sensitivity(rows[::-1].copy(), S[::-1].copy())


def jacobian_norms(record, cell, params, layer: int, batch_index: int = 0, steps: slice = slice(None)):
    """‖∂s_t/∂s_{t−1}‖₂ for every step t of one layer and one sequence of the batch, (T,).

    s is h for the vanilla cell and the GRU, and (h, c) for the LSTM. The Jacobian's rows come from
    pushing the identity back through each step's local backward (no separate derivative code):
    for the vanilla cell ∂h_t/∂h_{t−1} = diag(φ'(a_t)) W_hh. ``steps``: only these steps.
    """
    b = slice(batch_index, batch_index + 1)
    H = record.spec.hidden_size
    lstm = record.c is not None
    size = record.spec.state_size
    eye = np.eye(size)[:, None, None, :]            # (size, 1, 1, size): one adjoint per row
    dh, dc = eye[..., :H], (eye[..., H:] if lstm else None)
    c_prev = record.c_prev(layer)
    back = cell.backward(record.gates[layer, steps, b], record.extra[layer, steps, b],
                         record.h_prev(layer)[steps, b], None if c_prev is None else c_prev[steps, b], dh, dc,
                         params[f"weight_ih_l{layer}"], params[f"weight_hh_l{layer}"])
    rows = np.concatenate([back.dh_prev, back.dc_prev], axis=-1) if lstm else back.dh_prev
    jac = rows[:, :, 0, :].transpose(1, 0, 2)       # (T, size, size), each Jacobian transposed
    return largest_singular_values(jac)


def largest_singular_values(matrices) -> np.ndarray:
    """σ_max of each matrix of a stack (n, m, m): √λ_max(MᵀM), the largest eigenvalue of the Gram
    matrix, as accurate as an SVD's for the largest one (relative error ~ machine ε) at about 0.6
    of its time; NaN for a matrix holding NaN or Inf."""
    finite = np.all(np.isfinite(matrices), axis=(1, 2))
    with np.errstate(over="ignore", invalid="ignore"):
        gram = np.matmul(np.swapaxes(matrices, 1, 2), matrices)
    squared = np.all(np.isfinite(gram), axis=(1, 2))      # (an entry beyond ~1e154 overflows MᵀM)
    gram[~squared] = 0.0
    largest = np.sqrt(np.maximum(np.linalg.eigvalsh(gram)[:, -1], 0.0))
    too_large = finite & ~squared
    if np.any(too_large):
        largest[too_large] = np.linalg.norm(matrices[too_large], ord=2, axis=(1, 2))
    largest[~finite] = np.nan
    return largest


class Regime(NamedTuple):
    sigma_max: float   # σ_max(W_hh), largest over layers and gate blocks
    radius: float      # ρ(W_hh), likewise
    gamma: float       # sup|φ'|
    verdict: str
    explanation: str


EDGE_TOLERANCE = 1e-9


def block_spectra(blocks) -> tuple[list, list]:
    """(σ_max, ρ) of each matrix of ``blocks``: ([‖W‖₂, …], [max |λ_i(W)|, …])."""
    return [largest_singular_value(b) for b in blocks], [spectral_radius(b) for b in blocks]


def regime(params: dict, spec: NetworkSpec, spectra=block_spectra) -> Regime:
    """Pascanu, Mikolov & Bengio (2013): γσ_max < 1 is sufficient for vanishing gradients,
    γσ_max > 1 is necessary (not sufficient) for exploding ones. Their bound is stated for the
    vanilla cell; for gated cells it is only indicative, and the verdict says so.

    ``spectra``: what computes :func:`block_spectra` of the W_hh gate blocks (it may be another
    process: LAPACK's eigenvalue routine holds the GIL for its whole run)."""
    blocks = [blk for l in range(spec.num_layers) for blk in recurrent_blocks(params, spec, l)]
    sigmas, radii = spectra(blocks)
    sigma = float(np.max(sigmas))   # (NaN if any block is)
    rho = float(np.max(radii))
    gamma = spec.gamma if spec.cell == "rnn" else 1.0
    product = gamma * sigma
    edge = abs(product - 1.0) <= EDGE_TOLERANCE       # 1 up to rounding (an orthogonal W_hh, γ = 1)
    if spec.cell != "rnn":
        verdict = f"gated cell: γσ_max = {product:.4g} (the bound applies to the vanilla cell only)"
        explanation = "Gates rescale the recurrent Jacobian at every step; watch the measured norms."
    elif edge:
        verdict = f"on the edge: γσ_max = {product:.4g}"
        explanation = "the bound neither forces vanishing nor allows explosion"
    elif product < 1:
        verdict = f"vanishing guaranteed: γσ_max = {product:.4g} < 1"
        explanation = f"‖∂h_t/∂h_k‖ ≤ (γσ_max)^(t−k) = {product:.4g}^(t−k)"
    elif product > 1:
        verdict = f"explosion possible: γσ_max = {product:.4g} > 1"
        explanation = "γσ_max > 1 is necessary, not sufficient, for exploding gradients"
    else:                                             # NaN weights
        verdict = f"no regime: γσ_max = {product:.4g}"
        explanation = "the weights are not finite"
    return Regime(sigma, rho, gamma, verdict, explanation)


def gradient_bound(record, regime_: Regime):
    """The Pascanu et al. bound on the top layer's gradient norm ‖∂L/∂h_k‖, (T,); NaN where it
    does not apply (gated cells, or no sensitivity matrix).

    Each loss term obeys ‖∂L_t/∂h_k‖ ≤ (γσ_max)^(t−k) ‖∂L_t/∂h_t‖, so by the triangle inequality
    ‖∂L/∂h_k‖ ≤ Σ_{t≥k} (γσ_max)^(t−k) ‖∂L_t/∂h_t‖, for every loss placement.
    """
    T = record.seq_len
    if record.sensitivity_rows is None or record.spec.cell != "rnn":
        return np.full(T, np.nan)
    q = regime_.gamma * regime_.sigma_max
    S = record.sensitivity_rows
    own = S.own()                                     # ‖∂L_t/∂h_t‖ of each loss step t
    loss_steps = S.steps[own > 0]
    lag = loss_steps[None, :] - np.arange(T)[:, None]   # [k, t] = t − k
    with np.errstate(over="ignore"):                  # (γσ_max)^(t−k) may overflow to inf: no bound
        decay = np.where(lag >= 0, q ** np.maximum(lag, 0), 0.0)
    return decay @ own[own > 0]


class GradientComparison(NamedTuple):
    cosine: float                 # overall cosine similarity of the flattened gradients
    relative_error: float         # ‖g̃ − g‖ / ‖g‖ overall
    per_parameter: dict           # name → (cosine, relative error)


def _cosine_and_error(a, b):
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    cosine = float(a @ b / (na * nb)) if na > 0 and nb > 0 else float(na == nb)
    error = float(np.linalg.norm(a - b) / nb) if nb > 0 else float(np.linalg.norm(a))
    return cosine, error


def compare_gradients(approx: dict, exact: dict) -> GradientComparison:
    """cos(g̃, g) = g̃·g / (‖g̃‖‖g‖) and ‖g̃ − g‖/‖g‖, per parameter and over all parameters."""
    per = {name: _cosine_and_error(approx[name].ravel(), exact[name].ravel()) for name in exact}
    flat = lambda g: np.concatenate([g[name].ravel() for name in exact])
    return GradientComparison(*_cosine_and_error(flat(approx), flat(exact)), per)
