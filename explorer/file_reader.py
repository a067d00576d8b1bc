"""Reading files off the GUI thread. A model's state_dict of 60 MB takes 0.3 s to read and map, a
data file or a saved session can be larger still: read on the GUI thread, the window froze for
that long, twice when the dialog read the file again. Here the reading function runs on a thread
of its own and its result, or its error, comes back to the GUI thread through a queued signal."""

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot


class FileReader(QObject):
    """``run(read, on_result, on_error)`` calls ``read()`` on a pool thread, then ``on_result(value)``
    or ``on_error(exception)`` on the GUI thread; a cancelled (or superseded) call's answer is dropped."""

    _answered = Signal(int, object, object)      # (ticket, value, error)

    def __init__(self, parent=None):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._ticket = 0
        self._waiting = {}                       # ticket → (on_result, on_error)
        self._answered.connect(self._answer)

    def run(self, read, on_result, on_error) -> int:
        self._ticket += 1
        ticket = self._ticket
        self._waiting[ticket] = (on_result, on_error)
        self._pool.start(lambda: self._call(ticket, read))
        return ticket

    def cancel(self, ticket: int | None):
        self._waiting.pop(ticket, None)

    @property
    def reading(self) -> bool:
        """Whether an answer is still awaited."""
        return bool(self._waiting)

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until every read has run (their answers still arrive through the event loop)."""
        return self._pool.waitForDone(timeout_ms)

    def _call(self, ticket, read):                # on the pool thread
        try:
            value, error = read(), None
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
