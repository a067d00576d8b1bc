"""Finite-difference checks of the recorded gradients, including truncated ones.

A truncated gradient is not the gradient of the loss, but it is the exact gradient of a
*surrogate* loss in which the state entering each backpropagation window is a constant:

    TBPTT(k1, k2)  segment [s, e) with window [w, e):  L̃ = Σ_segments Σ_{t∈[s,e)} ℓ_t(θ; h_{w−1} fixed)
    full BPTT      L̃ = L
    random         with carry factors f_j (the gradient carried from step j to j − 1 is scaled by
                   f_j), loss term ℓ_t reaches step k ≤ t with weight P_t(k) = Π_{j=k+1..t} f_j.
                   Writing ℓ_t^{(w)} for ℓ_t recomputed from the fixed state h_{w−1},
                   L̃ = Σ_t Σ_{w≤t} a_w(t) ℓ_t^{(w)} with a_0(t) = P_t(0) and
                   a_w(t) = P_t(w) − P_t(w−1), so Σ_{w≤k} a_w(t) = P_t(k) (a telescoping sum).
                   h0 enters window 0 as h0_ref + f_0 (h0 − h0_ref): its gradient carries f_0 too.

The fixed states come from one reference forward pass at the *original* parameters (and h0, c0),
computed once: perturbing θ for a finite difference must not move them. Every window is run with
the engine's own forward (``BPTT(...).finish_forward()``), so no second forward is written here.

NumPy only.
"""

import numpy as np

from .bptt import BPTT, Recording, run_bptt
from .losses import loss_mask
from .truncation import Truncation

TINY = np.finfo(np.float64).tiny
DEFAULT_ENTRIES = 30          # entries differenced per parameter when a sample is enough (CLI, window)
DEFAULT_EPS = 1e-5            # the step ε: truncation error O(ε²) and round-off O(1e-16/ε) both ≲ 1e-10
DEFAULT_THRESHOLD = 1e-5      # the largest relative error a gradient passes with (CLI, window)


def numerical_gradient(loss_fn, params: dict, name: str, eps: float = DEFAULT_EPS, indices=None) -> np.ndarray:
    """Centred differences (L(θ + ε e_i) − L(θ − ε e_i)) / 2ε for every entry i of ``params[name]``.

    ``indices`` (flat indices into the array) restricts the check to those entries and returns a
    1-D array of their derivatives; otherwise the result has the parameter's shape. The parameter
    is perturbed in place and each entry is restored to its exact original value afterwards.
    """
    array = params[name]
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"{name} must be a floating-point array, got {array.dtype}")
    flat = range(array.size) if indices is None else [int(i) for i in np.ravel(indices)]
    grad = np.zeros(len(flat) if indices is not None else array.size, dtype=np.float64)
    for n, i in enumerate(flat):
        index = np.unravel_index(i, array.shape)
        original = array[index]
        try:
            array[index] = original + eps
            plus = float(loss_fn(params))
            array[index] = original - eps
            minus = float(loss_fn(params))
        finally:
            array[index] = original
        grad[n] = (plus - minus) / (2.0 * eps)
    return grad if indices is not None else grad.reshape(array.shape)


def relative_error(a, b) -> float:
    """‖a − b‖ / max(‖a‖, ‖b‖, tiny): 0 when both are zero."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), TINY))


def reference_forward(spec, params, inputs, targets, loss="mse", loss_at="all", h0=None,
                      c0=None) -> Recording:
    """The unperturbed forward pass whose states are held fixed at the windows' starts."""
    bptt = BPTT(spec, params, inputs, targets, loss=loss, loss_at=loss_at, h0=h0, c0=c0,
                with_sensitivity=False)
    return bptt.finish_forward()


def window_weights(truncation: Truncation, seq_len: int, seed=0):
    """(a, f0): a[w, t] is the weight of loss term ℓ_t recomputed over the window starting at w
    (state h_{w−1} fixed); f0 scales the gradient reaching h0 (the carry factor of step 0).

    Random carry factors are drawn exactly as :class:`~rnn.bptt.BPTT` draws them for ``seed``.
    """
    T = seq_len
    a = np.zeros((T, T))
    if truncation.mode == "random":
        f = truncation.carry_factors(T, np.random.default_rng(seed))
        for t in range(T):
            P = np.ones(t + 2)                  # P[k + 1] = P_t(k) for k = −1 … t
            for k in range(t - 1, -2, -1):
                P[k + 1] = P[k + 2] * f[k + 1]
            a[0, t] = P[1]
            for w in range(1, t + 1):
                a[w, t] = P[w + 1] - P[w]
        return a, float(f[0])
    for seg in truncation.segments(T):
        a[seg.window_start, seg.loss_start:seg.loss_end] = 1.0
    return a, 1.0


