"""File ▸ Open/Save weights, Open data, Open/Save session, Lessons ▸ Open lesson file and Export: the dialogs, and what each does with a
path. Every problem leaves the session as it was and is said where the user is looking (the
status bar, and a message box unless ``quiet``)."""

import os

from PySide6.QtWidgets import QFileDialog, QMessageBox

from rnn.errors import RnnInputError
from rnn.io import read_params
from rnn.user_data import read_data

from .file_thread import FileThread
from .lessons import LessonError, read_lesson
from .model_dialogs import OpenDataDialog, WeightsMappingDialog
from .session_file import write_session

SESSION_FILTER = "BPTT Explorer session (*.bptt);;All files (*)"


class FileActions:
    def __init__(self, window):
        self.window = window
        self.session_path = None          # the session file last opened or saved
        self.dialog = None                # the open weights or data dialog, while it is up
        self.thread = FileThread(window)  # files are read and written off the window's thread

    @property
    def state(self):
        return self.window.state

    # --- weights ---
    def open_weights_dialog(self):
        path, _ = QFileDialog.getOpenFileName(self.window, "Open weights", "",
                                              "Weights: a state_dict or its arrays (*.pt *.pth *.npz);;All files (*)")
        if path:
            self.open_weights(path)

    def open_weights(self, path: str, quiet: bool = False, activation: str = "tanh") -> bool:
        """Read a model's weights (:mod:`rnn.state_dict`) and show what each key of the file
        becomes before applying them: the dialog reads the file off the window's thread
        (``quiet``: read here and apply at once, as read with ``activation``). On any problem
        the session is kept and the reason shown."""
        if not quiet:
            self.dialog = WeightsMappingDialog(path, self.thread, self.window)
            self.dialog.accepted.connect(lambda: self.use_weights(path, self.dialog.mapping))
            self.dialog.open()
            return True
        try:
            mapping = read_params(path, None, activation)
        except RnnInputError as error:
            return self._error("Open weights", f"Could not load {path}:\n{error}", quiet)
        return self.use_weights(path, mapping)

    def use_weights(self, path: str, mapping) -> bool:
        """Adopt weights already read from ``path`` (an :class:`rnn.state_dict.StateDictMapping`)."""
        return self._own_model_shown(self.state.load_weights(mapping.spec, mapping.params,
                                                             source=os.path.basename(path)))

    def use_data(self, task) -> bool:
        """Step through and train on data already read (a task of :mod:`rnn.user_data`)."""
        return self._own_model_shown(self.state.load_data(task))

    def _own_model_shown(self, loaded: bool) -> bool:
        """After one's own weights or data are in, the lesson box (about another network) steps
        aside; Ctrl+L brings it back."""
        if loaded:
            self.window.lesson.hide()
        return loaded

    # --- data ---
    def open_data_dialog(self):
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open data", "",
            "Data (*.npy *.npz *.csv *.txt);;NumPy arrays (*.npy *.npz);;CSV series (*.csv);;Text (*.txt);;All files (*)")
        if path:
            self.open_data(path)

    def open_data(self, path: str, targets: str | None = None, batch_first: bool = False,
                  quiet: bool = False) -> bool:
        """Step through and train on one's own data (:mod:`rnn.user_data`): the dialog shows how
        the file is read before it is used (``quiet``: use it at once, read as given)."""
        output_size = self.state.spec.output_size
        if quiet:
            try:
                task = read_data(path, targets, batch_first, output_size)
            except RnnInputError as error:
                return self._error("Open data", f"Could not open {path}:\n{error}", quiet)
            return self.use_data(task)
        self.dialog = OpenDataDialog(path, self.thread, output_size, targets, batch_first, self.window)
        self.dialog.accepted.connect(lambda: self.use_data(self.dialog.task))
        self.dialog.open()
        return True

    def save_weights_dialog(self):
        path, chosen = QFileDialog.getSaveFileName(self.window, "Save weights", "weights.npz",
                                                   "NumPy archive (*.npz);;PyTorch (*.pt)")
        if path:
            if not path.endswith((".npz", ".pt")):
                path += ".pt" if "PyTorch" in chosen else ".npz"
            self.save_weights(path)

    def save_weights(self, path: str, quiet: bool = False) -> bool:
        try:
            from rnn.io import save_params
            save_params(path, self.state.params)
        except (ImportError, RnnInputError, OSError, ValueError) as error:
            return self._error("Save weights", f"Could not save {path}:\n{error}", quiet)
        self.window.show_message(f"Saved the weights to {path}", "info")
        return True

    # --- lessons ---
    def open_lesson_dialog(self):
        path, _ = QFileDialog.getOpenFileName(self.window, "Open lesson", "", "Lesson (*.toml);;All files (*)")
        if path:
            self.open_lesson(path)

    def open_lesson(self, path: str, quiet: bool = False) -> bool:
        """Read a lesson file and follow it from its first step; a broken file is refused with the
        reason and changes nothing."""
        try:
            lesson = read_lesson(path)
        except LessonError as error:
            return self._error("Open lesson", f"Could not open the lesson:\n{error}", quiet)
        self.window.open_lesson(lesson)
        return True

    # --- sessions ---
    def open_session_dialog(self):
        path, _ = QFileDialog.getOpenFileName(self.window, "Open session", "", SESSION_FILTER)
        if path:
            self.open_session(path)

    def open_session(self, path: str, quiet: bool = False) -> bool:
        """Open a saved session: the network, its training and position, the lesson and the layout.
        The file is read off the window's thread, the status bar saying so meanwhile (``quiet``:
        read here, and the answer is whether it opened)."""
        if quiet:
            try:
                saved = self.state.read(path)
            except RnnInputError as error:
                return self._error("Open session", f"Could not open the session:\n{error}", quiet)
            self._adopt_session(saved)
            return True
        self.window.show_message(f"Reading the session {path}…", "info")
        self.thread.run(lambda: self.state.read(path), self._adopt_session,
                        lambda error: self._error("Open session", f"Could not open the session:\n{error}", quiet))
        return True

    def _adopt_session(self, saved):
        document = self.state.adopt(saved)
        self.window.restore_layout(document.layout)
        self.window.restore_lesson(document.lesson)
        self.session_path = saved.path

    def save_session_dialog(self):
        path, _ = QFileDialog.getSaveFileName(self.window, "Save session", self.session_path or "session.bptt",
                                              SESSION_FILTER)
        if path:
            if not os.path.splitext(path)[1]:
                path += ".bptt"
            self.save_session(path)

    def save_session(self, path: str, quiet: bool = False) -> bool:
        """Save the session as it stands now: the file is compressed and written off the
        window's thread, the status bar saying so (``quiet``: written here, and the answer is
        whether it was)."""
        document = self.state.document(layout=self.window.layout_bytes(), lesson=self.window.lesson_position())
        failed = lambda error: self._error("Save session", f"Could not save {path}:\n{error}", quiet)
        if quiet:
            try:
                write_session(path, document)
            except (RnnInputError, OSError) as error:
                return failed(error)
            self._saved_session(path)
            return True
        self.window.show_message(f"Saving the session to {path}…", "info")
        self.thread.run(lambda: write_session(path, document), lambda _: self._saved_session(path), failed)
        return True

    def _saved_session(self, path: str):
        self.session_path = path
        b = self.state.compared
        beside = f", with side B of the A/B comparison ({b.label})" if b is not None else ""
        self.window.show_message(f"Saved the session to {path}{beside}", "info")

    # --- pictures and numbers (explorer.exports) ---
    def export_png(self, path: str, size=None) -> bool:
        """The whole window as a PNG, as on screen (``size`` (w, h): at that size)."""
        return self.window.exports.export("window", "png", path, size)

    def _error(self, title, text, quiet):
        self.window.show_message(text.replace("\n", " "), "error")
        if not quiet:
            QMessageBox.warning(self.window, title, text)
        return False
