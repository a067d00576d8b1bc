"""A lean pass for long sequences: the stepper run one segment at a time, from checkpoints.

A full recording holds every step's pre-activations, gates, states and adjoints: about 17 floats
per step, unit and sequence for the LSTM, 11 GB at T = 10,000, H = 256, B = 32. A lean pass splits
the T steps into segments [s, e) of about √T steps and keeps, of each,

    its checkpoint   (h_{s−1}, c_{s−1}) of every layer: the state it starts from
    its carry        (∂L/∂h_{e−1}, ∂L/∂c_{e−1}): what the steps after it carry back into its last step

and of every step what the views draw of it (the norms of :data:`rnn.passresult.NORMS`, ŷ_t,
∂L/∂ŷ_t, ℓ_t, the forget-gate means and products); one segment's recording is alive at a time.

Forward, the segments run in order, each from the state the one before ended in. Backward, they run
from the last to the first: each is computed forward again from its checkpoint and stepped backward
from its carry; what it carries back to step s − 1 (its own ∂L/∂h_{−1}) is the carry of the segment
before. Every shared weight's gradient is a sum over steps, so the pass's is the segments' sum:

    ∂L/∂θ = Σ_segments Σ_{t ∈ [s, e)} (step t's contribution)

Each segment is the stepper (:class:`rnn.bptt.BPTT`) over its steps, so there is one
implementation, and the numbers are those of the full recording (the gradients up to the order of
that sum). :meth:`LeanPass.segment` computes a segment's whole recording again, for what a view
shows of it. The cost is one more forward pass than a recorded one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from .bptt import BPTT, Buffers, Recording, _check_batch
from .diagnostics import Regime, Sensitivity, gradient_bound
from .errors import RnnInputError
from .losses import loss_mask
from .params import NetworkSpec, check_params, params_dtype, with_precision
from .passresult import (NORMS, PassResult, _measure, forget_means, forget_products_before, last_loss_step,
                         sequence_data, sequence_norms, through_mask, window_masks)
from .truncation import Truncation


def segment_length(seq_len: int, truncation: Truncation = Truncation()) -> int:
    """⌈√T⌉ steps, rounded up to a whole number of TBPTT(k, k) chunks (no chunk then crosses two segments)."""
    length = math.ceil(math.sqrt(seq_len))
    if truncation.mode == "tbptt":
        length = math.ceil(length / truncation.k1) * truncation.k1
    return max(1, min(length, seq_len))


def check_lean(truncation: Truncation):
    """RnnInputError unless every backward window stays inside one segment or spans the sequence."""
    if truncation.mode == "tbptt" and truncation.k1 != truncation.k2:
        raise RnnInputError(f"a lean pass runs full BPTT, randomized truncation or TBPTT(k, k); "
                            f"{truncation.label} backpropagates across its segments' checkpoints")


@dataclass
class LeanPass:
    """One whole pass, kept as checkpoints, carries and per-step summaries (see the module)."""

    spec: NetworkSpec
    params: dict
    truncation: Truncation
    loss_kind: str
    inputs: np.ndarray            # (T, B, I)
    targets: np.ndarray
    loss_mask: np.ndarray         # (T, B)
    carry_factors: np.ndarray     # (T,) randomized truncation's factor on the carry from t to t − 1
    starts: np.ndarray            # (segments + 1,) segment k is steps [starts[k], starts[k + 1])
    checkpoints: list             # (h_{s−1}, c_{s−1}) before each segment, (L, B, H) each (c None: no cell state)
    carries: list                 # (∂L/∂h, ∂L/∂c) carried into each segment's last step (None: nothing)
    loss_t: np.ndarray            # (T,) each step's term of L
    yhat: np.ndarray              # (T, B, O)
    dyhat: np.ndarray             # (T, B, O) ∂L/∂ŷ_t
    norms: dict                   # PassResult field of NORMS → its values at every step
    forget_mean: np.ndarray | None
    forget_product: np.ndarray | None
    forget_product_best: np.ndarray | None
    dh0: np.ndarray               # (L, B, H) ∂L/∂h_{−1}
    dc0: np.ndarray | None
    visits: np.ndarray            # (T,) backward visits made to each step
    grads: dict                   # ∂L/∂θ, PyTorch names

    seq_len, batch_size, loss = Recording.seq_len, Recording.batch_size, Recording.loss

    @property
    def steps_per_segment(self) -> int:
        """The segments' length (the last one may be shorter)."""
        return int(self.starts[1] - self.starts[0])

    def gradients(self) -> dict:
        return {name: grad.copy() for name, grad in self.grads.items()}

    @property
    def sensitivity_rows(self) -> Sensitivity | None:
        """S's one row with one loss step under full BPTT: ‖∂L/∂h_k‖ of the top layer, which the
        pass measured (:func:`rnn.diagnostics.sensitivity`); None otherwise (rows of several loss
        steps need a sweep per row back through every segment)."""
        loss_steps = np.flatnonzero(np.any(self.loss_mask != 0, axis=1))
        if not self.truncation.is_full or len(loss_steps) != 1:
            return None
        return Sensitivity(loss_steps, self.norms["dh_norm_batch"][-1][None].copy())

    def segment_at(self, t: int) -> int:
        """The segment holding step t."""
        return int(np.searchsorted(self.starts, t, side="right") - 1)

    def segment(self, k: int) -> Recording:
        """Segment k's whole recording, computed again from its checkpoint and carry: its steps
        [starts[k], starts[k + 1]) indexed from 0, the same numbers as the full recording's."""
        return _stepper(self, k).finish()

    def sequence_recording(self, b: int) -> Recording:
        """The whole recording of sequence b alone: a pass over it with its share of the loss,
        weights m_{t,b}/B (sequences never mix: its states and adjoints are the batch pass's, up to
        the rounding of products over one row instead of B). T steps of one sequence: 1/B of the
        whole recording."""
        one = slice(b, b + 1)
        h0, c0 = self.checkpoints[0]
        return BPTT(self.spec, self.params, self.inputs[:, one], self.targets[:, one], loss=self.loss_kind,
                    loss_at=self.loss_mask[:, one] / self.batch_size, truncation=self.truncation,
                    h0=h0[:, one], c0=None if c0 is None else c0[:, one], with_sensitivity=False,
                    carry_factors=self.carry_factors).finish()


