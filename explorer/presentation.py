"""The window at a projector: presentation mode, the text size, high contrast, and a window that
fits the screen it opens on.

- **View ▸ Presentation** (F11; F11 again or Esc leaves): full screen, one large view (the unrolled
  graph) or two side by side (the graph and gradient flow, training, … or whichever view the lesson
  step points at: View ▸ Presentation layout); the other panels are hidden, the lesson box stays,
  across the whole width above the views (at twice the graph's width its text needs half the lines).
  A window under 900 px high (a 1280×800 laptop) shows the lesson box the same way out of
  presentation mode, across the controls and the graph (the right column keeps its height): above
  the graph alone a long step's text had a line and a half before it scrolled.
  Every text is 1.75 × larger and none is below 18 pt on a 1080 px high screen (on another, text
  keeps the same share of the height: a projector shows both as large); lines are 1.5 × thicker.
  Leaving puts the window's geometry and every panel back exactly where they were.
- **Larger / Smaller text / Actual size** (Ctrl + / Ctrl − / Ctrl 0): the zoom of every font and
  plot label, in either mode; kept in the settings.
- **View ▸ High contrast**: black on white, lines twice as thick, grey lines darker (for a
  washed-out projector); kept in the settings.

All of these change :data:`explorer.views.style.LOOK` and draw the window again with
:func:`explorer.views.style.restyle`: the views' fonts and pens read the look, no view is patched.
"""

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import QActionGroup, QColor, QFont, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QDockWidget, QStyle, QTabBar, QWidget

from .lessons import VIEWS
from .settings import read_choice, read_flag, read_number, save_values
from .views import style

ZOOM_STEPS = (0.5, 0.67, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)   # as a web browser's
ZOOM_KEY, CONTRAST_KEY, LAYOUT_KEY = "view/font_scale", "view/high_contrast", "view/presentation_layout"
ONE_VIEW = "graph"            # the layout that shows the graph alone
LESSON_VIEW = "lesson"        # the layout whose second view is the one the lesson step points at
FALLBACK_VIEW = "GradientFlowView"   # ... when the step points at none (or at the graph itself)
SECOND_VIEW_SHARE = 0.5       # of the window's width (less the controls' when shown), for the second view
CONTROLS_SHARE = 0.22         # of the window's width, for the controls a lesson step asks for, at the left
PREFERRED_SIZE = QSize(1440, 900)
PROGRESS_LINE = "backward visit 0000/0000 "   # the longer line of the toolbar's progress text on two lines
QWIDGETSIZE_MAX = 16777215
SEPARATOR_PX = 6                     # between the lesson box across the top and the views below it
FRAME_ALLOWANCE = QSize(16, 48)      # the window manager's title bar and borders, outside the window's size
BOX_ACROSS_BELOW = 900               # px: a window lower than this shows the lesson box across the top
PANELS_BELOW_SHARE = 0.24            # of the window's height: the panels under the graph keep at least this
#                                      (at their own least, a step's Data view kept a 5 px strip of its plot),
STEP_VIEW_BELOW_SHARE = 0.36         # or this where the lesson step's view is one of them (the Data view's
#                                      plot was a 15 px strip at 0.24, under its header and legend)
VIEWS_SHARE = 0.42                   # ... and the views under the box all together (presenting at 1024×768 the
#                                      box took 475 of 768 px, the training plots beside the graph 30 px strips)


def fitting_geometry(available: QRect, preferred: QSize = PREFERRED_SIZE) -> QRect:
    """Where the window opens on a screen whose free area (without task bars) is ``available``:
    the preferred size where it fits, else all of the free area but the frame; centred."""
    room = available.size() - FRAME_ALLOWANCE
    rect = QRect(0, 0, min(preferred.width(), room.width()), min(preferred.height(), room.height()))
    rect.moveCenter(available.center())
    return rect


def fit_to_screen(window) -> None:
    """Size and place a window that has not been shown yet for the screen it opens on."""
    screen = window.screen() or QGuiApplication.primaryScreen()
    rect = fitting_geometry(screen.availableGeometry())
    window.resize(rect.size())
    window.move(rect.topLeft())


