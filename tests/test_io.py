"""Tests for rnn.io: loading and saving parameters and arrays without pickle."""

import os
import pickle

import numpy as np
import pytest

from rnn.errors import RnnInputError
from rnn.io import (
    check_output_path,
    load_array,
    load_params,
    read_params,
    save_npz,
    save_params,
)
from rnn.params import NetworkSpec, init_params, param_shapes

SPECS = [
    NetworkSpec("rnn", "tanh", input_size=3, hidden_size=5, output_size=2, num_layers=1),
    NetworkSpec("rnn", "relu", input_size=2, hidden_size=4, output_size=3, num_layers=2),
    NetworkSpec("lstm", "tanh", input_size=3, hidden_size=4, output_size=2, num_layers=2),
    NetworkSpec("gru", "tanh", input_size=1, hidden_size=3, output_size=1, num_layers=3),
]


def spec_id(spec):
    return f"{spec.cell}-{spec.activation}-L{spec.num_layers}"


def assert_same_params(a, b):
    assert list(a) == list(b)
    for key in a:
        assert b[key].dtype == np.float64
        np.testing.assert_array_equal(a[key], b[key])


def only_file(folder):
    return sorted(p.name for p in folder.iterdir())


# ------------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_npz_round_trip(tmp_path, spec):
    params = init_params(spec, seed=3)
    path = tmp_path / "w.npz"
    save_params(path, params)
    loaded_spec, loaded = load_params(path, spec.cell, spec.activation)
    assert loaded_spec == spec
    assert_same_params(params, loaded)
    assert only_file(tmp_path) == ["w.npz"]  # no temporary file left behind


@pytest.mark.parametrize("suffix", [".pt", ".pth"])
@pytest.mark.parametrize("spec", SPECS, ids=spec_id)
def test_torch_round_trip(tmp_path, spec, suffix):
    torch = pytest.importorskip("torch")
    params = init_params(spec, seed=4)
    path = tmp_path / f"w{suffix}"
    save_params(path, params)
    state = torch.load(path, weights_only=True)
    assert list(state) == list(params)
    assert all(t.dtype == torch.float64 for t in state.values())
    loaded_spec, loaded = load_params(path, spec.cell, spec.activation)
    assert loaded_spec == spec
    assert_same_params(params, loaded)


def test_float32_npz_is_converted_to_float64(tmp_path):
    spec = SPECS[0]
    params = init_params(spec, seed=0)
    path = tmp_path / "w.npz"
    np.savez(path, **{k: v.astype(np.float32) for k, v in params.items()})
    _, loaded = load_params(path)
    for key, value in loaded.items():
        assert value.dtype == np.float64
        np.testing.assert_allclose(value, params[key], rtol=1e-6)


def test_loaded_arrays_are_writable_copies(tmp_path):
    params = init_params(SPECS[0], seed=0)
    path = tmp_path / "w.npz"
    save_params(path, params)
    _, loaded = load_params(path)
    loaded["weight_hh_l0"] += 1.0  # the optimizer updates in place
    _, again = load_params(path)
    np.testing.assert_array_equal(again["weight_hh_l0"], params["weight_hh_l0"])


# ------------------------------------------------------------------------- real torch modules


@pytest.mark.parametrize("kind, cell", [("LSTM", "lstm"), ("GRU", "gru"), ("RNN", "rnn")])
def test_state_dict_of_real_torch_modules(tmp_path, kind, cell):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = getattr(torch.nn, kind)(3, 6, num_layers=2)
            self.readout = torch.nn.Linear(6, 4)

    net = Net()
    path = tmp_path / "net.pt"
    torch.save(net.state_dict(), path)  # keys rnn.weight_ih_l0, ..., readout.weight (float32)
    spec, params = load_params(path, cell)
    assert spec == NetworkSpec(cell, "tanh", input_size=3, hidden_size=6, output_size=4, num_layers=2)
    assert list(params) == list(param_shapes(spec))
    state = net.state_dict()
    for name, value in params.items():
        key = name if name.startswith("readout") else f"rnn.{name}"
        assert value.dtype == np.float64
        np.testing.assert_array_equal(value, state[key].double().numpy())


