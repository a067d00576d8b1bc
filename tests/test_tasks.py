"""Behaviour of the seeded sequence tasks in rnn.tasks."""

import pathlib
import string

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn.errors import RnnInputError
from rnn.tasks import TASK_NAMES, TASKS, Batch, CsvSeriesTask, get_task

CORPUS_PATH = pathlib.Path(__file__).resolve().parent.parent / "resources" / "names.txt"
CORPUS = [line.strip() for line in CORPUS_PATH.read_text().splitlines() if line.strip()]


def rng(seed=0):
    return np.random.default_rng(seed)


def lengths_for(task):
    return sorted({task.min_seq_len, task.min_seq_len + 3, task.default_seq_len, 23})


def write(tmp_path, text, name="series.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture
def good_csv(tmp_path):
    values = np.sin(np.arange(60) / 3.0) * 5 + 20
    rows = [f"2024-01-{i:02d},{v:.6f},{100 + i}" for i, v in enumerate(values)]
    lines = ["date,price,volume", *rows]
    return write(tmp_path, "\n".join(lines) + "\n")


def all_tasks(csv_path):
    return [*TASKS.values(), CsvSeriesTask(csv_path)]


# ------------------------------------------------------------------------ generic contract


def test_registry_names_and_metadata():
    assert set(TASKS) == {
        "sine", "sine_from_one", "random_walk", "delayed_recall", "adding", "loudest", "copy_memory",
        "alphabet_forward", "alphabet_backward", "alphabet_bag", "sorting", "names", "words",
    }
    assert set(TASK_NAMES) == set(TASKS) | {"csv"}
    for name, task in TASKS.items():
        assert task.name == name and name.islower()
        assert task.title and task.description
        assert task.loss in ("mse", "xent")
        assert 1 <= task.min_seq_len <= task.default_seq_len


@pytest.mark.parametrize("batch_size", [1, 5])
def test_shapes_and_dtypes(good_csv, batch_size):
    for task in all_tasks(good_csv):
        for seq_len in lengths_for(task):
            batch = task.sample(batch_size, seq_len, rng())
            assert isinstance(batch, Batch)
            T, B = seq_len, batch_size
            assert batch.inputs.shape == (T, B, task.input_size)
            assert batch.inputs.dtype == np.float64
            assert batch.loss_mask.shape == (T, B)
            assert batch.loss_mask.dtype == np.float64
            assert set(np.unique(batch.loss_mask)) <= {0.0, 1.0}
            assert batch.loss_mask.sum() > 0
            if task.loss == "mse":
                assert batch.targets.shape == (T, B, task.output_size)
                assert batch.targets.dtype == np.float64
            else:
                assert batch.targets.shape == (T, B)
                assert batch.targets.dtype == np.int64
                assert batch.targets.min() >= 0 and batch.targets.max() < task.output_size
            if task.one_hot_inputs:             # character / symbol inputs are one-hot
                assert np.all(batch.inputs.sum(-1) <= 1.0) and set(np.unique(batch.inputs)) <= {0.0, 1.0}


def test_same_seed_same_batch_different_seed_different(good_csv):
    for task in all_tasks(good_csv):
        T = task.default_seq_len
        a = task.sample(8, T, rng(42))
        b = task.sample(8, T, rng(42))
        c = task.sample(8, T, rng(43))
        for field in ("inputs", "targets", "loss_mask"):
            np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
        same = np.array_equal(a.inputs, c.inputs) and np.array_equal(a.targets, c.targets)
        assert not same, task.name


def test_bad_sizes_raise(good_csv):
    for task in all_tasks(good_csv):
        with pytest.raises(RnnInputError):
            task.sample(0, task.default_seq_len, rng())
        with pytest.raises(RnnInputError):
            task.sample(2, task.min_seq_len - 1, rng())


@pytest.mark.parametrize("name", ["sine", "random_walk"])
def test_forecast_target_is_next_input(name):
    batch = TASKS[name].sample(4, 30, rng(3))
    np.testing.assert_array_equal(batch.targets[:-1], batch.inputs[1:])
    assert np.all(batch.loss_mask == 1.0)
    assert np.abs(batch.inputs).max() < 10


def test_sine_is_a_sine():
    # s_{t+1} + s_{t-1} = 2 cos(w) s_t for any sine; check cos(w) is constant within a sequence
    x = TASKS["sine"].sample(3, 40, rng(5)).inputs[:, :, 0]
    for b in range(3):
        s = x[:, b]
        ratio = (s[2:] + s[:-2])[np.abs(s[1:-1]) > 0.2] / s[1:-1][np.abs(s[1:-1]) > 0.2]
        assert np.ptp(ratio) < 1e-9
        assert 0.4 < np.abs(s).max() <= 1.0


def test_sine_from_one_input_is_one_to_many():
    """One input, at step 0, fixes the frequency w; the targets are sin(w(t + 1)) at every step."""
    batch = TASKS["sine_from_one"].sample(6, 15, np.random.default_rng(3))
    assert np.all(batch.inputs[1:] == 0) and np.all(np.abs(batch.inputs[0]) <= 1)
    omega = 0.4 + 0.2 * batch.inputs[0, :, 0]
    assert np.all((0.2 <= omega) & (omega < 0.6))
    t = np.arange(1, 16)[:, None]
    np.testing.assert_allclose(batch.targets[..., 0], np.sin(omega[None, :] * t), rtol=0, atol=1e-12)
    assert np.all(batch.loss_mask == 1)


def test_the_loudest_channel_task_takes_any_input_size_and_number_of_classes():
    """The shapes quiz's task: I noisy channels, the class the loudest of the first C ≤ I."""
    from rnn.gradcheck import gradient_errors
    from rnn.params import NetworkSpec, init_params
    from rnn.tasks import baseline_loss, sized_task
    task = sized_task("loudest", 5, 4)
    assert (task.input_size, task.output_size) == (5, 4) and sized_task("loudest", 5, 4) is task
    batch = task.sample(400, 10, np.random.default_rng(2))
    assert batch.inputs.shape == (10, 400, 5)
    written_out = [int(np.argmax(row[:4])) for row in batch.inputs.sum(axis=0)]   # the first 4 channels only
    assert batch.targets[-1].tolist() == written_out and set(written_out) == {0, 1, 2, 3}
    assert baseline_loss("loudest", 10, inputs=5, classes=4) == pytest.approx(np.log(4), abs=0.01)
    assert sized_task("loudest") is TASKS["loudest"] and sized_task("sine", 5, 4) is TASKS["sine"]
    for inputs, classes in [(3, 4), (5, 1), (27, 3)]:
        with pytest.raises(RnnInputError, match="classes"):
            sized_task("loudest", inputs, classes)
    # the engine's gradients on it agree with finite differences
    spec = NetworkSpec(cell="gru", input_size=5, hidden_size=3, output_size=4)
    small = task.sample(3, 6, np.random.default_rng(3))
    errors = dict(gradient_errors(spec, init_params(spec, seed=1), small.inputs, small.targets, loss="xent",
                                  loss_at=small.loss_mask))
    assert max(errors.values()) < 1e-6, errors


def test_loudest_channel_is_the_argmax_of_the_sums_at_the_last_step():
    batch = TASKS["loudest"].sample(50, 10, np.random.default_rng(1))
    sums = batch.inputs.sum(axis=0)                                     # (B, 3)
    assert np.array_equal(batch.targets[-1], [int(np.argmax(row)) for row in sums])
    assert np.array_equal(batch.loss_mask[:-1], np.zeros((9, 50))) and np.all(batch.loss_mask[-1] == 1)
    assert set(np.unique(batch.targets[-1])) == {0, 1, 2}


def test_the_bag_of_letters_has_a_walks_letters_in_another_order():
    bag = TASKS["alphabet_bag"].sample(30, 12, np.random.default_rng(4))
    letters = np.concatenate([np.argmax(bag.inputs, -1), bag.targets[-1:]])        # (T + 1, B)
    for column in letters.T:
        walk = set(column)
        assert len(walk) == 13                                     # 13 different letters, each once
        assert any(walk == {(r + t) % 26 for t in range(13)} for r in range(26))   # a walk's letters
    assert not all(np.all(np.diff(column) % 26 == 1) for column in letters.T)     # not in order


def test_words_are_sentences_one_word_per_step():
    task = TASKS["words"]
    batch = task.sample(40, 5, np.random.default_rng(2))
    text = [" ".join(task.symbols[i] for i in np.argmax(batch.inputs[:, b], -1)[1:]) + " "
            + task.symbols[batch.targets[-1, b]] for b in range(40)]
    assert "what time is it ?" in text                       # the course's sentence occurs
    assert np.all(np.argmax(batch.inputs[0], -1) == 0)         # every sequence starts at "."
    np.testing.assert_array_equal(np.argmax(batch.inputs[1:], -1), batch.targets[:-1])   # next word
    assert all(s.split()[0] in {w.split()[0] for w in task.SENTENCES} for s in text)


def test_random_walk_stays_order_one_for_long_sequences():
    x = TASKS["random_walk"].sample(200, 1000, rng(9)).inputs
    assert np.abs(x).max() < 20
    assert np.median(np.abs(x[-1])) < 2


# ------------------------------------------------------------------------ memory tasks


def test_delayed_recall():
    batch = TASKS["delayed_recall"].sample(16, 12, rng(1))
    np.testing.assert_array_equal(batch.targets[-1, :, 0], batch.inputs[0, :, 0])
    assert np.all(batch.loss_mask[-1] == 1) and np.all(batch.loss_mask[:-1] == 0)
    assert len(np.unique(batch.inputs[0, :, 0])) > 1


@pytest.mark.parametrize("seq_len", [2, 3, 10, 51])
def test_adding_markers_and_sum(seq_len):
    batch = TASKS["adding"].sample(64, seq_len, rng(seq_len))
    values, markers = batch.inputs[..., 0], batch.inputs[..., 1]
    assert np.all((values >= 0) & (values < 1))
    assert np.all(markers.sum(0) == 2)
    half = seq_len // 2
    assert np.all(markers[:half].sum(0) == 1) and np.all(markers[half:].sum(0) == 1)
    np.testing.assert_allclose(batch.targets[-1, :, 0], (values * markers).sum(0))
    assert np.all(batch.loss_mask[-1] == 1) and np.all(batch.loss_mask[:-1] == 0)


def test_adding_mean_predictor_has_mse_one_sixth():
    batch = TASKS["adding"].sample(40_000, 20, rng(7))
    y = batch.targets[-1, :, 0]
    assert abs(y.mean() - 1.0) < 0.01
    assert abs(np.mean((y - 1.0) ** 2) - 1 / 6) < 0.01


@pytest.mark.parametrize("seq_len", [3, 4, 9, 20, 40, 100])
def test_copy_memory_layout(seq_len):
    batch = TASKS["copy_memory"].sample(8, seq_len, rng(seq_len))
    symbols = batch.inputs.argmax(-1)
    assert np.all(batch.inputs.sum(-1) == 1)
    S = max(1, min(10, seq_len // 4))
    data = symbols[:S]
    assert np.all(data < 8)
    assert np.all(symbols[seq_len - S - 1] == 9)  # delimiter
    blanks = np.r_[S : seq_len - S - 1, seq_len - S : seq_len]
    assert np.all(symbols[blanks] == 8)
    np.testing.assert_array_equal(batch.targets[-S:], data)
    assert np.all(batch.loss_mask[-S:] == 1) and np.all(batch.loss_mask[:-S] == 0)


@pytest.mark.parametrize("seq_len", [3, 4, 11, 12, 21])
def test_sorting_layout(seq_len):
    batch = TASKS["sorting"].sample(16, seq_len, rng(seq_len))
    n = (seq_len - 1) // 2
    digits = batch.inputs[:n, :, :10].argmax(-1)
    assert np.all(batch.inputs[:n].sum(-1) == 1) and np.all(batch.inputs[:n, :, 10] == 0)
    delimiter_step = seq_len - n - 1
    assert np.all(batch.inputs[delimiter_step, :, 10] == 1)
    assert batch.inputs[n:, :, 10].sum() == 16  # one delimiter per sequence
    assert np.all(batch.inputs[seq_len - n :] == 0)
    np.testing.assert_array_equal(batch.targets[-n:], np.sort(digits, axis=0))
    assert np.all(batch.loss_mask[-n:] == 1) and np.all(batch.loss_mask[:-n] == 0)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), seq_len=st.integers(3, 60), batch_size=st.integers(1, 4))
def test_sorting_targets_are_sorted_inputs_property(seed, seq_len, batch_size):
    batch = TASKS["sorting"].sample(batch_size, seq_len, rng(seed))
    n = (seq_len - 1) // 2
    out = batch.targets[-n:]
    assert np.all(np.diff(out, axis=0) >= 0)
    for b in range(batch_size):
        assert sorted(batch.inputs[:n, b, :10].argmax(-1).tolist()) == out[:, b].tolist()


# ------------------------------------------------------------------------ character tasks


@pytest.mark.parametrize("name, step", [("alphabet_forward", 1), ("alphabet_backward", -1)])
def test_alphabet_next_letter(name, step):
    task = TASKS[name]
    assert task.vocab == string.ascii_uppercase
    batch = task.sample(30, 40, rng(2))
    assert np.all(batch.loss_mask == 1)
    letters = string.ascii_uppercase
    for b in range(30):
        text_in = task.decode(batch.inputs[:, b].argmax(-1))
        text_out = task.decode(batch.targets[:, b])
        for x, y in zip(text_in, text_out):
            assert letters.index(y) == (letters.index(x) + step) % 26
        assert text_out[:-1] == text_in[1:]
    starts = {task.decode(batch.inputs[0, b].argmax(-1)) for b in range(30)}
    assert len(starts) > 5


def test_encode_decode_round_trip():
    task = TASKS["names"]
    assert task.vocab == "." + string.ascii_lowercase
    assert task.decode(task.encode(".maria.")) == ".maria."
    assert task.encode(".a").tolist() == [0, 1]
    with pytest.raises(RnnInputError):
        task.encode("Maria")


def test_corpus_file():
    assert 300 <= len(CORPUS) <= 500
    assert len(set(CORPUS)) == len(CORPUS)
    assert all(name.isascii() and name.isalpha() and name.islower() for name in CORPUS)


@pytest.mark.parametrize("seq_len", [2, 5, 16])
def test_names_sequences(seq_len):
    task = TASKS["names"]
    batch = task.sample(50, seq_len, rng(seq_len))
    for b in range(50):
        text_in = task.decode(batch.inputs[:, b].argmax(-1))
        text_out = task.decode(batch.targets[:, b])
        assert text_in[0] == "."
        assert text_out[:-1] == text_in[1:]
        name = text_in[1:].split(".")[0]
        assert name
        if len(name) < seq_len - 1:
            assert name in CORPUS
        else:  # truncated to T-1 letters
            assert any(full.startswith(name) for full in CORPUS)
        # loss up to and including the step predicting the end marker, then padding with "."
        end = len(name)
        assert text_out[end] == "."
        assert np.all(batch.loss_mask[: end + 1, b] == 1)
        assert np.all(batch.loss_mask[end + 1 :, b] == 0)
        assert set(text_out[end:]) == {"."}


def test_names_custom_corpus_and_bad_corpus(tmp_path):
    good = write(tmp_path, "ada\n\nbo\n", "names.txt")
    task = get_task("names", path=good)
    batch = task.sample(20, 6, rng())
    decoded = {task.decode(batch.inputs[:, b].argmax(-1)).strip(".") for b in range(20)}
    assert decoded == {"ada", "bo"}
    bad = write(tmp_path, "ada\nBo\n", "bad.txt")
    with pytest.raises(RnnInputError, match="bad.txt"):
        get_task("names", path=bad).sample(2, 5, rng())


# ------------------------------------------------------------------------ CSV series


def test_csv_good_file(good_csv):
    task = get_task("csv", path=good_csv)
    assert task.name == "csv" and task.loss == "mse"
    assert task.column_name == "price"
    np.testing.assert_allclose(task.series.mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(task.series.std(), 1.0)
    batch = task.sample(6, 20, rng(4))
    np.testing.assert_array_equal(batch.targets[:-1], batch.inputs[1:])
    assert np.all(batch.loss_mask == 1)
    # every window is a contiguous piece of the normalised series
    series = task.series
    for b in range(6):
        window = np.r_[batch.inputs[:, b, 0], batch.targets[-1, b, 0]]
        k = int(np.argmin(np.abs(series - window[0])))
        np.testing.assert_allclose(series[k : k + 21], window)


def test_csv_named_and_indexed_columns_and_no_header(good_csv, tmp_path):
    volume = CsvSeriesTask(good_csv, column="volume")
    np.testing.assert_allclose(np.diff(volume.series), np.diff(volume.series)[0])
    assert CsvSeriesTask(good_csv, column=2).column_name == "volume"
    plain = write(tmp_path, "1\n2\n4\n8\n", "plain.csv")
    task = CsvSeriesTask(plain)
    raw = np.array([1.0, 2, 4, 8])
    np.testing.assert_allclose(task.series, (raw - raw.mean()) / raw.std())


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "empty"),
        ("a,b\nx,y\nz,w\n", "no column"),
        ("value\n1\n2\n", "at least"),
        ("value\n1\nnan\n3\n4\n", "NaN"),
        ("value\n1\ninf\n3\n4\n", "NaN or infinite"),
        ("value\n5\n5\n5\n5\n", "constant"),
    ],
)
def test_csv_malformed_files(tmp_path, text, problem):
    path = write(tmp_path, text, "broken_file.csv")
    with pytest.raises(RnnInputError, match=problem) as info:
        get_task("csv", path=path)
    assert "broken_file.csv" in str(info.value)
    assert "\n" not in str(info.value)


