"""The command line: ``python -m rnn grads`` and ``python -m rnn train``.

``grads`` runs one recorded forward and backward pass on your weights and data and writes every
gradient and recording to an ``.npz``; ``train`` trains a network on a built-in task (or a CSV
column) and prints a summary. Bad input of any kind exits with status 2 and one line on stderr
starting ``error:``, and nothing is written; a NaN/Inf while training exits with status 1.
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time
from contextlib import contextmanager

import numpy as np

from typing import NamedTuple

from .blowup import DEFAULT_THRESHOLD as BLOWUP_THRESHOLD, find_blowup
from .bptt import run_bptt
from .errors import RnnInputError
from .gradcheck import DEFAULT_ENTRIES, DEFAULT_EPS, DEFAULT_THRESHOLD, check_gradients
from .io import check_output_path, check_params_path, load_array, read_params, save_npz, save_params
from .layout import targets_time_first, time_first
from .losses import LOSSES, PLACEMENTS, REDUCTIONS, loss_weights
from .lean import run_lean, segment_length
from .memory import check_pass_fits, format_bytes, memory_budget, needs_lean_pass, pass_bytes
from .optim import CLIP_MODES, OPTIMIZERS, make_optimizer
from .params import INITIALISERS, NetworkSpec, init_params, with_precision
from .sampling import sample_text
from .state_dict import StateDictMapping
from .tasks import TASK_NAMES, get_task
from .training import train
from .truncation import Truncation

CELL_CHOICES = ("tanh", "relu", "sigmoid", "linear", "lstm", "gru")
EXIT_OK, EXIT_NONFINITE, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
DEFAULT_CLIP_THRESHOLD = 1.0
NAME_SAMPLES = 5


class _UsageError(Exception):
    """argparse's complaint, turned into our one-line ``error:`` message."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def _cell(name: str | None) -> tuple[str | None, str]:
    """--cell value → (NetworkSpec.cell, NetworkSpec.activation); None: the weights say which."""
    if name is None:
        return None, "tanh"
    return (name, "tanh") if name in ("lstm", "gru") else ("rnn", name)


def _truncation(args) -> Truncation:
    """--truncate K | --k1 K1 --k2 K2 | --random-truncation K (train only) → a Truncation."""
    k, k1, k2 = args.truncate, args.k1, args.k2
    random_k = getattr(args, "random_truncation", None)
    if k is not None and (k1 is not None or k2 is not None):
        raise RnnInputError("give either --truncate K or --k1 K1 --k2 K2, not both")
    if (k1 is None) != (k2 is None):
        raise RnnInputError("--k1 and --k2 go together (or use --truncate K for k1 = k2 = K)")
    if random_k is not None and (k is not None or k1 is not None):
        raise RnnInputError("--random-truncation cannot be combined with --truncate or --k1/--k2")
    if random_k is not None:
        return Truncation("random", 0, random_k)
    if k is not None:
        return Truncation("tbptt", k, k)
    if k1 is not None:
        return Truncation("tbptt", k1, k2)
    return Truncation()


def _add_truncation_options(parser, random: bool) -> None:
    group = parser.add_argument_group("truncation (default: full BPTT)")
    group.add_argument("--truncate", type=int, metavar="K",
                       help="detach every K steps: TBPTT(k1=K, k2=K)")
    group.add_argument("--k1", type=int, metavar="K1", help="TBPTT: losses in segments of K1 steps")
    group.add_argument("--k2", type=int, metavar="K2",
                       help="TBPTT: each segment backpropagates through K2 ≥ K1 steps")
    if random:
        group.add_argument("--random-truncation", type=float, metavar="K",
                           help="randomized truncation with mean length K ≥ 2 (unbiased)")


