"""Benchmark the NumPy BPTT engine against PyTorch, and the cost of the sensitivity matrix.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_engine.py             # full run
    .venv/bin/python benchmarks/bench_engine.py --quick     # fewer repeats, for a smoke test
    .venv/bin/python benchmarks/bench_engine.py --repeats 15 --cells rnn gru
    .venv/bin/python benchmarks/bench_engine.py --no-sensitivity      # skip the slow sensitivity runs
    .venv/bin/python benchmarks/bench_engine.py --engine-dir /tmp/copy  # time a modified copy of rnn/

Without PyTorch installed (or with ``--no-torch``) only the engine's times are printed.

What is timed, per cell (vanilla tanh RNN, LSTM, GRU), one layer, float64, one thread:

- engine: ``run_bptt(spec, params, x, y, with_sensitivity=False)`` then ``record.gradients()``:
  the forward pass, the readout and ½‖ŷ − y‖² loss at every step, the full backward pass and the
  summed parameter gradients.
- torch: ``nn.RNN(nonlinearity="tanh")`` / ``nn.LSTM`` / ``nn.GRU`` forward + ``nn.Linear`` readout
  + the same loss at every step + ``loss.backward()``, with the engine's weights copied in
  (the gradients are checked against the engine's once, before timing).
- reused: the engine again, its recording's arrays taken from one ``rnn.bptt.Buffers`` kept across
  the runs (as training's passes take them): the same arithmetic without fresh memory, whose page
  faults on a virtual machine cost a large pass up to 3.5 s of system time (an LSTM at B = 32,
  T = 1000, H = 256 records 2.2 GB a pass).
- sensitivity: ``run_bptt(..., with_sensitivity=True)`` minus ``run_bptt(..., with_sensitivity=False)``,
  divided by the latter (the plain pass, without ``gradients()``; target ≤ 3×).

- lean: for the vanilla RNN, a hand-written NumPy loop doing the same forward, loss, backward and
  gradients and nothing else (no recording beyond h, no truncation, no stepping): the floor of
  NumPy's own per-call cost, which the engine should come within 1.2× of.
- memory (``--memory``): the peak memory and time of an LSTM pass at T = 10,000, H = 256 kept as
  checkpoints (``rnn.lean``) against the whole recording, at B = 1 (target < 1 GB) and B = 32.
- training (``--training``): updates per second of the engine's own ``train`` loop at the
  lessons' sizes against the same loop in PyTorch (the same batches, loss, norm clipping and Adam),
  each update including its batch's sampling.

The machine is shared, so runs of the competitors are interleaved and the median is reported.
Targets for engine/torch: ≤ 0.25× at B=1 (where per-call overhead dominates), ≤ 0.8× at B=32,
T=200, H=128 and ≤ 1.0× at B=32, T=1000, H=256 (where the arithmetic dominates); training ≥ 2×
PyTorch's updates per second.
"""

import os

# Pin BLAS (and torch's OpenMP) to one thread before NumPy / torch are imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import gc  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
NetworkSpec = init_params = run_bptt = Buffers = None   # bound by load_engine()

try:
    import torch
except ImportError:  # torch is optional: engine times only
    torch = None

CELLS = ("rnn", "lstm", "gru")
INPUT_SIZE = OUTPUT_SIZE = 8
# (B, T, H, engine/torch target)
CONFIGS = ((1, 100, 64, 0.25), (32, 200, 128, 0.8), (32, 1000, 256, 1.0))
LARGE_CONFIG_REPEATS = 3          # the T = 1000, H = 256 runs take seconds each
SENSITIVITY_TARGET = 3.0
LEAN_TARGET = 1.2
# the lessons' training sizes: (cell, task, T, H, B), Adam 0.02, norm clipping at 1
TRAINING_CONFIGS = (("rnn", "adding", 20, 16, 32), ("lstm", "adding", 20, 16, 32), ("gru", "adding", 20, 16, 32),
                    ("gru", "copy_memory", 20, 32, 32))
TRAINING_TARGET = 2.0


def load_engine(engine_dir=None):
    """Import the ``rnn`` package from ``engine_dir`` (default: this repository)."""
    global NetworkSpec, init_params, run_bptt, Buffers
    sys.path.insert(0, str(Path(engine_dir).resolve() if engine_dir else REPO))
    import rnn
    from rnn.bptt import Buffers
    NetworkSpec, init_params, run_bptt = rnn.NetworkSpec, rnn.init_params, rnn.run_bptt
    return rnn


