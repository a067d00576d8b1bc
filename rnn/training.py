"""The training loop: a generator that yields one :class:`Update` per parameter update, so a caller
can show progress, stop at a breakpoint or cancel between any two updates.

Each update: draw a batch, run the (possibly truncated) BPTT pass (as a lean pass of checkpoints,
:mod:`rnn.lean`, when its whole recording would not fit the memory budget), optionally the full pass to
compare, clip (Pascanu et al. 2013, Algorithm 1, or element-wise), then the optimizer step. A NaN or
Inf in the loss or gradient stops the loop before the update is applied, so the parameters keep
their last finite values.
"""

from dataclasses import dataclass

import numpy as np

from .bptt import Buffers, Recording, run_bptt
from .lean import LeanPass, run_lean
from .diagnostics import compare_gradients
from .losses import loss_weights
from .memory import needs_lean_pass
from .optim import Optimizer, clip_gradients
from .params import NetworkSpec, all_finite
from .truncation import Truncation


@dataclass(frozen=True)
class Update:
    step: int                       # 1-based count of updates attempted
    loss: float
    grad_norm: float                # ‖g‖ before clipping
    clipped: bool
    finite: bool                    # False: NaN/Inf seen, update not applied, loop ends
    cosine_to_full: float | None    # cos(g̃, g) of the truncated to the full gradient, if compared
    error_to_full: float | None     # ‖g̃ − g‖/‖g‖, if compared
    record: Recording | LeanPass    # everything this update's pass recorded (a lean pass: too long to record whole)
    where_nonfinite: str = ""       # for a non-finite update: which parameter, or the loss


def _first_nonfinite(loss: float, grads: dict) -> str:
    if not np.isfinite(loss):
        return "the loss"
    for name, g in grads.items():
        if not np.all(np.isfinite(g)):
            return f"∂L/∂{name}"
    return ""


def train(spec: NetworkSpec, params: dict, task, optimizer: Optimizer, *, steps: int,
          seq_len: int, batch_size: int, truncation: Truncation = Truncation(),
          clip_mode: str = "none", clip_threshold: float | None = None, seed: int = 0,
          compare_full: bool = False, start_step: int = 0, loss_at=None, reduction: str = "engine"):
    """Yield an :class:`Update` after each of ``steps`` updates; ``params`` change in place.

    ``loss_at``: which steps carry a loss ("all", "last" or a (T, B) mask); None takes the
    task's own placement (each batch's ``loss_mask``). ``reduction``: the engine's loss, or
    PyTorch's "mean" / "sum" (:func:`rnn.losses.reduction_factor`).

    Identical arguments give identical runs: batches come from ``default_rng(seed)`` and each
    randomized truncation from a seed derived from (seed, step).
    """
    batches = np.random.default_rng(seed)
    if needs_lean_pass(spec, seq_len, batch_size, truncation):   # (each pass kept as checkpoints: rnn.lean)
        run, options = run_lean, dict(loss=task.loss)
    else:
        run, options = run_bptt, dict(loss=task.loss, with_sensitivity=False, buffers=Buffers())  # arrays reused
    for step in range(start_step + 1, start_step + steps + 1):
        batch = task.sample(batch_size, seq_len, batches)
        placement = loss_weights(task.loss, batch.loss_mask if loss_at is None else loss_at, reduction,
                                 seq_len, batch_size, spec.output_size)
        with np.errstate(all="ignore"):
            record = run(spec, params, batch.inputs, batch.targets, loss_at=placement,
                         truncation=truncation, seed=[seed, step], **options)
            grads = record.gradients()
        cosine = error = None
        if compare_full and not truncation.is_full:
            with np.errstate(all="ignore"):
                full = run(spec, params, batch.inputs, batch.targets, loss_at=placement, **options).gradients()
            comparison = compare_gradients(grads, full)
            cosine, error = comparison.cosine, comparison.relative_error
        clip = clip_gradients(grads, clip_mode, clip_threshold)
        # a finite ‖g‖ (and loss) says every entry is finite: only otherwise is each one looked at
        where = "" if np.isfinite(record.loss) and np.isfinite(clip.norm_before) else _first_nonfinite(record.loss, grads)
        if where:
            yield Update(step, record.loss, float("nan"), False, False, cosine, error, record, where)
            return
        before = {name: value.copy() for name, value in params.items()}
        with np.errstate(all="ignore"):
            optimizer.step(params, clip.grads)
        overflowed = next((name for name, value in params.items() if not all_finite(value)), None)
        if overflowed:                # θ − η·update left float64's range: keep the last finite weights
            for name, value in before.items():
                params[name][...] = value
            yield Update(step, record.loss, clip.norm_before, clip.clipped, False, cosine, error, record,
                         f"{overflowed} after the update (the step η·update overflowed)")
            return
        yield Update(step, record.loss, clip.norm_before, clip.clipped, True, cosine, error, record)
