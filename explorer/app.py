"""The command line that opens the window:
``python main.py [SESSION.bptt] [--lesson NAME|FILE.toml [--step N]] [--screenshot PATH] [--export-gif PATH]
[--size WxH] [--presentation] [--font-scale F]``
(also installed as ``bptt-explorer``; ``--preset`` is another name for ``--lesson``).

Without ``--screenshot`` the window opens (on the session file given, else the lesson given, else your
last configuration, else the first lesson; a session file that cannot be opened is said in the window).
With it, the window is rendered off screen once the lesson's step has run (its question answered, its
training done), the PNG is written and the program exits 0; with ``--size`` it is rendered on a screen
of that size (so ``--presentation`` fills it). ``--export-gif`` likewise writes an animated GIF of the
graph as the pass is stepped forward and back (one frame a step). An unknown lesson, a broken lesson
file, a step out of range or a bad size exits 2 with a message.

Without a display the window cannot open: instead of letting Qt abort, one line says what is missing
(no DISPLAY, the system libraries of Qt's X11 plugin and their Debian/Ubuntu packages, an X server
that does not answer) and that ``--screenshot`` works without one; the exit status is 2.
"""

import argparse
import json
import os
import re
import sys
import tempfile

from .display_check import XCB_LIBRARIES, display_problem

def parse_size(text):
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text or "")
    if not match:
        raise ValueError(f"--size must look like 1280x800, got {text!r}")
    width, height = int(match.group(1)), int(match.group(2))
    if not (320 <= width <= 7680 and 240 <= height <= 4320):
        raise ValueError(f"--size {width}x{height} is out of range (320x240 to 7680x4320)")
    return width, height