def make_problem(cell, B, T, H, seed=0):
    if NetworkSpec is None:
        load_engine()
    spec = NetworkSpec(cell=cell, activation="tanh", input_size=INPUT_SIZE, hidden_size=H,
                       output_size=OUTPUT_SIZE, num_layers=1)
    params = init_params(spec, "pytorch", seed=seed)
    rng = np.random.default_rng(seed + 1)
    inputs = rng.standard_normal((T, B, INPUT_SIZE))
    targets = rng.standard_normal((T, B, OUTPUT_SIZE))
    return spec, params, inputs, targets


# --- the engine ---------------------------------------------------------------------------------

def engine_once(spec, params, inputs, targets, buffers=None):
    """(seconds of run_bptt without sensitivity, seconds of gradients(), gradients); ``buffers``:
    a Buffers whose arrays the recording takes again (as training's passes do)."""
    t0 = time.perf_counter()
    record = run_bptt(spec, params, inputs, targets, with_sensitivity=False, buffers=buffers)
    t1 = time.perf_counter()
    grads = record.gradients()
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, grads


def lean_rnn_once(params, x, y):
    """The vanilla tanh RNN's forward pass, the engine's loss L = (1/B) Σ_t Σ_b ½‖ŷ − y‖² at every
    step, full BPTT and every gradient, written as tightly as NumPy allows; returns (seconds, grads).

        h_t = tanh(W_ih x_t + b + W_hh h_{t−1}),  ŷ_t = W_hy h_t + b_y
        ∂L/∂a_t = (W_hyᵀ ∂L/∂ŷ_t + W_hhᵀ ∂L/∂a_{t+1}) ⊙ (1 − h_t²)
    """
    t0 = time.perf_counter()
    W_ih, W_hh, W_hy, b_y = params["weight_ih_l0"], params["weight_hh_l0"], params["readout.weight"], params["readout.bias"]
    T, B, _ = x.shape
    a = x @ W_ih.T + (params["bias_ih_l0"] + params["bias_hh_l0"])
    h = np.empty((T, B, W_hh.shape[0]))
    h_prev, W_hh_T = np.zeros((B, W_hh.shape[0])), W_hh.T
    for t in range(T):                      # (np.dot: half of @'s call cost on a (B, H) row at B = 1)
        h_prev = np.tanh(a[t] + np.dot(h_prev, W_hh_T), out=h[t])
    dy = (h @ W_hy.T + b_y - y) / B
    from_loss, dphi = dy @ W_hy, 1.0 - h * h
    da, carry = np.empty_like(h), np.zeros_like(h_prev)
    for t in range(T - 1, -1, -1):
        carry = np.dot(np.multiply(from_loss[t] + carry, dphi[t], out=da[t]), W_hh)
    flat = lambda z: z.reshape(-1, z.shape[-1])
    grads = {"weight_ih_l0": flat(da).T @ flat(x), "weight_hh_l0": flat(da[1:]).T @ flat(h[:-1]),
             "bias_ih_l0": da.sum(axis=(0, 1)), "readout.weight": flat(dy).T @ flat(h),
             "readout.bias": dy.sum(axis=(0, 1))}
    grads["bias_hh_l0"] = grads["bias_ih_l0"]
    return time.perf_counter() - t0, grads


def engine_sensitivity_once(spec, params, inputs, targets):
    t0 = time.perf_counter()
    run_bptt(spec, params, inputs, targets, with_sensitivity=True)
    return time.perf_counter() - t0


# --- PyTorch ------------------------------------------------------------------------------------

