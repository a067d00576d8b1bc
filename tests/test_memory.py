"""The memory budget: a pass's size is known before it runs, and one that would not fit is refused
(the window's controls, saved settings and sessions, the command line) or run without the
sensitivity matrix, with a message naming the size and what to lower."""

import numpy as np
import pytest

from explorer.config import ExplorerConfig
from rnn import cli
from rnn.bptt import BPTT
from rnn.errors import RnnInputError
from rnn.memory import BUDGET_VARIABLE, check_pass_fits, memory_budget, parse_size, pass_bytes
from rnn.params import NetworkSpec, init_params


def recorded_bytes(spec, T, B, with_sensitivity):
    """What a finished pass really holds: every distinct array of its Recording, the weights."""
    rng = np.random.default_rng(0)
    params = init_params(spec, seed=0)
    record = BPTT(spec, params, rng.standard_normal((T, B, spec.input_size)),
                  rng.standard_normal((T, B, spec.output_size)), with_sensitivity=with_sensitivity).finish()
    arrays = {id(v): v for v in vars(record).values() if isinstance(v, np.ndarray)}
    return sum(a.nbytes for a in arrays.values()) + sum(p.nbytes for p in params.values())


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("with_sensitivity", [False, True])
def test_the_estimate_covers_what_a_pass_really_allocates(cell, with_sensitivity):
    spec = NetworkSpec(cell, input_size=3, hidden_size=16, output_size=2, num_layers=2)
    T, B = 60, 8
    real = recorded_bytes(spec, T, B, with_sensitivity)
    estimate = pass_bytes(spec, T, B, with_sensitivity)
    assert real <= estimate <= 1.3 * real + 5 * 8 * sum(a.size for a in init_params(spec).values())


@pytest.mark.parametrize("text, expected", [("8G", 8 * 2**30), ("512M", 512 * 2**20), ("1.5GiB", int(1.5 * 2**30)),
                                            ("2000000", 2_000_000), ("64kb", 64 * 2**10)])
def test_budget_sizes_are_read_with_units(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "lots", "-3G", "0", "nanG", "1e300T"])
def test_bad_budget_sizes_are_refused(text):
    with pytest.raises(RnnInputError, match="memory size"):
        parse_size(text)


def test_a_configuration_beyond_the_budget_is_refused_with_its_size(monkeypatch):
    monkeypatch.setenv(BUDGET_VARIABLE, "2G")
    assert memory_budget() == 2 * 2**30
    with pytest.raises(RnnInputError, match=r"needs about 35\.7 GB of memory, more than the budget of 2\.15 GB"
                                            r".*even kept as checkpoints it needs 2\.95 GB"):
        ExplorerConfig(cell="lstm", layers=4, hidden=256, seq_len=1000, batch=256)   # the 35 GB
    assert ExplorerConfig(cell="lstm", layers=4, hidden=256, seq_len=200, batch=32).kept_as_checkpoints() is False
    assert ExplorerConfig(cell="lstm", layers=4, hidden=256, seq_len=1000, batch=32).kept_as_checkpoints()  # 4.5 GB
    with pytest.raises(RnnInputError, match="budget"):      # nothing restored can exceed it either
        ExplorerConfig.from_dict({"cell": "lstm", "layers": 4, "hidden": 256, "seq_len": 1000, "batch": 256})
    with pytest.raises(RnnInputError, match=r"TBPTT\(k, k\)"):      # lean, a truncation that crosses checkpoints
        ExplorerConfig(cell="lstm", layers=4, hidden=256, seq_len=1000, batch=32, truncation="tbptt", k1=5, k2=10)
    monkeypatch.setenv(BUDGET_VARIABLE, "not a size")       # a bad variable never stops the window
    assert memory_budget() > 0
    with pytest.raises(RnnInputError, match=BUDGET_VARIABLE):
        memory_budget(strict=True)


def test_the_window_session_refuses_it_at_the_control_and_keeps_everything(monkeypatch):
    from explorer.session import Session
    monkeypatch.setenv(BUDGET_VARIABLE, "64M")
    session = Session()
    try:
        before = session.config
        messages = []
        session.message.connect(lambda text, level: messages.append((text, level)))
        assert not session.set_config(hidden=256, seq_len=1000, batch=64)
        assert session.config == before and session.requested == before
        assert messages[-1][1] == "error" and "lower the sequence length" in messages[-1][0]
    finally:
        session.shutdown()


