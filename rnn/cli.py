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

from .bptt import run_bptt
from .errors import RnnInputError
from .io import check_output_path, check_params_path, load_array, read_params, save_npz, save_params
from .losses import LOSSES, PLACEMENTS
from .optim import CLIP_MODES, OPTIMIZERS, make_optimizer
from .params import INITIALISERS, NetworkSpec, init_params
from .sampling import sample_text
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


def _cell(name: str) -> tuple[str, str]:
    """--cell value → (NetworkSpec.cell, NetworkSpec.activation)."""
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


def build_parser() -> argparse.ArgumentParser:
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    prog = "python -m rnn" if script in ("", "__main__.py", "-c") or script.endswith(".py") else script
    parser = _Parser(prog=prog, description="BPTT Explorer's engine from the command line.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    grads = commands.add_parser(
        "grads", help="one forward and backward pass: write every gradient and recording",
        description="Run one recorded forward and backward pass and write the gradients (same "
                    "names and shapes as the weights), loss, loss_t, h, c (LSTM), dh, dh_norm "
                    "and sensitivity to a float64 .npz.")
    grads.add_argument("--weights", required=True, metavar="W.npz",
                       help="parameters in PyTorch's names (.npz, .pt or .pth)")
    grads.add_argument("--inputs", required=True, metavar="X.npy", help="float inputs (T, B, I)")
    grads.add_argument("--targets", required=True, metavar="Y.npy",
                       help="float (T, B, O) for mse; integer class indices (T, B) for xent")
    grads.add_argument("--out", required=True, metavar="G.npz", help="where to write the results")
    grads.add_argument("--cell", choices=CELL_CHOICES, default="tanh",
                       help="tanh/relu/sigmoid/linear: vanilla RNN with that activation (default tanh)")
    grads.add_argument("--loss", choices=LOSSES, default="mse", help="default mse")
    grads.add_argument("--loss-at", choices=PLACEMENTS, default="all",
                       help="which steps carry a loss (default all)")
    grads.add_argument("--h0", metavar="H0.npy", help="initial hidden state (layers, B, H); default 0")
    grads.add_argument("--c0", metavar="C0.npy", help="initial LSTM cell state (layers, B, H); default 0")
    _add_truncation_options(grads, random=False)
    grads.set_defaults(run=run_grads)

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
    tr.add_argument("--csv", metavar="FILE", help="with --task csv: the CSV file")
    tr.add_argument("--column", metavar="C", help="with --task csv: column name or 0-based index")
    tr.add_argument("--save", metavar="W.npz", help="write the final weights (.npz, .pt or .pth)")
    tr.add_argument("--compare-full", action="store_true",
                    help="also compute the full gradient and report how far the truncated one is")
    tr.set_defaults(run=run_train)
    return parser


# ------------------------------------------------------------------------------------- grads


def run_grads(args) -> int:
    truncation = _truncation(args)
    check_output_path(args.out)  # before any work, so a typo costs nothing
    cell, activation = _cell(args.cell)
    spec, params, file_keys = read_params(args.weights, cell, activation)
    inputs = load_array(args.inputs, "inputs")
    targets = load_array(args.targets, "targets")
    h0 = None if args.h0 is None else load_array(args.h0, "h0")
    c0 = None if args.c0 is None else load_array(args.c0, "c0")
    with np.errstate(all="ignore"):
        record = run_bptt(spec, params, inputs, targets, loss=args.loss, loss_at=args.loss_at,
                          truncation=truncation, h0=h0, c0=c0)
        grads = record.gradients()
    if not np.isfinite(record.loss):
        return _fail(EXIT_NONFINITE, "the loss overflowed to NaN or Inf; nothing written")
    for name, g in grads.items():
        if not np.all(np.isfinite(g)):
            return _fail(EXIT_NONFINITE, f"∂L/∂{name} overflowed to NaN or Inf; nothing written")
    out = {file_keys[name]: np.asarray(grads[name], dtype=np.float64) for name in params}
    out["loss"] = np.asarray(record.loss, dtype=np.float64)
    out["loss_t"] = record.loss_t.astype(np.float64)
    out["h"] = record.h.astype(np.float64)
    if record.c is not None:
        out["c"] = record.c.astype(np.float64)
    out["dh"] = record.dh.astype(np.float64)
    out["dh_norm"] = record.dh_norm.astype(np.float64)
    out["sensitivity"] = record.sensitivity.astype(np.float64)
    save_npz(args.out, out)
    T, B = record.seq_len, record.batch_size
    print(f"wrote {args.out}: loss {record.loss:.6g} ({args.loss}, at {args.loss_at} steps) of a "
          f"{spec.num_layers}-layer {spec.label}, hidden {spec.hidden_size}, T={T}, B={B}, "
          f"{truncation.label}")
    return EXIT_OK


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
    params = init_params(spec, args.init, seed=args.seed, radius=args.radius, sigma_max=args.sigma)
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
                        clip_threshold=threshold, seed=args.seed, compare_full=compare)
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
    """Run the command line; return the exit status (0 ok, 1 NaN/Inf, 2 bad input, 130 Ctrl-C)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as exc:
        return _fail(EXIT_BAD_INPUT, str(exc))
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    try:
        return args.run(args)
    except RnnInputError as exc:
        return _fail(EXIT_BAD_INPUT, str(exc))
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return _fail(EXIT_INTERRUPTED, "interrupted; nothing written")