NORM_OF = {"dh": "dh_norm_batch", "dc": "dc_norm_batch", "d_ih": "d_ih_norm_batch", "dyhat": "dyhat_norm_batch"}


class _Batched:
    """A per-unit array of the shown sequence's recording read as (…, B, n): a broadcast view,
    made at each read (kept, it would be pickled as B copies)."""

    def __set_name__(self, owner, name):
        self.name = name

    def __get__(self, record, owner=None):
        if record is None:
            return self
        values = getattr(record.one, self.name)
        if values is None:
            return None
        return np.broadcast_to(values, values.shape[:-2] + (record.batch_size,) + values.shape[-1:])


class LeanRecording:
    """What the views read of a :class:`rnn.bptt.Recording`, for a lean pass: the batch's numbers
    (ℓ_t, ŷ_t, ∂L/∂ŷ_t, the gradients, every norm) from the pass, and the per-unit arrays of
    ``sequence``, the one the views show, from its own whole recording
    (:meth:`LeanPass.sequence_recording`). Those arrays read as (L, T, B, n), each batch index
    giving that sequence's values (a broadcast view: no copy); a view reads the selected sequence
    only, and showing another is computing its recording."""

    is_lean = True

    pre, h, gates, c, extra = _Batched(), _Batched(), _Batched(), _Batched(), _Batched()
    dh, dc, d_ih, d_hh, h0, c0 = _Batched(), _Batched(), _Batched(), _Batched(), _Batched(), _Batched()

    def __init__(self, lean: LeanPass, sequence: int):
        self.lean, self.sequence = lean, int(sequence)
        self.one = lean.sequence_recording(self.sequence)      # the shown sequence's whole recording
        self.spec, self.loss_kind = lean.spec, lean.loss_kind
        self.inputs, self.targets, self.loss_mask = lean.inputs, lean.targets, lean.loss_mask
        self.loss_t, self.yhat, self.dyhat, self.visits = lean.loss_t, lean.yhat, lean.dyhat, lean.visits
        self.dh0, self.dc0 = lean.dh0, lean.dc0
        self.forward_done = lean.seq_len
        self.sensitivity_rows = lean.sensitivity_rows

    seq_len, batch_size, loss = Recording.seq_len, Recording.batch_size, Recording.loss
    dphi, dh_norm = Recording.dphi, Recording.dh_norm
    state_before, states_before = Recording.state_before, Recording.states_before
    h_prev, c_prev = Recording.h_prev, Recording.c_prev

    @property
    def sensitivity(self):
        return Recording.sensitivity.fget(self)

    def gradients(self) -> dict:
        return self.lean.gradients()

    def step_norms(self, name: str):
        """‖·‖ over the batch and the units at every step, as :meth:`Recording.step_norms`: the pass's."""
        return self.lean.norms[NORM_OF[name]].copy()

    @property
    def nbytes(self) -> int:
        """Bytes held: the shown sequence's recording, and the lean pass's arrays (its per-step summaries)."""
        lean = vars(self.lean)
        arrays = [v for v in lean.values() if isinstance(v, np.ndarray)] + list(lean["norms"].values())
        return self.one.nbytes + sum(a.nbytes for a in arrays)


