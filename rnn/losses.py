"""Per-step losses and where they apply.

L = (1/B) Σ_{t∈S} Σ_b m_{t,b} ℓ(ŷ_{t,b}, y_{t,b}),  with the mask m marking the steps S that carry a loss.

- ``mse``:  ℓ = ½‖ŷ − y‖²,            ∂ℓ/∂ŷ = ŷ − y
- ``xent``: ℓ = −log softmax(ŷ)_y,     ∂ℓ/∂ŷ = softmax(ŷ) − onehot(y)
"""

import numpy as np

from .errors import RnnInputError

LOSSES = ("mse", "xent")
PLACEMENTS = ("all", "last")


def softmax(logits):
    """softmax(z)_j = e^{z_j − max z} / Σ_k e^{z_k − max z}."""
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def step_loss(kind: str, yhat, target, mask, weight=None):
    """One step's term of L and its gradient: ((1/B) Σ_b m_b ℓ_b,  (1/B) m_b ∂ℓ_b/∂ŷ_b).

    yhat (B, O); target (B, O) floats for mse, (B,) class indices for xent; mask (B,).
    """
    B = yhat.shape[0]
    if weight is None:
        weight = mask[:, None] / B
    if kind == "mse":
        diff = yhat - target
        grad = weight * diff                              # (m_b/B)(ŷ − y)
        return 0.5 * float(np.vdot(grad, diff)), grad     # (1/B) Σ_b m_b ½‖ŷ − y‖²
    p = softmax(yhat)
    picked = p[np.arange(B), target]
    with np.errstate(divide="ignore"):
        nll = -np.log(picked)
    loss = float(np.sum(mask[mask != 0] * nll[mask != 0]) / B)  # a masked step never contributes
    p[np.arange(B), target] -= 1.0
    return loss, weight * p


def loss_mask(placement, seq_len: int, batch_size: int):
    """The (T, B) mask of steps that carry a loss: "all", "last", or an array of shape (T,) or (T, B)."""
    if isinstance(placement, str):
        if placement not in PLACEMENTS:
            raise RnnInputError(f"unknown loss placement {placement!r}; choose all, last or a mask")
        mask = np.zeros((seq_len, batch_size))
        mask[-1 if placement == "last" else slice(None)] = 1.0
        return mask
    mask = np.asarray(placement, dtype=float)
    if mask.shape == (seq_len,):
        mask = np.repeat(mask[:, None], batch_size, axis=1)
    if mask.shape != (seq_len, batch_size) or not np.all(np.isfinite(mask)) or np.any(mask < 0):
        raise RnnInputError(f"the loss mask must be finite, ≥ 0 and of shape ({seq_len},) or "
                            f"({seq_len}, {batch_size}), got shape {mask.shape}")
    return mask
