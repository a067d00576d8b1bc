"""How much memory a pass takes, and the budget it must fit in.

A recorded pass holds, in float64, for every layer, step, sequence and unit (:class:`rnn.bptt.Recording`):

    forward   pre-activations a_t (G·H), gates (G·H, gated cells), h_t (H), c_t (H, LSTM), extra (H)
    backward  ∂L/∂h_t (H), ∂L/∂c_t (H, LSTM), ∂L/∂(W_ih x + b) (G·H), ∂L/∂(W_hh h + b) (G·H, GRU)

plus ŷ_t and ∂L/∂ŷ_t (O each), the inputs (I) and targets, and, with the sensitivity matrix,
the rows of S that can be non-zero (n_loss × T: those of the steps that carry a loss) and the
adjoints it pushes back (n_loss × B × H, twice for the LSTM). The weights, their
gradients and an optimizer's state (up to 3 copies) come on top. The budget is a share of the
machine's memory (:data:`BUDGET_SHARE`), or what the environment variable ``BPTT_MEMORY_BUDGET``
says (bytes, or with a unit: ``8G``, ``512M``).
"""

from __future__ import annotations

import os

from .errors import RnnInputError
from .lean import check_lean, segment_length
from .params import NetworkSpec
from .truncation import Truncation

FLOAT = 8                     # bytes of a float64
BUDGET_SHARE = 0.3            # of the machine's physical memory: a window may hold two passes at once
                              # (the shown one and the next) besides its training process
BUDGET_VARIABLE = "BPTT_MEMORY_BUDGET"
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def pass_bytes(spec: NetworkSpec, seq_len: int, batch: int, with_sensitivity: bool = True,
               loss_steps: int | None = None) -> int:
    """Bytes of one recorded pass of ``spec`` over ``batch`` sequences of ``seq_len`` steps
    (``loss_steps``: how many carry a loss, for the sensitivity's adjoints; default all)."""
    L, T, B, H = spec.num_layers, int(seq_len), int(batch), spec.hidden_size
    GH, I, O = spec.gates * H, spec.input_size, spec.output_size
    per_unit = 3 * H + 2 * GH                      # h, extra, ∂L/∂h; a_t, ∂L/∂(W_ih x + b)
    if spec.cell != "rnn":
        per_unit += GH                             # the activated gates
    if spec.cell == "lstm":
        per_unit += 2 * H                          # c_t, ∂L/∂c_t
    if spec.cell == "gru":
        per_unit += GH                             # ∂L/∂(W_hh h + b), apart from the input's
    floats = L * T * B * per_unit + T * B * (2 * O + I + O)
    if with_sensitivity:
        rows = T if loss_steps is None else int(loss_steps)
        floats += rows * T + rows * B * H * (2 if spec.cell == "lstm" else 1)   # S's loss rows, the adjoints
    return FLOAT * (floats + 5 * parameter_count(spec))   # weights, gradients, ≤ 3 optimizer copies