def test_csv_bad_value_in_named_column_and_unknown_column(tmp_path):
    path = write(tmp_path, "t,v\n1,2\n2,n/a\n3,4\n4,5\n", "gaps.csv")
    with pytest.raises(RnnInputError, match=r"gaps\.csv.*'n/a'.*line 3"):
        CsvSeriesTask(path, column="v")
    with pytest.raises(RnnInputError, match=r"gaps\.csv.*'price'"):
        CsvSeriesTask(path, column="price")


def test_csv_missing_unreadable_and_too_short(tmp_path, good_csv):
    missing = tmp_path / "nowhere.csv"
    with pytest.raises(RnnInputError, match="nowhere.csv"):
        get_task("csv", path=missing)
    directory = tmp_path / "a_directory"
    directory.mkdir()
    with pytest.raises(RnnInputError, match="a_directory"):
        get_task("csv", path=directory)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x81\x00value\n")
    with pytest.raises(RnnInputError, match="binary.csv"):
        get_task("csv", path=binary)
    task = get_task("csv", path=good_csv)  # 60 values
    task.sample(2, 59, rng())
    with pytest.raises(RnnInputError, match=good_csv.name):
        task.sample(2, 60, rng())


def test_csv_needs_a_path():
    with pytest.raises(RnnInputError, match="csv"):
        get_task("csv")


