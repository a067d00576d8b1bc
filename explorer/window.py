"""The main window: the graph in the middle, the other views in docks, controls on the left, the
step-through toolbar on top, menus for files, lessons, views and help.

The window owns no numbers: it wires the controls and actions to the session (through its Qt
adapter, :class:`explorer.qt_session.QtSession`) and places the views (``explorer.views``), which redraw themselves from the state's signals.
"""

import pyqtgraph as pg
from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QSlider, QToolBar, QVBoxLayout, QWidget

from rnn.gradcheck import DEFAULT_ENTRIES

from .comparison import CHOICES, differs
from .controls import ControlPanel
from .exports import Exports
from .files import FileActions
from .help import how_to_read_dialog, keyboard_dialog, show_about
from .lesson_panel import LessonPanel
from .lesson_runner import LessonRunner
from .lessons import VIEWS, LessonError, read_lesson, shipped_lessons
from .presentation import Presentation, fit_to_screen
from .qt_session import QtSession, wait_until_idle  # noqa: F401  (scripts import it from here)
from .settings import restore_settings, save_settings
from .views import style
from .widgets import Banner, MessageBar, make_view, scrollable

FIRST_LESSON = "first-look"   # the lesson a first launch opens on
LESSON_TEXT_SHARE = {False: 0.25, True: 0.40}   # of the window's height, the most the lesson text takes
#                   (True: across the top, presenting or in a low window, above the views and panels it leaves room for)
SMALL_PRESENTATION = (900, 0.47)   # presenting on a screen under 900 px high (1024×768): the text
#                                   at 18 pt needs this share to be read whole, without scrolling
GRAPH_MIN_HEIGHT = 210        # the unrolled graph is never squeezed below this by the lesson box
GRAPH_FRAME_LINES = 7.0       # ... nor below its header, title and axis (about 7 tick-label lines) and a line
GRAPH_ROW_LINES = 1.1         # and a tenth for each of its rows, each named (x, h and c per layer, ŷ, L)
CELL_ROW_LINES = 1.3          # ... an LSTM's rows (x, c, h, ŷ, L: at 1.1, squeezed under a long
#                               lesson step at 1280×800, it named 2 of its 5 rows)
FLOW_SHARE = 0.57             # of the right column's height, gradient flow's (three plots) above training's
TRAINING_STEP_SHARE = 0.58    # ... training's while a lesson step is about it (its loss curve was 45 px at 1280 × 800)
STEP_AXIS_VIEWS = ("GradientFlowView", "GraphView")   # views along the step axis a lesson step can zoom
DOCKS = [  # (view class name, dock title, area)
    ("GradientFlowView", "Gradient flow", Qt.DockWidgetArea.RightDockWidgetArea),
    ("TrainingView", "Training", Qt.DockWidgetArea.RightDockWidgetArea),
    ("HiddenStatesView", "Hidden states", Qt.DockWidgetArea.BottomDockWidgetArea),
    ("DataView", "Data", Qt.DockWidgetArea.BottomDockWidgetArea),
    ("WeightSharesView", "Shared weights", Qt.DockWidgetArea.BottomDockWidgetArea),
    ("InspectorView", "Inspector", Qt.DockWidgetArea.BottomDockWidgetArea),
    ("ShapesPanel", "Shapes", Qt.DockWidgetArea.BottomDockWidgetArea),
    ("ClippingView", "Clipping", Qt.DockWidgetArea.BottomDockWidgetArea),
]

