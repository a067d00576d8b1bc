"""Gradient-descent optimizers and gradient clipping, in NumPy.

Parameters and gradients are plain ``dict[str, np.ndarray]`` (float64) keyed by PyTorch-style
names (``weight_ih_l0``, ``readout.bias``, ...). An optimizer updates the parameter arrays *in
place*, so views of them (plots, the model) stay valid, and keeps its own state per name. The
update rules follow ``torch.optim`` with default flags (no weight decay, no dampening, no
``amsgrad``/``centered``/``maximize``), so a float64 run matches PyTorch to rounding error.

Call :meth:`Optimizer.reset` whenever the parameters are re-initialised or change shape.

:meth:`Optimizer.state_dict` / :meth:`Optimizer.load_state_dict` (and
:func:`optimizer_from_state_dict`) save and restore an optimizer exactly: a float64 run continued
from a restored optimizer is bit-identical to one that never stopped.

Clipping functions never modify their input: they return new arrays in a :class:`ClipResult`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnn.errors import RnnInputError

Arrays = dict[str, np.ndarray]

OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam")
CLIP_MODES = ("none", "norm", "value")


def _positive(what: str, value: float) -> float:
    """``value`` as a float, or RnnInputError unless it is finite and > 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RnnInputError(f"{what} must be a number, got {value!r}") from None
    if not (math.isfinite(number) and number > 0):
        raise RnnInputError(f"{what} must be finite and > 0, got {value!r}")
    return number


def _finite(what: str, value) -> float:
    """``value`` as a float, or RnnInputError unless it is a finite real number (not a bool)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                        np.floating)):
        raise RnnInputError(f"{what} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise RnnInputError(f"{what} must be finite, got {value!r}")
    return number


def _fraction(what: str, value: float) -> float:
    """``value`` as a float, or RnnInputError unless 0 <= value < 1."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise RnnInputError(f"{what} must be a number, got {value!r}") from None
    if not 0.0 <= number < 1.0:
        raise RnnInputError(f"{what} must be in [0, 1), got {value!r}")
    return number


# --------------------------------------------------------------------------- optimizers


