"""The dialogs of an engineer's own model: what a weights file maps to (before it is applied), how
a data file is read (before it is used), and the gradient check's table. All are shown with
``open()``/``show()``, not ``exec()``: the window keeps drawing, and the caller acts on ``accepted``.
The weights and data dialogs read their file with a :class:`explorer.file_thread.FileThread`, off
the window's thread, and say so until the reading is there."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog,
                               QFormLayout, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from rnn.errors import RnnInputError
from rnn.gradcheck import DEFAULT_THRESHOLD
from rnn.io import read_params
from rnn.state_dict import HeadChoiceError
from rnn.tasks import TASKS
from rnn.user_data import read_data

from .notation import number

NONLINEARITIES = [("tanh (PyTorch's default)", "tanh"), ("ReLU (nonlinearity='relu')", "relu")]


READING = "<i>Reading the file…</i>"


def refusal(error: Exception) -> str:
    """A reading's failure as the dialog shows it: the engine's own one-line reason, or what else
    went wrong (never a traceback)."""
    text = str(error) if isinstance(error, RnnInputError) else f"could not read it ({type(error).__name__}: {error})"
    return f"<span style='color:#b00020'>{text}</span>"


def _buttons(dialog, ok_text: str) -> QDialogButtonBox:
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Ok).setText(ok_text)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class WeightsMappingDialog(QDialog):
    """Which key of a state_dict becomes which parameter, the network it makes, and the task it
    will be shown on; a choice of head when several Linear layers fit, and of the vanilla RNN's
    nonlinearity (the weights cannot say). ``mapping`` is the current reading (None if refused)."""

    def __init__(self, path: str, reader, parent=None):
        super().__init__(parent)
        self.path, self.reader = path, reader
        self.mapping = None
        self._ticket = None
        self.setWindowTitle("Open weights")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.head = QComboBox()
        self.head.setToolTip("The nn.Linear the model applies to the top layer's h_t")
        self.nonlinearity = QComboBox()
        for label, value in NONLINEARITIES:
            self.nonlinearity.addItem(label, value)
        self.nonlinearity.setToolTip("A vanilla RNN's nonlinearity is not stored in its weights")
        form.addRow("Head", self.head)
        form.addRow("Nonlinearity", self.nonlinearity)
        layout.addLayout(form)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.table = QLabel()
        self.table.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.table.setStyleSheet("font-family: monospace")
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        self.buttons = _buttons(self, "Apply")
        layout.addWidget(self.buttons)
        self._head_label = form.labelForField(self.head)
        self._show_heads()
        self.head.currentIndexChanged.connect(self._read)
        self.nonlinearity.currentIndexChanged.connect(self._read)
        self.finished.connect(lambda *_: self.reader.cancel(self._ticket))
        self._read()

    def _show_heads(self):
        self.head.setVisible(self.head.count() > 0)
        self._head_label.setVisible(self.head.count() > 0)

    def _read(self, *_):
        """Read the file again with the head and nonlinearity chosen (off the window's thread)."""
        head = self.head.currentData() if self.head.count() else None
        path, nonlinearity = self.path, self.nonlinearity.currentData()
        self.mapping = None
        self.summary.setText(READING)
        self.table.setText("")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.reader.cancel(self._ticket)
        self._ticket = self.reader.run(lambda: read_params(path, None, nonlinearity, head),
                                       self._show, self._refused)

    def _show(self, mapping):
        self.mapping = mapping
        self.summary.setText(self._describe(mapping.spec))
        self.table.setText("\n".join(mapping.lines()))
        self.nonlinearity.setEnabled(mapping.spec.cell == "rnn")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)

    def _refused(self, error):
        if isinstance(error, HeadChoiceError) and self.head.count() == 0:
            self.head.blockSignals(True)                 # several heads fit: offer them, read with the first
            for name in error.candidates:
                self.head.addItem(name or "(no prefix)", name)
            self.head.blockSignals(False)
            self._show_heads()
            self._read()
            return
        self.summary.setText(refusal(error))
        self.nonlinearity.setEnabled(True)

    @staticmethod
    def _describe(spec) -> str:
        fitting = [t.title for t in TASKS.values() if (t.input_size, t.output_size) == (spec.input_size, spec.output_size)]
        shown = (f"shown on {fitting[0]}" if fitting else
                 "no task has these sizes: shown on random inputs until you open its data (File ▸ Open data…)")
        return (f"<b>{spec.num_layers}-layer {spec.label}</b>: {spec.input_size} input(s), H = {spec.hidden_size}, "
                f"{spec.output_size} output(s); {shown}.<br>Each key of the file and the parameter it becomes:")


