"""The explorer's configuration: every control's value, validated, in one frozen record."""

from dataclasses import dataclass, fields, replace

import numpy as np

from rnn.errors import RnnInputError
from rnn.losses import REDUCTIONS, loss_weights
from rnn.memory import needs_lean_pass
from rnn.optim import CLIP_MODES, OPTIMIZERS
from rnn.params import INITIALISERS, MAX_FORGET_BIAS, MAX_STEEPNESS, MIN_STEEPNESS, PRECISIONS, NetworkSpec
from rnn.tasks import MAX_TASK_SIZE, TASKS, shuffled_task, sized_task
from rnn.truncation import Truncation

LOSS_PLACEMENTS = ("task", "all", "last")
SCALE_KINDS = ("none", "radius", "sigma")
LIMITS = {  # name: (lowest, highest) for the numeric controls
    "layers": (1, 4), "hidden": (1, 256), "seq_len": (1, 10000), "batch": (1, 256),
    "k1": (1, 10000), "k2": (1, 10000), "scale": (0.0, 10.0), "lr": (1e-6, 10.0),
    "clip_threshold": (1e-6, 1e6), "seed": (0, 2**31 - 1), "break_norm": (1e-6, 1e12),
    "gate_steepness": (MIN_STEEPNESS, MAX_STEEPNESS), "forget_bias": (-MAX_FORGET_BIAS, MAX_FORGET_BIAS),
    "speed": (0.0, 1000.0), "temperature": (0.05, 5.0), "inputs": (0, MAX_TASK_SIZE), "classes": (0, MAX_TASK_SIZE),
}
NETWORK_FIELDS = ("cell", "activation", "layers", "hidden", "task", "inputs", "classes", "init", "scale_kind",
                  "scale", "seed", "forget_bias")
BATCH_FIELDS = ("task", "inputs", "classes", "shuffled", "seq_len", "batch", "seed")   # a change draws a new batch


