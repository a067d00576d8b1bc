"""The engine (rnn/) never imports the GUI toolkit: importing it leaves Qt and pyqtgraph unloaded."""

import importlib.util
import json
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ENGINE_MODULES = ["rnn", "rnn.bptt", "rnn.training", "rnn.tasks", "rnn.diagnostics", "rnn.optim",
                  "rnn.gradcheck", "rnn.cells", "rnn.params", "rnn.losses", "rnn.truncation",
                  "rnn.sampling"]
OPTIONAL_MODULES = ["rnn.io", "rnn.cli"]
GUI_PACKAGES = ("PySide6", "pyqtgraph", "PyQt5", "PyQt6", "shiboken6")


def existing_optional_modules():
    found = []
    for name in OPTIONAL_MODULES:
        if (ROOT / (name.replace(".", "/") + ".py")).exists():
            found.append(name)
    return found


def test_engine_imports_no_gui_toolkit():
    modules = ENGINE_MODULES + existing_optional_modules()
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"gui = sorted(m for m in sys.modules if m.split('.')[0] in {GUI_PACKAGES!r})\n"
        "print(json.dumps(gui))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == [], f"importing the engine loaded GUI modules: {loaded}"


def test_the_check_can_see_a_gui_import():
    """Guard against a vacuous pass: the same probe does report PySide6 when it is imported."""
    if importlib.util.find_spec("PySide6") is None:
        pytest.skip("PySide6 is not installed")
    code = ("import sys, PySide6.QtCore\n"
            "print('PySide6' in sys.modules)\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
