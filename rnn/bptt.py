"""The BPTT stepper: a forward pass one timestep at a time, then the backward pass one visit at a
time, recording everything a person could ask about. Running a whole pass is this stepper run to
the end (:func:`run_bptt`): there is one implementation.

Backward recursion (per layer l, top layer L−1 reads out ŷ_t = W_hy h_t + b_y):

    ∂L/∂h^l_t = [l = L−1] W_hyᵀ ∂ℓ_t/∂ŷ_t + ∂L/∂x^{l+1}_t + (∂h^l_{t+1}/∂h^l_t)ᵀ ∂L/∂h^l_{t+1}

and every shared weight collects one contribution a step, e.g. ∂L/∂W_hh = Σ_t d_hh,tᵀ h_{t−1}.
Under truncation the backward pass is a list of visits (segment, t); see :mod:`rnn.truncation`.
"""

import functools
import sys

import numpy as np

from .cells import cell_of, matmul
from .diagnostics import sensitivity
from .errors import RnnInputError
from .flush import FLUSH_EVERY, flush_vanished
from .losses import LOSSES, loss_mask, step_losses
from .params import NetworkSpec, check_params, layer_params, params_dtype, with_precision
from .truncation import Truncation


def overflow_reported(method):
    """Run ``method`` without NumPy's overflow warnings: a pass that blows up says so by its
    values (inf, NaN), which the window greys and training stops at, not on stderr. (One
    ``errstate`` a call: a call computes many steps.)"""
    @functools.wraps(method)
    def quietly(*args, **kwargs):
        with np.errstate(over="ignore", invalid="ignore"):
            return method(*args, **kwargs)
    return quietly


class Buffers:
    """Recording arrays kept from one pass to the next, for the passes of a training run.

    ``empty(shape, dtype)`` hands out a kept array of that shape and dtype that nothing else holds
    any more (no recording, no view of it, no caller: CPython's reference count says so), or a new
    one, kept if fewer than ``keep`` are. Its entries are whatever the last pass left there, so a
    recording takes from here only the arrays whose every entry a pass run to its end writes before
    reading it; a recording still held (an Update kept by its caller) is never written over.
    """

    def __init__(self, keep: int = 2):     # 2: the caller still holds the last update's while the next is made
        self.keep, self._kept = keep, {}

    def empty(self, shape, dtype) -> np.ndarray:
        kept = self._kept.setdefault((shape, np.dtype(dtype)), [])
        for i in range(len(kept)):
            if _references(kept, i) == _HELD_BY_LIST_ONLY:
                return kept[i]
        array = np.empty(shape, dtype)
        if len(kept) < self.keep:
            kept.append(array)
        return array


def _references(arrays: list, i: int) -> int:
    """The reference count of arrays[i], as seen from here (its list's, this call's, any other's)."""
    return sys.getrefcount(arrays[i])


_HELD_BY_LIST_ONLY = _references([np.empty(0)], 0)   # the count of an array that only its list holds


