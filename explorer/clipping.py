"""What clipping does to the gradient of a pass: its direction before and after.

With g every weight's gradient in one vector and clip(g) what the optimizer is given, norm clipping
returns θ g/‖g‖ when ‖g‖ > θ (g shortened, its direction kept) and value clipping cuts each entry to
[−θ, θ] (the entries beyond θ cut, the others kept: another direction). The turn is

    ∠(g, clip(g)) = arccos(g · clip(g) / (‖g‖ ‖clip(g)‖)).

No Qt here: the clipping view draws g/‖g‖ against clip(g)/‖clip(g)‖ entry by entry, and the lessons'
``clip_angle`` quantity is :attr:`ClippedDirection.angle`.
"""

import math
from dataclasses import dataclass

import numpy as np

from rnn.optim import clip_gradients


@dataclass(frozen=True)
class ClippedDirection:
    """The gradient of a pass before and after clipping, each as a unit vector over every weight's
    entries (in the parameters' order, each flattened), and the angle between them."""
    gradient: np.ndarray        # g / ‖g‖
    clipped: np.ndarray         # clip(g) / ‖clip(g)‖
    angle: float                # ∠(g, clip(g)) in degrees
    norm: float                 # ‖g‖
    clipped_norm: float         # ‖clip(g)‖


def clipped_direction(gradients: dict, mode: str, threshold: float) -> ClippedDirection | None:
    """``gradients`` (name → array) clipped with ``mode`` at ``threshold``; None when g is zero or
    not finite (no direction to speak of)."""
    clipped = clip_gradients(gradients, mode, float(threshold)).grads
    g = np.concatenate([np.ravel(gradients[name]) for name in gradients])
    c = np.concatenate([np.ravel(clipped[name]) for name in gradients])
    with np.errstate(all="ignore"):
        norm, clipped_norm = float(np.linalg.norm(g)), float(np.linalg.norm(c))
    if not (norm > 0 and clipped_norm > 0 and math.isfinite(norm) and math.isfinite(clipped_norm)):
        return None
    g, c = g / norm, c / clipped_norm
    angle = math.degrees(math.acos(min(1.0, max(-1.0, float(g @ c)))))
    return ClippedDirection(g, c, angle, norm, clipped_norm)