def test_bare_lstm_plus_readout_and_wrapped_prefixes(tmp_path):
    torch = pytest.importorskip("torch")
    lstm, readout = torch.nn.LSTM(2, 5), torch.nn.Linear(5, 3)
    plain = dict(lstm.state_dict())
    plain.update({f"readout.{k}": v for k, v in readout.state_dict().items()})
    torch.save(plain, tmp_path / "plain.pt")
    spec, params = load_params(tmp_path / "plain.pt", "lstm")
    assert (spec.input_size, spec.hidden_size, spec.output_size) == (2, 5, 3)

    wrapped = {f"module.lstm.{k}": v for k, v in lstm.state_dict().items()}
    wrapped.update({f"module.readout.{k}": v for k, v in readout.state_dict().items()})
    torch.save(wrapped, tmp_path / "wrapped.pt")
    loaded = read_params(tmp_path / "wrapped.pt", "lstm")
    assert loaded.spec == spec
    assert_same_params(params, loaded.params)
    assert loaded.file_keys["weight_ih_l0"] == "module.lstm.weight_ih_l0"
    assert loaded.file_keys["readout.bias"] == "module.readout.bias"


def test_prefixed_npz_keys(tmp_path):
    params = init_params(SPECS[1], seed=1)
    path = tmp_path / "w.npz"
    np.savez(path, **{(k if k.startswith("readout") else f"rnn.{k}"): v for k, v in params.items()})
    spec, loaded = load_params(path, "rnn", "relu")
    assert spec == SPECS[1]
    assert_same_params(params, loaded)


def test_two_recurrent_modules_are_ambiguous(tmp_path):
    params = init_params(SPECS[0], seed=1)
    arrays = {f"enc.{k}": v for k, v in params.items() if not k.startswith("readout")}
    arrays.update({f"dec.{k}": v for k, v in params.items()})
    path = tmp_path / "w.npz"
    np.savez(path, **arrays)
    with pytest.raises(RnnInputError, match=r"w\.npz: several recurrent modules \(dec, enc\)"):
        load_params(path)


def test_wrong_cell_gives_a_hint(tmp_path):
    params = init_params(NetworkSpec("lstm", input_size=2, hidden_size=3), seed=0)
    path = tmp_path / "w.npz"
    save_params(path, params)
    with pytest.raises(RnnInputError, match=r"these are an LSTM's weights \(weight_hh_l0 has 4·H rows\), not a GRU's"):
        load_params(path, "gru")


# ----------------------------------------------------------------------------- bad contents


def write_npz(tmp_path, arrays, name="w.npz"):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def good_params():
    return init_params(SPECS[2], seed=5)  # 2-layer LSTM


def test_missing_key_is_named(tmp_path):
    params = good_params()
    del params["bias_hh_l1"]
    path = write_npz(tmp_path, params)
    with pytest.raises(RnnInputError, match=r"w\.npz: missing key bias_hh_l1"):
        load_params(path, "lstm")


def test_missing_readout_is_named(tmp_path):
    params = good_params()
    del params["readout.weight"]
    with pytest.raises(RnnInputError, match=r"w\.npz: no Linear head \(an nn\.Linear\(4, O\)"):
        load_params(write_npz(tmp_path, params), "lstm")


def test_extra_key_is_named(tmp_path):
    params = good_params()
    params["bn.running_mean"] = np.zeros(4)
    with pytest.raises(RnnInputError, match=r"w\.npz: unexpected key bn\.running_mean"):
        load_params(write_npz(tmp_path, params), "lstm")


def test_bad_shape_is_named(tmp_path):
    params = good_params()
    params["bias_ih_l1"] = np.zeros(7)
    with pytest.raises(RnnInputError, match=r"w\.npz: bias_ih_l1 has shape \(7,\)"):
        load_params(write_npz(tmp_path, params), "lstm")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_is_named(tmp_path, bad):
    params = good_params()
    params["weight_hh_l1"][2, 1] = bad
    with pytest.raises(RnnInputError, match=r"w\.npz: weight_hh_l1 contains NaN or Inf"):
        load_params(write_npz(tmp_path, params), "lstm")


def test_integer_weights_are_rejected(tmp_path):
    params = good_params()
    params["readout.bias"] = np.zeros(2, dtype=np.int64)
    with pytest.raises(RnnInputError, match=r"readout\.bias must be a floating-point array"):
        load_params(write_npz(tmp_path, params), "lstm")


def test_pickled_object_array_in_npz_is_rejected(tmp_path):
    params = good_params()
    params["readout.bias"] = np.array([{"evil": 1}, None], dtype=object)
    path = write_npz(tmp_path, params)
    with pytest.raises(RnnInputError, match=r"w\.npz: readout\.bias is an object array"):
        load_params(path, "lstm")


