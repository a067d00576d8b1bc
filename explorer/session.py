"""The session: the one source of truth of the app, with no Qt in it.

It holds the configuration, the weights, the optimizer, the training history, the current pass
(its stepper and its :class:`rnn.passresult.PassResult`), the selection and an explicit
:class:`Phase`. Controls write to it (``set_config``, ``select``, ``step_forward``, …); views read
it and subscribe to its events, each emitted once per real change (the pattern of napari's
evented models, with psygnal's signals). A plain script or test drives a whole scenario with it:

    session = Session()
    session.set_config(hidden=16)
    session.step_forward(); session.step_backward()
    session.start_training(); session.poll(timeout=1.0); session.pause_training()
    session.undo()

Two configurations are kept: ``requested`` is the newest valid one asked for (what the controls
show), ``config`` the one that ``params``, ``batch`` and ``result`` were computed for (what the
views draw). They differ only while a large pass is computed off the calling thread.

Where work runs: small passes at once; large ones through the ``runner`` (the window's worker
thread; by default they are drained at once too); training in the :class:`TrainingChannel`'s child
process, whose messages are applied by :meth:`poll` (the window calls it when the pipe is readable).
"""

import copy
import enum
import sys
import time
from dataclasses import dataclass

import numpy as np
from psygnal import Signal

from rnn.cells import cell_of
from rnn.diagnostics import block_spectra
from rnn.blowup import DEFAULT_THRESHOLD as BLOWUP_THRESHOLD, find_blowup
from rnn.errors import RnnInputError
from rnn.memory import format_bytes, pass_bytes
from rnn.gradcheck import DEFAULT_ENTRIES, gradient_errors
from rnn.optim import make_optimizer
from rnn.passresult import for_sequence, summarise
from rnn.tasks import TASKS, NamesTask
from rnn.user_data import RandomInputsTask, add_data_task

from .checkpoints import CheckpointStore
from .comparison import ComparedSide, compared_config, side_label
from .config import BATCH_FIELDS, LIMITS, ExplorerConfig
from .cost import SYNC_LIMIT_MS, estimate_ms, pass_chunk_steps
from .history import TrainingHistory
from .notation import number
from .jobs import ComputedPass, already, compute_pass, drain, lean_sequence_job, new_stepper, sample_names, \
    step_job, training_seed, with_compared
from .saved_session import SavedSession, read_saved_session, session_document
from .session_file import SessionDocument, write_session
from .trainer import Side, TrainingChannel, merged, train_at_once
from .undo import Snapshot, UndoHistory

DATA_BATCH = 32          # the batch size one's own data opens with (at most its number of sequences)
PASS_FIELDS = ("loss_at", "reduction", "truncation", "k1", "k2", "gate_steepness", "precision")
CHECKPOINT_BYTES = 16 * 2**20        # weights checkpointed while training (time travel), at least
CHECKPOINTS_KEPT = 40                # and room for this many checkpoints of a large network
ARRAY_OVERHEAD = 256                 # bytes of Python objects around each stored array
CHECKPOINT_OVERHEAD = 4096           # and around each checkpoint (dicts, the optimizer object)
PAUSE_WAIT_SECONDS = 0.25            # pausing waits this long for the run's last weights


def settled_optimizer(optimizer, old: ExplorerConfig, new: ExplorerConfig):
    """The optimizer after a settings change: a fresh one of another kind, or this one at the new rate."""
    if new.optimizer != old.optimizer:
        return make_optimizer(new.optimizer, new.lr)
    if new.lr != old.lr:
        optimizer.lr = float(new.lr)
    return optimizer


class Phase(enum.Enum):
    IDLE = "idle"                # a complete pass is shown, nothing runs
    COMPUTING = "computing"      # a pass is computed off the calling thread
    STEPPING = "stepping"        # a pass is part-way through, stepped by hand
    TRAINING = "training"        # training runs in the child process
    PAUSED = "paused"            # training stopped at a breakpoint (NaN/Inf, ‖g‖, a clip)


TRANSITIONS = {   # phase → the phases it may go to
    Phase.IDLE: {Phase.COMPUTING, Phase.STEPPING, Phase.TRAINING},
    Phase.COMPUTING: {Phase.IDLE, Phase.COMPUTING, Phase.STEPPING, Phase.TRAINING},
    Phase.STEPPING: {Phase.IDLE, Phase.COMPUTING, Phase.TRAINING},
    Phase.TRAINING: {Phase.IDLE, Phase.COMPUTING, Phase.PAUSED},
    Phase.PAUSED: {Phase.IDLE, Phase.COMPUTING, Phase.STEPPING, Phase.TRAINING},
}


@dataclass(frozen=True)
class Reference:
    """A run kept to compare with (A/B on the same plots): what it was called, its configuration,
    its training history and the gradient its shown pass sent back (top layer, over the batch)."""
    label: str
    config: ExplorerConfig
    history: TrainingHistory
    dh_norm: np.ndarray              # (T,) ‖∂L/∂h_t‖
    live: bool = False               # side B of an A/B comparison, computed and trained with this run


@dataclass
class TrainedState:
    """What a checkpoint keeps beside A's weights: A's optimizer and, in an A/B comparison, side B
    as it was at that moment (its weights, optimizer and update count)."""
    optimizer: object
    compared_params: dict | None = None
    compared_optimizer: object = None
    compared_updates: int = 0


@dataclass(frozen=True)
class Selection:
    step: int = 0
    layer: int = 0
    unit: int = 0
    batch_index: int = 0


class InlineRunner:
    """Runs a job at once on the calling thread (the runner of a session without a window)."""

    busy = False
    spectra = staticmethod(block_spectra)   # σ_max and ρ measured here, on the calling thread

    def submit(self, job, on_finished=None, on_progress=None, on_failed=None):
        try:
            result = drain(job(), on_progress)
        except Exception as error:     # reported like a worker thread's failure
            if on_failed is None:
                raise
            on_failed(error, "")
            return
        if on_finished is not None:
            on_finished(result)

    def cancel(self):
        pass

    def shutdown(self):
        pass


