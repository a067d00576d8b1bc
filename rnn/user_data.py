"""Your own sequences as a task: stepped through, drawn and trained on like the built-in ones.

- :class:`SequencesTask`: arrays you saved, inputs (T, B, I) (or (B, T, I), batch first) and
  targets (T, B, O) floats (MSE) or (T, B) class indices (cross-entropy), or the last step's
  alone, (B, O) or (B,). Without targets the task is to predict the next step of the inputs.
  Each batch is a random choice of your sequences (without repeats while there are enough), their
  first T steps, or their last T when only the last step has a target.
- :class:`TextTask`: a text file at the character level, the alphabet taken from the file; each
  sequence is a random stretch of the text, predicting the next character at every step.
- :class:`SeriesTask`: a numeric CSV column (read by :class:`rnn.tasks.CsvSeriesTask`), forecast
  one step ahead.
- :class:`RandomInputsTask`: inputs x_t ~ N(0, I) and targets ~ N(0, I) for a model whose input
  and output sizes no task has, so that its gradient flow can be looked at at once.

:func:`read_data` makes the right one from a file. Each is named ``data``, ``data-2``, … as it
is added (:func:`add_data_task`), so that a configuration keeps meaning the data it was made with.
"""

from __future__ import annotations

import pathlib

import numpy as np

from .errors import RnnInputError
from .io import load_array, open_input, read_npz
from .layout import targets_time_first, time_first
from .tasks import (TASKS, Batch, CharTask, CsvSeriesTask, Task, _forecast_batch, _next_symbol_batch,
                    _random_windows, add_task)

DATA_TASK = "data"
MAX_TEXT_BYTES = 8 * 2**20
MAX_TEXT_SYMBOLS = 256
MAX_RANDOM_SIZE = 4096


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


class SequencesTask(Task):
    """The user's own (T, B, I) inputs and targets; see the module's docstring."""

    name = DATA_TASK

    def __init__(self, inputs, targets=None, source: str = "your data", batch_first: bool = False,
                 output_size: int | None = None):
        inputs = np.asarray(time_first(np.asarray(inputs), batch_first, "inputs"))
        if inputs.ndim != 3 or 0 in inputs.shape:
            raise RnnInputError(f"{source}: inputs must have shape (T, B, I)"
                                f"{' — (B, T, I) batch first' if batch_first else ''}, got {inputs.shape}")
        if not np.issubdtype(inputs.dtype, np.number) or np.issubdtype(inputs.dtype, np.complexfloating) \
                or not np.all(np.isfinite(inputs)):
            raise RnnInputError(f"{source}: inputs must be finite real numbers")
        inputs = inputs.astype(np.float64)
        self.last_only = False
        if targets is None:                       # predict the next step: y_t = x_{t+1}
            if inputs.shape[0] < 2:
                raise RnnInputError(f"{source}: without targets the next step is predicted, which "
                                    "needs at least 2 steps")
            inputs, targets, self.loss = inputs[:-1], inputs[1:], "mse"
        else:
            targets = np.asarray(targets)
            integer = np.issubdtype(targets.dtype, np.integer)
            self.loss = "xent" if integer else "mse"
            self.last_only = targets.ndim == (1 if integer else 2)
            targets = targets_time_first(targets, self.loss, "last" if self.last_only else "all",
                                         inputs.shape[0], batch_first)
        T, B = inputs.shape[:2]
        self._check_targets(targets, T, B, source)
        self.inputs, self.targets = inputs, targets
        self.input_size = inputs.shape[2]
        if self.loss == "xent":
            self.output_size = max(int(targets.max()) + 1, 2, output_size or 0)
        else:
            self.output_size = targets.shape[2]
        self.source = source
        self.title = f"Your data ({source})"
        self.default_seq_len = T
        self.description = (f"{source}: {B} sequences of {T} steps, {_count(self.input_size, 'input')}, "
                            + (f"{self.output_size} classes" if self.loss == "xent" else _count(self.output_size, 'output'))
                            + (", a target at the last step." if self.last_only else ", a target at every step."))

    def _check_targets(self, targets, T, B, source):
        if self.loss == "mse":
            if targets.ndim != 3 or targets.shape[:2] != (T, B):
                raise RnnInputError(f"{source}: targets must have shape ({T}, {B}, O) like the inputs, "
                                    f"got {targets.shape}")
            if not np.issubdtype(targets.dtype, np.floating) or not np.all(np.isfinite(targets)):
                raise RnnInputError(f"{source}: float targets must be finite")
        else:
            if targets.shape != (T, B):
                raise RnnInputError(f"{source}: class-index targets must have shape ({T}, {B}), got {targets.shape}")
            if targets.min() < 0:
                raise RnnInputError(f"{source}: class indices must be ≥ 0, found {targets.min()}")

    @property
    def sequences(self) -> int:
        return self.inputs.shape[1]

    @property
    def max_seq_len(self) -> int:
        return self.inputs.shape[0]

    def _sample(self, batch_size, seq_len, rng):
        T = self.max_seq_len
        columns = rng.choice(self.sequences, batch_size, replace=batch_size > self.sequences)
        steps = slice(T - seq_len, T) if self.last_only else slice(0, seq_len)
        mask = np.zeros((seq_len, batch_size))
        mask[-1 if self.last_only else slice(None)] = 1.0
        return Batch(self.inputs[steps][:, columns].copy(), self.targets[steps][:, columns].copy(), mask)


