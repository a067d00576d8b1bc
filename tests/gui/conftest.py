"""The window every GUI test may ask for: built as a first launch at 1280×800, shown, its first
pass landed, and its session shut down afterwards (test_window.make_window, settle); and one
window a test module's lessons share."""

import pytest
from PySide6.QtWidgets import QApplication

from explorer.window import MainWindow
from test_window import make_window, settle


@pytest.fixture
def window(qtbot):
    w = make_window(qtbot)
    settle(qtbot, w)
    yield w
    w.state.shutdown()


@pytest.fixture(scope="module")
def shared_window():
    """One window for the lessons (building one per lesson costs time, not coverage)."""
    app = QApplication.instance() or QApplication([])
    window = MainWindow(settings=None, restore=False)
    window.resize(1280, 800)
    window.show()
    app.processEvents()
    yield window
    window.state.shutdown()
    window.close()
    window.deleteLater()
    app.processEvents()


@pytest.fixture(autouse=True)
def message_boxes(monkeypatch):
    """A modal message box would wait for a click that never comes (the suite would hang): each
    one is recorded here, answered with OK at once, and a test can check what it said."""
    from PySide6.QtWidgets import QMessageBox
    shown = []

    def record(kind):
        def box(parent, title, text, *args, **kwargs):
            shown.append((kind, title, text))
            return QMessageBox.StandardButton.Ok
        return staticmethod(box)

    for kind in ("warning", "critical", "information", "question"):
        monkeypatch.setattr(QMessageBox, kind, record(kind))
    return shown
