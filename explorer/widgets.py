"""Small widgets the window is built from: the view factory (a missing or broken view becomes a
labelled placeholder, never a crash), scroll areas for tall views, keeping what a lesson step is
about in view, the message banner and the status bar whose message wraps."""

import importlib
import pkgutil

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QStatusBar, QToolButton,
                               QVBoxLayout)

from .views.style import set_font


def find_view(name: str):
    """The view class ``name`` from :mod:`explorer.views` (its package or any of its modules), or None."""
    try:
        views = importlib.import_module("explorer.views")
    except Exception:
        return None
    if hasattr(views, name):
        return getattr(views, name)
    for module in pkgutil.iter_modules(getattr(views, "__path__", [])):
        try:
            candidate = importlib.import_module(f"explorer.views.{module.name}")
        except Exception:
            continue
        if hasattr(candidate, name):
            return getattr(candidate, name)
    return None


class KeptInView:
    """What a lesson step points at, scrolled into view by ``scroll_there`` and scrolled there again
    as the area around it changes size (:meth:`again`: its rows, its panel, the lesson box above
    it), until the user scrolls it (wheel, drag or a click on ``bar``): then it stays where they put it."""

    def __init__(self, bar, scroll_there):
        self._scroll_there = scroll_there
        self.kept = False
        bar.actionTriggered.connect(self.forget)

    def keep(self, kept: bool = True):
        self.kept = kept
        self.again()

    def again(self):
        """Scroll there once the layout has settled (the rows' and the panel's new heights)."""
        if self.kept:
            QTimer.singleShot(0, self.now)

    def now(self, *_):
        if self.kept:
            self._scroll_there()

    def forget(self, *_):
        self.kept = False


def make_view(name: str, state, parent=None):
    """An instance of the view, or a labelled placeholder if it is missing or fails to build."""
    cls = find_view(name)
    problem = f"{name} is not available yet."
    if cls is not None:
        try:
            return cls(state, parent)
        except Exception as error:  # a broken view must not take the window down
            problem = f"{name} could not be built: {error}"
    label = QLabel(problem, parent)
    label.setObjectName(f"placeholder:{name}")
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    label.setStyleSheet("color: #707070;")
    set_font(label, 13)
    return label


def scrollable(view, max_width=360, max_height=150):
    """A view too large to shrink with its dock goes into a scroll area (tables, long forms; the
    inspector, 178 px at its least, would hold the panels under the graph above the 24 % of a
    1280×800 window they keep below a long lesson step)."""
    hint = view.minimumSizeHint()
    if hint.width() <= max_width and hint.height() <= max_height:
        return view
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(view)
    return area


class Banner(QFrame):
    """A coloured box with a title, a text and a close button (breakpoints and alerts)."""

    STYLES = {
        "info": ("#eef4ff", "#3a6fc4"),
        "warning": ("#fff4e0", "#d98a00"),
        "error": ("#ffe6e6", "#c00000"),
    }

    def __init__(self, name, parent=None):
        super().__init__(parent)
        self.setObjectName(name)
        self.title = QLabel()
        self.title.setObjectName(f"{name}:title")
        set_font(self.title, 13, bold=True)
        self.text = QLabel()
        self.text.setObjectName(f"{name}:text")
        self.text.setWordWrap(True)
        set_font(self.text, 10)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Hide this box")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 8)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.text)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.hide()

    def show_message(self, title: str, text: str, level: str = "info"):
        background, border = self.STYLES.get(level, self.STYLES["info"])
        self.setStyleSheet(f"#{self.objectName()} {{ background: {background}; border: 2px solid {border}; "
                           f"border-radius: 6px; }}")
        self.title.setStyleSheet(f"color: {border};")
        self.title.setText(title)
        self.text.setText(text)
        self.show()


class MessageBar(QStatusBar):
    """A status bar whose message wraps onto more lines where one is too short for it (presented
    at 1024 px, "NaN/Inf in the loss at update 2: training paused. The parameters are kept …" lost
    its end): the whole message is read, and the bar is as high as it needs."""

    MARGIN = 6           # px left and right of the message (QStatusBar's own)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.messageChanged.connect(lambda *_: self.updateGeometry())

    def message_rect(self) -> QRect:
        """Where the message is written: left of the permanent widgets (the busy label)."""
        right = min((w.geometry().left() for w in self.findChildren(QLabel) if w.isVisible()
                     and w.parentWidget() is self and w.geometry().left() > 0), default=self.width())
        return QRect(self.MARGIN, 0, max(right - 2 * self.MARGIN, 1), self.height())

    def _fits(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self.currentMessage()) <= self.message_rect().width()

    def _with_lines(self, hint):
        """``hint`` high enough for the message wrapped in its place."""
        if not self._fits():
            lines = self.fontMetrics().boundingRect(QRect(0, 0, self.message_rect().width(), 10_000),
                                                    int(Qt.TextFlag.TextWordWrap), self.currentMessage())
            hint.setHeight(max(hint.height(), lines.height() + 4))
        return hint

    def sizeHint(self):
        return self._with_lines(super().sizeHint())

    def minimumSizeHint(self):
        return self._with_lines(super().minimumSizeHint())

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()          # (a narrower bar: more lines)

    def paintEvent(self, event):
        if self._fits():
            super().paintEvent(event)
            return
        painter = QPainter(self)
        painter.setFont(self.font())
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        painter.drawText(self.message_rect(), int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
                                                  | Qt.TextFlag.TextWordWrap), self.currentMessage())