def test_the_command_line_refuses_or_runs_a_lean_pass(tmp_path, capsys, monkeypatch):
    spec = NetworkSpec(input_size=2, hidden_size=4, output_size=1)
    np.savez(tmp_path / "w.npz", **init_params(spec, seed=0))
    T, B = 3000, 2                                  # the sensitivity matrix alone is 72 MB
    np.save(tmp_path / "x.npy", np.zeros((T, B, 2)))
    np.save(tmp_path / "y.npy", np.zeros((T, B, 1)))
    argv = ["grads", "--weights", str(tmp_path / "w.npz"), "--inputs", str(tmp_path / "x.npy"),
            "--targets", str(tmp_path / "y.npy"), "--out", str(tmp_path / "g.npz")]
    lean, full = pass_bytes(spec, T, B, False), pass_bytes(spec, T, B, True)
    monkeypatch.setenv(BUDGET_VARIABLE, str((lean + full) // 2))
    assert cli.main(argv) == 0
    assert "no sensitivity matrix: it would take" in capsys.readouterr().out
    with np.load(tmp_path / "g.npz") as g:
        assert "sensitivity" not in g.files and "weight_hh_l0" in g.files
    monkeypatch.setenv(BUDGET_VARIABLE, str(lean // 2))
    (tmp_path / "g.npz").unlink()
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "more than the budget" in err[0] and not (tmp_path / "g.npz").exists()
    assert cli.main(["train", "--task", "sine", "--steps", "1", "--hidden", "100000"]) == 2
    assert "more than the budget" in capsys.readouterr().err
    monkeypatch.setenv(BUDGET_VARIABLE, "plenty")
    assert cli.main(argv) == 2 and BUDGET_VARIABLE in capsys.readouterr().err


def test_check_pass_fits_says_when_only_the_sensitivity_is_too_big():
    spec = NetworkSpec(input_size=1, hidden_size=2, output_size=1)
    lean = pass_bytes(spec, 5000, 1, False)
    with pytest.raises(RnnInputError, match="without the sensitivity matrix it would fit"):
        check_pass_fits(spec, 5000, 1, with_sensitivity=True, budget=lean + 1)


def test_beyond_the_budget_the_command_line_and_training_keep_the_pass_as_checkpoints(tmp_path, capsys, monkeypatch):
    """A pass whose whole recording would not fit runs as a lean pass: grads writes the same
    gradients as with room for the whole recording, and says what it left out; training trains."""
    from rnn.lean import segment_length
    from rnn.memory import lean_pass_bytes
    spec = NetworkSpec("lstm", input_size=2, hidden_size=16, output_size=1)
    np.savez(tmp_path / "w.npz", **init_params(spec, seed=0))
    T, B = 900, 4
    rng = np.random.default_rng(1)
    np.save(tmp_path / "x.npy", rng.normal(size=(T, B, 2)))
    np.save(tmp_path / "y.npy", rng.normal(size=(T, B, 1)))
    argv = ["grads", "--weights", str(tmp_path / "w.npz"), "--inputs", str(tmp_path / "x.npy"),
            "--targets", str(tmp_path / "y.npy")]
    assert cli.main(argv + ["--out", str(tmp_path / "whole.npz")]) == 0
    lean, whole = lean_pass_bytes(spec, T, B, segment_length(T)), pass_bytes(spec, T, B, False)
    assert lean < whole / 5
    monkeypatch.setenv(BUDGET_VARIABLE, str(2 * lean))
    assert cli.main(argv + ["--out", str(tmp_path / "lean.npz")]) == 0
    assert "kept as checkpoints every 30 steps" in capsys.readouterr().out
    with np.load(tmp_path / "whole.npz") as expected, np.load(tmp_path / "lean.npz") as got:
        assert "h" in expected.files and "h" not in got.files and "dh" not in got.files
        for key in got.files:
            np.testing.assert_allclose(got[key], expected[key], rtol=0, atol=1e-12 * np.abs(expected[key]).max(),
                                       err_msg=key)      # (a sum over segments: rounding, relative to the array)
    assert cli.main(argv + ["--out", str(tmp_path / "b.npz"), "--find-blowup"]) == 2   # needs the whole recording
    assert "--find-blowup needs the whole recording" in capsys.readouterr().err
    assert cli.main(argv + ["--out", str(tmp_path / "t.npz"), "--k1", "5", "--k2", "10"]) == 2
    assert "TBPTT(k, k)" in capsys.readouterr().err and not (tmp_path / "t.npz").exists()
    monkeypatch.setenv(BUDGET_VARIABLE, str(lean // 2))
    assert cli.main(argv + ["--out", str(tmp_path / "none.npz")]) == 2
    assert "even kept as checkpoints it needs" in capsys.readouterr().err
    monkeypatch.setenv(BUDGET_VARIABLE, str(2 * lean_pass_bytes(NetworkSpec("lstm", input_size=2, hidden_size=16, output_size=1), 900, 4, 30)))
    assert cli.main(["train", "--task", "adding", "--cell", "lstm", "--hidden", "16", "--seq-len", "900",
                     "--batch", "4", "--steps", "2"]) == 0
    assert "kept as checkpoints every 30 steps" in capsys.readouterr().err
