"""BPTT Explorer's engine: recurrent networks and exact, recorded backpropagation through time.

NumPy only (no Qt): usable from a notebook, a script or ``python -m rnn``.
"""

from .bptt import BPTT, Recording, run_bptt
from .errors import RnnInputError
from .params import NetworkSpec, init_params, param_shapes
from .truncation import Truncation

__all__ = ["BPTT", "Recording", "run_bptt", "RnnInputError", "NetworkSpec", "init_params",
           "param_shapes", "Truncation"]
