"""Seeded sequence tasks for training recurrent networks.

Every task draws its randomness from the ``numpy.random.Generator`` passed to ``sample``, so the
same seed gives identical batches. Arrays are time-major: ``(T, B, ...)`` with ``T`` time steps and
``B`` sequences.

Loss conventions used by the docstrings below: "mse" is the engine's squared error, ½‖ŷ − y‖² per
step whose ``loss_mask`` is 1, averaged over the batch (:mod:`rnn.losses`); "xent" is the softmax
cross-entropy against integer class indices. Target values on steps where the mask is 0 are placeholders and carry no meaning.
"""

from __future__ import annotations

import copy
import csv
import inspect
import functools
import math
import operator
import pathlib
import stat
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from rnn.errors import RnnInputError

__all__ = [
    "Batch",
    "Task",
    "shuffle_within_sequences",
    "shuffled_task",
    "CharTask",
    "SineTask",
    "RandomWalkTask",
    "DelayedRecallTask",
    "AddingTask",
    "CopyMemoryTask",
    "AlphabetForwardTask",
    "AlphabetBackwardTask",
    "SortingTask",
    "NamesTask",
    "CsvSeriesTask",
    "NAMES_PATH",
    "load_names",
    "TASKS",
    "TASK_NAMES",
    "get_task",
]

NAMES_PATH = pathlib.Path(__file__).resolve().parent.parent / "resources" / "names.txt"


@dataclass(frozen=True)
class Batch:
    """One batch of sequences.

    inputs:    float64 (T, B, I)
    targets:   float64 (T, B, O) for loss "mse"; int64 class indices (T, B) for loss "xent"
    loss_mask: float64 (T, B): 1.0 where a step carries a loss, 0.0 elsewhere
    """

    inputs: np.ndarray
    targets: np.ndarray
    loss_mask: np.ndarray


# --------------------------------------------------------------------------------------- helpers


def _one_hot(indices: np.ndarray, n_classes: int) -> np.ndarray:
    """float64 one-hot encoding with a new last axis of length ``n_classes``."""
    return np.eye(n_classes, dtype=np.float64)[indices]


def _mask_last(seq_len: int, batch_size: int, n_steps: int) -> np.ndarray:
    """Loss mask with 1.0 on the last ``n_steps`` steps of every sequence."""
    mask = np.zeros((seq_len, batch_size), dtype=np.float64)
    mask[seq_len - n_steps :] = 1.0
    return mask


def _forecast_batch(series: np.ndarray) -> Batch:
    """Next-value forecasting from a (T+1, B) series: x_t = s_t, y_t = s_{t+1}, loss every step."""
    series = np.asarray(series, dtype=np.float64)
    return Batch(
        inputs=series[:-1, :, None].copy(),
        targets=series[1:, :, None].copy(),
        loss_mask=np.ones(series[1:].shape, dtype=np.float64),
    )


def _random_windows(values: np.ndarray, batch_size: int, seq_len: int, rng: np.random.Generator) -> np.ndarray:
    """``batch_size`` stretches of seq_len + 1 consecutive values, each from a start k ~ U{0 … n − T − 1}:
    (T + 1, B), column b = values[k_b : k_b + T + 1]."""
    starts = rng.integers(0, len(values) - seq_len, size=batch_size)
    return values[starts[None, :] + np.arange(seq_len + 1)[:, None]]


def _next_symbol_batch(
    symbols: np.ndarray, n_classes: int, mask: np.ndarray | None = None
) -> Batch:
    """Next-symbol prediction from a (T+1, B) index array: x_t = onehot(c_t), y_t = c_{t+1}."""
    symbols = np.asarray(symbols, dtype=np.int64)
    if mask is None:
        mask = np.ones(symbols[1:].shape, dtype=np.float64)
    return Batch(_one_hot(symbols[:-1], n_classes), symbols[1:].copy(), mask)


