"""The Qt side of the session: a thin adapter that runs the session's pass jobs on a worker
thread, reads the training pipe when it is readable, and relays the session's events as Qt
signals for the views. It owns no state: every attribute it does not define is the session's."""

import time

from PySide6.QtCore import QObject, QSocketNotifier, Signal, Slot
from PySide6.QtWidgets import QApplication
from threadpoolctl import threadpool_limits

from pyqtgraph.util.garbage_collector import GarbageCollector

from .session import Phase, Session
from .worker import Worker

GC_SECONDS = 0.5       # cyclic garbage is collected this often, on the GUI thread


_collector = None


def collect_garbage_on_this_thread():
    """Cyclic garbage is collected on the GUI thread only, by a timer (pyqtgraph's GarbageCollector:
    Python's automatic collection is turned off). Collected on a worker thread, at any allocation
    there, a cycle holding a widget (a closed dialog, a window gone) deletes the widget on that
    thread: its ~QObject waits for a lock the GUI thread holds while the GUI thread waits for the
    GIL, and both wait for ever (it froze the GUI test suite, the worker building a pass's plan)."""
    global _collector
    if _collector is None:
        _collector = GarbageCollector(interval=GC_SECONDS)


class QtSession(QObject):
    requestChanged = Signal(object)     # the newest requested config (controls follow this)
    configChanged = Signal(object)      # the committed config (matches the pass)
    paramsChanged = Signal()
    passChanged = Signal()
    selectionChanged = Signal(object)
    historyChanged = Signal()
    samplesChanged = Signal()
    phaseChanged = Signal(object)
    message = Signal(str, str)
    breakpointHit = Signal(str, str)
    undoChanged = Signal()
    shownUpdateChanged = Signal(object)   # time travel: the update shown (None: the newest)
    referencesChanged = Signal()          # the runs kept for comparison
    busyChanged = Signal(bool)          # a pass is computing on the worker
    trainingChanged = Signal(bool)      # training started / stopped

    RELAYS = {"request_changed": "requestChanged", "config_changed": "configChanged",
              "params_changed": "paramsChanged", "pass_changed": "passChanged",
              "selection_changed": "selectionChanged", "history_changed": "historyChanged",
              "samples_changed": "samplesChanged", "phase_changed": "phaseChanged", "message": "message",
              "breakpoint_hit": "breakpointHit", "undo_changed": "undoChanged",
              "shown_update_changed": "shownUpdateChanged", "references_changed": "referencesChanged"}

    def __init__(self, session: Session | None = None, parent=None):
        super().__init__(parent)
        # one BLAS thread: the window draws on one core, training runs on the other. Two BLAS
        # threads fighting the training process made a 256×256 SVD take 650 ms instead of 7.
        threadpool_limits(1)
        collect_garbage_on_this_thread()
        self.worker = Worker(self)
        if session is None:
            session = Session(runner=self.worker)
        else:
            session.runner = self.worker
        self.session = session
        for event, signal in self.RELAYS.items():
            getattr(session, event).connect(getattr(self, signal).emit)
        session.phase_changed.connect(self._on_phase)
        self._phase = session.phase
        self._notifier = None

    def __getattr__(self, name):      # reading: the session's attributes and methods
        if name.startswith("__") or name in ("session", "worker", "_notifier", "_phase"):
            raise AttributeError(name)
        return getattr(self.session, name)

    def _on_phase(self, phase):
        before, self._phase = self._phase, phase
        if (before is Phase.COMPUTING) != (phase is Phase.COMPUTING):
            self.busyChanged.emit(phase is Phase.COMPUTING)
        if (before is Phase.TRAINING) != (phase is Phase.TRAINING):
            if phase is Phase.TRAINING:
                self._watch_pipe()
            self.trainingChanged.emit(phase is Phase.TRAINING)

    def _watch_pipe(self):
        fd = self.session.channel.fileno()
        if fd is None:                    # a few updates trained at once: no process involved
            return
        if self._notifier is not None and self._notifier.socket() == fd:
            return
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
        self._notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_pipe)

    @Slot()
    def _on_pipe(self, *_):
        self.session.poll()    # (what an abandoned run still sends is read here and dropped)

    def shutdown(self):
        if self._notifier is not None:
            self._notifier.setEnabled(False)
        self.session.shutdown()
        self.worker.shutdown()


def wait_until_idle(state, timeout_s: float = 60.0) -> bool:
    """Process events until no job is running and the views have caught up (for scripts and tests)."""
    app = QApplication.instance()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()
        if state.idle and not state.training:
            break
        time.sleep(0.005)
    else:
        return False
    # let coalesced redraws (0–50 ms timers in the views) run
    end = time.monotonic() + 0.15
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.005)
    return True
