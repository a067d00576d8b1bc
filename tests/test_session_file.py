"""Tests for explorer.session_file (the .bptt session file) and Optimizer.state_dict /
load_state_dict in rnn.optim. No Qt anywhere here."""

import io
import json
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer import session_file
from explorer.session_file import (
    FORMAT_VERSION,
    HISTORY_COLUMNS,
    SessionDocument,
    SessionFileError,
    read_session,
    write_session,
)
import rnn.io as io_module
from rnn.errors import RnnInputError
from rnn.optim import OPTIMIZERS, Adam, make_optimizer, optimizer_from_state_dict
from rnn.params import NetworkSpec, init_params
from rnn.tasks import get_task
from rnn.training import train
from rnn.truncation import Truncation

# ------------------------------------------------------------------------------------ helpers


class SharedStream:
    """A task whose batches come from one generator that survives across ``train`` calls, so two
    halves of a run see exactly the batches one straight run sees."""

    def __init__(self, task, seed):
        self.task, self.rng = task, np.random.default_rng(seed)
        self.loss = task.loss

    def sample(self, batch_size, seq_len, _rng):
        return self.task.sample(batch_size, seq_len, self.rng)


def small_run(optimizer, steps=3, seed=0):
    task = get_task("sine")
    spec = NetworkSpec(cell="gru", input_size=task.input_size, hidden_size=3,
                       output_size=task.output_size)
    params = init_params(spec, seed=1)
    updates = list(train(spec, params, task, optimizer, steps=steps, seq_len=6, batch_size=2,
                         seed=seed))
    return spec, params, updates


def history_of(updates):
    return {
        "loss": np.array([u.loss for u in updates], dtype=np.float64),
        "grad_norm": np.array([u.grad_norm for u in updates], dtype=np.float64),
        "clipped": np.array([u.clipped for u in updates], dtype=bool),
        "cosine": np.array([np.nan if u.cosine_to_full is None else u.cosine_to_full
                            for u in updates], dtype=np.float64),
    }


def make_document():
    optimizer = Adam(lr=0.01)
    _, params, updates = small_run(optimizer)
    return SessionDocument(
        version=FORMAT_VERSION,
        config={"cell": "gru", "hidden_size": 3, "lr": 0.01, "compare_full": False,
                "clip_threshold": None, "note": "héllo"},
        params=params,
        optimizer=optimizer.state_dict(),
        history=history_of(updates),
        position={"forward_done": 4, "visits_done": 2,
                  "selection": {"step": 3, "layer": 0, "unit": 1, "batch_index": 0}},
        lesson={"name": "vanishing", "page": 2, "done": [1, 2]},
        layout=bytes(range(256)) * 3,
        extra={"future": [1, 2.5, "x", None, True]},
    )


@pytest.fixture(scope="module")
def document():
    return make_document()


@pytest.fixture(scope="module")
def session_bytes(document, tmp_path_factory):
    path = tmp_path_factory.mktemp("session") / "s.bptt"
    write_session(path, document)
    return path.read_bytes()


def assert_same_arrays(a, b):
    assert list(a) == list(b)
    for key in a:
        assert a[key].dtype == b[key].dtype, key
        assert a[key].shape == b[key].shape, key
        assert np.array_equal(a[key], b[key], equal_nan=a[key].dtype.kind == "f"), key


def assert_same_optimizer(a, b):
    assert (a["name"], a["lr"], a["hyper"]) == (b["name"], b["lr"], b["hyper"])
    assert list(a["state"]) == list(b["state"])
    for name in a["state"]:
        x, y = a["state"][name], b["state"][name]
        assert sorted(x) == sorted(y)
        for key in x:
            if isinstance(x[key], np.ndarray):
                assert x[key].dtype == y[key].dtype and np.array_equal(x[key], y[key])
            else:
                assert type(x[key]) is type(y[key]) and x[key] == y[key]


