"""How the gradient flows back through time: its norm per step, the step Jacobians, and the
sensitivity matrix S[t, k] = ‖∂L_t/∂h_k‖."""

import math

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QFontMetricsF

import pyqtgraph as pg

from ..notation import number
from . import style

MAX_DECADES = 30
MAX_IMAGE_PX = 1024           # the sensitivity image is drawn at most this many rows and columns
CELL_NAME = "‖∂L/∂c<sub>t</sub>‖"
CELL_STATE = "#2ca02c"     # the LSTM's cell-state gradient
BOTTOM_LAYER = "#8c564b"   # a stacked network's bottom layer's ‖∂L/∂h_t‖
BOTTOM_NAME = "‖∂L/∂h<sub>t</sub>‖ of layer 0 (bottom)"
BOUND_NAME = "bound (γσ<sub>max</sub>)<sup>t−k</sup>"   # legend entries are rich text
NORM_NAME = "‖∂L/∂h<sub>t</sub>‖"
JAC_TITLE = "‖∂s<sub>t</sub>/∂s<sub>t−1</sub>‖<sub>2</sub>"
NO_SENSITIVITY = "finish the backward pass\nto see the sensitivity"
TICK_MARGIN_LINES = 0.25     # the Jacobian plot's room above its top label and below its bottom one, in lines
MIN_JACOBIAN_SPAN = 0.1        # the Jacobian plot spans at least this share of its values' size
ROWS_LABEL, ONE_ROW_LABEL = "loss step t", "t"    # the sensitivity matrix's rows, and its one row
MIN_LINES = (4.8, 6.6, 4.8)     # the plots' least heights, in lines of tick labels (title, axis, ticks), one loss row
MANY_LOSS_MIN_LINES = (4.8, 6.6, 6.6)   # and with many (the triangle of S needs a few rows of ticks)
ONE_LOSS_SHARES = (5, 3, 3)     # heights of ‖∂L/∂h_t‖, the Jacobian norms and S, with one loss row
MANY_LOSS_SHARES = (4, 2, 5)    # and with a loss at many steps (S is a triangle)
NO_NORMS = "step the backward pass\nto see ‖∂L/∂hₜ‖"
OVERFLOW = "the gradient overflowed:\nno finite ‖∂L/∂hₜ‖"
SENS_MATH = "‖∂L<sub>t</sub>/∂h<sub>k</sub>‖"
SENS_TITLE = "Sensitivity " + SENS_MATH
SENS_OVERFLOW = "overflowed: none finite"   # (one short line: a one-row heatmap is short and narrow at 1280 px)
TOO_LARGE = "sensitivity not computed:\nthe network is too large for it"

NORM_TOOLTIP = """<b>‖∂L/∂h<sub>t</sub>‖</b> of the top layer against the step t (log scale, Frobenius norm
over the batch and units). Only steps the backward pass has reached are drawn.<br>
Dashed: the bound of Pascanu, Mikolov &amp; Bengio (2013) for the vanilla cell,
‖∂L<sub>t*</sub>/∂h<sub>k</sub>‖ ≤ ‖∂L<sub>t*</sub>/∂h<sub>t*</sub>‖ (γσ<sub>max</sub>)<sup>t*−k</sup>, t* the last
step with a loss, γ = sup|φ'|, σ<sub>max</sub> = ‖W<sub>hh</sub>‖<sub>2</sub>.<br>
Shaded bands: truncation segments. Pink line: the next backward visit."""

JAC_TOOLTIP = """<b>‖∂s<sub>t</sub>/∂s<sub>t−1</sub>‖<sub>2</sub></b>, the spectral norm of one step's Jacobian
(vanilla: s = h, diag(φ'(a<sub>t</sub>)) W<sub>hh</sub>; LSTM: s = (h, c)) for the selected layer and sequence.
Below 1 (dashed) the gradient shrinks through that step, above 1 it can grow."""