def offscreen_screen(size) -> str:
    """A file that gives Qt's offscreen platform one screen of ``size`` (w, h); the caller removes it
    once the application has started."""
    screen = {"name": "screenshot", "x": 0, "y": 0, "width": size[0], "height": size[1],
              "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}
    handle, path = tempfile.mkstemp(prefix="bptt-explorer-screen-", suffix=".json")
    with os.fdopen(handle, "w") as file:
        json.dump({"screens": [screen]}, file)
    return path


def _dispose(app, window):
    """Delete the window while the interpreter is intact: left to interpreter shutdown, the garbage
    collector can tear Qt/pyqtgraph objects down in an order that aborts the process."""
    import gc
    window.deleteLater()
    app.processEvents()
    del window
    gc.collect()


def main(argv=None):
    from explorer.lessons import LessonError, read_lesson, shipped_lessons

    parser = argparse.ArgumentParser(prog="main.py", description="BPTT Explorer: backpropagation through time, made visible.")
    parser.add_argument("session", nargs="?", metavar="SESSION.bptt", help="open a saved session")
    names = [lesson.name for lesson in shipped_lessons()]
    parser.add_argument("--lesson", "--preset", metavar="NAME", dest="lesson",
                        help=f"open a lesson: {', '.join(names)}, or a lesson file (.toml)")
    parser.add_argument("--step", metavar="N", type=int, default=1,
                        help="start the lesson at step N (1 is the first); a screenshot shows its result")
    parser.add_argument("--screenshot", metavar="PATH", help="render the window to a PNG and exit")
    parser.add_argument("--export-gif", metavar="PATH",
                        help="write an animated GIF of the graph as the pass steps forward and back, and exit")
    parser.add_argument("--size", metavar="WxH", help="window size, e.g. 1280x800")
    parser.add_argument("--presentation", action="store_true",
                        help="open in presentation mode (full screen, large text; F11 or Esc leaves)")
    parser.add_argument("--font-scale", metavar="F", type=float,
                        help="text size, e.g. 1.25 (Ctrl + / Ctrl − / Ctrl 0 in the window)")
    own = parser.add_argument_group("your own model and data")
    own.add_argument("--weights", metavar="MODEL.pt", help="a PyTorch state_dict (.pt, .pth) or its arrays (.npz)")
    own.add_argument("--data", metavar="FILE", help="your sequences: .npy, .npz (inputs, targets), .csv or .txt")
    own.add_argument("--targets", metavar="Y.npy", help="with --data X.npy: the targets (default: the next step)")
    own.add_argument("--batch-first", action="store_true", help="the arrays are (B, T, …)")
    own.add_argument("--reduction", choices=("engine", "mean", "sum"),
                     help="the loss: the engine's, or PyTorch's reduction='mean' / 'sum'")
    args = parser.parse_args(argv)
    try:
        own_weights, own_data = _read_own_files(args)
    except ValueError as error:                # (RnnInputError, or a bad combination of options)
        print(f"error: {error}", file=sys.stderr)
        return 2

    lesson = None
    if args.lesson is not None:
        if args.lesson in names:
            lesson = next(item for item in shipped_lessons() if item.name == args.lesson)
        elif args.lesson.endswith(".toml"):
            try:
                lesson = read_lesson(args.lesson)
            except LessonError as error:
                print(f"error: {error}", file=sys.stderr)
                return 2
        else:
            print(f"unknown lesson {args.lesson!r}; choose one of: {', '.join(names)}, or give a .toml file",
                  file=sys.stderr)
            return 2
        if not 1 <= args.step <= len(lesson.steps):
            print(f"error: the lesson {lesson.title!r} has steps 1 to {len(lesson.steps)}", file=sys.stderr)
            return 2
    size = None
    if args.size is not None:
        try:
            size = parse_size(args.size)
        except ValueError as error:
            print(error, file=sys.stderr)
            return 2
    from explorer.presentation import ZOOM_STEPS
    if args.font_scale is not None and not ZOOM_STEPS[0] <= args.font_scale <= ZOOM_STEPS[-1]:
        print(f"--font-scale must be between {ZOOM_STEPS[0]} and {ZOOM_STEPS[-1]}, got {args.font_scale}",
              file=sys.stderr)
        return 2
    screen_file = None
    screenshot = bool(args.screenshot or args.export_gif)      # rendered off screen, then exit
    if screenshot and (os.environ.get("QT_QPA_PLATFORM") or "offscreen") == "offscreen":
        if size:       # rendered on a screen of the size asked for (the window fits it, full screen fills it)
            screen_file = offscreen_screen(size)
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={screen_file}" if screen_file else "offscreen"

    problem = None if os.environ.get("QT_QPA_PLATFORM", "").startswith("offscreen") else display_problem()
    if problem:
        print(f"bptt-explorer: {problem}", file=sys.stderr)
        return 2
    try:
        from PySide6.QtWidgets import QApplication  # PySide6 before pyqtgraph
    except ImportError as error:            # Qt's own libraries need a few system ones (libEGL, libGL…)
        library = str(error).split(":")[0]
        package = f" (Debian/Ubuntu: sudo apt install {XCB_LIBRARIES[library]})" if library in XCB_LIBRARIES else ""
        print(f"bptt-explorer: Qt cannot start: {error}{package}", file=sys.stderr)
        return 2
    import pyqtgraph  # noqa: F401  (imported after PySide6)

    from explorer.settings import app_settings
    from explorer.window import MainWindow, wait_until_idle

    app = QApplication.instance() or QApplication(sys.argv[:1])
    if screen_file:
        os.remove(screen_file)
    app.setOrganizationName("BPTT Explorer")
    app.setApplicationName("BPTT Explorer")
    # a screenshot is reproducible: it neither reads nor writes the user's settings
    window = MainWindow(settings=None if screenshot else app_settings(), restore=not screenshot and not lesson and not args.session)
    if size:
        window.resize(*size)
    if args.font_scale is not None:
        window.presentation.set_zoom(args.font_scale)
    if lesson is not None and screenshot:     # the step as a slide: its question answered, its run done
        def wait():                           # (a large pass lands through the event loop)
            app.processEvents()
            window.state.poll(timeout=0.02)
        window.open_lesson(lesson, 0, run=False).run_through(args.step - 1, wait=wait)
    elif lesson is not None:                # the same state, reached without freezing the window
        window.open_lesson(lesson, 0, run=False).advance_to(args.step - 1)
    window.show()
    if args.presentation:
        window.presentation.enter()
    if args.session:
        window.files.open_session(args.session, quiet=screenshot)
    if own_weights is not None:
        window.files.use_weights(args.weights, own_weights)
        wait_until_idle(window.state)
    if own_data is not None:
        window.files.use_data(own_data)
        wait_until_idle(window.state)
    if args.reduction:
        window.state.set_config(reduction=args.reduction)

    if not screenshot:
        code = app.exec()
        _dispose(app, window)
        return code

    if not wait_until_idle(window.state, timeout_s=120):
        print("warning: the computation did not finish within 120 s; rendering what there is", file=sys.stderr)
    if size:
        window.resize(*size)
    window.apply_default_sizes()
    wait_until_idle(window.state, timeout_s=5)
    written = [_write_screenshot(window, args.screenshot) if args.screenshot else True,
               _write_gif(window, args.export_gif) if args.export_gif else True]
    window.state.shutdown()
    window.close()
    _dispose(app, window)
    return 0 if all(written) else 1


def _read_own_files(args):
    """(weights mapping or None, data task or None) of --weights / --data, read once, before the
    window opens; ValueError (RnnInputError) says why they cannot be used."""
    from rnn.io import read_params
    from rnn.user_data import read_data
    if args.targets and not args.data:
        raise ValueError("--targets goes with --data X.npy")
    weights = read_params(args.weights) if args.weights else None
    data = None
    if args.data:
        data = read_data(args.data, args.targets, args.batch_first, weights.spec.output_size if weights else None)
    return weights, data


def _output_path(path: str) -> str:
    path = os.path.abspath(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def _write_screenshot(window, path: str) -> bool:
    image = window.grab().toImage()
    path = _output_path(path)
    if not image.save(path, "PNG"):
        print(f"could not write {path}", file=sys.stderr)
        return False
    print(f"wrote {path} ({image.width()}x{image.height()})")
    return True


def _write_gif(window, path: str) -> bool:
    from explorer.exports import HAVE_PILLOW, slide_size
    if not HAVE_PILLOW:
        print("an animated GIF needs Pillow: pip install Pillow", file=sys.stderr)
        return False
    path = _output_path(path)
    size = slide_size(window.views["GraphView"])          # 1280 px wide, as the graph is on screen
    if not window.exports.export("GraphView", "gif", path, size, quiet=True):
        print(f"could not write {path}: {window.statusBar().currentMessage()}", file=sys.stderr)
        return False
    print(f"wrote {path}")
    return True