def assert_same_documents(a, b):
    assert a.version == b.version
    assert a.config == b.config
    assert_same_arrays(a.params, b.params)
    assert_same_optimizer(a.optimizer, b.optimizer)
    assert_same_arrays(a.history, b.history)
    assert (a.position, a.lesson, a.layout, a.extra) == (b.position, b.lesson, b.layout, b.extra)


def rewrite(source: bytes, target, edit_json=None, drop=(), replace=None):
    """Copy a session zip, editing session.json (a function of the dict), dropping or replacing
    members."""
    replace = replace or {}
    with zipfile.ZipFile(io.BytesIO(source)) as zin, zipfile.ZipFile(target, "w") as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = zin.read(info)
            if info.filename == "session.json" and edit_json is not None:
                doc = json.loads(data)
                edited = edit_json(doc)  # edits in place, or returns the raw bytes to store
                doc = edited if isinstance(edited, bytes) else doc
                data = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
            data = replace.pop(info.filename, data)
            zout.writestr(info.filename, data, zipfile.ZIP_DEFLATED)
        for name, data in replace.items():
            zout.writestr(name, data, zipfile.ZIP_DEFLATED)
    return target


def npy(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


# ------------------------------------------------------------------------- optimizer state


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_continued_run_is_bit_identical(name):
    """10 updates, save/load the optimizer (through a session file), 10 more == 20 straight."""
    task = get_task("sine")
    spec = NetworkSpec(cell="lstm", input_size=task.input_size, hidden_size=4,
                       output_size=task.output_size)
    options = dict(seq_len=7, batch_size=3, truncation=Truncation("random", 0, 3),
                   clip_mode="norm", clip_threshold=1.0, seed=5)

    straight = init_params(spec, seed=2)
    list(train(spec, straight, SharedStream(task, 9), make_optimizer(name, 0.02), steps=20,
               **options))

    resumed = init_params(spec, seed=2)
    stream = SharedStream(task, 9)
    first = make_optimizer(name, 0.02)
    list(train(spec, resumed, stream, first, steps=10, **options))
    saved = first.state_dict()
    first.reset()  # the saved state must not share memory with the optimizer
    second = optimizer_from_state_dict(saved)
    list(train(spec, resumed, stream, second, steps=10, start_step=10, **options))

    for key in straight:
        assert np.array_equal(straight[key], resumed[key]), key


def test_continued_run_through_a_session_file_is_bit_identical(tmp_path):
    task = get_task("adding")
    spec = NetworkSpec(cell="rnn", input_size=task.input_size, hidden_size=5,
                       output_size=task.output_size)
    options = dict(seq_len=8, batch_size=2, seed=3)
    straight = init_params(spec, seed=0)
    list(train(spec, straight, SharedStream(task, 1), Adam(0.01), steps=20, **options))

    params = init_params(spec, seed=0)
    stream, optimizer = SharedStream(task, 1), Adam(0.01)
    list(train(spec, params, stream, optimizer, steps=10, **options))
    write_session(tmp_path / "s.bptt", SessionDocument(params=params,
                                                       optimizer=optimizer.state_dict()))
    loaded = read_session(tmp_path / "s.bptt")
    params = loaded.params
    list(train(spec, params, stream, optimizer_from_state_dict(loaded.optimizer), steps=10,
               start_step=10, **options))
    for key in straight:
        assert np.array_equal(straight[key], params[key]), key


def test_state_dict_is_a_copy_and_load_copies():
    optimizer = Adam(lr=0.01, betas=(0.8, 0.99), eps=1e-6)
    small_run(optimizer, steps=2)
    d = optimizer.state_dict()
    assert d["name"] == "adam" and d["lr"] == 0.01
    assert d["hyper"] == {"betas": [0.8, 0.99], "eps": 1e-6}
    json.dumps({k: v for k, v in d.items() if k != "state"})  # JSON-able apart from arrays
    first = next(iter(d["state"]))
    assert d["state"][first]["step"] == 2
    before = optimizer.state[first]["exp_avg"].copy()
    d["state"][first]["exp_avg"] += 1.0
    assert np.array_equal(optimizer.state[first]["exp_avg"], before)

    other = Adam(lr=0.5)
    other.load_state_dict(d)
    assert other.lr == 0.01 and other.betas == (0.8, 0.99) and other.eps == 1e-6
    d["state"][first]["exp_avg"] += 1.0
    assert not np.array_equal(other.state[first]["exp_avg"], d["state"][first]["exp_avg"])


@pytest.mark.parametrize("edit, match", [
    (lambda d: d.update(name="sgd"), "is for 'sgd'"),
    (lambda d: d.update(lr=float("nan")), "learning rate"),
    (lambda d: d.update(lr="0.1"), "learning rate must be a number"),
    (lambda d: d.update(bogus=1), "unknown key"),
    (lambda d: d["hyper"].update(momentum=0.9), "no hyperparameter 'momentum'"),
    (lambda d: d["hyper"].update(eps=float("inf")), "eps must be finite"),
    (lambda d: d["hyper"].update(betas=[0.9]), "betas must be 2 numbers"),
    (lambda d: d["hyper"].update(betas=[0.9, 1.5]), "beta2"),
    (lambda d: d["state"]["w"].update(extra=np.zeros(2)), "unknown key"),
    (lambda d: d["state"]["w"].pop("exp_avg_sq"), "missing exp_avg_sq"),
    (lambda d: d["state"]["w"].update(step=-1), "must be >= 0"),
    (lambda d: d["state"]["w"].update(step=1.5), "must be an integer"),
    (lambda d: d["state"]["w"].update(exp_avg=np.array([1, 2])), "floating-point"),
    (lambda d: d["state"]["w"].update(exp_avg=np.array([1.0, np.nan])), "NaN or Inf"),
    (lambda d: d["state"]["w"].update(exp_avg=[1.0, 2.0]), "must be an array"),
    (lambda d: d["state"]["w"].update(exp_avg=np.zeros(3)), "shape"),
    (lambda d: d.update(state=[]), "must map parameter names"),
])
def test_load_state_dict_refuses_bad_state(edit, match):
    optimizer = Adam(lr=0.1)
    optimizer.step({"w": np.zeros(2)}, {"w": np.ones(2)})
    d = optimizer.state_dict()
    edit(d)
    target = Adam(lr=0.3)
    with pytest.raises(RnnInputError, match=match) as info:
        target.load_state_dict(d)
    assert "\n" not in str(info.value)
    assert target.lr == 0.3 and target.state == {}  # unchanged


def test_sgd_names_and_optimizer_from_state_dict_errors():
    momentum = make_optimizer("momentum", 0.1)
    momentum.step({"w": np.zeros(2)}, {"w": np.ones(2)})
    d = momentum.state_dict()
    assert d["name"] == "momentum" and d["hyper"] == {"momentum": 0.9, "nesterov": False}
    restored = optimizer_from_state_dict(d)
    assert restored.momentum == 0.9 and np.array_equal(restored.state["w"]["momentum_buffer"],
                                                       momentum.state["w"]["momentum_buffer"])
    d["hyper"]["momentum"] = 0.0
    with pytest.raises(RnnInputError, match="make a 'sgd' optimizer"):
        optimizer_from_state_dict(d)
    with pytest.raises(RnnInputError, match="unknown optimizer"):
        optimizer_from_state_dict({"name": "lbfgs", "lr": 0.1})
    with pytest.raises(RnnInputError, match="must be a dict"):
        optimizer_from_state_dict(["adam"])
    plain = make_optimizer("sgd", 0.1)
    plain.step({"w": np.zeros(2)}, {"w": np.ones(2)})
    assert optimizer_from_state_dict(plain.state_dict()).state == {"w": {}}


# ------------------------------------------------------------------------------ round trip


def test_round_trip_keeps_every_field(tmp_path, document):
    path = tmp_path / "s.bptt"
    write_session(path, document)
    loaded = read_session(path)
    assert_same_documents(document, loaded)
    assert loaded.notes == []
    assert sorted(os.listdir(tmp_path)) == ["s.bptt"]  # no temporary file left behind
    assert list(loaded.history) == list(HISTORY_COLUMNS)
    assert loaded.params["weight_hh_l0"].dtype == np.float64
    assert loaded.history["clipped"].dtype == bool


def test_session_json_is_readable_with_an_index(tmp_path, document):
    path = tmp_path / "s.bptt"
    write_session(path, document)
    with zipfile.ZipFile(path) as archive:
        text = archive.read("session.json").decode()
        names = set(archive.namelist())
    assert text.startswith("{\n  ")  # indented
    doc = json.loads(text)
    assert doc["version"] == FORMAT_VERSION and doc["config"] == document.config
    assert doc["optimizer"]["name"] == "adam" and doc["optimizer"]["hyper"]["eps"] == 1e-8
    assert doc["arrays"]["params"]["weight_hh_l0"] == "params/weight_hh_l0.npy"
    assert doc["arrays"]["optimizer"]["weight_hh_l0"]["exp_avg"] == \
        "optimizer/weight_hh_l0/exp_avg.npy"
    assert doc["arrays"]["history"]["loss"] == "history/loss.npy"
    assert names == {"session.json", "layout.npy",
                     *doc["arrays"]["params"].values(), *doc["arrays"]["history"].values(),
                     *(m for e in doc["arrays"]["optimizer"].values() for m in e.values())}


def test_round_trip_of_a_minimal_document_and_float32(tmp_path):
    params = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "readout.bias": np.zeros(0)}
    document = SessionDocument(params=params, optimizer=make_optimizer("sgd", 0.1).state_dict())
    write_session(tmp_path / "m.bptt", document)
    loaded = read_session(tmp_path / "m.bptt")
    assert_same_documents(document, loaded)
    assert loaded.history == {} and loaded.layout == b""


