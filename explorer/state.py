"""The application state: the one source of truth the controls write and the views read.

Data flows one way: control → ``set_config`` → engine → results here → views redraw. The state
emits a signal only when something really changed, so a view that writes back cannot start a loop.
Views never talk to each other; they read ``state.record``, ``state.params`` and friends.

Two configurations are kept: ``requested`` is the newest valid configuration asked for (what the
controls show); ``config`` is the one that ``params``, ``batch`` and ``record`` were computed for
(what the views draw). They differ only while a large pass is computed on the worker; every
attribute is replaced before any signal is emitted, so a view never sees a half-updated state.

Small passes run synchronously (cost estimate below ``SYNC_LIMIT_MS``); larger ones, training and
anything else slow run as generator jobs on :class:`explorer.worker.Worker`. Live training itself
runs in a child process (:mod:`explorer.trainer`); its job relays what the child sends.
"""

import copy
import threading
import time
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from rnn.bptt import BPTT
from rnn.diagnostics import jacobian_norms, regime
from rnn.errors import RnnInputError
from rnn.optim import make_optimizer
from rnn.params import init_params
from rnn.sampling import sample_text
from rnn.tasks import TASKS, NamesTask

from .config import NETWORK_FIELDS, ExplorerConfig
from .trainer import TrainingProcess, run_until_stop
from .worker import Worker, drain

BATCH_FIELDS = ("task", "seq_len", "batch", "seed")
PASS_FIELDS = ("loss_at", "truncation", "k1", "k2")
OPTIMIZER_FIELDS = ("optimizer", "lr")
TRAINING_FIELDS = ("optimizer", "lr", "clip_mode", "clip_threshold", "loss_at", "truncation", "k1", "k2")
SYNC_LIMIT_MS = 20.0          # passes estimated below this run on the GUI thread
CHUNK_SECONDS = 0.04          # training hands the GUI a chunk to draw this often (~24 per second)
DISPLAY_SECONDS = 0.5         # and, with one in so many of them, a new pass for the network views
SAMPLE_SECONDS = 0.5          # and fresh sampled names at most twice a second
JACOBIAN_LIMIT = 6e7          # T·L·size³ above this (≈ 0.1 s): Jacobian norms are not computed (NaN)
SENSITIVITY_LIMIT = 3e9       # loss steps·T·B·G·H² above this (≈ 0.2 s): no sensitivity matrix
N_SAMPLES = 5


# --------------------------------------------------------------------------- cost estimates

def _sizes(config: ExplorerConfig):
    spec = config.spec()
    return config.seq_len, config.batch, config.layers, spec.gates, config.hidden


def estimate_ms(config: ExplorerConfig, fresh_params: bool = True) -> float:
    """Rough wall time of one recorded pass: forward, backward, sensitivity matrix, per-step
    Jacobian norms and, for new weights, the regime (ρ and σ_max of every W_hh block)."""
    T, B, L, G, H = _sizes(config)
    ms = T * L * (0.05 if G == 1 else 0.1) + 6e-7 * T * B * L * G * H * H
    if sensitivity_affordable(config):
        ms += 6e-8 * T * _loss_rows(config) * B * G * H * H
    if jacobians_affordable(config):
        size = 2 * H if G == 4 else H
        ms += 1.1e-6 * T * L * size ** 3
    if fresh_params:
        ms += 3.2e-6 * L * G * H ** 3
    return ms


def pass_chunk_steps(config: ExplorerConfig) -> int:
    """Timesteps a pass job computes between two yields: about CHUNK_SECONDS of work."""
    T, B, L, G, H = _sizes(config)
    per_step_ms = 5e-6 * B * L * G * H * H + 0.02 * L
    return max(1, min(T, int(CHUNK_SECONDS * 1e3 / per_step_ms)))


