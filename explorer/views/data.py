"""The data of one sequence over time: what goes in (x_t), what the network predicts (ŷ_t) and
what it should have predicted (y_t). Curves for numbers; letters for text tasks, each prediction
green where it is the target and red where it is not, with a bar under it as long as its
probability (every letter drawn at full strength: legible from the back of a room). The sequence
shown is chosen here (and every other view follows it)."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSpinBox, QVBoxLayout, QWidget

import pyqtgraph as pg

from rnn.tasks import CharTask

from ..notation import number
from . import style

TOOLTIP = """<b>Data</b>: one sequence of the batch, step by step. Numbers: the inputs x<sub>t</sub>
(thin lines), the prediction ŷ<sub>t</sub> (orange) and the target y<sub>t</sub> (black rings) at the
steps that carry a loss. Text: the input letter, the predicted letter (green: right, red: wrong — right
where it is the target letter below it) and the target letter; the bar under a prediction is as long
as its probability (a full column: p = 1). The shaded column in its dashed frame is the chosen step.<br>
A classification read from numbers also shows its softmax output softmax(ŷ<sub>t</sub>) at a loss step
(the chosen step, or the last one before it): a bar per class, as high as its probability, and a ring
at p = 1 over the target class.<br>
Choose the sequence with the spin box: every view shows the sequence chosen here."""

INPUT_COLOURS = ("#7fa6d9", "#a0a0a0", "#8fc98f", "#b9a3d6")   # light: the inputs sit behind ŷ and y
TEXT_TITLE = "input xₜ · prediction ŷₜ · target yₜ"
SHORT_TEXT_TITLE = "input · prediction · target"      # (where the whole one would be cut: presenting at 1024)
PREDICTION = "#d95f02"
RIGHT, WRONG = "#1a7f37", "#c00000"
CONFIDENCE_TRACK = "#d4d4d4"    # the bar's empty part (its full length: p = 1)
MAX_LETTERS = 80         # letters drawn per row; beyond, every k-th step is labelled
LETTER_SHARE = 0.9       # a letter is at most this share of its step's column wide
TARGET_PX = 9            # the target rings' diameter at the normal look
SIDE_LEGEND_RATIO = 2.0  # the legend goes beside the plot on a canvas this many times as wide as high
BAR_PX = 4               # a confidence bar's height (px at the normal look, thicker with its lines; 2 px read as a hairline)
BAR_GAP_PX = 2.0         # between a bar and the letters above and below it (px; their outlines' hinting takes up to ~0.6)
HINTING_PX = 1.0         # a smaller font's outline is not quite the larger one's scaled (hinting): room kept for it
FRAME_PEN = 1.5          # the step frame's dashed line (px at the normal look)
FRAME_GAP_PX = 2.5       # between the frame's line and any letter or bar (px at the normal look, wider with its lines)
STEP_FILL = "#fff3e6"     # the chosen step's column (luminance 0.91: the green letters on it still 4.65 : 1)
FRAME_PIECE = 3          # a side's stretch between two rows drawn where at least this many pens long (a shorter one is a speck)
TICK_PX = 5              # the left axis's ticks: into the numbers' plot, out of the letters' (in, they point at the first column)
ROWS = {"input": 2, "prediction": 1, "target": 0}    # the text rows' heights in the plot
SOFTMAX_AXIS_PX = 44     # the softmax plot's left axis (0, 0.5, 1: narrower than a value axis)
SOFTMAX_SHARE = 0.3      # the softmax plot's share of the canvas's width beside the inputs
SOFTMAX_LABELS = 12      # class names written under the bars at most (beyond, every k-th)


def symbols(task) -> tuple[str, str]:
    """How a classification task writes its inputs and its classes: its letters, its own symbols,
    or digits; an input with no channel set (all zeros) is written "·"."""
    if isinstance(task, CharTask):
        return task.vocab, task.vocab
    classes = getattr(task, "symbols", None) or "".join(str(i % 10) for i in range(task.output_size))
    return getattr(task, "input_symbols", classes), classes


class DataView(QWidget):
    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.setToolTip(TOOLTIP)
        self.sequence_box = QSpinBox()
        self.sequence_box.setObjectName("data:sequence")
        style.set_font(self.sequence_box, style.AXIS_PT)
        self.sequence_box.setToolTip("Which sequence of the batch every view shows")
        self.sequence_box.setKeyboardTracking(False)
        self.of_label = QLabel()
        self.summary = QLabel()
        for label in (self.of_label, self.summary):
            style.set_font(label, style.AXIS_PT)
        # (it wraps onto a second line rather than widening the dock, or being cut at its edge)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.summary.setWordWrap(True)
        top = QHBoxLayout()
        caption = QLabel("sequence")
        style.set_font(caption, style.AXIS_PT)
        top.addWidget(caption)
        top.addWidget(self.sequence_box)
        top.addWidget(self.of_label)
        top.addSpacing(12)
        top.addWidget(self.summary, 1)

        self.canvas = style.layout_widget()
        self.canvas.setToolTip(TOOLTIP)
        # one plot: inputs, predictions and targets share its axes (and fit a short dock)
        self.outputs_plot = self.canvas.addPlot(row=1, col=0)
        style.style_plot(self.outputs_plot, TEXT_TITLE, left="value", bottom="step t")
        self.outputs_plot.hideButtons()
        style.integer_axis(self.outputs_plot, "bottom")
        self.input_curves = []
        self.prediction_curve = self.outputs_plot.plot(pen=style.pen(PREDICTION, 2.5), name="ŷₜ")
        self.target_points = pg.ScatterPlotItem(symbol="o", size=style.line_width(TARGET_PX),
                                                pen=style.pen(style.FOREGROUND, 1.8), brush=None, name="yₜ")
        self.outputs_plot.addItem(self.target_points)
        # the legend beside a short wide plot (its height goes to the data), above a tall narrow one
        self.legend = legend = style.legend_row(self.canvas.ci, self.outputs_plot, row=1, col=1, columns=1)
        legend.addItem(self.prediction_curve, "ŷₜ prediction")
        legend.addItem(self.target_points, "yₜ target")
        style.fit_legend_row(legend)
        self.step_line = pg.InfiniteLine(angle=90, movable=False, pen=style.pen(style.ACCENT, 1.5, Qt.PenStyle.DashLine))
        self.outputs_plot.addItem(self.step_line, ignoreBounds=True)
        # text tasks: the chosen step framed (its edges between the columns, behind the letters:
        # a line through the step would run through its letters), in pieces (see _frame_step)
        self.step_frame = []               # its dashed pieces: PlotDataItems reused between steps
        self.step_band = pg.LinearRegionItem(movable=False, brush=pg.mkBrush(STEP_FILL), pen=pg.mkPen(None))
        self.step_band.setZValue(-3)       # (behind the frame, the bars and the letters)
        self.outputs_plot.addItem(self.step_band, ignoreBounds=True)
        self._framing = False              # (a text task's: the pieces are shown)
        self.letters = []                  # TextItems reused between refreshes (text tasks)
        self._row_text = {}                # each text row's letters (row → str): their ink sets the marks' room
        self._ink = {}                     # each text row's ink at the letters' font: row → (bottom, top) in plot units
        self._bar_band = (0.0, 0.0)        # the confidence bars' (bottom, top) in plot units
        self._letter_points, self._letter_stride = 18, 1
        # each prediction's probability: a bar under its letter (the track: p = 1), behind the letters
        self.confidence_track = pg.BarGraphItem(x0=[], y0=[], width=[], height=[], pen=None,
                                                brush=pg.mkBrush(CONFIDENCE_TRACK))
        self.confidence_bars = pg.BarGraphItem(x0=[], y0=[], width=[], height=[], pen=None, brushes=[])
        for z, bars in enumerate((self.confidence_track, self.confidence_bars)):
            bars.setZValue(-1 + 0.5 * z)
            self.outputs_plot.addItem(bars, ignoreBounds=True)
        self._confidences = np.zeros((0, 3))   # (step, probability, right) of each prediction drawn
        # a classification read from numbers: its softmax output at a loss step, beside the inputs
        self.softmax_plot = pg.PlotItem()
        style.style_plot(self.softmax_plot, "softmax(ŷₜ)", bottom="class")
        style.style_axis(self.softmax_plot.getAxis("left"), "p", width=SOFTMAX_AXIS_PX)
        self.softmax_plot.hideButtons()
        self.softmax_plot.setMouseEnabled(x=False, y=False)
        self.softmax_plot.setYRange(0, 1, padding=0.08)
        self.softmax_plot.getAxis("left").setTicks([[(0, "0"), (0.5, "0.5"), (1, "1")]])
        self.softmax_bars = pg.BarGraphItem(x=[], height=[], width=0.7, pen=None, brush=pg.mkBrush(PREDICTION))
        self.softmax_target = pg.ScatterPlotItem(symbol="o", size=style.line_width(TARGET_PX),
                                                 pen=style.pen(style.FOREGROUND, 1.8), brush=None)
        self.softmax_plot.addItem(self.softmax_bars)
        self.softmax_plot.addItem(self.softmax_target)
        self._data, self._classes = None, None     # (what the softmax plot reads at each selection)
        vb = self.outputs_plot.getViewBox()
        vb.sigResized.connect(lambda *_: self._fit_letters())
        vb.sigXRangeChanged.connect(lambda *_: self._fit_letters())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.canvas, 1)
        self.sequence_box.valueChanged.connect(lambda b: self.state.select(batch_index=b))
        state.passChanged.connect(self.refresh)
        state.selectionChanged.connect(lambda *_: self._on_selection())
        self.refresh()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._place_legend()

    def _place_legend(self):
        """The legend beside the plot on a canvas SIDE_LEGEND_RATIO times as wide as high, else above it."""
        style.place_legend_row(self.legend, self.canvas, beside=(1, 1), above=(0, 0), ratio=SIDE_LEGEND_RATIO)

    # ------------------------------------------------------------------ following the session
    def _on_selection(self):
        selection = self.state.selection
        self.step_line.setValue(selection.step)
        self._frame_step(selection.step)
        self._draw_softmax(selection.step)
        if self.sequence_box.value() != selection.batch_index:
            self.sequence_box.blockSignals(True)
            self.sequence_box.setValue(selection.batch_index)
            self.sequence_box.blockSignals(False)

    def refresh(self):
        state = self.state
        data, task = state.result.data, state.task
        B = state.record.batch_size
        self.sequence_box.blockSignals(True)
        self.sequence_box.setRange(0, B - 1)
        self.sequence_box.setValue(data.sequence)
        self.sequence_box.blockSignals(False)
        self.of_label.setText(f"of {B}")          # (short: the header leaves its room to the summary)
        self.of_label.setToolTip(f"The batch holds {B} sequences, numbered 0…{B - 1}")
        text = task.loss == "xent" and task.one_hot_inputs
        self._data = data
        self._classes = symbols(task)[1] if task.loss == "xent" and not text else None
        self._show_softmax(self._classes is not None)
        if text:
            self._draw_text(data, symbols(task))
        else:
            self._draw_numbers(data, self._classes)
        self._on_selection()

    def _show_softmax(self, shown: bool):
        """The softmax plot in the canvas beside the inputs (a classification read from numbers),
        or out of it (its room back to the inputs)."""
        layout = self.canvas.ci
        if shown == (self.softmax_plot in layout.items):
            return
        if shown:
            layout.addItem(self.softmax_plot, row=1, col=2)
            layout.layout.setColumnStretchFactor(0, round(100 * (1 - SOFTMAX_SHARE)))
            layout.layout.setColumnStretchFactor(2, round(100 * SOFTMAX_SHARE))
        else:
            layout.removeItem(self.softmax_plot)
            layout.layout.setColumnStretchFactor(2, 0)

    def _draw_softmax(self, chosen: int):
        """softmax(ŷ_t) of the shown sequence at the chosen step if it carries a loss, else at the
        last loss step before it, else at the last one computed: a bar per class, and a ring at
        p = 1 over the target class (the target y_t is one-hot)."""
        data, classes = self._data, self._classes
        if classes is None or data is None:
            return
        loss_steps = np.flatnonzero(data.loss_steps[:data.computed])     # (those computed so far)
        if not len(loss_steps):
            self.softmax_bars.setOpts(x=[], height=[])
            self.softmax_target.setData([], [])
            style.set_fitting_title(self.softmax_plot, ["softmax(ŷₜ): not computed yet", "not computed yet"])
            return
        before = loss_steps[loss_steps <= chosen]
        t = int(before[-1] if len(before) else loss_steps[-1])
        p = data.probabilities[t]
        C = len(p)
        self.softmax_bars.setOpts(x=np.arange(C), height=p)
        self.softmax_target.setData([int(data.targets[t])], [1.0])
        stride = max(1, int(np.ceil(C / SOFTMAX_LABELS)))
        names = list(classes) if len(classes) >= C else [str(j) for j in range(C)]
        self.softmax_plot.getAxis("bottom").setTicks([[(j, names[j]) for j in range(0, C, stride)]])
        self.softmax_plot.setXRange(-0.6, C - 0.4, padding=0)
        shown = f"softmax({style.subscript('ŷ', t)})"
        style.set_fitting_title(self.softmax_plot, [f"{shown} · ○ target", shown, "softmax"])

    def _frame_step(self, step: int):
        """Text tasks: a dashed frame around the chosen step's column, a visible gap clear of every
        letter and bar. Its top and bottom edges pass above and below the rows; its sides run
        between the columns, where the letters may leave no room for a line beside them: beside
        those rows (and the bars) they are left out, the frame is in pieces,
        the top edge with its sides down to the first row, the bottom edge with its sides up to
        the last, and each side's stretch between two rows."""
        vb = self.outputs_plot.getViewBox()
        rows_per_px = vb.viewPixelSize()[1]
        if not self._framing or not self._ink or not rows_per_px > 0:
            self._show_frame([])
            return
        pen_px = style.line_width(FRAME_PEN)
        clear = (style.line_width(FRAME_GAP_PX) + 0.5 * pen_px) * rows_per_px
        low_view, high_view = vb.viewRange()[1]
        inside = 0.5 * pen_px * rows_per_px                   # (the whole line in view)
        low = max(min(ROWS["target"] - 0.5, self._ink[ROWS["target"]][0] - clear), low_view + inside)
        high = min(max(ROWS["input"] + 0.5, self._ink[ROWS["input"]][1] + clear), high_view - inside)
        beside = self._rows_beside_sides(vb.viewPixelSize()[0], pen_px)
        blocked = sorted([(bottom - clear, top + clear) for row, (bottom, top) in self._ink.items() if row in beside]
                         + [(self._bar_band[0] - clear, self._bar_band[1] + clear)])
        free, start = [], low                  # the heights a side may run at, between the rows
        for bottom, top in blocked:
            if bottom > start:
                free.append((start, min(bottom, high)))
            start = max(start, top)
        if start < high:
            free.append((start, high))
        top_reach = free.pop()[0] if free and free[-1][1] >= high else high
        bottom_reach = free.pop(0)[1] if free and free[0][0] <= low else low
        left, right = step - 0.5 * self._letter_stride, step + 0.5 * self._letter_stride
        self.step_band.setRegion((left, right))
        pieces = [([left, left, right, right], [top_reach, high, high, top_reach]),
                  ([left, left, right, right], [bottom_reach, low, low, bottom_reach])]
        for bottom, top in free:
            if top - bottom >= FRAME_PIECE * pen_px * rows_per_px:
                pieces += [([left, left], [bottom, top]), ([right, right], [bottom, top])]
        self._show_frame(pieces)

    def _rows_beside_sides(self, steps_per_px: float, pen_px: float) -> set:
        """The text rows whose widest letter reaches within FRAME_GAP_PX of a line between two
        columns: (column − letter) / 2 − pen / 2 < gap, in px. Beside the others (letters narrower
        than their column: many steps, or letters shrunk to keep room for the bars) the frame's
        sides run on unbroken."""
        shown = [item for item in self.letters if item.isVisible()]
        if not shown or not steps_per_px > 0:
            return set(self._ink)
        metrics = QFontMetricsF(shown[0].textItem.font())
        column = self._letter_stride / steps_per_px
        gap = style.line_width(FRAME_GAP_PX)
        return {row for row, text in self._row_text.items()
                if (column - max((metrics.tightBoundingRect(ch).width() for ch in set(text)), default=0.0)) / 2
                - pen_px / 2 < gap}

    def _show_frame(self, pieces):
        """The frame's pieces, each (xs, ys) one dashed line; the pieces left over hidden."""
        while len(self.step_frame) < len(pieces):
            piece = pg.PlotDataItem(pen=style.pen(style.ACCENT, FRAME_PEN, Qt.PenStyle.DashLine))
            piece.setZValue(-2)
            self.outputs_plot.addItem(piece, ignoreBounds=True)
            self.step_frame.append(piece)
        for i, piece in enumerate(self.step_frame):
            if i < len(pieces):
                piece.setData(*pieces[i])
            piece.setVisible(i < len(pieces))

    def _draw_numbers(self, data, classes=None):
        """Inputs as curves; a regression's prediction and targets too. A classification whose
        inputs are numbers (``classes``: how its classes are written) says its answers in words."""
        self._show_letters(0)
        self._show_text_marks(False)
        self._show_legend(True)
        style.set_fitting_title(self.outputs_plot, [])
        self.outputs_plot.getAxis("left").setLabel("value")
        T, channels = data.inputs.shape
        t = np.arange(T)
        while len(self.input_curves) < min(channels, len(INPUT_COLOURS)):
            colour = INPUT_COLOURS[len(self.input_curves)]
            curve = self.outputs_plot.plot(pen=style.pen(colour, 1.5))
            curve.setZValue(-1)            # (made after ŷ's curve: without this drawn over it, hiding a forecast ≈ x_t)
            self.legend.addItem(curve, f"xₜ{'' if channels == 1 else f' [{len(self.input_curves)}]'} input")
            style.fit_legend_row(self.legend)
            self.input_curves.append(curve)
        names = list(classes) if classes is not None else [str(i) for i in range(channels)]
        for i, curve in enumerate(self.input_curves):
            label = self.legend.getLabel(curve)
            if i < channels:
                style.set_curve(curve, t, data.inputs[:, i])
                curve.show()
                label.setText("xₜ input" if channels == 1 else f"xₜ [{names[i] if i < len(names) else i}]")
            else:
                curve.hide()
                label.setText("")
        style.fit_legend_row(self.legend)
        self._place_legend()
        done = data.computed
        self._list_outputs(classes is None)
        if classes is not None:
            self.prediction_curve.hide()
            self.target_points.hide()
            self.outputs_plot.enableAutoRange()
            steps = [t for t in np.flatnonzero(data.loss_steps) if t < done]
            nb = "\u00a0"       # (a line wraps between the parts, never inside one)
            self.summary.setText("; ".join(
                f"predicted{nb}{classes[data.predictions[t]]} (p{nb}={nb}{number(data.confidence[t], 2)}) · "
                f"target{nb}{classes[data.targets[t]]}" for t in steps[-2:]) or "not computed yet")
            return
        self.prediction_curve.show()
        style.set_curve(self.prediction_curve, t[:done], data.predictions[:done, 0])
        steps = np.flatnonzero(data.loss_steps)
        self.target_points.show()
        self.target_points.setData(steps, style.displayable(data.targets[steps, 0]))
        if len(steps):
            error = np.abs(data.predictions[steps[steps < done], 0] - data.targets[steps[steps < done], 0])
            self.summary.setText(f"mean |ŷ − y| = {number(error.mean())} over {len(steps)} loss step(s)"
                                 if len(error) else f"loss at {len(steps)} step(s)")
        self.outputs_plot.enableAutoRange()

    def _draw_text(self, data, vocabularies):
        for curve in self.input_curves:
            curve.hide()
        self.prediction_curve.hide()
        self.target_points.hide()
        self._show_legend(False)
        self._show_text_marks(True)
        plot = self.outputs_plot
        style.set_fitting_title(plot, [TEXT_TITLE, SHORT_TEXT_TITLE])   # (its rows are named xₜ, ŷₜ, yₜ)
        plot.getAxis("left").setLabel("")
        plot.getAxis("left").setTicks([[(ROWS["input"], "xₜ"), (ROWS["prediction"], "ŷₜ"), (ROWS["target"], "yₜ")]])
        T = len(data.targets)
        stride = max(1, int(np.ceil(T / MAX_LETTERS)))
        steps = np.arange(0, T, stride)
        written, vocab = vocabularies
        inputs = [written[i] if data.inputs[t, i] != 0 and i < len(written) else "·"
                  for t, i in enumerate(np.argmax(data.inputs, axis=-1))]
        rows = []
        confidences = []
        self._row_text = {row: "" for row in ROWS.values()}
        for t in steps:
            rows.append((t, ROWS["input"], inputs[t], style.FOREGROUND))
            rows.append((t, ROWS["target"], vocab[data.targets[t]], style.FOREGROUND))
            if t < data.computed and data.loss_steps[t]:
                correct = data.predictions[t] == data.targets[t]
                confidences.append((t, float(data.confidence[t]), bool(correct)))
                rows.append((t, ROWS["prediction"], vocab[data.predictions[t]], RIGHT if correct else WRONG))
        self._show_letters(len(rows))
        self._letter_points, self._letter_stride = max(9, min(18, int(600 / max(len(steps), 1)))), stride
        for item, (t, row, letter, colour) in zip(self.letters, rows):
            item.setText(letter, color=pg.mkColor(colour))      # (at full strength: the bars say how sure)
            item.setPos(t, row)
            self._row_text[row] += letter
        self._confidences = np.array(confidences, dtype=float).reshape(-1, 3)
        right, scored = int(self._confidences[:, 2].sum()), len(self._confidences)
        plot.setXRange(-0.5, T - 0.5, padding=0.02)
        plot.setYRange(-0.6, 2.6, padding=0)
        self._fit_letters()
        self.summary.setText(f"{right} of {scored} predicted letters right" if scored else "")

    def _fit_letters(self):
        """The letters at their base size under the look, or smaller where a letter would be wider
        than its step's column (a projector's larger font on a narrow screen would run them into
        each other and past the steps they belong to), or where the rows are too close to keep a
        confidence bar BAR_PX high between the ŷ and y letters (a short dock)."""
        shown = [item for item in self.letters if item.isVisible()]
        steps_per_px, rows_per_px = self.outputs_plot.getViewBox().viewPixelSize()
        if not shown or not steps_per_px > 0:
            return
        column = self._letter_stride / steps_per_px
        font = style.mono_font(self._letter_points)
        width = QFontMetricsF(font).horizontalAdvance("W")
        scale = min(1.0, LETTER_SHARE * column / width)
        if rows_per_px > 0:
            ink = self._row_ink_px(font)
            letters_high = ink[ROWS["prediction"]][0] + ink[ROWS["target"]][1]     # ŷ's part under its row, y's above
            room = 1 / rows_per_px - (style.line_width(BAR_PX) + 2 * BAR_GAP_PX + HINTING_PX)
            if letters_high > 0 and room > 0:
                scale = min(scale, room / letters_high)
        if scale < 1.0:
            font.setPointSizeF(max(1.0, font.pointSizeF() * scale))
        for item in shown:
            if item.textItem.font() != font:
                item.setFont(font)
        self._fit_confidence_bars(font)
        self._frame_step(self.state.selection.step)

    def _fit_confidence_bars(self, font):
        """Each prediction's bar in the gap between its letter and the target letter below it (just
        under the predicted letter, clear of both rows' ink), BAR_PX high at the look where the gap
        has room, left-aligned in the letter's column and as long as its probability (its track: p = 1)."""
        if not self.confidence_bars.isVisible():
            return
        rows_per_px = self.outputs_plot.getViewBox().viewPixelSize()[1]
        if not rows_per_px > 0:
            return
        self._ink = {row: (row - below * rows_per_px, row + above * rows_per_px)
                     for row, (below, above) in self._row_ink_px(font).items()}
        gap = BAR_GAP_PX * rows_per_px
        under_prediction = self._ink[ROWS["prediction"]][0] - gap
        over_target = self._ink[ROWS["target"]][1] + gap
        thickness = max(min(style.line_width(BAR_PX) * rows_per_px, under_prediction - over_target), rows_per_px)
        y0 = under_prediction - thickness
        self._bar_band = (y0, under_prediction)
        steps, probability, right = self._confidences.T
        full = LETTER_SHARE * self._letter_stride
        left = steps - 0.5 * full
        n = len(steps)
        self.confidence_track.setOpts(x0=left, y0=np.full(n, y0), width=np.full(n, full), height=np.full(n, thickness))
        self.confidence_bars.setOpts(x0=left, y0=np.full(n, y0), width=full * probability, height=np.full(n, thickness),
                                     brushes=[pg.mkBrush(RIGHT if r else WRONG) for r in right])

    def _row_ink_px(self, font) -> dict[int, tuple[float, float]]:
        """Each text row's ink in ``font``: (how far under, how far over) the row's height it
        reaches, in px. The tight outline of the letters the row shows (capitals end at their cap
        height; lower case has ascenders and descenders), each letter's line centred on the row."""
        metrics = QFontMetricsF(font)
        baseline = 0.5 * (metrics.ascent() - metrics.descent())     # below a letter's centre (px)
        ink = {}
        for row, text in self._row_text.items():
            outline = metrics.tightBoundingRect(text or "X")         # (y down from the baseline)
            ink[row] = (baseline + outline.bottom(), -(baseline + outline.top()))
        return ink

    def _show_text_marks(self, shown: bool):
        """A text task's step frame and confidence bars instead of the numbers' step line (and its
        rows' ticks outside the plot, clear of the first letters)."""
        self.step_line.setVisible(not shown)
        self.outputs_plot.getAxis("left").setStyle(tickLength=TICK_PX if shown else -TICK_PX)
        for item in (self.confidence_track, self.confidence_bars):
            item.setVisible(shown)
        self._framing = shown
        self.step_band.setVisible(shown)
        if not shown:
            self._show_frame([])

    def restyle(self):
        """(called by style.restyle at a new look: the rings grow with the lines)"""
        self.target_points.setSize(style.line_width(TARGET_PX))
        self.target_points.setPen(style.pen(style.FOREGROUND, 1.8))
        self._place_legend()
        self._fit_letters()

    def _list_outputs(self, listed: bool):
        """ŷ_t and y_t in the legend only while they are drawn (a row of hidden entries would widen it)."""
        for item, name in ((self.prediction_curve, "ŷₜ prediction"), (self.target_points, "yₜ target")):
            present = self.legend.getLabel(item) is not None
            if listed and not present:
                self.legend.addItem(item, name)
            elif not listed and present:
                self.legend.removeItem(item)
        style.fit_legend_row(self.legend)

    def _show_legend(self, shown: bool):
        """The numbers' plot has its legend; text tasks have a title instead (and all the room)."""
        self.legend._explorer_holder.setVisible(shown)
        style.fit_legend_row(self.legend)

    def _show_letters(self, count: int):
        while len(self.letters) < count:
            item = pg.TextItem(anchor=(0.5, 0.5))
            self.outputs_plot.addItem(item)
            self.letters.append(item)
        for i, item in enumerate(self.letters):
            item.setVisible(i < count)
        if count == 0:
            self.outputs_plot.getAxis("left").setTicks(None)