LOSS_HELP = """\
the loss:
  without --reduction, the engine's teaching loss
      L = (1/B) Σ_t Σ_b m_tb ℓ_tb,   ℓ = ½‖ŷ − y‖² (mse)  or  −log softmax(ŷ)_y (xent),
  summed over the steps that carry a loss (m = 1: every step, or the last with --loss-at last)
  and averaged over the B sequences. --reduction mean|sum gives exactly PyTorch's
  nn.MSELoss(reduction=...) (no ½; over loss steps × sequences × outputs) or
  nn.CrossEntropyLoss(reduction=...) (over loss steps × sequences) applied to the outputs of the
  steps that carry a loss, e.g. loss_fn(fc(out), y) for a loss at every step, or
  loss_fn(fc(out[-1]), y) with --loss-at last; the gradients are those of that loss.

the weights:
  a state_dict (.pt/.pth, read with weights_only=True) or the same arrays in an .npz: one
  nn.RNN/nn.LSTM/nn.GRU under any prefix (rnn., encoder.lstm., none) and one nn.Linear(H, O)
  head under any name (fc, out, head.proj, readout); the cell is read from the gate rows.
"""


def _add_pass_options(parser) -> None:
    """The options that describe one pass: the model, the data, the loss and the truncation."""
    parser.add_argument("--weights", required=True, metavar="W.pt",
                        help="the model's state_dict (.pt, .pth) or its arrays (.npz)")
    parser.add_argument("--inputs", required=True, metavar="X.npy",
                        help="float inputs (T, B, I), or (B, T, I) with --batch-first")
    parser.add_argument("--targets", required=True, metavar="Y.npy",
                        help="mse: float (T, B, O); xent: integer class indices (T, B); batch "
                             "first with --batch-first; with --loss-at last also (B, O) or (B,)")
    parser.add_argument("--batch-first", action="store_true",
                        help="inputs and targets are (B, T, ...), as with batch_first=True "
                             "(h0 and c0 stay (layers, B, H))")
    parser.add_argument("--cell", choices=CELL_CHOICES,
                        help="default: read from the weights (4·H gate rows: lstm, 3·H: gru, H: "
                             "tanh); relu, sigmoid or linear for a vanilla RNN with that nonlinearity")
    parser.add_argument("--head", metavar="NAME",
                        help="the Linear layer applied to h_t, when several fit (e.g. fc)")
    parser.add_argument("--loss", choices=LOSSES, default="mse", help="default mse")
    parser.add_argument("--loss-at", choices=PLACEMENTS, default="all",
                        help="which steps carry a loss (default all)")
    parser.add_argument("--reduction", choices=REDUCTIONS, default="engine",
                        help="mean or sum: PyTorch's loss (see below); default engine")
    parser.add_argument("--h0", metavar="H0.npy", help="initial hidden state (layers, B, H); default 0")
    parser.add_argument("--c0", metavar="C0.npy", help="initial LSTM cell state (layers, B, H); default 0")
    _add_truncation_options(parser, random=False)


FLOAT32_HELP = ("compute in float32 (half the memory, about twice as fast for big models; gradients "
                "within ~1e-6 of the float64 reference, which stays the default)")