def _loss_rows(config: ExplorerConfig) -> int:
    """How many steps can carry a loss (the sensitivity matrix has a row for each)."""
    if config.loss_at == "last":
        return 1
    if config.loss_at == "task" and config.task in ("delayed_recall", "adding"):  # loss at the last step
        return 1
    return config.seq_len


def sensitivity_affordable(config: ExplorerConfig) -> bool:
    T, B, L, G, H = _sizes(config)
    return T * _loss_rows(config) * B * G * H * H <= SENSITIVITY_LIMIT


def jacobians_affordable(config: ExplorerConfig) -> bool:
    T, B, L, G, H = _sizes(config)
    size = 2 * H if G == 4 else H
    return T * L * size ** 3 <= JACOBIAN_LIMIT


# --------------------------------------------------------------------------- plain records

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


@dataclass
class PassResult:
    config: ExplorerConfig
    params: dict
    batch: object
    stepper: BPTT
    jacobians: dict = field(default_factory=dict)
    regime: object = None
    reinitialised: bool = False


@dataclass
class TrainingChunk:
    updates: list                      # Update records (without their recordings)
    params: dict                       # snapshot after the last update
    optimizer: object                  # snapshot of the optimizer's state
    display: PassResult | None         # the display batch's pass with those parameters (None: the
                                       # network views keep the last one; only the curves move)
    samples: list | None = None        # sampled names (names task only)
    stop_reason: str = ""              # why training paused (a breakpoint), if it did
    stop_level: str = "warning"
    finished: bool = False             # the last chunk of the job
    ack: object = None                 # threading.Event the GUI sets once it has drawn this chunk


# --------------------------------------------------------------------------- jobs (any thread)

def _loss_at(config, batch):
    return batch.loss_mask if config.loss_at == "task" else config.loss_at


def new_stepper(config: ExplorerConfig, params: dict, batch) -> BPTT:
    """The engine's stepper for a configuration, its weights and its batch, at step 0."""
    return BPTT(config.spec(), params, batch.inputs, batch.targets, loss=config.task_object.loss,
                loss_at=_loss_at(config, batch), truncation=config.truncation_rule(),
                seed=config.seed, with_sensitivity=sensitivity_affordable(config))


def compute_pass(config: ExplorerConfig, params: dict | None, batch, *, reinitialise: bool,
                 resample: bool, run: bool = True, batch_index: int = 0, with_regime: bool = False):
    """Job: (re)initialise and (re)sample as asked, build the stepper and run it to the end."""
    spec, task = config.spec(), config.task_object
    if reinitialise or params is None:
        params = init_params(spec, **config.init_options())
        yield
    if resample or batch is None:
        batch = task.sample(config.batch, config.seq_len, np.random.default_rng(config.seed))
        yield
    stepper = new_stepper(config, params, batch)
    jacobians = {}
    if run:
        steps = pass_chunk_steps(config)     # between yields, so a cancel is never far away
        while not stepper.forward_complete:
            stepper.forward_steps(steps)
            yield
        while not stepper.backward_complete:
            stepper.backward_steps(steps)
            yield
        if jacobians_affordable(config):
            index = min(batch_index, config.batch - 1)
            for layer in range(config.layers):
                key = (id(stepper.record), stepper.record.forward_done, layer, index)
                jacobians[key] = jacobian_norms(stepper.record, stepper.cell, params, layer, index)
                yield
    fresh = reinitialise or params is None
    result = PassResult(config, params, batch, stepper, jacobians,
                        regime(params, spec) if fresh or with_regime else None, fresh)
    return result


def sample_names(spec, params, task, seed: int, n: int = N_SAMPLES) -> list:
    rng = np.random.default_rng(seed)
    return [sample_text(spec, params, task, rng, max_length=task.default_seq_len) for _ in range(n)]


def training_seed(config: ExplorerConfig, start_step: int) -> int:
    """Batches for updates start_step+1… come from this seed: a resumed run draws fresh batches."""
    return int((config.seed * 1_000_003 + start_step * 7919) % 2**31)


