"""Training: the loop (:func:`run_until_stop`, the engine's own ``train`` with the session's
breakpoints) and the channel that runs it in one long-lived child process (:class:`TrainingChannel`).

A training thread would share the GIL with the GUI: every redraw stalls training, and training
takes the GIL back at every call the GUI makes into Qt. The child has a core of its own and sends
the window only what it draws: the updates, the weights after them, a display pass (the network
views' :class:`explorer.jobs.ComputedPass`) a couple of times a second and, for the names task,
sampled names. A thread of the channel reads the pipe as messages arrive (a display pass of an
LSTM with H = 128, T = 100, B = 32 is 56 MB: read and unpickled on the GUI thread, it kept the
window waiting 100–290 ms) and signals a second pipe, which the window watches
(:meth:`TrainingChannel.fileno`); nothing polls, nothing waits for an acknowledgement. The child is
started once per session and kept between runs; each run has an id, and anything a stopped run
still sends is dropped.

Protocol (tuples over one duplex pipe):
    parent → child: ("train", run, sides, steps, batch, sequence, own task) · ("stop", run) · ("quit",)
                    (sides: A's :class:`Side`, and B's in an A/B comparison: trained in step)
    child → parent: ("updates", run, Chunk) · ("end", run, Chunk) · ("error", run, traceback)

The child is started with ``spawn`` (``fork`` is unsafe under Qt's threads), which imports the
program's main module again: a script that opens the window must guard its entry point with
``if __name__ == "__main__":``, as ``main.py`` does.
"""

import multiprocessing
import os
import queue
import threading
import time
import traceback
from dataclasses import dataclass, replace

from rnn.tasks import BUILT_IN_TASKS, NamesTask, add_task
from rnn.training import train

from .child_process import start_child
from .notation import number
from .jobs import ComputedPass, compute_pass, drain, sample_names

SEND_SECONDS = 0.03           # the child sends what it has about this often (~30 times a second)
DISPLAY_SECONDS = 0.5         # and a new display pass for the network views at most this often,
DISPLAY_SHARE = 0.2           # taking at most this share of the child's time to compute,
DISPLAY_BYTES_PER_SECOND = 16e6  # and at most this much recording a second through the pipe
SAMPLE_SECONDS = 0.5          # and freshly sampled names (names task) this often
END_WAIT_SECONDS = 2.0        # a new run waits this long for a stopped one's last message
WATCHED_SPEED = 10.0          # at most this many updates a second, every update is drawn in full


def stop_reason(config, update) -> tuple[str, str] | None:
    """(message, level) if this update pauses training (NaN/Inf, or a breakpoint), else None."""
    if not update.finite:
        # always a breakpoint: the engine never applies a non-finite update and stops
        return (f"NaN/Inf in {update.where_nonfinite} at update {update.step}: training paused. "
                f"The parameters are kept from update {update.step - 1}, the last finite ones.", "error")
    if config.break_on_norm and update.grad_norm > config.break_norm:
        return (f"Breakpoint: ‖g‖ = {number(update.grad_norm)} > {number(config.break_norm)} "
                f"at update {update.step}; training paused.", "warning")
    if config.break_on_clip and update.clipped:
        return (f"Breakpoint: the gradient was clipped at update {update.step} "
                f"(‖g‖ = {number(update.grad_norm)}, threshold {number(config.clip_threshold)}); training paused.",
                "warning")
    return None


def run_until_stop(config, params, optimizer, *, steps: int, start_step: int, seed: int):
    """The engine's training loop for a configuration (``params`` and ``optimizer`` change in
    place): yields (update without its recording, stop reason or None), and nothing after a stop."""
    for update in train(params=params, optimizer=optimizer, steps=steps, seed=seed, start_step=start_step,
                        **config.training_arguments()):
        reason = stop_reason(config, update)
        yield replace(update, record=None), reason
        if reason is not None:
            return


@dataclass(frozen=True)
class Side:
    """What one side of a run trains: A, the session's own, or B of an A/B comparison."""
    config: object
    params: dict                         # (changed in place by the run)
    optimizer: object
    start_step: int
    seed: int