def build_parser() -> argparse.ArgumentParser:
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    prog = "python -m rnn" if script in ("", "__main__.py", "-c") or script.endswith(".py") else script
    parser = _Parser(prog=prog, description="BPTT Explorer's engine from the command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grads = commands.add_parser(
        "grads", help="one forward and backward pass: write every gradient and recording",
        description="Run one recorded forward and backward pass of your model on your data and "
                    "write every gradient under the weights file's own key names and shapes "
                    "(rnn.weight_ih_l0, fc.weight, ...), the loss, and the recordings loss_t, h, c "
                    "(LSTM), dh, dh_norm (indexed [layer, t, batch, unit] whatever the data's "
                    "layout) and sensitivity, to a float64 .npz.",
        epilog=LOSS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_pass_options(grads)
    grads.add_argument("--out", required=True, metavar="G.npz", help="where to write the results")
    grads.add_argument("--float32", action="store_true", help=FLOAT32_HELP)
    grads.add_argument("--find-blowup", nargs="?", type=float, const=BLOWUP_THRESHOLD, metavar="X",
                       help="say where the pass first blows up: the first state h/c, output or "
                            "∂L/∂h, ∂L/∂c that is NaN/Inf or exceeds X in magnitude "
                            f"(default {BLOWUP_THRESHOLD:g})")
    grads.set_defaults(run=run_grads)

    check = commands.add_parser(
        "gradcheck", help="compare every gradient with centred finite differences",
        description="Compare the engine's gradient of every parameter with centred differences "
                    "(L(θ + ε) − L(θ − ε)) / 2ε in float64 (of the truncated surrogate loss when "
                    "truncating) and print each parameter's relative error "
                    "‖g − g_fd‖ / max(‖g‖, ‖g_fd‖); exit status 1 if any is above the threshold.",
        epilog=LOSS_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_pass_options(check)
    check.add_argument("--entries", default=str(DEFAULT_ENTRIES), metavar="N|all",
                       help="entries differenced per parameter, drawn at random (default "
                            f"{DEFAULT_ENTRIES}; 'all' for every entry: two passes each)")
    check.add_argument("--eps", type=float, default=DEFAULT_EPS, metavar="ε",
                       help=f"finite-difference step (default {DEFAULT_EPS:g})")
    check.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, metavar="R",
                       help=f"largest relative error that passes (default {DEFAULT_THRESHOLD:g})")
    check.set_defaults(run=run_gradcheck)

    tr = commands.add_parser(
        "train", help="train a network on a task and print a summary",
        description="Train with rnn.training.train; progress on stderr, summary on stdout. "
                    f"Tasks: {', '.join(TASK_NAMES)}.")
    tr.add_argument("--task", required=True, metavar="NAME", help=", ".join(TASK_NAMES))
    tr.add_argument("--steps", required=True, type=int, metavar="N", help="parameter updates")
    tr.add_argument("--cell", choices=CELL_CHOICES, default="tanh", help="default tanh")
    tr.add_argument("--layers", type=int, default=1, metavar="L", help="default 1")
    tr.add_argument("--hidden", type=int, default=32, metavar="H", help="default 32")
    tr.add_argument("--seq-len", type=int, metavar="T", help="default: the task's own")
    tr.add_argument("--batch", type=int, default=16, metavar="B", help="default 16")
    tr.add_argument("--reduction", choices=REDUCTIONS, default="engine",
                    help="the loss trained on: the engine's (default), or PyTorch's mean or sum")
    tr.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="default adam")
    tr.add_argument("--lr", type=float, default=0.01, help="learning rate (default 0.01)")
    tr.add_argument("--clip", choices=CLIP_MODES, default="none", help="default none")
    tr.add_argument("--clip-threshold", type=float, metavar="θ",
                    help=f"threshold for --clip norm|value (default {DEFAULT_CLIP_THRESHOLD:g})")
    _add_truncation_options(tr, random=True)
    tr.add_argument("--init", choices=INITIALISERS, default="pytorch", help="default pytorch")
    scale = tr.add_mutually_exclusive_group()
    scale.add_argument("--radius", type=float, metavar="ρ", help="rescale W_hh to spectral radius ρ")
    scale.add_argument("--sigma", type=float, metavar="σ",
                       help="rescale W_hh to largest singular value σ")
    tr.add_argument("--seed", type=int, default=0, help="seeds initialisation, batches, samples")
    tr.add_argument("--float32", action="store_true", help=FLOAT32_HELP)
    tr.add_argument("--csv", metavar="FILE", help="with --task csv: the CSV file")
    tr.add_argument("--column", metavar="C", help="with --task csv: column name or 0-based index")
    tr.add_argument("--save", metavar="W.npz", help="write the final weights (.npz, .pt or .pth)")
    tr.add_argument("--compare-full", action="store_true",
                    help="also compute the full gradient and report how far the truncated one is")
    tr.set_defaults(run=run_train)
    return parser


# ------------------------------------------------------------------------------------- grads


class PassInputs(NamedTuple):
    """One pass's arguments, read from the command line's files, in the engine's layout."""
    mapping: StateDictMapping
    inputs: np.ndarray
    targets: np.ndarray
    loss_weights: np.ndarray     # (T, B): the loss mask times the --reduction factor
    h0: np.ndarray | None
    c0: np.ndarray | None
    truncation: Truncation

    def run_options(self, args) -> dict:
        return dict(loss=args.loss, loss_at=self.loss_weights, truncation=self.truncation,
                    h0=self.h0, c0=self.c0)


