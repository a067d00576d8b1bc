"""First launch on a machine where the window cannot open: one clear line and exit status 2, never
Qt's abort (SIGABRT) — without a display, without the X11 plugin's system libraries, or with an X
server that does not answer; `--screenshot` still works off screen."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from explorer import display_check

ROOT = Path(__file__).resolve().parent.parent
NO_DISPLAY = {key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY")}
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the X11 checks are Linux's")


def launch(*args, **env):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=120, env={**NO_DISPLAY, **env}, cwd=ROOT)


def assert_one_clear_line(done):
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr and "--screenshot" in lines[0]
    return lines[0]


@linux_only
def test_without_a_display_one_line_says_so_and_names_the_offscreen_way():
    line = assert_one_clear_line(launch(QT_QPA_PLATFORM=""))
    assert "DISPLAY is not set" in line


@linux_only
def test_an_x_display_that_cannot_be_used_is_one_line_too():
    # here either the X11 plugin's libraries are missing (named with their packages) or no X
    # server answers at :987; Qt would abort on both
    line = assert_one_clear_line(launch(QT_QPA_PLATFORM="xcb", DISPLAY=":987"))
    assert "sudo apt install" in line or "no X server answers at DISPLAY=:987" in line


@linux_only
def test_missing_libraries_are_named_with_their_debian_packages(monkeypatch):
    monkeypatch.setattr(display_check, "missing_libraries", lambda names=display_check.XCB_LIBRARIES: ["libxcb-cursor.so.0"])
    problem = display_check.display_problem({"DISPLAY": ":0"})
    assert "libxcb-cursor.so.0" in problem and "sudo apt install libxcb-cursor0" in problem


def test_only_libraries_that_do_not_load_are_reported():
    assert display_check.missing_libraries(["libc.so.6", "libbptt-explorer-does-not-exist.so.3"]) == \
        ["libbptt-explorer-does-not-exist.so.3"] or not sys.platform.startswith("linux")


def test_other_platforms_are_left_to_qt():
    for environ in ({"QT_QPA_PLATFORM": "offscreen"}, {"QT_QPA_PLATFORM": "wayland"},
                    {"WAYLAND_DISPLAY": "wayland-0"}):
        assert display_check.display_problem(environ) is None


@linux_only
def test_the_screenshot_needs_no_display(tmp_path):
    path = tmp_path / "window.png"
    done = launch("--screenshot", str(path), "--size", "800x600", QT_QPA_PLATFORM="")
    assert done.returncode == 0, done.stderr
    assert path.stat().st_size > 1000