def _stepper(lean: LeanPass, k: int, buffers: Buffers | None = None) -> BPTT:
    s, e = int(lean.starts[k]), int(lean.starts[k + 1])
    (h0, c0), carry = lean.checkpoints[k], lean.carries[k]
    return BPTT(lean.spec, lean.params, lean.inputs[s:e], lean.targets[s:e], loss=lean.loss_kind,
                loss_at=lean.loss_mask[s:e], truncation=lean.truncation, h0=h0, c0=c0,
                with_sensitivity=False, buffers=buffers, carry_in=carry,
                carry_factors=lean.carry_factors[s:e])


def run_lean(spec: NetworkSpec, params: dict, inputs, targets, **options) -> LeanPass:
    """A whole forward and backward pass in segments (:func:`lean_pass` run to its end)."""
    job = lean_pass(spec, params, inputs, targets, **options)
    while True:
        try:
            next(job)
        except StopIteration as done:
            return done.value


def lean_pass(spec: NetworkSpec, params: dict, inputs, targets, loss: str = "mse", loss_at="all",
              truncation: Truncation = Truncation(), h0=None, c0=None, seed: int = 0,
              segment: int | None = None):
    """A whole forward and backward pass in segments of ``segment`` steps (default
    :func:`segment_length`), with the arguments of :class:`rnn.bptt.BPTT`: a generator that yields,
    after each segment (where a caller may stop it), the share of the pass done (0 … 1: the forward
    pass is a third, the backward pass, each segment forward again and back, two thirds), and
    returns the :class:`LeanPass`."""
    if not isinstance(spec, NetworkSpec):
        raise RnnInputError(f"spec must be a NetworkSpec, got {type(spec).__name__}")
    if not isinstance(truncation, Truncation):
        raise RnnInputError(f"truncation must be a Truncation, got {truncation!r}")
    check_lean(truncation)
    check_params(params, spec)
    dtype = params_dtype(params)
    params = with_precision(params, dtype)
    inputs, targets, h0, c0 = _check_batch(spec, inputs, targets, loss, h0, c0, dtype)
    T, B = inputs.shape[:2]
    length = segment_length(T, truncation) if segment is None else int(segment)
    if length < 1 or (truncation.mode == "tbptt" and length % truncation.k1):
        raise RnnInputError(f"a segment must be a whole number ≥ 1 of steps (of TBPTT chunks), got {segment!r}")
    try:
        rng = np.random.default_rng(seed)
    except (ValueError, TypeError):
        raise RnnInputError(f"seed must be a whole number ≥ 0 (or a list of them), got {seed!r}") from None
    O = spec.output_size
    lstm = spec.has_cell_state
    starts = np.append(np.arange(0, T, length), T)
    n = len(starts) - 1
    lean = LeanPass(
        spec=spec, params=params, truncation=truncation, loss_kind=loss, inputs=inputs, targets=targets,
        loss_mask=loss_mask(loss_at, T, B), carry_factors=truncation.carry_factors(T, rng), starts=starts,
        checkpoints=[None] * n, carries=[None] * n, loss_t=np.zeros(T), yhat=np.zeros((T, B, O), dtype),
        dyhat=np.zeros((T, B, O), dtype), norms={}, forget_mean=None, forget_product=None,
        forget_product_best=None, dh0=None, dc0=None, visits=np.zeros(T, dtype=int), grads={})
    buffers = Buffers()
    state = (h0, c0)
    for k in range(n):                        # forward: each segment's checkpoint is where the last ended
        lean.checkpoints[k] = state
        stepper = _stepper(lean, k, buffers)
        r = stepper.finish_forward()
        state = (r.h[:, -1].copy(), r.c[:, -1].copy() if lstm else None)
        yield (k + 1) / (3 * n)
    last_segment = [stepper]                  # its forward is there: the backward starts with it
    del stepper, r
    yield from _backward(lean, last_segment, buffers)
    return lean