# ------------------------------------------------------------------------ get_task


def test_get_task_known_and_unknown():
    for name in TASKS:
        assert get_task(name) is TASKS[name]
    with pytest.raises(RnnInputError) as info:
        get_task("stock_market")
    message = str(info.value)
    assert "stock_market" in message and "\n" not in message
    for name in TASK_NAMES:
        assert name in message


def test_get_task_rejects_unknown_options():
    with pytest.raises(RnnInputError, match="sine"):
        get_task("sine", frequency=3)


# ------------------------------------------------------------------ shuffled: a bag of inputs


def rows_sorted(steps):
    """The (T, I) input rows of one sequence as a sorted list: its multiset of input steps."""
    return sorted(map(tuple, steps.tolist()))


@pytest.mark.parametrize("name", [*TASKS, "csv"])
def test_a_shuffled_batch_is_the_ordered_one_with_each_sequences_inputs_permuted(name, good_csv):
    """Same seed: the same sequences, each one's input steps in another order; targets, mask kept."""
    from rnn.tasks import shuffled_task
    task = CsvSeriesTask(good_csv) if name == "csv" else TASKS[name]
    T = max(task.min_seq_len, 12)
    ordered = task.sample(6, T, rng(7))
    shuffled = shuffled_task(task).sample(6, T, rng(7))
    assert np.array_equal(shuffled.targets, ordered.targets)
    assert np.array_equal(shuffled.loss_mask, ordered.loss_mask)
    assert shuffled.inputs.shape == ordered.inputs.shape
    for b in range(6):
        assert rows_sorted(shuffled.inputs[:, b]) == rows_sorted(ordered.inputs[:, b])
    assert not np.array_equal(shuffled.inputs, ordered.inputs)       # the order really changed