class TextTask(CharTask):
    """Next-character prediction on a text, its alphabet the characters it uses."""

    name = DATA_TASK
    min_seq_len = 1

    def __init__(self, text: str, source: str = "your text"):
        vocab = "".join(sorted(set(text)))
        if len(text) < 3 or len(vocab) < 2:
            raise RnnInputError(f"{source}: needs at least 3 characters and 2 different ones")
        if len(vocab) > MAX_TEXT_SYMBOLS:
            raise RnnInputError(f"{source}: uses {len(vocab)} different characters; at most "
                                f"{MAX_TEXT_SYMBOLS} are read as an alphabet")
        self.vocab, self.source = vocab, source
        self.text = self.encode(text)
        self.title = f"Your text ({source})"
        self.default_seq_len = min(50, len(text) - 1)
        self.description = (f"{source}: {len(text)} characters, an alphabet of {len(vocab)}; predict "
                            "the next character at every step.")

    @property
    def max_seq_len(self) -> int:
        return len(self.text) - 1

    def _sample(self, batch_size, seq_len, rng):
        return _next_symbol_batch(_random_windows(self.text, batch_size, seq_len, rng), len(self.vocab))


class SeriesTask(Task):
    """Forecast the next value of one series (a CSV column, normalised): each sequence is a
    random window s_k … s_{k+T}, x_t = s_{k+t}, y_t = s_{k+t+1}, a loss at every step."""

    name = DATA_TASK
    loss = "mse"

    def __init__(self, series, source: str = "your series"):
        series = np.asarray(series, dtype=np.float64)
        if series.ndim != 1 or len(series) < 3 or not np.all(np.isfinite(series)):
            raise RnnInputError(f"{source}: a series needs at least 3 finite values")
        self.series, self.source = series, source
        self.title = f"Your series ({source})"
        self.default_seq_len = min(50, len(series) - 1)
        self.description = (f"{source}: {len(series)} values; predict the next one at every step "
                            "(normalised to mean 0, std 1).")

    @property
    def max_seq_len(self) -> int:
        return len(self.series) - 1

    def _sample(self, batch_size, seq_len, rng):
        return _forecast_batch(_random_windows(self.series, batch_size, seq_len, rng))


class RandomInputsTask(Task):
    """x_t ~ N(0, I), y_t ~ N(0, I), a loss at every step: a stand-in for a model's own data."""

    name = DATA_TASK
    loss = "mse"
    default_seq_len = 20

    def __init__(self, input_size: int, output_size: int):
        self.input_size, self.output_size = int(input_size), int(output_size)
        if not (1 <= self.input_size <= MAX_RANDOM_SIZE and 1 <= self.output_size <= MAX_RANDOM_SIZE):
            raise RnnInputError(f"random inputs need 1 to {MAX_RANDOM_SIZE} inputs and outputs, got "
                                f"{self.input_size} and {self.output_size}")
        self.title = f"Random inputs ({self.input_size} → {self.output_size})"
        self.description = ("Inputs and targets drawn from N(0, 1): the model's own gradient flow, "
                            "before its data is opened (File ▸ Open data…).")

    def _sample(self, batch_size, seq_len, rng):
        inputs = rng.standard_normal((seq_len, batch_size, self.input_size))
        targets = rng.standard_normal((seq_len, batch_size, self.output_size))
        return Batch(inputs, targets, np.ones((seq_len, batch_size)))


def _read_text(path: pathlib.Path) -> str:
    """The text of a UTF-8 file of at most MAX_TEXT_BYTES (read no further than that)."""
    label = f"text file {path}"
    with open_input(path, label) as file:
        data = file.read(MAX_TEXT_BYTES + 1)
    if len(data) > MAX_TEXT_BYTES:
        raise RnnInputError(f"{label}: over {MAX_TEXT_BYTES // 2**20} MiB; at most that is read")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise RnnInputError(f"{label}: not UTF-8 text") from None