class Optimizer:
    """Base class: ``step`` walks the parameters and hands each one to ``_update``.

    Subclasses implement ``_update(p, g, state)``, changing ``p`` in place; ``state`` is this
    parameter's own dict (empty on the first step, cleared by :meth:`reset`).
    """

    name = "optimizer"
    _array_keys: tuple[str, ...] = ()   # per-parameter state arrays this optimizer keeps
    _count_keys: tuple[str, ...] = ()   # per-parameter integer counters (Adam's "step")

    def __init__(self, lr: float) -> None:
        self.lr = _positive("learning rate", lr)
        self.state: dict[str, dict] = {}

    def step(self, params: Arrays, grads: Arrays) -> None:
        """Update every array in ``params`` in place from ``grads[name]``."""
        for key, p in params.items():
            g = np.asarray(grads[key], dtype=p.dtype)
            if g.shape != p.shape:
                raise ValueError(f"gradient {key!r} has shape {g.shape}, parameter {p.shape}")
            self._update(p, g, self.state.setdefault(key, {}))

    def reset(self) -> None:
        """Forget all per-parameter state (moments, accumulators, step counts)."""
        self.state.clear()

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict) -> None:
        raise NotImplementedError

    def _hyper(self) -> dict:
        """Every constructor argument but ``lr``, JSON-able (tuples as lists)."""
        return {k: (list(v) if isinstance(v, tuple) else v)
                for k, v in vars(self).items() if k not in ("lr", "state")}

    def state_dict(self) -> dict:
        """Everything needed to continue exactly: name, ``lr``, the other hyperparameters, and
        each parameter's state. Arrays are copies, never views of the optimizer's own arrays.

        ``{"name": str, "lr": float, "hyper": {...}, "state": {param: {key: array or int}}}``
        """
        return {
            "name": self.name,
            "lr": float(self.lr),
            "hyper": self._hyper(),
            "state": {key: {k: (np.array(v, copy=True) if isinstance(v, np.ndarray) else v)
                            for k, v in entry.items()}
                      for key, entry in self.state.items()},
        }

    def load_state_dict(self, d: dict) -> None:
        """Restore ``lr``, hyperparameters and state from :meth:`state_dict` output (copied).

        Raises RnnInputError, leaving this optimizer unchanged, unless ``d`` is for this
        optimizer (same name), its keys are known, its numbers finite and valid, and its arrays
        real floating point.
        """
        if not isinstance(d, dict):
            raise RnnInputError(f"optimizer state must be a dict, got {type(d).__name__}")
        unknown = sorted(str(k) for k in d if k not in ("name", "lr", "hyper", "state"))
        if unknown:
            raise RnnInputError(f"optimizer state: unknown key(s) {', '.join(unknown)}")
        if d.get("name") != self.name:
            raise RnnInputError(f"optimizer state is for {d.get('name')!r}, not {self.name!r}")
        lr = _positive("learning rate", _finite("learning rate", d.get("lr")))
        hyper = {k: v for k, v in vars(self).items() if k not in ("lr", "state")}
        hyper.update(self._checked_hyper(d.get("hyper", {})))
        try:
            built = type(self)(lr, **hyper)
        except TypeError as exc:  # a hyperparameter this class does not take
            raise RnnInputError(f"optimizer state: bad hyperparameters ({exc})") from None
        if built.name != self.name:
            raise RnnInputError(f"optimizer state: hyperparameters {hyper} make a {built.name!r} "
                                f"optimizer, not {self.name!r}")
        state = built._checked_state(d.get("state", {}))
        vars(self).update({k: v for k, v in vars(built).items() if k != "state"})
        self.state = state

    def _checked_hyper(self, hyper) -> dict:
        """``hyper`` as constructor keywords, each of the same kind as this optimizer's own."""
        if not isinstance(hyper, dict):
            raise RnnInputError(f"optimizer hyperparameters must be a dict, got {type(hyper).__name__}")
        current = {k: v for k, v in vars(self).items() if k not in ("lr", "state")}
        out = {}
        for key, value in hyper.items():
            if key not in current:
                raise RnnInputError(f"optimizer {self.name!r} has no hyperparameter {key!r}")
            now = current[key]
            if isinstance(now, bool):
                if not isinstance(value, (bool, np.bool_)):
                    raise RnnInputError(f"optimizer hyperparameter {key} must be true or false, "
                                        f"got {value!r}")
                out[key] = bool(value)
            elif isinstance(now, tuple):
                if not isinstance(value, (list, tuple)) or len(value) != len(now):
                    raise RnnInputError(f"optimizer hyperparameter {key} must be {len(now)} "
                                        f"numbers, got {value!r}")
                out[key] = tuple(_finite(f"optimizer hyperparameter {key}", v) for v in value)
            else:
                out[key] = _finite(f"optimizer hyperparameter {key}", value)
        return out

    def _checked_state(self, state) -> dict:
        """A validated deep copy of per-parameter state for this (already configured) optimizer."""
        if not isinstance(state, dict):
            raise RnnInputError(f"optimizer state must map parameter names to dicts, "
                                f"got {type(state).__name__}")
        known = self._array_keys + self._count_keys
        out: dict[str, dict] = {}
        for name, entry in state.items():
            if not isinstance(name, str) or not name:
                raise RnnInputError(f"optimizer state: parameter name {name!r} is not a string")
            if not isinstance(entry, dict):
                raise RnnInputError(f"optimizer state for {name}: must be a dict, "
                                    f"got {type(entry).__name__}")
            unknown = sorted(str(k) for k in entry if k not in known)
            if unknown:
                raise RnnInputError(f"optimizer state for {name}: unknown key(s) "
                                    f"{', '.join(unknown)} for {self.name!r}")
            missing = [k for k in known if k not in entry]
            if entry and missing:
                raise RnnInputError(f"optimizer state for {name}: missing {', '.join(missing)}")
            copied: dict = {}
            shape = None
            for key in known:
                if key not in entry:
                    continue
                value = entry[key]
                what = f"optimizer state {name}.{key}"
                if key in self._count_keys:
                    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
                        raise RnnInputError(f"{what} must be an integer, got {value!r}")
                    if value < 0:
                        raise RnnInputError(f"{what} must be >= 0, got {value!r}")
                    copied[key] = int(value)
                    continue
                if not isinstance(value, np.ndarray):
                    raise RnnInputError(f"{what} must be an array, got {type(value).__name__}")
                if value.dtype.kind != "f":
                    raise RnnInputError(f"{what} must hold real floating-point numbers, "
                                        f"got dtype {value.dtype}")
                if not np.all(np.isfinite(value)):
                    raise RnnInputError(f"{what} holds NaN or Inf")
                if shape is not None and value.shape != shape:
                    raise RnnInputError(f"{what} has shape {value.shape}, the other state {shape}")
                shape = value.shape
                copied[key] = np.array(value, copy=True)
            out[name] = copied
        return out

    def __repr__(self) -> str:
        settings = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if k != "state")
        return f"{type(self).__name__}({settings})"


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with (Nesterov) momentum.

    Plain:     θ ← θ − η g
    Momentum:  b ← μ b + g  (b₀ = 0);   θ ← θ − η b
    Nesterov:  b ← μ b + g;             θ ← θ − η (g + μ b)
    """

    def __init__(self, lr: float, momentum: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(lr)
        self.momentum = _fraction("momentum", momentum)
        self.nesterov = bool(nesterov)
        if self.nesterov and self.momentum == 0.0:
            raise RnnInputError("Nesterov momentum needs momentum > 0")

    @property
    def name(self) -> str:  # type: ignore[override]
        return "momentum" if self.momentum else "sgd"

    @property
    def _array_keys(self) -> tuple[str, ...]:  # type: ignore[override]
        return ("momentum_buffer",) if self.momentum else ()

    def _update(self, p, g, state):
        if self.momentum:
            buf = state.setdefault("momentum_buffer", np.zeros_like(p))
            buf *= self.momentum
            buf += g
            g = g + self.momentum * buf if self.nesterov else buf
        p -= self.lr * g


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer 2011).

    s ← s + g²  (s₀ = 0);   θ ← θ − η g / (√s + ε)
    """

    name = "adagrad"
    _array_keys = ("sum",)

    def __init__(self, lr: float, eps: float = 1e-10) -> None:
        super().__init__(lr)
        self.eps = _positive("eps", eps)

    def _update(self, p, g, state):
        total = state.setdefault("sum", np.zeros_like(p))
        total += g * g
        p -= self.lr * (g / (np.sqrt(total) + self.eps))


