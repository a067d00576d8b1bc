"""The data of one sequence over time: what goes in (x_t), what the network predicts (ŷ_t) and
what it should have predicted (y_t). Curves for numbers; letters for text tasks, each prediction
green where it is the target and red where it is not. The sequence shown is chosen here (and
every other view follows it)."""

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
steps that carry a loss. Text: the input letter, the predicted letter (green: right, red: wrong;
brighter = more probable) and the target letter.<br>
Choose the sequence with the spin box: every view shows the sequence chosen here."""

INPUT_COLOURS = ("#7fa6d9", "#a0a0a0", "#8fc98f", "#b9a3d6")   # light: the inputs sit behind ŷ and y
TEXT_TITLE = "input xₜ · prediction ŷₜ · target yₜ"
PREDICTION = "#d95f02"
RIGHT, WRONG = "#1a7f37", "#c00000"
MAX_LETTERS = 80         # letters drawn per row; beyond, every k-th step is labelled
LETTER_SHARE = 0.9       # a letter is at most this share of its step's column wide
TARGET_PX = 9            # the target rings' diameter at the normal look
SIDE_LEGEND_RATIO = 2.0  # the legend goes beside the plot on a canvas this many times as wide as high


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
        self.letters = []                  # TextItems reused between refreshes (text tasks)
        self._letter_points, self._letter_stride = 18, 1
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
        if task.loss == "xent" and task.one_hot_inputs:
            self._draw_text(data, symbols(task))
        else:
            self._draw_numbers(data, symbols(task)[1] if task.loss == "xent" else None)
        self._on_selection()

    def _draw_numbers(self, data, classes=None):
        """Inputs as curves; a regression's prediction and targets too. A classification whose
        inputs are numbers (``classes``: how its classes are written) says its answers in words."""
        self._show_letters(0)
        self._show_legend(True)
        style.set_title(self.outputs_plot, None)
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
        plot = self.outputs_plot
        style.set_title(plot, TEXT_TITLE)
        plot.getAxis("left").setLabel("")
        plot.getAxis("left").setTicks([[(2, "xₜ"), (1, "ŷₜ"), (0, "yₜ")]])
        T = len(data.targets)
        stride = max(1, int(np.ceil(T / MAX_LETTERS)))
        steps = np.arange(0, T, stride)
        written, vocab = vocabularies
        inputs = [written[i] if data.inputs[t, i] != 0 and i < len(written) else "·"
                  for t, i in enumerate(np.argmax(data.inputs, axis=-1))]
        rows = []
        right = 0
        scored = 0
        for t in steps:
            rows.append((t, 2, inputs[t], style.FOREGROUND, 1.0))
            rows.append((t, 0, vocab[data.targets[t]], style.FOREGROUND, 1.0))
            if t < data.computed and data.loss_steps[t]:
                correct = data.predictions[t] == data.targets[t]
                right += bool(correct)
                scored += 1
                rows.append((t, 1, vocab[data.predictions[t]], RIGHT if correct else WRONG,
                             0.35 + 0.65 * float(data.confidence[t])))
        self._show_letters(len(rows))
        self._letter_points, self._letter_stride = max(9, min(18, int(600 / max(len(steps), 1)))), stride
        for item, (t, row, letter, colour, alpha) in zip(self.letters, rows):
            color = pg.mkColor(colour)
            color.setAlphaF(alpha)
            item.setText(letter, color=color)
            item.setPos(t, row)
        plot.setXRange(-0.5, T - 0.5, padding=0.02)
        plot.setYRange(-0.6, 2.6, padding=0)
        self._fit_letters()
        self.summary.setText(f"{right} of {scored} predicted letters right" if scored else "")

    def _fit_letters(self):
        """The letters at their base size under the look, or smaller where a letter would be wider
        than its step's column (a projector's larger font on a narrow screen would run them into
        each other and past the steps they belong to)."""
        shown = [item for item in self.letters if item.isVisible()]
        pixel = self.outputs_plot.getViewBox().viewPixelSize()[0]      # (steps per pixel)
        if not shown or not pixel > 0:
            return
        column = self._letter_stride / pixel
        font = style.mono_font(self._letter_points)
        width = QFontMetricsF(font).horizontalAdvance("W")
        if width > LETTER_SHARE * column:
            font.setPointSizeF(max(1.0, font.pointSizeF() * LETTER_SHARE * column / width))
        for item in shown:
            if item.textItem.font() != font:
                item.setFont(font)

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
