"""The window every GUI test may ask for: built as a first launch at 1280×800, shown, and its
session shut down afterwards (test_window.make_window)."""

import pytest

from test_window import make_window


@pytest.fixture
def window(qtbot):
    w = make_window(qtbot)
    yield w
    w.state.shutdown()
