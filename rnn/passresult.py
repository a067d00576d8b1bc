"""Everything a view shows of one pass, computed once by the engine: :class:`PassResult`.

A view draws a pass; it never derives a number from it. What truncation cuts, which steps carry a
loss, every norm (each labelled with what it is taken over), the step Jacobians, the regime and the
Pascanu et al. bound are computed here, in the job that ran the pass (or right after a manual
step), from the stepper's recording.

Norms, per layer l and step t, for a recorded array v[l, t, b, i] (b the sequence, i the unit):

    over the batch:      ‖v_t‖_F  = sqrt(Σ_b Σ_i v[l, t, b, i]²)      (``*_norm_batch``, (L, T))
    per sequence:        ‖v_t,b‖  = sqrt(Σ_i v[l, t, b, i]²)           (``*_norm_sequence``, (L, T, B))
"""

from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from .bptt import BPTT, Recording
from .diagnostics import Regime, gradient_bound, jacobian_norms

JACOBIAN_LIMIT = 6e7    # T·L·size³ above this (≈ 0.1 s): per-step Jacobian norms are not computed
SHARE_LIMIT = 3e8       # multiply-adds above this: the weight-gradient shares are not computed


def jacobians_affordable(seq_len: int, layers: int, hidden: int, lstm: bool) -> bool:
    size = 2 * hidden if lstm else hidden
    return seq_len * layers * size ** 3 <= JACOBIAN_LIMIT


def batch_norms(values):
    """‖v_t‖_F over the batch and the units: (..., T, B, n) → (..., T). (einsum: no squared
    temporary, a third of the time of sqrt(sum(v²)) on a recording of 100 MB.)"""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.sqrt(np.einsum("...bi,...bi->...", values, values))


