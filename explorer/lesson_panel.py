"""The lesson box: the step's text with its measured values, the question asked before the result
is shown, the claims ✓ / ✗ with their numbers, and Back / Next. It draws a
:class:`explorer.lesson_runner.LessonRunner` and sends the user's clicks to it; it measures nothing.
"""

import html
import re

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QTextDocument
from PySide6.QtWidgets import (QBoxLayout, QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy,
                               QToolButton, QVBoxLayout, QWidget)

from .views import style
from .widgets import KeptInView

REFRESH_MS = 100     # measured values are redrawn at most this often while training
COLOURS = {True: "#1a7f37", False: "#c00000", None: "#6b6b6b"}
MARKS = {True: "✓", False: "✗", None: "…"}
# (frame, title, status) colours; high contrast: black on white, a thicker frame
FRAME = {False: ("background: #eef4ff; border: 2px solid #3a6fc4;", "#3a6fc4", "#6b6b6b"),
         True: ("background: #ffffff; border: 3px solid #000000;", "#000000", "#000000")}


# superscript digits, signs, brackets and modifier letters (⁽ˡ⁾, ᵀ, ⁻¹) written between a symbol and its index
SUPERSCRIPTS = "\u00b2\u00b3\u00b9\u02b0-\u02ff\u1d2c-\u1d6a\u1d9b-\u1dbf\u2070-\u207f"
# a one-letter symbol (any letter, ŷ too, not inside a word; its accents and superscripts with it) and
# its index: W_hh, h_t, ŷ_t, σ_max, h_{t−1}, h⁽ˡ⁾_t
MATH_INDEX = re.compile(rf"(?<![A-Za-z0-9_])([^\W\d_][\u0300-\u036f]*[{SUPERSCRIPTS}]*)_"
                        r"(?:\{([^{}]*)\}|([A-Za-z0-9]{1,3}))(?![A-Za-z0-9_{])")


def lesson_html(text: str) -> str:
    """A lesson's plain text as the box shows it: its math's indices as subscripts (W_hh → W with
    hh below, h_{t−1} → h with t−1 below, h⁽ˡ⁾_t → h⁽ˡ⁾ with t below), everything else as written
    (escaped, its line breaks and runs of spaces kept). Words such as seq_len are left alone."""
    escaped = html.escape(text, quote=False)
    marked = MATH_INDEX.sub(lambda m: f"{m[1]}<sub>{m[2] if m[2] is not None else m[3]}</sub>", escaped)
    spaced = re.sub(r" {2,}", lambda m: " " + "&nbsp;" * (len(m[0]) - 1), marked)
    return spaced.replace("\n", "<br>")


COMPARISON = re.compile(r" ([≤≥<>=≠×]) ")


def unbroken_comparisons(text: str) -> str:
    """A claim's formula with no line break beside a comparison or product ("updates ≥ 1" is never
    split into "updates ≥" and "1"): the spaces around ≤ ≥ < > = ≠ × become non-breaking."""
    return COMPARISON.sub("\u00a0\\1\u00a0", text)


# the characters that have a Unicode subscript, for text that cannot be rich (a button's)
UNICODE_SUBSCRIPTS = dict(zip("0123456789+-−=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"))


def lesson_plain(text: str) -> str:
    """A lesson's text where it cannot be rich (a choice's button): each math index in Unicode
    subscripts where all its characters have one (x_t → xₜ, σ_max → σₘₐₓ), else as written."""
    def index(m):
        written = m[2] if m[2] is not None else m[3]
        if all(c in UNICODE_SUBSCRIPTS for c in written):
            return m[1] + "".join(UNICODE_SUBSCRIPTS[c] for c in written)
        return m[0]
    return MATH_INDEX.sub(index, text)


def _label(point_size: int, bold: bool = False, name: str = "", rich: bool = False) -> QLabel:
    label = _style_label(QLabel(), point_size, bold, name)
    if rich:                       # (set with lesson_html)
        label.setTextFormat(Qt.TextFormat.RichText)
    return label