def test_each_sequence_gets_its_own_uniform_random_order():
    """A sine's values are all different, so each sequence's permutation can be read off: a
    permutation, not the identity, a different one for each sequence; over many sequences the
    input of step 0 lands on every step about equally often (delayed recall: the one non-zero input)."""
    from rnn.tasks import shuffled_task
    ordered = TASKS["sine"].sample(8, 20, rng(3))
    shuffled = shuffled_task(TASKS["sine"]).sample(8, 20, rng(3))
    orders = []
    for b in range(8):
        x, x_shuffled = ordered.inputs[:, b, 0], shuffled.inputs[:, b, 0]
        order = [int(np.flatnonzero(x == value)[0]) for value in x_shuffled]    # x'_t = x_{π(t)}
        assert sorted(order) == list(range(20)) and order != list(range(20))
        orders.append(tuple(order))
    assert len(set(orders)) == 8
    moved = shuffled_task(TASKS["delayed_recall"]).sample(5000, 10, rng(1)).inputs[..., 0]    # (T, B)
    lands = np.bincount(np.argmax(np.abs(moved), axis=0), minlength=10)
    assert lands.min() > 400 and lands.max() < 600, lands                 # 500 each, ± 4.5 σ


def test_shuffled_training_batches_are_the_ordered_ones_batch_after_batch():
    """The permutations do not use the generator's own stream: a run of batches drawn shuffled
    holds the same sequences as the same run drawn in order."""
    from rnn.tasks import shuffled_task
    ordered_draws, shuffled_draws = rng(11), rng(11)
    for _ in range(3):
        ordered = TASKS["alphabet_forward"].sample(4, 26, ordered_draws)
        shuffled = shuffled_task(TASKS["alphabet_forward"]).sample(4, 26, shuffled_draws)
        assert np.array_equal(ordered.targets, shuffled.targets)
        assert all(rows_sorted(ordered.inputs[:, b]) == rows_sorted(shuffled.inputs[:, b]) for b in range(4))