def sequence_norms(values):
    """‖v_t,b‖ over the units of each sequence: (..., T, B, n) → (..., T, B)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.sqrt(np.einsum("...i,...i->...", values, values))


NORMS = {   # PassResult field: (recorded array, norm, whether the array has a layer axis first)
    "dh_norm_batch": ("dh", batch_norms, True),
    "dc_norm_batch": ("dc", batch_norms, True),      # (LSTM only: NaN for the other cells)
    "dh_norm_sequence": ("dh", sequence_norms, True),
    "dc_norm_sequence": ("dc", sequence_norms, True),
    "h_norm_sequence": ("h", sequence_norms, True),
    "d_ih_norm_batch": ("d_ih", batch_norms, True),
    "dyhat_norm_batch": ("dyhat", batch_norms, False),
    "dyhat_norm_sequence": ("dyhat", sequence_norms, False),
}


def _measure(record, field: str, steps=None):
    """One PassResult norm of the recording, at every step or at ``steps`` only."""
    name, norm, layered = NORMS[field]
    values = getattr(record, name)
    if values is None:                       # a cell without this state (∂L/∂c: LSTM only)
        L, T = record.spec.num_layers, record.seq_len
        shape = (L, T if steps is None else len(np.arange(T)[steps]))
        return np.full(shape + ((record.batch_size,) if norm is sequence_norms else ()), np.nan)
    if steps is None:
        return norm(values)
    return norm(values[:, steps] if layered else values[steps])


FORGET_BLOCK_FLOATS = 1 << 18   # forget gates a block of the product holds at most (2 MB of float64)


def forget_gates(record, layer: int):
    """f_t of one LSTM layer at every step, (T, B, H): a view of the recorded gates (rows i, f, g, o)."""
    H = record.spec.hidden_size
    return record.gates[layer, :, :, H:2 * H]


def forget_means(record, steps=None) -> np.ndarray | None:
    """(L, T) the forget gate f_t averaged over the batch and the units, (1/BH) Σ_b Σ_i f_t,b,i, at the
    steps computed forward (NaN beyond), or at ``steps`` only (L, len(steps)); None without a cell state."""
    if not record.spec.has_cell_state:
        return None
    L, T, B, H = record.spec.num_layers, record.seq_len, record.batch_size, record.spec.hidden_size
    t = np.arange(T) if steps is None else np.arange(T)[steps]
    means = np.full((L, t.size), np.nan)
    done = t < record.forward_done
    computed = slice(0, record.forward_done) if steps is None else t[done]   # (a slice: no copy)
    for layer in range(L):
        means[layer, done] = forget_gates(record, layer)[computed].sum(axis=(1, 2), dtype=np.float64) / (B * H)
    return means


def last_loss_step(record) -> int:
    """T_last, the last step that carries a loss in some sequence (−1: none does)."""
    steps = np.flatnonzero(np.any(np.asarray(record.loss_mask) != 0, axis=1))
    return int(steps[-1]) if steps.size else -1


def forget_products(record):
    """(mean, best), each (L, T): the forget-gate product from each step to the last loss step,

        ∏_{k=t+1}^{T_last} f_k,b,i      (1 at t = T_last)

    averaged over the batch and the units, P_t = (1/BH) Σ_b Σ_i ∏ f, and of the best-kept unit,
    P*_t = max_i (1/B) Σ_b ∏ f (the batch mean of each unit, the largest over the units).

    Along the direct path c_{t−1} → c_t of c_t = f_t ⊙ c_{t−1} + i_t ⊙ g_t, ∂c_s/∂c_t =
    diag(∏_{k=t+1}^{s} f_k): the product is the share of ∂L/∂c_{T_last} that this path alone carries
    back to c_t, unit by unit (the constant error carousel). The mean says how much the units keep on
    the whole; a trained LSTM keeps its memory in a few units whose f stays near 1 while the others
    forget, and the best-kept unit's product is what carries the gradient back. A property of the
    forward pass (truncation cuts the gradient's path, not this product). NaN after T_last (no loss
    is later), and at every step while the forward pass has not computed f_{T_last}; (None, None)
    without a cell state.

    Computed a block of steps at a time from T_last back, with a running product (B, H): no array
    larger than a block (:data:`FORGET_BLOCK_FLOATS`)."""
    if not record.spec.has_cell_state:
        return None, None
    last = last_loss_step(record)
    if last < 0 or record.forward_done <= last:
        L, T = record.spec.num_layers, record.seq_len
        return np.full((L, T), np.nan), np.full((L, T), np.nan)
    return forget_products_before(record, last)[:2]


def forget_products_before(record, last: int, carried=None):
    """(mean, best, carried_out): :func:`forget_products` of a recording whose last step the
    product reaches is ``last``, times ``carried`` (L, B, H): ∏_{k=T}^{T_last} f_k of the steps
    after this recording (1: none; a segment of a longer sequence, :mod:`rnn.lean`, is given what
    its later segments multiplied). ``carried_out`` (L, B, H) is the product from step 0 on,
    ∏_{k=0}^{T_last} f_k, for the segment before. NaN after ``last``."""
    L, T, B, H = record.spec.num_layers, record.seq_len, record.batch_size, record.spec.hidden_size
    mean, best = np.full((L, T), np.nan), np.full((L, T), np.nan)
    carried_out = np.ones((L, B, H)) if carried is None else np.array(carried, dtype=np.float64)
    block = int(max(1, FORGET_BLOCK_FLOATS // (B * H)))
    for layer in range(L):
        f = forget_gates(record, layer)
        wide = None if f.dtype == np.float64 else np.float64     # (float32 gates: their product in float64)
        carried = carried_out[layer]                     # ∏_{k=stop}^{T_last} f_k, from the blocks after
        for stop in range(last + 1, 0, -block):
            start = max(0, stop - block)
            after = np.cumprod(f[start + 1:stop][::-1], axis=0, dtype=wide)[::-1]  # ∏_{k=t+1}^{stop−1} f_k
            per_unit = np.empty((stop - start, H))                       # (1/B) Σ_b ∏_{k=t+1}^{T_last} f_k,b,i
            np.einsum("tbi,bi->ti", after, carried, out=per_unit[:-1])
            per_unit[-1] = carried.sum(axis=0)
            per_unit /= B
            mean[layer, start:stop] = per_unit.mean(axis=1)
            best[layer, start:stop] = per_unit.max(axis=1)
            carried = carried * f[start] if after.size == 0 else carried * after[0] * f[start]
        carried_out[layer] = carried
    return mean, best, carried_out


def weight_gradient_shares(record, steps=None):
    """What each step and each sequence adds to ∂L/∂W_hh, the gradient of the weights every step
    shares. With d_t,b = ∂L/∂(W_hh h_{t−1} + b_hh) of sequence b and p_t,b = h_{t−1},b:

        ∂L/∂W_hh = Σ_t C_t = Σ_b G_b,   C_t = Σ_b d_t,b p_t,bᵀ,   G_b = Σ_t d_t,b p_t,bᵀ

    Returns (step_norms (L, T) ‖C_t‖_F, sequence_norms (L, B) ‖G_b‖_F, total (L,) ‖∂L/∂W_hh‖_F), or
    None when that would cost more than SHARE_LIMIT multiply-adds. ``steps``: only those columns of
    step_norms are measured (the rest NaN) and the other two are not (NaN)."""
    spec = record.spec
    L, T, B = spec.num_layers, record.seq_len, record.batch_size
    GH, H = spec.gates * spec.hidden_size, spec.hidden_size
    gram_cost, explicit_cost = T * B * B * (GH + H), T * B * GH * H
    if L * min(gram_cost, explicit_cost) > SHARE_LIMIT:
        return None
    t = np.arange(T) if steps is None else np.atleast_1d(np.arange(T)[steps] if isinstance(steps, slice)
                                                          else np.asarray(steps, dtype=int))
    step_norms = np.full((L, T), np.nan)
    sequence_norms, total = np.full((L, B), np.nan), np.full(L, np.nan)
    with np.errstate(all="ignore"):
        for layer in range(L):
            d, p = record.d_hh[layer], record.h_prev(layer)            # (T, B, GH), (T, B, H)
            if gram_cost <= explicit_cost:      # ‖C_t‖² = Σ_{b,b'} (d_b·d_b')(p_b·p_b')
                squared = np.einsum("tbi,tci,tbj,tcj->t", d[t], d[t], p[t], p[t], optimize=True)
            else:
                squared = np.einsum("tij,tij->t", *(2 * [np.einsum("tbi,tbj->tij", d[t], p[t])]))
            step_norms[layer, t] = np.sqrt(np.maximum(squared, 0.0))
            if steps is None:
                per_sequence = np.einsum("tbi,tbj->bij", d, p)           # G_b
                sequence_norms[layer] = np.sqrt(np.einsum("bij,bij->b", per_sequence, per_sequence))
                whole = per_sequence.sum(axis=0)
                total[layer] = np.sqrt(np.sum(whole * whole))
    return step_norms, sequence_norms, total


def through_mask(segments, carry_factors, seq_len: int) -> np.ndarray:
    """through[t]: the gradient flows from step t back to step t − 1 (some truncation window spans
    both, and randomized truncation kept the link). through[0] is False (h_{−1} is h0)."""
    through = np.zeros(seq_len, dtype=bool)
    for seg in segments:
        through[seg.window_start + 1:seg.loss_end] = True
    return through & (np.asarray(carry_factors) != 0)


def window_masks(segments, seq_len: int) -> np.ndarray:
    """(segments, T): the steps each segment's losses are backpropagated through."""
    masks = np.zeros((len(segments), seq_len), dtype=bool)
    for i, seg in enumerate(segments):
        masks[i, seg.window_start:seg.loss_end] = True
    return masks


