"""A corrupt, hand-edited or hostile settings file never stops the window from opening: each bad
value falls back to the demo (with a message), and the window works."""

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

pytest.importorskip("pytestqt")

import pyqtgraph  # noqa: E402,F401  (after PySide6)
from PySide6.QtCore import QSettings  # noqa: E402

from explorer.config import ExplorerConfig  # noqa: E402
from explorer.settings import restore_settings  # noqa: E402
from test_window import make_window, settle  # noqa: E402

BAD_CONFIGS = [
    '{"seq_len": Infinity}', '{"seq_len": 1e999}', '{"seq_len": "inf"}', '{"hidden": ' + "9" * 4000 + "}",
    "[" * 100_000 + "]" * 100_000, '{"hidden": -3}', '{"cell": "transformer"}', '{"task": "data-7"}',
    '{"lr": NaN}', '{"batch": [1, 2]}', '{"layers": {"a": 1}}', "not json at all", '"a string"', "[1, 2, 3]",
    "null", '{"seq_len": 10000, "batch": 256, "hidden": 256, "layers": 4, "cell": "lstm"}',   # beyond 4 GB, even lean
    '{"truncation": "tbptt", "k1": 9, "k2": 2}', '{"seed": -1}', '{"break_on_norm": "maybe"}',
    '{"speed": 1e308}',
]


def write_settings(path, raw):
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    settings.setValue("config", raw)
    settings.setValue("window/geometry", "garbage")
    settings.setValue("window/state", b"\x00\x01garbage")
    settings.sync()
    return settings


@pytest.mark.parametrize("raw", BAD_CONFIGS[:3])
def test_a_window_launched_on_bad_settings_opens_the_demo_and_works(qtbot, tmp_path, raw):
    write_settings(tmp_path / "settings.ini", raw)
    window = make_window(qtbot, tmp_path / "settings.ini", restore=True)
    try:
        settle(qtbot, window)
        assert window.state.config == ExplorerConfig(**window.state.config.to_dict())
        window.state.step_forward()
        assert window.isVisible()
    finally:
        window.state.shutdown()


def test_every_bad_saved_configuration_is_refused_with_a_message(qtbot, tmp_path, monkeypatch):
    """What a launch does with the settings (restore_settings), for every bad value, on one window."""
    monkeypatch.setenv("BPTT_MEMORY_BUDGET", "4G")    # (the budget is otherwise a share of the machine's memory)
    window = make_window(qtbot)
    try:
        for i, raw in enumerate(BAD_CONFIGS):
            before = window.state.config
            assert not restore_settings(window, write_settings(tmp_path / f"s{i}.ini", raw)), raw[:40]
            assert window.state.config == before
            assert "could not be used" in window.statusBar().currentMessage()
    finally:
        window.state.shutdown()


def test_a_good_saved_configuration_comes_back(qtbot, tmp_path):
    path = tmp_path / "settings.ini"
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    settings.setValue("config", json.dumps({**ExplorerConfig().to_dict(), "hidden": 12, "seq_len": 33}))
    settings.sync()
    window = make_window(qtbot, path, restore=True)
    try:
        settle(qtbot, window)
        assert (window.state.config.hidden, window.state.config.seq_len) == (12, 33)
    finally:
        window.state.shutdown()