class _Chunks:
    """Makes the :class:`TrainingChunk` s of one training run: a display pass for the network
    views a few times a second, sampled names twice a second (names task), the curves every time."""

    def __init__(self, config: ExplorerConfig, batch, batch_index: int, start_step: int):
        self.config, self.batch, self.batch_index, self.start_step = config, batch, batch_index, start_step
        self.names = isinstance(config.task_object, NamesTask)
        self.display_seconds = 0.0       # how long the last display pass took
        self.last_display = self.last_sample = time.monotonic()

    def make(self, updates, params, optimizer, reason="", level="warning", finished=False):
        config, now = self.config, time.monotonic()
        display = samples = None
        if finished or now - self.last_display >= max(DISPLAY_SECONDS, 4.0 * self.display_seconds):
            self.last_display = now
            display = drain(compute_pass(config, params, self.batch, reinitialise=False, resample=False,
                                         batch_index=self.batch_index, with_regime=True))
            self.display_seconds = time.monotonic() - now
        if self.names and (finished or now - self.last_sample >= SAMPLE_SECONDS):
            steps_done = updates[-1].step if updates else self.start_step
            samples = sample_names(config.spec(), params, config.task_object, seed=steps_done)
            self.last_sample = now
        return TrainingChunk(list(updates), params, optimizer, display, samples, reason, level,
                             finished, threading.Event())


def training_job(config: ExplorerConfig, params: dict, optimizer, batch, *, steps: int,
                 start_step: int, batch_index: int = 0, live: bool = True):
    """Job: train from ``params`` (left untouched); return the final :class:`TrainingChunk`.

    ``live``: the run goes in a child process (:mod:`explorer.trainer`) and a chunk is yielded
    about every CHUNK_SECONDS for the GUI to draw, the next only once the GUI has acknowledged it.
    Otherwise (a few updates drained on the GUI thread) it trains here and yields nothing.
    """
    chunks = _Chunks(config, batch, batch_index, start_step)
    seed = training_seed(config, start_step)
    if not live:
        params, optimizer = {name: value.copy() for name, value in params.items()}, copy.deepcopy(optimizer)
        done = []
        for update, reason in run_until_stop(config, config.task_object, params, optimizer, steps=steps,
                                             start_step=start_step, seed=seed):
            done.append(update)
            if reason is not None:
                return chunks.make(done, params, optimizer, *reason, finished=True)
        return chunks.make(done, params, optimizer, finished=True)

    process = TrainingProcess(config, config.task_object, params, optimizer, steps=steps,
                              start_step=start_step, seed=seed, send_seconds=CHUNK_SECONDS / 3)
    try:
        pending, last_chunk = [], time.monotonic()
        while True:
            for kind, *message in process.receive(timeout=0.01):
                if kind == "error":
                    raise RuntimeError(f"training failed in its process:\n{message[0]}")
                pending += message[0]
                params, optimizer = message[1], message[2]
                if kind == "paused":
                    return chunks.make(pending, params, optimizer, *message[3:], finished=True)
                if kind == "done":
                    return chunks.make(pending, params, optimizer, finished=True)
            if pending and time.monotonic() - last_chunk >= CHUNK_SECONDS:
                last_chunk = time.monotonic()
                chunk, pending = chunks.make(pending, params, optimizer), []
                yield chunk
                while not chunk.ack.wait(0.02):   # one chunk at a time: the next once this is drawn
                    yield None                    # (cancellable meanwhile)
            else:
                yield None
    finally:
        process.stop()


# --------------------------------------------------------------------------- the state