def side_by_side(sides, steps: int):
    """The training loops of every side in step, one update each in turn (the same seed and task
    give them the same batches): yields [(update, stop reason or None)] per side after each round,
    and nothing after a round in which a side stopped (a breakpoint or NaN in A or in B)."""
    loops = [run_until_stop(side.config, side.params, side.optimizer, steps=steps, start_step=side.start_step,
                            seed=side.seed) for side in sides]
    for round_ in zip(*loops):
        yield list(round_)
        if any(reason is not None for _, reason in round_):
            return


def round_reason(round_) -> tuple[str, str] | None:
    """Why a round of :func:`side_by_side` stops training, if it does (B's reason says it is B's)."""
    for index, (_, reason) in enumerate(round_):
        if reason is not None:
            return reason if index == 0 else (f"Side B: {reason[0]}", reason[1])
    return None


@dataclass
class Chunk:
    """What one message of a run carries: its updates since the last message and the state after
    the last of them."""
    updates: list                        # rnn.training.Update records, without their recordings
    params: dict                         # the weights after the last update
    optimizer: object                    # the optimizer after the last update
    display: ComputedPass | None = None  # the display batch's pass with these weights (None: unchanged)
    samples: list | None = None          # sampled names (names task only)
    stop_reason: str = ""                # why the run ended at a breakpoint, if it did
    stop_level: str = "warning"
    finished: bool = False               # the run's last message
    compared: "Chunk | None" = None      # side B's chunk of an A/B run (its updates, weights, display)


def merged(chunks: list) -> Chunk:
    """The chunks received at once as one: all their updates, the state after the last of them,
    the newest display pass and samples (side B's merged the same way)."""
    last = chunks[-1]
    newest = lambda name: next((getattr(c, name) for c in reversed(chunks) if getattr(c, name) is not None), None)
    compared = [c.compared for c in chunks if c.compared is not None]
    return Chunk([update for c in chunks for update in c.updates], last.params, last.optimizer,
                 newest("display"), newest("samples"), last.stop_reason, last.stop_level, last.finished,
                 merged(compared) if compared else None)


class _Run:
    """One training run inside the child: trains, and says when to send and what."""

    def __init__(self, side: Side, batch, sequence):
        self.config, self.params, self.optimizer = side.config, side.params, side.optimizer
        self.batch, self.sequence, self.start_step = batch, sequence, side.start_step
        self.step = side.start_step            # the last update made (the names sampled are seeded by it)
        self.names = isinstance(self.config.task_object, NamesTask)
        self.pending = []
        self.last_sent = self.last_sample = time.monotonic()
        self.next_display = self.last_sent + DISPLAY_SECONDS
        speed = float(self.config.speed)
        self.interval = 1.0 / speed if speed > 0 else 0.0     # seconds between updates (0: no pause)
        self.watched = 0 < speed <= WATCHED_SPEED              # slow enough to draw every update
        self.next_update = self.last_sent + self.interval

    def wait_for_next_update(self, conn):
        """At a set speed: sleep until the next update is due, returning early with a message
        from the window (a stop or a quit) if one arrives meanwhile; None when it is time."""
        delay = self.next_update - time.monotonic()
        if delay > 0 and conn.poll(delay):
            return conn.recv()
        self.next_update = max(self.next_update + self.interval, time.monotonic())
        return None

    def chunk(self, finished=False, reason=("", "warning"), display_due=None):
        """What to send now; ``display_due``: whether to compute a display pass (default: when due),
        so that side B's is computed when A's is."""
        now = time.monotonic()
        display = samples = None
        if display_due is None:
            display_due = finished or self.watched or now >= self.next_display
        if display_due:
            display = drain(compute_pass(self.config, self.params, self.batch, sequence=self.sequence))
            display = replace(display, stepper=None)   # (the cell's functions do not cross processes)
            self.next_display = now + self.display_interval(display, time.monotonic() - now)
        if self.names and (finished or now - self.last_sample >= SAMPLE_SECONDS):
            self.last_sample = now
            samples = sample_names(self.config.spec(), self.params, self.config.task_object, seed=self.step,
                                   temperature=self.config.temperature)
        chunk = Chunk(self.pending, self.params, self.optimizer, display, samples, reason[0], reason[1], finished)
        self.pending, self.last_sent = [], now
        return chunk

    @staticmethod
    def display_interval(display, seconds: float) -> float:
        """Seconds until the next display pass: DISPLAY_SECONDS, or longer for a large network,
        so that computing them takes at most DISPLAY_SHARE of the child's time and sending them
        at most DISPLAY_BYTES_PER_SECOND (an LSTM with H = 128, T = 100, B = 32 records 56 MB a
        pass: one every 3.5 s; the curves still move with every message)."""
        return max(DISPLAY_SECONDS, seconds / DISPLAY_SHARE, display.result.record.nbytes / DISPLAY_BYTES_PER_SECOND)


