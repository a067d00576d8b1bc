"""The user's settings between launches (QSettings): window geometry and layout, and the last
configuration. A value that cannot be used is ignored; the window then opens on the demo."""

import json
import os

from PySide6.QtCore import QByteArray, QSettings

from rnn.errors import RnnInputError

from .config import ExplorerConfig

ORGANISATION = APPLICATION = "BPTT Explorer"
SETTINGS_ENV = "BPTT_EXPLORER_SETTINGS"


def app_settings() -> QSettings:
    """The user's settings, or the ini file named by $BPTT_EXPLORER_SETTINGS (tests use that)."""
    path = os.environ.get(SETTINGS_ENV)
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION, APPLICATION)


def restore_settings(window, s: QSettings) -> bool:
    """Put back the window's geometry, layout and last configuration; False if there was no
    configuration to restore (or only the defaults), so the window shows the demo."""
    geometry = s.value("window/geometry")
    if isinstance(geometry, QByteArray) and not geometry.isEmpty():
        window.restoreGeometry(geometry)
    state = s.value("window/state")
    if isinstance(state, QByteArray) and not state.isEmpty():
        window._restored_layout = window.restoreState(state)
    raw = s.value("config")
    if not raw:
        return False
    try:
        config = ExplorerConfig.from_dict(json.loads(raw))
    except (RnnInputError, ValueError, TypeError):
        return False
    if config == ExplorerConfig():
        return False
    window.state.set_config(record_undo=False, **config.to_dict())
    window.show_message("Restored your last configuration (Lessons → A first look for the introduction).", "info")
    return True


def save_settings(window, s: QSettings | None):
    if s is None:
        return
    s.setValue("window/geometry", window.saveGeometry())
    s.setValue("window/state", window.saveState())
    s.setValue("config", json.dumps(window.state.requested.to_dict()))
    s.sync()