SENS_TOOLTIP = """<b>Sensitivity</b> S[t, k] = ‖∂L<sub>t</sub>/∂h<sub>k</sub>‖ (top layer, full untruncated
graph), colour = log<sub>10</sub> S; row t = the loss term, column k = the state it reaches.
Blank: k &gt; t or a step without a loss."""

TOOLTIP = (f"<b>Gradient flow</b><br><b>Top</b>: {NORM_TOOLTIP}<br><b>Middle</b>: {JAC_TOOLTIP}<br>"
           f"<b>Bottom</b>: {SENS_TOOLTIP}<br>Right-click → Export saves PNG/SVG/CSV.")


def round_step(least: float) -> float:
    """The smallest of 1, 2, 5 × 10ⁿ that is at least ``least`` (> 0)."""
    exponent = math.floor(math.log10(least))
    for power in (exponent, exponent + 1):
        for mantissa in (1, 2, 5):
            if mantissa * 10.0 ** power >= least * (1 - 1e-9):
                return mantissa * 10.0 ** power
    return 10.0 ** (exponent + 2)


def multiples(step: float, low: float, high: float) -> list:
    """The multiples of ``step`` from ``low`` to ``high``."""
    return [k * step for k in range(math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9) + 1)]


def two_ticks_range(low: float, high: float, px: float, line: float) -> tuple:
    """A y range holding [low, high] (and a tenth of it above and below) and two round values
    (multiples of 1, 2 or 5 × 10ⁿ) :data:`JacobianAxis.ROOM_LINES` lines apart or more on an axis
    ``px`` pixels high (``line``: a tick label's height), with :data:`TICK_MARGIN_LINES` lines
    above and below them (the end labels inside the plot): the smallest such range."""
    pad = 0.1 * (high - low)                                  # (the curve clear of the frame)
    low, high = low - pad, high + pad
    if px <= 0 or line <= 0:
        return low, high
    margin = min(TICK_MARGIN_LINES * line / px, 0.2)         # a share of the height, at each end
    room = JacobianAxis.ROOM_LINES * line / px                # a share of the height, between labels
    if room >= 1 - 2 * margin:                                # (no height for two labels: as it is)
        return low, high
    step = round_step((high - low) * room)
    for _ in range(40):
        first = math.floor(low / step)
        a, b = min(((min(low, k * step), max(high, (k + 1) * step)) for k in range(first - 1, first + 3)),
                   key=lambda ab: ab[1] - ab[0])           # (two neighbouring multiples, the least added)
        span = (b - a) / (1 - 2 * margin)
        if step >= room * span * (1 - 1e-9):
            return a - margin * span, b + margin * span
        step = round_step(step * 1.01)
    return low, high


class JacobianAxis(style.RoomyAxis):
    """The step-Jacobian strip's axis: where its round numbers with room leave a single label, the
    multiples of the smallest round step that has room (two at least in the range the view sets:
    :func:`two_ticks_range`), so that its scale can be read. Its labels need less room between
    them than other axes' (a line and a twentieth: still apart), so that two fit on the strip a
    presentation at 1280 × 800 leaves it, about a line and a half high."""

    ROOM_LINES = 1.05

    def tickValues(self, minVal, maxVal, size):
        levels = super().tickValues(minVal, maxVal, size)
        if sum(len(values) for _, values in levels) >= 2 or maxVal <= minVal or size <= 0:
            return levels
        line = QFontMetricsF(self.style["tickFont"] or QFont()).height()
        step = round_step(self.ROOM_LINES * line * (maxVal - minVal) / size)
        values = multiples(step, minVal, maxVal)
        if len(values) < 2:
            return levels
        self._shown_values, self._label_spacing = values, step
        return [(step, values)]