def _read_pass_inputs(args) -> PassInputs:
    truncation = _truncation(args)
    cell, activation = _cell(args.cell)
    mapping = read_params(args.weights, cell, activation, args.head)
    inputs = time_first(load_array(args.inputs, "inputs"), args.batch_first, "inputs")
    if inputs.ndim != 3:
        raise RnnInputError(f"inputs must have shape (T, B, I), got {inputs.shape}")
    T, B = inputs.shape[:2]
    targets = targets_time_first(load_array(args.targets, "targets"), args.loss, args.loss_at, T,
                                 args.batch_first)
    h0 = None if args.h0 is None else load_array(args.h0, "h0")
    c0 = None if args.c0 is None else load_array(args.c0, "c0")
    weights = loss_weights(args.loss, args.loss_at, args.reduction, T, B, mapping.spec.output_size)
    return PassInputs(mapping, inputs, targets, weights, h0, c0, truncation)


def _describe(args, mapping: StateDictMapping, T: int, B: int, truncation: Truncation) -> str:
    spec = mapping.spec
    loss = "the engine's loss" if args.reduction == "engine" else f"PyTorch's reduction='{args.reduction}'"
    ignored = f"; not used: {', '.join(mapping.ignored)}" if mapping.ignored else ""
    return (f"({args.loss}, at {args.loss_at} steps, {loss}) of a {spec.num_layers}-layer "
            f"{spec.label}, hidden {spec.hidden_size}, head {mapping.head or '(no prefix)'}, "
            f"T={T}, B={B}, {truncation.label}{ignored}")


def run_grads(args) -> int:
    check_output_path(args.out)  # before any work, so a typo costs nothing
    if args.find_blowup is not None and not args.find_blowup > 0:
        raise RnnInputError(f"--find-blowup must be a number > 0, got {args.find_blowup:g}")
    data = _read_pass_inputs(args)
    spec, params, file_keys = data.mapping.spec, data.mapping.params, data.mapping.file_keys
    if args.float32:
        params = with_precision(params, np.float32)
    T, B = data.inputs.shape[:2]
    loss_steps = int(np.count_nonzero(np.any(data.loss_weights != 0, axis=1)))
    if needs_lean_pass(spec, T, B, data.truncation, budget=memory_budget(strict=True)):
        return _grads_of_a_lean_pass(args, data, spec, params, T, B)
    sensitivity_bytes = pass_bytes(spec, T, B, True, loss_steps) + 8 * T * T     # (written as the whole T × T)
    with_sensitivity = sensitivity_bytes <= memory_budget(strict=True)
    with np.errstate(all="ignore"):
        record = run_bptt(spec, params, data.inputs, data.targets, **data.run_options(args),
                          with_sensitivity=with_sensitivity)
        grads = record.gradients()
    if args.find_blowup is not None:
        blowup = find_blowup(record, args.find_blowup)
        print(blowup if blowup else f"no blow-up: every state, output and state gradient is "
                                    f"finite and within ±{args.find_blowup:g}")
    failed = _nonfinite(record.loss, grads, file_keys, hint=args.find_blowup is None)
    if failed is not None:
        return failed
    out = _gradients_out(record, grads, file_keys)
    out["h"] = record.h.astype(np.float64)
    if record.c is not None:
        out["c"] = record.c.astype(np.float64)
    out["dh"] = record.dh.astype(np.float64)
    out["dh_norm"] = record.dh_norm.astype(np.float64)
    if with_sensitivity:
        out["sensitivity"] = record.sensitivity.astype(np.float64)
    save_npz(args.out, out)
    print(f"wrote {args.out}: loss {record.loss:.6g} "
          + _describe(args, data.mapping, T, B, data.truncation) + (", in float32" if args.float32 else "")
          + ("" if with_sensitivity else
             f"; no sensitivity matrix: it would take {format_bytes(sensitivity_bytes)}, "
             "beyond the memory budget"))
    return EXIT_OK


def _nonfinite(loss: float, grads: dict, file_keys: dict, hint: bool) -> int | None:
    """Exit status 1 with the message, if the loss or a gradient is NaN/Inf; None otherwise."""
    if not np.isfinite(loss):
        return _fail(EXIT_NONFINITE, "the loss overflowed to NaN or Inf; nothing written"
                     + (" (--find-blowup says where)" if hint else ""))
    for name, g in grads.items():
        if not np.all(np.isfinite(g)):
            return _fail(EXIT_NONFINITE, f"∂L/∂{file_keys[name] or name} overflowed to NaN or Inf; "
                                         "nothing written")
    return None