@dataclass(frozen=True)
class SequenceData:
    """One sequence of the batch as the data view draws it: its inputs, targets and predictions.

    For a regression loss the predictions are ŷ_t; for cross-entropy the predicted class
    argmax_j p_j of p = softmax(ŷ_t), and p itself.
    """
    sequence: int
    inputs: np.ndarray                # (T, I) x_t
    targets: np.ndarray               # (T, O) y_t (mse), or (T,) class indices (xent)
    predictions: np.ndarray           # (T, O) ŷ_t (mse), or (T,) predicted classes (xent)
    probabilities: np.ndarray | None  # (T, C) softmax(ŷ_t) over the classes (xent)
    loss_steps: np.ndarray            # (T,) bool: the step carries a loss for this sequence
    computed: int                     # steps computed forward (predictions beyond are zeros)

    @cached_property
    def confidence(self) -> np.ndarray | None:
        """(T,) p of the predicted class (xent; None for a regression)."""
        p = self.probabilities
        return None if p is None else p[np.arange(len(p)), self.predictions]


def prediction_accuracy(record) -> float:
    """For a classification loss: the share of the (step, sequence) pairs that carry a loss whose
    most probable class argmax_j ŷ_t,b,j is the target; NaN for a regression loss or no loss step."""
    mask = np.asarray(record.loss_mask) != 0
    if record.loss_kind != "xent" or not mask.any():
        return float("nan")
    right = np.argmax(record.yhat, axis=-1) == np.asarray(record.targets)
    return float(np.count_nonzero(right & mask) / np.count_nonzero(mask))