def _as_count(value: object, what: str) -> int:
    if isinstance(value, bool):
        raise RnnInputError(f"{what} must be an integer, got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise RnnInputError(f"{what} must be an integer, got {value!r}") from None


# ------------------------------------------------------------------------------------ base class


MAX_TASK_SIZE = 26    # the most inputs or classes a resizable task takes (one letter each)


class Task:
    """A sequence task. Subclasses set the class attributes and implement ``_sample``; a task
    whose input size and number of classes are free says ``resizable`` and has ``resized``."""

    name: str = ""
    title: str = ""
    description: str = ""
    loss: str = "mse"
    input_size: int = 1
    output_size: int = 1
    default_seq_len: int = 50
    min_seq_len: int = 1
    max_seq_len: int | None = None    # the longest sequence it has (a user's data), None: any length
    one_hot_inputs: bool = False      # each input step is a symbol (one channel set to 1)
    resizable: bool = False           # its input size and number of classes can be chosen
    shuffled: bool = False            # its inputs come in a random order within each sequence
    order_free: bool = False          # its target is a function of the bag of inputs, all read before
                                      # its one loss step: shuffled, it can still be learnt
    _in_order: "Task | None" = None   # (a shuffled copy: the task it was made from)

    def sample(self, batch_size: int, seq_len: int, rng: np.random.Generator) -> Batch:
        """Draw ``batch_size`` sequences of ``seq_len`` steps using ``rng`` only."""
        batch_size = _as_count(batch_size, "batch size")
        seq_len = _as_count(seq_len, "sequence length")
        if batch_size < 1:
            raise RnnInputError(f"batch size must be at least 1, got {batch_size}")
        if seq_len < self.min_seq_len:
            raise RnnInputError(
                f"task {self.name!r} needs a sequence length of at least {self.min_seq_len}, "
                f"got {seq_len}"
            )
        if self.max_seq_len is not None and seq_len > self.max_seq_len:
            raise RnnInputError(f"{self.title or self.name} has sequences of at most {self.max_seq_len} "
                                f"steps; choose a sequence length up to {self.max_seq_len}, not {seq_len}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        batch = self._sample(batch_size, seq_len, rng)
        if self.shuffled:       # (the orders from a child generator: rng's own stream is the ordered task's)
            return shuffle_within_sequences(batch, rng.spawn(1)[0])
        return batch

    @property
    def in_order(self) -> "Task":
        """This task with its inputs in their order: itself, or the task a shuffled copy was made from."""
        return self._in_order or self

    def _sample(self, batch_size: int, seq_len: int, rng: np.random.Generator) -> Batch:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


class CharTask(Task):
    """A task over a character vocabulary: one-hot inputs, class-index targets (xent)."""

    loss = "xent"
    vocab: str = ""
    one_hot_inputs = True

    @property
    def input_size(self) -> int:  # type: ignore[override]
        return len(self.vocab)

    @property
    def output_size(self) -> int:  # type: ignore[override]
        return len(self.vocab)

    def encode(self, text: str) -> np.ndarray:
        """Characters -> int64 indices into ``vocab``."""
        bad = sorted(set(text) - set(self.vocab))
        if bad:
            raise RnnInputError(
                f"task {self.name!r}: characters {''.join(bad)!r} are not in the vocabulary "
                f"{self.vocab!r}"
            )
        return np.array([self.vocab.index(ch) for ch in text], dtype=np.int64)

    def decode(self, indices) -> str:
        """Indices into ``vocab`` -> string."""
        return "".join(self.vocab[int(i)] for i in np.asarray(indices).ravel())


def shuffle_within_sequences(batch: Batch, rng: np.random.Generator) -> Batch:
    """The batch with each sequence's inputs in a random order, its targets and loss mask where
    they were:

        x'_{t,b} = x_{π_b(t),b},   y'_{t,b} = y_{t,b},   m'_{t,b} = m_{t,b},

    with π_b a uniform random permutation of the steps 0 … T−1, one per sequence b, drawn from
    ``rng``; all input channels of a step move together (a one-hot letter stays a letter, the
    adding problem's marker stays with its value)."""
    T, B = batch.loss_mask.shape
    order = rng.permuted(np.tile(np.arange(T)[:, None], (1, B)), axis=0)        # column b: π_b
    inputs = np.take_along_axis(batch.inputs, order[:, :, None], axis=0)
    return Batch(inputs, batch.targets, batch.loss_mask)


@functools.lru_cache(maxsize=64)
def shuffled_task(task: Task) -> Task:
    """``task`` as a bag: the same sequences (the same generator draws the same letters or
    values), each sequence's inputs in a fresh random order, the targets and the loss mask where
    they were (:func:`shuffle_within_sequences`). The same object for the same task; a shuffled
    task is its own bag. One definition for every task; what it leaves to learn depends on the task:

    - next-value and next-symbol tasks (alphabet, names, words, sine, random walk, CSV series):
      the target y_t = s_{t+1} stays at step t while the input there is now some s_{π(t)}, so the
      target is no longer the next value of what the network reads. A network that learnt the
      order fails, and a fresh one cannot learn it: what is left is the bag read so far (the
      letters seen, the level of the walk), which tells at best the level, not the next value;
    - tasks whose target is a function of the bag of inputs, all read before their one loss step
      (``order_free``: the adding problem, a sum; the loudest channel, a sum per channel; delayed
      recall, the one non-zero input): shuffled, they stay learnable, and a network that learnt
      the sum may still get it right (an honest result: order is not what these tasks test);
    - tasks with a few inputs at set steps (sine from one input, copy memory, sorting): the
      inputs move to random steps, maybe after the steps that needed them, and the delimiter
      with them; what was seen in time can still be used, the order cannot.

    The best constant prediction (:func:`baseline_loss`) does not change: it ignores the inputs."""
    if task.shuffled:
        return task
    bag = copy.copy(task)
    bag.shuffled, bag._in_order = True, task
    bag.title = f"{task.title}, order shuffled"
    bag.description = (f"{task.description} Shuffled: each sequence's inputs come in a random order, "
                       "the targets stay where they were"
                       + (" (the answer does not depend on the order: it can still be learnt)."
                          if task.order_free else ", so the order is lost."))
    return bag


BASELINE_SEQUENCES = 4096   # sequences drawn to measure a task's constant-prediction baseline …
BASELINE_STEPS = 4096 * 2000  # … at most this many sequence steps in all (T = 10,000: 1024 sequences, 0.7 s, not 3.5)
BASELINE_LEAST = 1024       # … and at least this many sequences
BASELINE_SEED = 20131       # (fixed: the baseline is a property of the task, not of a run)


def sized_task(name: str, inputs: int = 0, classes: int = 0) -> "Task":
    """The task called ``name`` with ``inputs`` inputs and ``classes`` classes where it allows it
    (0, or a task that does not: its own sizes). The same object for the same arguments."""
    task = TASKS[name]
    if not task.resizable or not (inputs or classes):
        return task
    return _resized(name, inputs or task.input_size, classes or task.output_size)


@functools.lru_cache(maxsize=64)
def _resized(name: str, inputs: int, classes: int) -> "Task":
    return TASKS[name].resized(inputs, classes)      # (only ready-made tasks are resizable)


@functools.lru_cache(maxsize=64)
def baseline_loss(task_name: str, seq_len: int, loss_at: str = "task", reduction: str = "engine",
                  inputs: int = 0, classes: int = 0) -> float:
    """The engine's loss L = (1/B) Σ_{t∈S} Σ_b ℓ of the best constant prediction, measured on
    BASELINE_SEQUENCES sequences (fewer beyond T = 2000: BASELINE_STEPS sequence steps in all, the
    per-step means then averaged over more steps): per step, the mean target (ℓ = ½‖ŷ − y‖²) or the class
    frequencies (cross-entropy) over the sequences whose step carries a loss. What a network that
    ignores its inputs reaches (the adding problem: ½ Var(U₁ + U₂) = 1/12).

    ``loss_at``: "task" (the task's own loss steps), "all" or "last"; ``reduction``: the
    engine's loss, or PyTorch's "mean" / "sum" (:func:`rnn.losses.reduction_factor`); ``inputs``,
    ``classes``: the task's sizes, where it allows them (:func:`sized_task`)."""
    from .losses import loss_mask, reduction_factor
    task = sized_task(task_name, inputs, classes)
    B = max(BASELINE_LEAST, min(BASELINE_SEQUENCES, BASELINE_STEPS // seq_len))
    batch = task.sample(B, seq_len, np.random.default_rng(BASELINE_SEED))
    mask = batch.loss_mask if loss_at == "task" else loss_mask(loss_at, seq_len, B)
    weight = mask / B * reduction_factor(task.loss, reduction, mask, task.output_size)
    counted = np.maximum(mask.sum(axis=1), 1e-300)                       # (T,)
    if task.loss == "mse":
        y = batch.targets
        mean = np.sum(mask[..., None] * y, axis=1, keepdims=True) / counted[:, None, None]
        return float(np.sum(weight * 0.5 * np.sum((y - mean) ** 2, axis=-1)))
    frequency = np.stack([np.sum(mask * (batch.targets == c), axis=1) for c in range(task.output_size)],
                         axis=1) / counted[:, None]                     # (T, C)
    with np.errstate(divide="ignore"):
        nll = np.where(frequency > 0, -np.log(np.where(frequency > 0, frequency, 1.0)), 0.0)
    return float(np.sum(weight * np.take_along_axis(nll, batch.targets, axis=1)))


# ---------------------------------------------------------------------------- forecasting tasks


class SineTask(Task):
    """Forecast a sine wave one step ahead.

    s_t = A sin(w t + phi), t = 0..T, with per-sequence A ~ U[0.5, 1), w ~ U[0.15, 0.6) rad/step
    (periods of about 10 to 42 steps), phi ~ U[0, 2 pi). Input x_t = s_t, target y_t = s_{t+1};
    loss at every step.
    """

    name = "sine"
    title = "Sine forecast"
    description = (
        "Predict the next value of a sine wave with random amplitude, frequency and phase. "
        "Every step carries a loss."
    )
    min_seq_len = 2

    def _sample(self, batch_size, seq_len, rng):
        amplitude = rng.uniform(0.5, 1.0, size=batch_size)
        omega = rng.uniform(0.15, 0.6, size=batch_size)
        phase = rng.uniform(0.0, 2.0 * np.pi, size=batch_size)
        t = np.arange(seq_len + 1, dtype=np.float64)[:, None]
        return _forecast_batch(amplitude * np.sin(omega * t + phase))


class SineFromOneInputTask(Task):
    """One-to-many: draw a whole sine wave from one number read at step 0.

    Per sequence w ~ U[0.2, 0.6) rad/step. The input is x_0 = (w − 0.4)/0.2 ∈ [−1, 1) at step 0 and
    0 after it; the target is y_t = sin(w (t + 1)) at every step t (so y_0 already depends on w);
    loss at every step. The network must keep w in its state and unroll the wave from it.
    """

    name = "sine_from_one"
    title = "Sine from one input"
    description = (
        "One number at step 0 sets a frequency; the network must then draw that sine wave at every "
        "step with no further input (one input, a sequence out). Every step carries a loss."
    )
    min_seq_len = 2
    default_seq_len = 20

    def _sample(self, batch_size, seq_len, rng):
        omega = rng.uniform(0.2, 0.6, size=batch_size)
        inputs = np.zeros((seq_len, batch_size, 1))
        inputs[0, :, 0] = (omega - 0.4) / 0.2
        t = np.arange(1, seq_len + 1, dtype=np.float64)[:, None]
        targets = np.sin(omega * t)[..., None]
        return Batch(inputs, targets, np.ones((seq_len, batch_size)))


class RandomWalkTask(Task):
    """Forecast a geometric random walk (a toy stock price) one step ahead.

    Log-returns r_t ~ N(mu, sigma^2) with sigma = 0.5 / sqrt(T) and a per-sequence drift
    mu ~ U[-0.5, 0.5) / T, so the log-price after T steps has spread about 0.5 whatever T is.
    Price P_t = exp(r_1 + ... + r_t) (P_0 = 1) and the series is s_t = P_t - 1, which stays O(1).
    Input x_t = s_t, target y_t = s_{t+1}; loss at every step.
    """

    name = "random_walk"
    title = "Random walk (stock)"
    description = (
        "Predict the next value of a random walk that looks like a stock price; the best guess is "
        "close to the current value. Every step carries a loss."
    )
    min_seq_len = 2

    def _sample(self, batch_size, seq_len, rng):
        sigma = 0.5 / math.sqrt(seq_len)
        drift = rng.uniform(-0.5, 0.5, size=batch_size) / seq_len
        returns = drift + sigma * rng.standard_normal((seq_len, batch_size))
        log_price = np.concatenate([np.zeros((1, batch_size)), np.cumsum(returns, axis=0)])
        return _forecast_batch(np.exp(log_price) - 1.0)


# ------------------------------------------------------------------------------- memory tasks


class DelayedRecallTask(Task):
    """Remember the first input until the end.

    x_0 = v with v ~ U[-1, 1), x_t = 0 for t >= 1; target y_{T-1} = v. Loss (mse) at the last
    step only; targets on the other steps are 0 and unmasked.
    """

    name = "delayed_recall"
    title = "Delayed recall"
    description = (
        "The first input is a random number, the rest are zeros; at the last step the output must "
        "repeat that first number. Only the last step carries a loss."
    )
    default_seq_len = 10
    min_seq_len = 2
    order_free = True

    def _sample(self, batch_size, seq_len, rng):
        value = rng.uniform(-1.0, 1.0, size=batch_size)
        inputs = np.zeros((seq_len, batch_size, 1))
        inputs[0, :, 0] = value
        targets = np.zeros((seq_len, batch_size, 1))
        targets[-1, :, 0] = value
        return Batch(inputs, targets, _mask_last(seq_len, batch_size, 1))


class AddingTask(Task):
    """The adding problem (Le, Jaitly & Hinton 2015).

    Channel 0: a_t ~ U[0, 1). Channel 1: m_t = 1 at exactly two steps, i ~ U{0..T//2-1} and
    j ~ U{T//2..T-1}, else 0. Target at the last step: y = a_i + a_j; loss (mse) at the last
    step only. Always predicting the mean 1.0 gives a plain mean squared error
    E[(y - 1)^2] = Var(a_i + a_j) = 2/12 = 1/6 ~ 0.167 (or 0.083 with a factor 1/2).
    """

    name = "adding"
    title = "Adding problem"
    description = (
        "Channel 1 marks two of the random numbers in channel 0 (one in each half); at the last "
        "step output their sum. Only the last step carries a loss; guessing 1.0 gives a mean squared "
        "error of 0.167 (0.083 in the engine's loss, which has a factor ½)."
    )
    input_size = 2
    min_seq_len = 2
    order_free = True

    def _sample(self, batch_size, seq_len, rng):
        half = seq_len // 2
        values = rng.uniform(0.0, 1.0, size=(seq_len, batch_size))
        first = rng.integers(0, half, size=batch_size)
        second = rng.integers(half, seq_len, size=batch_size)
        columns = np.arange(batch_size)
        markers = np.zeros((seq_len, batch_size))
        markers[first, columns] = 1.0
        markers[second, columns] = 1.0
        targets = np.zeros((seq_len, batch_size, 1))
        targets[-1, :, 0] = values[first, columns] + values[second, columns]
        inputs = np.stack([values, markers], axis=-1)
        return Batch(inputs, targets, _mask_last(seq_len, batch_size, 1))


class LoudestChannelTask(Task):
    """Many-to-one classification with I inputs and a softmax over C ≤ I classes (the course's
    shapes example: 3 inputs, a softmax output; 3 and 3 unless :meth:`resized`).

    x_t ~ N(0, 1) in each of I channels; at the last step, the class is the one of the first C
    channels whose sum Σ_t x_t,i is the largest (the other I − C channels are noise). Cross-entropy
    at the last step only; by symmetry each class is as likely, so guessing gives ln C (ln 3 ≈ 1.099).
    """

    name = "loudest"
    title = "Loudest channel"
    description = (
        "Noisy input channels (three unless chosen); at the last step, say which one added up to the "
        "most (a softmax over the classes). Only the last step carries a loss."
    )
    loss = "xent"
    input_size = 3
    output_size = 3
    default_seq_len = 10
    min_seq_len = 1
    symbols = "ABC"
    resizable = True
    order_free = True

    def resized(self, inputs: int, classes: int) -> "LoudestChannelTask":
        """The same task with ``inputs`` channels and ``classes`` classes (2 ≤ C ≤ I ≤ 26)."""
        inputs, classes = _as_count(inputs, "number of inputs"), _as_count(classes, "number of classes")
        if not 2 <= classes <= inputs <= MAX_TASK_SIZE:
            raise RnnInputError(f"the loudest-channel task needs 2 ≤ classes ≤ inputs ≤ {MAX_TASK_SIZE}, "
                                f"got {inputs} inputs and {classes} classes")
        task = LoudestChannelTask()
        task.input_size, task.output_size = inputs, classes
        task.symbols = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[:inputs]
        task.title = f"Loudest channel ({inputs} inputs, {classes} classes)"
        return task

    def _sample(self, batch_size, seq_len, rng):
        inputs = rng.standard_normal((seq_len, batch_size, self.input_size))
        targets = np.zeros((seq_len, batch_size), dtype=np.int64)
        targets[-1] = np.argmax(inputs[..., :self.output_size].sum(axis=0), axis=-1)
        return Batch(inputs, targets, _mask_last(seq_len, batch_size, 1))


class CopyMemoryTask(Task):
    """The copy-memory problem (Arjovsky, Shah & Bengio 2016), fitted into T steps.

    Symbols 0..7 are data, 8 is blank, 9 is the delimiter (K = 10 classes, one-hot inputs).
    With S = max(1, min(10, T // 4)) the layout is: steps 0..S-1 hold S random data symbols,
    then blanks, the delimiter at step T-S-1, then blanks on the last S steps, during which the
    target is the S data symbols in order. Targets on all earlier steps are blank (8); the loss
    (xent) is on the last S steps only.
    """

    name = "copy_memory"
    title = "Copy memory"
    description = (
        "Read a short string of symbols, wait through blanks, and after the delimiter write the "
        "same symbols back in order. Only the steps after the delimiter carry a loss."
    )
    loss = "xent"
    n_data = 8
    blank = 8
    delimiter = 9
    symbols = "01234567·|"        # how each class is written: the data digits, blank, delimiter
    one_hot_inputs = True
    input_size = 10
    output_size = 10
    default_seq_len = 40
    min_seq_len = 3

    @staticmethod
    def copy_length(seq_len: int) -> int:
        """S, the number of symbols to copy for a sequence of ``seq_len`` steps."""
        return max(1, min(10, seq_len // 4))

    def _sample(self, batch_size, seq_len, rng):
        n_copy = self.copy_length(seq_len)
        data = rng.integers(0, self.n_data, size=(n_copy, batch_size))
        symbols = np.full((seq_len, batch_size), self.blank, dtype=np.int64)
        symbols[:n_copy] = data
        symbols[seq_len - n_copy - 1] = self.delimiter
        targets = np.full((seq_len, batch_size), self.blank, dtype=np.int64)
        targets[seq_len - n_copy :] = data
        return Batch(
            _one_hot(symbols, self.input_size), targets, _mask_last(seq_len, batch_size, n_copy)
        )


class SortingTask(Task):
    """Read n digits, then output them in ascending order.

    Inputs have 11 channels: one-hot digits 0..9 and a delimiter channel (10). With
    n = (T - 1) // 2: steps 0..n-1 present n digits d_i ~ U{0..9}; the delimiter is at step T-n-1
    (for even T one all-zero input step sits between the digits and the delimiter); the last n
    steps have all-zero inputs and targets sorted(d). Targets before that are 0 and unmasked; the
    loss (xent over 10 digit classes) is on the last n steps only.
    """

    name = "sorting"
    title = "Sorting numbers"
    description = (
        "Read a list of digits, then after the delimiter output them in ascending order, one per "
        "step. Only the steps after the delimiter carry a loss."
    )
    loss = "xent"
    input_size = 11
    input_symbols = "0123456789|"   # how each input channel is written: digits, delimiter
    one_hot_inputs = True
    output_size = 10
    default_seq_len = 11
    min_seq_len = 3

    @staticmethod
    def list_length(seq_len: int) -> int:
        """n, how many digits are sorted in a sequence of ``seq_len`` steps."""
        return (seq_len - 1) // 2

    def _sample(self, batch_size, seq_len, rng):
        n = self.list_length(seq_len)
        digits = rng.integers(0, 10, size=(n, batch_size))
        inputs = np.zeros((seq_len, batch_size, self.input_size))
        inputs[:n] = _one_hot(digits, self.input_size)
        inputs[seq_len - n - 1, :, 10] = 1.0
        targets = np.zeros((seq_len, batch_size), dtype=np.int64)
        targets[seq_len - n :] = np.sort(digits, axis=0)
        return Batch(inputs, targets, _mask_last(seq_len, batch_size, n))


# -------------------------------------------------------------------------- character tasks


class _AlphabetTask(CharTask):
    """Walk the alphabet from a random letter (wrapping): c_t = (r + step * t) mod 26.

    x_t = onehot(c_t), target y_t = c_{t+1}; loss (xent) at every step.
    """

    vocab = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    default_seq_len = 26
    step = 1

    def _sample(self, batch_size, seq_len, rng):
        start = rng.integers(0, len(self.vocab), size=batch_size)
        t = np.arange(seq_len + 1)[:, None]
        return _next_symbol_batch((start + self.step * t) % len(self.vocab), len(self.vocab))


class AlphabetForwardTask(_AlphabetTask):
    """c_t = (r + t) mod 26 from a random letter r; predict c_{t+1} (A->B, ..., Z->A)."""

    name = "alphabet_forward"
    title = "Alphabet forward"
    description = (
        "Given a letter, predict the next one (A->B, ..., Z->A); each sequence starts at a random "
        "letter. Every step carries a loss."
    )
    step = 1


class AlphabetBackwardTask(_AlphabetTask):
    """c_t = (r - t) mod 26 from a random letter r; predict c_{t+1} (Z->Y, ..., A->Z)."""

    name = "alphabet_backward"
    title = "Alphabet backward"
    description = (
        "Given a letter, predict the previous one (Z->Y, ..., A->Z); each sequence starts at a "
        "random letter. Every step carries a loss."
    )
    step = -1


class AlphabetBagTask(_AlphabetTask):
    """A bag of letters: the letters of an alphabet walk, c_t = (r + t) mod 26, in a random order
    (a fresh permutation per sequence); predict the next letter of that order. The letters are
    the forward walk's; only their order is lost, and with it what the next one will be.

    Not the same as the forward walk shuffled (:func:`shuffled_task`, the configuration's bag
    toggle), whose targets stay the walk's: here the targets are shuffled with the letters, so the
    next letter is one not read yet. Kept because saved sessions and settings name it."""

    name = "alphabet_bag"
    title = "Alphabet, letters shuffled (a bag)"
    description = (
        "The letters of an alphabet walk in a random order: the same letters as 'Alphabet forward', "
        "with the order, and so the next letter, lost. Every step carries a loss."
    )

    def _sample(self, batch_size, seq_len, rng):
        start = rng.integers(0, len(self.vocab), size=batch_size)
        t = np.arange(seq_len + 1)[:, None]
        letters = (start + t) % len(self.vocab)                    # (T + 1, B), as forward
        for column in range(batch_size):
            letters[:, column] = letters[rng.permutation(seq_len + 1), column]
        return _next_symbol_batch(letters, len(self.vocab))


def load_names(path: str | pathlib.Path = NAMES_PATH) -> list[str]:
    """Read a names corpus: one lowercase a-z name per line, blank lines ignored."""
    path = pathlib.Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise RnnInputError(f"names file {path}: cannot read it ({exc})") from None
    names = []
    for number, line in enumerate(lines, start=1):
        name = line.strip()
        if not name:
            continue
        if not (name.isascii() and name.isalpha() and name.islower()):
            raise RnnInputError(f"names file {path}: line {number} {name!r} is not lowercase a-z")
        names.append(name)
    if not names:
        raise RnnInputError(f"names file {path}: it contains no names")
    return names


class NamesTask(CharTask):
    """Character-level names: learn to spell names one letter at a time.

    Vocab "." (start/end marker) + "a".."z". A name n (uniform from the corpus, cut to at most
    T-1 letters) becomes the string s = "." + n + "." padded with "." to T+1 characters;
    x_t = onehot(s_t), target y_t = s_{t+1}. The loss (xent) is on steps 0..len(n), i.e. up to
    and including the step that predicts the end marker; the padding after it is masked out.
    """

    name = "names"
    title = "Names"
    description = (
        "Read a name one letter at a time (starting from '.') and predict the next letter, then "
        "'.' when the name ends. Steps after the end of the name carry no loss."
    )
    vocab = ".abcdefghijklmnopqrstuvwxyz"
    marker = "."
    default_seq_len = 16
    min_seq_len = 2

    def __init__(self, path: str | pathlib.Path = NAMES_PATH):
        self.path = pathlib.Path(path)

    @cached_property
    def names(self) -> list[str]:
        """The corpus, read on first use."""
        return load_names(self.path)

    def _sample(self, batch_size, seq_len, rng):
        picks = rng.integers(0, len(self.names), size=batch_size)
        symbols = np.zeros((seq_len + 1, batch_size), dtype=np.int64)  # 0 is the marker "."
        mask = np.zeros((seq_len, batch_size), dtype=np.float64)
        for column, pick in enumerate(picks):
            letters = self.encode(self.names[pick][: seq_len - 1])
            symbols[1 : 1 + len(letters), column] = letters
            mask[: len(letters) + 1, column] = 1.0
        return _next_symbol_batch(symbols, len(self.vocab), mask)


class WordsTask(Task):
    """Word-level next-word prediction on short questions and answers ("what time is it ?").

    The vocabulary is the words of SENTENCES (below) and "." for the start. Each sequence starts
    at "." and runs through sentences drawn at random, one after another, to T + 1 words; x_t is
    onehot(w_t) and the target y_t = w_{t+1}, a loss at every word. With T = 5 the first sentence
    fills a whole sequence when it is "what time is it ?": the course's example.
    """

    SENTENCES = ("what time is it ?", "what day is it ?", "it is time to go .", "is it time to eat ?",
                 "what is it ?", "it is late .", "time to go .", "what time is it now ?")

    name = "words"
    title = "Words"
    description = (
        "Short questions and answers (\"what time is it ?\"), one word per step: predict the next word. "
        "Every step carries a loss."
    )
    loss = "xent"
    one_hot_inputs = True
    symbols = (".",) + tuple(sorted({w for s in SENTENCES for w in s.split()}))
    input_size = output_size = len(symbols)
    default_seq_len = 5
    min_seq_len = 1

    def _sample(self, batch_size, seq_len, rng):
        index = {word: i for i, word in enumerate(self.symbols)}
        words = np.zeros((seq_len + 1, batch_size), dtype=np.int64)         # words[0] = "."
        for column in range(batch_size):
            stream = []
            while len(stream) < seq_len:
                stream += self.SENTENCES[rng.integers(len(self.SENTENCES))].split()
            words[1:, column] = [index[w] for w in stream[:seq_len]]
        return _next_symbol_batch(words, len(self.symbols))


# ---------------------------------------------------------------------------------- CSV series


def _parse_float(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


class CsvSeriesTask(Task):
    """Forecast the next value of a numeric column from a user's CSV file.

    The column (the named one, the 0-based index, or else the first column whose every data cell
    is a number) is normalised to s = (v - mean(v)) / std(v). Each sequence is a random window
    s_k..s_{k+T} with k ~ U{0..N-T-1}; x_t = s_{k+t}, target y_t = s_{k+t+1}; loss (mse) at every
    step. The first row is a header when one of its cells is not a number although that column's
    data cells are. Blank lines are ignored.
    """

    name = "csv"
    title = "CSV time series"
    loss = "mse"
    min_seq_len = 1
    min_rows = 3
    max_bytes = 256 * 2**20

    def __init__(self, path: str | pathlib.Path, column: str | int | None = None):
        self.path = pathlib.Path(path)
        self.title = f"CSV time series {self.path.name}"
        self.column_name, raw = self._load(column)
        self.raw_mean = float(raw.mean())
        self.raw_std = float(raw.std())
        if not self.raw_std > 0.0:
            raise self._error(f"column {self.column_name!r} is constant; it cannot be normalised")
        self.series = (raw - self.raw_mean) / self.raw_std
        self.default_seq_len = max(1, min(50, len(self.series) - 1))
        self.description = (
            f"Predict the next value of column {self.column_name!r} of {self.path.name} "
            "(normalised to mean 0, std 1). Every step carries a loss."
        )

    def _error(self, problem: str) -> RnnInputError:
        return RnnInputError(f"CSV file {self.path}: {problem}")

    def _read_rows(self) -> list[tuple[int, list[str]]]:
        """Non-blank rows as (line number, stripped cells)."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            raise self._error("file not found") from None
        except OSError as exc:
            raise self._error(f"cannot read it ({type(exc).__name__}: {exc})") from None
        if not stat.S_ISREG(info.st_mode):
            raise self._error("is not a regular file (a folder, device or pipe)")
        if info.st_size > self.max_bytes:
            raise self._error(f"{info.st_size / 2**20:.0f} MiB; at most {self.max_bytes // 2**20} MiB are read")
        try:
            with self.path.open(newline="", encoding="utf-8-sig") as handle:
                reader = csv.reader(handle)
                rows = [(reader.line_num, [cell.strip() for cell in row]) for row in reader]
        except FileNotFoundError:
            raise self._error("file not found") from None
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise self._error(f"cannot read it ({type(exc).__name__}: {exc})") from None
        return [(line, row) for line, row in rows if any(row)]

    def _load(self, column: str | int | None) -> tuple[str, np.ndarray]:
        rows = self._read_rows()
        if not rows:
            raise self._error("it is empty")
        width = max(len(row) for _, row in rows)

        def cell(row: list[str], j: int) -> str:
            return row[j] if j < len(row) else ""

        def numeric(subset, j: int) -> bool:
            return all(_parse_float(cell(row, j)) is not None for _, row in subset)

        first = rows[0][1]
        has_header = len(rows) > 1 and any(
            numeric(rows[1:], j) and _parse_float(cell(first, j)) is None for j in range(width)
        )
        header = first if has_header else []
        data = rows[1:] if has_header else rows

        if column is None:
            candidates = [j for j in range(width) if numeric(data, j)]
            if not candidates:
                raise self._error("no column holds only numbers")
            j = candidates[0]
        elif isinstance(column, str):
            if column not in header:
                names = ", ".join(repr(h) for h in header) if header else "none (no header row)"
                raise self._error(f"no column named {column!r}; columns: {names}")
            j = header.index(column)
        elif isinstance(column, int) and not isinstance(column, bool):
            if not 0 <= column < width:
                raise self._error(f"column index {column} is out of range (the file has {width})")
            j = column
        else:
            raise self._error(f"column must be a name, an index or None, got {column!r}")
        label = cell(header, j) if header else f"column {j}"

        values = []
        for line, row in data:
            value = _parse_float(cell(row, j))
            if value is None:
                raise self._error(f"{label!r} has a non-number {cell(row, j)!r} on line {line}")
            values.append(value)
        raw = np.array(values, dtype=np.float64)
        if not np.all(np.isfinite(raw)):
            raise self._error(f"{label!r} contains NaN or infinite values")
        if len(raw) < self.min_rows:
            raise self._error(
                f"{label!r} has {len(raw)} values; at least {self.min_rows} are needed"
            )
        return label, raw

    @property
    def max_seq_len(self) -> int:  # type: ignore[override]
        return len(self.series) - 1            # a window holds T + 1 values

    def _sample(self, batch_size, seq_len, rng):
        return _forecast_batch(_random_windows(self.series, batch_size, seq_len, rng))


# ------------------------------------------------------------------------------------ registry

TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        SineTask(),
        SineFromOneInputTask(),
        RandomWalkTask(),
        DelayedRecallTask(),
        AddingTask(),
        LoudestChannelTask(),
        CopyMemoryTask(),
        AlphabetForwardTask(),
        AlphabetBackwardTask(),
        AlphabetBagTask(),
        SortingTask(),
        NamesTask(),
        WordsTask(),
    )
}
"""Ready-made task instances by name (``csv`` needs a file, so it is only in ``get_task``)."""

TASK_NAMES: tuple[str, ...] = (*TASKS, CsvSeriesTask.name)
"""Every name ``get_task`` accepts."""


BUILT_IN_TASKS = frozenset(TASKS)
"""The names of the ready-made tasks (others are added at run time: :func:`add_task`)."""


def add_task(task: Task) -> None:
    """Make ``task`` available by its name (a user's own data, :mod:`rnn.user_data`), replacing
    any added task of that name; measured baselines of the old one are forgotten."""
    if not isinstance(task, Task) or not task.name or task.name in BUILT_IN_TASKS:
        raise RnnInputError(f"cannot add {task!r}: not a task, or the name of a ready-made one")
    TASKS[task.name] = task.in_order        # (shuffling is a setting of the configuration, not a task)
    baseline_loss.cache_clear()


def get_task(name: str, **options) -> Task:
    """The task called ``name``; options go to its constructor (``csv`` needs ``path=``).

    Without options a registered task is the shared instance from ``TASKS``.
    """
    if name in TASKS:
        if not options:
            return TASKS[name]
        factory = type(TASKS[name])
    elif name == CsvSeriesTask.name:
        factory = CsvSeriesTask
    else:
        raise RnnInputError(f"unknown task {name!r}; valid names: {', '.join(TASK_NAMES)}")
    try:
        inspect.signature(factory).bind(**options)
    except TypeError as exc:
        raise RnnInputError(f"task {name!r}: bad options {sorted(options)} ({exc})") from None
    return factory(**options)