class Recording:
    """Everything one pass computed, indexed [layer, t, batch, unit]. Filled in as the stepper goes.

    Steps not computed yet read 0. With ``buffers`` (:class:`Buffers`, for a pass run to its end
    before anything reads it: training) the arrays that such a pass writes in full before reading
    come from there, as they are, instead of being zeroed.
    """

    def __init__(self, spec: NetworkSpec, inputs, targets, mask, loss: str, h0, c0, dtype=np.float64,
                 buffers: Buffers | None = None):
        L, H, GH = spec.num_layers, spec.hidden_size, spec.gates * spec.hidden_size
        zeros = lambda shape: np.zeros(shape, dtype)       # (the loss terms loss_t stay float64)
        written = zeros if buffers is None else (lambda shape: buffers.empty(shape, dtype))  # in full, before read
        T, B = inputs.shape[:2]
        self.spec, self.loss_kind = spec, loss
        self.inputs, self.targets, self.loss_mask = inputs, targets, mask
        self.h0, self.c0 = h0, c0
        lstm = spec.has_cell_state
        # forward
        self.pre = written((L, T, B, GH))     # pre-activations a_t (gates)
        self.h = written((L, T, B, H))
        self.gates = self.h if spec.cell == "rnn" else written((L, T, B, GH))  # activated gates
        self.c = written((L, T, B, H)) if lstm else None
        self.extra = written((L, T, B, H))    # φ'(a_t) | tanh(c_t) | W_hn h_{t−1} + b_hn
        self.yhat = written((T, B, spec.output_size))
        self.loss_t = np.zeros(T)                # each step's term of L
        self.loss_weight = (mask[:, :, None] / B).astype(dtype)  # m_{t,b} / B
        self.dyhat = written((T, B, spec.output_size))  # ∂L/∂ŷ_t
        # backward (every step is visited at least once: its first visit copies, later ones add)
        self.dh = written((L, T, B, H))       # ∂L/∂h_t that reached each state
        self.dc = written((L, T, B, H)) if lstm else None
        self.d_ih = written((L, T, B, GH))    # ∂L/∂(W_ih x_t + b_ih)
        self.d_hh = self.d_ih if spec.cell != "gru" else written((L, T, B, GH))
        self.dh0 = zeros((L, B, H))           # ∂L/∂h_{−1}
        self.dc0 = zeros((L, B, H)) if lstm else None
        self.visits = np.zeros(T, dtype=int)     # backward visits made to each step
        self.forward_done = 0                    # steps computed forward
        self.sensitivity_rows = None             # ‖∂L_t/∂h_k‖ of the loss steps t, set when the pass ends

    @property
    def sensitivity(self):
        """The whole (T, T) matrix S[t, k] = ‖∂L_t/∂h_k‖ (None before the pass ends), made from
        :attr:`sensitivity_rows` at each call: T² numbers, where only the loss steps' rows can be non-zero."""
        return None if self.sensitivity_rows is None else self.sensitivity_rows.dense()

    @property
    def seq_len(self) -> int:
        return self.inputs.shape[0]

    @property
    def batch_size(self) -> int:
        return self.inputs.shape[1]

    @property
    def nbytes(self) -> int:
        """Bytes of the arrays this recording holds, each once (the vanilla cell's gates are its h)."""
        arrays = {id(value): value for value in vars(self).values() if isinstance(value, np.ndarray)}
        return sum(array.nbytes for array in arrays.values())

    @property
    def dphi(self):
        """φ'(a_t) of the vanilla cell, (layers, T, B, H)."""
        if self.spec.cell != "rnn":
            raise AttributeError("φ'(a_t) is recorded for the vanilla cell only")
        return self.extra

    @property
    def loss(self) -> float:
        return float(self.loss_t.sum())

    def step_norms(self, name: str):
        """‖·‖ (Frobenius over batch and units) of a recorded array at every step: (T,) for
        ``dyhat``, (layers, T) for per-layer arrays such as ``dh``, ``dc``, ``d_ih``."""
        values = getattr(self, name)
        with np.errstate(over="ignore"):  # an exploded gradient's norm is inf, not a warning
            return np.sqrt(np.sum(values ** 2, axis=(-2, -1)))

    @property
    def dh_norm(self):
        """‖∂L/∂h_t‖ (Frobenius over batch and units) of the top layer, (T,)."""
        return self.step_norms("dh")[-1]

    def state_before(self, layer: int, t: int):
        """(h_{t−1}, c_{t−1}) of one layer at step t, views of the recording (h0, c0 at t = 0;
        c is None without a cell state)."""
        if t > 0:
            return self.h[layer, t - 1], None if self.c is None else self.c[layer, t - 1]
        return self.h0[layer], None if self.c is None else self.c0[layer]

    def states_before(self, layer: int, start: int, stop: int):
        """(h_{t−1}, c_{t−1}) for t = start … stop − 1 of one layer, (stop − start, B, H) each
        (c None without a cell state); views of the recording unless the range starts at 0."""
        def before(states, initial):
            if states is None:
                return None
            if start > 0:
                return states[layer, start - 1:stop - 1]
            return np.concatenate([initial[layer][None], states[layer, :stop - 1]])
        return before(self.h, self.h0), before(self.c, self.c0)

    def h_prev(self, layer: int):
        """h_{t−1} for every t of one layer, (T, B, H), starting from h0."""
        return self.states_before(layer, 0, self.seq_len)[0]

    def c_prev(self, layer: int):
        return self.states_before(layer, 0, self.seq_len)[1]

    def layer_inputs(self, layer: int):
        """x^l_t: the inputs for layer 0, the layer below's h_t otherwise."""
        return self.inputs if layer == 0 else self.h[layer - 1]

    @overflow_reported
    def contributions(self, name: str):
        """Each step's contribution to ∂L/∂name, (T, *shape): the terms whose sum is the gradient."""
        if name.startswith("readout"):
            if name.endswith("weight"):
                return np.einsum("tbo,tbh->toh", self.dyhat, self.h[-1])
            return self.dyhat.sum(axis=1)
        kind, layer = name.rsplit("_l", 1)
        layer = int(layer)
        if kind == "weight_ih":
            return np.einsum("tbg,tbi->tgi", self.d_ih[layer], self.layer_inputs(layer))
        if kind == "weight_hh":
            return np.einsum("tbg,tbh->tgh", self.d_hh[layer], self.h_prev(layer))
        return (self.d_ih if kind == "bias_ih" else self.d_hh)[layer].sum(axis=1)

    @overflow_reported
    def gradients(self) -> dict:
        """∂L/∂θ for every parameter (PyTorch names): the sum over steps of each contribution."""
        grads = {}
        for l in range(self.spec.num_layers):
            d_ih, d_hh = self.d_ih[l], self.d_hh[l]
            grads[f"weight_ih_l{l}"] = _sum_outer(d_ih, self.layer_inputs(l))
            grads[f"weight_hh_l{l}"] = _sum_outer(d_hh[1:], self.h[l, :-1]) + d_hh[0].T @ self.h0[l]
            grads[f"bias_ih_l{l}"] = d_ih.sum(axis=(0, 1))
            grads[f"bias_hh_l{l}"] = grads[f"bias_ih_l{l}"].copy() if self.d_hh is self.d_ih else d_hh.sum(axis=(0, 1))
        grads["readout.weight"] = _sum_outer(self.dyhat, self.h[-1])
        grads["readout.bias"] = self.dyhat.sum(axis=(0, 1))
        return grads