def _take(runs, round_):
    """A round of :func:`side_by_side`'s updates, each side's to be sent; returns why it stops, if it does."""
    for run, (update, _) in zip(runs, round_):
        run.pending.append(update)
        run.step = update.step
    return round_reason(round_)


def _chunk_of(runs, **options) -> Chunk:
    """What to send now (:meth:`_Run.chunk`): side A's, with side B's in it, B's display pass
    computed when A's is."""
    sent = runs[0].chunk(**options)
    if len(runs) > 1:
        sent.compared = runs[1].chunk(**{**options, "display_due": sent.display is not None})
    return sent


def train_at_once(sides, steps: int, batch, sequence: int) -> Chunk:
    """A few updates on the calling thread, through the child's loop and its messages: the run's
    one, last chunk (``sides``' weights and optimizers change in place)."""
    runs = [_Run(side, batch, sequence) for side in sides]
    reason = None
    for round_ in side_by_side(sides, steps):
        reason = _take(runs, round_)
    return _chunk_of(runs, finished=True, reason=reason or ("", "warning"))


def _child(conn):
    """The child's loop: wait for a command; run a training run until it ends or is stopped."""
    start_child()
    while True:
        try:
            command = conn.recv()
        except EOFError:
            return
        if command[0] == "quit":
            return
        if command[0] != "train":
            continue                      # a stop for a run that has already ended
        _, run_id, sides, steps, batch, sequence, own_task, every_update = command
        try:
            if own_task is not None:          # the user's data: the child has only the ready-made tasks
                add_task(own_task)
            runs = [_Run(side, batch, sequence) for side in sides]     # A, and B of an A/B comparison
            run = runs[0]
            chunk = lambda **options: _chunk_of(runs, **options)
            for round_ in side_by_side(sides, steps):
                reason = _take(runs, round_)
                if reason is not None:
                    conn.send(("end", run_id, chunk(finished=True, reason=reason)))
                    break
                if run.interval:                  # a set speed: show this update, wait for the next
                    conn.send(("updates", run_id, chunk()))
                    message = run.wait_for_next_update(conn)
                else:
                    message = conn.recv() if conn.poll() else None
                if message is not None and message[0] in ("stop", "quit"):
                    conn.send(("end", run_id, chunk(finished=True)))
                    if message[0] == "quit":
                        return
                    break
                if not run.interval and (every_update or time.monotonic() - run.last_sent >= SEND_SECONDS):
                    conn.send(("updates", run_id, chunk()))
            else:
                conn.send(("end", run_id, chunk(finished=True)))
        except (EOFError, BrokenPipeError, ConnectionResetError):
            return                        # the window is gone: so is its training
        except Exception:
            conn.send(("error", run_id, traceback.format_exc()))