class TorchProblem:
    """The same network, weights, data and loss in PyTorch (CPU, float64, one thread)."""

    def __init__(self, spec, params, inputs, targets, dtype=None):
        kind = {"rnn": lambda: torch.nn.RNN(spec.input_size, spec.hidden_size, nonlinearity="tanh"),
                "lstm": lambda: torch.nn.LSTM(spec.input_size, spec.hidden_size),
                "gru": lambda: torch.nn.GRU(spec.input_size, spec.hidden_size)}[spec.cell]
        dtype = dtype or torch.float64
        self.rnn = kind().to(dtype)
        self.readout = torch.nn.Linear(spec.hidden_size, spec.output_size).to(dtype)
        with torch.no_grad():
            for name, p in self.rnn.named_parameters():          # weight_ih_l0, …: the engine's names
                p.copy_(torch.from_numpy(params[name]))
            self.readout.weight.copy_(torch.from_numpy(params["readout.weight"]))
            self.readout.bias.copy_(torch.from_numpy(params["readout.bias"]))
        self.x = torch.from_numpy(np.ascontiguousarray(inputs))
        self.y = torch.from_numpy(np.ascontiguousarray(targets))
        self.batch = inputs.shape[1]
        self.parameters = list(self.rnn.parameters()) + list(self.readout.parameters())

    def once(self):
        for p in self.parameters:
            p.grad = None
        t0 = time.perf_counter()
        out, _ = self.rnn(self.x)                                  # (T, B, H), zero initial state
        yhat = self.readout(out)                                   # (T, B, O)
        loss = 0.5 * ((yhat - self.y) ** 2).sum() / self.batch     # the engine's L: Σ_t (1/B) Σ_b ½‖ŷ−y‖²
        loss.backward()
        return time.perf_counter() - t0

    def gradients(self):
        grads = {name: p.grad.numpy() for name, p in self.rnn.named_parameters()}
        grads["readout.weight"] = self.readout.weight.grad.numpy()
        grads["readout.bias"] = self.readout.bias.grad.numpy()
        return grads


def max_relative_error(a: dict, b: dict) -> float:
    return max(float(np.max(np.abs(a[k] - b[k])) / max(np.max(np.abs(b[k])), 1e-300)) for k in b)


# --- timing -------------------------------------------------------------------------------------

def timed(fn):
    """Run fn with the garbage collector off (as timeit does)."""
    gc.collect()
    gc.disable()
    try:
        return fn()
    finally:
        gc.enable()


def bench_config(cell, B, T, H, repeats, sens_repeats, use_torch, warmup):
    spec, params, inputs, targets = make_problem(cell, B, T, H)
    tp = TorchProblem(spec, params, inputs, targets) if use_torch else None
    err = None
    # warm-up (and the gradient check)
    for _ in range(warmup):
        _, _, grads = engine_once(spec, params, inputs, targets)
        if tp is not None:
            tp.once()
    if tp is not None:
        err = max_relative_error(grads, tp.gradients())

    lean = cell == "rnn"
    lean_err = max_relative_error(lean_rnn_once(params, inputs, targets)[1], grads) if lean else None
    pass_s, grad_s, torch_s, sens_s, lean_s, reused_s = [], [], [], [], [], []
    buffers = Buffers()
    for r in range(max(repeats, sens_repeats)):
        order = [0, 1, 2, 3] if r % 2 == 0 else [3, 2, 1, 0]      # alternate who goes first
        for who in order:
            if r >= repeats:
                continue
            if who == 0:
                a, g, _ = timed(lambda: engine_once(spec, params, inputs, targets))
                pass_s.append(a)
                grad_s.append(g)
            elif who == 3:
                a, g, _ = timed(lambda: engine_once(spec, params, inputs, targets, buffers))
                reused_s.append(a + g)
            elif who == 1 and tp is not None:
                torch_s.append(timed(tp.once))
            elif who == 2 and lean:
                lean_s.append(timed(lambda: lean_rnn_once(params, inputs, targets))[0])
        if r < sens_repeats:
            if r >= repeats:                                       # keep a plain pass next to it
                a, g, _ = timed(lambda: engine_once(spec, params, inputs, targets))
                pass_s.append(a)
                grad_s.append(g)
            sens_s.append(timed(lambda: engine_sensitivity_once(spec, params, inputs, targets)))

    med = lambda xs: statistics.median(xs) * 1e3 if xs else float("nan")
    engine_ms = med([a + g for a, g in zip(pass_s, grad_s)])
    return {
        "cell": cell, "B": B, "T": T, "H": H,
        "engine_ms": engine_ms, "pass_ms": med(pass_s), "grad_ms": med(grad_s), "reused_ms": med(reused_s),
        "torch_ms": med(torch_s) if tp is not None else None,
        "sens_ms": med(sens_s) if sens_s else None,
        "lean_ms": med(lean_s) if lean_s else None, "lean_err": lean_err,
        "grad_err": err,
    }