def height_scale(height: int) -> float:
    """Presentation text's scale on a window ``height`` px high: height / 1080, in steps of 5 %."""
    return round(min(max(height / style.PRESENTATION_HEIGHT, 0.5), 2.0) * 20) / 20


def high_contrast_palette(palette: QPalette) -> QPalette:
    """Black text on white everywhere (disabled text dark grey, the selection inverted)."""
    palette = QPalette(palette)
    black, white, grey = QColor("#000000"), QColor("#ffffff"), QColor("#404040")
    for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base, QPalette.ColorRole.AlternateBase,
                 QPalette.ColorRole.Button, QPalette.ColorRole.ToolTipBase, QPalette.ColorRole.HighlightedText):
        palette.setColor(role, white)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.ToolTipText, QPalette.ColorRole.Highlight, QPalette.ColorRole.PlaceholderText):
        palette.setColor(role, black)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, grey)
    return palette


def _application_defaults(app: QApplication) -> tuple:
    """The application's font and palette before any look was applied (kept on the application)."""
    if not hasattr(app, "_explorer_defaults"):
        app._explorer_defaults = (QFont(app.font()), QPalette(app.palette()))
    return app._explorer_defaults


class LessonDock(QDockWidget):
    """The window's lesson box across the top, above the graph and the view beside it (presenting,
    or in a low window). No title bar (the box has its header), nothing to move or close but the
    box's own ✕; exactly as high as the box asks at its width (the views below keep the rest),
    shown while the box is."""

    def __init__(self, window):
        super().__init__("Lesson", window)
        self.setObjectName("dock:Lesson")
        self.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        self.setTitleBarWidget(QWidget())
        self.box = window.lesson
        shown = not self.box.isHidden()
        self.setWidget(self.box)                  # (taken from the window's central column)
        self.box.setVisible(shown)
        self.box.installEventFilter(self)
        window.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, self)
        self.setVisible(shown)

    def event(self, event):
        if event.type() == QEvent.Type.LayoutRequest:     # (the box asks for another height)
            self.fit()
        return super().event(event)

    def fit(self, panels_below_grew: bool = False):
        """As high as the box asks, within :meth:`room` (after a resize too). Grown by more than the
        graph can give, the panels docked under the graph give the rest (a dock area keeps its
        height and would run the box over the graph); ``panels_below_grew``: their least height did
        (a step whose view is one of them), they are given it."""
        w = self.parentWidget()
        height = min(self.box.sizeHint().height(), self.room())
        if height == self.height() == self.minimumHeight() and not panels_below_grew:
            return
        central = w.centralWidget()
        short = height - self.height() - (central.height() - central.minimumSizeHint().height())
        for dock in self._docks_below() if short > 0 else ():
            w.resizeDocks([dock], [max(dock.minimumSizeHint().height(), dock.height() - short)],
                          Qt.Orientation.Vertical)
        front, least = self._docks_below(), self._least_below() - self._tab_bar_height()
        if panels_below_grew and short <= 0 and (not front or front[0].height() < least):
            tabs = self._bottom_docks()       # (the tab just brought to the front may not be drawn yet)
            w.resizeDocks(tabs, [least] * len(tabs), Qt.Orientation.Vertical)
        self.setFixedHeight(height)
        w.resizeDocks([self], [height], Qt.Orientation.Vertical)

    def _docks_below(self) -> list:
        """The panels docked under the graph that are drawn (of tabbed ones, the tab in front)."""
        return [dock for dock in self._bottom_docks() if not dock.visibleRegion().isEmpty()]

    def room(self) -> int:
        """The most the box may take: the window's height but its menu, toolbar, status bar and the
        least the views below need, the graph's column and the panels docked under it, and at least
        :data:`VIEWS_SHARE` of the height (where the box needs more, its text scrolls rather than
        covers them: a step's point is in its plots)."""
        w = self.parentWidget()
        bars = sum(bar.height() for bar in (w.menuBar(), w.toolbar, w.statusBar()) if bar.isVisible())
        separator = w.style().pixelMetric(QStyle.PixelMetric.PM_DockWidgetSeparatorExtent, None, w)
        below = self._least_below()
        views = w.centralWidget().minimumSizeHint().height() + (below + separator if below else 0)
        beside = w.presentation.view_beside_least()
        views_room = w.height() - bars - max(views, round(VIEWS_SHARE * w.height())) - separator
        # the view beside gives way to the box's least (its claims whole, a line of its text): it
        # scrolls by a few px where a claim's last line would be cut (presenting truncation 1 at 1024×768)
        beside_room = max(w.height() - bars - beside - separator, self.box.minimumSizeHint().height())
        return max(0, min(views_room, beside_room))

    def _least_below(self) -> int:
        """The least height of the panels docked under the graph: their tallest least height (tabbed,
        each may come to the front) and their tab bar, and at least the window's
        :attr:`Presentation.panels_below_share` (more where the lesson step's view is one of them)."""
        w = self.parentWidget()
        docks = self._bottom_docks()
        if not docks:
            return 0
        least = max(dock.minimumSizeHint().height() for dock in docks) + self._tab_bar_height()
        return max(least, round(w.presentation.panels_below_share * w.height()))

    def _bottom_docks(self) -> list:
        """Every panel docked under the graph, tabbed ones behind the front one too."""
        w = self.parentWidget()
        return [dock for dock in w.findChildren(QDockWidget) if not dock.isHidden() and not dock.isFloating()
                and w.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea]

    def _tab_bar_height(self) -> int:
        w, central = self.parentWidget(), self.parentWidget().centralWidget()
        tabs = [bar.height() for bar in w.findChildren(QTabBar, options=Qt.FindChildOption.FindDirectChildrenOnly)
                if bar.isVisible() and bar.geometry().top() > central.geometry().bottom()]
        return max(tabs, default=0)

    def eventFilter(self, watched, event):
        if watched is self.box and event.type() in (QEvent.Type.ShowToParent, QEvent.Type.HideToParent):
            self.setVisible(event.type() == QEvent.Type.ShowToParent)     # (closed with ✕, shown with Ctrl+L)
        return super().eventFilter(watched, event)

    def give_back(self, window):
        """The box back at the top of the window's central column; the dock goes."""
        self.box.removeEventFilter(self)
        shown = not self.box.isHidden()
        window.centralWidget().layout().insertWidget(0, self.box)
        self.box.setVisible(shown)
        window.removeDockWidget(self)
        self.deleteLater()