class TrainingChannel:
    """The session's training process: started on first use, kept alive between runs.

    :meth:`start` begins a run (stopping any other); :meth:`receive` returns what the current run
    has sent, without waiting unless asked to; :meth:`stop` asks the run to end (its last chunk,
    with the weights it reached, still arrives through :meth:`receive`).
    """

    def __init__(self):
        self._process = None
        self._conn = None
        self._inbox = None        # what the reader thread has read from the current process
        self._reader = None
        self._wake = None         # (read fd, write fd): a byte for every message put in the inbox
        self.run_id = 0
        self.running = False
        self._unended = set()     # runs started whose last message has not been read yet

    # --- the process ---
    def _ensure_process(self):
        if self._process is not None and self._process.is_alive():
            return
        if self._wake is None:
            self._wake = os.pipe()
            for fd in self._wake:
                os.set_blocking(fd, False)
        context = multiprocessing.get_context("spawn")   # fork is unsafe under Qt's threads
        self._conn, child_conn = context.Pipe(duplex=True)
        self._process = context.Process(target=_child, args=(child_conn,), daemon=True,
                                        name="bptt-explorer training")
        self._process.start()
        child_conn.close()
        self._inbox = queue.SimpleQueue()
        self._reader = threading.Thread(target=self._read, args=(self._conn, self._inbox, self._wake[1]),
                                        daemon=True, name="bptt-explorer training pipe")
        self._reader.start()

    @staticmethod
    def _read(conn, inbox, wake_fd):
        """The reader thread: every message the child sends goes to ``inbox``, then a byte to the
        wake pipe; None when the child's end closes (it quit or died)."""
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                message = None
            inbox.put(message)
            try:
                os.write(wake_fd, b"m")
            except (BlockingIOError, OSError):   # full: the window has not read the earlier ones yet
                pass
            if message is None:
                return

    def fileno(self) -> int | None:
        """A file descriptor readable when the child has sent something, or None before the first run."""
        return None if self._wake is None else self._wake[0]

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    # --- runs ---
    def start(self, sides: list, *, steps, batch, sequence, every_update: bool = False) -> int:
        """Start a run of ``steps`` updates of each :class:`Side` (A, and B of an A/B comparison);
        ``batch`` and ``sequence``: what the display passes show; ``every_update``: each update
        sent as its own message, with the weights after it (for a stop at an exact update)."""
        if self.running:
            self.abandon()
        self._wait_for_ends()
        self._ensure_process()
        self.run_id += 1
        self._unended.add(self.run_id)
        config = sides[0].config
        own_task = None if config.task in BUILT_IN_TASKS else config.task_object
        self._conn.send(("train", self.run_id, list(sides), steps, batch, sequence, own_task, bool(every_update)))
        self.running = True
        return self.run_id

    def _wait_for_ends(self):
        """Read (and drop) what stopped runs still send, up to their last message, before a new
        run is sent: the child reads only a stop or a quit while it trains. A run that does not end
        within END_WAIT_SECONDS (one enormous update) costs the process, not a hang."""
        deadline = time.monotonic() + END_WAIT_SECONDS
        while self._unended and self.alive and time.monotonic() < deadline:
            self.receive(timeout=max(0.0, deadline - time.monotonic()))
        if self._unended and self.alive:
            self.close(timeout=0.2)
        self._unended.clear()

    def stop(self):
        """Ask the current run to end after its update in progress."""
        if self.running and self.alive:
            self._conn.send(("stop", self.run_id))

    def abandon(self):
        """Forget the current run: whatever it still sends is dropped."""
        self.stop()
        self.running = False
        self.run_id += 1

    def receive(self, timeout: float = 0.0) -> list:
        """The current run's messages that have arrived (waiting up to ``timeout`` seconds for the
        first), as (kind, payload) with kind "updates", "end" or "error"; others are dropped."""
        messages = []
        if self._inbox is None:
            return messages
        try:
            os.read(self._wake[0], 1 << 16)    # (before the inbox: a message put after it wakes again)
        except BlockingIOError:
            pass
        wait = timeout
        while True:
            try:
                message = self._inbox.get(timeout=wait) if wait > 0 else self._inbox.get_nowait()
            except queue.Empty:
                break
            wait = 0
            if message is None:               # the child's end closed: it quit, or died (killed, out of memory)
                self._forget_process()
                if self.running:
                    self.running = False
                    messages.append(("error", "the training process ended unexpectedly"))
                break
            kind, run_id, payload = message
            if kind in ("end", "error"):
                self._unended.discard(run_id)
            if run_id != self.run_id:
                continue
            messages.append((kind, payload))
            if kind in ("end", "error"):
                self.running = False
                if not self._inbox.empty():     # read on the next call: wake the window for it
                    os.write(self._wake[1], b"m")
                break
        return messages

    def close(self, timeout: float = 2.0):
        """End the child process (at once if it does not stop within ``timeout``)."""
        if self._process is not None:
            try:
                self._conn.send(("quit",))
            except (OSError, ValueError):
                pass
            self._process.join(timeout)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(timeout)
        self._forget_process()
        self.running = False
        if self._wake is not None and (self._reader is None or not self._reader.is_alive()):
            for fd in self._wake:         # (only once the reader has stopped writing to it)
                os.close(fd)
            self._wake = None

    def _forget_process(self):
        """The process has ended: wait for its reader thread (it sees the end of the pipe)."""
        if self._reader is not None:
            self._reader.join(1.0)
        if self._conn is not None:
            self._conn.close()
        self._process = self._conn = self._inbox = None