def print_tables(rows, targets):
    print()
    head = (f"{'cell':<5} {'B':>3} {'T':>4} {'H':>4} {'engine ms':>10} {'torch ms':>9} "
            f"{'eng/torch':>9} {'target':>7} {'result':>6} {'grad err':>9} {'reused ms':>10} {'reused/torch':>12}")
    print("Forward + full BPTT + gradients (median)")
    print(head)
    print("-" * len(head))
    for row in rows:
        target = targets[(row["B"], row["T"], row["H"])]
        if row["torch_ms"] is None:
            print(f"{row['cell']:<5} {row['B']:>3} {row['T']:>4} {row['H']:>4} "
                  f"{row['engine_ms']:>10.2f} {'-':>9} {'-':>9} {f'≤{target:g}×':>7} {'-':>6} {'-':>9}")
            continue
        ratio = row["engine_ms"] / row["torch_ms"]
        verdict = "PASS" if ratio <= target else "FAIL"
        print(f"{row['cell']:<5} {row['B']:>3} {row['T']:>4} {row['H']:>4} {row['engine_ms']:>10.2f} "
              f"{row['torch_ms']:>9.2f} {ratio:>8.2f}× {f'≤{target:g}×':>7} {verdict:>6} "
              f"{row['grad_err']:>9.1e} {row['reused_ms']:>10.2f} {row['reused_ms'] / row['torch_ms']:>11.2f}×")
    print("  engine ms = run_bptt(with_sensitivity=False) + record.gradients(); "
          "grad err = max relative difference from torch's gradients;\n"
          "  reused ms = the same with the recording's arrays taken again from one Buffers (as training's "
          "passes are):\n  without the cost of fresh memory, which on a virtual machine can be most of a large pass")

    lean_rows = [row for row in rows if row["lean_ms"] is not None]
    if lean_rows:
        print()
        print("The vanilla RNN against a lean hand-written NumPy loop (the same work, nothing recorded)")
        head = f"{'B':>3} {'T':>4} {'H':>4} {'engine ms':>10} {'lean ms':>8} {'eng/lean':>9} {'target':>7} {'result':>6} {'grad err':>9}"
        print(head)
        print("-" * len(head))
        for row in lean_rows:
            ratio = row["engine_ms"] / row["lean_ms"]
            print(f"{row['B']:>3} {row['T']:>4} {row['H']:>4} {row['engine_ms']:>10.2f} {row['lean_ms']:>8.2f} "
                  f"{ratio:>8.2f}× {f'≤{LEAN_TARGET:.1f}×':>7} {'PASS' if ratio <= LEAN_TARGET else 'FAIL':>6} "
                  f"{row['lean_err']:>9.1e}")

    if any(row["sens_ms"] is not None for row in rows):
        print()
        print("Sensitivity matrix cost: (run_bptt with − without sensitivity) / without (median)")
        head = (f"{'cell':<5} {'B':>3} {'T':>4} {'H':>4} {'plain ms':>9} {'w/ sens ms':>11} "
                f"{'extra':>8} {'target':>7} {'result':>6}")
        print(head)
        print("-" * len(head))
        for row in rows:
            if row["sens_ms"] is None:
                continue
            extra = (row["sens_ms"] - row["pass_ms"]) / row["pass_ms"]
            verdict = "PASS" if extra <= SENSITIVITY_TARGET else "FAIL"
            print(f"{row['cell']:<5} {row['B']:>3} {row['T']:>4} {row['H']:>4} {row['pass_ms']:>9.2f} "
                  f"{row['sens_ms']:>11.2f} {extra:>7.2f}× {f'≤{SENSITIVITY_TARGET:.1f}×':>7} {verdict:>6}")


# --- float32 ---------------------------------------------------------------------------------------

def bench_float32(cell, B, T, H, repeats, use_torch):
    """The engine in float32 against the engine in float64 and PyTorch in float32 (medians of
    interleaved runs), and the float32 gradients' largest relative error from the float64 ones."""
    from rnn.params import with_precision
    spec, params, inputs, targets = make_problem(cell, B, T, H)
    params32 = with_precision(params, np.float32)
    exact = engine_once(spec, params, inputs, targets)[2]
    single = engine_once(spec, params32, inputs, targets)[2]
    error = max_relative_error({k: v.astype(np.float64) for k, v in single.items()}, exact)
    tp = None
    if use_torch:
        torch.set_default_dtype(torch.float32)
        tp = TorchProblem(spec, params32, inputs.astype(np.float32), targets.astype(np.float32), torch.float32)
        torch.set_default_dtype(torch.float64)
        tp.once()
    e64, e32, t32 = [], [], []
    for r in range(repeats):
        for who in ([0, 1, 2] if r % 2 == 0 else [2, 1, 0]):
            if who == 0:
                e64.append(sum(timed(lambda: engine_once(spec, params, inputs, targets))[:2]))
            elif who == 1:
                e32.append(sum(timed(lambda: engine_once(spec, params32, inputs, targets))[:2]))
            elif tp is not None:
                t32.append(timed(tp.once))
    med = lambda xs: statistics.median(xs) * 1e3 if xs else None
    return {"cell": cell, "B": B, "T": T, "H": H, "e64": med(e64), "e32": med(e32), "t32": med(t32), "error": error}