class GradientFlowView(style.CanvasView):
    """‖∂L/∂h_t‖ (log) with the bound, ‖∂s_t/∂s_{t−1}‖₂, and the sensitivity heatmap."""

    def __init__(self, state, parent=None):
        super().__init__(state, TOOLTIP, parent)

        # (a) gradient norm per step
        # one column, so the dock can be narrow: ‖∂L/∂h_t‖, the step Jacobians, then the sensitivity
        # heatmap (its colour bar in a second, narrow column); the step axes line up.
        # its legend is its heading, in a row of its own: it never covers the curves
        self.norm_plot = self.canvas.addPlot(row=1, col=0, colspan=2)
        style.style_plot(self.norm_plot, None, left=NORM_NAME)
        self.norm_plot.setToolTip(NORM_TOOLTIP)
        style.log_y(self.norm_plot)
        style.integer_axis(self.norm_plot, "bottom")
        self.norm_plot.getAxis("bottom").setStyle(showValues=False)   # the step plot below has them
        self.norm_plot.hideButtons()
        self.legend = style.legend_row(self.canvas.ci, self.norm_plot, row=0, colspan=2)
        self.legend.setToolTip(NORM_TOOLTIP)
        self.norm_curve = self.norm_plot.plot(pen=style.pen(style.CURVE_BLUE, 2.5), symbol="o", symbolSize=7,
                                              symbolBrush=style.CURVE_BLUE, symbolPen=None,
                                              connect="finite", name=NORM_NAME)
        self.bound_curve = self.norm_plot.plot(pen=style.pen(style.CLIP_RED, 2, Qt.PenStyle.DashLine),
                                               connect="finite", name=BOUND_NAME)
        # LSTM: the gradient along the cell state, the constant error carousel (∂L/∂c_{t−1} = ∂L/∂c_t ⊙ f_t)
        self.cell_curve = self.norm_plot.plot(pen=style.pen(CELL_STATE, 2.5), symbol="d", symbolSize=7,
                                              symbolBrush=CELL_STATE, symbolPen=None, connect="finite")
        # a stacked network: the bottom layer's, under the top's (the top's curve is the one drawn first)
        self.bottom_curve = self.norm_plot.plot(pen=style.pen(BOTTOM_LAYER, 2.5, Qt.PenStyle.DotLine), symbol="s",
                                                symbolSize=6, symbolBrush=BOTTOM_LAYER, symbolPen=None, connect="finite")
        self.shading = style.SegmentShading(self.norm_plot)
        self.reference_curves = []         # runs kept for comparison (A/B), dashed, named in the legend
        self.visit_line = pg.InfiniteLine(angle=90, movable=False, pen=style.pen(style.BACKWARD, 2.5))
        self.norm_plot.addItem(self.visit_line, ignoreBounds=True)
        self.norm_empty = style.overlay_text(self.norm_plot, NO_NORMS)
        style.fit_legend_row(self.legend)

        # (a') step Jacobian norms
        self.jac_plot = self.canvas.addPlot(row=2, col=0, colspan=2, axisItems={"left": JacobianAxis("left")})
        style.style_plot(self.jac_plot, JAC_TITLE, left="norm", bottom="step t")
        self.jac_plot.setToolTip(JAC_TOOLTIP)
        self.jac_plot.hideButtons()
        style.integer_axis(self.jac_plot, "bottom")
        self.jac_plot.setXLink(self.norm_plot)
        self.jac_curve = self.jac_plot.plot(pen=style.pen("#2e8b57", 2.5), symbol="s", symbolSize=6,
                                            symbolBrush="#2e8b57", symbolPen=None, connect="finite",
                                            name=JAC_TITLE)    # (its name in a table: the title says more)
        # every step's Jacobian norm is at most γσ_max for the vanilla cell (1 drawn for gated cells);
        # the line is named in the title (a label inside this short plot would sit on the curve)
        self.one_line = pg.InfiniteLine(pos=1.0, angle=0, movable=False,
                                        pen=style.pen(style.CLIP_RED, 1.5, Qt.PenStyle.DashLine))
        self.jac_plot.addItem(self.one_line)
        self.jac_shading = style.SegmentShading(self.jac_plot)

        # (b) sensitivity matrix
        self.sens_plot = self.canvas.addPlot(row=3, col=0)
        style.style_plot(self.sens_plot, SENS_TITLE, left=ROWS_LABEL, bottom="state step k")
        self.sens_plot.setToolTip(SENS_TOOLTIP)
        self.sens_plot.hideButtons()
        style.integer_axis(self.sens_plot, "bottom")
        style.integer_axis(self.sens_plot, "left")
        self.sens_image = pg.ImageItem(axisOrder="row-major")
        self.sens_plot.addItem(self.sens_image)
        self.sens_bar = style.color_bar(style.colormap(style.SEQUENTIAL), "log₁₀ S")
        self.sens_bar.setImageItem(self.sens_image)
        self.sens_bar.setToolTip(SENS_TOOLTIP)
        self.canvas.addItem(self.sens_bar, row=3, col=1)
        self.sens_message = style.overlay_text(self.sens_plot, NO_SENSITIVITY)
        grid = self.canvas.ci.layout
        grid.setColumnStretchFactor(0, 1)
        grid.setColumnStretchFactor(1, 0)
        grid.setRowStretchFactor(0, 0)
        self._shares = None
        self._jac_label_dropped = False      # (the Jacobian plot's "step t", dropped where the room is short)
        self._set_shares(ONE_LOSS_SHARES)
        self._sens_ticks = None
        self.canvas.ci.setSpacing(2)

        self._T = None
        self._steps_shown = None           # (first, last) zoomed to, or None: every step
        self._norm_levels = self._jac_titles = self._jac_range = None
        self.jac_plot.getViewBox().sigResized.connect(self._set_jacobian_range)   # (the labels' room: its height)
        self.sens_plot.getViewBox().sigResized.connect(self._align_sens_bar)
        state.passChanged.connect(self.refresh)
        state.referencesChanged.connect(self.refresh)  # every new config or params ends in a passChanged
        state.selectionChanged.connect(self._on_selection)
        self._selection = (state.selection.layer, state.selection.batch_index)
        self.refresh()

    # ------------------------------------------------------------------ data (what is drawn)
    def norm_data(self):
        """(t, ‖∂L/∂h_t‖ of the top layer over the batch) with NaN where the norm is 0 (not reached,
        or nothing flows there)."""
        result = self.state.result
        return np.arange(result.seq_len, dtype=float), style.positive_or_nan(result.dh_norm_batch[-1])

    def bound_data(self):
        return style.positive_or_nan(self.state.result.bound)

    def sensitivity_shown(self):
        """S[t, k] of the rows from the first to the last loss step t (columns k), each pixel its
        block's largest value when there are more than MAX_IMAGE_PX rows or columns
        (:func:`style.block_max`); None before the pass ends."""
        S = self.state.result.sensitivity
        if S is None:
            return None
        first, last = self._loss_rows()
        return style.block_max(S.dense(first, last), (MAX_IMAGE_PX, MAX_IMAGE_PX))

    def sensitivity_image(self):
        """log10 of :meth:`sensitivity_shown`, NaN (transparent) where S = 0; None before the pass ends."""
        shown = self.sensitivity_shown()
        return None if shown is None else style.log10_or_nan(shown)

    def _loss_rows(self) -> tuple:
        """(first, last) step that carries a loss (the sensitivity's other rows are blank)."""
        rows = np.flatnonzero(self.state.result.loss_steps)
        return (int(rows[0]), int(rows[-1])) if rows.size else (0, self.state.result.seq_len - 1)

    # ------------------------------------------------------------------ redraw
    def refresh(self):
        result = self.state.result
        T = result.seq_len
        t, norms = self.norm_data()
        style.set_curve(self.norm_curve, t, norms)
        bound = self.bound_data()
        has_bound = bool(np.any(~np.isnan(bound)))
        style.set_curve(self.bound_curve, t, bound)
        self.bound_curve.setVisible(has_bound)
        if has_bound and self.legend.getLabel(self.bound_curve) is None:
            self.legend.addItem(self.bound_curve, BOUND_NAME)
            style.fit_legend_row(self.legend)
        elif not has_bound and self.legend.getLabel(self.bound_curve) is not None:
            self.legend.removeItem(self.bound_curve)
            style.fit_legend_row(self.legend)
        self._draw_more_norms(t)
        self._draw_references(T)
        self.shading.update(result.segments, result.carry_factors)
        self.jac_shading.update(result.segments, result.carry_factors)
        visit = result.next_visit
        self.visit_line.setVisible(result.forward_complete and visit is not None)
        if visit is not None:
            self.visit_line.setValue(visit[1])
        compared = [style.positive_or_nan(r.dh_norm) for r in self._compared(T)]
        compared.append(style.positive_or_nan(result.dc_norm_batch[-1]))
        self._set_norm_range(np.concatenate([norms, *compared]), bound)     # (the runs compared in view too)
        self.norm_empty.setVisible(bool(np.all(np.isnan(norms))))
        overflow = not np.all(np.isfinite(result.dh_norm_batch[-1]))
        self.norm_empty.setText(OVERFLOW if overflow else NO_NORMS)
        self._draw_jacobians()
        self._draw_sensitivity()
        if T != self._T:
            self._T = T
            symbols = T <= 60                  # markers only while they do not merge into a band
            self.norm_curve.setSymbol("o" if symbols else None)
            self.jac_curve.setSymbol("s" if symbols else None)
            self._show_step_range()
        style.center_overlay(self.norm_plot, self.norm_empty)

    def show_steps(self, steps):
        """Zoom the step axis to the steps (first, last), kept while the sequence changes; None: every step."""
        self._steps_shown = None if steps is None else (int(steps[0]), int(steps[1]))
        if self._T is not None:
            self._show_step_range()

    def _steps_in_view(self, T) -> tuple:
        """(first, last) step the step axes show: those zoomed to, else every one."""
        return (0, T - 1) if self._steps_shown is None else \
            (min(self._steps_shown[0], T - 1), min(self._steps_shown[1], T - 1))

    def _show_step_range(self):
        first, last = self._steps_in_view(self._T)
        self.norm_plot.setXRange(first - 0.5, last + 0.5, padding=0.02)
        self.sens_plot.setXRange(first - 0.5, last + 0.5, padding=0.02)      # (its state steps k: the same steps)

    def _compared(self, T) -> list:
        """The runs compared that have T steps, as this pass (those of another length are not drawn)."""
        return [r for r in self.state.runs_compared if r.dh_norm.shape == (T,)]

    def _draw_more_norms(self, t):
        """‖∂L/∂c_t‖ of the top layer (LSTM only); in a stacked network, ‖∂L/∂h_t‖ of the bottom
        layer too (which layer the gradient reaches less is what stacking asks: drawn, not only
        measured). Each in the legend while it is drawn."""
        result = self.state.result
        bottom = result.dh_norm_batch[0] if result.dh_norm_batch.shape[0] > 1 else np.zeros_like(t)   # (0: not drawn)
        for curve, values, name in ((self.cell_curve, result.dc_norm_batch[-1], CELL_NAME),
                                    (self.bottom_curve, bottom, BOTTOM_NAME)):
            values = style.positive_or_nan(values)
            shown = bool(np.any(np.isfinite(values)))
            style.set_curve(curve, t, values)
            curve.setVisible(shown)
            listed = self.legend.getLabel(curve) is not None
            if shown != listed:
                if shown:
                    self.legend.addItem(curve, name)
                else:
                    self.legend.removeItem(curve)
                style.fit_legend_row(self.legend)

    def _draw_references(self, T):
        """The runs compared: each one's ‖∂L/∂h_t‖ in the legend by its name (only those of the
        same length T, drawn on the same steps): those kept, dashed, and side B of an A/B
        comparison, solid."""
        references = self._compared(T)
        layers = self.state.result.record.spec.num_layers
        name = (NORM_NAME + (f" of layer {layers - 1} (top)" if layers > 1 else "")     # (the layer: one of several)
                + (f" ({self.state.run_label})" if references else ""))     # beside the runs compared: named
        if self.legend.getLabel(self.norm_curve).text != name:
            self.legend.getLabel(self.norm_curve).setText(name)
            style.fit_legend_row(self.legend)
        while len(self.reference_curves) < len(references):
            curve = self.norm_plot.plot(connect="finite")
            curve.setZValue(-5)
            curve.drawn_as = None
            self.reference_curves.append(curve)
        for i, curve in enumerate(self.reference_curves):
            label = f"{references[i].label}" if i < len(references) else None
            if label is not None:
                live = references[i].live
                colour = style.SIDE_B if live else style.REFERENCE_COLOURS[i % len(style.REFERENCE_COLOURS)]
                if curve.drawn_as != (colour, live):
                    curve.setPen(style.pen(colour, 2.5, Qt.PenStyle.SolidLine if live else Qt.PenStyle.DashLine))
                    curve.drawn_as = (colour, live)
                style.set_curve(curve, np.arange(T), style.positive_or_nan(references[i].dh_norm))
            curve.setVisible(label is not None)
            listed = self.legend.getLabel(curve)
            if label is not None and (listed is None or listed.text != label):
                if listed is not None:
                    self.legend.removeItem(curve)
                self.legend.addItem(curve, label)
                style.fit_legend_row(self.legend)
            elif label is None and listed is not None:
                self.legend.removeItem(curve)
                style.fit_legend_row(self.legend)

    def _set_norm_range(self, norms, bound):
        """y range (log10) from the measured norms; the bound may run off it by at most 4 decades."""
        lo, hi = style.log_levels(norms, max_decades=MAX_DECADES, default=(-4.0, 0.0))
        blo, bhi = style.log_levels(bound, default=(lo, hi))
        lo, hi = min(lo, max(blo, lo - 4)), max(hi, min(bhi, hi + 4))
        if (lo, hi) != self._norm_levels:          # (a range set again re-lays the plot out: only when it moves)
            self._norm_levels = lo, hi
            self.norm_plot.setYRange(lo - 0.2, hi + 0.2, padding=0)

    def _draw_jacobians(self):
        layer = self.state.selection.layer
        result = self.state.result
        norms = result.jacobian_norms[layer]
        style.set_curve(self.jac_curve, np.arange(norms.size), norms)
        spec, batch = result.record.spec, result.jacobian_sequence
        parts = [JAC_TITLE]            # what s is, which layer and sequence: only when it matters
        if spec.has_cell_state:
            parts.append("s = (h, c)")
        if spec.num_layers > 1:
            parts.append(f"layer {layer}")
        if self.state.config.batch > 1:
            parts.append(f"seq {batch}")
        regime = result.regime
        red = lambda text: f"<span style='color:{style.CLIP_RED}'>‒ ‒ {text}</span>"   # the dashed line
        if spec.cell == "rnn" and np.isfinite(regime.gamma * regime.sigma_max):
            self.one_line.setValue(regime.gamma * regime.sigma_max)
            value = number(regime.gamma * regime.sigma_max)
            line, short = red(f"≤ γσ<sub>max</sub> = {value}"), red(value)
        else:
            self.one_line.setValue(1.0)
            line = short = red("1")
        # (a narrow plot drops the layer and sequence, then the words)
        titles = [" · ".join(parts + [line]), f"{JAC_TITLE} · {line}", f"{JAC_TITLE} · {short}"]
        if titles != self._jac_titles:             # (chosen again at each resize by the plot itself)
            self._jac_titles = titles
            style.set_fitting_title(self.jac_plot, titles)
        self._set_jacobian_range()

    def _set_jacobian_range(self, *_):
        """The Jacobian plot's y range: every norm and the dashed line, at least a tenth of their size
        (0.2499 … 0.2500 is flat, not a deep dip), and two round values its axis labels (a scale one
        can read: 2.0 and 2.2, not 2.2 alone), however short the strip."""
        norms = self.state.result.jacobian_norms[self.state.selection.layer]
        values = np.append(norms[np.isfinite(norms)], self.one_line.value())
        values = values[np.abs(values) < style.DISPLAY_LIMIT]
        low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
        least = MIN_JACOBIAN_SPAN * max(abs(high), abs(low))
        if high - low < least:
            middle = (low + high) / 2
            low, high = middle - least / 2, middle + least / 2
        if high == low:                                   # (every norm 0)
            low, high = low - 0.5, high + 0.5
        box = self.jac_plot.getViewBox()
        axis = self.jac_plot.getAxis("left")
        low, high = two_ticks_range(low, high, box.height(), QFontMetricsF(axis.style["tickFont"] or QFont()).height())
        if (low, high) != self._jac_range:         # (a range set again re-lays the plot out: only when it moves)
            self._jac_range = low, high
            box.setYRange(low, high, padding=0)

    def least_height(self) -> int:
        """The height the view needs to show its three plots at their least (:data:`MIN_LINES`) and
        its legend row: what a lesson box above it leaves it, where it can."""
        if self._shares is None:
            return 0
        holder, grid = self.legend._explorer_holder, self.canvas.ci.layout
        _, top, _, bottom = grid.getContentsMargins()
        legend = holder.minimumHeight() + grid.verticalSpacing() if holder.isVisible() else 0
        return round(top + sum(self._shares[1]) + 2 * grid.verticalSpacing() + legend + bottom)

    def _align_sens_bar(self, *_):
        """The colour bar as high as the sensitivity image beside it, not as its whole row: the
        numbers at its ends stay inside the canvas (at the row's foot, under the plot's axis, the
        lowest was cut in half by the canvas's edge)."""
        image = self.sens_plot.getViewBox().sceneBoundingRect()
        row = self.sens_plot.sceneBoundingRect()
        left, _, right, _ = self.sens_bar.getContentsMargins()
        self.sens_bar.setContentsMargins(left, max(0.0, image.top() - row.top()), right,
                                         max(0.0, row.bottom() - image.bottom()))

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit_to_room()

    def _fit_to_room(self):
        """Given less height than its three plots need at their least (presenting at 1024 × 768 the
        lesson box's claims come first, and "state step k" was cut in half at the panel's foot), the
        Jacobian plot drops its bottom axis's label ("step t": the plot above it reads the same
        steps) and the line it takes."""
        if self._shares is None:
            return
        short = self.canvas.height() < self.least_height()
        if short != self._jac_label_dropped:
            self._jac_label_dropped = short
            axis = self.jac_plot.getAxis("bottom")
            axis.showLabel(not short)
            label_line = round(style.line_px(style.AXIS_PT)) if short else 0
            self.jac_plot.setMinimumHeight(self._shares[1][1] - label_line)
            self.canvas.ci.setGeometry(self.canvas.range)   # (laid out again in the canvas's height)

    def restyle(self):
        """Called by style.restyle after the look changed: the plots' least heights are lines of the
        look's text (opened before presenting, a lesson's plots kept the normal look's: at 1920×1080
        the Jacobian plot was 63 px, two lines of its ticks, where opened presenting it has 111)."""
        if self._shares is not None:
            shares, self._shares = self._shares[0], None
            self._set_shares(shares)

    def _set_shares(self, shares):
        """The heights of ‖∂L/∂h_t‖, the Jacobian norms and the sensitivity matrix, in this ratio,
        each at least its title, its axis and a few lines of ticks high (at the fonts of the look)."""
        line = style.line_px(style.TICK_PT)              # a tick label's height in pixels
        least = [round(lines * line) for lines in (MIN_LINES if shares == ONE_LOSS_SHARES else MANY_LOSS_MIN_LINES)]
        if (shares, least) == self._shares:
            return
        self._shares = shares, least
        grid = self.canvas.ci.layout
        for row, (plot, share, height) in enumerate(zip((self.norm_plot, self.jac_plot, self.sens_plot), shares, least),
                                                    start=1):
            grid.setRowStretchFactor(row, share)
            plot.setPreferredHeight(40 * share)   # (preferred heights in the same ratio: the shares hold)
            plot.setMinimumHeight(height)
        if self._jac_label_dropped:                # (its least height set again: fitted to the room again)
            self._jac_label_dropped = False
            self.jac_plot.getAxis("bottom").showLabel(True)
        self._fit_to_room()

    def _draw_sensitivity(self):
        image = self.sensitivity_image()
        result = self.state.result
        T = result.seq_len
        overflow = image is not None and not np.any(np.isfinite(image))
        self.sens_message.setVisible(image is None or overflow)
        done = result.done
        self.sens_message.setText(SENS_OVERFLOW if overflow else TOO_LARGE if done else NO_SENSITIVITY)
        # rows without a loss are blank: show only the rows from the first to the last loss step, so a
        # single loss (delayed recall) is a full-height strip rather than a hairline at the top
        first, last = self._loss_rows() if image is not None else (0, T - 1)
        # ‖∂L/∂h_t‖, the plot the lessons point at, gets the largest share; a sensitivity matrix of
        # many loss rows (its triangle: how far back each loss reaches) gets room of its own
        self._set_shares(ONE_LOSS_SHARES if image is None or last == first else MANY_LOSS_SHARES)
        ticks = [[(first, str(first))], []] if image is not None and first == last else None
        if ticks != self._sens_ticks:           # (one loss row: its step named, whatever the axis picks)
            self._sens_ticks = ticks
            self.sens_plot.getAxis("left").setTicks(ticks)
            # (a strip one row high has no room for "loss step t" written up its side: it was cut to "oss step")
            style.style_axis(self.sens_plot.getAxis("left"), ONE_ROW_LABEL if ticks else ROWS_LABEL)
        if image is None:
            self.sens_image.clear()
        else:
            self.sens_image.setImage(image, autoLevels=False)
            self.sens_image.setRect(QRectF(-0.5, first - 0.5, T, last - first + 1))
        finite = image is not None and bool(np.any(np.isfinite(image)))
        if finite:
            self.sens_bar.setLevels(style.log_levels(self.sensitivity_shown(), max_decades=MAX_DECADES))
        # no finite sensitivity (overflowed, or none yet): no scale, rather than the last pass's numbers
        self.sens_bar.setVisible(finite)
        k0, k1 = self._steps_in_view(T)
        self.sens_plot.getViewBox().setRange(xRange=(k0 - 0.5, k1 + 0.5), yRange=(first - 0.5, last + 0.5),
                                             padding=0.02)
        # it is the untruncated graph's (as the tooltip says): under truncation its title says so too
        truncated = not self.state.config.truncation_rule().is_full
        # (the longest title that fits over the image: a wider one ran into the colour bar's label)
        suffix = " (full BPTT)" if truncated else ""
        style.set_fitting_title(self.sens_plot, [SENS_TITLE + suffix, SENS_MATH + suffix, SENS_TITLE, SENS_MATH])
        style.center_overlay(self.sens_plot, self.sens_message)

    def _on_selection(self, selection):
        key = (selection.layer, selection.batch_index)
        if key != self._selection:
            self._selection = key
            self._draw_jacobians()
