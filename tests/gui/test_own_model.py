"""An engineer's own model and data in the window: File ▸ Open weights shows which key of the
state_dict becomes which parameter before it is applied (a head chosen when several fit), a
model no task fits is shown at once on random inputs of its sizes, and File ▸ Open data reads the
user's sequences (batch first or not) for stepping and training."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

import pyqtgraph  # noqa: E402,F401  (after PySide6)
from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QDialogButtonBox  # noqa: E402

from explorer.model_dialogs import OpenDataDialog, WeightsMappingDialog  # noqa: E402
from test_window import assert_controls_show, assert_views_follow, settle  # noqa: E402

torch = pytest.importorskip("torch")


def save_model(path, heads=("fc",), kind="LSTM", inputs=3, hidden=7, outputs=1):
    """A model as one writes it: self.rnn = nn.LSTM(3, 7, batch_first=True); self.fc = nn.Linear(7, 1)."""
    torch.manual_seed(0)
    state = {f"rnn.{k}": v for k, v in getattr(torch.nn, kind)(inputs, hidden, batch_first=True).state_dict().items()}
    for head in heads:
        state.update({f"{head}.{k}": v for k, v in torch.nn.Linear(hidden, outputs).state_dict().items()})
    torch.save(state, path)
    return state


def read(qtbot, window):
    """Wait for the dialog's reading of its file (off the window's thread) to arrive."""
    qtbot.waitUntil(lambda: not window.files.thread.busy, timeout=30_000)


def click(qtbot, dialog, which=QDialogButtonBox.StandardButton.Ok):
    button = dialog.buttons.button(which)
    assert button.isEnabled()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_a_users_lstm_is_shown_with_its_key_mapping_then_loaded(qtbot, window, tmp_path):
    state = save_model(tmp_path / "model.pt")
    before = window.state.config
    assert window.files.open_weights(str(tmp_path / "model.pt"))
    dialog = window.files.dialog
    assert isinstance(dialog, WeightsMappingDialog) and dialog.isVisible()
    assert "Reading" in dialog.summary.text() and not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    read(qtbot, window)
    table = dialog.table.text()
    assert "rnn.weight_ih_l0 → weight_ih_l0" in table and "fc.weight → readout.weight" in table
    assert "1-layer LSTM" in dialog.summary.text() and "random inputs" in dialog.summary.text()
    assert window.state.config == before                          # nothing applied yet
    click(qtbot, dialog)
    settle(qtbot, window)
    s = window.state
    assert (s.spec.cell, s.spec.input_size, s.spec.hidden_size, s.spec.output_size) == ("lstm", 3, 7, 1)
    for key, value in state.items():
        name = key.removeprefix("rnn.").replace("fc.", "readout.")
        np.testing.assert_array_equal(s.params[name], value.double().numpy())
    assert s.config.task.startswith("data") and "Random inputs (3 → 1)" in window.controls.widgets["task"].currentText()
    assert_controls_show(window, s.config)
    assert_views_follow(window)


def test_cancel_applies_nothing_and_several_heads_are_chosen_in_the_dialog(qtbot, window, tmp_path):
    save_model(tmp_path / "two.pt", heads=("fc", "aux"))
    before = (window.state.config, window.state.params)
    window.files.open_weights(str(tmp_path / "two.pt"))
    read(qtbot, window)
    click(qtbot, window.files.dialog, QDialogButtonBox.StandardButton.Cancel)
    settle(qtbot, window)
    assert (window.state.config, window.state.params) == before

    window.files.open_weights(str(tmp_path / "two.pt"))
    dialog = window.files.dialog
    read(qtbot, window)
    assert dialog.head.isVisible() and [dialog.head.itemText(i) for i in range(dialog.head.count())] == ["fc", "aux"]
    qtbot.keyClick(dialog.head, Qt.Key.Key_Down)                 # choose "aux"
    read(qtbot, window)
    assert "aux.weight → readout.weight" in dialog.table.text() and "fc.weight → not used" in dialog.table.text()
    click(qtbot, dialog)
    settle(qtbot, window)
    assert window.state.spec.cell == "lstm"


def test_a_refused_file_names_the_problem_and_changes_nothing(qtbot, window, tmp_path):
    torch.manual_seed(0)
    bidirectional = {f"rnn.{k}": v for k, v in torch.nn.GRU(3, 4, bidirectional=True).state_dict().items()}
    bidirectional.update({f"fc.{k}": v for k, v in torch.nn.Linear(8, 1).state_dict().items()})
    torch.save(bidirectional, tmp_path / "bi.pt")
    before = (window.state.config, window.state.params)
    assert not window.files.open_weights(str(tmp_path / "bi.pt"), quiet=True)
    assert "bidirectional" in window.statusBar().currentMessage()
    assert (window.state.config, window.state.params) == before


def test_own_batch_first_data_is_read_as_the_dialog_says_and_trained_on(qtbot, window, tmp_path):
    save_model(tmp_path / "model.pt")
    assert window.files.open_weights(str(tmp_path / "model.pt"), quiet=True)
    settle(qtbot, window)
    weights = {k: v.copy() for k, v in window.state.params.items()}
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 12, 3))                         # (B, T, I) = 40 sequences of 12 steps
    y = x.sum(axis=2, keepdims=True)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    assert window.files.open_data(str(tmp_path / "x.npy"), targets=str(tmp_path / "y.npy"))
    dialog = window.files.dialog
    assert isinstance(dialog, OpenDataDialog)
    read(qtbot, window)
    assert "12 sequences of 40 steps" in dialog.preview.text()  # read time first: the wrong way round
    qtbot.mouseClick(dialog.batch_first, Qt.MouseButton.LeftButton, pos=dialog.batch_first.rect().bottomLeft() / 2)
    assert dialog.batch_first.isChecked()
    read(qtbot, window)
    assert "40 sequences of 12 steps, 3 inputs, 1 output," in dialog.preview.text()
    click(qtbot, dialog)
    settle(qtbot, window)
    s = window.state
    assert s.config.seq_len == 12 and s.config.batch == 32 and window.controls.widgets["task"].currentText() == "Your data (x.npy)"
    assert all(np.array_equal(s.params[k], weights[k]) for k in weights)   # the model's weights stay
    first = s.record.inputs[:, 0]                                # (T, I): one of the user's sequences
    assert any(np.array_equal(first, x[b]) for b in range(40))
    assert_views_follow(window)
    window.state.set_config(optimizer="adam", lr=0.01)
    settle(qtbot, window)
    window.actions["update"].trigger()                          # one training update on the user's data
    settle(qtbot, window)
    assert len(s.history) == 1 and np.isfinite(s.history.loss[0])


def test_a_text_file_becomes_a_character_task(qtbot, window, tmp_path):
    (tmp_path / "poem.txt").write_text("the cat sat on the mat. " * 20, encoding="utf-8")
    assert window.files.open_data(str(tmp_path / "poem.txt"), quiet=True)
    settle(qtbot, window)
    s = window.state
    assert s.record.loss_kind == "xent" and s.spec.input_size == len(set("the cat sat on the mat. "))
    assert_views_follow(window)
    bad = tmp_path / "bad.npy"                                   # a header declaring 745 GiB, and 8 bytes
    with open(bad, "wb") as file:
        np.lib.format.write_array_header_1_0(
            file, {"descr": "<f8", "fortran_order": False, "shape": (100_000, 100_000, 10)})
        file.write(b"\0" * 8)
    before = s.config
    assert not window.files.open_data(str(bad), quiet=True)
    assert "GiB" in window.statusBar().currentMessage() and s.config == before


def test_run_menu_checks_gradients_and_finds_a_blowup(qtbot, window):
    from PySide6.QtWidgets import QApplication
    s = window.state
    s.set_config(cell="lstm", hidden=3, seq_len=8)
    settle(qtbot, window)
    run_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Run")
    assert {"Check &gradients", "Find &blow-up"} <= {a.text() for a in run_menu.actions()}
    qtbot.keyClick(window, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    dialog = window.gradcheck_dialog
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: len(dialog.errors) == len(s.params), timeout=60_000)
    qtbot.waitUntil(lambda: "agree" in dialog.status.text(), timeout=10_000)
    assert all(dialog.table.item(row, 3).text() == "✓" for row in range(dialog.table.rowCount()))
    dialog.close()

    s.set_config(cell="rnn", activation="linear", scale_kind="sigma", scale=3.0, seq_len=40)
    settle(qtbot, window)
    QApplication.processEvents()
    window.activateWindow()                                     # back in the window, as a click would
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    settle(qtbot, window)
    assert "blows up at t = " in window.statusBar().currentMessage()
    t = s.selection.step
    assert s.result.forward_done == t + 1 and np.abs(s.record.h[0, t]).max() > 1e6
    assert window.views["GraphView"].isVisible()


def test_the_window_from_a_notebook_opens_on_the_model_and_its_data(qtbot, tmp_path):
    from explorer.notebook import show
    from rnn.errors import RnnInputError
    save_model(tmp_path / "model.pt")
    x = np.random.default_rng(3).standard_normal((16, 9, 3))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", x[:, :, :1] ** 2)
    window = show(tmp_path / "model.pt", data=tmp_path / "x.npy", targets=tmp_path / "y.npy",
                  batch_first=True, reduction="mean")
    qtbot.addWidget(window)
    try:
        s = window.state
        assert window.isVisible() and not window.lesson.isVisible()      # the lesson box stepped aside
        assert (s.spec.cell, s.config.seq_len, s.config.reduction) == ("lstm", 9, "mean")
        r = s.record
        assert r.loss == pytest.approx(np.mean((r.yhat - r.targets) ** 2), rel=1e-12)   # nn.MSELoss()
    finally:
        window.state.shutdown()
    with pytest.raises(RnnInputError, match="no Linear head"):
        torch.save({k: v for k, v in torch.load(tmp_path / "model.pt").items() if not k.startswith("fc.")},
                   tmp_path / "headless.pt")
        show(tmp_path / "headless.pt")


def test_main_opens_on_ones_own_model_and_data_in_one_command(tmp_path):
    """python main.py --weights model.pt --data x.npy --targets y.npy --batch-first; a file that
    cannot be used stops it before the window opens, with one line and exit 2."""
    from test_window import run_main
    save_model(tmp_path / "model.pt")
    x = np.random.default_rng(5).standard_normal((20, 7, 3))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", x[:, :, :1])
    shot = tmp_path / "shot.png"
    result = run_main("--weights", str(tmp_path / "model.pt"), "--data", str(tmp_path / "x.npy"), "--targets",
                      str(tmp_path / "y.npy"), "--batch-first", "--reduction", "mean", "--screenshot", str(shot))
    assert result.returncode == 0 and shot.exists(), result.stderr
    for argv, reason in ([("--weights", str(tmp_path / "model.pt"), "--data", str(tmp_path / "none.npy")),
                          "file not found"],
                         [("--weights", str(tmp_path / "x.npy")), "unknown file type '.npy'"],
                         [("--data", str(tmp_path / "x.npy"), "--targets", str(tmp_path / "none.npy")),
                          "file not found"]):
        bad = run_main(*argv, timeout=60)
        lines = bad.stderr.strip().splitlines()
        assert bad.returncode == 2 and len(lines) == 1 and reason in lines[0], bad.stderr


def test_a_refused_file_opened_from_the_menu_says_why_in_its_dialog(qtbot, window, tmp_path):
    (tmp_path / "notes.pt").write_bytes(b"not a state_dict")
    before = window.state.config
    window.files.open_weights(str(tmp_path / "notes.pt"))
    dialog = window.files.dialog
    read(qtbot, window)
    assert "not a PyTorch file" in dialog.summary.text()
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
    click(qtbot, dialog, QDialogButtonBox.StandardButton.Cancel)
    assert window.state.config == before


def test_the_window_keeps_drawing_while_a_large_file_is_read(qtbot, window, tmp_path, monkeypatch):
    """The dialog's reading runs off the window's thread: while it takes its time, the event
    loop still runs (a timer fires), and the dialog says it is reading."""
    import threading
    import explorer.model_dialogs as dialogs
    save_model(tmp_path / "model.pt")
    release = threading.Event()
    slow = dialogs.read_params

    def read_slowly(*args):
        release.wait(10)
        return slow(*args)
    monkeypatch.setattr(dialogs, "read_params", read_slowly)
    window.files.open_weights(str(tmp_path / "model.pt"))
    ticks = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=5_000)       # the GUI thread is free
    assert window.files.thread.busy and "Reading" in window.files.dialog.summary.text()
    release.set()
    read(qtbot, window)
    timer.stop()
    assert "rnn.weight_ih_l0 → weight_ih_l0" in window.files.dialog.table.text()
