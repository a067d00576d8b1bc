"""One's own data files as tasks (rnn.user_data.read_data), and the size checks that keep a
hostile file from taking the machine's memory (rnn.io)."""

import numpy as np
import pytest

from rnn import io as rnn_io
from rnn.errors import RnnInputError
from rnn.user_data import RandomInputsTask, SeriesTask, SequencesTask, TextTask, read_data


def test_npy_inputs_and_targets_batch_first(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 8, 3))            # (B, T, I)
    y = rng.integers(0, 5, size=(20, 8))           # (B, T) class indices
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    task = read_data(tmp_path / "x.npy", tmp_path / "y.npy", batch_first=True)
    assert isinstance(task, SequencesTask) and task.loss == "xent"
    assert (task.input_size, task.output_size, task.max_seq_len, task.sequences) == (3, 5, 8, 20)
    batch = task.sample(20, 8, np.random.default_rng(1))
    for b in range(20):                              # a permutation of the user's sequences, whole
        j = next(j for j in range(20) if np.array_equal(x[j], batch.inputs[:, b]))
        assert np.array_equal(batch.targets[:, b], y[j])
    assert np.all(batch.loss_mask == 1)
    with pytest.raises(RnnInputError, match="up to 8"):
        task.sample(4, 9, np.random.default_rng(1))
    assert read_data(tmp_path / "x.npy", tmp_path / "y.npy", batch_first=True, output_size=9).output_size == 9


def test_last_step_targets_and_next_step_without_targets(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 4, 2))               # (T, B, I)
    np.savez(tmp_path / "d.npz", inputs=x, targets=rng.standard_normal((4, 1)))   # (B, O): the last step
    task = read_data(tmp_path / "d.npz")
    batch = task.sample(4, 3, np.random.default_rng(0))
    assert task.last_only and batch.loss_mask[:, 0].tolist() == [0, 0, 1]
    j = next(j for j in range(4) if np.array_equal(x[3:, j], batch.inputs[:, 0]))   # the last 3 steps
    assert j >= 0
    np.save(tmp_path / "x.npy", x)
    forecast = read_data(tmp_path / "x.npy")         # no targets: y_t = x_{t+1}
    assert forecast.max_seq_len == 5 and np.array_equal(forecast.targets, x[1:])


def test_text_and_csv(tmp_path):
    (tmp_path / "t.txt").write_text("hello world", encoding="utf-8")
    text = read_data(tmp_path / "t.txt")
    assert isinstance(text, TextTask) and text.vocab == " dehlorw"
    batch = text.sample(3, 4, np.random.default_rng(0))
    decoded = text.decode(np.argmax(batch.inputs[:, 0], axis=1)) + text.vocab[batch.targets[-1, 0]]
    assert decoded in "hello world"
    (tmp_path / "s.csv").write_text("day,value\n1,3\n2,5\n3,4\n4,8\n", encoding="utf-8")
    assert "day" in read_data(tmp_path / "s.csv").title          # the first numeric column
    series = read_data(tmp_path / "s.csv", column="value")
    assert isinstance(series, SeriesTask) and "value" in series.title
    assert "value" in read_data(tmp_path / "s.csv", column="1").title
    assert series.series.mean() == pytest.approx(0) and series.series.std() == pytest.approx(1)


@pytest.mark.parametrize("name, content, match", [
    ("x.bin", b"", "unknown type '.bin'"),
    ("t.txt", b"\xff\xfe\x00bad", "not UTF-8"),
    ("t.txt", b"aa", "at least 3 characters"),
    ("d.npz", None, "must hold 'inputs'"),
])
def test_bad_data_files_are_refused_with_the_reason(tmp_path, name, content, match):
    path = tmp_path / name
    if content is None:
        np.savez(path, x=np.zeros(3))
    else:
        path.write_bytes(content)
    with pytest.raises(RnnInputError, match=match):
        read_data(path)


def test_bad_arrays_are_refused(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((5, 2)))
    with pytest.raises(RnnInputError, match=r"inputs must have shape \(T, B, I\)"):
        read_data(tmp_path / "x.npy")
    x = np.zeros((5, 2, 1))
    x[1, 1, 0] = np.nan
    np.save(tmp_path / "x.npy", x)
    with pytest.raises(RnnInputError, match="finite"):
        read_data(tmp_path / "x.npy")
    np.save(tmp_path / "x.npy", np.zeros((5, 2, 1)))
    np.save(tmp_path / "y.npy", np.zeros((5, 3, 1)))
    with pytest.raises(RnnInputError, match=r"targets must have shape \(5, 2, O\)"):
        read_data(tmp_path / "x.npy", tmp_path / "y.npy")
    with pytest.raises(RnnInputError, match="1 to 4096"):
        RandomInputsTask(0, 3)


def test_a_npy_header_declaring_more_than_memory_or_the_file_is_refused_before_allocating(tmp_path):
    path = tmp_path / "huge.npy"
    with open(path, "wb") as file:
        np.lib.format.write_array_header_1_0(file, {"descr": "<f8", "fortran_order": False,
                                                    "shape": (10**6, 10**6)})
        file.write(b"\0" * 64)
    with pytest.raises(RnnInputError, match="declares an array of 7450.6 GiB"):
        read_data(path)
    short = tmp_path / "short.npy"
    with open(short, "wb") as file:
        np.lib.format.write_array_header_1_0(file, {"descr": "<f8", "fortran_order": False, "shape": (100, 3)})
        file.write(b"\0" * 64)
    with pytest.raises(RnnInputError, match="declares 2400 bytes of data but holds 64: cut short"):
        rnn_io.load_array(short, "inputs")


def test_an_npz_that_unpacks_beyond_the_limit_is_refused_before_reading(tmp_path, monkeypatch):
    np.savez_compressed(tmp_path / "bomb.npz", inputs=np.zeros((1000, 100, 1)))   # 800 kB of zeros, ~1 kB packed
    assert (tmp_path / "bomb.npz").stat().st_size < 10_000
    monkeypatch.setattr(rnn_io, "MAX_ARRAY_BYTES", 100_000)
    with pytest.raises(RnnInputError, match="would take .* GiB once unpacked"):
        read_data(tmp_path / "bomb.npz")