def test_overwrites_an_existing_file(tmp_path, document):
    path = tmp_path / "s.bptt"
    path.write_bytes(b"old")
    write_session(path, document)
    assert read_session(path).config == document.config


# ------------------------------------------------------------------------------ writing


@pytest.mark.parametrize("what", ["replace", "npy"])
def test_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch, document, what):
    path = tmp_path / "s.bptt"
    path.write_bytes(b"the old file")

    def broken(*args, **kw):
        raise OSError("disk full")

    if what == "replace":
        monkeypatch.setattr(io_module.os, "replace", broken)
    else:
        monkeypatch.setattr(session_file.npy_format, "write_array", broken)
    with pytest.raises(SessionFileError, match="cannot write it .*disk full"):
        write_session(path, document)
    assert path.read_bytes() == b"the old file"
    assert sorted(os.listdir(tmp_path)) == ["s.bptt"]


def test_a_non_os_failure_also_keeps_the_old_file(tmp_path, monkeypatch, document):
    path = tmp_path / "s.bptt"
    path.write_bytes(b"the old file")
    monkeypatch.setattr(session_file.npy_format, "write_array",
                        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError):
        write_session(path, document)
    assert path.read_bytes() == b"the old file"
    assert sorted(os.listdir(tmp_path)) == ["s.bptt"]


