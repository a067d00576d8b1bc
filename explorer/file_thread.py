"""Reading and writing files off the GUI thread. A model's state_dict of 60 MB takes 0.3 s to read
and map, and compressing a saved session of an LSTM with H = 256, L = 4 took 0.84 s: on the GUI
thread the window froze for that long. Here the reading or writing function runs on a thread of
its own (one at a time, in order) and its result, or its error, comes back to the GUI thread
through a queued signal."""

from PySide6.QtCore import QObject, Signal, Slot

from .worker import lasting_pool


class FileThread(QObject):
    """``run(work, on_result, on_error)`` calls ``work()`` on the file thread, then ``on_result(value)``
    or ``on_error(exception)`` on the GUI thread; a cancelled call's answer is dropped."""

    _answered = Signal(int, object, object)      # (ticket, value, error)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._pool = lasting_pool("files", 1)     # (one at a time, in order; never destroyed with the window)
        self._ticket = 0
        self._waiting = {}                       # ticket → (on_result, on_error)
        self._answered.connect(self._answer)

    def run(self, work, on_result, on_error) -> int:
        self._ticket += 1
        ticket = self._ticket
        self._waiting[ticket] = (on_result, on_error)
        self._pool.start(lambda: self._call(ticket, work))
        return ticket

    def cancel(self, ticket: int | None):
        self._waiting.pop(ticket, None)

    @property
    def busy(self) -> bool:
        """Whether an answer is still awaited."""
        return bool(self._waiting)

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until every call has run (their answers still arrive through the event loop)."""
        return self._pool.waitForDone(timeout_ms)

    def _call(self, ticket, work):                # on the file thread
        try:
            value, error = work(), None
        except Exception as exc:                  # every failure is answered, never raised here
            value, error = None, exc
        self._answered.emit(ticket, value, error)

    @Slot(int, object, object)
    def _answer(self, ticket, value, error):
        callbacks = self._waiting.pop(ticket, None)
        if callbacks is None:
            return
        on_result, on_error = callbacks
        if error is None:
            on_result(value)
        else:
            on_error(error)