def test_shuffled_the_next_value_is_lost_and_a_sum_is_kept():
    """Next-value tasks: the target is no longer the input that follows. The adding problem, the
    loudest channel and delayed recall: the target is still a function of the shuffled inputs."""
    from rnn.tasks import shuffled_task
    walk = shuffled_task(TASKS["random_walk"]).sample(20, 30, rng(2))
    assert not np.allclose(walk.targets[:-1], walk.inputs[1:])
    ordered_walk = TASKS["random_walk"].sample(20, 30, rng(2))
    assert np.allclose(ordered_walk.targets[:-1], ordered_walk.inputs[1:])
    adding = shuffled_task(TASKS["adding"]).sample(50, 20, rng(2))
    marked_sum = np.sum(adding.inputs[..., 0] * adding.inputs[..., 1], axis=0)
    assert np.allclose(adding.targets[-1, :, 0], marked_sum)
    loudest = shuffled_task(TASKS["loudest"]).sample(50, 10, rng(2))
    assert np.array_equal(loudest.targets[-1], np.argmax(loudest.inputs.sum(axis=0), axis=-1))
    recall = shuffled_task(TASKS["delayed_recall"]).sample(50, 10, rng(2))
    assert np.allclose(recall.targets[-1, :, 0], recall.inputs[..., 0].sum(axis=0))
    assert [name for name, task in TASKS.items() if task.order_free] == ["delayed_recall", "adding", "loudest"]