def _at_look(font: QFont) -> QFont:
    font = QFont(font)
    font.setPointSizeF(style.pt(font.pointSizeF()))
    return font


class Presentation:
    """Presentation mode, zoom and contrast of one window (its actions, its View menu entries)."""

    def __init__(self, window, settings=None):
        self.window = window
        self.settings = settings
        look = style.LOOK
        look.zoom = read_number(settings, ZOOM_KEY, 1.0, ZOOM_STEPS[0], ZOOM_STEPS[-1])
        look.high_contrast = read_flag(settings, CONTRAST_KEY, False)
        look.presenting = False
        self.layouts = {ONE_VIEW: "One view: the unrolled graph",
                        LESSON_VIEW: "Two views: the graph and the lesson step's view"}
        for name, dock in window.docks.items():
            if name in VIEWS.values():
                self.layouts[name] = f"Two views: the graph and {dock.windowTitle().lower()}"
        self.layout = read_choice(settings, LAYOUT_KEY, self.layouts, LESSON_VIEW)
        self.presenting = False
        self._before = None       # (geometry saved, geometry, panels, window state) to go back to
        self._slider_width = None   # the toolbar's t slider's widest, as built
        self._controls_width = None  # the controls panel's least width, as built (presenting: none)
        self.lesson_dock = None      # presenting or a low window: the LessonDock that holds the lesson box
        self.panels_below_share = PANELS_BELOW_SHARE   # the least of the height the panels under the graph keep

    # ------------------------------------------------------------------ actions and menu
    def add_actions(self):
        w = self.window
        w._action("presentation", "&Presentation", self.set_presenting, ["F11"],
                  "Full screen, large text, one or two large views and the lesson box (F11 or Esc leaves)"
                  ).setCheckable(True)
        w._action("leave_presentation", "&Leave presentation", self.leave, ["Esc"],
                  "Back to the window as it was before the presentation").setEnabled(False)
        w._action("zoom_in", "&Larger text", self.zoom_in, ["Ctrl++", "Ctrl+="],
                  "Every text and plot label one step larger")
        w._action("zoom_out", "&Smaller text", self.zoom_out, ["Ctrl+-"],
                  "Every text and plot label one step smaller")
        w._action("zoom_reset", "&Actual text size", lambda: self.set_zoom(1.0), ["Ctrl+0"],
                  "Every text and plot label at its normal size")
        contrast = w._action("high_contrast", "&High contrast", self.set_high_contrast, ["Ctrl+Shift+H"],
                             "Black on white with thick lines, for a washed-out projector")
        contrast.setCheckable(True)
        contrast.setChecked(style.LOOK.high_contrast)
        group = QActionGroup(w)
        for key, text in self.layouts.items():
            action = w._action(f"layout:{key}", text, lambda checked=False, key=key: self.set_layout(key),
                               [], f"In presentation mode: {text[0].lower()}{text[1:]}")
            action.setCheckable(True)
            action.setChecked(key == self.layout)
            group.addAction(action)

    def add_menu_items(self, view_menu):
        actions = self.window.actions
        view_menu.addSeparator()
        view_menu.addAction(actions["presentation"])
        view_menu.addAction(actions["leave_presentation"])
        layouts = view_menu.addMenu("Presentation la&yout")
        for key in self.layouts:
            layouts.addAction(actions[f"layout:{key}"])
        view_menu.addAction(actions["high_contrast"])
        view_menu.addSeparator()
        for key in ("zoom_in", "zoom_out", "zoom_reset"):
            view_menu.addAction(actions[key])

    # ------------------------------------------------------------------ the look
    def apply(self):
        """Draw the application at the look: its font (menus, controls, dialogs, the panels' titles),
        its palette, the views."""
        app = QApplication.instance()
        font, palette = _application_defaults(app)
        app.setFont(_at_look(font))
        app.setPalette(high_contrast_palette(palette) if style.LOOK.high_contrast else palette)
        # A panel whose font is the application's draws its title in the title font it was built
        # with, whatever the size now; a font that differs (in a way nobody sees) makes it use its own.
        title_font = _at_look(font)
        title_font.setStyleStrategy(QFont.StyleStrategy.PreferAntialias)
        for dock in self.window.docks.values():
            dock.setFont(title_font)
        style.restyle(self.window)

    def set_zoom(self, zoom: float):
        zoom = min(max(float(zoom), ZOOM_STEPS[0]), ZOOM_STEPS[-1])
        if zoom != style.LOOK.zoom:
            style.LOOK.zoom = zoom
            self.apply()
            self.window.fit_lesson_text()   # (the graph's and the views' least heights are lines of the look's text;
            #                                  entering, leaving and a resize re-fit it themselves)
            save_values(self.settings, {ZOOM_KEY: zoom})
        self.window.show_message(f"Text size {round(100 * zoom)} % (Ctrl + / Ctrl − / Ctrl 0)", "info")

    def zoom_in(self):
        self.set_zoom(next((z for z in ZOOM_STEPS if z > style.LOOK.zoom + 1e-9), ZOOM_STEPS[-1]))

    def zoom_out(self):
        self.set_zoom(next((z for z in reversed(ZOOM_STEPS) if z < style.LOOK.zoom - 1e-9), ZOOM_STEPS[0]))

    def set_high_contrast(self, on: bool):
        on = bool(on)
        self.window.actions["high_contrast"].setChecked(on)
        if on != style.LOOK.high_contrast:
            style.LOOK.high_contrast = on
            self.apply()
            self.window.fit_lesson_text()
            save_values(self.settings, {CONTRAST_KEY: on})

    # ------------------------------------------------------------------ presentation mode
    def set_presenting(self, on: bool):
        self.enter() if on else self.leave()

    def enter(self):
        """Full screen, large text, the chosen views; what the window was is kept to go back to."""
        w = self.window
        if not self.presenting:
            self._before = (w.saveGeometry(), w.geometry(), w.saveState(), w.windowState())
            self.presenting = style.LOOK.presenting = True
            screen = w.screen() or QGuiApplication.primaryScreen()
            style.LOOK.height_scale = height_scale(screen.geometry().height())
            self.apply()
            self.place_lesson_box()
            w.showFullScreen()
        self._show_actions()
        self.arrange()
        w.fit_lesson_text()

    def leave(self):
        """Back to the window's geometry and panels as they were before the presentation."""
        w = self.window
        if self.presenting:
            geometry, rect, panels, state = self._before
            self.presenting = style.LOOK.presenting = False
            self.apply()
            w.setWindowState(state)
            w.restoreGeometry(geometry)
            if state == Qt.WindowState.WindowNoState:
                w.setGeometry(rect)        # (restoreGeometry moves a window larger than its screen)
            w.controls.show_only(None)
            if self._controls_width is not None:
                w.controls.setMinimumWidth(self._controls_width)
            self.restore_state(panels)
            self.fit_toolbar()
            w.fit_lesson_text()
        self._show_actions()

    # ------------------------------------------------------------------ the lesson box
    def box_across(self) -> bool:
        """Whether the lesson box lies across the top (presenting, or a window under
        :data:`BOX_ACROSS_BELOW` px high) rather than above the graph alone."""
        return self.presenting or self.window.height() < BOX_ACROSS_BELOW

    def place_lesson_box(self):
        """The lesson box across the top (in a :class:`LessonDock`) or back above the graph, as
        :meth:`box_across` says; out of presentation mode the right column keeps the window's whole
        height, the box spans the controls and the graph."""
        w = self.window
        across = self.box_across()
        if across and self.lesson_dock is None:
            self.lesson_dock = LessonDock(w)
        elif not across and self.lesson_dock is not None:
            self.lesson_dock.give_back(w)
            self.lesson_dock = None
        w.setCorner(Qt.Corner.TopRightCorner, Qt.DockWidgetArea.TopDockWidgetArea if self.presenting
                    else Qt.DockWidgetArea.RightDockWidgetArea)
        if self.lesson_dock is not None:
            self.lesson_dock.fit()

    def view_beside_least(self) -> int:
        """Presenting, the least height of the view beside the graph, with its panel's title (0 for
        a view that says none, and out of presentation mode: the lesson box is not above it)."""
        second = self.second_view() if self.presenting else None
        return self.window.panel_least_height(second) if second else 0

    def keep_room_below(self, step_view_below: bool):
        """The panels under the graph keep more of the height while the lesson step's view is one of
        them (:data:`STEP_VIEW_BELOW_SHARE`), else :data:`PANELS_BELOW_SHARE`."""
        share = STEP_VIEW_BELOW_SHARE if step_view_below else PANELS_BELOW_SHARE
        grew, self.panels_below_share = share > self.panels_below_share, share
        if self.lesson_dock is not None:
            self.lesson_dock.fit(panels_below_grew=grew)

    def restore_state(self, state):
        """``QMainWindow.restoreState``, then the lesson box placed for the window as it is (a saved
        state may hold no lesson dock, or one made for another height; Qt keeps a dock it does not
        name where it was)."""
        restored = self.window.restoreState(state)
        self.place_lesson_box()
        return restored

    def fit_toolbar(self):
        """Presenting in a window too narrow for the step-through toolbar, its progress text stays
        in view (not in the toolbar's » menu): the t slider at its narrowest, the text on two lines.
        Out of presentation mode, the toolbar as it was built."""
        w = self.window
        bar, progress, slider = (getattr(w, name, None) for name in ("toolbar", "progress", "scrubber"))
        if bar is None or progress is None or slider is None:
            return
        if self._slider_width is None:
            self._slider_width = slider.maximumWidth()
        progress.setWordWrap(False)
        progress.setMinimumWidth(0)
        progress.setMaximumWidth(QWIDGETSIZE_MAX)
        slider.setMaximumWidth(self._slider_width)
        if not self.presenting or bar.sizeHint().width() <= w.width():
            return
        slider.setMaximumWidth(slider.minimumWidth())
        progress.setWordWrap(True)              # "forward 20/20 ·" over "backward visit 20/20"
        progress.setFixedWidth(progress.fontMetrics().horizontalAdvance(PROGRESS_LINE))

    def _show_actions(self):
        actions = self.window.actions
        actions["presentation"].setChecked(self.presenting)
        actions["leave_presentation"].setEnabled(self.presenting)

    def set_layout(self, key: str):
        if key not in self.layouts:
            return
        self.layout = key
        self.window.actions[f"layout:{key}"].setChecked(True)
        save_values(self.settings, {LAYOUT_KEY: key})
        if self.presenting:
            self.arrange()

    def second_view(self) -> str | None:
        """The dock shown beside the graph in the chosen layout (None: the graph alone)."""
        if self.layout == ONE_VIEW:
            return None
        if self.layout != LESSON_VIEW:
            return self.layout
        runner = self.window.runner
        view = VIEWS.get(runner.step.view, "") if runner is not None and runner.index >= 0 else ""
        return view if view in self.window.docks else FALLBACK_VIEW

    def arrange(self):
        """In presentation mode: every panel hidden but the second view, right of the graph, half the
        width (also when the lesson goes to a step that points at another view)."""
        if not self.presenting:
            return
        w = self.window
        second = self.second_view()
        for name, dock in w.docks.items():
            if name != second:
                dock.hide()
        self._show_step_controls()
        if second is None:
            return
        dock = w.docks[second]
        dock.setFloating(False)
        if w.dockWidgetArea(dock) != Qt.DockWidgetArea.RightDockWidgetArea or w.tabifiedDockWidgets(dock):
            w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        dock.show()
        dock.raise_()
        self.window_resized()

    def step_controls(self) -> tuple:
        """The controls the lesson's step asks the student to use (none outside a lesson)."""
        runner = self.window.runner
        return runner.step.controls if runner is not None and runner.index >= 0 else ()

    def _show_step_controls(self):
        """Presenting, the controls a lesson step asks for stay at hand, alone in the controls panel
        at the left (the others hidden); without any, the panel is hidden with the rest."""
        w, names = self.window, self.step_controls()
        w.controls.show_only(names or None)
        if self._controls_width is None:           # (the whole panel's least width: not needed for a row or two)
            self._controls_width = w.controls.minimumWidth()
        w.controls.setMinimumWidth(0)
        if names:
            dock = w.docks["Controls"]
            dock.setFloating(False)
            dock.show()
            w.resizeDocks([dock], [int(CONTROLS_SHARE * w.width())], Qt.Orientation.Horizontal)

    def window_resized(self):
        """The lesson box placed for the window's height. Presenting, the text follows the window's
        height and the second view keeps half the width (half of what the step's controls leave,
        where they are shown: the graph and the view beside it alike)."""
        self.place_lesson_box()
        if not self.presenting:
            return
        w = self.window
        scale = height_scale(w.height())
        if scale != style.LOOK.height_scale:
            style.LOOK.height_scale = scale
            self.apply()
        self.fit_toolbar()
        second = self.second_view()
        if second is None:
            return
        controls = w.docks["Controls"]
        beside = w.width() - (max(int(CONTROLS_SHARE * w.width()), controls.minimumSizeHint().width())
                              if not controls.isHidden() else 0)
        w.resizeDocks([w.docks[second]], [int(SECOND_VIEW_SHARE * beside)], Qt.Orientation.Horizontal)