def _sum_outer(d, x):
    """Σ_t Σ_b d_{t,b} x_{t,b}ᵀ for d (T, B, m) and x (T, B, n): one (n, T·B) @ (T·B, m) product on
    views of the recorded arrays, transposed (no transposed copy, as ``tensordot`` would make)."""
    return np.ascontiguousarray((x.reshape(-1, x.shape[-1]).T @ d.reshape(-1, d.shape[-1])).T)


FACTOR_FLOATS = 1 << 15   # a block of the backward's local factors holds at most this many floats (256 KB: in cache)


class _LocalFactors:
    """One layer's backward factors that do not depend on the adjoints (the cell's
    ``local_factors``: σ'(a), 1 − tanh², …), computed a block of steps at a time as the backward
    visits reach them: one product per step is then left for each adjoint. ``at(t)`` is step t's
    factors, a tuple of contiguous (B, H) arrays."""

    def __init__(self, cell, record: Recording, layer: int):
        self.cell, self.record, self.layer = cell, record, layer
        width = cell.factor_count * record.h.shape[-1]                # (at most 6H, the LSTM's)
        self.block = int(max(1, min(64, FACTOR_FLOATS // (record.batch_size * width))))
        self.start, self.steps = 0, []

    def at(self, t: int):
        if not 0 <= t - self.start < len(self.steps):
            r, l = self.record, self.layer
            start = t // self.block * self.block
            stop = min(start + self.block, r.seq_len)
            h_prev, c_prev = r.states_before(l, start, stop)
            factors = self.cell.local_factors(r.gates[l, start:stop], r.extra[l, start:stop], h_prev, c_prev)
            self.start, self.steps = start, list(zip(*factors))   # (factor, step) → per step
        return self.steps[t - self.start]


def _count(n) -> int:
    """How many steps or visits to make: a whole number ≥ 1 (RnnInputError otherwise)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise RnnInputError(f"the number of steps must be a whole number ≥ 1, got {n!r}")
    return int(n)


def _whole(value) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, np.integer)) and value >= 0


def _generator(seed, needed: bool):
    """``np.random.default_rng(seed)`` (RnnInputError for what cannot seed one), made only when
    ``needed``: a whole number ≥ 0, or a list of them (training's [seed, update]), is a valid seed
    without building the generator (≈ 25 µs)."""
    if not needed and (_whole(seed) or isinstance(seed, (list, tuple)) and seed and all(map(_whole, seed))):
        return None
    try:
        return np.random.default_rng(seed)
    except (ValueError, TypeError):
        raise RnnInputError(f"seed must be a whole number ≥ 0 (or a list of them), got {seed!r}") from None


def _as_array(value, what: str) -> np.ndarray:
    """``np.asarray(value)``, or RnnInputError for what cannot be one (ragged lists, objects)."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise RnnInputError(f"{what} cannot be read as an array ({exc})") from None
    if array.dtype.kind in "OcmMSUV" or np.issubdtype(array.dtype, np.complexfloating):
        raise RnnInputError(f"{what} must hold real numbers, got dtype {array.dtype}")
    return array


def _check_batch(spec, inputs, targets, loss, h0, c0, dtype=np.float64):
    inputs = _as_array(inputs, "inputs")
    if inputs.ndim != 3 or inputs.shape[2] != spec.input_size or inputs.shape[0] < 1 or inputs.shape[1] < 1:
        raise RnnInputError(f"inputs must have shape (T, B, {spec.input_size}), got {inputs.shape}")
    if not np.issubdtype(inputs.dtype, np.number) or not np.all(np.isfinite(inputs)):
        raise RnnInputError("inputs must be finite numbers (found NaN, Inf or a non-numeric dtype)")
    T, B = inputs.shape[:2]
    if loss not in LOSSES:
        raise RnnInputError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    targets = _as_array(targets, "targets")
    if loss == "mse":
        if targets.shape != (T, B, spec.output_size):
            raise RnnInputError(f"mse targets must have shape ({T}, {B}, {spec.output_size}), got {targets.shape}")
        if not np.issubdtype(targets.dtype, np.number) or not np.all(np.isfinite(targets)):
            raise RnnInputError("targets must be finite numbers (found NaN, Inf or a non-numeric dtype)")
        targets = targets.astype(dtype)
    else:
        if targets.shape != (T, B) or not np.issubdtype(targets.dtype, np.integer):
            raise RnnInputError(f"xent targets must be integer class indices of shape ({T}, {B}), "
                                f"got {targets.dtype} {targets.shape}")
        if targets.size and (targets.min() < 0 or targets.max() >= spec.output_size):
            raise RnnInputError(f"class index out of range: targets must lie in 0..{spec.output_size - 1}, "
                                f"found {targets.min()}..{targets.max()}")
        targets = targets.astype(np.int64)
    states = []
    for name, state, wanted in (("h0", h0, True), ("c0", c0, spec.has_cell_state)):
        shape = (spec.num_layers, B, spec.hidden_size)
        if state is None or not wanted:
            if state is not None and not wanted:
                raise RnnInputError(f"{name} is given but a {spec.label} has no cell state")
            states.append(np.zeros(shape, dtype) if wanted else None)
            continue
        state = _as_array(state, name)
        if state.shape != shape or not np.issubdtype(state.dtype, np.number) or not np.all(np.isfinite(state)):
            raise RnnInputError(f"{name} must be finite numbers of shape {shape}, got {state.dtype} {state.shape}")
        states.append(state.astype(dtype))
    return inputs.astype(dtype), targets, states[0], states[1]


class BPTT:
    """Step through one forward and backward pass.

    ``step_forward()`` computes every layer at the next timestep; once all T are done,
    ``step_backward()`` makes the next backward visit (segment, t): segments from the last to the
    first, each swept from its last loss step back to its window's start.
    ``record`` holds everything computed so far; ``finish()`` runs to the end.
    ``buffers``: a :class:`Buffers` to take the recording's arrays from, for a pass run to its end
    before its recording is read (the training loop's).

    A segment [s, e) of a longer sequence (:mod:`rnn.lean`) is a pass over its steps from the state
    before it (``h0``, ``c0``: h_{s−1}, c_{s−1}) with ``carry_in`` = (∂L/∂h, ∂L/∂c), (L, B, H) each:
    what the steps after it carry back into its last step (full BPTT and randomized truncation,
    whose one backward window spans the sequence), and randomized truncation's ``carry_factors``
    (T,) drawn for the whole sequence; its ``record.dh0`` is then what it carries back to step s − 1.
    """

    def __init__(self, spec: NetworkSpec, params: dict, inputs, targets, loss: str = "mse",
                 loss_at="all", truncation: Truncation = Truncation(), h0=None, c0=None,
                 seed: int = 0, with_sensitivity: bool = True, buffers: Buffers | None = None,
                 carry_in=None, carry_factors=None):
        if not isinstance(spec, NetworkSpec):
            raise RnnInputError(f"spec must be a NetworkSpec, got {type(spec).__name__}")
        if not isinstance(truncation, Truncation):
            raise RnnInputError(f"truncation must be a Truncation (e.g. Truncation('tbptt', 5, 5)), "
                                f"got {truncation!r}")
        check_params(params, spec)
        dtype = params_dtype(params)          # float64, or float32 when every parameter is
        params = with_precision(params, dtype)
        inputs, targets, h0, c0 = _check_batch(spec, inputs, targets, loss, h0, c0, dtype)
        T, B = inputs.shape[:2]
        self.spec, self.params, self.truncation = spec, params, truncation
        self.cell = cell_of(spec)
        self.record = Recording(spec, inputs, targets, loss_mask(loss_at, T, B), loss, h0, c0, dtype,
                                buffers)
        self.segments = truncation.segments(T)
        rng = _generator(seed, needed=carry_factors is None and truncation.mode == "random")
        self.carry_factors = truncation.carry_factors(T, rng) if carry_factors is None else carry_factors
        if carry_in is not None and truncation.mode == "tbptt":
            raise RnnInputError("an adjoint carried into a sequence's last step needs one backward window "
                                "over the whole sequence (full BPTT or randomized truncation), not TBPTT")
        self._carry_in = carry_in
        # latest segment first, so the backward wave runs from the last step towards the first
        self.plan = [(i, t) for i, seg in reversed(list(enumerate(self.segments)))
                     for t in range(seg.loss_end - 1, seg.window_start - 1, -1)]
        self.visits_done = 0
        self._visit_counts = [0] * T             # record.visits as a list, read and counted one a visit
        self.with_sensitivity = with_sensitivity
        self._carry_h, self._carry_c = [], []    # what each layer carries back to the step before
        self._local_factors = []                 # each layer's _LocalFactors, made at the first visit
        self._layers = [layer_params(params, l) for l in range(spec.num_layers)]
        self._input_bias = [self.cell.input_bias(b_ih, b_hh) for _, _, b_ih, b_hh in self._layers]
        self._readout = params["readout.weight"], params["readout.bias"]
        self._T, self._B = T, B

    # --- where we are ---
    @property
    def forward_done(self) -> int:
        return self.record.forward_done

    @property
    def forward_complete(self) -> bool:
        return self.record.forward_done == self.record.seq_len

    @property
    def backward_complete(self) -> bool:
        return self.visits_done == len(self.plan)

    @property
    def done(self) -> bool:
        return self.forward_complete and self.backward_complete

    @property
    def next_visit(self):
        """(segment index, t) of the next backward visit, or None."""
        return None if self.backward_complete else self.plan[self.visits_done]

    # --- forward ---
    def step_forward(self) -> int:
        """Compute h_t of every layer, ŷ_t and ℓ_t at the next timestep t; return t."""
        t = self.record.forward_done
        self.forward_steps(1)
        return t

    @overflow_reported
    def forward_steps(self, n: int) -> range:
        """Compute the next n timesteps (fewer if the pass ends first); return them.

        Layer by layer: the input projection W_ih x_t + bias of all n steps in one product, then the
        recurrence one step at a time, as it must go; then the readout, the losses and ∂L/∂ŷ_t of
        all n steps at once. Every step's numbers are identical to those of n single steps.
        """
        n = _count(n)
        r = self.record
        steps = slice(r.forward_done, min(self._T, r.forward_done + n))
        if steps.start == steps.stop:
            raise RuntimeError("the forward pass is complete")
        cell, has_c = self.cell, r.c is not None
        for l, (W_ih, W_hh, b_ih, b_hh) in enumerate(self._layers):
            x = r.inputs[steps] if l == 0 else r.h[l - 1, steps]
            pre, h, gates, extra, c = r.pre[l], r.h[l], r.gates[l], r.extra[l], r.c[l] if has_c else None
            np.matmul(x, W_ih.T, out=pre[steps])
            pre[steps] += self._input_bias[l]
            h_prev, c_prev = r.state_before(l, steps.start)
            for t in range(steps.start, steps.stop):
                h_t, c_t = h[t], c[t] if has_c else None
                cell.forward_into(pre[t], h_prev, c_prev, W_hh, b_hh, gates[t], h_t, c_t, extra[t])
                h_prev, c_prev = h_t, c_t
            cell.local_derivatives(pre[steps], h[steps], extra[steps])
        self._read_out(steps)
        r.forward_done = steps.stop
        return range(steps.start, steps.stop)

    def _read_out(self, steps: slice):
        """ŷ_t = W_hy h_t + b_y of the top layer, ℓ_t and ∂L/∂ŷ_t for the given steps."""
        r = self.record
        W_hy, b_y = self._readout
        yhat = r.yhat[steps]
        np.matmul(r.h[-1, steps], W_hy.T, out=yhat)
        yhat += b_y
        r.loss_t[steps], r.dyhat[steps] = step_losses(
            r.loss_kind, yhat, r.targets[steps], r.loss_mask[steps], r.loss_weight[steps])

    # --- backward ---
    def step_backward(self):
        """Make the next backward visit (segment, t): every layer at step t, top to bottom."""
        return self.backward_steps(1)[0]

    @overflow_reported
    def backward_steps(self, n: int) -> list:
        """Make the next n backward visits (fewer if the pass ends first); return them, (segment, t).

        A visit to step t, per layer from the top down: ∂L/∂h_t is what step t + 1 carried back
        (× the randomized-truncation factor), plus W_hyᵀ ∂ℓ_t/∂ŷ_t on the top layer where the
        segment injects losses, plus ∂L/∂x_t from the layer above; the cell's local backward then
        gives the gate adjoints and what to carry to step t − 1.
        """
        n = _count(n)
        r = self.record
        if r.forward_done != self._T:
            raise RuntimeError("finish the forward pass before stepping backward")
        visits = self.plan[self.visits_done:self.visits_done + n]
        if not visits:
            raise RuntimeError("the backward pass is complete")
        cell, has_c, shared = self.cell, r.c is not None, r.d_hh is r.d_ih
        L, top, W_hy = len(self._layers), len(self._layers) - 1, self._readout[0]
        carry_h, carry_c = self._carry_h, self._carry_c
        counts, segments = self._visit_counts, self.segments
        first, last = min(t for _, t in visits), max(t for _, t in visits)
        readout = r.dyhat[first:last + 1] @ W_hy  # W_hyᵀ ∂ℓ_t/∂ŷ_t of the steps these visits span
        carry_factors = self.carry_factors[first:last + 1].tolist()   # (read as they are now, once a call)
        if not self._local_factors:
            self._local_factors = [_LocalFactors(cell, r, l) for l in range(L)]
        top_down = [(l, W_ih, W_hh, self._local_factors[l].at,
                     r.dh[l], r.d_ih[l], None if shared else r.d_hh[l], r.dc[l] if has_c else None)
                    for l, (W_ih, W_hh, _, _) in reversed(list(enumerate(self._layers)))]
        for seg_index, t in visits:
            seg = segments[seg_index]
            if t == seg.loss_end - 1:  # a segment's sweep starts with nothing carried (or what is carried in)
                zero = np.zeros((self._B, self.spec.hidden_size), r.h.dtype)
                carry_h[:] = [zero] * L if self._carry_in is None else list(self._carry_in[0])
                carry_c[:] = ([] if not has_c else [zero] * L if self._carry_in is None
                              else list(self._carry_in[1]))
            factor = carry_factors[t - first]
            fresh = counts[t] == 0                # nothing recorded at step t yet: write, do not add
            dx_above = None
            for l, W_ih, W_hh, factors_at, dh_rec, d_ih_rec, d_hh_rec, dc_rec in top_down:
                # ∂L/∂h_t, on a first visit summed straight into the recording's row
                dh, into = carry_h[l], dh_rec[t] if fresh else None
                if l != top:
                    dh = np.add(dh, dx_above, out=into)
                elif seg.loss_start <= t:
                    dh = np.add(dh, readout[t - first], out=into)
                dc = carry_c[l] if has_c else None
                if fresh:                 # the cell writes the gate adjoints (and ∂L/∂c_t) there too
                    if dh is not into:
                        into[...] = dh
                    back = cell.backward_from(factors_at(t), dh, dc, W_hh, d_ih=d_ih_rec[t],
                                              d_hh=None if shared else d_hh_rec[t],
                                              dc_total=dc_rec[t] if has_c else None)
                else:                     # a step visited again adds its adjoints
                    back = cell.backward_from(factors_at(t), dh, dc, W_hh)
                    dh_rec[t] += dh
                    d_ih_rec[t] += back.d_ih
                    if not shared:
                        d_hh_rec[t] += back.d_hh
                    if has_c:
                        dc_rec[t] += back.dc_total
                carry_h[l] = back.dh_prev if factor == 1.0 else back.dh_prev * factor
                if has_c:
                    carry_c[l] = back.dc_prev if factor == 1.0 else back.dc_prev * factor
                if t % FLUSH_EVERY == 0:      # (fresh arrays: the cell's products, not views of the recording)
                    flush_vanished(carry_h[l])
                    if has_c:
                        flush_vanished(carry_c[l])
                dx_above = matmul(back.d_ih, W_ih) if l > 0 else None    # ∂L/∂x_t, the layer below's h_t
            if t == 0:
                r.dh0 += carry_h
                if has_c:
                    r.dc0 += carry_c
            counts[t] += 1
        r.visits[first:last + 1] = counts[first:last + 1]
        self.visits_done += len(visits)
        if self.with_sensitivity and self.backward_complete:
            r.sensitivity_rows = sensitivity(r, self.cell, self.params, full_bptt=self.truncation.is_full)
        return visits

    def finish_forward(self) -> "Recording":
        if not self.forward_complete:
            self.forward_steps(self._T)
        return self.record

    def finish(self) -> "Recording":
        """Run the rest of the pass, forward then backward; return the recording."""
        self.finish_forward()
        if not self.backward_complete:
            self.backward_steps(len(self.plan))
        return self.record


def run_bptt(spec, params, inputs, targets, **options) -> Recording:
    """A whole forward and backward pass: the stepper run to the end."""
    return BPTT(spec, params, inputs, targets, **options).finish()
