"""Network description and parameters, in PyTorch's names and shapes.

For layer k, with G gate blocks (1 for the vanilla RNN, 4 for LSTM stacked i, f, g, o, 3 for GRU
stacked r, z, n) and H hidden units:

    weight_ih_l{k}  (G·H, in_k)      in_0 = input size, in_k = H for k > 0
    weight_hh_l{k}  (G·H, H)
    bias_ih_l{k}    (G·H,)
    bias_hh_l{k}    (G·H,)
    readout.weight  (O, H)            ŷ_t = W_hy h_t + b_y on the top layer
    readout.bias    (O,)

Parameters are a plain ``dict[str, np.ndarray]`` of float64 arrays in that order (or all float32:
the optional precision for big models, :func:`params_dtype`).
"""

import math
from dataclasses import dataclass, replace

import numpy as np

from .activations import ACTIVATIONS
from .errors import RnnInputError

CELLS = ("rnn", "lstm", "gru")
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
GATE_NAMES = {"rnn": ("a",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
INITIALISERS = ("pytorch", "xavier", "orthogonal", "identity")
MAX_LAYERS = 4
MIN_STEEPNESS, MAX_STEEPNESS = 0.1, 10.0     # the gates' β in σ(β a)
MAX_FORGET_BIAS = 10.0


@dataclass(frozen=True)
class NetworkSpec:
    """What network: cell kind, activation (vanilla cell only), sizes, and the steepness β of the
    gates' σ(β a) (gated cells only; β = 1 is PyTorch's)."""
    cell: str = "rnn"
    activation: str = "tanh"
    input_size: int = 1
    hidden_size: int = 8
    output_size: int = 1
    num_layers: int = 1
    gate_steepness: float = 1.0

    def __post_init__(self):
        if self.cell not in CELLS:
            raise RnnInputError(f"unknown cell {self.cell!r}; choose one of {', '.join(CELLS)}")
        if self.activation not in ACTIVATIONS:
            raise RnnInputError(f"unknown activation {self.activation!r}; "
                                f"choose one of {', '.join(ACTIVATIONS)}")
        for field in ("input_size", "hidden_size", "output_size"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise RnnInputError(f"{field} must be a whole number ≥ 1, got {value!r}")
        if isinstance(self.num_layers, bool) or not isinstance(self.num_layers, (int, np.integer)) \
                or not 1 <= self.num_layers <= MAX_LAYERS:
            raise RnnInputError(f"num_layers must be 1 to {MAX_LAYERS}, got {self.num_layers!r}")
        beta = self.gate_steepness
        if isinstance(beta, bool) or not isinstance(beta, (int, float, np.floating, np.integer)) \
                or not np.isfinite(beta) or not MIN_STEEPNESS <= beta <= MAX_STEEPNESS:
            raise RnnInputError(f"gate_steepness must be a number from {MIN_STEEPNESS:g} to {MAX_STEEPNESS:g}, "
                                f"got {beta!r}")

    @property
    def gates(self) -> int:
        return GATES[self.cell]

    @property
    def has_cell_state(self) -> bool:
        return self.cell == "lstm"

    @property
    def state_size(self) -> int:
        """The size of the state s_t a step carries: h (H), or (h, c) for the LSTM (2H)."""
        return 2 * self.hidden_size if self.has_cell_state else self.hidden_size

    @property
    def gamma(self) -> float:
        """sup|φ'| of the vanilla cell's activation (Pascanu et al. 2013)."""
        return ACTIVATIONS[self.activation].gamma

    @property
    def label(self) -> str:
        return f"RNN ({self.activation})" if self.cell == "rnn" else self.cell.upper()

    def layer_input_size(self, layer: int) -> int:
        return self.input_size if layer == 0 else self.hidden_size

    def with_(self, **changes) -> "NetworkSpec":
        return replace(self, **changes)


def param_shapes(spec: NetworkSpec) -> dict:
    """Every parameter's name and shape, in PyTorch's order."""
    G, H = spec.gates, spec.hidden_size
    shapes = {}
    for k in range(spec.num_layers):
        shapes[f"weight_ih_l{k}"] = (G * H, spec.layer_input_size(k))
        shapes[f"weight_hh_l{k}"] = (G * H, H)
        shapes[f"bias_ih_l{k}"] = (G * H,)
        shapes[f"bias_hh_l{k}"] = (G * H,)
    shapes["readout.weight"] = (spec.output_size, H)
    shapes["readout.bias"] = (spec.output_size,)
    return shapes


PRECISIONS = {"float64": np.float64, "float32": np.float32}   # float64 is the default and the reference


def params_dtype(params: dict):
    """The precision a pass with these parameters computes in: float32 when every parameter is
    float32 (the optional precision for big models), float64 otherwise."""
    if params and all(np.asarray(value).dtype == np.float32 for value in params.values()):
        return np.float32
    return np.float64


def with_precision(params: dict, dtype) -> dict:
    """``params`` in ``dtype`` (the same dict if they are already; copies otherwise)."""
    if all(np.asarray(value).dtype == dtype for value in params.values()):
        return params
    return {name: np.asarray(value, dtype=dtype) for name, value in params.items()}


def layer_params(params: dict, layer: int):
    """(W_ih, W_hh, b_ih, b_hh) of one layer."""
    return (params[f"weight_ih_l{layer}"], params[f"weight_hh_l{layer}"],
            params[f"bias_ih_l{layer}"], params[f"bias_hh_l{layer}"])


def _orthogonal(n, rng):
    """A uniformly random n×n orthogonal matrix: QR of a Gaussian with the signs of R fixed."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


def _xavier(rows, cols, rng):
    bound = np.sqrt(6.0 / (rows + cols))
    return rng.uniform(-bound, bound, (rows, cols))


def check_seed(seed) -> int:
    """A seed for NumPy's generators: a whole number from 0 to 2⁶⁴ − 1 (RnnInputError otherwise)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        raise RnnInputError(f"a seed must be a whole number ≥ 0, got {seed!r}")
    return int(seed)


def init_params(spec: NetworkSpec, scheme: str = "pytorch", seed: int = 0,
                radius: float | None = None, sigma_max: float | None = None, forget_bias: float = 0.0,
                dtype=np.float64) -> dict:
    """Seeded initial parameters, drawn in float64 and given in ``dtype`` (float64 or float32).

    - ``pytorch``: every entry U(−1/√H, 1/√H), as nn.RNN/LSTM/GRU and nn.Linear(H, O) do.
    - ``xavier``: each gate block U(±√(6/(fan_in+fan_out))), biases 0.
    - ``orthogonal``: each H×H gate block of W_hh a random orthogonal matrix, W_ih Xavier, biases 0.
    - ``identity`` (IRNN, Le et al. 2015): each gate block of W_hh = I, W_ih ~ N(0, 0.001²), biases 0.

    Then, if given, each W_hh gate block is rescaled to spectral radius ``radius`` (ρ) or to
    largest singular value ``sigma_max`` (see :func:`rescale_recurrent`); for the LSTM,
    ``forget_bias`` is added to the forget gate's input bias (the f rows of ``bias_ih``), so that
    f = σ(a_f) starts nearer 1 and the cell state is kept (TensorFlow's ``forget_bias``;
    Jozefowicz et al. 2015 suggest 1).
    """
    if isinstance(forget_bias, bool) or not isinstance(forget_bias, (int, float, np.floating, np.integer)) \
            or not np.isfinite(forget_bias) or abs(forget_bias) > MAX_FORGET_BIAS:
        raise RnnInputError(f"forget_bias must be a number from −{MAX_FORGET_BIAS:g} to {MAX_FORGET_BIAS:g}, "
                            f"got {forget_bias!r}")
    if scheme not in INITIALISERS:
        raise RnnInputError(f"unknown initialiser {scheme!r}; choose one of {', '.join(INITIALISERS)}")
    rng = np.random.default_rng(check_seed(seed))
    G, H = spec.gates, spec.hidden_size
    bound = 1.0 / np.sqrt(H)
    params = {}
    for name, shape in param_shapes(spec).items():
        if scheme == "pytorch" or name.startswith("readout"):
            params[name] = rng.uniform(-bound, bound, shape)
        elif name.startswith("bias"):
            params[name] = np.zeros(shape)
        elif name.startswith("weight_ih"):
            if scheme == "identity":
                params[name] = 0.001 * rng.standard_normal(shape)
            else:
                params[name] = np.vstack([_xavier(H, shape[1], rng) for _ in range(G)])
        else:  # weight_hh
            blocks = {"xavier": lambda: _xavier(H, H, rng),
                      "orthogonal": lambda: _orthogonal(H, rng),
                      "identity": lambda: np.eye(H)}[scheme]
            params[name] = np.vstack([blocks() for _ in range(G)])
    if radius is not None or sigma_max is not None:
        rescale_recurrent(params, spec, radius=radius, sigma_max=sigma_max)
    if spec.cell == "lstm" and forget_bias:
        for layer in range(spec.num_layers):
            params[f"bias_ih_l{layer}"][H:2 * H] += forget_bias      # rows i, f, g, o: f is the second
    if np.dtype(dtype) not in (np.float64, np.float32):
        raise RnnInputError(f"the precision must be float64 or float32, got {dtype!r}")
    return with_precision(params, np.dtype(dtype).type)


def spectral_radius(matrix) -> float:
    """ρ(W) = max |λ_i(W)| (NaN for a matrix holding NaN or Inf)."""
    if not np.all(np.isfinite(matrix)):
        return float("nan")
    return float(np.max(np.abs(np.linalg.eigvals(matrix))))


def largest_singular_value(matrix) -> float:
    """σ_max(W) = ‖W‖₂ (NaN for a matrix holding NaN or Inf)."""
    if not np.all(np.isfinite(matrix)):
        return float("nan")
    return float(np.linalg.norm(matrix, 2))


def recurrent_blocks(params: dict, spec: NetworkSpec, layer: int):
    """The H×H gate blocks of W_hh for one layer (views, in gate order)."""
    H = spec.hidden_size
    W_hh = params[f"weight_hh_l{layer}"]
    return [W_hh[g * H:(g + 1) * H] for g in range(spec.gates)]


def rescale_recurrent(params: dict, spec: NetworkSpec, radius=None, sigma_max=None) -> None:
    """Scale every H×H gate block of every W_hh in place: W ← W · ρ/ρ(W), or W ← W · σ/σ_max(W)."""
    if (radius is None) == (sigma_max is None):
        raise RnnInputError("give exactly one of a spectral radius ρ or a largest singular value σ_max")
    target = radius if radius is not None else sigma_max
    measure = spectral_radius if radius is not None else largest_singular_value
    if not np.isfinite(target) or target < 0:
        raise RnnInputError(f"the W_hh scale must be a finite number ≥ 0, got {target!r}")
    for layer in range(spec.num_layers):
        for block in recurrent_blocks(params, spec, layer):
            current = measure(block)
            if current == 0.0:
                raise RnnInputError("W_hh is zero: it cannot be rescaled to a chosen ρ or σ_max")
            block *= target / current


def spec_from_params(params: dict, cell: str = "rnn", activation: str = "tanh") -> NetworkSpec:
    """Read layer count and sizes from PyTorch-named parameters, and check every key and shape."""
    if "weight_ih_l0" not in params or "weight_hh_l0" not in params:
        raise RnnInputError("missing key weight_ih_l0 or weight_hh_l0: cannot read the network's sizes")
    if "readout.weight" not in params:
        raise RnnInputError("missing key readout.weight: cannot read the output size")
    num_layers = sum(1 for k in range(MAX_LAYERS + 1) if f"weight_ih_l{k}" in params)
    W_hh, W_ih = np.shape(params["weight_hh_l0"]), np.shape(params["weight_ih_l0"])
    if len(W_hh) != 2 or len(W_ih) != 2 or len(np.shape(params["readout.weight"])) != 2:
        raise RnnInputError("weight_hh_l0, weight_ih_l0 and readout.weight must be 2-D matrices")
    H = W_hh[1]
    spec = NetworkSpec(cell=cell, activation=activation, input_size=W_ih[1], hidden_size=H,
                       output_size=np.shape(params["readout.weight"])[0], num_layers=num_layers)
    check_params(params, spec)
    return spec


def check_params(params: dict, spec: NetworkSpec) -> None:
    """Raise RnnInputError naming the first missing or extra key, wrong shape, dtype or non-finite value."""
    expected = param_shapes(spec)
    missing = [k for k in expected if k not in params]
    extra = [k for k in params if k not in expected]
    if missing:
        raise RnnInputError(f"missing key {missing[0]} for a {spec.num_layers}-layer {spec.label}"
                            f" (expected {', '.join(expected)})")
    if extra:
        raise RnnInputError(f"unexpected key {extra[0]} for a {spec.num_layers}-layer {spec.label}")
    with np.errstate(over="ignore", invalid="ignore"):   # (for every parameter's sum at once: ≈ 3 µs each)
        for name, shape in expected.items():
            value = params[name]
            if not isinstance(value, np.ndarray) or value.dtype.kind != "f":    # (kind f: np.floating)
                raise RnnInputError(f"{name} must be a floating-point array, got "
                                    f"{getattr(value, 'dtype', type(value).__name__)}")
            if value.shape != shape:
                raise RnnInputError(f"{name} has shape {value.shape}, expected {shape} for a {spec.label} "
                                    f"with hidden size {spec.hidden_size}")
            if not _sum_or_entries_finite(value):
                raise RnnInputError(f"{name} contains NaN or Inf")


def all_finite(values: np.ndarray) -> bool:
    """No NaN or Inf in ``values``: their sum is finite (NaN and Inf reach it), or, where it is not
    (finite numbers that overflow when added), no entry is NaN or Inf. One reduction, not a mask."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _sum_or_entries_finite(values)


def _sum_or_entries_finite(values: np.ndarray) -> bool:
    """:func:`all_finite`, under an ``errstate`` that ignores the overflow of the sum."""
    return math.isfinite(values.sum()) or bool(np.all(np.isfinite(values)))


def concise_form(params: dict, layer: int):
    """The concise form h_t = φ(W [h_{t−1}; x_t] + b) of one layer: W = [W_hh  W_ih], b = b_ih + b_hh.

    W is built from the same weights (a copy laid side by side; change the parameters, not W).
    For the GRU the n-gate's b_hn sits inside r ⊙ (W_hn h + b_hn), so there b is only the
    sum of the two bias vectors, not an exact rewrite.
    """
    W_ih, W_hh, b_ih, b_hh = layer_params(params, layer)
    return np.hstack([W_hh, W_ih]), b_ih + b_hh


def shapes_table(spec: NetworkSpec, batch_size: int, seq_len: int, loss: str = "mse") -> list:
    """Rows (symbol, shape, meaning) for every tensor of the network, both notations (``loss``:
    "xent" targets are class indices, one per step and sequence)."""
    G, H, I, O, B, T = (spec.gates, spec.hidden_size, spec.input_size, spec.output_size,
                        batch_size, seq_len)
    gates = "·".join(GATE_NAMES[spec.cell])
    targets = ("y", (T, B), f"targets: class indices 0…{O - 1}") if loss == "xent" else ("y", (T, B, O), "targets")
    rows = [("x", (T, B, I), "inputs, time-major"), targets]
    for k in range(spec.num_layers):
        n_in = spec.layer_input_size(k)
        rows += [
            (f"W_ih (weight_ih_l{k})", (G * H, n_in), "input weights" + (f", rows {gates}" if G > 1 else "")),
            (f"W_hh (weight_hh_l{k})", (G * H, H), "recurrent weights" + (f", rows {gates}" if G > 1 else "")),
            (f"b_ih (bias_ih_l{k})", (G * H,), "input bias"),
            (f"b_hh (bias_hh_l{k})", (G * H,), "recurrent bias"),
            (f"W = [W_hh W_ih] (layer {k})", (G * H, H + n_in), "concise weights"),
            (f"[h_(t−1); x_t] (layer {k})", (H + n_in, B), "concise input, one column per sequence"),
            (f"h_t (layer {k})", (B, H), "hidden state at one step"),
        ]
        if spec.has_cell_state:
            rows.append((f"c_t (layer {k})", (B, H), "cell state at one step"))
    rows += [("W_hy (readout.weight)", (O, H), "readout weights"),
             ("b_y (readout.bias)", (O,), "readout bias"),
             ("ŷ_t", (B, O), "output at one step"),
             ("ŷ", (T, B, O), "outputs, all steps")]
    return rows
