"""Users' sequences in the engine's layout: time first, (T, B, …).

PyTorch's recurrent modules take (T, B, I) by default and (B, T, I) with ``batch_first=True``;
h0 and c0 stay (layers, B, H) either way. A model with a loss at the last step only is usually
trained against targets for that step alone: (B, O) for MSE, (B,) class indices for
cross-entropy. These functions turn each form into the engine's (T, B, I) inputs and
(T, B, O) / (T, B) targets; nothing is guessed from the sizes.
"""

import numpy as np

from .errors import RnnInputError


def time_first(array: np.ndarray, batch_first: bool, what: str) -> np.ndarray:
    """(B, T, …) → (T, B, …) when ``batch_first``; otherwise the array as it is."""
    if not batch_first:
        return array
    if array.ndim < 2:
        raise RnnInputError(f"{what} must have a batch and a time axis, (B, T, …) with --batch-first; "
                            f"got shape {array.shape}")
    return np.swapaxes(array, 0, 1)


def targets_time_first(targets: np.ndarray, loss: str, loss_at: str, seq_len: int,
                       batch_first: bool) -> np.ndarray:
    """Targets in the engine's layout: (T, B, O) for ``mse``, (T, B) for ``xent``.

    With ``loss_at == "last"``, targets of the last step alone ((B, O) or (B,)) are placed at
    t = T − 1; the other steps get placeholders (zeros), which carry no loss.
    """
    last_only = targets.ndim == (2 if loss == "mse" else 1)
    if loss_at != "last" or not last_only:
        return time_first(targets, batch_first, "targets")   # the engine checks the shape
    placed = np.zeros((seq_len,) + targets.shape, dtype=targets.dtype)
    placed[-1] = targets
    return placed