def print_float32(rows):
    print()
    print("Optional float32 (median ms): the engine in float64 and float32, PyTorch in float32")
    head = (f"{'cell':<5} {'B':>3} {'T':>4} {'H':>4} {'f64 ms':>8} {'f32 ms':>8} {'f32/f64':>8} {'torch f32':>10} "
            f"{'f32/torch':>10} {'err vs f64':>11}")
    print(head)
    print("-" * len(head))
    for row in rows:
        torch_part = (f"{row['t32']:>10.2f} {row['e32'] / row['t32']:>9.2f}×" if row["t32"] else f"{'-':>10} {'-':>10}")
        print(f"{row['cell']:<5} {row['B']:>3} {row['T']:>4} {row['H']:>4} {row['e64']:>8.2f} {row['e32']:>8.2f} "
              f"{row['e32'] / row['e64']:>7.2f}× {torch_part} {row['error']:>11.1e}")
    print("  err vs f64 = largest relative difference of the float32 gradients from the float64 ones")


# --- training at the lessons' sizes --------------------------------------------------------------

def bench_training(cell, task_name, T, H, B, updates, rounds, use_torch, lr=0.02, clip=1.0):
    """Updates per second of the engine's ``train`` and of the same loop in PyTorch (medians over
    interleaved rounds of ``updates`` updates), and the two runs' losses after the first round."""
    from rnn.optim import make_optimizer
    from rnn.tasks import TASKS
    from rnn.training import train
    task = TASKS[task_name]
    spec = NetworkSpec(cell=cell, activation="tanh", input_size=task.input_size, hidden_size=H,
                       output_size=task.output_size, num_layers=1)

    def engine_round(params, optimizer, seed):
        t0 = time.perf_counter()
        losses = [u.loss for u in train(spec, params, task, optimizer, steps=updates, seq_len=T, batch_size=B,
                                        clip_mode="norm", clip_threshold=clip, seed=seed)]
        return time.perf_counter() - t0, losses

    def torch_round(tp, optimizer, seed):
        batches = np.random.default_rng(seed)
        losses = []
        t0 = time.perf_counter()
        for _ in range(updates):
            batch = task.sample(B, T, batches)
            x, y = torch.from_numpy(batch.inputs), torch.from_numpy(batch.targets)
            weight = torch.from_numpy(batch.loss_mask / B)                   # (T, B): m_{t,b} / B
            optimizer.zero_grad()
            out, _ = tp.rnn(x)
            yhat = tp.readout(out)
            if task.loss == "mse":
                loss = (weight[..., None] * 0.5 * (yhat - y) ** 2).sum()
            else:
                loss = (weight * torch.nn.functional.cross_entropy(yhat.permute(1, 2, 0), y.T, reduction="none").T).sum()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(tp.parameters, clip)
            optimizer.step()
            losses.append(loss.item())
        return time.perf_counter() - t0, losses

    params = init_params(spec, "pytorch", seed=0)
    engine_params = {name: value.copy() for name, value in params.items()}
    engine_optimizer = make_optimizer("adam", lr)
    tp = torch_optimizer = None
    if use_torch:
        batch = task.sample(B, T, np.random.default_rng(0))
        tp = TorchProblem(spec, params, batch.inputs, batch.targets)
        torch_optimizer = torch.optim.Adam(tp.parameters, lr=lr)
    engine_s, torch_s, first = [], [], {}
    for r in range(rounds):
        for who in ([0, 1] if r % 2 == 0 else [1, 0]):
            if who == 0:
                seconds, losses = timed(lambda: engine_round(engine_params, engine_optimizer, r))
                engine_s.append(seconds)
                first.setdefault("engine", losses)
            elif tp is not None:
                seconds, losses = timed(lambda: torch_round(tp, torch_optimizer, r))
                torch_s.append(seconds)
                first.setdefault("torch", losses)
    per_second = lambda xs: updates / statistics.median(xs) if xs else None
    agree = None
    if "torch" in first:
        agree = max(abs(a - b) / max(abs(b), 1e-300) for a, b in zip(first["engine"], first["torch"]))
    return {"cell": cell, "task": task_name, "T": T, "H": H, "B": B, "engine": per_second(engine_s),
            "torch": per_second(torch_s), "loss_err": agree, "updates": updates}


