"""The window from Python (a Jupyter notebook with ``%gui qt``, or a script): on your model and
your data in one call.

    %gui qt
    from explorer.notebook import show
    window = show("model.pt", data="x.npy", targets="y.npy", batch_first=True, reduction="mean")

The window is the app's own (every menu and view); its session is ``window.state``. A file that
cannot be used raises RnnInputError with the reason, and no window is left open.
"""

from __future__ import annotations

from rnn.errors import RnnInputError


def show(weights=None, data=None, targets=None, batch_first: bool = False, reduction: str | None = None,
         lesson: str | None = None):
    """Open the explorer's window (a QApplication is made if there is none) on the model in
    ``weights`` (a state_dict, :mod:`rnn.state_dict`) and the sequences in ``data``
    (:func:`rnn.user_data.read_data`: .npy with ``targets``, .npz, .csv, .txt), computed with
    ``reduction`` ("engine", "mean", "sum"; None keeps the control's), or on a ``lesson``.
    Returns the window."""
    from PySide6.QtWidgets import QApplication  # PySide6 before pyqtgraph
    import pyqtgraph  # noqa: F401

    from .qt_session import wait_until_idle
    from .window import MainWindow

    QApplication.instance() or QApplication([])
    window = MainWindow(settings=None, restore=False)
    try:
        if lesson is not None:
            window.open_lesson(lesson)
        if weights is not None and not window.files.open_weights(str(weights), quiet=True):
            raise RnnInputError(window.statusBar().currentMessage())
        wait_until_idle(window.state)
        if data is not None and not window.files.open_data(str(data), None if targets is None else str(targets),
                                                          batch_first, quiet=True):
            raise RnnInputError(window.statusBar().currentMessage())
        wait_until_idle(window.state)
        if reduction is not None and not window.state.set_config(reduction=reduction):
            raise RnnInputError(f"reduction must be engine, mean or sum, got {reduction!r}")
        wait_until_idle(window.state)
    except BaseException:
        window.state.shutdown()
        window.deleteLater()
        raise
    window.show()
    return window
