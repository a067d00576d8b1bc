"""Tests for the command line, ``python -m rnn`` (rnn/cli.py), run in-process through main()."""

import io
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rnn import cli
from rnn.bptt import run_bptt
from rnn.io import load_params, save_params
from rnn.optim import make_optimizer
from rnn.params import NetworkSpec, init_params
from rnn.tasks import get_task
from rnn.training import train
from rnn.truncation import Truncation

ROOT = Path(__file__).resolve().parent.parent
GRAD_KEYS = ("loss", "loss_t", "h", "dh", "dh_norm", "sensitivity")


def make_problem(folder, spec, T=6, B=3, loss="mse", seed=0, with_states=False):
    """Write W.npz, X.npy, Y.npy (and H0.npy, C0.npy) for ``spec``; return the paths and arrays."""
    rng = np.random.default_rng(seed)
    params = init_params(spec, seed=seed)
    x = rng.standard_normal((T, B, spec.input_size))
    if loss == "mse":
        y = rng.standard_normal((T, B, spec.output_size))
    else:
        y = rng.integers(0, spec.output_size, size=(T, B))
    files = {"W": folder / "W.npz", "X": folder / "X.npy", "Y": folder / "Y.npy"}
    save_params(files["W"], params)
    np.save(files["X"], x)
    np.save(files["Y"], y)
    arrays = {"params": params, "x": x, "y": y}
    if with_states:
        shape = (spec.num_layers, B, spec.hidden_size)
        arrays["h0"] = 0.5 * rng.standard_normal(shape)
        files["H0"] = folder / "H0.npy"
        np.save(files["H0"], arrays["h0"])
        if spec.has_cell_state:
            arrays["c0"] = 0.5 * rng.standard_normal(shape)
            files["C0"] = folder / "C0.npy"
            np.save(files["C0"], arrays["c0"])
    return files, arrays


def grads_argv(files, out, *extra):
    return ["grads", "--weights", str(files["W"]), "--inputs", str(files["X"]),
            "--targets", str(files["Y"]), "--out", str(out), *extra]