def print_training(rows):
    print()
    print("Training at the lessons' sizes (Adam, norm clipping; updates per second, median; each "
          "update samples its batch)")
    head = (f"{'cell':<5} {'task':<12} {'T':>3} {'H':>3} {'B':>3} {'engine/s':>9} {'torch/s':>8} {'speed-up':>9} "
            f"{'target':>7} {'result':>6} {'loss err':>9}")
    print(head)
    print("-" * len(head))
    for row in rows:
        if row["torch"] is None:
            print(f"{row['cell']:<5} {row['task']:<12} {row['T']:>3} {row['H']:>3} {row['B']:>3} {row['engine']:>9.1f}")
            continue
        ratio = row["engine"] / row["torch"]
        print(f"{row['cell']:<5} {row['task']:<12} {row['T']:>3} {row['H']:>3} {row['B']:>3} {row['engine']:>9.1f} "
              f"{row['torch']:>8.1f} {ratio:>8.2f}× {f'≥{TRAINING_TARGET:.0f}×':>7} "
              f"{'PASS' if ratio >= TRAINING_TARGET else 'FAIL':>6} {row['loss_err']:>9.1e}")
    print("  loss err = largest relative difference of the two runs' losses over the first round "
          "(the same weights, batches and optimizer: it stays at rounding)")


MEMORY_CONFIGS = [(1, 10_000, 256, True), (32, 10_000, 256, False)]   # (B, T, H, also the whole recording)
MEMORY_TARGET = 1e9                                                   # bytes, at B = 1