class RMSProp(Optimizer):
    """RMSProp (Tieleman & Hinton 2012), PyTorch's non-centred form.

    v ← α v + (1 − α) g²  (v₀ = 0);   θ ← θ − η g / (√v + ε)
    """

    name = "rmsprop"
    _array_keys = ("square_avg",)

    def __init__(self, lr: float, alpha: float = 0.99, eps: float = 1e-8) -> None:
        super().__init__(lr)
        self.alpha = _fraction("alpha", alpha)
        self.eps = _positive("eps", eps)

    def _update(self, p, g, state):
        avg = state.setdefault("square_avg", np.zeros_like(p))
        avg *= self.alpha
        avg += (1.0 - self.alpha) * (g * g)
        p -= self.lr * (g / (np.sqrt(avg) + self.eps))


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), with bias correction at step t = 1, 2, ...

    m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²   (m₀ = v₀ = 0)
    θ ← θ − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
    """

    name = "adam"
    _array_keys = ("exp_avg", "exp_avg_sq")
    _count_keys = ("step",)

    def __init__(self, lr: float, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8):
        super().__init__(lr)
        beta1, beta2 = betas
        self.betas = (_fraction("beta1", beta1), _fraction("beta2", beta2))
        self.eps = _positive("eps", eps)

    def _update(self, p, g, state):
        beta1, beta2 = self.betas
        m = state.setdefault("exp_avg", np.zeros_like(p))
        v = state.setdefault("exp_avg_sq", np.zeros_like(p))
        t = state["step"] = state.get("step", 0) + 1
        work = np.empty_like(p)                  # each product below written into it, not a new array
        m *= beta1
        m += np.multiply(1.0 - beta1, g, out=work)
        v *= beta2
        v += np.multiply(1.0 - beta2, np.multiply(g, g, out=work), out=work)
        step_size = self.lr / (1.0 - beta1**t)
        denom = np.add(np.divide(np.sqrt(v, out=work), math.sqrt(1.0 - beta2**t), out=work), self.eps, out=work)
        p -= np.multiply(step_size, np.divide(m, denom, out=work), out=work)


def make_optimizer(name: str, lr: float, **kw) -> Optimizer:
    """Build the optimizer registered as ``name`` (one of :data:`OPTIMIZERS`).

    "momentum" is :class:`SGD` with ``momentum=0.9`` unless ``kw`` says otherwise.
    """
    classes = {"sgd": SGD, "momentum": SGD, "adagrad": Adagrad, "rmsprop": RMSProp, "adam": Adam}
    if name not in classes:
        raise RnnInputError(f"unknown optimizer {name!r}; choose one of {', '.join(OPTIMIZERS)}")
    if name == "momentum":
        kw.setdefault("momentum", 0.9)
    return classes[name](lr, **kw)


def optimizer_from_state_dict(d: dict) -> Optimizer:
    """A new optimizer restored from :meth:`Optimizer.state_dict` output (RnnInputError if bad)."""
    if not isinstance(d, dict):
        raise RnnInputError(f"optimizer state must be a dict, got {type(d).__name__}")
    name = d.get("name")
    if not isinstance(name, str) or name not in OPTIMIZERS:
        raise RnnInputError(f"optimizer state: unknown optimizer {name!r}; "
                            f"choose one of {', '.join(OPTIMIZERS)}")
    optimizer = make_optimizer(name, _positive("learning rate", _finite("learning rate", d.get("lr"))))
    optimizer.load_state_dict(d)
    return optimizer


# --------------------------------------------------------------------------- clipping


@dataclass(frozen=True)
class ClipResult:
    """Gradients after clipping (always new arrays), and the global norm before and after."""

    grads: Arrays
    clipped: bool
    norm_before: float
    norm_after: float


def global_norm(grads: Arrays) -> float:
    """√(Σ g²) over every entry of every array; nan/inf if any entry is non-finite.

    Computed as ``m·√(Σ (g/m)²)`` with ``m`` the largest magnitude, so that large but finite
    (exploding) gradients do not overflow when squared.
    """
    arrays = [np.asarray(g, dtype=float).ravel() for g in grads.values()]
    scale = max((float(np.max(np.abs(a))) for a in arrays if a.size), default=0.0)
    if scale == 0.0 or not math.isfinite(scale):
        return scale  # 0, or nan/inf for a non-finite gradient
    scaled = [a / scale for a in arrays]
    return scale * math.sqrt(sum(float(np.dot(a, a)) for a in scaled))


def _copy(grads: Arrays) -> Arrays:
    return {k: np.array(g, dtype=float) for k, g in grads.items()}


def _unclipped(grads: Arrays, norm: float) -> ClipResult:
    return ClipResult(_copy(grads), False, norm, norm)


def clip_by_global_norm(grads: Arrays, threshold: float) -> ClipResult:
    """Pascanu, Mikolov & Bengio 2013, Algorithm 1: if ‖g‖ ≥ θ then g ← θ g / ‖g‖.

    Rescales all arrays together, so the direction of the whole gradient is kept.
    """
    threshold = _positive("clipping threshold", threshold)
    norm = global_norm(grads)
    if not math.isfinite(norm) or norm < threshold:
        return _unclipped(grads, norm)
    scale = threshold / norm
    clipped = {k: np.asarray(g, dtype=float) * scale for k, g in grads.items()}
    return ClipResult(clipped, True, norm, global_norm(clipped))


def clip_by_value(grads: Arrays, threshold: float) -> ClipResult:
    """Clip every entry to [−θ, θ] (as in min-char-rnn); this changes the gradient's direction."""
    threshold = _positive("clipping threshold", threshold)
    norm = global_norm(grads)
    if not math.isfinite(norm):
        return _unclipped(grads, norm)
    clipped = {k: np.clip(np.asarray(g, dtype=float), -threshold, threshold)
               for k, g in grads.items()}
    changed = any(bool(np.any(np.abs(np.asarray(g)) > threshold)) for g in grads.values())
    return ClipResult(clipped, changed, norm, global_norm(clipped) if changed else norm)


def clip_gradients(grads: Arrays, mode: str, threshold: float | None = None) -> ClipResult:
    """Clip with ``mode`` "none", "norm" or "value"; the threshold is ignored for "none".

    A non-finite gradient comes back unclipped with ``norm_before`` nan or inf: the training
    loop, not this function, decides what to do about it.
    """
    if mode == "norm":
        return clip_by_global_norm(grads, threshold)
    if mode == "value":
        return clip_by_value(grads, threshold)
    if mode == "none":
        return _unclipped(grads, global_norm(grads))
    raise RnnInputError(f"unknown clipping mode {mode!r}; choose one of {', '.join(CLIP_MODES)}")
