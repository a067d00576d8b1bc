"""Per-step losses and where they apply.

L = (1/B) Σ_{t∈S} Σ_b m_{t,b} ℓ(ŷ_{t,b}, y_{t,b}),  with the mask m marking the steps S that carry a loss.

- ``mse``:  ℓ = ½‖ŷ − y‖²,            ∂ℓ/∂ŷ = ŷ − y
- ``xent``: ℓ = −log softmax(ŷ)_y,     ∂ℓ/∂ŷ = softmax(ŷ) − onehot(y)
"""

import numpy as np

from .errors import RnnInputError

LOSSES = ("mse", "xent")
PLACEMENTS = ("all", "last")
REDUCTIONS = ("engine", "mean", "sum")   # the engine's L, or PyTorch's reduction='mean' / 'sum'


def softmax(logits):
    """softmax(z)_j = e^{z_j − max z} / Σ_k e^{z_k − max z}."""
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def step_losses(kind: str, yhat, target, mask, weight):
    """Each step's term of L and its gradient, for a block of n steps at once:
    ℓ_t = (1/B) Σ_b m_{t,b} ℓ_{t,b}  (n,)   and   ∂L/∂ŷ_t = (m_{t,b}/B) ∂ℓ_{t,b}/∂ŷ_{t,b}  (n, B, O).

    yhat (n, B, O); target (n, B, O) floats for mse, (n, B) class indices for xent; mask (n, B);
    weight (n, B, 1) = m_{t,b}/B. A step with m_{t,b} = 0 never contributes, even where ℓ is infinite.
    """
    B = yhat.shape[-2]
    if kind == "mse":
        diff = yhat - target
        grad = weight * diff                                      # (m_b/B)(ŷ − y)
        return 0.5 * np.sum(grad * diff, axis=(-2, -1)), grad     # (1/B) Σ_b m_b ½‖ŷ − y‖²
    p = softmax(yhat)
    picked = np.take_along_axis(p, target[..., None], axis=-1)[..., 0]
    with np.errstate(divide="ignore"):
        nll = -np.log(picked)
    weighted = np.zeros_like(nll)
    np.multiply(mask, nll, out=weighted, where=mask != 0)
    np.put_along_axis(p, target[..., None], (picked - 1.0)[..., None], axis=-1)   # softmax − onehot
    return np.sum(weighted, axis=-1) / B, weight * p


def reduction_factor(kind: str, reduction: str, mask, output_size: int) -> float:
    """The factor c with c·L = PyTorch's loss for the same outputs, where the engine's
    L = (1/B) Σ_{t∈S} Σ_b m_{t,b} ℓ (ℓ = ½‖ŷ − y‖² or −log softmax(ŷ)_y):

    - ``sum``:  nn.MSELoss(reduction='sum') is Σ (ŷ − y)² over the loss steps × sequences ×
      outputs (no ½): c = 2B; nn.CrossEntropyLoss(reduction='sum') is Σ −log p_y: c = B;
    - ``mean``: the same sums divided by the number of terms, N·O for MSE and N for cross-entropy,
      where N = Σ_{t,b} m_{t,b} counts the (step, sequence) pairs that carry a loss (T·B for a loss
      at every step, B for the last step only); c = 1 when nothing carries a loss;
    - ``engine``: c = 1.
    """
    if reduction not in REDUCTIONS:
        raise RnnInputError(f"unknown reduction {reduction!r}; choose one of {', '.join(REDUCTIONS)}")
    mask = np.asarray(mask, dtype=float)
    if reduction == "engine":
        return 1.0
    B = mask.shape[1]
    total = 2.0 * B if kind == "mse" else float(B)
    if reduction == "sum":
        return total
    terms = float(np.sum(mask)) * (output_size if kind == "mse" else 1)
    return total / terms if terms > 0 else 1.0


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


def loss_weights(kind: str, placement, reduction: str, seq_len: int, batch_size: int, output_size: int):
    """The (T, B) weights m_{t,b} · c the engine's loss takes (``loss_at``) for a placement and a
    reduction: the mask of :func:`loss_mask` times :func:`reduction_factor`, so that the pass
    computes exactly the chosen loss and its gradients."""
    mask = loss_mask(placement, seq_len, batch_size)
    return mask * reduction_factor(kind, reduction, mask, output_size)
