"""The application state: the one source of truth the controls write and the views read.

Data flows one way: control → ``set_config`` → engine → results here → views redraw. The state
emits a signal only when something really changed, so a view that writes back cannot start a loop.
Views never talk to each other; they read ``state.record``, ``state.params`` and friends.
"""

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from rnn.bptt import BPTT
from rnn.diagnostics import jacobian_norms, regime
from rnn.errors import RnnInputError
from rnn.params import init_params

from .config import NETWORK_FIELDS, ExplorerConfig

BATCH_FIELDS = ("task", "seq_len", "batch", "seed")


@dataclass(frozen=True)
class Selection:
    step: int = 0
    layer: int = 0
    unit: int = 0
    batch_index: int = 0


class TrainingHistory:
    """One entry per update: loss, ‖g‖ before clipping, whether it clipped, cos(g̃, g)."""

    def __init__(self):
        self.loss, self.grad_norm, self.clipped, self.cosine = [], [], [], []

    def __len__(self):
        return len(self.loss)

    def append(self, update):
        self.loss.append(update.loss)
        self.grad_norm.append(update.grad_norm)
        self.clipped.append(update.clipped)
        self.cosine.append(np.nan if update.cosine_to_full is None else update.cosine_to_full)


class AppState(QObject):
    configChanged = Signal(object)      # the new ExplorerConfig
    paramsChanged = Signal()            # weights re-initialised, loaded or trained
    passChanged = Signal()              # record / stepper progress changed (new pass or a step)
    selectionChanged = Signal(object)   # the new Selection
    historyChanged = Signal()           # training history grew or was cleared
    message = Signal(str, str)          # (text, level: "info" | "warning" | "error")

    def __init__(self, config: ExplorerConfig | None = None, parent=None):
        super().__init__(parent)
        self.config = config or ExplorerConfig()
        self.selection = Selection()
        self.history = TrainingHistory()
        self._jacobian_cache = {}
        self._reinitialise()
        self._resample()
        self._new_pass(run=True)

    # --- derived, read-only ---
    @property
    def spec(self):
        return self.config.spec()

    @property
    def task(self):
        return self.config.task_object

    @property
    def record(self):
        return self.stepper.record

    @property
    def regime(self):
        return regime(self.params, self.spec)

    def jacobian_norms(self, layer: int):
        """‖∂s_t/∂s_{t−1}‖₂ per step for the selected sequence (computed by the engine, cached)."""
        key = (id(self.record), layer, self.selection.batch_index)
        if key not in self._jacobian_cache:
            self._jacobian_cache = {key: jacobian_norms(self.record, self.stepper.cell, self.params,
                                                        layer, self.selection.batch_index)}
        return self._jacobian_cache[key]

    # --- writing ---
    def set_config(self, **changes) -> bool:
        """Apply control changes; refuse invalid ones with a message. Returns whether they were valid."""
        try:
            new = self.config.with_(**changes)
        except (RnnInputError, TypeError) as error:
            self.message.emit(str(error), "error")
            return False
        changed = new.changed_fields(self.config)
        if not changed:
            return True
        self.config = new
        if changed & set(NETWORK_FIELDS):
            self._reinitialise()
        if changed & set(BATCH_FIELDS):
            self._resample()
        self.configChanged.emit(new)
        self._new_pass(run=True)
        return True

    def select(self, **changes):
        new = Selection(**{**self.selection.__dict__, **changes})
        new = self._clamped(new)
        if new != self.selection:
            self.selection = new
            self.selectionChanged.emit(new)

    # --- stepping ---
    def step_forward(self):
        if self.stepper.forward_complete:
            self._new_pass(run=False)  # start a fresh pass to walk through
        self.stepper.step_forward()
        self.select(step=self.stepper.forward_done - 1)
        self.passChanged.emit()

    def step_backward(self):
        if not self.stepper.forward_complete:
            self.message.emit("Finish the forward pass before stepping backward.", "warning")
            return
        if self.stepper.backward_complete:
            self._new_pass(run=False)
            self.stepper.finish_forward()
        _, t = self.stepper.step_backward()
        self.select(step=t)
        self.passChanged.emit()

    def finish_pass(self):
        self.stepper.finish()
        self.passChanged.emit()

    def reset_pass(self):
        self._new_pass(run=False)
        self.passChanged.emit()

    # --- internals ---
    def _reinitialise(self):
        self.params = init_params(self.spec, **self.config.init_options())
        self.history = TrainingHistory()
        self.paramsChanged.emit()
        self.historyChanged.emit()

    def _resample(self):
        rng = np.random.default_rng(self.config.seed)
        self.batch = self.task.sample(self.config.batch, self.config.seq_len, rng)

    def _loss_at(self):
        return self.batch.loss_mask if self.config.loss_at == "task" else self.config.loss_at

    def _new_pass(self, run: bool):
        self.stepper = BPTT(self.spec, self.params, self.batch.inputs, self.batch.targets,
                            loss=self.task.loss, loss_at=self._loss_at(),
                            truncation=self.config.truncation_rule(), seed=self.config.seed)
        if run:
            self.stepper.finish()
        self.select()  # clamp the selection to the new sizes
        self.passChanged.emit()

    def _clamped(self, s: Selection) -> Selection:
        c = self.config
        clamp = lambda v, n: int(min(max(v, 0), n - 1))
        return Selection(clamp(s.step, c.seq_len), clamp(s.layer, c.layers), clamp(s.unit, c.hidden),
                         clamp(s.batch_index, c.batch))
