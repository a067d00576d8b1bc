"""Whether the window can open on this Linux machine, asked before Qt is started: Qt itself aborts
(SIGABRT) without a display or without the system libraries of its X11 plugin, naming a library
that is not the problem. :func:`display_problem` says what is missing in one line instead."""

import ctypes
import os
import sys

# what Qt's X11 (xcb) platform plugin of PySide6 6.x loads, and the Debian/Ubuntu package of each
XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1", "libX11-xcb.so.1": "libx11-xcb1", "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0", "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0", "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-xkb.so.1": "libxcb-xkb1", "libxcb-util.so.1": "libxcb-util1",
    "libxkbcommon.so.0": "libxkbcommon0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1", "libGL.so.1": "libgl1", "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6", "libdbus-1.so.3": "libdbus-1-3", "libglib-2.0.so.0": "libglib2.0-0",
}
OFFSCREEN_HINT = "python main.py --screenshot out.png renders the window without a display"


def missing_libraries(names=XCB_LIBRARIES) -> list:
    """The shared libraries among ``names`` that cannot be loaded here."""
    missing = []
    for name in names:
        try:
            ctypes.CDLL(name)
        except OSError:
            missing.append(name)
    return missing


def x_server_reachable(display: str) -> bool:
    """Whether an X server answers at ``display`` (asked through libxcb, as Qt will)."""
    xcb = ctypes.CDLL("libxcb.so.1")
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        return xcb.xcb_connection_has_error(connection) == 0
    finally:
        xcb.xcb_disconnect(connection)


def display_problem(environ=os.environ) -> str | None:
    """Why the window cannot open on this Linux machine, in one line (None: it can, or Qt decides).
    Qt itself would abort (SIGABRT) on each of these, naming a library that is not the problem."""
    platform = environ.get("QT_QPA_PLATFORM", "").split(":")[0]
    if not sys.platform.startswith("linux") or platform not in ("", "xcb"):
        return None                      # another platform (offscreen, wayland, vnc…) chosen on purpose
    if not platform and environ.get("WAYLAND_DISPLAY"):
        return None                      # Qt opens a Wayland window
    display = environ.get("DISPLAY", "")
    if not display:
        return f"no display to open the window on (DISPLAY is not set); {OFFSCREEN_HINT}"
    missing = missing_libraries()
    if missing:
        packages = " ".join(XCB_LIBRARIES[name] for name in missing)
        return (f"Qt's X11 plugin cannot load: {', '.join(missing)} missing (Debian/Ubuntu: sudo apt install "
                f"{packages}); {OFFSCREEN_HINT}")
    if not x_server_reachable(display):
        return f"no X server answers at DISPLAY={display}; {OFFSCREEN_HINT}"
    return None