def surrogate_loss(spec, params, inputs, targets, loss="mse", loss_at="all",
                   truncation: Truncation = Truncation(), h0=None, c0=None, *,
                   reference: Recording | None = None, seed=0) -> float:
    """The loss whose exact gradient (wrt ``params``, and ``h0``/``c0``) is the truncated gradient.

    ``reference`` is the forward pass at the original parameters (:func:`reference_forward`);
    pass it whenever ``params`` may be perturbed. Without it, it is computed from the given
    arguments (correct only at the unperturbed point). ``seed`` selects the random carry factors
    of randomized truncation, as in :func:`~rnn.bptt.run_bptt`.
    """
    inputs = np.asarray(inputs)
    T, B = inputs.shape[:2]
    if reference is None:
        reference = reference_forward(spec, params, inputs, targets, loss, loss_at, h0, c0)
    mask = loss_mask(loss_at, T, B)
    targets = np.asarray(targets)
    weights, f0 = window_weights(truncation, T, seed)
    total = 0.0
    for w in range(T):
        row = weights[w]
        live = np.nonzero(row)[0]
        if live.size == 0:
            continue
        end = live[-1] + 1
        if w == 0:
            h_in = reference.h0 if h0 is None else reference.h0 + f0 * (np.asarray(h0) - reference.h0)
            c_in = None
            if spec.has_cell_state:
                c_in = reference.c0 if c0 is None else reference.c0 + f0 * (np.asarray(c0) - reference.c0)
        else:
            h_in = reference.h[:, w - 1]
            c_in = reference.c[:, w - 1] if spec.has_cell_state else None
        window = reference_forward(spec, params, inputs[w:end], targets[w:end], loss, mask[w:end],
                                   h_in, c_in)
        total += float(row[w:end] @ window.loss_t)
    return total


def gradient_errors(spec, params, inputs, targets, loss="mse", loss_at="all",
                    truncation: Truncation = Truncation(), h0=None, c0=None, *, seed=0,
                    eps: float = DEFAULT_EPS, states: bool = False, entries: int | None = None):
    """Yield (name, relative error) between ``run_bptt(...).gradients()`` and centred differences
    of the surrogate loss, one parameter at a time (then ``h0`` (record.dh0) and, for the LSTM,
    ``c0`` with ``states``); ``params`` is left exactly as it was.

    ``entries`` limits each array to that many entries, drawn without replacement by a generator
    seeded with 0 (for large networks); by default every entry is differenced.
    """
    record = run_bptt(spec, params, inputs, targets, loss=loss, loss_at=loss_at, truncation=truncation,
                      h0=h0, c0=c0, seed=seed, with_sensitivity=False)
    analytic = record.gradients()
    reference = reference_forward(spec, params, inputs, targets, loss, loss_at, h0, c0)

    def of_params(p):
        return surrogate_loss(spec, p, inputs, targets, loss, loss_at, truncation, reference.h0,
                              reference.c0, reference=reference, seed=seed)

    pick = np.random.default_rng(0)

    def compare(exact, loss_fn, arrays, name):
        size = arrays[name].size
        if entries is None or entries >= size:
            return relative_error(exact, numerical_gradient(loss_fn, arrays, name, eps))
        chosen = np.sort(pick.choice(size, entries, replace=False))
        return relative_error(exact.ravel()[chosen],
                              numerical_gradient(loss_fn, arrays, name, eps, indices=chosen))

    for name in analytic:
        yield name, compare(analytic[name], of_params, params, name)
    if states:
        state = {"h0": reference.h0.copy()}
        if spec.has_cell_state:
            state["c0"] = reference.c0.copy()

        def of_states(s):
            return surrogate_loss(spec, params, inputs, targets, loss, loss_at, truncation, s["h0"],
                                  s.get("c0"), reference=reference, seed=seed)

        yield "h0", compare(record.dh0, of_states, state, "h0")
        if spec.has_cell_state:
            yield "c0", compare(record.dc0, of_states, state, "c0")


def check_gradients(*args, **options) -> dict:
    """name → relative error for every parameter (:func:`gradient_errors`, all at once)."""
    return dict(gradient_errors(*args, **options))