def read_npz(path):
    with np.load(path, allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def assert_bad_input(capsys, argv, out, match=None):
    """Exit 2, exactly one stderr line starting 'error:', and ``out`` not created."""
    status = cli.main(argv)
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert status == 2, captured
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err
    if match is not None:
        assert match in lines[0], lines[0]
    assert not Path(out).exists()
    return lines[0]


# ------------------------------------------------------------------------------------- grads


CONFIGS = [  # (--cell, spec, loss, extra options)
    ("tanh", NetworkSpec("rnn", "tanh", 3, 5, 2, 1), "mse", []),
    ("relu", NetworkSpec("rnn", "relu", 2, 4, 3, 2), "mse", ["--loss-at", "last"]),
    ("sigmoid", NetworkSpec("rnn", "sigmoid", 2, 3, 2, 1), "mse", ["--truncate", "2"]),
    ("linear", NetworkSpec("rnn", "linear", 2, 3, 2, 1), "mse", []),
    ("lstm", NetworkSpec("lstm", "tanh", 3, 4, 5, 2), "xent", ["--k1", "2", "--k2", "3"]),
    ("gru", NetworkSpec("gru", "tanh", 2, 4, 3, 3), "xent", ["--loss-at", "last"]),
]


@pytest.mark.parametrize("cell, spec, loss, extra", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_grads_writes_every_documented_key(tmp_path, capsys, cell, spec, loss, extra):
    T, B = 6, 3
    files, arrays = make_problem(tmp_path, spec, T, B, loss, with_states=True)
    out = tmp_path / "G.npz"
    argv = grads_argv(files, out, "--cell", cell, "--loss", loss, "--h0", str(files["H0"]), *extra)
    if "C0" in files:
        argv += ["--c0", str(files["C0"])]
    assert cli.main(argv) == 0
    assert "wrote" in capsys.readouterr().out
    g = read_npz(out)

    L, H = spec.num_layers, spec.hidden_size
    expected_shapes = {name: p.shape for name, p in arrays["params"].items()}
    expected_shapes.update({"loss": (), "loss_t": (T,), "h": (L, T, B, H), "dh": (L, T, B, H),
                            "dh_norm": (T,), "sensitivity": (T, T)})
    if spec.has_cell_state:
        expected_shapes["c"] = (L, T, B, H)
    assert set(g) == set(expected_shapes)
    for key, shape in expected_shapes.items():
        assert g[key].shape == shape, key
        assert g[key].dtype == np.float64, key

    # the same pass through the Python API
    options = {"loss": loss, "h0": arrays["h0"], "c0": arrays.get("c0")}
    if "--loss-at" in extra:
        options["loss_at"] = extra[extra.index("--loss-at") + 1]
    if "--truncate" in extra:
        k = int(extra[extra.index("--truncate") + 1])
        options["truncation"] = Truncation.every(k)
    if "--k1" in extra:
        options["truncation"] = Truncation("tbptt", int(extra[extra.index("--k1") + 1]),
                                           int(extra[extra.index("--k2") + 1]))
    record = run_bptt(spec, arrays["params"], arrays["x"], arrays["y"], **options)
    for name, grad in record.gradients().items():
        np.testing.assert_array_equal(g[name], grad, err_msg=name)
    assert g["loss"] == record.loss
    np.testing.assert_array_equal(g["loss_t"], record.loss_t)
    np.testing.assert_array_equal(g["h"], record.h)
    np.testing.assert_array_equal(g["dh"], record.dh)
    np.testing.assert_array_equal(g["dh_norm"], record.dh_norm)
    np.testing.assert_array_equal(g["sensitivity"], record.sensitivity)
    if spec.has_cell_state:
        np.testing.assert_array_equal(g["c"], record.c)
    if "--loss-at" in extra:
        assert np.all(g["loss_t"][:-1] == 0) and g["loss_t"][-1] > 0


def test_grads_match_torch_autograd(tmp_path):
    torch = pytest.importorskip("torch")
    spec = NetworkSpec("rnn", "tanh", input_size=3, hidden_size=5, output_size=2, num_layers=2)
    T, B = 7, 4
    files, arrays = make_problem(tmp_path, spec, T, B, with_states=True)
    out = tmp_path / "G.npz"
    assert cli.main(grads_argv(files, out, "--h0", str(files["H0"]))) == 0
    g = read_npz(out)

    params = arrays["params"]
    rnn = torch.nn.RNN(3, 5, num_layers=2, nonlinearity="tanh", dtype=torch.float64)
    readout = torch.nn.Linear(5, 2, dtype=torch.float64)
    with torch.no_grad():
        for name, p in rnn.named_parameters():
            p.copy_(torch.from_numpy(params[name]))
        readout.weight.copy_(torch.from_numpy(params["readout.weight"]))
        readout.bias.copy_(torch.from_numpy(params["readout.bias"]))
    hs, _ = rnn(torch.from_numpy(arrays["x"]), torch.from_numpy(arrays["h0"]))
    yhat = readout(hs)
    loss = 0.5 * ((yhat - torch.from_numpy(arrays["y"])) ** 2).sum() / B  # ½‖ŷ−y‖², mean over batch
    loss.backward()
    expected = {name: p.grad.numpy() for name, p in rnn.named_parameters()}
    expected["readout.weight"] = readout.weight.grad.numpy()
    expected["readout.bias"] = readout.bias.grad.numpy()
    assert abs(g["loss"] - loss.item()) <= 1e-12 * abs(loss.item())
    for name, grad in expected.items():
        rel = np.linalg.norm(g[name] - grad) / np.linalg.norm(grad)
        assert rel < 1e-10, (name, rel)
    np.testing.assert_allclose(g["h"][-1], hs.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("k", [6, 7, 100])
def test_truncate_k_at_least_T_equals_full(tmp_path, k):
    spec = NetworkSpec("rnn", "tanh", 2, 4, 2, 2)
    files, _ = make_problem(tmp_path, spec, T=6)
    assert cli.main(grads_argv(files, tmp_path / "full.npz")) == 0
    assert cli.main(grads_argv(files, tmp_path / "trunc.npz", "--truncate", str(k))) == 0
    full, trunc = read_npz(tmp_path / "full.npz"), read_npz(tmp_path / "trunc.npz")
    assert set(full) == set(trunc)
    for key in full:
        np.testing.assert_array_equal(full[key], trunc[key], err_msg=key)


def test_grads_in_float32_are_within_float32_rounding_of_the_float64_ones(tmp_path, capsys):
    spec = NetworkSpec("lstm", "tanh", input_size=3, hidden_size=5, output_size=2, num_layers=2)
    files, _ = make_problem(tmp_path, spec, 7, 4)
    assert cli.main(grads_argv(files, tmp_path / "G64.npz")) == 0
    assert cli.main(grads_argv(files, tmp_path / "G32.npz", "--float32")) == 0
    assert "in float32" in capsys.readouterr().out
    exact, single = read_npz(tmp_path / "G64.npz"), read_npz(tmp_path / "G32.npz")
    for key in ("weight_ih_l0", "weight_hh_l1", "readout.weight", "dh"):
        assert not np.array_equal(single[key], exact[key]), key            # computed in float32 …
        np.testing.assert_allclose(single[key], exact[key], rtol=0, atol=1e-5 * np.abs(exact[key]).max())


def test_truncation_changes_the_gradient(tmp_path):
    spec = NetworkSpec("rnn", "tanh", 2, 4, 2, 1)
    files, _ = make_problem(tmp_path, spec, T=8)
    assert cli.main(grads_argv(files, tmp_path / "full.npz")) == 0
    assert cli.main(grads_argv(files, tmp_path / "trunc.npz", "--truncate", "2")) == 0
    full, trunc = read_npz(tmp_path / "full.npz"), read_npz(tmp_path / "trunc.npz")
    assert not np.allclose(full["weight_hh_l0"], trunc["weight_hh_l0"])
    assert full["loss"] == trunc["loss"]  # the forward pass is the same


def test_prefixed_weight_names_are_kept_in_the_output(tmp_path):
    spec = NetworkSpec("gru", "tanh", 2, 3, 2, 1)
    files, arrays = make_problem(tmp_path, spec)
    np.savez(files["W"], **{(k if k.startswith("readout") else f"rnn.{k}"): v
                            for k, v in arrays["params"].items()})
    assert cli.main(grads_argv(files, tmp_path / "G.npz", "--cell", "gru")) == 0
    g = read_npz(tmp_path / "G.npz")
    assert "rnn.weight_hh_l0" in g and "readout.bias" in g and "weight_hh_l0" not in g


def test_grads_entry_point_in_a_subprocess(tmp_path):
    spec = NetworkSpec("lstm", "tanh", 2, 3, 2, 1)
    files, arrays = make_problem(tmp_path, spec, T=5, B=2)
    out = tmp_path / "G.npz"
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    run = subprocess.run([sys.executable, "-m", "rnn", *grads_argv(files, out, "--cell", "lstm")],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    g = read_npz(out)
    record = run_bptt(spec, arrays["params"], arrays["x"], arrays["y"])
    np.testing.assert_array_equal(g["weight_ih_l0"], record.gradients()["weight_ih_l0"])
    assert g["c"].shape == (1, 5, 2, 3)

    bad = subprocess.run([sys.executable, "-m", "rnn", *grads_argv(files, tmp_path / "no" / "G.npz")],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert bad.returncode == 2
    assert bad.stderr.startswith("error: ") and len(bad.stderr.splitlines()) == 1
    assert "Traceback" not in bad.stderr


def test_overflow_exits_1_and_writes_nothing(tmp_path, capsys):
    spec = NetworkSpec("rnn", "linear", 1, 2, 1, 1)
    files, arrays = make_problem(tmp_path, spec, T=400, B=1)
    params = arrays["params"]
    params["weight_hh_l0"] = 10.0 * np.eye(2)
    save_params(files["W"], params)
    out = tmp_path / "G.npz"
    assert cli.main(grads_argv(files, out, "--cell", "linear")) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "NaN or Inf" in err
    assert not out.exists()


# ------------------------------------------------------------------------ grads: bad input


@pytest.fixture
def lstm_problem(tmp_path):
    spec = NetworkSpec("lstm", "tanh", 3, 4, 5, 2)
    files, arrays = make_problem(tmp_path, spec, T=6, B=3, loss="xent")
    return tmp_path, files, arrays


def run_bad(capsys, lstm_problem, *extra, out_folder=None, match=None):
    folder, files, _ = lstm_problem
    out = (out_folder or folder) / "G.npz"
    argv = grads_argv(files, out, "--cell", "lstm", "--loss", "xent", *extra)
    return assert_bad_input(capsys, argv, out, match)


def rewrite_weights(files, arrays, **changes):
    params = dict(arrays["params"])
    for key, value in changes.items():
        key = key.replace("__", ".")
        if value is None:
            del params[key]
        else:
            params[key] = value
    np.savez(files["W"], **params)


def test_bad_missing_key(capsys, lstm_problem):
    rewrite_weights(lstm_problem[1], lstm_problem[2], bias_hh_l1=None)
    run_bad(capsys, lstm_problem, match="missing key bias_hh_l1")


def test_bad_extra_key(capsys, lstm_problem):
    rewrite_weights(lstm_problem[1], lstm_problem[2], norm__num_batches_tracked=np.zeros((), np.int64))
    run_bad(capsys, lstm_problem, match="unexpected key norm.num_batches_tracked")


def test_bad_weight_shape(capsys, lstm_problem):
    rewrite_weights(lstm_problem[1], lstm_problem[2], readout__bias=np.zeros(4))
    run_bad(capsys, lstm_problem, match="readout.bias has shape (4,)")


def test_bad_weight_dtype(capsys, lstm_problem):
    rewrite_weights(lstm_problem[1], lstm_problem[2], bias_ih_l0=np.zeros(16, dtype=np.int32))
    run_bad(capsys, lstm_problem, match="bias_ih_l0 must be a floating-point array")


def test_bad_weight_nan(capsys, lstm_problem):
    w = lstm_problem[2]["params"]["weight_hh_l1"].copy()
    w[0, 0] = np.nan
    rewrite_weights(lstm_problem[1], lstm_problem[2], weight_hh_l1=w)
    run_bad(capsys, lstm_problem, match="weight_hh_l1 contains NaN or Inf")


def test_bad_wrong_cell_for_weights(capsys, lstm_problem):
    folder, files, _ = lstm_problem
    out = folder / "G.npz"
    assert_bad_input(capsys, grads_argv(files, out, "--cell", "gru", "--loss", "xent"), out,
                     "these are an LSTM's weights (weight_hh_l0 has 4·H rows), not a GRU's")


def test_bad_inputs_nan(capsys, lstm_problem):
    x = lstm_problem[2]["x"].copy()
    x[2, 1, 0] = np.inf
    np.save(lstm_problem[1]["X"], x)
    run_bad(capsys, lstm_problem, match="inputs must be finite")


def test_bad_inputs_shape(capsys, lstm_problem):
    np.save(lstm_problem[1]["X"], np.zeros((6, 3, 2)))
    run_bad(capsys, lstm_problem, match="inputs must have shape (T, B, 3)")


def test_bad_targets_shape(capsys, lstm_problem):
    np.save(lstm_problem[1]["Y"], np.zeros((5, 3), dtype=np.int64))
    run_bad(capsys, lstm_problem, match="xent targets")


def test_bad_targets_float_for_xent(capsys, lstm_problem):
    np.save(lstm_problem[1]["Y"], np.zeros((6, 3)))
    run_bad(capsys, lstm_problem, match="integer class indices")


def test_bad_targets_out_of_range(capsys, lstm_problem):
    y = lstm_problem[2]["y"].copy()
    y[0, 0] = 5
    np.save(lstm_problem[1]["Y"], y)
    run_bad(capsys, lstm_problem, match="class index out of range")


def test_bad_mse_targets_for_xent_shape(capsys, lstm_problem):
    folder, files, _ = lstm_problem
    out = folder / "G.npz"
    # integer (T, B) targets with --loss mse
    assert_bad_input(capsys, grads_argv(files, out, "--cell", "lstm"), out, "mse targets")


@pytest.mark.parametrize("options, match", [
    (["--truncate", "0"], "impossible truncation"),
    (["--truncate", "-3"], "impossible truncation"),
    (["--k1", "4", "--k2", "2"], "impossible truncation k1=4, k2=2"),
    (["--k1", "2"], "--k1 and --k2 go together"),
    (["--truncate", "2", "--k1", "2", "--k2", "3"], "not both"),
    (["--truncate", "two"], "invalid int value"),
    (["--loss-at", "first"], "invalid choice"),
    (["--random-truncation", "4"], "unrecognized arguments"),
])
def test_bad_options(capsys, lstm_problem, options, match):
    run_bad(capsys, lstm_problem, *options, match=match)


def test_bad_h0_shape_and_c0_for_a_vanilla_cell(tmp_path, capsys):
    spec = NetworkSpec("rnn", "tanh", 2, 3, 2, 1)
    files, _ = make_problem(tmp_path, spec, T=4, B=2)
    np.save(tmp_path / "H0.npy", np.zeros((2, 2, 3)))
    out = tmp_path / "G.npz"
    assert_bad_input(capsys, grads_argv(files, out, "--h0", str(tmp_path / "H0.npy")), out,
                     "h0 must be finite numbers of shape (1, 2, 3)")
    np.save(tmp_path / "C0.npy", np.zeros((1, 2, 3)))
    assert_bad_input(capsys, grads_argv(files, out, "--c0", str(tmp_path / "C0.npy")), out,
                     "c0 is given but")


def test_bad_pickled_inputs(capsys, lstm_problem):
    np.save(lstm_problem[1]["X"], np.array([{"a": 1}], dtype=object), allow_pickle=True)
    run_bad(capsys, lstm_problem, match="inputs file")


def test_bad_pickled_weights(capsys, lstm_problem):
    lstm_problem[1]["W"].write_bytes(pickle.dumps(lstm_problem[2]["params"]))
    run_bad(capsys, lstm_problem, match="pickled")


def test_bad_unreadable_weights(capsys, lstm_problem):
    lstm_problem[1]["W"].write_bytes(b"PK\x03\x04garbage")
    run_bad(capsys, lstm_problem, match="weights file")


def test_bad_missing_files(capsys, lstm_problem):
    folder, files, _ = lstm_problem
    run_bad(capsys, lstm_problem, "--h0", str(folder / "nope.npy"), match="h0 file")
    files["Y"].unlink()
    run_bad(capsys, lstm_problem, match="targets file")


def test_bad_output_folder(capsys, lstm_problem):
    folder = lstm_problem[0]
    run_bad(capsys, lstm_problem, out_folder=folder / "missing", match="does not exist")
    assert not (folder / "missing").exists()


def test_bad_output_folder_is_checked_before_reading(tmp_path, capsys):
    # the inputs are missing too, but the output folder is reported first: no work is wasted
    out = tmp_path / "missing" / "G.npz"
    argv = ["grads", "--weights", "W.npz", "--inputs", "X.npy", "--targets", "Y.npy", "--out", str(out)]
    assert_bad_input(capsys, argv, out, "does not exist")


def test_failed_run_keeps_an_existing_output(capsys, lstm_problem):
    folder, files, _ = lstm_problem
    out = folder / "G.npz"
    out.write_bytes(b"old")
    np.save(files["X"], np.zeros((6, 3, 2)))
    status = cli.main(grads_argv(files, out, "--cell", "lstm", "--loss", "xent"))
    assert status == 2 and out.read_bytes() == b"old"
    assert sorted(p.name for p in folder.iterdir()) == ["G.npz", "W.npz", "X.npy", "Y.npy"]


def test_usage_errors_are_one_line(capsys):
    assert cli.main([]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.splitlines()) == 1
    assert cli.main(["grads", "--weights", "W.npz"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the following arguments are required")


def test_help_exits_0(capsys):
    assert cli.main(["--help"]) == 0
    assert "grads" in capsys.readouterr().out
    assert cli.main(["grads", "--help"]) == 0
    assert "--truncate" in capsys.readouterr().out


# ------------------------------------------------------------------------------------- train


TINY = ["--hidden", "4", "--seq-len", "6", "--batch", "2"]


def test_train_tiny_task_prints_a_summary(capsys):
    assert cli.main(["train", "--task", "alphabet_forward", "--steps", "10", *TINY]) == 0
    out, err = capsys.readouterr()
    assert "10 of 10 updates" in out and "updates/s" in out
    assert "mean loss: first 1 updates" in out and "-> last 1 updates" in out
    assert "clipping: none" in out
    assert "step 10/10" in err  # not a terminal: plain progress lines
    assert "error" not in err


def test_train_names_samples_five_names(capsys):
    assert cli.main(["train", "--task", "names", "--steps", "3", "--hidden", "8"]) == 0
    out = capsys.readouterr().out
    line = next(l for l in out.splitlines() if l.startswith("sampled names: "))
    assert len(line[len("sampled names: "):].split(", ")) == 5


@pytest.mark.parametrize("suffix", [".npz", ".pt"])
def test_train_save_writes_the_trained_weights(tmp_path, capsys, suffix):
    if suffix == ".pt":
        pytest.importorskip("torch")
    path = tmp_path / f"w{suffix}"
    argv = ["train", "--task", "adding", "--steps", "7", "--cell", "gru", "--layers", "2",
            "--hidden", "5", "--seq-len", "8", "--batch", "3", "--optimizer", "momentum",
            "--lr", "0.05", "--clip", "norm", "--clip-threshold", "0.5", "--truncate", "3",
            "--init", "orthogonal", "--radius", "0.9", "--seed", "4", "--save", str(path)]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert f"saved weights to {path}" in out and "clipped (norm, threshold 0.5)" in out
    spec, saved = load_params(path, "gru")
    assert spec == NetworkSpec("gru", "tanh", 2, 5, 1, 2)

    # the same run through the Python API
    params = init_params(spec, "orthogonal", seed=4, radius=0.9)
    updates = train(spec, params, get_task("adding"), make_optimizer("momentum", 0.05), steps=7,
                    seq_len=8, batch_size=3, truncation=Truncation.every(3), clip_mode="norm",
                    clip_threshold=0.5, seed=4)
    assert all(u.finite for u in updates)
    for name in params:
        np.testing.assert_array_equal(saved[name], params[name], err_msg=name)


def test_train_compare_full_and_random_truncation(capsys):
    argv = ["train", "--task", "sine", "--steps", "4", *TINY, "--random-truncation", "2.5",
            "--compare-full"]
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "randomized truncation" in out and "truncated vs full gradient: mean cosine" in out
    assert cli.main(["train", "--task", "sine", "--steps", "2", *TINY, "--compare-full"]) == 0
    assert "nothing to compare" in capsys.readouterr().out


def test_train_csv_task(tmp_path, capsys):
    csv = tmp_path / "prices.csv"
    csv.write_text("day,price\n" + "".join(f"{i},{np.sin(i / 3):.4f}\n" for i in range(40)))
    base = ["train", "--task", "csv", "--csv", str(csv), "--steps", "3", *TINY]
    assert cli.main([*base, "--column", "price"]) == 0
    assert "task csv (mse)" in capsys.readouterr().out
    assert cli.main([*base, "--column", "1"]) == 0
    capsys.readouterr()
    assert_bad_input(capsys, [*base, "--column", "volume"], tmp_path / "none", "no column named")


def test_train_nonfinite_stops_with_status_1_and_saves_last_finite(tmp_path, capsys):
    path = tmp_path / "w.npz"
    argv = ["train", "--task", "sine", "--steps", "5", "--cell", "linear", "--hidden", "3",
            "--init", "identity", "--radius", "10", "--seq-len", "400", "--batch", "2",
            "--save", str(path)]
    assert cli.main(argv) == 1
    out, err = capsys.readouterr()
    error_lines = [l for l in err.splitlines() if l.startswith("error:")]
    assert len(error_lines) == 1
    assert "training stopped at update 1" in error_lines[0] and "NaN or Inf" in error_lines[0]
    assert "no update finished" in out
    spec, saved = load_params(path, "rnn", "linear")
    initial = init_params(spec, "identity", seed=0, radius=10)
    for name in initial:
        np.testing.assert_array_equal(saved[name], initial[name])


def test_train_nonfinite_after_some_updates(tmp_path, capsys):
    path = tmp_path / "w.npz"
    argv = ["train", "--task", "sine", "--steps", "200", "--cell", "relu", "--hidden", "4",
            "--seq-len", "20", "--batch", "2", "--optimizer", "sgd", "--lr", "1e6",
            "--save", str(path)]
    assert cli.main(argv) == 1
    err = capsys.readouterr().err
    assert "error: training stopped at update" in err
    _, saved = load_params(path, "rnn", "relu")  # finite, or it would not load
    assert all(np.all(np.isfinite(v)) for v in saved.values())


class _InterruptingTask:
    """Wraps a task; the n-th batch sends this process SIGINT, as Ctrl-C would."""

    def __init__(self, task, at):
        self.task, self.at, self.calls = task, at, 0

    def __getattr__(self, name):
        return getattr(self.task, name)

    def sample(self, *args):
        self.calls += 1
        if self.calls == self.at:
            os.kill(os.getpid(), signal.SIGINT)
        return self.task.sample(*args)


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name == "nt", reason="POSIX signals")
def test_train_ctrl_c_stops_cleanly_with_a_summary(tmp_path, capsys, monkeypatch):
    task = _InterruptingTask(get_task("sine"), at=3)
    monkeypatch.setattr(cli, "get_task", lambda name, **kw: task)
    path = tmp_path / "w.npz"
    status = cli.main(["train", "--task", "sine", "--steps", "50", *TINY, "--save", str(path)])
    out, err = capsys.readouterr()
    assert status == 130
    assert "interrupted after 3 of 50 updates" in err
    assert "3 of 50 updates in" in out and f"saved weights to {path}" in out
    load_params(path)
    assert signal.getsignal(signal.SIGINT) is not None  # our handler is gone again
    assert signal.getsignal(signal.SIGINT).__name__ != "handler"


@pytest.mark.parametrize("options, match", [
    (["--task", "nope", "--steps", "3"], "unknown task 'nope'"),
    (["--task", "sine", "--steps", "0"], "--steps must be at least 1"),
    (["--task", "sine", "--steps", "3", "--batch", "0"], "--batch must be at least 1"),
    (["--task", "sine", "--steps", "3", "--seq-len", "1"], "sequence length of at least 2"),
    (["--task", "sine", "--steps", "3", "--layers", "9"], "num_layers must be 1 to 4"),
    (["--task", "sine", "--steps", "3", "--hidden", "0"], "hidden_size"),
    (["--task", "sine", "--steps", "3", "--lr", "-1"], "learning rate"),
    (["--task", "sine", "--steps", "3", "--clip-threshold", "2"], "--clip-threshold needs"),
    (["--task", "sine", "--steps", "3", "--clip", "norm", "--clip-threshold", "0"], "finite and > 0"),
    (["--task", "sine", "--steps", "3", "--truncate", "0"], "impossible truncation"),
    (["--task", "sine", "--steps", "3", "--random-truncation", "1.5"], "mean length k ≥ 2"),
    (["--task", "sine", "--steps", "3", "--radius", "1", "--sigma", "1"], "not allowed with"),
    (["--task", "sine", "--steps", "3", "--radius", "-1"], "finite number ≥ 0"),
    (["--task", "sine", "--steps", "3", "--csv", "x.csv"], "only for --task csv"),
    (["--task", "csv", "--steps", "3"], "needs --csv"),
    (["--task", "csv", "--steps", "3", "--csv", "missing.csv"], "file not found"),
    (["--task", "sine", "--steps", "3", "--optimizer", "lbfgs"], "invalid choice"),
])
def test_train_bad_input(tmp_path, capsys, options, match):
    path = tmp_path / "w.npz"
    assert_bad_input(capsys, ["train", *options, "--save", str(path)], path, match)


def test_train_bad_save_paths(tmp_path, capsys):
    for path in (tmp_path / "missing" / "w.npz", tmp_path / "w.txt"):
        assert_bad_input(capsys, ["train", "--task", "sine", "--steps", "1", "--save", str(path)],
                         path)
    assert list(tmp_path.iterdir()) == []


def test_progress_bar_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    bar = cli._Progress(4, stream)
    for step in range(1, 5):
        bar.last_draw = 0.0  # no throttling in the test
        bar.update(step, 1.0 / step, 2.0)
    bar.close()
    text = stream.getvalue()
    assert text.count("\r[") == 4 and text.endswith("\n")
    assert "4/4  loss 0.25  grad norm 2" in text and "#" * 30 in text


def test_progress_lines_every_tenth_when_not_a_terminal():
    stream = io.StringIO()
    bar = cli._Progress(100, stream)
    for step in range(1, 101):
        bar.update(step, 1.0, 1.0)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10 and lines[0].startswith("step 10/100") and "\r" not in stream.getvalue()


# ------------------------------------------------------------------- bad input, one line each

@pytest.fixture
def small_problem(tmp_path):
    spec = NetworkSpec(input_size=2, hidden_size=3, output_size=1)
    files, _ = make_problem(tmp_path, spec, T=4, B=2)
    return tmp_path, files


def write_array(folder, name, array):
    np.save(folder / name, array)
    return str(folder / name)


@pytest.mark.parametrize("case", ["timedelta", "datetime", "long double beyond float64", "bool-only",
                                  "out ends with /", "seed -1", "seed too big", "csv is a device",
                                  "meta tensor", "sparse tensor"])
def test_bad_input_battery_exits_2_with_one_line(capsys, small_problem, case):
    folder, files = small_problem
    out = folder / "G.npz"
    argv = grads_argv(files, out)
    if case == "timedelta":
        argv[4] = write_array(folder, "t.npy", np.zeros((4, 2, 2), dtype="timedelta64[s]"))
    elif case == "datetime":
        argv[4] = write_array(folder, "t.npy", np.zeros((4, 2, 2), dtype="datetime64[s]"))
    elif case == "long double beyond float64":
        if np.finfo(np.longdouble).max <= np.finfo(np.float64).max:
            pytest.skip("long double is float64 on this platform")
        argv[4] = write_array(folder, "t.npy", np.full((4, 2, 2), np.longdouble("1e400")))
    elif case == "bool-only":
        argv[4] = write_array(folder, "t.npy", np.zeros((4, 2, 2), dtype=bool))
    elif case == "out ends with /":
        argv[-1] = str(folder / "newdir") + "/"
        out = folder / "newdir"
    elif case.startswith("seed"):
        argv = ["train", "--task", "sine", "--steps", "1", "--seed", "-1" if case == "seed -1" else str(2**64)]
    elif case == "csv is a device":
        argv = ["train", "--task", "csv", "--csv", "/dev/zero", "--steps", "1"]
    else:
        torch = pytest.importorskip("torch")
        params = init_params(NetworkSpec(input_size=2, hidden_size=3, output_size=1))
        state = {k: torch.from_numpy(v) for k, v in params.items()}
        state["weight_hh_l0"] = (torch.empty((3, 3), device="meta") if case == "meta tensor"
                                 else state["weight_hh_l0"].to_sparse())
        torch.save(state, folder / "m.pt")
        argv[2] = str(folder / "m.pt")
    assert_bad_input(capsys, argv, out)


def test_an_update_that_overflows_the_weights_keeps_the_last_finite_ones(capsys, tmp_path):
    """lr = 1e308: the gradient is finite, θ − η g is not. The run stops at update 1 with the
    weights as they were (bit-exact), says so, exits 1 and saves those weights."""
    spec = NetworkSpec(input_size=1, hidden_size=4, output_size=1)
    params = init_params(spec, seed=3)
    initial = {k: v.copy() for k, v in params.items()}
    updates = list(train(spec, params, get_task("sine"), make_optimizer("sgd", 1e308), steps=3, seq_len=5,
                         batch_size=2))
    assert len(updates) == 1 and not updates[0].finite and "overflowed" in updates[0].where_nonfinite
    assert all(np.array_equal(params[k], initial[k]) for k in initial)
    save = tmp_path / "w.npz"
    status = cli.main(["train", "--task", "sine", "--steps", "3", "--optimizer", "sgd", "--lr", "1e308",
                       "--seed", "3", "--save", str(save)])
    err = capsys.readouterr().err
    assert status == 1 and "training stopped at update 1" in err and save.exists()
    assert all(np.all(np.isfinite(v)) for v in load_params(save)[1].values())


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_an_output_that_cannot_be_written_is_one_line(tmp_path):
    """stdout on a full disk (/dev/full) or a closed pipe: one error line, exit 2, no traceback."""
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "rnn", "train", "--task", "sine", "--steps", "1"],
                                stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("error: cannot write the output")
    closed = subprocess.run(f"{sys.executable} -m rnn train --task sine --steps 1 | head -c0", shell=True,
                            stderr=subprocess.PIPE, text=True, cwd=ROOT, timeout=120)
    assert "Traceback" not in closed.stderr and "BrokenPipe" not in closed.stderr