def test_refuses_symlink_fifo_folder_and_missing_folder(tmp_path, document):
    real = tmp_path / "real.bptt"
    real.write_bytes(b"keep")
    link = tmp_path / "link.bptt"
    link.symlink_to(real)
    with pytest.raises(SessionFileError, match="symbolic link"):
        write_session(link, document)
    assert real.read_bytes() == b"keep" and link.is_symlink()

    (tmp_path / "folder.bptt").mkdir()
    with pytest.raises(SessionFileError, match="is a folder"):
        write_session(tmp_path / "folder.bptt", document)
    with pytest.raises(SessionFileError, match="does not exist"):
        write_session(tmp_path / "nowhere" / "s.bptt", document)
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "fifo.bptt"
        os.mkfifo(fifo)
        with pytest.raises(SessionFileError, match="not a regular file"):
            write_session(fifo, document)
        with pytest.raises(SessionFileError, match="not a regular file"):
            read_session(fifo)  # and reading does not hang on it
    if os.path.exists("/dev/null"):
        with pytest.raises(SessionFileError, match="not a regular file"):
            write_session("/dev/null", document)
        with pytest.raises(SessionFileError, match="not a regular file"):
            read_session("/dev/null")
    with pytest.raises(SessionFileError, match="is a folder"):
        read_session(tmp_path / "folder.bptt")
    with pytest.raises(SessionFileError, match="no such file"):
        read_session(tmp_path / "absent.bptt")
    left = {"folder.bptt", "link.bptt", "real.bptt"} | ({"fifo.bptt"} if hasattr(os, "mkfifo") else set())
    assert set(os.listdir(tmp_path)) == left  # no temporary file left behind