def read_data(path, targets=None, batch_first: bool = False, output_size: int | None = None,
              column: str | int | None = None) -> Task:
    """The ``data`` task of a file: ``.npy`` inputs (with ``targets``, a second ``.npy``, or
    none), an ``.npz`` holding ``inputs`` (and ``targets``), a ``.csv`` series (``column``: its
    name or 0-based index; None: the first numeric one) or a ``.txt`` text. ``output_size``: the
    network's, so that class indices are read as that many classes."""
    path = pathlib.Path(path)
    suffix = path.suffix.lower()
    if suffix in (".txt", ".text", ".md"):
        return TextTask(_read_text(path), path.name)
    if suffix == ".csv":
        if isinstance(column, str) and column.strip().isdigit():
            column = int(column)
        csv = CsvSeriesTask(path, column.strip() if isinstance(column, str) else column)
        return SeriesTask(csv.series, f"{path.name}, {csv.column_name}")
    if suffix == ".npz":
        arrays = read_npz(path, "data file")
        if "inputs" not in arrays or set(arrays) - {"inputs", "targets"}:
            raise RnnInputError(f"data file {path}: must hold 'inputs' and optionally 'targets', "
                                f"found {', '.join(sorted(arrays)) or 'nothing'}")
        return SequencesTask(arrays["inputs"], arrays.get("targets"), path.name, batch_first, output_size)
    if suffix == ".npy":
        target_array = None if targets is None else load_array(targets, "targets")
        return SequencesTask(load_array(path, "inputs"), target_array, path.name, batch_first, output_size)
    raise RnnInputError(f"data file {path}: unknown type {suffix or '(none)'!r}; use .npy, .npz, .csv or .txt")


def add_data_task(task: Task) -> str:
    """Add ``task`` to the tasks under a name no task has yet (``data``, ``data-2``, …; random
    inputs of the same sizes are shared), and return the name."""
    for name, known in TASKS.items():
        if isinstance(task, RandomInputsTask) and isinstance(known, RandomInputsTask) and \
                (known.input_size, known.output_size) == (task.input_size, task.output_size):
            return name
    count, name = 1, DATA_TASK
    while name in TASKS:
        count += 1
        name = f"{DATA_TASK}-{count}"
    task.name = name
    if any(known.title == task.title for known in TASKS.values()):
        task.title = f"{task.title} #{count}"
    add_task(task)
    return name


def data_document(task: Task) -> tuple[dict, dict]:
    """(description, arrays): what rebuilds ``task`` with :func:`data_from_document` (a saved
    session carries the user's data with it)."""
    if isinstance(task, SequencesTask):
        targets = task.targets[-1] if task.last_only else task.targets
        return ({"kind": "sequences", "source": task.source, "output_size": task.output_size},
                {"inputs": task.inputs, "targets": targets})
    if isinstance(task, TextTask):
        return {"kind": "text", "source": task.source, "alphabet": task.vocab}, {"text": task.text}
    if isinstance(task, SeriesTask):
        return {"kind": "series", "source": task.source}, {"series": task.series}
    if isinstance(task, RandomInputsTask):
        return {"kind": "random", "input_size": task.input_size, "output_size": task.output_size}, {}
    raise RnnInputError(f"not a task of one's own data: {task!r}")


def data_from_document(description: dict, arrays: dict) -> Task:
    """The task :func:`data_document` described; RnnInputError if the description or the arrays
    do not make one."""
    try:
        kind, source = description["kind"], str(description.get("source", "your data"))
        if kind == "sequences":
            return SequencesTask(arrays["inputs"], arrays["targets"], source,
                                 output_size=int(description["output_size"]))
        if kind == "text":
            alphabet, text = str(description["alphabet"]), np.asarray(arrays["text"])
            if not np.issubdtype(text.dtype, np.integer) or text.ndim != 1 or \
                    (text.size and not 0 <= text.min() <= text.max() < len(alphabet)):
                raise RnnInputError("the text's indices do not fit its alphabet")
            return TextTask("".join(alphabet[i] for i in text), source)
        if kind == "series":
            return SeriesTask(arrays["series"], source)
        if kind == "random":
            return RandomInputsTask(int(description["input_size"]), int(description["output_size"]))
    except (KeyError, TypeError, ValueError) as error:
        raise RnnInputError(f"the saved data is incomplete ({type(error).__name__}: {error})") from None
    raise RnnInputError(f"unknown kind of saved data {kind!r}")
