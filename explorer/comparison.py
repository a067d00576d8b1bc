"""A/B: a second configuration computed on the same batch as the one shown, and trained beside it.

The session's own configuration is side A. Side B is A with a few fields set differently (``changes``:
another cell, another optimizer, clipping on…); every other field follows A, so B always sees A's
batch (the task, T, the batch size and the seed are never B's own) and, trained together, the same
training batches, update for update. The views draw B's loss and gradient flow on A's plots; a
lesson's claims measure B with the same quantities as A (``loss_B``, ``cell_gradient_B(0)``…).

No Qt here. A :class:`ComparedSide` reads like the session for what the quantities read: its
``config``, ``result``, ``history``, ``baseline``, ``samples`` and ``task``.
"""

from dataclasses import dataclass, field

from rnn.errors import RnnInputError

from .config import BATCH_FIELDS, ExplorerConfig
from .history import TrainingHistory
from .notation import number

NAMES = {"rnn": "tanh RNN", "lstm": "LSTM", "gru": "GRU", "sgd": "SGD", "adam": "Adam"}
SYMBOLS = {"lr": "η", "clip_threshold": "θ", "gate_steepness": "β", "hidden": "H", "layers": "L",
           "forget_bias": "forget bias", "scale": "scale"}
CHOICES = (   # the window's Compare menu: (what it says, B's changes, its tooltip)
    ("B: the same as an &LSTM", {"cell": "lstm"}, "Side B: an LSTM, everything else as A"),
    ("B: the same as a &GRU", {"cell": "gru"}, "Side B: a GRU, everything else as A"),
    ("B: the same as a tanh &RNN", {"cell": "rnn", "activation": "tanh"}, "Side B: a vanilla tanh RNN"),
    ("B: trained with &Adam", {"optimizer": "adam"}, "Side B: the same network trained with Adam"),
    ("B: trained with &SGD", {"optimizer": "sgd"}, "Side B: the same network trained with plain SGD"),
    ("B: with &norm clipping", {"clip_mode": "norm"}, "Side B: the gradient rescaled to ‖g‖ ≤ the threshold"),
    ("B: without clipping", {"clip_mode": "none"}, "Side B: the gradient as it comes"),
    ("B: with &full BPTT", {"truncation": "full"}, "Side B: no truncation, the whole sequence back"),
)


def compared_config(a: ExplorerConfig, changes: dict) -> ExplorerConfig:
    """B's configuration: A's with ``changes``; raises RnnInputError for a change B cannot have."""
    shared = sorted(set(changes) & set(BATCH_FIELDS))
    if shared:
        raise RnnInputError(f"B is computed on A's batch: {', '.join(shared)} cannot differ (change it for both)")
    try:
        return a.with_(**changes)
    except TypeError as error:         # a name that is no control
        raise RnnInputError(f"B: {error}") from None


def side_label(config: ExplorerConfig, changes: dict) -> str:
    """What tells a side apart, short enough for a legend: its values of the fields that differ
    ("LSTM", "Adam, η = 0.01", "value clipping, θ = 0.5", "TBPTT(k1=5, k2=5)")."""
    parts = []
    for name in changes:
        value = getattr(config, name)
        if name == "cell" and config.cell == "rnn":
            parts.append(f"{config.activation} RNN")
        elif name in ("cell", "optimizer"):
            parts.append(NAMES.get(value, str(value)))
        elif name == "clip_mode":
            parts.append("no clipping" if value == "none" else f"{value} clipping")
        elif name in ("truncation", "k1", "k2"):
            parts.append(config.truncation_rule().label)
        else:
            symbol = SYMBOLS.get(name, name)
            parts.append(f"{symbol} = {number(value)}" if isinstance(value, float) else f"{symbol} = {value}")
    return ", ".join(dict.fromkeys(parts)) or "the same"       # (truncation, k1 and k2: said once)


@dataclass
class ComparedSide:
    """Side B: its changes, configuration, weights, optimizer, training history and shown pass."""
    changes: dict
    label: str                       # what the plots call it (given, or from the changes)
    config: ExplorerConfig
    params: dict | None = None
    optimizer: object = None
    history: TrainingHistory = field(default_factory=TrainingHistory)
    result: object = None            # its PassResult on A's batch (None until computed)
    baseline: float = float("nan")
    samples: list = field(default_factory=list)
    start: tuple | None = None       # (weights, optimizer) as B began: B at a checkpoint older than B
    updates_at_checkpoint: int = 0   # B's update count at the checkpoint shown last

    @property
    def task(self):
        return self.config.task_object


def differs(a: ExplorerConfig, changes: dict) -> bool:
    """Whether these changes make a B that differs from A."""
    return any(getattr(a, name) != value for name, value in changes.items())
