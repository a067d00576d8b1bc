"""Running engine work off the GUI thread.

A *job* is a zero-argument callable returning a generator. The generator runs on a pool thread;
every ``yield`` is a cancellation point, and a yielded value other than ``None`` is a progress
report, handed to the GUI thread through a queued signal. The generator's ``return`` value is the
result. Each job gets a generation number; submitting a new job cancels the running one (it stops
at its next ``yield``), and anything a cancelled or superseded job still reports is dropped, so
the GUI never applies a stale result.

Jobs must not mutate arrays the GUI reads: they work on copies and hand back snapshots.
The same generator can be drained synchronously with :func:`explorer.jobs.drain` for small, fast work.
"""

import threading
import traceback

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from .spectra_process import SpectraProcess


_POOLS = {}   # name → QThreadPool, made once and kept for the life of the process


def lasting_pool(name: str, threads: int) -> QThreadPool:
    """A thread pool that is never destroyed before the process ends. A pool owned by a window
    was deleted whenever Python's garbage collector freed the window's wrappers, which can
    happen on any thread, one of that pool's own among them: its destructor then waited for
    itself, holding the GIL, and the whole program stopped (seen in the GUI tests as a worker
    frozen at its first allocations and the GUI thread waiting for the GIL)."""
    pool = _POOLS.get(name)
    if pool is None:
        pool = _POOLS[name] = QThreadPool()
        pool.setMaxThreadCount(threads)
    return pool


class _Relay(QObject):
    """Lives on the GUI thread; pool threads emit these, Qt queues them to the GUI thread."""
    progress = Signal(int, object)
    finished = Signal(int, object)
    failed = Signal(int, object)


class Worker(QObject):
    """One job at a time that matters (the newest); older ones are cancelled and their results dropped."""

    busyChanged = Signal(bool)

    def __init__(self, parent=None, threads: int = 2):
        super().__init__(parent)
        self._pool = lasting_pool("jobs", threads)
        self._generation = 0
        self._lock = threading.Lock()
        self._callbacks = None          # (generation, on_progress, on_finished, on_failed)
        self._relay = _Relay(self)
        self._relay.progress.connect(self._on_progress)
        self._relay.finished.connect(self._on_finished)
        self._relay.failed.connect(self._on_failed)
        self._running_threads = 0
        self.spectra = SpectraProcess()   # jobs measure σ_max and ρ there: LAPACK holds the GIL

    # --- public ---
    @property
    def busy(self) -> bool:
        """Whether the newest job is still running (its result not yet applied)."""
        return self._callbacks is not None

    @property
    def generation(self) -> int:
        return self._generation

    @property
    def threads_running(self) -> int:
        """Pool threads still running, including cancelled jobs that have not reached a yield yet."""
        return self._running_threads

    def submit(self, job, on_finished=None, on_progress=None, on_failed=None) -> int:
        """Cancel the running job and start ``job`` (a callable returning a generator)."""
        was_busy = self.busy
        with self._lock:
            self._generation += 1
            generation = self._generation
        self._callbacks = (generation, on_progress, on_finished, on_failed)
        self._running_threads += 1
        self._pool.start(lambda: self._run(generation, job))
        if not was_busy:
            self.busyChanged.emit(True)
        return generation

    def cancel(self):
        """Cancel the running job (it stops at its next yield) and drop whatever it still reports."""
        with self._lock:
            self._generation += 1
        if self._callbacks is not None:
            self._callbacks = None
            self.busyChanged.emit(False)

    def shutdown(self, timeout_ms: int = 3000):
        self.cancel()
        self._pool.waitForDone(timeout_ms)
        self.spectra.close()

    # --- pool thread ---
    def _current(self, generation: int) -> bool:
        return self._generation == generation

    def _run(self, generation: int, job):
        relay = self._relay
        try:
            with np.errstate(all="ignore"):
                generator = job()
                while True:
                    if not self._current(generation):
                        generator.close()
                        relay.finished.emit(-generation, None)   # negative: cancelled
                        return
                    try:
                        item = next(generator)
                    except StopIteration as stop:
                        relay.finished.emit(generation, stop.value)
                        return
                    if item is not None and self._current(generation):
                        relay.progress.emit(generation, item)
        except Exception as error:  # reported on the GUI thread, never raised in the pool
            relay.failed.emit(generation, (error, traceback.format_exc()))

    # --- GUI thread ---
    def _take(self, generation: int):
        callbacks = self._callbacks
        if callbacks is None or callbacks[0] != generation:
            return None
        return callbacks

    @Slot(int, object)
    def _on_progress(self, generation, item):
        callbacks = self._take(generation)
        if callbacks is not None and callbacks[1] is not None:
            callbacks[1](item)

    @Slot(int, object)
    def _on_finished(self, generation, result):
        self._running_threads -= 1
        callbacks = self._take(generation)
        if callbacks is None:
            return                       # cancelled or superseded: dropped
        self._callbacks = None
        self.busyChanged.emit(False)
        if callbacks[2] is not None:
            callbacks[2](result)

    @Slot(int, object)
    def _on_failed(self, generation, error):
        self._running_threads -= 1
        callbacks = self._take(generation)
        if callbacks is None:
            return
        self._callbacks = None
        self.busyChanged.emit(False)
        if callbacks[3] is not None:
            callbacks[3](*error)