def _gradients_out(record, grads: dict, file_keys: dict) -> dict:
    """The .npz's gradients under the weights file's keys, the loss and each step's term of it."""
    out = {key: np.asarray(grads[name], dtype=np.float64) for name, key in file_keys.items() if key}
    out["loss"] = np.asarray(record.loss, dtype=np.float64)
    out["loss_t"] = record.loss_t.astype(np.float64)
    return out


def _grads_of_a_lean_pass(args, data, spec, params, T: int, B: int) -> int:
    """``grads`` for a pass whose whole recording would not fit: run as a lean pass (checkpoints,
    each segment computed again, :mod:`rnn.lean`); it writes the gradients, loss, loss_t and
    dh_norm, not the per-unit h, c, dh (each as large as the budget forbids)."""
    if args.find_blowup is not None:
        raise RnnInputError("--find-blowup needs the whole recording, which would not fit the memory budget "
                            "here; lower T or B to look for a blow-up")
    with np.errstate(all="ignore"):
        lean = run_lean(spec, params, data.inputs, data.targets, **data.run_options(args))
        grads = lean.gradients()
    failed = _nonfinite(lean.loss, grads, data.mapping.file_keys, hint=False)
    if failed is not None:
        return failed
    out = _gradients_out(lean, grads, data.mapping.file_keys)
    out["dh_norm"] = lean.norms["dh_norm_batch"][-1].astype(np.float64)
    save_npz(args.out, out)
    print(f"wrote {args.out}: loss {lean.loss:.6g} " + _describe(args, data.mapping, T, B, data.truncation)
          + (", in float32" if args.float32 else "")
          + f"; kept as checkpoints every {lean.steps_per_segment} steps (the whole recording would take "
            f"{format_bytes(pass_bytes(spec, T, B, False))}, beyond the memory budget): h, c, dh and the "
            "sensitivity matrix not written")
    return EXIT_OK


def _entries(text: str) -> int | None:
    if text.strip().lower() == "all":
        return None
    try:
        entries = int(text)
    except ValueError:
        entries = 0
    if entries < 1:
        raise RnnInputError(f"--entries must be a whole number ≥ 1 or 'all', got {text!r}")
    return entries


def run_gradcheck(args) -> int:
    entries = _entries(args.entries)
    for option in ("eps", "threshold"):
        value = getattr(args, option)
        if not (math.isfinite(value) and value > 0):
            raise RnnInputError(f"--{option} must be a finite number > 0, got {value:g}")
    data = _read_pass_inputs(args)
    spec, params = data.mapping.spec, data.mapping.params
    check_pass_fits(spec, *data.inputs.shape[:2], with_sensitivity=False, budget=memory_budget(strict=True))
    start = time.perf_counter()
    with np.errstate(all="ignore"):
        errors = check_gradients(spec, params, data.inputs, data.targets, **data.run_options(args),
                                 eps=args.eps, entries=entries)
    elapsed = time.perf_counter() - start
    rows = [(key, params[name].shape, params[name].size if entries is None else min(entries, params[name].size),
             errors[name]) for name, key in data.mapping.file_keys.items() if key]
    width = max(len("parameter"), *(len(key) for key, *_ in rows))
    print(f"{'parameter':<{width}}  {'shape':<12}  {'entries':>7}  relative error")
    failed = 0
    for key, shape, checked, error in rows:
        bad = not error <= args.threshold          # NaN fails too
        failed += bad
        shape_text = "×".join(map(str, shape))
        print(f"{key:<{width}}  {shape_text:<12}  {checked:>7}  {error:.2e}{'  FAIL' if bad else ''}")
    T, B = data.inputs.shape[:2]
    print(f"{len(rows) - failed} of {len(rows)} within {args.threshold:g} (ε = {args.eps:g}, "
          f"{elapsed:.1f} s) " + _describe(args, data.mapping, T, B, data.truncation))
    return EXIT_NONFINITE if failed else EXIT_OK