def _style_label(label: QLabel, point_size: int, bold: bool = False, name: str = "") -> QLabel:
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    style.set_font(label, point_size, bold)       # (at the zoom, and kept there)
    if name:
        label.setObjectName(name)
    return label


TITLE_SEPARATOR = "  ·  "      # between "Step 2 of 5" and the lesson's title
VERDICT_GAP_PX = 14            # between the claims' verdict and the Back button beside it
TEXT_MIN_LINES = 3             # the step's text keeps at least this many lines beside its question and claims
TEXT_LEAST_LINES = 1           # ... and this many under its title where the window has no more room (presenting at
#                                1024×768, or a banner below the box); it was 2 lines with the title, which cut the one under it


class _HeadTitle(QLabel):
    """The header's one line: "Step 2 of 5  ·  the lesson's title" where the row has room for all of
    it, else "Step 2 of 5" alone (the panel then writes the title, wrapped, on the line below: it is
    never cut). ``text()`` stays whole; ``whole`` says which of the two is drawn. What comes before
    :data:`TITLE_SEPARATOR` sets the label's narrowest width."""

    def __init__(self, on_change):
        super().__init__()
        self._on_change = on_change
        self.whole = True

    def _head(self) -> str:
        return self.text().split(TITLE_SEPARATOR, 1)[0]

    def minimumSizeHint(self):
        hint = super().minimumSizeHint()
        hint.setWidth(self.fontMetrics().horizontalAdvance(self._head()) + 4)
        return hint

    def sizeHint(self):                   # (the row's width goes to it: it never asks for the whole line)
        return self.minimumSizeHint()

    def fits_whole(self) -> bool:
        return self.fontMetrics().horizontalAdvance(self.text()) <= self.contentsRect().width()

    def refit(self):
        whole = self.fits_whole()
        if whole != self.whole:
            self.whole = whole
            self.update()
        self._on_change(whole)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self.refit()

    def setText(self, text):
        super().setText(text)
        self.refit()

    def paintEvent(self, event):
        painter = QPainter(self)
        shown = self.text() if self.whole else self._head()
        self.style().drawItemText(painter, self.contentsRect(), int(self.alignment() | Qt.AlignmentFlag.AlignVCenter),
                                  self.palette(), self.isEnabled(), shown, self.foregroundRole())


class _FittingScroll(QScrollArea):
    """A scroll area whose preferred height is its content's (up to a limit), not a fixed guess."""
    wanted = 100
    least = 60             # the height it is squeezed to where the window has no more room (see LessonPanel._fit)
    whole = False          # True: never squeezed below its content's height (the question and claims)
    line_spans = None      # () → the (top, bottom) of its content's lines: a text that scrolls shows whole lines
    _fitting_lines = False

    def sizeHint(self):
        hint = super().sizeHint()
        hint.setHeight(self.wanted)
        return hint

    def minimumSizeHint(self):
        hint = super().minimumSizeHint()
        hint.setHeight(self.wanted if self.whole else min(self.least, self.wanted))
        return hint

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self.show_whole_lines()

    def show_whole_lines(self):
        """Given a height between its least and its content's (the window's layout decides), and
        scrolled anywhere, the text shows whole lines, not a line cut across at the foot: the part of
        the view under the last whole line is left empty (to the end of the text, none is). (A new
        margin may move the scroll, which asks for another: a few rounds settle it.)"""
        if self._fitting_lines:
            return
        self._fitting_lines = True
        try:
            for _ in range(3):
                margin = self._foot_margin()
                if margin == self.viewportMargins().bottom():
                    break
                self.setViewportMargins(0, 0, 0, margin)
        finally:
            self._fitting_lines = False

    def _foot_margin(self) -> int:
        """px under the last line that fits whole in the view as it is scrolled (0: none needed)."""
        room = self.height() - 2 * self.frameWidth()
        foot = self.verticalScrollBar().value() + room           # (where the view would end without a margin)
        if self.line_spans is None or foot >= self.widget().height():
            return 0
        bottoms = [bottom for top, bottom in self.line_spans() if bottom <= foot]
        return foot - max(bottoms) if bottoms and foot - max(bottoms) < room else 0