class Session:
    # events: each emitted once per real change
    request_changed = Signal(object)     # the newest requested ExplorerConfig (controls follow it)
    config_changed = Signal(object)      # the committed ExplorerConfig (matches the pass)
    params_changed = Signal()            # weights re-initialised, loaded, trained or restored
    pass_changed = Signal()              # a new PassResult (a new pass, or a step)
    selection_changed = Signal(object)   # the new Selection
    history_changed = Signal()           # the training history grew or was replaced
    samples_changed = Signal()           # new sampled names (names task)
    phase_changed = Signal(object)       # the new Phase
    message = Signal(str, str)           # (text, level: "info" | "warning" | "error" | "progress": true while computing)
    breakpoint_hit = Signal(str, str)    # (text, level): training paused by a breakpoint or NaN
    undo_changed = Signal()              # what undo / redo would do changed
    shown_update_changed = Signal(object)  # time travel: the update shown (None: the newest)
    references_changed = Signal()        # the runs compared changed: those kept, or side B (A/B)

    def __init__(self, config: ExplorerConfig | None = None, runner=None):
        config = config or ExplorerConfig()
        self.runner = runner or InlineRunner()
        self.channel = TrainingChannel()
        self.selection = Selection()
        self.history = TrainingHistory()
        self.checkpoints = CheckpointStore(CHECKPOINT_BYTES)   # (replaced at the first pass)
        self.earlier_runs: list = []     # (first update, TrainingHistory) of runs forked away from
        self.samples: list = []
        self.references: list[Reference] = []   # runs kept for comparison, drawn beside this one
        self.compared: ComparedSide | None = None  # side B of an A/B comparison (see :meth:`compare`)
        self.shown_update = None         # the update whose checkpoint is shown (time travel), or None
        self.phase = Phase.IDLE
        self.config = self.requested = config
        self.optimizer = make_optimizer(config.optimizer, config.lr)
        self._train_after_pass = None    # (steps, until) of a run to start once the pending pass lands
        self._until = None               # the running run's stop condition, if it has one
        self.undo_history = UndoHistory()
        self._install(drain(compute_pass(config, None, None, reinitialise=True, resample=True)),
                      new_params=True)

    # ------------------------------------------------------------------ reading
    @property
    def spec(self):
        return self.config.spec()

    @property
    def task(self):
        return self.config.task_object

    @property
    def baseline(self) -> float:
        """The loss of the best constant prediction for this task, length and loss placement."""
        return self._baseline

    @property
    def record(self):
        return self.result.record

    @property
    def kept_as_checkpoints(self) -> bool:
        """The shown pass is a lean pass (``rnn.lean``): too long to record whole, it is kept as
        checkpoints and the shown sequence's recording, and cannot be stepped."""
        return getattr(self.result.record, "is_lean", False)

    def _lean_message(self) -> str:
        lean, config = self.result.record.lean, self.config
        whole = pass_bytes(config.spec(), int(config.seq_len), int(config.batch), with_sensitivity=False)
        return (f"This pass is kept as checkpoints every {lean.steps_per_segment} steps: its whole "
                f"recording would take {format_bytes(whole)}, beyond the memory budget. It cannot be stepped "
                f"(lower T or B to step through it); every view shows the whole pass, of one sequence at a time.")

    @property
    def regime(self):
        return self.result.regime

    @property
    def training(self) -> bool:
        return self.phase is Phase.TRAINING

    @property
    def busy(self) -> bool:
        return self.phase is Phase.COMPUTING

    @property
    def idle(self) -> bool:
        """Nothing is computing or queued and the views show the requested configuration."""
        return self.phase in (Phase.IDLE, Phase.STEPPING, Phase.PAUSED) and self.requested == self.config \
            and self._train_after_pass is None

    def check(self, **changes) -> str | None:
        """The error message these control changes would be refused with, or None if valid."""
        try:
            self.requested.with_(**changes)
        except (RnnInputError, TypeError, ValueError) as error:
            return str(error)
        return None

    # ------------------------------------------------------------------ configuration
    def set_config(self, reinitialise: bool = False, record_undo: bool = True, **changes) -> bool:
        """Apply control changes; refuse invalid ones with a message. Returns whether they were valid.
        ``reinitialise``: draw fresh weights (and clear the history) even if no network field changed."""
        try:
            new = self.requested.with_(**changes)
        except (RnnInputError, TypeError, ValueError) as error:
            self.message.emit(str(error), "error")
            return False
        if new == self.requested and not reinitialise:
            return True
        if record_undo:
            self._remember_for_undo(new, reinitialise)
        if new != self.requested:
            self.requested = new
            self.request_changed.emit(new)
        self._apply_requested(force_reinitialise=reinitialise)
        return True

    def reset_to_defaults(self) -> bool:
        """Every control back to its default (undoable)."""
        return self.set_config(**ExplorerConfig().to_dict())

    def reinitialise(self):
        """New initial weights from the current configuration; the training history is cleared."""
        self.set_config(reinitialise=True)

    def select(self, **changes):
        new = self._clamped(Selection(**{**self.selection.__dict__, **changes}))
        if new == self.selection:
            return
        sequence_changed = new.batch_index != self.selection.batch_index
        if sequence_changed and self.kept_as_checkpoints:
            self._show_lean_sequence(new)
            return
        self.selection = new
        if sequence_changed:          # the step Jacobians and the data shown are of the selected sequence
            self.result = for_sequence(self.result, cell_of(self.spec), self.params, new.batch_index)
            self.pass_changed.emit()
        self.selection_changed.emit(new)

    def _show_lean_sequence(self, selection: Selection):
        """Select another sequence of a lean pass: its whole recording is computed off this thread
        (seconds at T = 10,000), and the selection moves when it is there."""
        shown = self.result

        def landed(result):
            if self.result is not shown:              # a newer pass landed meanwhile
                return
            self._set_phase(Phase.IDLE)
            self.result, self.selection = result, selection
            self.message.emit(f"Showing sequence {selection.batch_index}.", "info")
            self.pass_changed.emit()
            self.selection_changed.emit(selection)
        self._set_phase(Phase.COMPUTING)
        self.message.emit(f"Computing sequence {selection.batch_index}'s values (a pass this long keeps one "
                          "sequence's at a time)…", "progress")
        self.runner.submit(lambda: lean_sequence_job(shown, selection.batch_index), on_finished=landed,
                           on_failed=self._job_failed)

    # ------------------------------------------------------------------ undo
    @property
    def can_undo(self) -> bool:
        return self.undo_history.can_undo

    @property
    def can_redo(self) -> bool:
        return self.undo_history.can_redo

    def undo_text(self) -> str:
        """What undo would set, e.g. "hidden = 8" ("" if nothing to undo)."""
        return self.undo_history.undo_text()

    def redo_text(self) -> str:
        return self.undo_history.redo_text()

    def undo(self) -> bool:
        """Go back to the configuration before the last change (and the weights it discarded)."""
        return self._travel(backward=True)

    def redo(self) -> bool:
        return self._travel(backward=False)

    def _travel(self, backward: bool) -> bool:
        entry = self.undo_history.step(backward, self.requested, self._snapshot)
        if entry is None:
            return False
        self._stop_training_now()
        if entry.snapshot is None:
            self.set_config(record_undo=False, **entry.config.to_dict())
        else:
            self._restore(entry.config, entry.snapshot)
        self.undo_changed.emit()
        return True

    def _remember_for_undo(self, new: ExplorerConfig, reinitialise: bool):
        discards = reinitialise or new.needs_new_weights(self.requested)
        self.undo_history.remember(self.requested, new, self._snapshot() if discards else None)
        self.undo_changed.emit()

    def _snapshot(self) -> Snapshot:
        params = {name: value.copy() for name, value in self.params.items()}
        return Snapshot(params, copy.deepcopy(self.optimizer), self.history.copy(),
                        2 * sum(value.nbytes for value in params.values()) + 25 * len(self.history))

    def _restore(self, config: ExplorerConfig, snapshot: Snapshot, position: dict | None = None):
        """Show ``config`` with the weights, optimizer and history of ``snapshot`` (and, from a
        saved session, its stepping position)."""
        self.requested = config
        self.request_changed.emit(config)
        params = {name: value.copy() for name, value in snapshot.params.items()}
        resample = bool(config.changed_fields(self.config) & set(BATCH_FIELDS))
        job = lambda: compute_pass(config, params, None if resample else self.batch, resample=resample,
                                   sequence=self.selection.batch_index, spectra=self.runner.spectra)

        def then():
            self._adopt_training_state(snapshot)
            if position:
                self._go_to(position)
        self._submit_pass(config, job, new_params=True, then=then)

    def _go_to(self, position: dict):
        """Step a fresh pass to a saved position and select what was selected (values clamped)."""
        def number(key, default):
            value = position.get(key, default)
            return value if isinstance(value, int) and not isinstance(value, bool) else default
        forward, visits = number("forward_done", self.config.seq_len), number("visits_done", -1)
        selection = {key: number(key, 0) for key in ("step", "layer", "unit", "batch_index")}
        if (0 <= forward < self.config.seq_len or 0 <= visits < self.result.plan_length) and not self.kept_as_checkpoints:
            self._step_to(forward, visits, selection)
        else:
            self.select(**selection)

    def _step_to(self, forward: int, visits: int, selection: dict | None = None):
        """A fresh pass stepped to ``forward`` steps and ``visits`` backward visits, then
        ``selection`` selected (None: the step of the last visit): at once when the pass is quick,
        else as a job off this thread (the views keep the last result until it lands)."""
        forward = min(max(forward, 0), self.config.seq_len)
        stepper = new_stepper(self.config, self.params, self.batch)

        def landed(positioned):
            self.stepper = positioned
            if selection is None and positioned.visits_done:
                self._stepped(step=positioned.plan[positioned.visits_done - 1][1])
            else:
                self._stepped(**(selection or {}))

        job = lambda: step_job(stepper, forward, visits, pass_chunk_steps(self.config))
        if estimate_ms(self.config) <= SYNC_LIMIT_MS:
            landed(drain(job()))
            return
        self._set_phase(Phase.COMPUTING)
        self.message.emit("Stepping there… (the views show the previous result until it is done)", "progress")
        self.runner.submit(job, on_finished=landed, on_failed=self._job_failed)

    def _adopt_training_state(self, snapshot: Snapshot):
        self.optimizer = copy.deepcopy(snapshot.optimizer)
        self.history = snapshot.history.copy()
        self._new_checkpoints(len(self.history))
        self.history_changed.emit()

    # ------------------------------------------------------------------ weights from a file
    def load_weights(self, spec, params, source: str = "") -> bool:
        """Adopt loaded weights: the configuration follows their cell, activation and sizes. The
        task stays if its inputs and outputs fit them, else the first task that fits; if none
        does, random inputs of the right sizes stand in until the model's data is opened."""
        sizes = (spec.input_size, spec.output_size)
        task = self.requested.task
        if (TASKS[task].input_size, TASKS[task].output_size) != sizes:
            task = next((name for name, t in TASKS.items() if (t.input_size, t.output_size) == sizes), None) \
                or add_data_task(RandomInputsTask(*sizes))
        changes = dict(cell=spec.cell, activation=spec.activation, hidden=int(spec.hidden_size),
                       layers=int(spec.num_layers), task=task, inputs=0, classes=0,
                       gate_steepness=float(spec.gate_steepness))
        limits = TASKS[task].min_seq_len, TASKS[task].max_seq_len or self.requested.seq_len
        if not limits[0] <= self.requested.seq_len <= limits[1]:
            changes["seq_len"] = TASKS[task].default_seq_len
        try:
            new = self.requested.with_(**changes)
        except (RnnInputError, TypeError, ValueError) as error:
            self.message.emit(f"{source or 'These weights'}: {error}", "error")
            return False
        params = {key: np.array(value, dtype=np.float64) for key, value in params.items()}
        self._adopt(new, params)
        data = f"; on {TASKS[task].title}" + (": open the model's data with File ▸ Open data…"
                                              if isinstance(TASKS[task], RandomInputsTask) else "")
        self.message.emit(f"Loaded {source or 'weights'}: {spec.label}, {spec.num_layers} layer(s), "
                          f"H = {spec.hidden_size}{data}", "info")
        return True

    def load_data(self, task) -> bool:
        """Step through and train on the user's own data (a task from :mod:`rnn.user_data`, added
        as ``data``, ``data-2``, …). The network keeps its weights when its input and output sizes
        fit the data; otherwise new weights of the right sizes are drawn. The sequence length
        becomes the data's (at most the longest the controls allow), the batch as many of its
        sequences as there are, up to DATA_BATCH."""
        seq_len = min(task.default_seq_len, LIMITS["seq_len"][1])
        batch = min(getattr(task, "sequences", DATA_BATCH), DATA_BATCH)
        try:
            new = self.requested.with_(task=add_data_task(task), seq_len=seq_len, batch=batch, loss_at="task")
        except (RnnInputError, TypeError, ValueError) as error:
            self.message.emit(f"{task.title}: {error}", "error")
            return False
        fits = (task.input_size, task.output_size) == (self.spec.input_size, self.spec.output_size)
        self._adopt(new, {key: value.copy() for key, value in self.params.items()} if fits else None)
        kept = "the network keeps its weights" if fits else \
            f"new weights for {task.input_size} inputs and {task.output_size} outputs"
        self.message.emit(f"Opened {task.title}: {task.description} ({kept})", "info")
        return True

    def _adopt(self, new: ExplorerConfig, params: dict | None):
        """Show ``new`` with these weights (None: fresh ones) on a newly drawn batch; undoable."""
        self._remember_for_undo(new, reinitialise=True)
        self._stop_training_now()
        self.runner.cancel()
        self._train_after_pass = None
        self.requested = new
        self.request_changed.emit(new)
        job = lambda: compute_pass(new, params, None, resample=True, sequence=self.selection.batch_index,
                                   spectra=self.runner.spectra)
        self._submit_pass(new, job, new_params=True)

    # ------------------------------------------------------------------ saved sessions
    def save(self, path, layout: bytes = b"", lesson: dict | None = None):
        """Write the whole session to one file (atomically; raises SessionFileError, nothing is
        written): the configuration, weights, optimizer, history, stepping position, lesson
        position, the window's layout and side B of an A/B comparison."""
        write_session(path, self.document(layout, lesson))

    def document(self, layout: bytes = b"", lesson: dict | None = None) -> SessionDocument:
        """What :meth:`save` writes, as it stands now: a copy, which any thread may then write
        (:func:`explorer.session_file.write_session`) while the session goes on."""
        return session_document(self, layout, lesson)

    def open(self, path) -> SessionDocument:
        """Replace the session by the one saved in ``path`` (undoable) and return its document
        (for the layout and the lesson). Raises RnnInputError with a one-line reason, changing
        nothing, if the file cannot be used."""
        return self.adopt(self.read(path))

    read = staticmethod(read_saved_session)    # (any thread may: it changes nothing)

    def adopt(self, saved: SavedSession) -> SessionDocument:
        """Replace the session by one :meth:`read` from a file (undoable); return its document."""
        path, document, config = saved.path, saved.document, saved.config
        params, optimizer, history = saved.params, saved.optimizer, saved.history
        self._remember_for_undo(config, reinitialise=True)
        self._stop_training_now()
        self.runner.cancel()
        self._train_after_pass = None
        if self.compared is not None or saved.compared is not None:
            self.compared = saved.compared                  # (B's pass is computed with A's)
            self.references_changed.emit()
        snapshot = Snapshot(params, optimizer, history, 0)
        position = document.position
        self._restore(config, snapshot, position=position)
        notes = "; ".join(document.notes)
        self.message.emit(f"Opened the session {path}" + (f" ({notes})" if notes else ""), "info")
        return document

    # ------------------------------------------------------------------ stepping
    def _can_step(self) -> bool:
        if self.phase is Phase.TRAINING:
            self.pause_training()
        if self.phase is Phase.COMPUTING:
            self.message.emit("Still computing the last change; try again in a moment.", "warning")
            return False
        if self.kept_as_checkpoints:
            self.message.emit(self._lean_message(), "warning")
            return False
        return True

    def step_forward(self):
        """Compute one more timestep forward (a complete pass starts over at t = 0)."""
        if not self._can_step():
            return
        if self.stepper is None or self.stepper.forward_complete:
            self._new_pass()
        t = self.stepper.step_forward()
        self._stepped(steps=[t], step=t)

    def step_backward(self):
        """Make the next backward visit (a complete pass starts its backward pass again)."""
        if not self._can_step():
            return
        if self.stepper is not None and not self.stepper.forward_complete:
            self.message.emit("Finish the forward pass before stepping backward (End, or → to the last step).",
                              "warning")
            return
        if self.stepper is None or self.stepper.backward_complete:   # the forward pass again, then one visit
            self._step_to(self.config.seq_len, 1)
            return
        with np.errstate(all="ignore"):
            _, t = self.stepper.step_backward()
        self._stepped(steps=[t], step=t)

    def finish_pass(self):
        """Run the rest of the pass, forward and backward."""
        if not self._can_step() or self.result.done:
            return
        if estimate_ms(self.config) <= SYNC_LIMIT_MS:
            with np.errstate(all="ignore"):
                self.stepper.finish()
            self._stepped()
        else:
            self._pass_with(self.params, regime_=self.regime)

    def reset_pass(self):
        """Start the pass again at t = 0 with the same weights and batch."""
        if not self._can_step():
            return
        self._new_pass()
        self._stepped(step=0)

    def _new_pass(self):
        self.stepper = new_stepper(self.config, self.params, self.batch)

    def _stepped(self, steps=None, **selection):
        """After a manual step: measure the steps it touched (None: all), name the phase, select."""
        self._resummarise(steps)
        self._set_phase(Phase.IDLE if self.stepper.done else Phase.STEPPING)
        if selection:
            self.select(**selection)

    def _resummarise(self, steps=None):
        previous = self.result if self.result.record is self.stepper.record else None
        self.result = summarise(self.stepper, self.result.regime, self.selection.batch_index, previous,
                                steps=steps)
        self.pass_changed.emit()

    # ------------------------------------------------------------------ checks
    def find_blowup(self, threshold: float = BLOWUP_THRESHOLD):
        """Where the shown pass first blows up (:func:`rnn.blowup.find_blowup`: a state, output or
        ∂L/∂h that is NaN/Inf or beyond ±``threshold``): the pass is stepped to the moment that
        value was computed and its node selected. Returns the Blowup, or None (said in a message)."""
        if not self._can_step():
            return None
        if not self.result.done:
            self.message.emit("Finish the pass first (End), then look for a blow-up.", "warning")
            return None
        found = find_blowup(self.record, threshold)
        if found is None:
            self.message.emit(f"No blow-up: every state, output and ∂L/∂h of this pass is finite and "
                              f"within ±{threshold:g}.", "info")
            return None
        layer = self.spec.num_layers - 1 if found.layer is None else found.layer
        if found.backward:
            visits = 1 + next(i for i, (_, t) in enumerate(self.stepper.plan) if t == found.t)
            position = dict(forward_done=self.config.seq_len, visits_done=visits)
        else:
            position = dict(forward_done=found.t + 1, visits_done=0)
        self._go_to(dict(position, step=found.t, layer=layer, unit=found.unit, batch_index=found.sequence))
        self.message.emit(f"Stopped where the pass blows up: {found}", "warning")
        return found

    def check_gradients(self, entries: int | None = DEFAULT_ENTRIES, on_row=None, on_done=None):
        """Compare every gradient of the shown pass with centred differences in float64
        (:func:`rnn.gradcheck.gradient_errors`, ``entries`` random entries of each parameter, None:
        all), off the calling thread: ``on_row(name, error)`` as each parameter is done,
        ``on_done(errors)`` at the end. A change to the controls meanwhile cancels it."""
        if self.kept_as_checkpoints:
            self.message.emit("Checking the gradients needs the whole recording of the pass, which would not fit "
                              "the memory budget here: lower T or B to check them.", "warning")
            return
        config, params, batch = self.config, {k: v.copy() for k, v in self.params.items()}, self.batch
        options = config.pass_arguments(batch)

        def job():
            errors = {}
            for name, error in gradient_errors(config.spec(), params, batch.inputs, batch.targets,
                                               entries=entries, **options):
                errors[name] = error
                yield name, error
            return errors

        self.runner.submit(job, on_finished=on_done, on_progress=lambda row: on_row and on_row(*row),
                           on_failed=self._job_failed)

    def apply_update(self):
        """One optimizer update on a fresh training batch."""
        self.start_training(steps=1)

    def start_training(self, steps: int | None = None, until=None):
        """Train for ``steps`` updates, or until paused (None); ``until(session) → bool``: stop at the
        first update after which it holds, exactly there (each update's weights are sent)."""
        if self.requested != self.config or self.phase is Phase.COMPUTING:
            self._train_after_pass = (steps, until)   # starts once the pending pass lands
            return
        self._stop_training_now()
        self._until = until
        if self.shown_update is not None:      # looking at the past: training goes on from the newest
            _, params, state = self.checkpoints.nearest_at_or_before(len(self.history))
            self.params = {name: value.copy() for name, value in params.items()}
            self._take_trained_state(state)
            self._set_shown(None)
        config = self.config
        continuous = steps is None
        start = len(self.history)
        seed = training_seed(config, start)
        if not continuous and not config.speed and until is None and \
                steps * estimate_ms(config) * (1.5 if config.truncation_rule().is_full else 2.5) <= SYNC_LIMIT_MS:
            self._train_here(config, steps, start, seed)
            return
        self.channel.start(self._training_sides(config, start, seed), steps=10**9 if continuous else steps,
                           batch=self.batch, sequence=self.selection.batch_index, every_update=until is not None)
        self._set_phase(Phase.TRAINING)

    def _training_sides(self, config, start, seed, copies=False) -> list[Side]:
        """What a run trains: this session's network, and side B's beside it (from its own update
        count; the same seed at the same count gives both the same batches). ``copies``: of the
        weights and optimizers, for a run on this thread."""
        own = (lambda params: {name: value.copy() for name, value in params.items()}) if copies else dict
        same = copy.deepcopy if copies else (lambda optimizer: optimizer)
        sides = [Side(config, own(self.params), same(self.optimizer), start, seed)]
        b = self.compared
        if b is not None and b.params is not None:
            b_start = len(b.history)
            sides.append(Side(b.config, own(b.params), same(b.optimizer), b_start, training_seed(b.config, b_start)))
        return sides

    def _train_here(self, config, steps, start, seed):
        """A few cheap updates on this thread, through the same loop as the child's."""
        self._set_phase(Phase.TRAINING)
        sides = self._training_sides(config, start, seed, copies=True)
        self._apply_chunk(train_at_once(sides, steps, self.batch, self.selection.batch_index))

    def pause_training(self):
        """Stop training; the weights are those after the last update made."""
        if self.phase is not Phase.TRAINING:
            return
        self.channel.stop()
        deadline = time.monotonic() + PAUSE_WAIT_SECONDS
        while self.phase is Phase.TRAINING and time.monotonic() < deadline:
            self.poll(timeout=max(0.0, deadline - time.monotonic()))
        if self.phase is Phase.TRAINING:   # an update takes longer than we wait: keep what arrived
            self._stop_training_now()
            self._pass_with(self.params)
        self.message.emit(f"Training paused after update {len(self.history)}.", "info")

    def toggle_training(self):
        if self.phase is Phase.TRAINING:
            self.pause_training()
        else:
            self.start_training()

    def poll(self, timeout: float = 0.0) -> bool:
        """Apply what the training process has sent (waiting up to ``timeout`` s for it); returns
        whether anything arrived. The window calls this when the training pipe is readable."""
        messages = self.channel.receive(timeout)
        if not messages or self.phase is not Phase.TRAINING:
            return False
        for kind, payload in messages:
            if kind == "error":
                self._set_phase(Phase.IDLE)
                last_line = payload.strip().splitlines()[-1] if payload.strip() else payload
                self.message.emit(f"Internal error in the training process: {last_line}", "error")
                return True
        if self._until is None:
            self._apply_chunk(merged([payload for _, payload in messages]))
            return True
        for _, payload in messages:                 # one update at a time: stop right where it holds
            self._apply_chunk(payload)
            if self.phase is Phase.TRAINING and self._until(self):
                self._stop_training_now()
                self._pass_with(self.params)         # (the display pass of the weights stopped at)
                self.message.emit(f"Stopped at update {len(self.history)}: the condition holds.", "info")
                break
        return True

    def sample_again(self, seed: int | None = None):
        """Draw new names from the current network (names task only)."""
        if not isinstance(self.task, NamesTask):
            return
        seed = len(self.history) + int(time.monotonic() * 1000) % 100000 if seed is None else seed
        self.samples = sample_names(self.spec, self.params, self.task, seed, temperature=self.config.temperature)
        self.samples_changed.emit()

    def shutdown(self):
        self._train_after_pass = None
        self.runner.cancel()
        self.channel.close()
        self.runner.shutdown()

    # ------------------------------------------------------------------ comparison
    def keep_reference(self, label: str):
        """Keep the current run (its history and its pass's gradient flow) under ``label``, to be
        drawn beside the runs that follow: an RNN's loss beside the LSTM's trained after it, on the
        same plots. A reference of the same label is replaced."""
        kept = Reference(str(label), self.config, self.history.copy(), self.result.dh_norm_batch[-1].copy())
        self.references = [r for r in self.references if r.label != kept.label] + [kept]
        self.references_changed.emit()

    def clear_references(self):
        if self.references:
            self.references = []
            self.references_changed.emit()

    def compare(self, label: str | None = None, **changes) -> bool:
        """A/B: compute side B, this configuration with ``changes`` (say ``cell="lstm"``), on the
        same batch, and train it beside this one (the same batches, update for update); its loss
        and gradient flow are drawn on the same plots, named ``label`` (default: what differs).
        B starts from fresh weights; every field it does not change follows this configuration.
        Refused with a message (and nothing changed) for a change B cannot have. Returns whether
        it was accepted."""
        try:
            config = compared_config(self.requested, changes)
        except (RnnInputError, ValueError) as error:
            self.message.emit(str(error), "error")
            return False
        self._stop_training_now()
        self.compared = ComparedSide(dict(changes), label or side_label(config, changes), config)
        self.references_changed.emit()
        if self.phase is not Phase.COMPUTING:    # (else B is computed when the pass on its way lands)
            self._compute_b()
        return True

    def _compute_b(self):
        """Side B's pass beside the pass shown (which is not computed again)."""
        shown = ComputedPass(self.config, self.params, self.batch, self.stepper, self.result, False, self._baseline)
        self._submit_pass(self.config, lambda: already(shown))

    def stop_comparing(self):
        """End the A/B comparison: side B is dropped from the plots and from training."""
        if self.compared is not None:
            self._stop_training_now()
            self.compared = None
            self.references_changed.emit()

    @property
    def runs_compared(self) -> list[Reference]:
        """What the plots draw beside this run: the runs kept, then side B (live) once computed."""
        b = self.compared
        if b is None or b.result is None:
            return list(self.references)
        return list(self.references) + [Reference(f"B: {b.label}", b.config, b.history, b.result.dh_norm_batch[-1],
                                                  live=True)]

    @property
    def run_label(self) -> str:
        """What the plots call this run beside the others: "this run", or A's name in an A/B comparison."""
        b = self.compared
        return f"A: {side_label(self.config, b.changes)}" if b is not None else "this run"

    # ------------------------------------------------------------------ time travel
    def show_update(self, update: int) -> int:
        """Show the network as it was after ``update``: the weights of the nearest checkpoint at
        or before it, and the display pass recomputed with them. Training stops; the history is
        kept whole. Returns the update shown."""
        self._stop_training_now()
        newest = len(self.history)
        if not len(self.checkpoints) or update >= newest:
            return self.show_latest()
        at, params, state = self.checkpoints.nearest_at_or_before(max(0, int(update)))
        self._show_checkpoint(params, state, shown=at if at < newest else None)
        return at

    def show_latest(self) -> int:
        """Back from the past: the weights after the last update."""
        if self.shown_update is not None:
            _, params, state = self.checkpoints.nearest_at_or_before(len(self.history))
            self._show_checkpoint(params, state, shown=None)
        return len(self.history)

    def continue_from(self, update: int) -> int:
        """Fork: the updates after the checkpoint at or before ``update`` are dropped (the run they
        made stays on the loss curve, greyed) and training goes on from there, with whatever
        settings are chosen now. Side B of an A/B comparison goes back to the same moment."""
        at = self.show_update(update)
        if at < len(self.history):
            self.earlier_runs.append((0, self.history.copy()))
            self.history.truncate(at)
            self.checkpoints.truncate_after(at)
            b = self.compared
            if b is not None and b.params is not None and len(b.history) > b.updates_at_checkpoint:
                b.history.truncate(b.updates_at_checkpoint)
                self.references_changed.emit()
            self.history_changed.emit()
        self._set_shown(None)
        return at

    def _show_checkpoint(self, params, state: TrainedState, shown):
        self._take_trained_state(state)
        self._set_shown(shown)
        self._pass_with({name: value.copy() for name, value in params.items()})   # (installed with the pass)

    def _take_trained_state(self, state: TrainedState):
        """A's optimizer, and side B as it was then (as it began, if the checkpoint is older than B)."""
        self.optimizer = copy.deepcopy(state.optimizer)
        b = self.compared
        if b is None or b.params is None:
            return
        if state.compared_params is not None:
            b.params, b.optimizer = state.compared_params, state.compared_optimizer
            b.updates_at_checkpoint = state.compared_updates
        elif b.start is not None:
            b.params, b.optimizer = b.start
            b.updates_at_checkpoint = 0
        b.params = {name: value.copy() for name, value in b.params.items()}
        b.optimizer = copy.deepcopy(b.optimizer)

    def _set_shown(self, update):
        if update != self.shown_update:
            self.shown_update = update
            self.shown_update_changed.emit(update)

    # ------------------------------------------------------------------ internals: phase
    def _set_phase(self, phase: Phase):
        if phase is self.phase:
            return
        if phase not in TRANSITIONS[self.phase]:
            raise RuntimeError(f"the session cannot go from {self.phase.value} to {phase.value}")
        self.phase = phase
        self.phase_changed.emit(phase)

    # ------------------------------------------------------------------ internals: passes
    def _apply_requested(self, force_reinitialise=False):
        new = self.requested
        changed = new.changed_fields(self.config)
        if force_reinitialise:
            changed.add("init")
        resume = self.phase is Phase.TRAINING or self._train_after_pass is not None
        steps, until = self._train_after_pass or (None, self._until if self.phase is Phase.TRAINING else None)
        self._train_after_pass = None
        self._stop_training_now()
        if self.phase is Phase.COMPUTING:
            self.runner.cancel()
        if not changed:
            if resume:
                self.start_training(steps, until)
            return
        reinitialise = force_reinitialise or new.needs_new_weights(self.config)
        resample = bool(changed & set(BATCH_FIELDS))
        if not (reinitialise or resample or changed & set(PASS_FIELDS)):
            self._commit_settings(new)
            if resume:
                self.start_training(steps, until)
            return
        if resume and not reinitialise:
            self._train_after_pass = (steps, until)
        elif resume:
            self.message.emit("Training stopped: the network was re-initialised.", "info")
        params, batch, sequence = self.params, self.batch, self.selection.batch_index
        regime_ = None if reinitialise else self.regime
        job = lambda: compute_pass(new, params, batch, reinitialise=reinitialise, resample=resample,
                                   sequence=sequence, regime_=regime_, spectra=self.runner.spectra)
        self._submit_pass(new, job, new_params=reinitialise)

    def _submit_pass(self, config, job, new_params=False, then=None):
        if self.compared is not None:      # and side B's pass on the batch it used
            b, a_job = self.compared, job
            job = lambda: with_compared(a_job, b.changes, b.params, b.config, sequence=self.selection.batch_index,
                                        spectra=self.runner.spectra)

        def finished(computed):
            self._commit_pass(computed, new_params)
            if then is not None:
                then()
        if estimate_ms(config) <= SYNC_LIMIT_MS:
            self.runner.cancel()
            try:
                computed = drain(job())
            except RnnInputError as error:
                self._job_failed(error, "")
                return
            if self.phase is Phase.COMPUTING:
                self._set_phase(Phase.IDLE)
            finished(computed)
            return
        self._set_phase(Phase.COMPUTING)
        self.message.emit("Computing… (the views show the previous result until it is done)", "progress")
        self.runner.submit(job, on_finished=finished, on_failed=self._job_failed,
                           on_progress=lambda done: self.message.emit(   # (a lean pass says how far it is)
                               f"Computing… {done:.0%} (a pass this long is kept as checkpoints; the views "
                               "show the previous result until it is done)", "progress"))

    def _commit_pass(self, computed, new_params=False):
        old, old_params = self.config, self.params
        new_params = new_params or computed.reinitialised
        self._install(computed, new_params)
        self._set_phase(Phase.IDLE if computed.result.done else Phase.STEPPING)
        if computed.config != old:
            self.config_changed.emit(computed.config)
        if computed.params is not old_params:        # (a new batch or truncation keeps the weights)
            self.params_changed.emit()
        if new_params:
            self._set_shown(None)
            self.history_changed.emit()
            self.samples_changed.emit()
        if computed.compared is not None:
            self.references_changed.emit()
        self._show_new_pass()
        if self.compared is not None and computed.compared is None:   # (submitted before B was chosen)
            self._compute_b()
            return
        if self._train_after_pass is not None and self.requested == self.config:
            steps, until = self._train_after_pass
            self._train_after_pass = None
            self.start_training(steps, until)

    def _install(self, computed, new_params: bool):
        """Replace every derived attribute at once (no events)."""
        self.config, self._baseline = computed.config, computed.baseline
        self.params, self.batch, self.stepper = computed.params, computed.batch, computed.stepper
        self.result = computed.result
        b = self.compared                  # (B first: A's first checkpoint keeps B's state too)
        if b is not None and computed.compared is not None:
            side = computed.compared
            b.config, b.params, b.result, b.baseline = side.config, side.params, side.result, side.baseline
            if side.reinitialised or b.optimizer is None:
                b.history, b.samples = TrainingHistory(), []
                b.optimizer = make_optimizer(b.config.optimizer, b.config.lr)
                b.start = ({name: value.copy() for name, value in b.params.items()}, copy.deepcopy(b.optimizer))
        if new_params:
            self.history = TrainingHistory()
            self.earlier_runs = []
            self.samples = []
            self.optimizer = make_optimizer(self.config.optimizer, self.config.lr)
            self._new_checkpoints(0)

    def _new_checkpoints(self, update: int):
        """A fresh checkpoint store holding the current weights as ``update``; its budget fits
        CHECKPOINTS_KEPT checkpoints of these weights (with two optimizer moments each), at least
        CHECKPOINT_BYTES."""
        size = 3 * sum(value.nbytes + ARRAY_OVERHEAD for value in self.params.values()) + CHECKPOINT_OVERHEAD
        self.checkpoints = CheckpointStore(max(CHECKPOINT_BYTES, CHECKPOINTS_KEPT * size))
        self._checkpoint(update, self.params, copy.deepcopy(self.optimizer))

    def _checkpoint(self, update: int, params: dict, optimizer):
        """Keep these weights and this optimizer (not copied again: the caller's own) as ``update``,
        with side B's weights and optimizer of now (copied), counting every byte they hold, Python
        objects included."""
        state, b = TrainedState(optimizer), self.compared
        if b is not None and b.params is not None:
            state = TrainedState(optimizer, {name: value.copy() for name, value in b.params.items()},
                                 copy.deepcopy(b.optimizer), len(b.history))
        arrays = [value for held in (optimizer, state.compared_optimizer) if held is not None
                  for moments in held.state.values() for value in moments.values() if isinstance(value, np.ndarray)]
        arrays += list((state.compared_params or {}).values())
        overhead = ARRAY_OVERHEAD * (len(params) + len(arrays)) + CHECKPOINT_OVERHEAD
        # (the store counts A's weights' own bytes; these are the rest and the objects')
        self.checkpoints.add(update, params, state, nbytes=sum(a.nbytes for a in arrays) + overhead)

    def _commit_settings(self, new: ExplorerConfig):
        """Training-only settings (optimizer, lr, clipping, breakpoints): no new pass needed."""
        old, self.config = self.config, new
        if new.temperature != old.temperature:    # the same draws, at the new temperature
            self.sample_again(seed=len(self.history))
        self.optimizer = settled_optimizer(self.optimizer, old, new)
        b = self.compared
        if b is not None:                          # B follows, except where it differs
            try:
                b_new = compared_config(new, b.changes)
            except RnnInputError as error:
                self.stop_comparing()
                self.message.emit(f"The A/B comparison ended: {error}", "warning")
            else:
                b.optimizer = settled_optimizer(b.optimizer, b.config, b_new)
                b.config = b_new
        self.config_changed.emit(new)

    def _pass_with(self, params: dict, regime_=None):
        """A whole pass of the current configuration and batch with ``params`` (``regime_``: theirs,
        if known): after training stopped without sending one, a finish, a checkpoint shown."""
        config, batch, sequence = self.config, self.batch, self.selection.batch_index
        self._submit_pass(config, lambda: compute_pass(config, params, batch, sequence=sequence, regime_=regime_,
                                                       spectra=self.runner.spectra))

    def _job_failed(self, error, details=""):
        self._train_after_pass = None
        if self.phase in (Phase.COMPUTING, Phase.TRAINING):
            self._set_phase(Phase.IDLE)
        text = str(error) if isinstance(error, RnnInputError) else f"Internal error: {error!r}"
        if details and not isinstance(error, RnnInputError):
            print(details, file=sys.stderr)
        if self.requested != self.config:
            self.requested = self.config
            self.request_changed.emit(self.config)
        self.message.emit(text, "error")

    # ------------------------------------------------------------------ internals: training
    def _stop_training_now(self):
        """End a run at once, keeping the weights and history received so far."""
        if self.phase is Phase.TRAINING:
            self.channel.abandon()
            self._set_phase(Phase.IDLE if self.result.done else Phase.STEPPING)

    def _apply_chunk(self, chunk):
        b = self.compared
        if b is not None and chunk.compared is not None:       # side B's part, applied first
            b.history.extend(chunk.compared.updates)
            b.params, b.optimizer = chunk.compared.params, chunk.compared.optimizer
            if chunk.compared.display is not None:
                b.result = chunk.compared.display.result
            if chunk.compared.samples is not None:
                b.samples = chunk.compared.samples
            self.references_changed.emit()
        self.history.extend(chunk.updates)
        self.params, self.optimizer = chunk.params, chunk.optimizer
        if chunk.updates:
            self._checkpoint(len(self.history), chunk.params, chunk.optimizer)
        if chunk.display is not None:
            self.batch, self.stepper, self.result = chunk.display.batch, chunk.display.stepper, chunk.display.result
        if chunk.samples is not None:
            self.samples = chunk.samples
        if chunk.finished and self.phase is Phase.TRAINING:
            self._set_phase(Phase.PAUSED if chunk.stop_reason else Phase.IDLE)
        if chunk.display is not None:
            self.params_changed.emit()
        self.history_changed.emit()
        if chunk.samples is not None:
            self.samples_changed.emit()
        if chunk.display is not None:
            self._show_new_pass()
        if chunk.stop_reason:
            self.message.emit(chunk.stop_reason, chunk.stop_level)
            self.breakpoint_hit.emit(chunk.stop_reason, chunk.stop_level)
        elif chunk.finished and self.history:
            self.message.emit(f"Trained to update {len(self.history)}; loss {number(self.history.loss[-1])}.", "info")

    def _show_new_pass(self):
        """Announce a new pass, then the selection it clamped (a shorter T, fewer layers or
        sequences): in this order, so that no view reads a selected step of the old pass in the new one."""
        before, self.selection = self.selection, self._clamped(self.selection)
        if self.kept_as_checkpoints:             # (its one sequence's recording is the one it was computed for)
            self.selection = Selection(**{**self.selection.__dict__, "batch_index": self.result.data.sequence})
            self.message.emit(self._lean_message(), "info")
        elif self.selection.batch_index != before.batch_index:
            self.result = for_sequence(self.result, cell_of(self.spec), self.params, self.selection.batch_index)
        self.pass_changed.emit()
        if self.selection != before:
            self.selection_changed.emit(self.selection)

    def _clamped(self, s: Selection) -> Selection:
        c = self.config
        clamp = lambda v, n: int(min(max(v, 0), n - 1))
        return Selection(clamp(s.step, c.seq_len), clamp(s.layer, c.layers), clamp(s.unit, c.hidden),
                         clamp(s.batch_index, c.batch))
