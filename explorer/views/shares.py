"""What each step, and each sequence, adds to the gradient of the weights they all share.

W_hh is the same matrix at every step and for every sequence, so its gradient is a sum:
∂L/∂W_hh = Σ_t C_t = Σ_b G_b with C_t = Σ_b d_t,b h_{t−1},bᵀ (step t's share) and
G_b = Σ_t d_t,b h_{t−1},bᵀ (sequence b's share). The engine measures the norms
(:func:`rnn.passresult.weight_gradient_shares`); this view draws them as bars.
"""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy

import pyqtgraph as pg

from ..notation import number
from . import style

TOOLTIP = """<b>Shared weights</b>: W<sub>hh</sub> is used at every step and by every sequence, so its gradient
is a sum: ∂L/∂W<sub>hh</sub> = Σ<sub>t</sub> C<sub>t</sub> = Σ<sub>b</sub> G<sub>b</sub>.<br>
Top: ‖C<sub>t</sub>‖, what step t adds (C<sub>t</sub> = Σ<sub>b</sub> ∂L/∂a<sub>t,b</sub> h<sub>t−1,b</sub>ᵀ, a from
the recurrent product).<br>
Bottom: ‖G<sub>b</sub>‖, what sequence b adds (the 1/B of the mean loss is inside it).<br>
The titles give ‖∂L/∂W<sub>hh</sub>‖ and the sum of the bars' norms (≥ it: the shares point in different
directions and partly cancel). Highlighted: the selected step and sequence. Click a bar to select it."""

BAR = "#7fa6d9"
SELECTED = style.ACCENT


class WeightSharesView(style.CanvasView):
    def __init__(self, state, parent=None):
        super().__init__(state, TOOLTIP, parent)
        self.totals = QLabel()             # the sums, in a label that wraps (a plot title would widen the dock)
        self.totals.setObjectName("shares:totals")
        style.set_font(self.totals, style.AXIS_PT)
        self.totals.setWordWrap(True)
        self.totals.setTextFormat(Qt.TextFormat.RichText)     # (subscripts, as the lesson box writes them)
        self.totals.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.layout().insertWidget(0, self.totals)
        # side by side: the steps wide, the sequences narrow
        self.step_plot = self.canvas.addPlot(row=0, col=0)
        style.style_plot(self.step_plot, "each step's share", left="‖C<sub>t</sub>‖", bottom="step t")
        self.sequence_plot = self.canvas.addPlot(row=0, col=1)
        style.style_plot(self.sequence_plot, "per sequence", left="‖G<sub>b</sub>‖", bottom="sequence b")   # (short: a narrow plot)
        self.canvas.ci.layout.setColumnStretchFactor(0, 3)
        self.canvas.ci.layout.setColumnStretchFactor(1, 1)
        for plot in (self.step_plot, self.sequence_plot):
            plot.hideButtons()
            style.integer_axis(plot, "bottom")
            plot.setMouseEnabled(x=True, y=False)
        self.step_bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=BAR, pen=None)
        self.sequence_bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=BAR, pen=None)
        self.step_plot.addItem(self.step_bars)
        self.sequence_plot.addItem(self.sequence_bars)
        self.empty = style.overlay_text(self.step_plot, "not computed for a network this large")
        self.canvas.scene().sigMouseClicked.connect(self._on_click)
        state.passChanged.connect(self.refresh)
        state.selectionChanged.connect(lambda *_: self.refresh())
        self.refresh()

    def refresh(self):
        result, selection = self.state.result, self.state.selection
        layer = min(selection.layer, result.w_hh_step_norms.shape[0] - 1)
        steps, sequences = result.w_hh_step_norms[layer], result.w_hh_sequence_norms[layer]
        computed = bool(np.any(np.isfinite(steps)))
        self.empty.setVisible(not computed)
        if not computed:
            style.center_overlay(self.step_plot, self.empty)
        self._draw(self.step_bars, steps, selection.step)
        self._draw(self.sequence_bars, sequences, selection.batch_index)
        total = result.w_hh_norm[layer]
        sub = style.sub_html
        C, G, sum_t, sum_b = sub("C", "t"), sub("G", "b"), sub("Σ", "t"), sub("Σ", "b")
        gradient = "∂L/∂" + sub("W", "hh")
        which = gradient if result.record.spec.num_layers == 1 else f"{gradient} of layer {layer}"
        norm = lambda name, value: f"‖{name}‖&nbsp;=&nbsp;{number(value)}"   # (as the lesson box: 4 digits)
        if np.isfinite(total):
            self.totals.setText(f"{which} = {sum_t} {C} = {sum_b} {G}:&nbsp;&nbsp; {norm(which, total)},&nbsp;&nbsp; "
                                f"{sum_t}&nbsp;{norm(C, np.nansum(steps))},&nbsp;&nbsp; "
                                f"{sum_b}&nbsp;{norm(G, np.nansum(sequences))}")
        elif computed:
            self.totals.setText(f"{which} = {sum_t} {C}: the steps' shares so far (the sums when the backward "
                                f"pass is done)")
        else:
            self.totals.setText(f"{which} = {sum_t} {C} = {sum_b} {G}")

    @staticmethod
    def _draw(bars, heights, selected):
        """One bar a step (or sequence), the selected one highlighted; two brushes made, shared."""
        heights = np.where(np.isfinite(heights), heights, 0.0)
        plain, highlight = pg.mkBrush(BAR), pg.mkBrush(SELECTED)
        brushes = [plain] * len(heights)
        if 0 <= selected < len(heights):
            brushes[selected] = highlight
        bars.setOpts(x=np.arange(len(heights)), height=heights, width=0.8, brushes=brushes)

    def _on_click(self, event):
        for plot, key in ((self.step_plot, "step"), (self.sequence_plot, "batch_index")):
            if plot.sceneBoundingRect().contains(event.scenePos()):
                x = plot.vb.mapSceneToView(event.scenePos()).x()
                self.state.select(**{key: int(round(x))})
                return
