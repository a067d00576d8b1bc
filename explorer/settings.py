"""The user's settings between launches (QSettings): window geometry and layout, the last
configuration, and how the window is drawn (text size, high contrast, the presentation layout).
A value that cannot be used is ignored: the window then opens on the demo, at the default look."""

import json
import math
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
        window._restored_layout = window.presentation.restore_state(state)
    raw = s.value("config")
    if not raw:
        return False
    try:
        saved = json.loads(raw)
        if not isinstance(saved, dict):
            raise TypeError("not a dict")
        config = ExplorerConfig.from_dict(saved)
    except (RnnInputError, ValueError, TypeError, RecursionError) as error:
        window.show_message(f"Your last configuration could not be used ({str(error)[:120]}); "
                            "opened on the demo instead.", "warning")
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


def read_number(s: QSettings | None, key: str, default: float, low: float, high: float) -> float:
    """The number kept under ``key``, or ``default`` if there is none, it is not a number, or it
    lies outside [low, high] (a hand-edited or corrupt settings file never breaks the window)."""
    raw = None if s is None else s.value(key)
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        return default
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if math.isfinite(value) and low <= value <= high else default


def read_flag(s: QSettings | None, key: str, default: bool = False) -> bool:
    """The yes/no kept under ``key`` (an ini file keeps it as the text "true" / "false")."""
    raw = None if s is None else s.value(key)
    if isinstance(raw, bool):
        return raw
    return {"true": True, "false": False}.get(str(raw).strip().lower(), default) if raw is not None else default


def read_choice(s: QSettings | None, key: str, choices, default: str) -> str:
    """The text kept under ``key`` if it is one of ``choices``, else ``default``."""
    raw = None if s is None else s.value(key)
    return raw if isinstance(raw, str) and raw in choices else default


def save_values(s: QSettings | None, values: dict):
    """Keep each key's value now (a look chosen is kept even if the window never closes cleanly)."""
    if s is None:
        return
    for key, value in values.items():
        s.setValue(key, value)
    s.sync()