def test_pickle_file_named_npz_is_rejected(tmp_path):
    path = tmp_path / "w.npz"
    path.write_bytes(pickle.dumps(good_params()))
    with pytest.raises(RnnInputError, match=r"w\.npz: holds pickled Python objects"):
        load_params(path, "lstm")


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04 truncated"])
def test_corrupt_npz_is_rejected(tmp_path, content):
    path = tmp_path / "w.npz"
    path.write_bytes(content)
    with pytest.raises(RnnInputError, match=r"weights file .*w\.npz: ") as info:
        load_params(path)
    assert "\n" not in str(info.value)


def test_truncated_npz_is_rejected(tmp_path):
    path = write_npz(tmp_path, good_params())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RnnInputError, match=r"w\.npz"):
        load_params(path, "lstm")


def test_npy_named_npz_is_rejected(tmp_path):
    path = tmp_path / "w.npz"
    with open(path, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(RnnInputError, match="single array"):
        load_params(path)


def test_missing_file_and_unknown_suffix(tmp_path):
    with pytest.raises(RnnInputError, match=r"nope\.npz: file not found"):
        load_params(tmp_path / "nope.npz")
    with pytest.raises(RnnInputError, match=r"nope\.pt: file not found"):
        load_params(tmp_path / "nope.pt")
    with pytest.raises(RnnInputError, match="unknown file type '.txt'"):
        load_params(tmp_path / "w.txt")


def test_empty_npz_is_rejected(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path)
    with pytest.raises(RnnInputError, match="holds no arrays"):
        load_params(path)


def test_whole_torch_module_is_rejected(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "model.pt"
    torch.save(torch.nn.RNN(2, 3), path)  # a pickled module, not a state_dict
    with pytest.raises(RnnInputError, match=r"model\.pt: holds Python objects besides tensors") as info:
        load_params(path)
    assert "\n" not in str(info.value)


def test_torch_non_dict_and_junk_are_rejected(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save(torch.zeros(3), tmp_path / "t.pt")
    with pytest.raises(RnnInputError, match=r"t\.pt: holds a Tensor, not a state_dict"):
        load_params(tmp_path / "t.pt")
    (tmp_path / "junk.pt").write_bytes(b"hello")
    with pytest.raises(RnnInputError, match=r"junk\.pt: not a PyTorch file"):
        load_params(tmp_path / "junk.pt")


def test_torch_missing_key_and_nan_are_named(tmp_path):
    torch = pytest.importorskip("torch")
    state = {k: torch.tensor(v) for k, v in good_params().items()}
    state["weight_ih_l0"][0, 0] = float("nan")
    torch.save(state, tmp_path / "w.pt")
    with pytest.raises(RnnInputError, match=r"w\.pt: weight_ih_l0 contains NaN or Inf"):
        load_params(tmp_path / "w.pt", "lstm")


def test_torch_missing_gives_a_clear_message(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_torch(name, *args, **kwargs):
        if name == "torch":
            raise ImportError("no torch here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_torch)
    with pytest.raises(RnnInputError, match=r"w\.pt: file not found"):    # missing: said so, torch or not
        load_params(tmp_path / "w.pt")
    (tmp_path / "w.pt").write_bytes(b"PK\x03\x04")
    with pytest.raises(RnnInputError, match="install torch to read .pt files"):
        load_params(tmp_path / "w.pt")
    (tmp_path / "w.pt").unlink()
    with pytest.raises(RnnInputError, match="install torch to write .pt files"):
        save_params(tmp_path / "w.pt", good_params())
    assert only_file(tmp_path) == []


# ------------------------------------------------------------------------------------ arrays


def test_load_array_round_trip(tmp_path):
    x = np.arange(12.0).reshape(2, 3, 2)
    np.save(tmp_path / "x.npy", x)
    np.testing.assert_array_equal(load_array(tmp_path / "x.npy", "inputs"), x)
    y = np.arange(6).reshape(2, 3)
    np.save(tmp_path / "y.npy", y)
    assert load_array(tmp_path / "y.npy", "targets").dtype == y.dtype  # integer classes stay integer


def test_load_array_rejects_bad_files(tmp_path):
    with pytest.raises(RnnInputError, match=r"^inputs file .*x\.npy: file not found$"):
        load_array(tmp_path / "x.npy", "inputs")
    np.save(tmp_path / "obj.npy", np.array([1, "a", None], dtype=object), allow_pickle=True)
    with pytest.raises(RnnInputError, match=r"^targets file .*obj\.npy: holds pickled Python objects"):
        load_array(tmp_path / "obj.npy", "targets")
    (tmp_path / "junk.npy").write_bytes(b"junk")
    with pytest.raises(RnnInputError, match=r"^h0 file .*junk\.npy: "):
        load_array(tmp_path / "junk.npy", "h0")
    np.save(tmp_path / "s.npy", np.array(["ab", "cd"]))
    with pytest.raises(RnnInputError, match=r"^inputs file .*s\.npy: must hold real numbers"):
        load_array(tmp_path / "s.npy", "inputs")
    np.savez(tmp_path / "a.npz", x=np.zeros(2))
    with pytest.raises(RnnInputError, match=r"is an \.npz archive"):
        load_array(tmp_path / "a.npz", "inputs")
    with pytest.raises(RnnInputError, match="is a folder"):
        load_array(tmp_path, "inputs")


# ---------------------------------------------------------------------------- atomic writing


def test_save_into_missing_folder_writes_nothing(tmp_path):
    target = tmp_path / "missing" / "w.npz"
    with pytest.raises(RnnInputError, match=r"the folder .*missing does not exist"):
        save_params(target, good_params())
    with pytest.raises(RnnInputError, match="does not exist"):
        save_npz(target, {"a": np.zeros(2)})
    assert not target.parent.exists()
    assert only_file(tmp_path) == []


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "w.npz"
    save_params(path, good_params())
    before = path.read_bytes()

    def broken_write(file, array, **options):
        file.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(np.lib.format, "write_array", broken_write)
    with pytest.raises(RnnInputError, match="cannot write it .*disk full"):
        save_params(path, init_params(SPECS[2], seed=99))
    assert path.read_bytes() == before
    assert only_file(tmp_path) == ["w.npz"]


def test_save_rejects_bad_targets(tmp_path):
    with pytest.raises(RnnInputError, match="is a folder"):
        save_npz(tmp_path, {"a": np.zeros(2)})
    with pytest.raises(RnnInputError, match="unknown file type '.txt'"):
        save_params(tmp_path / "w.txt", good_params())
    with pytest.raises(RnnInputError, match="not a numeric array"):
        save_npz(tmp_path / "a.npz", {"a": np.array([None], dtype=object)})
    assert only_file(tmp_path) == []


def test_save_npz_keeps_dtypes(tmp_path):
    arrays = {"loss": np.float64(1.5), "k": np.arange(3), "readout.weight": np.ones((2, 2))}
    save_npz(tmp_path / "g.npz", arrays)
    with np.load(tmp_path / "g.npz", allow_pickle=False) as data:
        assert list(data.files) == list(arrays)
        assert data["loss"].shape == () and data["loss"].dtype == np.float64
        assert data["k"].dtype == np.arange(3).dtype


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_saved_file_has_the_usual_mode(tmp_path):
    mask = os.umask(0o022)
    os.umask(mask)
    save_npz(tmp_path / "g.npz", {"a": np.zeros(2)})
    assert (tmp_path / "g.npz").stat().st_mode & 0o777 == 0o666 & ~mask


def test_check_output_path(tmp_path):
    assert check_output_path(tmp_path / "x.npz") == tmp_path / "x.npz"
    with pytest.raises(RnnInputError, match="does not exist"):
        check_output_path(tmp_path / "a" / "b.npz")


def test_relative_path_in_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_params("w.npz", good_params())
    assert os.path.exists(tmp_path / "w.npz")
    spec, _ = load_params("w.npz", "lstm")
    assert spec == SPECS[2]


def test_weights_are_never_written_through_a_symlink_or_into_a_fifo(tmp_path):
    from rnn.params import NetworkSpec, init_params
    from rnn.io import save_params
    params = init_params(NetworkSpec(input_size=1, hidden_size=2, output_size=1), seed=0)
    real = tmp_path / "real.npz"
    real.write_bytes(b"keep")
    link = tmp_path / "link.npz"
    link.symlink_to(real)
    with pytest.raises(RnnInputError, match="symbolic link"):
        save_params(link, params)
    assert real.read_bytes() == b"keep"
    fifo = tmp_path / "pipe.npz"
    os.mkfifo(fifo)
    with pytest.raises(RnnInputError, match="not a regular file"):
        save_params(fifo, params)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.npz", "pipe.npz", "real.npz"]