class MainWindow(QMainWindow):
    def __init__(self, state: QtSession | None = None, settings: QSettings | None = None,
                 restore: bool = True):
        super().__init__()
        self.setWindowTitle("BPTT Explorer")
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)
        self.setMinimumSize(800, 560)
        self.state = state or QtSession(parent=self)
        self.settings = settings
        self.files = FileActions(self)
        self.views = {}
        self.docks = {}
        self.runner = None               # the lesson being followed (explorer.lesson_runner)
        self._training_step_shared = False   # the right column shared for a lesson step about training
        self._showing_error = False      # the status bar shows an error (cleared when its cause is fixed)
        self._showing_progress = False   # it says "Computing…" (cleared when the pass lands)
        self._note_awaits_pass = False   # its note came while a pass was computing: it is about that pass
        self.lessons = {lesson.name: lesson for lesson in shipped_lessons()}
        self._sized = False
        self._restored_layout = False

        self._build_central()
        self._build_controls()
        self._build_docks()
        self.presentation = Presentation(self, settings)   # presentation mode, text size, contrast
        self._build_actions()
        self._build_toolbar()
        self._build_menus()
        self._build_status()
        self.controls.attach_actions([self.actions["update"], self.actions["play"], self.actions["reinit"]])
        fit_to_screen(self)
        self._default_state = self.saveState()
        self.presentation.apply()

        s = self.state
        self._canvases = self.findChildren(pg.GraphicsView)
        s.passChanged.connect(self._settle_canvases)    # after the views' own refresh slots
        s.selectionChanged.connect(self._settle_canvases)
        s.historyChanged.connect(self._settle_canvases)
        s.passChanged.connect(self._update_progress)
        s.configChanged.connect(self._update_progress)
        s.selectionChanged.connect(self._update_scrubber)
        s.message.connect(self.show_message)
        s.busyChanged.connect(self._update_busy)
        s.trainingChanged.connect(self._update_training)
        s.breakpointHit.connect(self._show_breakpoint)
        for replaced in (s.configChanged, s.paramsChanged, s.shownUpdateChanged):
            replaced.connect(self._clear_stale_note)
        s.requestChanged.connect(lambda *_: self.alert.hide())
        s.requestChanged.connect(lambda *_: self._clear_error())     # its cause is fixed: the error goes
        s.historyChanged.connect(self._refresh_busy_label)
        s.undoChanged.connect(self._update_undo)
        s.configChanged.connect(self._update_compare)
        s.passChanged.connect(self.fit_graph_height)      # (after the graph's own refresh: its rows are the new pass's)
        s.referencesChanged.connect(self._update_compare)
        self._update_undo()
        self._update_compare()
        self._update_progress()
        self._update_training(s.training)

        restored = restore and self.settings is not None and restore_settings(self, self.settings)
        if not restored and FIRST_LESSON in self.lessons:
            self.open_lesson(FIRST_LESSON)

    # --- building ---
    def _build_central(self):
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.setSpacing(4)
        self.lesson = LessonPanel()
        self.alert = Banner("alert")
        layout.addWidget(self.lesson)
        layout.addWidget(self.alert)
        self.views["GraphView"] = make_view("GraphView", self.state, central)
        self.views["GraphView"].setMinimumHeight(GRAPH_MIN_HEIGHT)
        layout.addWidget(self.views["GraphView"], 1)
        self.setCentralWidget(central)

    def _build_controls(self):
        self.controls = ControlPanel(self.state)
        self.views["RegimeBadge"] = make_view("RegimeBadge", self.state)
        self.controls.set_header(self.views["RegimeBadge"])
        dock = QDockWidget("Controls", self)
        dock.setObjectName("dock:Controls")
        dock.setWidget(self.controls)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable |
                         QDockWidget.DockWidgetFeature.DockWidgetClosable |
                         QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.controls.setMinimumWidth(300)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.docks["Controls"] = dock

    def _build_docks(self):
        for name, title, area in DOCKS:
            view = make_view(name, self.state)
            self.views[name] = view
            dock = QDockWidget(title, self)
            dock.setObjectName(f"dock:{name}")
            dock.setWidget(scrollable(view))
            self.addDockWidget(area, dock)
            self.docks[name] = dock
        # right column: gradient flow above training; bottom: hidden states | inspector | shapes (tabs)
        self.splitDockWidget(self.docks["GradientFlowView"], self.docks["TrainingView"], Qt.Orientation.Vertical)
        self.tabifyDockWidget(self.docks["HiddenStatesView"], self.docks["DataView"])
        self.tabifyDockWidget(self.docks["DataView"], self.docks["WeightSharesView"])
        self.tabifyDockWidget(self.docks["WeightSharesView"], self.docks["InspectorView"])
        self.tabifyDockWidget(self.docks["InspectorView"], self.docks["ShapesPanel"])
        self.tabifyDockWidget(self.docks["ShapesPanel"], self.docks["ClippingView"])
        self.docks["HiddenStatesView"].raise_()
        # the inspector and the clipping view skip redraws while their tab is not showing; they catch up when shown
        inspector = self.views["InspectorView"]
        self.docks["InspectorView"].visibilityChanged.connect(
            lambda visible: visible and QTimer.singleShot(0, inspector.catch_up))
        self.docks["ClippingView"].visibilityChanged.connect(self.views["ClippingView"].set_shown)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)

    def apply_default_sizes(self):
        """Dock sizes for the current window size: controls ≈ 300 px, the right column about a third
        of the width (its plots stack vertically, so it can be narrow), gradient flow (three plots)
        taller than training, the bottom tabs ≈ 30 % of the height."""
        if self.presentation.presenting:
            self.presentation.arrange()
            return
        width, height = max(self.width(), 800), max(self.height(), 560)
        controls = 300 if width < 1600 else 340
        right = int((0.34 if width < 1600 else 0.32) * width)
        self.resizeDocks([self.docks["Controls"], self.docks["GradientFlowView"]], [controls, right],
                         Qt.Orientation.Horizontal)
        column = height - 120
        self._training_step_shared = self._step_view() == "TrainingView"
        flow = self._flow_height(column, self._training_step_shared)
        self.resizeDocks([self.docks["GradientFlowView"], self.docks["TrainingView"]],
                         [flow, column - flow], Qt.Orientation.Vertical)
        self.resizeDocks([self.docks["HiddenStatesView"]], [int(0.30 * height)], Qt.Orientation.Vertical)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self.presentation.window_resized()       # (where the lesson box lies, then how much text it shows)
        self.fit_lesson_text()

    def fit_lesson_text(self):
        """The most of the window's height the lesson text may take (the graph keeps the rest): at
        every resize, and when presentation mode starts or ends (on a screen of the window's size
        that is no resize)."""
        presenting = self.presentation.presenting
        share = LESSON_TEXT_SHARE[self.presentation.lesson_dock is not None]
        small = presenting and self.height() < SMALL_PRESENTATION[0]
        if small:
            share = SMALL_PRESENTATION[1]
        self.lesson.set_max_body_height(int(share * self.height()), short_claims=small)
        self.fit_graph_height()

    def fit_graph_height(self):
        """The graph's least height: its header, title, axis and a line for each row at the look's
        text size (four layers at 1280×800 named three of their seven rows), at least
        GRAPH_MIN_HEIGHT; the lesson box above gives way in its text (see LessonPanel.sizeHint)."""
        graph = self.views["GraphView"]
        line = style.line_px(style.TICK_PT)
        rows = len(getattr(graph, "rows", ()))
        row_lines = CELL_ROW_LINES if len(getattr(graph, "c_rows", ())) else GRAPH_ROW_LINES
        graph.setMinimumHeight(max(GRAPH_MIN_HEIGHT, round((GRAPH_FRAME_LINES + row_lines * rows) * line)))
        if self.presentation.lesson_dock is not None:      # (a box across the top leaves the graph its new least)
            self.presentation.lesson_dock.fit()

    def showEvent(self, event):
        super().showEvent(event)
        if not self._sized:
            self._sized = True
            if not self._restored_layout:
                self.apply_default_sizes()

    def _action(self, key, text, slot, shortcuts=(), tip=""):
        action = QAction(text, self)
        action.setObjectName(f"action:{key}")
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        shortcut_text = " / ".join(QKeySequence(s).toString(QKeySequence.SequenceFormat.NativeText)
                                   for s in shortcuts)
        action.setToolTip(f"{tip or text} ({shortcut_text})" if shortcuts else (tip or text))
        action.setStatusTip(tip or text)
        action.triggered.connect(slot)
        self.actions[key] = action
        self.addAction(action)  # shortcuts work even when the toolbar is hidden
        return action

    def _build_actions(self):
        s = self.state
        self.actions = {}
        self._action("back", "◀ Step back", s.step_backward, ["Left"],
                     "Make the next backward visit: push ∂L/∂h back through one more step")
        self._action("forward", "Step ▶", s.step_forward, ["Right"],
                     "Compute one more timestep forward: h_t = φ(W_ih x_t + W_hh h_{t−1} + b)")
        self._action("finish", "Finish ▶|", s.finish_pass, ["End"], "Run the rest of the pass, forward and backward")
        self._action("reset", "|◀ Reset", s.reset_pass, ["Home", "Ctrl+R"],
                     "Start the pass again from t = 0 (same weights)")
        self._action("update", "Update", s.apply_update, ["U"],
                     "Apply one training update: a fresh batch, BPTT, clipping, the optimizer step")
        play = self._action("play", "Play", self._toggle_play, ["Space"],
                            "Train continuously; press again to pause")
        play.setCheckable(True)
        self._action("reinit", "New weights", s.reinitialise, ["Ctrl+I"],
                     "Draw new initial weights from the initialiser (clears the training history)")
        files = self.files
        self._action("open_session", "&Open session…", files.open_session_dialog, ["Ctrl+O"],
                     "Open a saved session: network, training, position, lesson and layout")
        self._action("save_session", "&Save session…", files.save_session_dialog, ["Ctrl+S"],
                     "Save everything (network, optimizer, training history, position, lesson, layout) "
                     "in one .bptt file")
        self._action("open", "Open &weights…", files.open_weights_dialog, ["Ctrl+Shift+O"],
                     "Load weights from a .npz or PyTorch .pt file")
        self._action("save", "Save w&eights…", files.save_weights_dialog, ["Ctrl+Shift+S"],
                     "Save the current weights as .npz or PyTorch .pt")
        self._action("open_data", "Open &data…", files.open_data_dialog, ["Ctrl+Shift+D"],
                     "Step through and train on your own sequences: .npy/.npz arrays, a CSV column or a text file")
        self._action("gradcheck", "Check &gradients", self.check_gradients, ["Ctrl+G"],
                     "Compare every gradient of this pass with centred finite differences")
        self._action("blowup", "Find &blow-up", lambda: s.find_blowup(), ["Ctrl+B"],
                     "Step to where this pass first leaves the finite range (NaN/Inf or beyond ±10⁶), "
                     "and select that node")
        self.exports = Exports(self)   # File ▸ Export…, and every plot's right-click Export…
        self._action("export_view", "&Export view…", self.exports.view_dialog, ["Ctrl+E"],
                     "Save a view as a PNG or SVG at a chosen size, its numbers as CSV, "
                     "or the pass stepped forward and back as an animated GIF")
        self._action("export_window", "Export &window…", self.exports.window_dialog, ["Ctrl+Shift+E"],
                     "Save the whole window as a PNG or SVG at a chosen size, or as an animated GIF of the pass")
        self._action("open_lesson", "Open lesson &file…", files.open_lesson_dialog, ["Ctrl+Shift+L"],
                     "Open a lesson written as a TOML file")
        self._action("show_lesson", "Show lesson &box", self.show_lesson_box, ["Ctrl+L"],
                     "Bring back the lesson box after closing it")
        self._action("lesson_next", "&Next lesson step", lambda: self.runner and self.runner.next(),
                     ["PgDown"], "Go on to the lesson's next step")
        self._action("lesson_back", "&Previous lesson step", lambda: self.runner and self.runner.back(),
                     ["PgUp"], "Go back to the lesson's previous step")
        self._action("quit", "&Quit", self.close, [QKeySequence.StandardKey.Quit], "Close the explorer")
        self._action("undo", "&Undo", s.undo, ["Ctrl+Z"], "Undo the last change of a control")
        self._action("redo", "&Redo", s.redo, ["Ctrl+Shift+Z", "Ctrl+Y"],
                     "Redo the change just undone")
        self._action("defaults", "Reset to &defaults", s.reset_to_defaults, [],
                     "Every control back to its default (undoable)")
        self._action("reset_layout", "&Reset layout", self.reset_layout, [], "Put every panel back where it started")
        self.compare_keys = []
        for index, (text, changes, tip) in enumerate(CHOICES):
            action = self._action(f"compare:{index}", text, lambda checked=False, c=changes: s.compare(**c), [],
                                  tip + ": computed on the same batch and trained beside A, on the same plots")
            action.setCheckable(True)
            action.changes = changes
            self.compare_keys.append(f"compare:{index}")
        self._action("stop_comparing", "Stop comparing", s.stop_comparing, [], "Drop side B from the plots")
        self.presentation.add_actions()
        self._action("how", "&How to read this window", self.show_how_to_read, [QKeySequence.StandardKey.HelpContents])
        self._action("about", "&About BPTT Explorer", lambda: show_about(self))
        self._action("keyboard", "&Keyboard", lambda: keyboard_dialog(self, self.menuBar()), ["Ctrl+/"],
                     "Every action and its keys")

    def _build_toolbar(self):
        bar = QToolBar("Step through")
        bar.setObjectName("toolbar:step")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for key in ("reset", "back", "forward", "finish"):
            bar.addAction(self.actions[key])
        bar.addSeparator()
        for key in ("update", "play"):
            bar.addAction(self.actions[key])
        bar.addSeparator()
        step_label = QLabel(" t ")
        step_label.setToolTip("The selected timestep")
        bar.addWidget(step_label)
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setObjectName("scrubber")
        self.scrubber.setMinimumWidth(120)
        self.scrubber.setMaximumWidth(320)
        self.scrubber.setToolTip("Select a timestep: the views highlight step t (drag, or click and use the arrow keys)")
        self.scrubber.valueChanged.connect(lambda v: self.state.select(step=v))
        bar.addWidget(self.scrubber)
        self.step_value = QLabel()
        self.step_value.setMinimumWidth(70)
        bar.addWidget(self.step_value)
        bar.addSeparator()
        self.progress = QLabel()
        self.progress.setObjectName("progress")
        self.progress.setToolTip("Where the step-through is: timesteps computed forward, backward visits made")
        style.set_font(self.progress, 12)
        bar.addWidget(self.progress)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

    def _build_menus(self):
        menu = self.menuBar()
        file = menu.addMenu("&File")
        for key in ("open_session", "save_session"):
            file.addAction(self.actions[key])
        file.addSeparator()
        for key in ("open", "save", "open_data"):
            file.addAction(self.actions[key])
        file.addSeparator()
        for key in ("export_view", "export_window"):
            file.addAction(self.actions[key])
        file.addSeparator()
        file.addAction(self.actions["quit"])

        edit = menu.addMenu("&Edit")
        for key in ("undo", "redo"):
            edit.addAction(self.actions[key])
        edit.addSeparator()
        edit.addAction(self.actions["defaults"])

        lessons = menu.addMenu("&Lessons")
        lessons.setToolTipsVisible(True)
        for lesson in self.lessons.values():
            action = lessons.addAction(lesson.title)
            action.setObjectName(f"lesson:{lesson.name}")
            action.setToolTip(lesson.summary)
            action.setStatusTip(lesson.summary)
            action.triggered.connect(lambda checked=False, name=lesson.name: self.open_lesson(name))
            self.actions[f"lesson:{lesson.name}"] = action
        lessons.addSeparator()
        for key in ("open_lesson", "show_lesson", "lesson_next", "lesson_back"):
            lessons.addAction(self.actions[key])

        run = menu.addMenu("&Run")
        for key in ("forward", "back", "finish", "reset"):
            run.addAction(self.actions[key])
        run.addSeparator()
        for key in ("update", "play", "reinit"):
            run.addAction(self.actions[key])
        run.addSeparator()
        for key in ("gradcheck", "blowup"):
            run.addAction(self.actions[key])

        compare = menu.addMenu("&Compare")
        compare.setToolTipsVisible(True)
        for key in self.compare_keys:
            compare.addAction(self.actions[key])
        compare.addSeparator()
        compare.addAction(self.actions["stop_comparing"])

        view = menu.addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        view.addAction(self.actions["reset_layout"])
        self.presentation.add_menu_items(view)

        help_ = menu.addMenu("&Help")
        help_.addAction(self.actions["how"])
        help_.addAction(self.actions["keyboard"])
        help_.addAction(self.actions["about"])

    def _build_status(self):
        self.setStatusBar(MessageBar())
        self.busy_label = QLabel()
        self.busy_label.setObjectName("busy")
        self.statusBar().addPermanentWidget(self.busy_label)
        self.statusBar().setSizeGripEnabled(False)

    # --- state → window ---
    @Slot()
    def _settle_canvases(self, *_):
        """Apply the plots' pending range changes now. pyqtgraph applies them when a paint begins,
        which moves the scene under the painter and makes Qt paint each changed view twice."""
        for canvas in self._canvases:
            if canvas.isVisible():
                canvas.scene().prepareForPaint()

    def _update_progress(self, *_):
        result = self.state.result
        T = result.seq_len
        self.progress.setText(f"  forward {result.forward_done}/{T} · backward visit "
                              f"{result.visits_done}/{result.plan_length}  ")
        self.scrubber.blockSignals(True)
        self.scrubber.setRange(0, max(0, T - 1))
        self.scrubber.blockSignals(False)
        self._update_scrubber()

    @Slot()
    def _update_scrubber(self, *_):
        step = self.state.selection.step
        self.scrubber.blockSignals(True)
        self.scrubber.setValue(step)
        self.scrubber.blockSignals(False)
        self.step_value.setText(f"= {step}")

    @Slot(str, str)
    def _clear_error(self):
        """A valid change was made: an error message about an earlier one no longer holds."""
        if self._showing_error:
            self._clear_status()

    def _clear_status(self):
        self._showing_error = self._showing_progress = self._note_awaits_pass = False
        self.statusBar().setStyleSheet("")
        self.statusBar().clearMessage()

    @Slot()
    def _clear_stale_note(self, *_):
        """Other settings, other weights or an earlier update are shown: a note about the pass
        before ("Trained to update 400; loss 0.19") no longer holds. A note that came while its
        pass was computing is kept when that pass lands. Errors go when their cause is fixed,
        "Computing…" when the computing is done."""
        if self._note_awaits_pass:
            self._note_awaits_pass = False
        elif not (self._showing_error or self._showing_progress):
            self._clear_status()

    def show_message(self, text: str, level: str = "info"):
        self._showing_error = level == "error"
        self._showing_progress = level == "progress"      # (cleared when the computing is done)
        self._note_awaits_pass = level in ("info", "warning") and self.state.busy
        colours = {"error": "#c00000", "warning": "#a05a00"}
        self.statusBar().setStyleSheet(f"color: {colours[level]}; font-weight: bold;" if level in colours else "")
        self.statusBar().showMessage(text, 0 if level == "error" else 8000)

    @Slot(bool)
    def _update_busy(self, busy: bool):
        self._refresh_busy_label()
        if not busy and self._showing_progress:     # "Computing…" is no longer true
            self._showing_progress = False
            self.statusBar().clearMessage()

    def _refresh_busy_label(self):
        if self.state.training:
            self.busy_label.setText(f"training… update {len(self.state.history)}")
        elif self.state.busy:
            self.busy_label.setText("computing…")
        else:
            self.busy_label.setText("")

    @Slot(bool)
    def _update_training(self, training: bool):
        play = self.actions["play"]
        play.blockSignals(True)
        play.setChecked(training)
        play.setText("Pause" if training else "Play")
        play.blockSignals(False)
        if training:
            self.alert.hide()
        self._refresh_busy_label()

    @Slot()
    def _update_compare(self, *_):
        """The Compare menu: B's choice checked; a choice that would make B the same as A disabled."""
        b = self.state.compared
        for key in self.compare_keys:
            action = self.actions[key]
            action.setChecked(b is not None and b.changes == action.changes)
            action.setEnabled(differs(self.state.config, action.changes))
        self.actions["stop_comparing"].setEnabled(b is not None)

    def _update_undo(self):
        for key, possible, text in (("undo", self.state.can_undo, self.state.undo_text()),
                                    ("redo", self.state.can_redo, self.state.redo_text())):
            action = self.actions[key]
            action.setEnabled(possible)
            action.setText(f"&{key.title()} {text}" if possible else f"&{key.title()}")

    @Slot(str, str)
    def _show_breakpoint(self, text: str, level: str):
        title = "Training paused: NaN / Inf" if level == "error" else "Training paused at a breakpoint"
        self.alert.show_message(title, text, level)
        if self.statusBar().currentMessage() == text:     # (the banner says it, larger)
            self._clear_status()

    def _toggle_play(self):
        self.state.toggle_training()

    # --- lessons ---
    def open_lesson(self, lesson, step: int = 0, run: bool = True):
        """Follow a lesson (a shipped lesson's name, or a Lesson) from ``step``. ``run=False``
        shows the step without setting it up (a restored session already holds its state)."""
        if isinstance(lesson, str):
            lesson = self.lessons[lesson]
        if self.runner is not None:
            self.runner.close()
        self.alert.hide()
        self.runner = LessonRunner(self.state.session, lesson)
        self.runner.step_changed.connect(self._raise_lesson_view)
        self.lesson.set_runner(self.runner)
        self.runner.go_to(min(max(step, 0), self.runner.count - 1), run=run)
        self.show_message(f"Lesson: {lesson.title}")
        return self.runner

    def check_gradients(self):
        """Run ▸ Check gradients: the table fills in as each parameter is checked."""
        from .model_dialogs import GradientCheckDialog
        self.gradcheck_dialog = dialog = GradientCheckDialog(self.state.params, DEFAULT_ENTRIES, self)
        dialog.show()
        self.state.check_gradients(DEFAULT_ENTRIES, on_row=dialog.add_row, on_done=dialog.finish)

    def show_lesson_box(self):
        if self.runner is not None:
            self.lesson.show()
        else:
            self.show_message("No lesson is open: choose one in the Lessons menu.", "info")

    def _raise_lesson_view(self, *_):
        step = self.runner.step
        if step.rolled is not None:
            self.views["GraphView"].set_rolled(step.rolled)
        for name in STEP_AXIS_VIEWS:              # the steps it is about (None: every step)
            self.views[name].show_steps(step.zoom)
        self.views["ShapesPanel"].show_rows(step.rows)      # the table's rows it is about, kept in view
        if self.presentation.presenting:
            self.presentation.arrange()       # (the step's view beside the graph, if that is the layout)
            return
        self.controls.scroll_to(step.controls)
        view = VIEWS.get(step.view, "")
        dock = self.docks.get(view)
        if dock is not None:
            dock.show()
            dock.raise_()
        self._share_right_column(view == "TrainingView")
        self.presentation.keep_room_below(
            dock is not None and self.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea)

    def _step_view(self) -> str:
        """The view the lesson step shown is about ("" outside a lesson)."""
        runner = self.runner
        return VIEWS.get(runner.step.view, "") if runner is not None and runner.index >= 0 else ""

    def _share_right_column(self, training_step: bool):
        """A lesson step about the Training view gives it the larger share of the right column
        (:data:`TRAINING_STEP_SHARE`); the step after it gives gradient flow its own back
        (:data:`FLOW_SHARE`). Left as the user made it otherwise."""
        flow, training = self.docks["GradientFlowView"], self.docks["TrainingView"]
        right = Qt.DockWidgetArea.RightDockWidgetArea
        stacked = all(not d.isHidden() and not d.isFloating() and self.dockWidgetArea(d) == right
                      for d in (flow, training))
        if not stacked or training_step == self._training_step_shared:
            return
        self._training_step_shared = training_step
        column = flow.height() + training.height()
        above = self._flow_height(column, training_step)
        self.resizeDocks([flow, training], [above, column - above], Qt.Orientation.Vertical)

    def _flow_height(self, column: int, training_step: bool) -> int:
        """Gradient flow's height in a right column ``column`` px high: :data:`FLOW_SHARE` of it, or,
        for a step about training, what :data:`TRAINING_STEP_SHARE` leaves, but never less than
        its plots' least (its sensitivity matrix was cut off at its foot)."""
        if not training_step:
            return int(FLOW_SHARE * column)
        least = self.panel_least_height("GradientFlowView")
        return min(int(FLOW_SHARE * column), max(round((1 - TRAINING_STEP_SHARE) * column), least))

    def panel_least_height(self, name: str) -> int:
        """The least height of a view's panel: what the view says it needs (``least_height``) and
        the panel's title bar; 0 for a view that says none."""
        least = getattr(self.views.get(name), "least_height", None)
        if least is None or not least():
            return 0
        dock = self.docks[name]
        title = dock.minimumSizeHint().height() - dock.widget().minimumSizeHint().height()   # (its title bar)
        return least() + title

    # --- what a saved session keeps of the window ---
    def layout_bytes(self) -> bytes:
        return bytes(self.saveState().data())

    def restore_layout(self, layout: bytes):
        if layout:
            self.presentation.restore_state(QByteArray(layout))

    def lesson_position(self) -> dict:
        """Which lesson is followed and where (kept in a saved session)."""
        runner = self.runner
        if runner is None:
            return {}
        return {"name": runner.lesson.name, "path": runner.lesson.path, "step": runner.index,
                "revealed": runner.revealed}

    def restore_lesson(self, lesson: dict):
        """Show the lesson a saved session was following, at its step, without re-running it."""
        if not isinstance(lesson, dict) or not lesson:
            return
        name, path = lesson.get("name"), lesson.get("path")
        step = lesson.get("step", 0)
        step = step if isinstance(step, int) and not isinstance(step, bool) else 0
        found = self.lessons.get(name) if isinstance(name, str) else None
        if found is None and isinstance(path, str) and path:
            try:
                found = read_lesson(path)
            except LessonError as error:
                self.show_message(f"The session's lesson could not be opened: {error}", "warning")
                return
        if found is not None:
            self.open_lesson(found, step, run=False)
            if lesson.get("revealed") is True:
                self.runner.reveal(self.runner.choice, run=False)

    # --- view / help ---
    def reset_layout(self):
        self.presentation.leave()
        self.presentation.restore_state(self._default_state)
        for dock in self.docks.values():
            dock.show()
        self.docks["HiddenStatesView"].raise_()
        self.apply_default_sizes()

    def show_how_to_read(self):
        self._help_dialog = how_to_read_dialog(self)
        return self._help_dialog

    def save_settings(self):
        save_settings(self, self.settings)

    def closeEvent(self, event):
        self.save_settings()
        self.files.thread.wait()          # a session being saved is written to the end
        self.state.shutdown()
        super().closeEvent(event)