@dataclass(frozen=True)
class ExplorerConfig:
    cell: str = "rnn"
    activation: str = "tanh"
    layers: int = 1
    hidden: int = 8
    seq_len: int = 20
    batch: int = 1
    task: str = "delayed_recall"
    inputs: int = 0                # the task's input size, where it lets you choose it (0: its own)
    classes: int = 0               # and its number of classes (0: its own)
    shuffled: bool = False         # each sequence's inputs in a random order, targets kept (a bag)
    loss_at: str = "task"          # the task's own placement, or every step, or the last step
    truncation: str = "full"       # full | tbptt | random
    k1: int = 5
    k2: int = 5                    # for random truncation: the mean length
    gate_steepness: float = 1.0    # β of the gated cells' σ(β a); 1 is PyTorch's cell
    init: str = "pytorch"
    scale_kind: str = "none"       # rescale W_hh to spectral radius ρ or largest singular value σ_max
    scale: float = 1.0
    forget_bias: float = 0.0       # added to the LSTM forget gate's initial bias
    optimizer: str = "sgd"
    lr: float = 0.05
    clip_mode: str = "none"
    clip_threshold: float = 1.0
    speed: float = 0.0             # training updates a second (0: as fast as the machine goes)
    temperature: float = 1.0       # names task: sampling p = softmax(ŷ_t / τ)
    reduction: str = "engine"      # the loss: the engine's L, or PyTorch's reduction='mean' / 'sum'
    precision: str = "float64"     # float64 (the reference), or float32 for big models
    seed: int = 0
    # training breakpoints: pause when ‖g‖ > break_norm, when clipping happens
    break_on_norm: bool = False
    break_norm: float = 100.0
    break_on_clip: bool = False       # (NaN/Inf always pauses: the engine never applies such an update)

    def __post_init__(self):
        choices = {"cell": ("rnn", "lstm", "gru"), "task": tuple(TASKS), "loss_at": LOSS_PLACEMENTS,
                   "truncation": ("full", "tbptt", "random"), "init": INITIALISERS,
                   "scale_kind": SCALE_KINDS, "optimizer": OPTIMIZERS, "clip_mode": CLIP_MODES,
                   "reduction": REDUCTIONS, "precision": tuple(PRECISIONS),
                   "activation": ("tanh", "sigmoid", "relu", "linear")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise RnnInputError(f"{name} must be one of {', '.join(allowed)}, got {getattr(self, name)!r}")
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                    or not np.isfinite(value) or not low <= value <= high:
                raise RnnInputError(f"{name} must be a number from {low:g} to {high:g}, got {value!r}")
        for name in ("shuffled", "break_on_norm", "break_on_clip"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise RnnInputError(f"{name} must be true or false, got {getattr(self, name)!r}")
        for name in ("layers", "hidden", "seq_len", "batch", "k1", "k2", "seed", "inputs", "classes"):
            if not float(getattr(self, name)).is_integer():
                raise RnnInputError(f"{name} must be a whole number, got {getattr(self, name)!r}")
        task = self.task_object            # (raises for sizes the task does not take)
        if self.seq_len < task.min_seq_len:
            raise RnnInputError(f"{task.title} needs a sequence length of at least {task.min_seq_len}")
        if task.max_seq_len is not None and self.seq_len > task.max_seq_len:
            raise RnnInputError(f"{task.title} has sequences of {task.max_seq_len} steps: choose a "
                                f"sequence length up to {task.max_seq_len}")
        self.truncation_rule()  # raises for an impossible truncation
        self.kept_as_checkpoints()        # raises for a pass that would not fit, even kept as checkpoints

    def with_(self, **changes) -> "ExplorerConfig":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict) -> "ExplorerConfig":
        """A validated config from a (possibly partial or stale) dict: unknown keys are ignored,
        values are converted to the field's type; raises RnnInputError for an unusable value."""
        defaults = cls()
        values = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            kind, value = type(getattr(defaults, f.name)), data[f.name]
            try:
                if kind is bool:
                    value = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
                elif kind is int:
                    value = int(float(value))
                else:
                    value = kind(value)
            except (TypeError, ValueError, OverflowError):      # (int of Infinity overflows)
                raise RnnInputError(f"{f.name}: cannot use {str(value)[:40]!r}") from None
            values[f.name] = value
        return cls(**values)

    def changed_fields(self, other: "ExplorerConfig") -> set:
        return {f.name for f in fields(self) if getattr(self, f.name) != getattr(other, f.name)}

    def needs_new_weights(self, other: "ExplorerConfig") -> bool:
        """Whether going from ``other`` to this configuration must draw new initial weights: a
        network field changed, other than a task whose inputs and outputs have the same sizes (the
        trained network can then be tried on the new task: the alphabet learnt forward, read backward)."""
        changed = self.changed_fields(other) & set(NETWORK_FIELDS)
        if changed == {"task"}:
            return self.spec() != other.spec()
        return bool(changed)

    @property
    def task_object(self):
        """The task, at the input size and number of classes chosen where it lets you choose them,
        and with each sequence's inputs shuffled when ``shuffled`` (:func:`rnn.tasks.shuffled_task`):
        every pass and every training batch is drawn from it."""
        task = sized_task(self.task, int(self.inputs), int(self.classes))
        return shuffled_task(task) if self.shuffled else task

    def spec(self) -> NetworkSpec:
        task = self.task_object
        return NetworkSpec(cell=self.cell, activation=self.activation, input_size=task.input_size,
                           hidden_size=int(self.hidden), output_size=task.output_size,
                           num_layers=int(self.layers), gate_steepness=float(self.gate_steepness))

    def truncation_rule(self) -> Truncation:
        if self.truncation == "tbptt":
            if self.k2 < self.k1:
                raise RnnInputError(f"impossible truncation: k2 = {self.k2} must be ≥ k1 = {self.k1}")
            return Truncation("tbptt", int(self.k1), int(self.k2))
        if self.truncation == "random":
            return Truncation("random", 0, max(2, int(self.k2)))
        return Truncation()

    def pass_arguments(self, batch) -> dict:
        """The engine arguments of one recorded pass over ``batch`` (``rnn.bptt.BPTT``'s keywords
        after spec, params, inputs and targets). The one place a configuration becomes a pass."""
        T, B = batch.loss_mask.shape
        weights = loss_weights(self.task_object.loss, self.loss_placement(batch), self.reduction, T, B,
                               self.task_object.output_size)
        return dict(loss=self.task_object.loss, loss_at=weights, truncation=self.truncation_rule(),
                    seed=int(self.seed))

    def kept_as_checkpoints(self) -> bool:
        """Whether a pass runs as a lean pass (``rnn.lean``: checkpoints, each segment computed
        again, and the shown sequence's whole recording) because its whole recording would not fit
        the memory budget; RnnInputError when neither fits."""
        return needs_lean_pass(self.spec(), int(self.seq_len), int(self.batch), self.truncation_rule(),
                               one_sequence_kept=True)

    def loss_placement(self, batch):
        """Which steps carry a loss: the task's own mask, or "all" / "last"."""
        return batch.loss_mask if self.loss_at == "task" else self.loss_at

    def training_arguments(self) -> dict:
        """The engine arguments of a training run (``rnn.training.train``'s keywords besides
        params, optimizer, steps, seed and start_step). The one place a configuration becomes a run."""
        truncation = self.truncation_rule()
        return dict(spec=self.spec(), task=self.task_object, seq_len=int(self.seq_len),
                    batch_size=int(self.batch), truncation=truncation,
                    loss_at=None if self.loss_at == "task" else self.loss_at, reduction=self.reduction,
                    clip_mode=self.clip_mode, clip_threshold=float(self.clip_threshold),
                    compare_full=not truncation.is_full)

    @property
    def dtype(self):
        """The precision every pass and update computes in (the weights are given it)."""
        return PRECISIONS[self.precision]

    def init_options(self) -> dict:
        options = dict(scheme=self.init, seed=int(self.seed), forget_bias=float(self.forget_bias),
                       dtype=self.dtype)
        if self.scale_kind == "radius":
            options["radius"] = float(self.scale)
        elif self.scale_kind == "sigma":
            options["sigma_max"] = float(self.scale)
        return options
