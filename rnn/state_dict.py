"""A PyTorch model's state_dict mapped onto the engine's parameters.

A model written the usual way::

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(3, 7, num_layers=2)    # or nn.RNN / nn.GRU, under any name
            self.fc = nn.Linear(7, 1)                 # the head, under any name

saves ``rnn.weight_ih_l0``, ..., ``rnn.bias_hh_l1``, ``fc.weight``, ``fc.bias``. The engine
computes exactly that model when the file holds

- exactly one recurrent module: keys ``P(weight|bias)_(ih|hh)_l{k}`` sharing one prefix ``P``
  (``rnn.``, ``encoder.lstm.`` or none), layers 0 … L−1, L ≤ 4, with or without biases;
- exactly one ``nn.Linear`` head from H to O (``Q.weight`` of shape (O, H), ``Q.bias`` optional),
  under any name ``Q`` (``fc``, ``out``, ``head.proj``, ``readout``); when several fit, ``head``
  names the one the model applies to the top layer's h_t.

The cell is read from the gate rows of ``weight_hh_l0`` (G·H rows for H columns: G = 4 LSTM,
3 GRU, 1 vanilla RNN); the vanilla activation cannot be seen in the weights (``tanh`` unless
told, e.g. ``relu`` for ``nonlinearity='relu'``). A missing bias (``bias=False``) is zero and has
no gradient to write. Anything else is refused with one line naming it: several recurrent
modules, no head, several heads and none chosen (the candidates named), a bidirectional module
(``_reverse`` keys), ``proj_size`` (``weight_hr_l*``), a head whose in_features is not H, any
other key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from .errors import RnnInputError
from .params import GATES, NetworkSpec, spec_from_params

# A recurrent parameter's key: the module's prefix, the parameter, and PyTorch's direction suffix.
_RECURRENT = re.compile(r"(?P<prefix>(?:.+\.)?)(?P<name>(?:weight|bias)_(?:ih|hh)_l\d+)(?P<reverse>_reverse)?")
_PROJECTION = re.compile(r"(?:.+\.)?weight_hr_l\d+(?:_reverse)?")
_CELL_OF_GATES = {gates: cell for cell, gates in GATES.items()}
_CELL_NAMES = {"rnn": "a vanilla RNN", "lstm": "an LSTM", "gru": "a GRU"}


@dataclass
class StateDictMapping:
    """Which key of the file became which engine parameter."""
    spec: NetworkSpec
    params: dict                  # engine name (weight_ih_l0, …, readout.bias) → float64 array
    file_keys: dict               # engine name → its key in the file, or None (a zero bias the file lacks)
    ignored: list = field(default_factory=list)   # keys of other Linear layers, left out by the head choice

    @property
    def head(self) -> str:
        """The head's name in the file (``fc``), '' for a bare ``weight``/``bias``."""
        key = self.file_keys["readout.weight"]
        return key[: -len(".weight")] if key.endswith(".weight") else ""

    def lines(self) -> list[str]:
        """The mapping, one ``file key → engine name`` per line, for a person to check."""
        rows = [f"{key if key is not None else '(none: zero)'} → {name}"
                for name, key in self.file_keys.items()]
        rows += [f"{key} → not used" for key in self.ignored]
        return rows


class HeadChoiceError(RnnInputError):
    """Several Linear layers could be the head; ``candidates`` names them, to choose one."""

    def __init__(self, message: str, candidates: list[str]):
        super().__init__(message)
        self.candidates = candidates


def _float_array(value) -> bool:
    return isinstance(value, np.ndarray) and np.issubdtype(value.dtype, np.floating)


def _recurrent_keys(arrays: dict) -> tuple[str, dict]:
    """(the recurrent module's prefix, {engine name: key}); refuses none, several, bidirectional
    and proj_size modules."""
    by_prefix: dict[str, dict] = {}
    for key in arrays:
        if _PROJECTION.fullmatch(key):
            raise RnnInputError(f"{key}: an LSTM with proj_size (a projected hidden state) is not "
                                "supported; use proj_size=0")
        match = _RECURRENT.fullmatch(key)
        if match is None:
            continue
        if match["reverse"]:
            raise RnnInputError(f"{key}: a bidirectional module (bidirectional=True) is not supported; "
                                "BPTT here runs one direction")
        by_prefix.setdefault(match["prefix"], {})[match["name"]] = key
    if not by_prefix:
        raise RnnInputError("no recurrent weights (weight_ih_l0, weight_hh_l0, … of an nn.RNN, "
                            "nn.LSTM or nn.GRU) in the file")
    if len(by_prefix) > 1:
        names = ", ".join(p.rstrip(".") or "(no prefix)" for p in sorted(by_prefix))
        raise RnnInputError(f"several recurrent modules ({names}); save a model with exactly one")
    [(prefix, keys)] = by_prefix.items()
    return prefix, keys