@pytest.mark.parametrize("change, match", [
    (dict(config={"x": [1]}), "config.x must be a string, number"),
    (dict(config={"x": float("nan")}), "config.x must be finite"),
    (dict(config={1: 2}), "not a string"),
    (dict(position={"a": {"b": np.int64(3)}}), r"position.a.b must be .*got a int64"),
    (dict(lesson=[1]), "lesson must be an object"),
    (dict(params={"w": np.array([1.0, np.inf])}), "NaN or Inf"),
    (dict(params={"w": np.array([1, 2])}), "real floating-point"),
    (dict(params={"../w": np.zeros(2)}), "not a plain name"),
    (dict(optimizer={}), "unknown optimizer"),
    (dict(history={"loss": np.zeros(2)}), "exactly the columns"),
    (dict(layout="text"), "layout must be bytes"),
])
def test_write_refuses_a_bad_document(tmp_path, change, match):
    params = {"w": np.zeros(2)}
    base = dict(params=params, optimizer=make_optimizer("sgd", 0.1).state_dict())
    base.update(change)
    with pytest.raises(SessionFileError, match=match):
        write_session(tmp_path / "s.bptt", SessionDocument(**base))
    assert os.listdir(tmp_path) == []


def test_write_refuses_unequal_history_and_optimizer_mismatch(tmp_path, document):
    history = dict(document.history, loss=np.zeros(1))
    with pytest.raises(SessionFileError, match="different lengths"):
        write_session(tmp_path / "s.bptt", SessionDocument(params=document.params,
                                                           optimizer=document.optimizer,
                                                           history=history))
    with pytest.raises(SessionFileError, match="not a parameter"):
        write_session(tmp_path / "s.bptt", SessionDocument(params={"w": np.zeros(2)},
                                                           optimizer=document.optimizer))


# ------------------------------------------------------------------------------ reading


def test_zip_bomb_is_refused_before_decompressing(tmp_path, session_bytes):
    bomb = rewrite(session_bytes, tmp_path / "bomb.bptt",
                   replace={"junk.bin": b"\0" * (4 * 1024 * 1024)})
    assert bomb.stat().st_size < 200_000
    with pytest.raises(SessionFileError, match="junk.bin declares 4194304 bytes"):
        read_session(bomb, max_bytes=1024 * 1024)
    with pytest.raises(SessionFileError, match="in total"):
        read_session(tmp_path / "bomb.bptt", max_bytes=4 * 1024 * 1024 + 10)
    read_session(bomb, max_bytes=8 * 1024 * 1024)  # within the limit: opens


def test_a_lying_npy_header_is_refused(tmp_path, session_bytes):
    # A crafted .npy: a header declaring 10**10 float64 values, followed by 3 of them.
    fake = io.BytesIO()
    np.lib.format.write_array_header_1_0(fake, {"descr": "<f8", "fortran_order": False,
                                                "shape": (10**10,)})
    fake.write(np.zeros(3).tobytes())
    path = rewrite(session_bytes, tmp_path / "lie.bptt",
                   replace={"params/weight_hh_l0.npy": fake.getvalue()})
    with pytest.raises(SessionFileError, match="header declares shape"):
        read_session(path)