def _discard(layout, widget):
    """Take a widget out of its layout and out of sight now (deleteLater alone waits for an event
    loop, which a screenshot never starts)."""
    layout.removeWidget(widget)
    widget.hide()
    widget.deleteLater()


class LessonPanel(QFrame):
    closed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lesson")
        self.runner = None
        self._shown_index = None        # the step whose text is shown (a new one starts at its top)
        self._shown_revealed = False    # ... and whether its answer was (just answered: the answer is scrolled to)
        # "Step 2 of 5  ·  title" on the header's line; where that line is too short, the title
        # wrapped on a line of its own below it (never cut)
        self.lesson_title = _label(13, True, "lesson:lesson-title")
        self.lesson_title.hide()
        self.title = _HeadTitle(lambda whole: self.lesson_title.setVisible(not whole and bool(self.lesson_title.text())))
        _style_label(self.title, 13, True, "lesson:title")
        self.title.setWordWrap(False)
        self.title.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.step_title = _label(12, True, "lesson:step", rich=True)
        self.text = _label(11, name="lesson:text", rich=True)
        self.question = _label(11, True, "lesson:question", rich=True)
        self.choices = QWidget()
        self.choices_layout = QHBoxLayout(self.choices)
        self.choices_layout.setContentsMargins(0, 0, 0, 0)
        self.feedback = _label(11, True, "lesson:feedback", rich=True)
        self.explain = _label(11, name="lesson:explain", rich=True)
        self.claims = QWidget()
        self.claims_layout = QVBoxLayout(self.claims)
        self.claims_layout.setContentsMargins(0, 2, 0, 0)
        self.claims_layout.setSpacing(1)
        self.claim_labels = []
        self.status = _label(10, name="lesson:status")
        self.restyle()

        self.back = QPushButton("◀ Back")
        self.back.setObjectName("lesson:back")
        self.back.setToolTip("The previous step of the lesson (Page Up)")
        self.next = QPushButton("Next ▶")
        self.next.setObjectName("lesson:next")
        self.next.setToolTip("The next step of the lesson (Page Down)")
        self.back.clicked.connect(lambda: self.runner and self.runner.back())
        self.next.clicked.connect(lambda: self.runner and self.runner.next())
        for button in (self.back, self.next):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)   # the stepping keys stay with the window
        close = QToolButton()
        close.setText("✕")
        close.setToolTip("Hide the lesson box (Lessons ▸ Show lesson box, Ctrl+L, brings it back)")
        close.setAutoRaise(True)
        close.clicked.connect(self._close)

        self.verdict = _label(12, True, "lesson:verdict")
        self.verdict.setWordWrap(False)
        self.verdict.setToolTip("How many of this step's claims hold, as measured now (the list is below the text)")
        self.verdict.setMinimumWidth(1)       # (it asks for no least width: on a short line it moves, see _place_verdict)
        self.verdict.setContentsMargins(0, 0, VERDICT_GAP_PX, 0)   # (apart from ◀ Back: not read as one control)
        self.top = QHBoxLayout()
        for widget in (self.title, self.verdict, self.back, self.next, close):
            self.top.addWidget(widget, 1 if widget is self.title else 0)
        self.second = QHBoxLayout()           # below it: the lesson's title where the line above has no room
        self.second.addWidget(self.lesson_title, 1)
        # the step's text scrolls; below it, what asks for the student's attention now stays in view:
        # the question and its choices while it is asked, then the claims (a long text never pushes
        # them out of the box: they scroll only if they alone are more than the box has room for).
        # Answered, the question and the feedback on the answer join the text, before the explanation.
        self.body, self.scroll = self._scrolling("lesson:body", (self.step_title, self.text, self.feedback, self.explain))
        self.footer, self.footer_scroll = self._scrolling("lesson:footer", (self.question, self.choices, self.claims))
        self.footer_scroll.whole = True
        for content in (self.body, self.footer):     # (content that changes its height: the room shared again)
            content.installEventFilter(self)
        bar = self.scroll.verticalScrollBar()
        self._answer_kept = KeptInView(bar, self._show_answer)  # (the answer in view as the box settles)
        bar.rangeChanged.connect(self._answer_kept.now)
        self.scroll.line_spans = self._line_spans
        bar.valueChanged.connect(self.scroll.show_whole_lines)   # (scrolled, its foot a whole line too)
        self.max_body_height = 260
        self.short_claims = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 8)
        layout.setSpacing(3)
        layout.addLayout(self.top)
        layout.addLayout(self.second)
        layout.addWidget(self.scroll)
        layout.addWidget(self.footer_scroll)
        layout.addWidget(self.status)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self.refresh_values)
        self.hide()

    def restyle(self):
        """The frame and the title in the look's contrast (:func:`explorer.views.style.restyle` calls this)."""
        frame, title, status = FRAME[style.LOOK.high_contrast]
        self.setStyleSheet(f"#lesson {{ {frame} border-radius: 6px; }}")
        self.title.setStyleSheet(f"color: {title};")
        self.lesson_title.setStyleSheet(f"color: {title};")
        self.status.setStyleSheet(f"color: {status};")

    def set_max_body_height(self, pixels: int, short_claims: bool = False):
        """The most the text may take (the window gives the graph below the rest); longer text
        scrolls. ``short_claims``: each claim says what it claims and what was measured, its formula
        in its tooltip (a small screen)."""
        self.max_body_height = max(80, int(pixels))
        if short_claims != self.short_claims:
            self.short_claims = short_claims
            self.refresh_values()
        self._fit()

    def hasHeightForWidth(self):
        """False: the window's column lays the box out by :meth:`sizeHint` (its height at its width)
        and its least height (the text squeezed to its least lines), so that where the graph below
        needs the room the text gives way (a height for width is a least height there too)."""
        return False

    def sizeHint(self):
        hint = super().sizeHint()
        layout = self.layout()
        if self.width() > 0 and layout.hasHeightForWidth():    # (none without a wrapped line: the lesson title
            hint.setHeight(layout.totalHeightForWidth(self.width()))   # and the status hidden)
        return hint

    def resizeEvent(self, event):
        super().resizeEvent(event)
        if event.oldSize().width() != event.size().width():
            self.updateGeometry()           # (its height at the new width)
        self._fit()

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.LayoutRequest and watched in (self.body, self.footer):
            self._fit()
        return super().eventFilter(watched, event)

    @staticmethod
    def _scrolling(name: str, widgets) -> tuple:
        """A column of ``widgets`` in a scroll area that asks for its content's height (see :meth:`_fit`)."""
        content = QWidget()
        content.setObjectName(name)
        content.setStyleSheet(f"#{name.replace(':', chr(92) + ':')} {{ background: transparent; }}")
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 4, 0)
        column.setSpacing(3)
        for widget in widgets:
            column.addWidget(widget)
        scroll = _FittingScroll()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(content)
        scroll.viewport().setAutoFillBackground(False)
        content.setAutoFillBackground(False)
        return content, scroll

    def _lay_out_choices(self):
        """The choices side by side where the box has room for them, else one under the other (a
        row wider than the box would be cut at its right edge)."""
        buttons = [self.choices_layout.itemAt(i).widget() for i in range(self.choices_layout.count())]
        buttons = [b for b in buttons if b is not None]
        spacing = self.choices_layout.spacing() * max(0, len(buttons) - 1)
        row = sum(b.sizeHint().width() for b in buttons) + spacing
        room = self.footer_scroll.viewport().width() - 4
        direction = QBoxLayout.Direction.LeftToRight if row <= room else QBoxLayout.Direction.TopToBottom
        if self.choices_layout.direction() != direction:
            self.choices_layout.setDirection(direction)
            self.footer.layout().invalidate()        # (its height is measured again now, not after the next event)

    @staticmethod
    def _needed(scroll: QScrollArea) -> int:
        """The height a scroll area's content needs at the scroll area's width."""
        width = max(scroll.viewport().width(), 200)
        layout = scroll.widget().layout()
        return layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else scroll.widget().sizeHint().height()

    def _place_verdict(self):
        """The claims' verdict on the header's line where the line has room for it beside the step's
        number and the buttons, else on the line below, after the lesson's title: a narrow box (a
        presented step with its controls at 1024 px) keeps its buttons and leaves the views their share."""
        top = self.top
        others = [top.itemAt(i).widget() for i in range(top.count()) if top.itemAt(i).widget() is not self.verdict]
        margins = self.layout().contentsMargins()
        needed = (sum(w.minimumSizeHint().width() for w in others) + self.verdict.sizeHint().width()
                  + top.spacing() * len(others) + margins.left() + margins.right())
        row = top if needed <= self.width() else self.second
        if row.indexOf(self.verdict) < 0:
            (self.second if row is top else top).removeWidget(self.verdict)
            row.insertWidget(1, self.verdict)

    def _fit(self):
        """Share max_body_height: the question and claims (the footer) take what they need (up to all
        of it), the text the rest, and at least its title and :data:`TEXT_MIN_LINES` lines (or all it
        needs) even where the two then ask for more; each is given at most its content's height, and
        scrolls when given less. Where the window has less room than that (a banner shows below the
        box), the text is squeezed to its title and :data:`TEXT_LEAST_LINES` lines; the question and claims
        never are. A text that scrolls shows whole lines under its title."""
        self._place_verdict()
        self._lay_out_choices()
        shown = [w for w in self.footer.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
                 if not w.isHidden()]
        self.footer_scroll.setVisible(bool(shown))
        footer = self._needed(self.footer_scroll) if shown else 0
        text = self._needed(self.scroll) - self.body.layout().contentsMargins().bottom()   # (less the answer's pad)
        title = self.step_title.heightForWidth(max(self.scroll.viewport().width(), 200)) + 3
        line = self.text.fontMetrics().lineSpacing()
        text_min = min(text, title + round(TEXT_MIN_LINES * line))
        footer_height = min(footer, self.max_body_height)      # (whole: the text gives way, not a claim's last line)
        text_height = min(max(text, 20), max(self.max_body_height - footer_height, text_min))
        if text_height < text:                       # (scrolled: whole lines under the title, no line cut in half)
            text_height = title + max(1, int((text_height - title) / line)) * line
        least = title + TEXT_LEAST_LINES * line      # (squeezed by the window, the text gives way, not the claims)
        self.scroll.show_whole_lines()
        if least != self.scroll.least:
            self.scroll.least = least
            self.scroll.updateGeometry()
        for scroll, wanted in ((self.scroll, text_height), (self.footer_scroll, footer_height)):
            if wanted != scroll.wanted:
                scroll.wanted = wanted
                scroll.updateGeometry()

    # ------------------------------------------------------------------ following a runner
    def set_runner(self, runner):
        self.runner = runner
        runner.step_changed.connect(self._on_step)
        runner.revealed_changed.connect(self._on_step)
        runner.measured.connect(self._schedule_refresh)
        self._on_step()
        self.show()

    def _close(self):
        self.hide()
        self.closed.emit()

    def _schedule_refresh(self):
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _on_step(self, *_):
        """A new step, or its question answered: rebuild the question and the claims."""
        runner = self.runner
        if runner is None or runner.index < 0:
            return
        step = runner.step
        self.lesson_title.setText(runner.lesson.title)
        self.title.setText(f"Step {runner.index + 1} of {runner.count}{TITLE_SEPARATOR}{runner.lesson.title}")
        self.title.setToolTip(f"{runner.lesson.title}: {runner.lesson.summary}")
        self.step_title.setText(lesson_html(step.title))
        self.back.setEnabled(runner.can_go_back)
        self.next.setEnabled(runner.can_go_on)
        self._build_choices()
        while self.claim_labels:
            _discard(self.claims_layout, self.claim_labels.pop())
        for _ in step.claims:
            label = _label(11, name="lesson:claim", rich=True)
            self.claims_layout.addWidget(label)
            self.claim_labels.append(label)
        self.refresh_values()
        if runner.index != self._shown_index:      # a new step: its text from the top
            self._shown_index = runner.index
            self._answer_kept.forget()
            self._pad_text_foot(0)
            for scroll in (self.scroll, self.footer_scroll):
                scroll.verticalScrollBar().setValue(0)
        elif runner.revealed and not self._shown_revealed:     # just answered: the answer, not the text read
            self._answer_kept.kept = True
        self._shown_revealed = runner.revealed
        self._answer_kept.now()

    def _show_answer(self, *_):
        """Just answered, a text too long for its room is scrolled to the question, the verdict on
        the answer and the explanation: what the student reads now (they were below the fold, under
        the text already read); to the verdict where the room has no line to spare for the question.
        The top line is whole (the scroll stops at a line's top, not across it); kept there as the
        box settles, until the user scrolls. Where all from there to the end fits, it starts at the
        first line from which the rest does, and the end is in view whole: the text's foot is padded
        by what is left of the room (less than a line). (Scrolled as far as it goes, to a line's top
        short of the end, the last line of the explanation was cut and left blank.)"""
        bar = self.scroll.verticalScrollBar()
        question, verdict = self.question.geometry(), self.feedback.geometry()
        roomy = verdict.bottom() - question.top() + self.explain.fontMetrics().lineSpacing() <= self.scroll.viewport().height()
        anchor = question if roomy or self.feedback.isHidden() else verdict
        spans = self._line_spans()
        room = self.scroll.height() - 2 * self.scroll.frameWidth()
        end = max((bottom for _, bottom in spans), default=0)
        top = max((top for top, _ in spans if top <= anchor.top()), default=0)
        pad = 0
        if room < end and end - top <= room:          # (the rest fits: as much before it as fits too)
            top = min((line for line, _ in spans if line >= end - room), default=top)
            pad = max(0, top + room - end)
        self._pad_text_foot(pad)
        bar.setValue(top if pad else min(top, bar.maximum()))

    def _pad_text_foot(self, pad: int):
        """Room under the text's last line, so that it can be scrolled to a line's top and still
        show its end (see :meth:`_show_answer`); 0 for a new step."""
        column = self.body.layout()
        left, top, right, bottom = column.getContentsMargins()
        if bottom != pad:
            column.setContentsMargins(left, top, right, pad)
            column.activate()

    def _line_spans(self) -> list:
        """The (top, bottom) of every line of the text's labels, in the scrolled content's coordinates."""
        spans = []
        for label in (self.step_title, self.text, self.question, self.feedback, self.explain):
            if label.isHidden() or label.parentWidget() is not self.body:
                continue
            document = QTextDocument()
            document.setDocumentMargin(0)
            document.setDefaultFont(label.font())
            document.setHtml(label.text())
            document.setTextWidth(label.contentsRect().width())
            document.size()                     # (laid out: its blocks' lines exist only then)
            origin = label.geometry().top() + label.contentsRect().top()
            block = document.begin()
            while block.isValid():
                layout = block.layout()
                for i in range(layout.lineCount()):
                    top = layout.position().y() + layout.lineAt(i).y()
                    spans.append((origin + round(top), origin + round(top + layout.lineAt(i).height())))
                block = block.next()
        return spans

    def _build_choices(self):
        runner, step = self.runner, self.runner.step
        while self.choices_layout.count():
            widget = self.choices_layout.takeAt(0).widget()
            if widget is not None:          # (the stretch after the buttons has none)
                _discard(self.choices_layout, widget)
        asking = runner.waiting_for_answer
        self._place_question(asking)
        self.question.setVisible(bool(step.question))
        self.question.setText(lesson_html(("Predict first: " if asking else "") + step.question))
        self.choices.setVisible(asking)
        if not asking:
            return
        options = list(enumerate(step.choices)) or [(None, "Show the result")]
        for index, text in options:
            button = QPushButton(lesson_plain(text))
            button.setObjectName(f"lesson:choice:{'reveal' if index is None else index}")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.clicked.connect(lambda checked=False, i=index: runner.reveal(i))
            self.choices_layout.addWidget(button)
        self.choices_layout.addStretch(1)

    def _place_question(self, asking: bool):
        """The question at the top of what stays in view while it is asked; answered, in the text
        after the step's text (where the feedback on the answer follows it)."""
        column = (self.footer if asking else self.body).layout()
        if column.indexOf(self.question) < 0:
            (self.body if asking else self.footer).layout().removeWidget(self.question)
            column.insertWidget(0 if asking else column.indexOf(self.feedback), self.question)

    def refresh_values(self):
        """The texts' quoted values and the claims, as measured now."""
        runner = self.runner
        if runner is None or runner.index < 0:
            return
        step = runner.step
        self.text.setText(lesson_html(runner.text()))
        right = runner.answered_right()
        self.feedback.setVisible(runner.revealed and right is not None)
        if right is not None:
            chosen = step.choices[runner.choice]
            self.feedback.setText(lesson_html(f"Your answer: {chosen} — " + ("right." if right else
                                              f"not quite: it is “{step.choices[step.answer]}”.")))
            self.feedback.setStyleSheet(f"color: {COLOURS[right]};")
        explanation = runner.explanation()
        self.explain.setVisible(bool(explanation))
        self.explain.setText(lesson_html(explanation))
        hidden = runner.waiting_for_answer
        self.claims.setVisible(bool(step.claims) and not hidden)
        for label, claim, measurement in zip(self.claim_labels, step.claims, runner.measurements):
            holds = measurement.holds
            formula = f":   {unbroken_comparisons(measurement.formula)}"
            measured = f"   —   measured {unbroken_comparisons(measurement.measured)}"
            # (on a small screen the formula is in the tooltip: three claims of two lines each left
            # the step's text one line presenting at 1024×768)
            label.setText(lesson_html(f"{MARKS[holds]}  {claim.says}" + ("" if self.short_claims else formula) + measured))
            label.setToolTip(lesson_html(f"{claim.says}{formula}{measured}") if self.short_claims else "")
            label.setStyleSheet(f"color: {COLOURS[holds]};")
        marks = [m.holds for m in runner.measurements]
        self.verdict.setVisible(bool(marks) and not hidden)
        if marks:
            holding = sum(1 for m in marks if m is True)
            state = True if holding == len(marks) else (None if None in marks else False)
            self.verdict.setText(f"{MARKS[state]} {holding}/{len(marks)} claims")
            self.verdict.setStyleSheet(f"color: {COLOURS[state]};")
        self.status.setText(self._status())
        self.status.setVisible(bool(self.status.text()))
        self._fit()

    def _status(self) -> str:
        """What the step waits for (the answer, its training); nothing once its result is shown: the
        Next and Back buttons say the rest (a line saying so took a line of the text's room)."""
        runner = self.runner
        step = runner.step
        if runner.waiting_for_answer:
            return "Answer the question to run this step and see its result."
        if runner.running and step.run == "train":
            done = len(runner.session.history)
            return f"Training… {done} updates" + (f" (until {step.until})" if step.until else "")
        return ""