class OpenDataDialog(QDialog):
    """How a data file is read: its targets (a second .npy, or none: predict the next step),
    batch first or time first, a CSV file's column, and what that gives (sequences, steps, inputs, outputs) before
    it is used. ``task`` is the current reading (None if refused)."""

    def __init__(self, path: str, reader, output_size: int | None = None, targets: str | None = None,
                 batch_first: bool = False, parent=None):
        super().__init__(parent)
        self.path, self.reader = path, reader
        self.output_size = output_size
        self.task = None
        self._ticket = None
        self.setWindowTitle("Open data")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.addRow("Data", QLabel(path))
        row = QHBoxLayout()
        self.targets = QLineEdit()
        self.targets.setPlaceholderText("none: predict the next step of the inputs")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_targets)
        row.addWidget(self.targets, 1)
        row.addWidget(browse)
        self.targets.setText(targets or "")
        self.batch_first = QCheckBox("batch first: (B, T, …), as batch_first=True")
        self.batch_first.setChecked(batch_first)
        is_arrays = path.lower().endswith((".npy", ".npz"))
        if path.lower().endswith(".npy"):
            form.addRow("Targets (.npy)", row)
        if is_arrays:
            form.addRow("Layout", self.batch_first)
        self.column = QLineEdit()
        self.column.setPlaceholderText("name or number; empty: the first numeric column")
        if path.lower().endswith(".csv"):
            form.addRow("Column", self.column)
        layout.addLayout(form)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        layout.addWidget(self.preview)
        self.buttons = _buttons(self, "Open")
        layout.addWidget(self.buttons)
        self.targets.editingFinished.connect(self._read)
        self.column.editingFinished.connect(self._read)
        self.batch_first.toggled.connect(self._read)
        self.finished.connect(lambda *_: self.reader.cancel(self._ticket))
        self._read()

    def _browse_targets(self):
        path, _ = QFileDialog.getOpenFileName(self, "Targets", "", "NumPy array (*.npy);;All files (*)")
        if path:
            self.targets.setText(path)
            self._read()

    def _read(self, *_):
        """Read the file as the fields say (off the window's thread)."""
        path, targets, batch_first = self.path, self.targets.text().strip() or None, self.batch_first.isChecked()
        output_size, column = self.output_size, self.column.text().strip() or None
        self.task = None
        self.preview.setText(READING)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(False)
        self.reader.cancel(self._ticket)
        self._ticket = self.reader.run(lambda: read_data(path, targets, batch_first, output_size, column),
                                       self._show, lambda error: self.preview.setText(refusal(error)))

    def _show(self, task):
        self.task = task
        self.preview.setText(task.description)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(True)


class GradientCheckDialog(QDialog):
    """Run ▸ Check gradients: each parameter's relative error ‖g − g_fd‖ / max(‖g‖, ‖g_fd‖) against
    centred differences, filled in as the check goes (it runs off the window's thread)."""

    COLUMNS = ("parameter", "shape", "relative error", "")

    def __init__(self, params: dict, entries: int | None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Check gradients")
        self.setMinimumWidth(460)
        self.rows = {name: i for i, name in enumerate(params)}
        self.errors = {}
        self.entries = entries
        layout = QVBoxLayout(self)
        self.status = QLabel(f"Checking {len(params)} parameters against centred differences (ε = 10⁻⁵, "
                             + ("every entry" if entries is None else f"{entries} random entries each") + ")…")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.table = QTableWidget(len(params), len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels(self.COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for name, row in self.rows.items():
            self.table.setItem(row, 0, QTableWidgetItem(name))
            self.table.setItem(row, 1, QTableWidgetItem("×".join(map(str, params[name].shape))))
            self.table.setItem(row, 2, QTableWidgetItem("…"))
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def add_row(self, name: str, error: float):
        self.errors[name] = error
        row = self.rows[name]
        ok = error <= DEFAULT_THRESHOLD
        self.table.setItem(row, 2, QTableWidgetItem(number(error, 3)))
        verdict = QTableWidgetItem("✓" if ok else "✗ too large")
        verdict.setForeground(Qt.GlobalColor.darkGreen if ok else Qt.GlobalColor.red)
        self.table.setItem(row, 3, verdict)
        self.status.setText(f"Checked {len(self.errors)} of {len(self.rows)}…")

    def finish(self, errors: dict):
        bad = [name for name, error in errors.items() if not error <= DEFAULT_THRESHOLD]
        self.status.setText(f"All {len(errors)} gradients agree with centred differences within "
                            f"{number(DEFAULT_THRESHOLD)}." if not bad else
                            f"{len(bad)} of {len(errors)} gradients differ by more than {number(DEFAULT_THRESHOLD)}: "
                            + ", ".join(bad))