# ------------------------------------------------------------------------------------- train


class _Progress:
    """A ``\\r``-updated bar on a terminal; otherwise a plain line about every 10% of the steps."""

    WIDTH = 30

    def __init__(self, total: int, stream):
        self.total, self.stream = total, stream
        try:
            self.tty = stream.isatty()
        except (AttributeError, ValueError):
            self.tty = False
        self.every = max(1, math.ceil(total / 10))
        self.last_draw = 0.0
        self.drawn = False

    def update(self, step: int, loss: float, grad_norm: float) -> None:
        text = f"{step}/{self.total}  loss {loss:.4g}  grad norm {grad_norm:.3g}"
        if self.tty:
            now = time.monotonic()
            if step != self.total and now - self.last_draw < 0.1:
                return
            self.last_draw = now
            filled = round(self.WIDTH * step / self.total)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r[{bar}] {text}\033[K")
            self.drawn = True
        elif step % self.every == 0 or step == self.total:
            self.stream.write(f"step {text}\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.drawn:
            self.stream.write("\n")
            self.stream.flush()
            self.drawn = False


@contextmanager
def _stop_on_ctrl_c():
    """While inside, the first Ctrl-C sets ``flag["stop"]`` (the loop stops after the current
    update); a second one raises KeyboardInterrupt as usual."""
    flag = {"stop": False}

    def handler(signum, frame):
        if flag["stop"]:
            raise KeyboardInterrupt
        flag["stop"] = True

    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: Ctrl-C then arrives as KeyboardInterrupt
        previous = None
    try:
        yield flag
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _make_task(args):
    if args.task != "csv":
        if args.csv is not None or args.column is not None:
            raise RnnInputError("--csv and --column are only for --task csv")
        return get_task(args.task)
    if args.csv is None:
        raise RnnInputError("--task csv needs --csv FILE (and optionally --column NAME or INDEX)")
    try:
        return get_task("csv", path=args.csv, column=args.column)
    except RnnInputError:
        column = args.column
        if column is None or not column.lstrip("-").isdigit():
            raise
        return get_task("csv", path=args.csv, column=int(column))  # an index, not a header name


def _mean(values) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def run_train(args) -> int:
    truncation = _truncation(args)
    if args.save is not None:
        check_params_path(args.save)  # before training, so a typo costs nothing
    if args.steps < 1:
        raise RnnInputError(f"--steps must be at least 1, got {args.steps}")
    if args.batch < 1:
        raise RnnInputError(f"--batch must be at least 1, got {args.batch}")
    threshold = args.clip_threshold
    if args.clip == "none":
        if threshold is not None:
            raise RnnInputError("--clip-threshold needs --clip norm or --clip value")
    elif threshold is None:
        threshold = DEFAULT_CLIP_THRESHOLD
    elif not (math.isfinite(threshold) and threshold > 0):
        raise RnnInputError(f"--clip-threshold must be finite and > 0, got {threshold:g}")
    task = _make_task(args)
    seq_len = task.default_seq_len if args.seq_len is None else args.seq_len
    cell, activation = _cell(args.cell)
    spec = NetworkSpec(cell=cell, activation=activation, input_size=task.input_size,
                       hidden_size=args.hidden, output_size=task.output_size,
                       num_layers=args.layers)
    lean = needs_lean_pass(spec, seq_len, args.batch, truncation, budget=memory_budget(strict=True))
    if lean:
        print(f"each pass kept as checkpoints every {segment_length(seq_len, truncation)} steps: "
              "its whole recording would not fit the memory budget", file=sys.stderr)
    params = init_params(spec, args.init, seed=args.seed, radius=args.radius, sigma_max=args.sigma,
                         dtype=np.float32 if args.float32 else np.float64)
    optimizer = make_optimizer(args.optimizer, args.lr)
    compare = args.compare_full and not truncation.is_full

    losses, cosines, errors = [], [], []
    clipped = 0
    nonfinite = None
    interrupted = forced = False
    progress = _Progress(args.steps, sys.stderr)
    start = time.perf_counter()
    with _stop_on_ctrl_c() as ctrl_c:
        updates = train(spec, params, task, optimizer, steps=args.steps, seq_len=seq_len,
                        batch_size=args.batch, truncation=truncation, clip_mode=args.clip,
                        clip_threshold=threshold, seed=args.seed, compare_full=compare,
                        reduction=args.reduction)
        try:
            for update in updates:
                if not update.finite:
                    nonfinite = update
                    break
                losses.append(update.loss)
                clipped += update.clipped
                if update.cosine_to_full is not None:
                    cosines.append(update.cosine_to_full)
                    errors.append(update.error_to_full)
                progress.update(update.step, update.loss, update.grad_norm)
                if ctrl_c["stop"]:
                    interrupted = True
                    break
        except KeyboardInterrupt:  # a second Ctrl-C, possibly in the middle of an update
            interrupted = forced = True
        finally:
            updates.close()
            progress.close()
    elapsed = time.perf_counter() - start

    saved = None
    if args.save is not None and not forced:
        save_params(args.save, params)
        saved = args.save
    if nonfinite is not None:
        _error(f"training stopped at update {nonfinite.step}: {nonfinite.where_nonfinite} is NaN "
               "or Inf; the weights keep their last finite values"
               + (f", saved to {saved}" if saved else ""))
    elif interrupted:
        print(f"interrupted after {len(losses)} of {args.steps} updates", file=sys.stderr)

    n = len(losses)
    lines = [f"task {task.name} ({task.loss}), {spec.num_layers}-layer {spec.label}, hidden "
             f"{spec.hidden_size}, seq-len {seq_len}, batch {args.batch}, {args.optimizer} lr "
             f"{args.lr:g}, {truncation.label}"]
    if n:
        k = max(1, round(0.1 * n))
        lines.append(f"{n} of {args.steps} updates in {elapsed:.2f} s "
                     f"({n / elapsed if elapsed > 0 else float('inf'):.1f} updates/s)")
        lines.append(f"mean loss: first {k} updates {_mean(losses[:k]):.5g} -> "
                     f"last {k} updates {_mean(losses[-k:]):.5g}")
    else:
        lines.append("no update finished")
    if args.clip != "none":
        lines.append(f"clipped ({args.clip}, threshold {threshold:g}): {clipped} of {n} updates")
    else:
        lines.append("clipping: none")
    if args.compare_full:
        if not compare:
            lines.append("truncated vs full: nothing to compare, the gradient is already full")
        elif cosines:
            lines.append(f"truncated vs full gradient: mean cosine {_mean(cosines):.4f}, "
                         f"mean relative error {_mean(errors):.4f}")
    if task.name == "names" and not forced:
        rng = np.random.default_rng(args.seed)
        names = [sample_text(spec, params, task, rng, max_length=seq_len) or "(empty)"
                 for _ in range(NAME_SAMPLES)]
        lines.append("sampled names: " + ", ".join(names))
    if saved:
        lines.append(f"saved weights to {saved}")
    elif forced and args.save is not None:
        lines.append("not saved: the second Ctrl-C may have stopped an update half-way")
    print("\n".join(lines))
    if nonfinite is not None:
        return EXIT_NONFINITE
    return EXIT_INTERRUPTED if interrupted else EXIT_OK


# -------------------------------------------------------------------------------------- main


def _error(message: str) -> None:
    text = " ".join(str(message).split("\n")).strip()
    print(f"error: {text}", file=sys.stderr)


def _fail(status: int, message: str) -> int:
    _error(message)
    return status


def main(argv=None) -> int:
    """Run the command line; return the exit status (0 ok, 1 NaN/Inf, 2 bad input or an output that
    cannot be written, 130 Ctrl-C)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        return _fail(EXIT_BAD_INPUT, str(exc))
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    try:
        status = args.run(args)
        sys.stdout.flush()
        return status
    except RnnInputError as exc:
        return _fail(EXIT_BAD_INPUT, str(exc))
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return _fail(EXIT_INTERRUPTED, "interrupted; nothing written")
    except OSError as exc:    # the files are written through rnn.io (RnnInputError): this is stdout
        _silence_stdout()
        return _fail(EXIT_BAD_INPUT, f"cannot write the output ({exc.strerror or exc}); files already "
                                     "written are complete")


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's own flush at exit does not fail a second time."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