def bench_memory(engine, B: int, T: int, H: int, whole: bool):
    """Peak memory (tracemalloc: NumPy's arrays) and time of an LSTM pass at T = 10,000, kept as
    checkpoints (rnn.lean) and, where it fits, recorded whole; the largest relative difference of
    their gradients."""
    import tracemalloc
    from rnn.lean import run_lean
    from rnn.memory import pass_bytes
    spec = engine.NetworkSpec(cell="lstm", input_size=INPUT_SIZE, hidden_size=H, output_size=INPUT_SIZE)
    params = engine.init_params(spec, seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((T, B, INPUT_SIZE)), rng.standard_normal((T, B, INPUT_SIZE))
    row = {"B": B, "T": T, "H": H, "whole_estimate": pass_bytes(spec, T, B, False)}
    runs = [("lean", lambda: run_lean(spec, params, x, y, loss_at="last"))]
    if whole:
        runs.append(("whole", lambda: engine.run_bptt(spec, params, x, y, loss_at="last", with_sensitivity=False)))
    grads = {}
    for name, run in runs:
        tracemalloc.start()
        start = time.perf_counter()
        result = run()
        grads[name] = result.gradients()
        row[f"{name}_s"] = time.perf_counter() - start
        row[f"{name}_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del result
    row["grad_err"] = (max(np.abs(grads["lean"][k] - g).max() / np.abs(g).max() for k, g in grads["whole"].items())
                       if whole else None)
    return row


def print_memory(rows):
    print()
    print("Long sequences: an LSTM pass, loss at the last step, kept as checkpoints every √T steps (rnn.lean) "
          "against recorded whole (peak of NumPy's arrays, tracemalloc)")
    head = (f"{'B':>3} {'T':>6} {'H':>4} {'lean peak':>10} {'whole peak':>11} {'lean s':>7} {'whole s':>8} "
            f"{'time ×':>7} {'grad err':>9} {'target':>8}")
    print(head)
    print("-" * len(head))
    for row in rows:
        whole = row.get("whole_peak")
        print(f"{row['B']:>3} {row['T']:>6} {row['H']:>4} {row['lean_peak'] / 1e6:>7.1f} MB "
              + (f"{whole / 1e6:>8.1f} MB {row['lean_s']:>7.2f} {row['whole_s']:>8.2f} "
                 f"{row['lean_s'] / row['whole_s']:>6.2f}× {row['grad_err']:>9.1e}" if whole else
                 f"{'(' + format(row['whole_estimate'] / 1e9, '.1f') + ' GB)':>11} {row['lean_s']:>7.2f} "
                 f"{'':>8} {'':>7} {'':>9}")
              + (f" {'< 1 GB':>8} {'PASS' if row['lean_peak'] < MEMORY_TARGET else 'FAIL'}" if row["B"] == 1 else ""))
    print("  (whole): the estimate of the whole recording, not run; grad err: the largest difference of any "
          "gradient, relative to its largest entry")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed runs per config and competitor (default 9; 3 with --quick)")
    parser.add_argument("--sens-repeats", type=int, default=None,
                        help="timed with-sensitivity runs per config (default 5; 1 with --quick)")
    parser.add_argument("--quick", action="store_true", help="few repeats, one warm-up: a smoke test")
    parser.add_argument("--cells", nargs="+", choices=CELLS, default=list(CELLS))
    parser.add_argument("--no-torch", action="store_true", help="engine times only")
    parser.add_argument("--no-sensitivity", action="store_true", help="skip the sensitivity cost")
    parser.add_argument("--no-large", action="store_true", help="skip the B=32, T=1000, H=256 config")
    parser.add_argument("--float32", action="store_true",
                        help="also time the engine in float32 against float64 and PyTorch's float32")
    parser.add_argument("--training", action="store_true",
                        help="also time training at the lessons' sizes against the same loop in PyTorch")
    parser.add_argument("--memory", action="store_true",
                        help="also measure an LSTM pass at T = 10,000, H = 256 kept as checkpoints against recorded whole")
    parser.add_argument("--engine-dir", metavar="DIR",
                        help="import the rnn package from DIR instead (to benchmark a modified copy)")
    args = parser.parse_args(argv)
    engine = load_engine(args.engine_dir)
    repeats = args.repeats or (3 if args.quick else 9)
    sens_repeats = 0 if args.no_sensitivity else (args.sens_repeats or (1 if args.quick else 5))
    warmup = 1 if args.quick else 2

    use_torch = torch is not None and not args.no_torch
    if use_torch:
        torch.set_num_threads(1)
        torch.set_default_dtype(torch.float64)
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch is not None else 'not installed'}"
          f"{' (not used)' if torch is not None and not use_torch else ''}; "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}"
          f"{f', torch threads {torch.get_num_threads()}' if use_torch else ''}; "
          f"I = O = {INPUT_SIZE}, 1 layer, float64, repeats {repeats}, sensitivity repeats {sens_repeats}")
    print(f"engine: {Path(engine.__file__).parent}")
    if torch is None:
        print("PyTorch is not installed: engine times only.")

    rows = []
    for B, T, H, _ in CONFIGS:
        if args.no_large and T >= 1000:
            continue
        large = T >= 1000
        for cell in args.cells:
            t0 = time.perf_counter()
            row = bench_config(cell, B, T, H, min(repeats, LARGE_CONFIG_REPEATS) if large else repeats,
                               0 if large else sens_repeats, use_torch, 1 if large else warmup)
            rows.append(row)
            print(f"  {cell:<4} B={B:<3} T={T:<4} H={H:<4} engine {row['engine_ms']:8.2f} ms"
                  + (f"  torch {row['torch_ms']:8.2f} ms" if row["torch_ms"] is not None else "")
                  + (f"  with sensitivity {row['sens_ms']:9.2f} ms" if row["sens_ms"] is not None else "")
                  + f"   ({time.perf_counter() - t0:.1f} s)", flush=True)
    print_tables(rows, {(B, T, H): target for B, T, H, target in CONFIGS})
    if args.float32:
        float32_rows = [bench_float32(cell, B, T, H, min(repeats, LARGE_CONFIG_REPEATS) if T >= 1000 else repeats,
                                      use_torch)
                        for B, T, H, _ in CONFIGS if B > 1 and not (args.no_large and T >= 1000) for cell in args.cells]
        print_float32(float32_rows)
    if args.training:
        training_rows = [bench_training(*config, updates=20 if args.quick else 100, rounds=1 if args.quick else 3,
                                        use_torch=use_torch) for config in TRAINING_CONFIGS]
        print_training(training_rows)
    if args.memory:
        print_memory([bench_memory(engine, *config) for config in MEMORY_CONFIGS])
    return rows


if __name__ == "__main__":
    main()