def sequence_data(record, sequence: int) -> SequenceData:
    """The inputs, targets and predictions of sequence ``sequence`` of a recording."""
    b = sequence
    yhat = record.yhat[:, b]
    loss_steps = np.asarray(record.loss_mask)[:, b] != 0
    if record.loss_kind == "xent":
        from .losses import softmax
        p = softmax(yhat)
        predicted = np.argmax(p, axis=-1)
        targets = np.asarray(record.targets)[:, b]
        return SequenceData(b, record.inputs[:, b], targets, predicted, p, loss_steps, record.forward_done)
    return SequenceData(b, record.inputs[:, b], np.asarray(record.targets)[:, b], yhat.copy(), None,
                        loss_steps, record.forward_done)


@dataclass(frozen=True)
class PassResult:
    """One pass at one moment of its stepping, and everything the views draw of it."""

    record: Recording
    segments: tuple                 # truncation segments (rnn.truncation.Segment)
    carry_factors: np.ndarray       # (T,) randomized truncation's factor on the carry from t to t−1
    plan_length: int                # backward visits in the whole pass
    forward_done: int               # steps computed forward when this result was made
    visits_done: int
    next_visit: tuple | None        # (segment, t) of the next backward visit
    loss_steps: np.ndarray          # (T,) bool: the step carries a loss in some sequence
    through: np.ndarray             # (T,) bool: the gradient flows from t back to t − 1
    window_masks: np.ndarray        # (segments, T) bool: each segment's backprop-through steps
    dh_norm_batch: np.ndarray       # (L, T) ‖∂L/∂h_t‖ over the batch and units
    dc_norm_batch: np.ndarray       # (L, T) ‖∂L/∂c_t‖ over the batch and units (LSTM; NaN otherwise)
    dh_norm_sequence: np.ndarray    # (L, T, B) ‖∂L/∂h_t‖ of each sequence
    dc_norm_sequence: np.ndarray    # (L, T, B) ‖∂L/∂c_t‖ of each sequence (LSTM; NaN otherwise)
    h_norm_sequence: np.ndarray     # (L, T, B) ‖h_t‖ of each sequence
    d_ih_norm_batch: np.ndarray     # (L, T) ‖∂L/∂(W_ih x_t + b_ih)‖ over the batch
    dyhat_norm_batch: np.ndarray    # (T,) ‖∂L/∂ŷ_t‖ over the batch
    dyhat_norm_sequence: np.ndarray  # (T, B)
    jacobian_norms: np.ndarray      # (L, T) ‖∂s_t/∂s_{t−1}‖₂ of sequence ``jacobian_sequence``; NaN:
                                    # not computed yet (beyond the forward pass) or not affordable
    jacobian_sequence: int
    jacobians_computed: bool        # False: the network is too large for them
    regime: Regime
    bound: np.ndarray               # (T,) Σ_{t'≥k} (γσ_max)^{t'−k} ‖∂L_t'/∂h_t'‖, NaN where it does not apply
    data: SequenceData              # the selected sequence's inputs, targets and predictions
    # ∂L/∂W_hh = Σ_t C_t = Σ_b G_b (see weight_gradient_shares); NaN: not computed (too large, or
    # the sequence and total shares while the backward pass is not finished)
    w_hh_step_norms: np.ndarray     # (L, T) ‖C_t‖_F, what step t adds
    w_hh_sequence_norms: np.ndarray  # (L, B) ‖G_b‖_F, what sequence b adds
    w_hh_norm: np.ndarray           # (L,) ‖∂L/∂W_hh‖_F
    # the LSTM's cell-state path (None for the other cells), means over the batch and the units:
    forget_mean: np.ndarray | None      # (L, T) f_t (NaN: not computed forward yet); see forget_means
    forget_product: np.ndarray | None   # (L, T) ∏_{k=t+1}^{T_last} f_k (1 at the last loss step T_last,
                                        # NaN after it and until f_{T_last} is computed); see forget_products
    forget_product_best: np.ndarray | None  # (L, T) the same of the best-kept unit (max over the units)

    # --- where the stepping is ---
    @property
    def seq_len(self) -> int:
        return self.record.seq_len

    @property
    def forward_complete(self) -> bool:
        return self.forward_done == self.record.seq_len

    @property
    def backward_complete(self) -> bool:
        return self.visits_done == self.plan_length

    @property
    def done(self) -> bool:
        return self.forward_complete and self.backward_complete

    @property
    def visited(self) -> np.ndarray:
        """(T,) bool: the backward pass has reached the step."""
        return self.record.visits > 0

    @property
    def loss(self) -> float:
        return self.record.loss

    @property
    def sensitivity(self):
        """S[t, k] = ‖∂L_t/∂h_k‖ (top layer, batch norm) of the loss steps t, an
        :class:`rnn.diagnostics.Sensitivity`; None (not finished, or not affordable)."""
        return self.record.sensitivity_rows