def test_pickled_object_arrays_are_refused(tmp_path, session_bytes, monkeypatch):
    payload = np.array([{"evil": 1}, None], dtype=object)
    path = rewrite(session_bytes, tmp_path / "pickle.bptt",
                   replace={"params/weight_hh_l0.npy": npy(payload, allow_pickle=True)})
    monkeypatch.setattr(pickle, "loads", lambda *a, **k: pytest.fail("unpickled"))
    with pytest.raises(SessionFileError, match="pickled Python objects"):
        read_session(path)


@pytest.mark.parametrize("member, array, match", [
    ("params/weight_hh_l0.npy", np.zeros((9, 3), dtype=complex), "wrong dtype complex128"),
    ("params/weight_hh_l0.npy", np.array(["a", "b"]), "wrong dtype <U1"),
    ("params/weight_hh_l0.npy", np.full((9, 3), np.nan), "NaN or Inf"),
    ("history/clipped.npy", np.zeros(3), "wrong dtype float64"),
    ("history/loss.npy", np.zeros(7), "different lengths"),
    ("history/loss.npy", np.zeros((3, 1)), "must be a 1-D float64"),
    ("layout.npy", np.zeros(3, dtype=np.uint16), "must be a 1-D uint8"),
])
def test_bad_arrays_are_refused(tmp_path, session_bytes, member, array, match):
    path = rewrite(session_bytes, tmp_path / "bad.bptt", replace={member: npy(array)})
    with pytest.raises(SessionFileError, match=match):
        read_session(path)


def test_missing_member_is_named(tmp_path, session_bytes):
    path = rewrite(session_bytes, tmp_path / "m.bptt", drop={"params/weight_hh_l0.npy"})
    with pytest.raises(SessionFileError, match="member params/weight_hh_l0.npy is missing"):
        read_session(path)
    path = rewrite(session_bytes, tmp_path / "j.bptt", drop={"session.json"})
    with pytest.raises(SessionFileError, match="member session.json is missing"):
        read_session(path)


def test_not_a_zip(tmp_path):
    (tmp_path / "x.bptt").write_bytes(b"hello, world")
    with pytest.raises(SessionFileError, match="not a session file"):
        read_session(tmp_path / "x.bptt")


def test_newer_version_is_refused(tmp_path, session_bytes):
    path = rewrite(session_bytes, tmp_path / "new.bptt",
                   edit_json=lambda d: d.update(version=FORMAT_VERSION + 1))
    with pytest.raises(SessionFileError, match="made by a newer version"):
        read_session(path)


def test_older_version_and_missing_parts_open_with_notes(tmp_path, session_bytes):
    def strip(doc):
        doc["version"] = FORMAT_VERSION - 1
        for key in ("lesson", "extra", "position"):
            del doc[key]
        del doc["arrays"]["history"], doc["arrays"]["layout"]
        doc["colour"] = "blue"

    path = rewrite(session_bytes, tmp_path / "old.bptt", edit_json=strip,
                   drop={"layout.npy", *(f"history/{c}.npy" for c in HISTORY_COLUMNS)})
    loaded = read_session(path)
    assert loaded.version == FORMAT_VERSION - 1
    assert (loaded.lesson, loaded.extra, loaded.position, loaded.layout, loaded.history) == \
        ({}, {}, {}, b"", {})
    notes = " | ".join(loaded.notes)
    for word in ("older format", "no lesson", "no extra", "no position", "no training history",
                 "no window layout", "unknown key(s) colour"):
        assert word in notes, word
    assert loaded.params and loaded.optimizer["state"]


def test_partial_history_is_filled_with_a_note(tmp_path, session_bytes):
    def drop_cosine(doc):
        del doc["arrays"]["history"]["cosine"]

    path = rewrite(session_bytes, tmp_path / "h.bptt", edit_json=drop_cosine,
                   drop={"history/cosine.npy"})
    loaded = read_session(path)
    assert list(loaded.history) == list(HISTORY_COLUMNS)
    assert np.isnan(loaded.history["cosine"]).all() and len(loaded.history["cosine"]) == 3
    assert any("no cosine column" in n for n in loaded.notes)


