"""Shared test set-up: Qt runs off screen, and the window's settings go to a temporary ini file,
never the user's real BPTT Explorer settings."""

import os
import pathlib
import sys
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = pathlib.Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "tests"):      # the project, and the tests' shared engine_reference
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

# QSettings of anything started from the tests (the window, `python main.py`) use this file.
_SETTINGS_DIR = tempfile.mkdtemp(prefix="bptt-explorer-test-settings-")
os.environ["BPTT_EXPLORER_SETTINGS"] = os.path.join(_SETTINGS_DIR, "settings.ini")

import pytest  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _isolated_qsettings():
    """Even a QSettings built from organisation/application names lands in the temporary folder."""
    try:
        from PySide6.QtCore import QSettings
    except ImportError:  # engine-only environments
        yield
        return
    for scope in (QSettings.Scope.UserScope, QSettings.Scope.SystemScope):
        QSettings.setPath(QSettings.Format.IniFormat, scope, _SETTINGS_DIR)
        QSettings.setPath(QSettings.Format.NativeFormat, scope, _SETTINGS_DIR)
    yield


@pytest.fixture(autouse=True)
def _only_the_ready_made_tasks_between_tests():
    """A test that opens its own data adds a task (rnn.tasks.add_task); it is gone afterwards."""
    yield
    from rnn.tasks import BUILT_IN_TASKS, TASKS
    for name in [name for name in TASKS if name not in BUILT_IN_TASKS]:
        del TASKS[name]