class AppState(QObject):
    configChanged = Signal(object)      # the new ExplorerConfig (committed: matches record)
    paramsChanged = Signal()            # weights re-initialised, loaded or trained
    passChanged = Signal()              # record / stepper progress changed (new pass or a step)
    selectionChanged = Signal(object)   # the new Selection
    historyChanged = Signal()           # training history grew or was cleared
    message = Signal(str, str)          # (text, level: "info" | "warning" | "error")
    requestChanged = Signal(object)     # the newest requested config (controls follow this)
    busyChanged = Signal(bool)          # a job is computing on the worker
    trainingChanged = Signal(bool)      # continuous training started / stopped
    breakpointHit = Signal(str, str)    # (text, level): training paused by a breakpoint or NaN
    samplesChanged = Signal()           # new sampled names (names task)

    def __init__(self, config: ExplorerConfig | None = None, parent=None):
        super().__init__(parent)
        config = config or ExplorerConfig()
        self.worker = Worker(self)
        self.worker.busyChanged.connect(self.busyChanged)
        self.selection = Selection()
        self.history = TrainingHistory()
        self.samples: list = []
        self.training = False
        self._after_pass = None          # ("train", steps) to start once a pending pass lands
        self._job_kind = None            # "pass" | "train" | "finish" while the worker is busy
        self._display_stale = False      # the views' pass is older than the trained parameters
        self.config = self.requested = config
        self.optimizer = make_optimizer(config.optimizer, config.lr)
        result = drain(compute_pass(config, None, None, reinitialise=True, resample=True))
        self._install(result)

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
        if self._regime is None:
            self._regime = regime(self.params, self.spec)
        return self._regime

    @property
    def busy(self) -> bool:
        """A pass or training job is running on the worker (the views show the previous result)."""
        return self.worker.busy

    @property
    def idle(self) -> bool:
        return not self.worker.busy and self.requested == self.config and self._after_pass is None

    def jacobian_norms(self, layer: int):
        """‖∂s_t/∂s_{t−1}‖₂ per step for the selected sequence (computed by the engine, cached).
        NaN where the network is too large for the per-step Jacobians to be affordable."""
        record = self.record
        key = (id(record), record.forward_done, layer, self.selection.batch_index)
        if key not in self._jacobian_cache:
            if jacobians_affordable(self.config):
                with np.errstate(all="ignore"):
                    value = jacobian_norms(record, self.stepper.cell, self.params, layer,
                                           self.selection.batch_index)
            else:
                value = np.full(record.seq_len, np.nan)
            if len(self._jacobian_cache) > 16:
                self._jacobian_cache.clear()
            self._jacobian_cache[key] = value
        return self._jacobian_cache[key]

    def check(self, **changes) -> str | None:
        """The error message these control changes would be refused with, or None if valid."""
        try:
            self.requested.with_(**changes)
        except (RnnInputError, TypeError, ValueError) as error:
            return str(error)
        return None

    # --- writing ---
    def set_config(self, reinitialise: bool = False, **changes) -> bool:
        """Apply control changes; refuse invalid ones with a message. Returns whether they were valid.
        ``reinitialise``: draw fresh weights (and clear the history) even if no network field changed."""
        try:
            new = self.requested.with_(**changes)
        except (RnnInputError, TypeError, ValueError) as error:
            self.message.emit(str(error), "error")
            return False
        if new == self.requested and not reinitialise:
            return True
        if new != self.requested:
            self.requested = new
            self.requestChanged.emit(new)
        self._apply_requested(force_reinitialise=reinitialise)
        return True

    def select(self, **changes):
        new = Selection(**{**self.selection.__dict__, **changes})
        new = self._clamped(new)
        if new != self.selection:
            self.selection = new
            self.selectionChanged.emit(new)

    def reinitialise(self):
        """New initial weights from the current configuration; the training history is cleared."""
        self._stop_training(quiet=True)
        self._run_pass(self.requested, reinitialise=True, resample=False)

    def load_weights(self, spec, params, source: str = "") -> bool:
        """Adopt loaded weights: the configuration follows their cell, activation and sizes."""
        task = self.requested.task
        if (TASKS[task].input_size, TASKS[task].output_size) != (spec.input_size, spec.output_size):
            matches = [name for name, t in TASKS.items()
                       if (t.input_size, t.output_size) == (spec.input_size, spec.output_size)]
            if not matches:
                self.message.emit(f"{source or 'These weights'}: no task has {spec.input_size} inputs and "
                                  f"{spec.output_size} outputs, so they cannot be shown", "error")
                return False
            task = matches[0]
        changes = dict(cell=spec.cell, activation=spec.activation, hidden=int(spec.hidden_size),
                       layers=int(spec.num_layers), task=task)
        if self.requested.seq_len < TASKS[task].min_seq_len:
            changes["seq_len"] = TASKS[task].default_seq_len
        try:
            new = self.requested.with_(**changes)
        except (RnnInputError, TypeError, ValueError) as error:
            self.message.emit(f"{source or 'These weights'}: {error}", "error")
            return False
        self._stop_training(quiet=True)
        self.worker.cancel()
        self._after_pass = None
        self.requested = new
        self.requestChanged.emit(new)
        resample = bool(new.changed_fields(self.config) & set(BATCH_FIELDS))
        params = {name: np.array(value, dtype=np.float64) for name, value in params.items()}
        batch = None if resample else self.batch
        job = lambda: compute_pass(new, params, batch, reinitialise=False, resample=resample,
                                   batch_index=self.selection.batch_index, with_regime=True)
        self._submit_pass(new, job, forced_new_params=True)
        self.message.emit(f"Loaded {source or 'weights'}: {spec.label}, {spec.num_layers} layer(s), "
                          f"H = {spec.hidden_size}", "info")
        return True

    # --- stepping (the GUI thread's own stepper; one timestep or visit is always cheap) ---
    def _can_step(self) -> bool:
        if self.training:
            self.pause_training()
        if self.busy:
            self.message.emit("Still computing the last change; try again in a moment.", "warning")
            return False
        return True

    def step_forward(self):
        if not self._can_step():
            return
        if self.stepper.forward_complete:
            self._new_pass()  # start a fresh pass to walk through
        self.stepper.step_forward()
        self.select(step=self.stepper.forward_done - 1)
        self.passChanged.emit()

    def step_backward(self):
        if not self._can_step():
            return
        if not self.stepper.forward_complete:
            self.message.emit("Finish the forward pass before stepping backward (End, or → to the last step).",
                              "warning")
            return
        if self.stepper.backward_complete:
            self._new_pass()
            self.stepper.finish_forward()
        with np.errstate(all="ignore"):
            _, t = self.stepper.step_backward()
        self.select(step=t)
        self.passChanged.emit()

    def finish_pass(self):
        if not self._can_step() or self.stepper.done:
            return
        if estimate_ms(self.config) <= SYNC_LIMIT_MS:
            with np.errstate(all="ignore"):
                self.stepper.finish()
            self.passChanged.emit()
        else:
            config = self.config
            self._submit_pass(config, lambda: compute_pass(config, self.params, self.batch, reinitialise=False,
                                                           resample=False, batch_index=self.selection.batch_index))

    def reset_pass(self):
        if not self._can_step():
            return
        self._new_pass()
        self.select(step=0)
        self.passChanged.emit()

    # --- training ---
    def apply_update(self):
        """One optimizer update on a fresh training batch."""
        self.start_training(steps=1)

    def start_training(self, steps: int | None = None):
        """Train for ``steps`` updates, or until paused (None)."""
        if self.requested != self.config or (self.busy and self._job_kind in ("pass", "finish")):
            self._after_pass = ("train", steps)   # starts once the pending pass lands
            return
        self._stop_training(quiet=True)
        self.worker.cancel()
        continuous = steps is None
        config = self.config
        job = lambda live=True: training_job(config, self.params, self.optimizer, self.batch,
                                             steps=10**9 if continuous else steps,
                                             start_step=len(self.history),
                                             batch_index=self.selection.batch_index, live=live)
        if not continuous and steps * estimate_ms(config) * (2.5 if not config.truncation_rule().is_full else 1.5) \
                <= SYNC_LIMIT_MS:
            self._apply_chunk(drain(job(live=False)))
            return
        self._job_kind = "train"
        self.worker.submit(job, on_finished=self._training_finished, on_progress=self._apply_chunk,
                           on_failed=self._job_failed)
        self._set_training(True)

    def pause_training(self):
        self._stop_training(quiet=False)

    def toggle_training(self):
        if self.training:
            self.pause_training()
        else:
            self.start_training()

    def sample_again(self, seed: int | None = None):
        """Draw new names from the current network (names task only)."""
        if not isinstance(self.task, NamesTask):
            return
        seed = len(self.history) + int(time.monotonic() * 1000) % 100000 if seed is None else seed
        with np.errstate(all="ignore"):
            self.samples = sample_names(self.spec, self.params, self.task, seed)
        self.samplesChanged.emit()

    def shutdown(self):
        self._after_pass = None
        self._set_training(False)
        self.worker.shutdown()

    # --- internals: passes ---
    def _apply_requested(self, force_reinitialise=False):
        new = self.requested
        changed = new.changed_fields(self.config)
        if force_reinitialise:
            changed.add("init")
        resume = self.training or (self._after_pass is not None)
        steps = self._after_pass[1] if self._after_pass else None
        self._after_pass = None
        if self.training:
            self._stop_training(quiet=True)
        elif self.busy:
            self.worker.cancel()
        if not changed:
            if resume:
                self.start_training(steps)
            return
        reinitialise = bool(changed & set(NETWORK_FIELDS))
        resample = bool(changed & set(BATCH_FIELDS))
        if not (reinitialise or resample or changed & set(PASS_FIELDS)):
            self._commit_settings(new)
            if resume:
                self.start_training(steps)
            return
        if resume and not reinitialise:
            self._after_pass = ("train", steps)
        elif resume:
            self.message.emit("Training stopped: the network was re-initialised.", "info")
        self._run_pass(new, reinitialise=reinitialise, resample=resample)

    def _run_pass(self, config, *, reinitialise: bool, resample: bool):
        params, batch = self.params, self.batch
        index = self.selection.batch_index
        job = lambda: compute_pass(config, params, batch, reinitialise=reinitialise, resample=resample,
                                   batch_index=index)
        self._submit_pass(config, job, forced_new_params=reinitialise)

    def _submit_pass(self, config, job, forced_new_params=False):
        if estimate_ms(config) <= SYNC_LIMIT_MS:
            self.worker.cancel()
            try:
                result = drain(job())
            except RnnInputError as error:
                self._job_failed(error, "")
                return
            self._commit_pass(result, forced_new_params)
            return
        self._job_kind = "pass"
        self.worker.submit(job, on_finished=lambda result: self._commit_pass(result, forced_new_params),
                           on_failed=self._job_failed)
        self.message.emit("Computing… (the views show the previous result until it is done)", "info")

    def _commit_pass(self, result: PassResult, forced_new_params=False):
        self._job_kind = None
        old = self.config
        self._install(result, new_params=forced_new_params or result.reinitialised)
        if result.config != old:
            self.configChanged.emit(result.config)
        if forced_new_params or result.reinitialised:
            self.paramsChanged.emit()
            self.historyChanged.emit()
            self.samplesChanged.emit()
        elif result.regime is not None:
            self.paramsChanged.emit()          # the regime of trained weights, measured again
        self.select()
        self.passChanged.emit()
        if self._after_pass is not None and self.requested == self.config:
            _, steps = self._after_pass
            self._after_pass = None
            self.start_training(steps)

    def _install(self, result: PassResult, new_params=True):
        """Replace every derived attribute at once (no signals)."""
        self.config = result.config
        self.params, self.batch, self.stepper = result.params, result.batch, result.stepper
        self._jacobian_cache = dict(result.jacobians)
        if new_params or result.regime is not None:
            self._regime = result.regime
        if new_params:
            self.history = TrainingHistory()
            self.samples = []
            self.optimizer = make_optimizer(self.config.optimizer, self.config.lr)

    def _commit_settings(self, new: ExplorerConfig):
        """Training-only settings (optimizer, lr, clipping, breakpoints): no new pass needed."""
        changed = new.changed_fields(self.config)
        self.config = new
        if "optimizer" in changed:
            self.optimizer = make_optimizer(new.optimizer, new.lr)
        elif "lr" in changed:
            self.optimizer.lr = float(new.lr)
        self.configChanged.emit(new)

    def _new_pass(self):
        """A fresh pass at step 0, to walk through by hand."""
        self.stepper = new_stepper(self.config, self.params, self.batch)
        self._jacobian_cache = {}
        self.select()  # clamp the selection to the new sizes

    def _job_failed(self, error, details=""):
        self._job_kind = None
        self._after_pass = None
        self._set_training(False)
        text = str(error) if isinstance(error, RnnInputError) else f"Internal error: {error!r}"
        if details and not isinstance(error, RnnInputError):
            import sys
            print(details, file=sys.stderr)
        if self.requested != self.config:
            self.requested = self.config
            self.requestChanged.emit(self.config)
        self.message.emit(text, "error")

    # --- internals: training ---
    def _set_training(self, on: bool):
        if on != self.training:
            self.training = on
            self.trainingChanged.emit(on)

    def _stop_training(self, quiet: bool):
        if not self.training and self._job_kind != "train":
            return
        self.worker.cancel()
        self._job_kind = None
        self._set_training(False)
        if self._display_stale:   # the views show a pass from a few updates back: bring them up to date
            self._display_stale = False
            config, params, batch, index = self.config, self.params, self.batch, self.selection.batch_index
            self._submit_pass(config, lambda: compute_pass(config, params, batch, reinitialise=False,
                                                           resample=False, batch_index=index, with_regime=True))
        if not quiet:
            self.message.emit(f"Training paused after update {len(self.history)}.", "info")

    def _apply_chunk(self, chunk: TrainingChunk):
        for update in chunk.updates:
            self.history.append(update)
        self.params, self.optimizer = chunk.params, chunk.optimizer
        display = chunk.display
        self._display_stale = display is None
        if display is not None:
            self.batch, self.stepper = display.batch, display.stepper
            self._jacobian_cache = dict(display.jacobians)
            self._regime = display.regime
        if chunk.samples is not None:
            self.samples = chunk.samples
        if display is not None:
            self.paramsChanged.emit()
        self.historyChanged.emit()
        if chunk.samples is not None:
            self.samplesChanged.emit()
        if display is not None:
            self.passChanged.emit()
        if chunk.stop_reason:
            self.message.emit(chunk.stop_reason, chunk.stop_level)
            self.breakpointHit.emit(chunk.stop_reason, chunk.stop_level)
        if chunk.ack is not None:
            QTimer.singleShot(0, chunk.ack.set)   # after the views' queued repaints

    def _training_finished(self, chunk: TrainingChunk):
        self._job_kind = None
        self._set_training(False)
        self._apply_chunk(chunk)
        if not chunk.stop_reason:
            self.message.emit(f"Trained to update {len(self.history)}; loss {self.history.loss[-1]:.4g}.", "info")

    def _clamped(self, s: Selection) -> Selection:
        c = self.config
        clamp = lambda v, n: int(min(max(v, 0), n - 1))
        return Selection(clamp(s.step, c.seq_len), clamp(s.layer, c.layers), clamp(s.unit, c.hidden),
                         clamp(s.batch_index, c.batch))
