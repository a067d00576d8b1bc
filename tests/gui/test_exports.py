"""File ▸ Export view… / Export window…, driven through the real menu and dialog (keys typed into its
fields, its buttons clicked), and the files checked: a PNG of the size asked that is not blank, an SVG
that parses and carries the plot's title, a CSV with plain-text headers and the session's numbers, an
animated GIF with one frame per forward step and backward visit; every plot's right-click Export…
opens the same dialog, and pyqtgraph's exporters that cannot work here are not offered."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import csv  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import xml.etree.ElementTree as ET  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")
Image = pytest.importorskip("PIL.Image")
from PIL import ImageSequence  # noqa: E402

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QApplication, QDialogButtonBox  # noqa: E402

import pyqtgraph as pg  # noqa: E402,F401  (after PySide6)

from explorer import exports  # noqa: E402
from explorer.views import style  # noqa: E402

from test_window import ROOT, settle  # noqa: E402


# ---------------------------------------------------------------------------- driving the dialog
def open_dialog(qtbot, window, action="export_view"):
    window.actions[action].trigger()
    dialog = window.exports.dialog
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def choose(qtbot, combo, text):
    """Pick a combo box entry as a user does with the keyboard: focus it and type its first letters."""
    combo.setFocus()
    qtbot.keyClicks(combo, text)
    assert combo.currentText().startswith(text), (combo.currentText(), text)


def type_into(qtbot, field, text):
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(field, text)


def fill(qtbot, dialog, target=None, fmt=None, size=None, path=None):
    if target:
        choose(qtbot, dialog.target, target)
    if fmt:
        choose(qtbot, dialog.format, fmt)
    if size:
        type_into(qtbot, dialog.width_box, str(size[0]))
        type_into(qtbot, dialog.height_box, str(size[1]))
        assert dialog.size_asked == size
    if path:
        type_into(qtbot, dialog.path, str(path))


def click_export(qtbot, dialog):
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20_000)


def distinct_colours(image: QImage) -> int:
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint32).reshape(image.height(), image.bytesPerLine() // 4)
    return len(np.unique(pixels[:, :image.width()]))


def svg_text(path) -> str:
    root = ET.parse(path).getroot()
    return " ".join(element.text or "" for element in root.iter() if element.tag.endswith("text"))


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.reader(file))
    return rows[0], rows[1:]


def column(headers, rows, name):
    j = headers.index(name)
    return np.array([float(row[j]) if row[j] else np.nan for row in rows])


def plot_title(view) -> str:
    return exports.plain_text(exports._plots(view)[0].titleLabel.text)


# ---------------------------------------------------------------------------- the menu and the dialog
def test_the_file_menu_offers_export_view_and_export_window(qtbot, window):
    file_menu = next(action.menu() for action in window.menuBar().actions() if action.text() == "&File")
    texts = [action.text() for action in file_menu.actions()]
    assert "&Export view…" in texts and "Export &window…" in texts
    assert window.actions["export_view"].shortcut().toString() == "Ctrl+E"
    assert window.actions["export_window"].shortcut().toString() == "Ctrl+Shift+E"
    qtbot.keyClick(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = window.exports.dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.key == exports.WINDOW
    assert [dialog.format.itemData(i) for i in range(dialog.format.count())] == ["png", "svg", "gif"]
    dialog.reject()
    # the views are listed by their titles, and CSV is offered where there are numbers
    dialog = open_dialog(qtbot, window)
    assert dialog.key == "GraphView"
    titles = [dialog.target.itemText(i) for i in range(dialog.target.count())]
    assert titles[:3] == ["Whole window", "Unrolled graph", "Gradient flow"] and "Plot" not in titles
    assert "csv" in [dialog.format.itemData(i) for i in range(dialog.format.count())]
    dialog.reject()


def test_png_of_a_view_at_the_size_asked_with_its_title_and_axes(qtbot, window, tmp_path):
    curve = window.views["GradientFlowView"].norm_curve
    width = curve.opts["pen"].widthF()
    dialog = open_dialog(qtbot, window)
    path = tmp_path / "flow.png"
    fill(qtbot, dialog, target="Gradient flow", fmt="PNG", size=(1600, 900), path=path)
    assert dialog.preset.currentText() == "Custom"
    click_export(qtbot, dialog)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (1600, 900)
    assert distinct_colours(image) > 200            # curves, heatmap, antialiased text: not blank
    assert "Exported Gradient flow" in window.statusBar().currentMessage()
    # the view on screen is as it was: its size, its lines (widened for the picture only)
    assert window.views["GradientFlowView"].width() < 1000
    assert curve.opts["pen"].widthF() == pytest.approx(width)


def test_png_of_the_window_from_a_preset_size(qtbot, window, tmp_path):
    dialog = open_dialog(qtbot, window, "export_window")
    choose(qtbot, dialog.preset, "Twice")
    path = tmp_path / "window.png"
    fill(qtbot, dialog, path=path)
    click_export(qtbot, dialog)
    image = QImage(str(path))
    assert (image.width(), image.height()) == (2 * window.width(), 2 * window.height())
    assert distinct_colours(image) > 200
    assert window.size().toTuple() == (1280, 800)


def test_svg_parses_and_carries_the_title(qtbot, window, tmp_path):
    dialog = open_dialog(qtbot, window)
    path = tmp_path / "graph.svg"
    fill(qtbot, dialog, fmt="SVG", size=(1200, 600), path=path)
    click_export(qtbot, dialog)
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg") and root.get("width") == "317.5mm"     # 1200 px at 96 px an inch
    _, _, width, height = map(float, root.get("viewBox").split())
    assert abs(width / height - 2.0) < 0.01
    title = plot_title(window.views["GraphView"])
    assert title and title in svg_text(path)
    assert "step t" in svg_text(path)                # the axis label is there too


def test_csv_has_plain_headers_and_the_sessions_numbers(qtbot, window, tmp_path):
    state = window.state
    dialog = open_dialog(qtbot, window)
    path = tmp_path / "flow.csv"
    fill(qtbot, dialog, target="Gradient flow", fmt="CSV", path=path)
    assert not dialog.width_box.isEnabled()            # a table has no size
    click_export(qtbot, dialog)
    headers, rows = read_csv(path)
    assert all("<" not in header and ">" not in header for header in headers)
    assert "‖∂L/∂h_t‖" in headers and "‖∂s_t/∂s_{t−1}‖_2" in headers
    t = column(headers, rows, headers[0])
    assert list(t[:state.config.seq_len]) == list(range(state.config.seq_len))
    drawn = column(headers, rows, "‖∂L/∂h_t‖")[:state.config.seq_len]
    np.testing.assert_array_equal(drawn, window.views["GradientFlowView"].norm_curve.getOriginalDataset()[1])
    np.testing.assert_allclose(drawn, style.positive_or_nan(state.record.dh_norm), rtol=1e-12)

    # the graph's numbers: the gradient on its edges, step by step
    graph = tmp_path / "graph.csv"
    assert window.exports.export("GraphView", "csv", str(graph), quiet=True)
    headers, rows = read_csv(graph)
    assert headers[0] == "step t" and all("<" not in header for header in headers)
    np.testing.assert_array_equal(column(headers, rows, "‖∂L/∂h_t‖"), state.result.dh_norm_batch[-1])
    np.testing.assert_allclose(column(headers, rows, "‖∂L/∂h_t‖"), state.record.dh_norm, rtol=1e-12)


def test_csv_of_a_heatmap_view_gives_every_unit(qtbot, window, tmp_path):
    path = tmp_path / "states.csv"
    assert window.exports.export("HiddenStatesView", "csv", str(path), quiet=True)
    headers, rows = read_csv(path)
    config = window.state.config
    assert len(headers) == 1 + config.hidden and len(rows) == config.seq_len
    assert all("<" not in header for header in headers)
    image = window.views["HiddenStatesView"].image.image
    np.testing.assert_allclose([[float(v) for v in row[1:]] for row in rows], image.T)


def test_gif_has_one_frame_per_forward_step_and_backward_visit(qtbot, window, tmp_path):
    state = window.state
    assert state.set_config(seq_len=8)
    settle(qtbot, window)
    window.actions["reset"].trigger()
    for _ in range(3):                                  # the pass is part way: 3 steps forward
        window.actions["forward"].trigger()
    state.select(step=1)
    T, visits = state.config.seq_len, state.result.plan_length
    dialog = open_dialog(qtbot, window)
    path = tmp_path / "sweep.gif"
    fill(qtbot, dialog, fmt="Animated", size=(480, 270), path=path)
    assert f"{T + visits} frames" in dialog.note.text()
    click_export(qtbot, dialog)
    with Image.open(path) as gif:
        frames = [frame.convert("RGB") for frame in ImageSequence.Iterator(gif)]
        assert gif.size == (480, 270)
    assert len(frames) == T + visits
    assert len({frame.tobytes() for frame in frames}) == len(frames)   # each step changed the picture
    # the pass and the selection are back where they were
    assert (state.result.forward_done, state.result.visits_done) == (3, 0)
    assert state.selection.step == 1


def test_a_long_pass_is_sampled_to_a_bounded_number_of_frames():
    assert exports.frame_count(20, 20) == 40
    assert exports.frame_count(500, 500) <= exports.MAX_GIF_FRAMES
    plan = list(exports.sweep_plan(500, 500))
    assert len(plan) == 1000 and plan[499] == ("forward", True) and plan[-1] == ("backward", True)


def test_a_plots_right_click_export_opens_the_dialog_on_its_view(qtbot, window):
    canvas = window.views["GradientFlowView"].canvas
    action = canvas.scene().contextMenu[0]
    assert action.text() == "Export…"
    action.trigger()
    dialog = window.exports.dialog
    qtbot.waitUntil(dialog.isVisible)
    assert dialog.key == "GradientFlowView" and dialog.target.currentText() == "Gradient flow"
    dialog.reject()


def test_pyqtgraphs_exporters_that_cannot_work_here_are_not_offered(window):
    names = [exporter.__name__ for exporter in pg.exporters.listExporters()]
    for exporter, package in (("MatplotlibExporter", "matplotlib"), ("HDF5Exporter", "h5py")):
        available = __import__("importlib.util").util.find_spec(package) is not None
        assert (exporter in names) == available


def test_every_offered_picture_and_table_is_written(qtbot, window, tmp_path):
    for key, title in window.exports.targets():
        for fmt in window.exports.formats(key):
            if fmt == "gif":
                continue                                 # (its own test above)
            path = tmp_path / f"{key}.{fmt}"
            assert window.exports.export(key, fmt, str(path), (640, 400), quiet=True), (key, fmt)
            assert path.stat().st_size > 100, (key, fmt)
            if fmt == "png":
                image = QImage(str(path))
                assert (image.width(), image.height()) == (640, 400) and distinct_colours(image) > 20, key


def test_a_file_that_cannot_be_written_is_said_and_the_dialog_stays(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setattr(exports.QMessageBox, "warning", lambda *args: None)
    dialog = open_dialog(qtbot, window)
    fill(qtbot, dialog, fmt="CSV", path=tmp_path / "no-such-folder" / "graph.csv")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    QApplication.processEvents()
    assert dialog.isVisible()
    assert "Could not write" in window.statusBar().currentMessage()
    dialog.reject()


def test_export_gif_from_the_command_line(tmp_path):
    path = tmp_path / "sweep.gif"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "--lesson", "first-look", "--export-gif", str(path)],
                          capture_output=True, text=True, timeout=120, env=env, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    with Image.open(path) as gif:
        assert gif.n_frames == 40            # T = 20 forward steps, 20 backward visits


def test_a_cancelled_gif_writes_nothing_and_puts_the_pass_back(qtbot, window, tmp_path):
    state = window.state
    window.actions["reset"].trigger()
    window.actions["forward"].trigger()
    path = tmp_path / "cancelled.gif"
    stops = iter([True, True, False])
    frames = exports.write_gif(state, window.views["GraphView"], str(path), window.views["GraphView"].size(),
                               keep_going=lambda done, total: next(stops))
    assert frames == 0 and not path.exists()
    assert (state.result.forward_done, state.result.visits_done) == (1, 0)
