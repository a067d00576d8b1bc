"""Activation functions φ of the vanilla cell, with their derivatives and γ = sup|φ'|.

γ enters the vanishing-gradient bound of Pascanu, Mikolov & Bengio (2013):
‖∂h_t/∂h_k‖ ≤ (γ σ_max(W_hh))^(t−k).
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import RnnInputError


EXP_CAP = {np.dtype(np.float64): 708.0, np.dtype(np.float32): 88.0}   # e^cap is finite, σ(cap) = 1


def sigmoid(a, out=None):
    """σ(a) = e^a / (1 + e^a); a is capped (at 708 in float64, 88 in float32) so e^a never
    overflows and σ of the cap is 1. ``out`` may be ``a``."""
    e = np.minimum(a, EXP_CAP.get(a.dtype, 708.0))
    np.exp(e, out=e)
    return np.divide(e, e + 1.0, out=e if out is None else out)


def _tanh_derivative(a, h, out=None):
    """tanh'(a) = 1 − h²."""
    d = np.multiply(h, h, out=out)
    return np.subtract(1.0, d, out=d)


def _sigmoid_derivative(a, h, out=None):
    """σ'(a) = h (1 − h)."""
    d = np.subtract(1.0, h, out=out)
    return np.multiply(d, h, out=d)


def _relu_derivative(a, h, out=None):
    """relu'(a) = [a > 0]."""
    return np.greater(a, 0.0, out=np.empty_like(a) if out is None else out)


def _linear_derivative(a, h, out=None):
    """φ'(a) = 1."""
    out = np.empty_like(a) if out is None else out
    out.fill(1.0)
    return out


@dataclass(frozen=True)
class Activation:
    name: str
    formula: str
    function: Callable[..., np.ndarray]   # φ(a, out=None)
    # φ'(a, h, out=None), written in terms of a and h = φ(a), whichever is cheaper.
    derivative: Callable[..., np.ndarray]
    gamma: float  # sup over a of |φ'(a)|

    def __call__(self, a, out=None):
        return self.function(a, out=out)


ACTIVATIONS = {
    "tanh": Activation("tanh", "φ(a) = tanh(a),  φ'(a) = 1 − tanh²(a)",
                       np.tanh, _tanh_derivative, 1.0),
    "sigmoid": Activation("sigmoid", "φ(a) = 1/(1+e^−a),  φ'(a) = φ(a)(1 − φ(a))",
                          sigmoid, _sigmoid_derivative, 0.25),
    "relu": Activation("relu", "φ(a) = max(0, a),  φ'(a) = [a > 0]",
                       lambda a, out=None: np.maximum(a, 0.0, out=out),
                       _relu_derivative, 1.0),
    "linear": Activation("linear", "φ(a) = a,  φ'(a) = 1",
                         lambda a, out=None: np.add(a, 0.0, out=out),
                         _linear_derivative, 1.0),
}


def get_activation(name: str) -> Activation:
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise RnnInputError(
            f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}") from None
