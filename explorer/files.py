"""File ▸ Open/Save weights, Open/Save session, Lessons ▸ Open lesson file and Export: the dialogs, and what each does with a
path. Every problem leaves the session as it was and is said where the user is looking (the
status bar, and a message box unless ``quiet``)."""

import os

from PySide6.QtWidgets import QFileDialog, QMessageBox

from rnn.errors import RnnInputError

from .lessons import LessonError, read_lesson

SESSION_FILTER = "BPTT Explorer session (*.bptt);;All files (*)"


class FileActions:
    def __init__(self, window):
        self.window = window
        self.session_path = None          # the session file last opened or saved

    @property
    def state(self):
        return self.window.state

    # --- weights ---
    def open_weights_dialog(self):
        path, _ = QFileDialog.getOpenFileName(self.window, "Open weights", "",
                                              "Weights (*.npz *.pt *.pth);;All files (*)")
        if path:
            self.open_weights(path)

    def open_weights(self, path: str, quiet: bool = False) -> bool:
        """Load weights through rnn.io; on any problem the current state is kept and the reason shown."""
        from rnn.io import load_params
        config = self.state.requested
        cells = [config.cell] + [c for c in ("rnn", "lstm", "gru") if c != config.cell]
        first_error = None
        for cell in cells:
            try:
                spec, params = load_params(path, cell, config.activation)
                break
            except RnnInputError as error:
                first_error = first_error or error
            except (OSError, ValueError, KeyError, ImportError) as error:
                first_error = first_error or error
                break
        else:
            spec = None
        if spec is None:
            return self._error("Open weights", f"Could not load {path}:\n{first_error}", quiet)
        return self.state.load_weights(spec, params, source=os.path.basename(path))

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
        """Open a saved session: the network, its training and position, the lesson and the layout."""
        try:
            document = self.state.open(path)
        except RnnInputError as error:
            return self._error("Open session", f"Could not open the session:\n{error}", quiet)
        self.window.restore_layout(document.layout)
        self.window.restore_lesson(document.lesson)
        self.session_path = path
        return True

    def save_session_dialog(self):
        path, _ = QFileDialog.getSaveFileName(self.window, "Save session", self.session_path or "session.bptt",
                                              SESSION_FILTER)
        if path:
            if not os.path.splitext(path)[1]:
                path += ".bptt"
            self.save_session(path)

    def save_session(self, path: str, quiet: bool = False) -> bool:
        try:
            self.state.save(path, layout=self.window.layout_bytes(), lesson=self.window.lesson_position())
        except (RnnInputError, OSError) as error:
            return self._error("Save session", f"Could not save {path}:\n{error}", quiet)
        self.session_path = path
        self.window.show_message(f"Saved the session to {path}", "info")
        return True

    # --- pictures ---
    def export_png_dialog(self):
        path, _ = QFileDialog.getSaveFileName(self.window, "Export window as PNG", "bptt-explorer.png",
                                              "PNG image (*.png)")
        if path:
            self.export_png(path)

    def export_png(self, path: str) -> bool:
        if not self.window.grab().save(path, "PNG"):
            return self._error("Export", f"Could not write {path}", quiet=False)
        self.window.show_message(f"Saved a picture of the window to {path}", "info")
        return True

    def _error(self, title, text, quiet):
        self.window.show_message(text.replace("\n", " "), "error")
        if not quiet:
            QMessageBox.warning(self.window, title, text)
        return False