def _cell(arrays: dict, keys: dict, cell: str | None) -> str:
    """The cell the gate rows of weight_hh_l0 say; ``cell``, if given, must agree."""
    if "weight_hh_l0" not in keys:
        raise RnnInputError("missing weight_hh_l0: cannot read the hidden size")
    W_hh = arrays[keys["weight_hh_l0"]]
    shape = np.shape(W_hh)
    if len(shape) != 2 or shape[1] == 0 or shape[0] % shape[1] or shape[0] // shape[1] not in _CELL_OF_GATES:
        raise RnnInputError(f"{keys['weight_hh_l0']} has shape {shape}: an nn.RNN's, nn.LSTM's or "
                            "nn.GRU's has H, 4·H or 3·H rows for H columns")
    found = _CELL_OF_GATES[shape[0] // shape[1]]
    if cell is not None and cell != found:
        raise RnnInputError(f"these are {_CELL_NAMES[found]}'s weights ({keys['weight_hh_l0']} has "
                            f"{GATES[found]}·H rows), not {_CELL_NAMES[cell]}'s")
    return found


def _linear_layers(arrays: dict, taken: set) -> dict:
    """{name: (weight key, bias key or None)} of every key pair that can be an nn.Linear."""
    layers = {}
    for key, value in arrays.items():
        if key in taken or not (key == "weight" or key.endswith(".weight")):
            continue
        if not _float_array(value) or value.ndim != 2:
            continue
        name = key[: -len("weight")].rstrip(".")
        bias = f"{name}.bias" if name else "bias"
        layers[name] = (key, bias if bias in arrays else None)
    return layers


def _head(arrays: dict, hidden: int, taken: set, head: str | None) -> tuple[tuple, list]:
    """((weight key, bias key or None), keys of the other Linear layers from H units, which a
    named ``head`` leaves out) of the head from the recurrent module's H units."""
    layers = _linear_layers(arrays, taken)
    shown = lambda names: ", ".join(n or "(no prefix)" for n in names)  # noqa: E731
    fits = [name for name, (weight, _) in layers.items() if arrays[weight].shape[1] == hidden]
    if head is not None:
        head = head.strip().removesuffix(".weight").rstrip(".")
        if head not in layers:
            raise RnnInputError(f"no Linear layer named {head!r}"
                                + (f" (the file has {shown(layers)})" if layers else " in the file"))
        if head not in fits:
            raise RnnInputError(f"the head {head or '(no prefix)'} has in_features "
                                f"{arrays[layers[head][0]].shape[1]}, but the recurrent module has "
                                f"H = {hidden} units")
        others = [key for name in fits if name != head for key in layers[name] if key]
        return layers[head], others
    if not fits:
        if layers:
            sizes = ", ".join(f"{n or '(no prefix)'} (in_features {arrays[w].shape[1]})"
                              for n, (w, _) in layers.items())
            raise RnnInputError(f"no Linear head takes the recurrent module's H = {hidden} units: {sizes}")
        raise RnnInputError(f"no Linear head (an nn.Linear({hidden}, O) after the recurrent module) "
                            "in the file")
    if len(fits) > 1:
        raise HeadChoiceError(f"several Linear layers could be the head ({shown(fits)}); choose the "
                              "one applied to the top layer's h_t (--head NAME)", fits)
    return layers[fits[0]], []


_ORDER = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")   # PyTorch's order within a layer


def map_state_dict(arrays: dict, cell: str | None = None, activation: str = "tanh",
                   head: str | None = None) -> StateDictMapping:
    """The engine's spec and parameters for a state_dict's arrays (keys as in the file).

    ``cell`` ("rnn", "lstm", "gru") is checked against the gate rows, or read from them when None;
    ``activation`` is the vanilla cell's; ``head`` names the Linear layer when several fit. Every
    key, shape, dtype and value is checked (:func:`rnn.params.spec_from_params`).
    """
    _, keys = _recurrent_keys(arrays)
    cell = _cell(arrays, keys, cell)
    hidden = np.shape(arrays[keys["weight_hh_l0"]])[1]
    (weight, bias), ignored = _head(arrays, hidden, set(keys.values()), head)
    used = set(keys.values()) | {weight, bias} | set(ignored)
    unexpected = [key for key in arrays if key not in used]
    if unexpected:
        raise RnnInputError(f"unexpected key {unexpected[0]}: the engine models one recurrent module "
                            "and one Linear head, nothing else")
    with_biases = any(name.startswith("bias_") for name in keys)
    layers = 1 + max(int(name.rsplit("_l", 1)[1]) for name in keys)
    file_keys = {}
    for layer in range(layers):
        for kind in _ORDER:
            name = f"{kind}_l{layer}"
            if name in keys or (kind.startswith("bias") and not with_biases):
                file_keys[name] = keys.get(name)          # None: bias=False, a zero bias
    file_keys["readout.weight"], file_keys["readout.bias"] = weight, bias
    params = {name: _as_float64(arrays[key]) for name, key in file_keys.items() if key is not None}
    for name, key in file_keys.items():
        if key is None:
            rows = np.shape(params["readout.weight"] if name == "readout.bias" else params["weight_hh_l0"])[0]
            params[name] = np.zeros(rows)
    params = {name: params[name] for name in file_keys}
    spec = spec_from_params(params, cell, activation)
    return StateDictMapping(spec, params, file_keys, ignored)


def _as_float64(value):
    """A float64 copy of a floating-point array (ours to change in place); anything else as it is,
    for :func:`rnn.params.check_params` to name."""
    return value.astype(np.float64) if _float_array(value) else value