def _backward(lean: LeanPass, last_segment: list, buffers: Buffers):
    """The segments from the last to the first, each forward again (the last one's is still there)
    and backward from its carry; every step's summaries, and the gradients summed."""
    spec, T = lean.spec, lean.seq_len
    L, B = spec.num_layers, lean.batch_size
    lstm = spec.has_cell_state
    lean.norms = {field: _measure_shape(field, L, T, B) for field in NORMS}
    if lstm:
        lean.forget_mean, lean.forget_product, lean.forget_product_best = (np.full((L, T), np.nan) for _ in range(3))
    last_loss = last_loss_step(lean)
    carried_product = None                     # ∏ f of the segments after, to the last loss step
    carry = None
    for k in range(len(lean.starts) - 2, -1, -1):
        s, e = int(lean.starts[k]), int(lean.starts[k + 1])
        lean.carries[k] = carry
        stepper = last_segment.pop() if last_segment else _stepper(lean, k, buffers)
        r = stepper.finish()
        for field, (_, _, layered) in NORMS.items():
            lean.norms[field][(slice(None), slice(s, e)) if layered else slice(s, e)] = _measure(r, field)
        lean.loss_t[s:e], lean.yhat[s:e], lean.dyhat[s:e], lean.visits[s:e] = r.loss_t, r.yhat, r.dyhat, r.visits
        if lstm:
            lean.forget_mean[:, s:e] = forget_means(r)
            if last_loss >= s:
                mean, best, carried_product = forget_products_before(r, min(last_loss, e - 1) - s, carried_product)
                lean.forget_product[:, s:e], lean.forget_product_best[:, s:e] = mean, best
        for name, grad in r.gradients().items():
            lean.grads[name] = grad if name not in lean.grads else lean.grads[name] + grad
        if lean.truncation.mode != "tbptt":    # (TBPTT(k, k): no window crosses a segment's start)
            carry = (r.dh0.copy(), r.dc0.copy() if lstm else None)
        lean.dh0, lean.dc0 = r.dh0.copy(), r.dc0.copy() if lstm else None
        del r, stepper
        yield 1 - 2 * k / (3 * (len(lean.starts) - 1))


def _measure_shape(field: str, L: int, T: int, B: int) -> np.ndarray:
    _, norm, layered = NORMS[field]
    shape = ((L,) if layered else ()) + (T,) + ((B,) if norm is sequence_norms else ())
    return np.full(shape, np.nan)


def summarise_lean(lean: LeanPass, regime: Regime, sequence: int = 0) -> PassResult:
    """The :class:`rnn.passresult.PassResult` of a lean pass, showing ``sequence``: what
    :func:`rnn.passresult.summarise` gives of a finished pass, but for the step Jacobians and the
    weight-gradient shares (NaN: not computed; they need every step's recording of the whole batch)."""
    L, T, B = lean.spec.num_layers, lean.seq_len, lean.batch_size
    sequence = int(min(max(sequence, 0), B - 1))
    record = LeanRecording(lean, sequence)
    segments = lean.truncation.segments(T)
    visits = int(lean.visits.sum())
    with np.errstate(all="ignore"):
        bound = gradient_bound(record, regime)
    return PassResult(
        record=record, segments=tuple(segments), carry_factors=np.asarray(lean.carry_factors),
        plan_length=visits, forward_done=T, visits_done=visits, next_visit=None,
        loss_steps=np.any(np.asarray(lean.loss_mask) != 0, axis=1),
        through=through_mask(segments, lean.carry_factors, T), window_masks=window_masks(segments, T),
        **{field: values.copy() for field, values in lean.norms.items()},
        jacobian_norms=np.full((L, T), np.nan), jacobian_sequence=sequence, jacobians_computed=False,
        regime=regime, bound=bound, data=sequence_data(record, sequence),
        w_hh_step_norms=np.full((L, T), np.nan), w_hh_sequence_norms=np.full((L, B), np.nan),
        w_hh_norm=np.full(L, np.nan), forget_mean=lean.forget_mean, forget_product=lean.forget_product,
        forget_product_best=lean.forget_product_best)


def shown_sequence(result: PassResult, sequence: int) -> PassResult:
    """A lean pass's result showing another sequence: its recording and its data (the rest is the batch's)."""
    record = LeanRecording(result.record.lean, sequence)
    return replace(result, record=record, data=sequence_data(record, record.sequence), jacobian_sequence=record.sequence)