def test_missing_optimizer_state_opens_with_a_note(tmp_path, session_bytes):
    def drop_state(doc):
        del doc["arrays"]["optimizer"]
        doc["optimizer"]["state"] = {}

    path = rewrite(session_bytes, tmp_path / "o.bptt", edit_json=drop_state)
    loaded = read_session(path)
    assert loaded.optimizer["state"] == {} and loaded.optimizer["name"] == "adam"
    assert any("no optimizer state" in n for n in loaded.notes)


@pytest.mark.parametrize("edit, match", [
    (lambda d: b'{\n  "version": 1,\n  "config": {,\n}', r"session.json: not valid JSON \(line 3\)"),
    (lambda d: b"\xff\xfe", "not UTF-8"),
    (lambda d: b"[1, 2]", "must hold a JSON object"),
    (lambda d: b'{"version": NaN}', "not valid JSON"),
    (lambda d: d.update(version="1"), "version must be an integer"),
    (lambda d: d.pop("version"), "has no version"),
    (lambda d: d.update(format="something else"), "format is"),
    (lambda d: d.pop("config"), "has no config"),
    (lambda d: d["config"].update(hidden_size=[3]), "config.hidden_size must be a string"),
    (lambda d: d.update(config="gru"), "config must be an object"),
    (lambda d: d.update(lesson=[1]), "lesson must be an object"),
    (lambda d: d["optimizer"].update(lr="fast"), "learning rate must be a number"),
    (lambda d: d["optimizer"].update(name="adagrad"), "no hyperparameter 'betas'"),
    (lambda d: d["optimizer"]["hyper"].update(eps=True), "eps must be a number"),
    (lambda d: d["optimizer"].update(state=[]), "optimizer.state must be an object"),
    (lambda d: next(iter(d["optimizer"]["state"].values())).update(step="10"),
     "must be an integer"),
    (lambda d: d["arrays"]["params"].update(w="params/w.npy"), "member params/w.npy is missing"),
    (lambda d: d["arrays"].update(params=[]), "arrays.params must be an object"),
    (lambda d: d["arrays"].pop("params"), "arrays has no params"),
    (lambda d: d["arrays"].update(layout=3), "member name 3 is not a string"),
    (lambda d: d["arrays"]["params"].pop("weight_hh_l0"), "which is not a parameter"),
])
def test_hand_edited_json_with_a_wrong_type(tmp_path, session_bytes, edit, match):
    path = rewrite(session_bytes, tmp_path / "e.bptt", edit_json=edit)
    with pytest.raises(SessionFileError, match=match) as info:
        read_session(path)
    assert "\n" not in str(info.value)
    assert str(path) in str(info.value)


def test_every_truncation_is_a_session_file_error(tmp_path, session_bytes):
    path = tmp_path / "cut.bptt"
    size = len(session_bytes)
    offsets = sorted(set(range(0, size, max(1, size // 400))) | set(range(max(0, size - 200), size)))
    for offset in offsets:
        path.write_bytes(session_bytes[:offset])
        with pytest.raises(SessionFileError):
            read_session(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_byte_flips_give_only_session_file_errors(session_bytes, tmp_path_factory, data):
    blob = bytearray(session_bytes)
    flips = data.draw(st.lists(st.tuples(st.integers(0, len(blob) - 1), st.integers(1, 255)),
                               min_size=1, max_size=4))
    for offset, mask in flips:
        blob[offset] ^= mask
    path = tmp_path_factory.getbasetemp() / "flipped.bptt"
    path.write_bytes(bytes(blob))
    try:
        read_session(path)
    except SessionFileError:
        pass


def test_importing_the_module_loads_no_qt():
    code = ("import sys, explorer.session_file\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('PySide6', 'shiboken6', 'pyqtgraph')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