JACOBIAN_CHUNK = 4e6    # size³ per call of the stacked SVD (≈ 7 ms: LAPACK holds the GIL while it runs)


def step_jacobians(record, cell, params, sequence: int, steps: slice = slice(None)) -> np.ndarray:
    """(L, T) ‖∂s_t/∂s_{t−1}‖₂ of one sequence, NaN outside ``steps``, measured a few steps per
    call so that a thread drawing the window meanwhile is never kept waiting long."""
    L, T = record.spec.num_layers, record.seq_len
    chunk = int(max(1, min(1000, JACOBIAN_CHUNK // record.spec.state_size ** 3)))
    jac = np.full((L, T), np.nan)
    start, stop, _ = steps.indices(T)
    with np.errstate(all="ignore"):
        for layer in range(L):
            for first in range(start, stop, chunk):
                part = slice(first, min(first + chunk, stop))
                jac[layer, part] = jacobian_norms(record, cell, params, layer, sequence, part)
    return jac


def for_sequence(result: "PassResult", cell, params, sequence: int) -> "PassResult":
    """The same result for another sequence of the batch: its step Jacobians and its data (all
    that depends on which sequence is selected); nothing else is recomputed."""
    if sequence == result.data.sequence:
        return result
    r = result.record
    jacobians = {}
    if result.jacobians_computed:
        jacobians = dict(jacobian_sequence=sequence,
                         jacobian_norms=step_jacobians(r, cell, params, sequence, slice(0, result.forward_done)))
    return replace(result, data=sequence_data(r, sequence), **jacobians)


def summarise(stepper: BPTT, regime: Regime, sequence: int = 0, previous: "PassResult | None" = None,
              with_jacobians: bool = True, steps=None) -> PassResult:
    """The :class:`PassResult` of a stepper where it stands.

    ``previous``: the result of the same stepper before its last steps, and ``steps`` the timesteps
    those steps touched (a forward step, or a backward visit, changes one column of the
    recording): only those columns are measured again, so a manual step costs one step's norms,
    not the whole pass's. The step Jacobians depend only on the forward pass; those of steps
    ``previous`` had computed are kept.
    """
    r, spec = stepper.record, stepper.spec
    T, L = r.seq_len, spec.num_layers
    sequence = int(min(max(sequence, 0), r.batch_size - 1))
    affordable = with_jacobians and jacobians_affordable(T, L, spec.hidden_size, spec.has_cell_state)
    same = previous is not None and previous.record is r
    jac = np.full((L, T), np.nan)
    if affordable and r.forward_done:
        known = 0
        if same and previous.jacobian_sequence == sequence and previous.jacobians_computed:
            known = min(previous.forward_done, r.forward_done)
            jac[:, :known] = previous.jacobian_norms[:, :known]
        if known < r.forward_done:
            new = slice(known, r.forward_done)
            jac[:, new] = step_jacobians(r, stepper.cell, stepper.params, sequence, new)[:, new]
    if same and steps is not None:
        t = np.arange(T)[steps] if isinstance(steps, slice) else np.atleast_1d(np.asarray(steps, dtype=int))
        norms = {}
        for field, (_, _, layered) in NORMS.items():
            values = getattr(previous, field).copy()
            values[(slice(None), t) if layered else t] = _measure(r, field, t)
            norms[field] = values
    else:
        norms = {field: _measure(r, field) for field in NORMS}
    with np.errstate(all="ignore"):
        bound = gradient_bound(r, regime)
    shares = _shares(r, stepper, previous if same else None, steps)
    forget_mean, (forget_product, forget_product_best) = _forget_path(r, previous if same else None, steps)
    return PassResult(
        record=r, segments=tuple(stepper.segments), carry_factors=np.asarray(stepper.carry_factors),
        plan_length=len(stepper.plan), forward_done=r.forward_done, visits_done=stepper.visits_done,
        next_visit=stepper.next_visit, loss_steps=np.any(np.asarray(r.loss_mask) != 0, axis=1),
        through=through_mask(stepper.segments, stepper.carry_factors, T),
        window_masks=window_masks(stepper.segments, T), **norms,
        jacobian_norms=jac, jacobian_sequence=sequence, jacobians_computed=affordable, regime=regime,
        bound=bound, data=sequence_data(r, sequence), w_hh_step_norms=shares[0], w_hh_sequence_norms=shares[1],
        w_hh_norm=shares[2], forget_mean=forget_mean, forget_product=forget_product,
        forget_product_best=forget_product_best)


def _forget_path(record, previous, steps):
    """The forget-gate means and products: the means of the touched steps on top of the previous
    result's (or every step's), the products once, when the forward pass has reached T_last."""
    if not record.spec.has_cell_state:
        return None, (None, None)
    if previous is None or steps is None:
        return forget_means(record), forget_products(record)
    t = np.arange(record.seq_len)[steps] if isinstance(steps, slice) else np.atleast_1d(np.asarray(steps, dtype=int))
    means = previous.forget_mean.copy()
    means[:, t] = forget_means(record, t)
    known = previous.forward_done > last_loss_step(record)        # (the forward pass does not change after)
    return means, ((previous.forget_product, previous.forget_product_best) if known else forget_products(record))


def _shares(record, stepper, previous, steps):
    """The weight-gradient shares: every step's when the pass is done (or from scratch), else those
    of the touched steps on top of the previous result's."""
    L, T, B = record.spec.num_layers, record.seq_len, record.batch_size
    if stepper.done or previous is None or steps is None:
        shares = weight_gradient_shares(record)
        if shares is None:
            return np.full((L, T), np.nan), np.full((L, B), np.nan), np.full(L, np.nan)
        if not stepper.done:                       # partial sums: only the per-step ones mean something
            shares = (shares[0], np.full((L, B), np.nan), np.full(L, np.nan))
        return shares
    touched = weight_gradient_shares(record, steps)
    if touched is None:
        return previous.w_hh_step_norms, previous.w_hh_sequence_norms, previous.w_hh_norm
    step_norms = previous.w_hh_step_norms.copy()
    columns = np.isfinite(touched[0][0])
    step_norms[:, columns] = touched[0][:, columns]
    return step_norms, np.full((L, B), np.nan), np.full(L, np.nan)