def lean_pass_bytes(spec: NetworkSpec, seq_len: int, batch: int, segment: int) -> int:
    """Bytes of a lean pass (:mod:`rnn.lean`) in segments of ``segment`` steps: two segments'
    recordings (the one computed and the one kept for the next), each segment's checkpoint and
    carry, and every step's summaries (the norms, ŷ_t, ∂L/∂ŷ_t, the inputs and targets)."""
    L, T, B, H = spec.num_layers, int(seq_len), int(batch), spec.hidden_size
    I, O = spec.input_size, spec.output_size
    segments = -(-T // int(segment))
    states = 2 if spec.has_cell_state else 1
    kept = segments * 2 * L * B * H * states                  # checkpoints and carries
    summaries = L * T * (6 + 3 * B) + T * (2 + B) + T * B * (I + 3 * O + 1)
    return 2 * pass_bytes(spec, segment, batch, with_sensitivity=False) + FLOAT * (kept + summaries)


def parameter_count(spec: NetworkSpec) -> int:
    G, H = spec.gates, spec.hidden_size
    count = 0
    for layer in range(spec.num_layers):
        count += G * H * (spec.layer_input_size(layer) + H + 2)
    return count + spec.output_size * (H + 1)


def machine_memory() -> int | None:
    """The machine's physical memory in bytes, or None where the platform does not say."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def parse_size(text: str) -> int:
    """"8G", "512M", "1.5G", "2000000" → bytes; RnnInputError otherwise."""
    value = str(text).strip().upper().removesuffix("B").removesuffix("I")
    unit = value[-1:] if value[-1:] in _UNITS else ""
    try:
        number = float(value[: len(value) - len(unit)])
    except ValueError:
        number = float("nan")
    if not (number > 0 and number * _UNITS[unit] < 2**62):
        raise RnnInputError(f"a memory size must be a positive number of bytes, optionally with K, M, G "
                            f"or T (e.g. 8G), got {text!r}")
    return int(number * _UNITS[unit])


def memory_budget(strict: bool = False) -> int:
    """The most one pass may take: ``BPTT_MEMORY_BUDGET`` if set, else BUDGET_SHARE of the
    machine's memory (4 GiB where it is unknown). A malformed variable raises RnnInputError when
    ``strict`` (the command line), and is otherwise ignored (the window always opens)."""
    setting = os.environ.get(BUDGET_VARIABLE)
    if setting:
        try:
            return parse_size(setting)
        except RnnInputError as error:
            if strict:
                raise RnnInputError(f"{BUDGET_VARIABLE}: {error}") from None
    total = machine_memory()
    return int(BUDGET_SHARE * total) if total else 4 * 2**30


def format_bytes(n: float) -> str:
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} bytes"


def check_pass_fits(spec: NetworkSpec, seq_len: int, batch: int, with_sensitivity: bool = True,
                    loss_steps: int | None = None, budget: int | None = None) -> None:
    """RnnInputError naming the size, the budget and what to lower, if the pass would not fit."""
    budget = memory_budget() if budget is None else budget
    needed = pass_bytes(spec, seq_len, batch, with_sensitivity, loss_steps)
    if needed <= budget:
        return
    without_sensitivity = pass_bytes(spec, seq_len, batch, False)
    hint = (" without the sensitivity matrix it would fit" if with_sensitivity and without_sensitivity <= budget
            else " lower the sequence length, the batch size, the hidden size or the layers")
    raise RnnInputError(f"this pass needs about {format_bytes(needed)} of memory, more than the budget of "
                        f"{format_bytes(budget)} (set {BUDGET_VARIABLE} to change it);{hint}")


def needs_lean_pass(spec: NetworkSpec, seq_len: int, batch: int, truncation=None, budget: int | None = None,
                    one_sequence_kept: bool = False) -> bool:
    """False when the whole recording fits the budget; True when only a lean pass (:mod:`rnn.lean`:
    checkpoints, each segment computed again) does; RnnInputError, naming both sizes, when neither
    fits or the truncation cannot run as a lean pass. ``one_sequence_kept``: the lean pass also
    keeps one sequence's whole recording (the window's, for the views)."""
    budget = memory_budget() if budget is None else budget
    truncation = Truncation() if truncation is None else truncation
    try:
        check_pass_fits(spec, seq_len, batch, with_sensitivity=False, budget=budget)
        return False
    except RnnInputError as too_big:
        full = too_big
    lean = lean_pass_bytes(spec, seq_len, batch, segment_length(seq_len, truncation))
    if one_sequence_kept:
        lean += pass_bytes(spec, seq_len, 1, with_sensitivity=False)
    try:
        check_lean(truncation)
    except RnnInputError as why:
        raise RnnInputError(f"{full}; {why}") from None
    if lean > budget:
        raise RnnInputError(f"{full} (even kept as checkpoints it needs {format_bytes(lean)})")
    return True