def test_a_shuffled_task_is_the_same_task_as_a_bag_with_the_same_baseline():
    from rnn.tasks import add_task, baseline_loss, shuffled_task, sized_task
    from rnn.user_data import SeriesTask, add_data_task
    bag = shuffled_task(TASKS["names"])
    assert shuffled_task(TASKS["names"]) is bag and shuffled_task(bag) is bag
    assert bag.shuffled and bag.in_order is TASKS["names"] and not TASKS["names"].shuffled
    assert isinstance(bag, type(TASKS["names"])) and bag.vocab == TASKS["names"].vocab
    assert "shuffled" in bag.title and "order is lost" in bag.description
    assert "can still be learnt" in shuffled_task(TASKS["adding"]).description
    resized = shuffled_task(sized_task("loudest", 5, 4))
    assert resized.sample(2, 6, rng()).inputs.shape == (6, 2, 5) and resized.output_size == 4
    # the best constant guess ignores the inputs: measured on shuffled batches it is the same
    B, T = 4096, 20
    targets = shuffled_task(TASKS["adding"]).sample(B, T, np.random.default_rng(20131)).targets[-1, :, 0]
    assert baseline_loss("adding", T) == pytest.approx(0.5 * np.var(targets), rel=1e-9)
    # a shuffled copy of one's own data (what the training process is sent) is added in order
    own = SeriesTask(np.sin(np.arange(80) / 4.0), "waves")
    name = add_data_task(own)
    add_task(shuffled_task(TASKS[name]))
    assert TASKS[name] is own and not TASKS[name].shuffled


def test_gradients_on_a_shuffled_batch_agree_with_finite_differences():
    from rnn.gradcheck import gradient_errors
    from rnn.params import NetworkSpec, init_params
    from rnn.tasks import shuffled_task
    for name, cell, loss in [("adding", "lstm", "mse"), ("alphabet_forward", "gru", "xent"), ("sine", "rnn", "mse")]:
        task = shuffled_task(TASKS[name])
        batch = task.sample(3, 7, rng(5))
        spec = NetworkSpec(cell=cell, input_size=task.input_size, hidden_size=4, output_size=task.output_size)
        errors = dict(gradient_errors(spec, init_params(spec, seed=2), batch.inputs, batch.targets, loss=loss,
                                      loss_at=batch.loss_mask))
        assert max(errors.values()) < 1e-6, (name, errors)
