"""Training curves: loss, gradient norm with clip events, and the truncated-vs-full cosine."""

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

import pyqtgraph as pg

from ..notation import number
from . import style

LOSS_TOOLTIP = """<b>Loss per update</b> L = (1/B) Σ<sub>t</sub> Σ<sub>b</sub> m<sub>t,b</sub> ℓ<sub>t,b</sub>
(log scale): each update's loss as a faint trace, its moving average (the window is in the title) as
the solid line. Dashed: the loss of the best constant guess, what a network that ignores its inputs
reaches. The title gives the number of updates and the last loss."""
GRAD_TOOLTIP = """<b>Gradient norm</b> ‖g‖ = ‖∂L/∂θ‖ before clipping (log scale); red dots: updates where
the gradient was clipped (g ← g · c/‖g‖ when ‖g‖ &gt; c)."""
COS_TOOLTIP = """<b>cos(g̃, g)</b> = g̃·g / (‖g̃‖‖g‖): how well the truncated gradient g̃ points along the full
BPTT gradient g (shown when the comparison is switched on). 1 = same direction."""

TRAVEL_TOOLTIP = """<b>Time travel</b>: click the loss or ‖g‖ curve (or drag the orange line) to see the network
as it was after that update (the weights of the nearest checkpoint before it; the views recompute
their pass). <i>Continue from here</i> trains on from that point with the current settings: the
run you leave stays on the loss curve in grey."""

TOOLTIP = (f"<b>Training</b>, one point per parameter update:<br>{LOSS_TOOLTIP}<br>{GRAD_TOOLTIP}<br>"
           f"{COS_TOOLTIP}<br>{TRAVEL_TOOLTIP}<br>Non-finite or non-positive values are left out of the "
           f"log plots. Right-click → Export saves PNG/SVG/CSV.")


LABEL_PLACES = 9            # where along its line the constant guess's name may go
GRAD_GREY = "#555555"       # ‖g‖ (in A's blue beside side B's)
SOLID, DASHED, DOTTED = "━━", "╍╍", "┈┈"  # the legend's samples of this run's line and a compared run's
DENSE_UPDATES = 400
MARKER_PX, FEW_MARKER_PX = 5, 10   # the updates' markers (up to 60 updates), and while there are few
FEW_UPDATES = 10
PLOT_MIN_LINES = 3.8       # each plot's least height, in lines of tick labels: its title and three ticks
AXIS_MIN_LINES = 2.2       # ... and the lowest one's update axis: its numbers and its label
MIN_COLUMNS = 200          # decimation: at least this many min/max columns, however narrow the plot
EARLIER_RUN = "#b8b8b8"    # the loss of a run that training was forked away from
RAW_LOSS = "#9fbbe6"       # each update's loss, under its moving average
SMOOTHING_SHARE = 30       # the moving average spans about 1/30 of the updates shown,
MAX_SMOOTHING = 1000       # at most this many


def smoothing_window(updates: int) -> int:
    """Updates averaged for the smoothed loss: about a thirtieth of the run (1 for a short run)."""
    return int(min(max(1, round(updates / SMOOTHING_SHARE)), MAX_SMOOTHING))


class TrainingView(style.CanvasView):
    """Loss, gradient norm (clip events in red) and cos(g̃, g) against the update number."""

    def __init__(self, state, parent=None):
        super().__init__(state, TOOLTIP, parent)

        self.loss_plot = self.canvas.addPlot(row=0, col=0)
        style.style_plot(self.loss_plot, "Loss (log)", left="loss L")
        self.loss_plot.setToolTip(LOSS_TOOLTIP)
        self.earlier_curves = []          # one per run forked away from (time travel), drawn underneath
        self.reference_curves = []        # one per run kept for comparison, named in the legend
        self.overflow_lines = []          # a red line at each update whose loss or ‖g‖ overflowed
        self.raw_loss_curve = self.loss_plot.plot(pen=style.pen(RAW_LOSS, 1), connect="finite")
        self.loss_curve = self.loss_plot.plot(pen=style.pen(style.CURVE_BLUE, 2.5), connect="finite")
        self.empty = style.overlay_text(self.loss_plot, "train to see the loss curve")
        # the runs compared (and this one) named in a line of their own above the plots, where no
        # curve crosses them (it wraps where the dock is narrow); shown while there are runs to compare
        self.legend = QLabel()
        self.legend.setObjectName("training:legend")
        style.set_font(self.legend, style.TICK_PT, bold=True)
        self.legend.setWordWrap(True)
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.legend.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.layout().insertWidget(0, self.legend)
        self.legend.setVisible(False)
        self._legend_names = []
        self._guess_in_legend = False     # the constant guess named in the line above the plots
        self._guess_shown = False         # the constant guess's line is drawn
        # what ignoring the inputs gets: a loss curve that stays on this line has learnt nothing
        self.baseline_line = pg.InfiniteLine(angle=0, movable=False, pen=style.pen(style.FOREGROUND, 1.5,
                                                                                   Qt.PenStyle.DotLine))
        self.baseline_line.setZValue(-20)         # under a compared run that stays on it
        self.loss_plot.addItem(self.baseline_line)
        # its name over the curves (on a white ground: the curves that cross the line stay out of the text)
        self.baseline_label = pg.TextItem(color=style.FOREGROUND, anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 200))
        style.set_font(self.baseline_label, style.TICK_PT)
        self.baseline_label.setZValue(50)
        self.loss_plot.addItem(self.baseline_label, ignoreBounds=True)
        self.loss_plot.getViewBox().sigRangeChanged.connect(self._place_baseline_label)
        self._baseline_for = None

        self.grad_plot = self.canvas.addPlot(row=1, col=0)
        style.style_plot(self.grad_plot, "Gradient norm ‖g‖ (log)", left="‖g‖")
        self.grad_plot.setToolTip(GRAD_TOOLTIP)
        self.grad_curve = self.grad_plot.plot(pen=style.pen(GRAD_GREY, 1.5), connect="finite", name="‖g‖")
        self._grad_as_a = False
        clip_brush = pg.mkColor(style.CLIP_RED)
        clip_brush.setAlphaF(0.55)             # (translucent: where most updates clip, ‖g‖ shows through)
        self.clip_points = self.grad_plot.plot(pen=None, symbol="o", symbolSize=5, symbolBrush=clip_brush,
                                               symbolPen=None, name="clipped")
        self.clip_points.setZValue(-10)        # (under the curves: where most updates clip, they stay in sight)
        self.b_grad_curve = self.grad_plot.plot(pen=style.pen(style.SIDE_B, 1.2), connect="finite")  # side B's ‖g‖
        self.b_grad_curve.setZValue(-5)

        self.cos_plot = self.canvas.addPlot(row=2, col=0)
        style.style_plot(self.cos_plot, "cos(g̃, g): truncated vs full", left="cosine",
                         bottom="update")
        self.cos_plot.setToolTip(COS_TOOLTIP)
        self.cos_curve = self.cos_plot.plot(pen=style.pen("#2e8b57", 2), connect="finite")
        self.b_cos_curve = self.cos_plot.plot(pen=style.pen(style.SIDE_B, 2), connect="finite")   # side B's, truncated
        self.cos_plot.addItem(pg.InfiniteLine(pos=1.0, angle=0, movable=False,
                                              pen=style.pen(style.MUTED, 1, Qt.PenStyle.DashLine)))
        self.cos_plot.setYRange(-1.05, 1.05, padding=0)
        self.cos_plot.getAxis("left").setTicks([[(-1.0, "−1"), (0.0, "0"), (1.0, "1")], []])

        for plot in (self.loss_plot, self.grad_plot):
            style.log_y(plot)
        for plot in (self.grad_plot, self.cos_plot):
            plot.setXLink(self.loss_plot)
        for plot in (self.loss_plot, self.grad_plot, self.cos_plot):
            style.integer_axis(plot, "bottom")      # updates are whole numbers (no "1.2" after two updates)
            style.style_axis(plot.getAxis("bottom"), "update")

        # time travel: a cursor on the update shown, and what to do from there
        self.cursor = pg.InfiniteLine(angle=90, movable=True, pen=style.pen(style.ACCENT, 2.5),
                                      hoverPen=style.pen(style.ACCENT, 4))
        self.cursor.setVisible(False)
        self.cursor.sigPositionChangeFinished.connect(lambda line: self.state.show_update(round(line.value())))
        self.loss_plot.addItem(self.cursor, ignoreBounds=True)
        self.canvas.scene().sigMouseClicked.connect(self._on_click)
        self.travel_bar = QWidget()
        self.travel_label = QLabel()
        style.set_font(self.travel_label, style.TICK_PT)
        self.continue_button = QPushButton("Continue from here")
        self.continue_button.setToolTip("Drop the later updates (they stay on the curve, in grey) and train on "
                                        "from this one with the current settings")
        self.continue_button.clicked.connect(lambda: self.state.continue_from(self.state.shown_update))
        self.latest_button = QPushButton("Back to the latest")
        self.latest_button.setToolTip("Show the network after the last update again")
        self.latest_button.clicked.connect(self.state.show_latest)
        self.travel_label.setWordWrap(True)     # (never wider than the dock: the buttons stay in view)
        self.travel_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bar = QVBoxLayout(self.travel_bar)
        bar.setContentsMargins(6, 2, 6, 2)
        bar.setSpacing(2)
        bar.addWidget(self.travel_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.continue_button)
        buttons.addWidget(self.latest_button)
        buttons.addStretch(1)
        bar.addLayout(buttons)
        self.layout().addWidget(self.travel_bar)
        self.travel_bar.setVisible(False)
        # the names task: what the network writes now, under its loss (the panel on the left is
        # hidden at a projector)
        self.samples_label = QLabel()
        self.samples_label.setObjectName("training:samples")
        style.set_font(self.samples_label, style.AXIS_PT)
        self.samples_label.setWordWrap(True)
        self.samples_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.layout().addWidget(self.samples_label)
        self.samples_label.setVisible(False)

        self._was_empty = True
        self._smoothing = None
        self._symbols = None
        self._lowest = None
        self._least = None               # the plots' least heights (px), set with the plots shown
        state.historyChanged.connect(self.refresh)
        state.referencesChanged.connect(self.refresh)
        state.configChanged.connect(lambda *_: self.refresh())      # (the baseline, the loss shown)
        state.shownUpdateChanged.connect(self._show_travel)
        state.samplesChanged.connect(self._show_samples)
        self.refresh()
        self._show_samples()

    def _show_samples(self, *_):
        samples = self.state.samples
        self.samples_label.setVisible(bool(samples))
        if samples:
            shown = ", ".join(name or "(empty)" for name in samples)
            self.samples_label.setText(f"sampled names (τ = {number(self.state.config.temperature, 2)}): {shown}")

    def _on_click(self, event):
        """A click on the loss or ‖g‖ curve shows the network after that update."""
        n = len(self.state.history)
        if not n or event.button() != Qt.MouseButton.LeftButton or event.double():
            return
        for plot in (self.loss_plot, self.grad_plot):
            box = plot.getViewBox()
            if plot.isVisible() and box.sceneBoundingRect().contains(event.scenePos()):
                update = int(round(box.mapSceneToView(event.scenePos()).x()))
                self.state.show_update(min(max(update, 0), n))
                event.accept()
                return

    def _show_travel(self, *_):
        shown, n = self.state.shown_update, len(self.state.history)
        self.cursor.setVisible(shown is not None)
        self.travel_bar.setVisible(shown is not None)
        if shown is not None:
            self.cursor.setValue(shown)
            self.travel_label.setText(f"Showing the network after update {shown} of {n} "
                                      f"(loss then {number(self.state.history.loss[shown - 1]) if shown else '—'})")

    def columns(self) -> int:
        """Pixel columns of the plots: the history is drawn at this resolution."""
        return max(MIN_COLUMNS, int(self.loss_plot.getViewBox().width()))

    def data(self):
        """(updates, loss, grad_norm, clipped, cosine) to draw, decimated to min/max per pixel column
        (so a refresh costs the same at update 100 and at update 1,000,000); x is the update number
        (1, 2, …); log-plot values NaN where ≤ 0; ``clipped`` is a column's any()."""
        h, columns = self.state.history, self.columns()
        n = len(h)
        x, loss = h.decimated("loss", 0, n, columns)
        _, grad = h.decimated("grad_norm", 0, n, columns)
        # (columns with nothing to show are not scanned: a refresh at update 10⁶ costs ~2 ms)
        clipped = h.decimated("clipped", 0, n, columns)[1] > 0 if h.clipped_count else np.zeros(x.size, bool)
        cosine = h.decimated("cosine", 0, n, columns)[1] if h.compared_count else np.full(x.size, np.nan)
        return x + 1, style.positive_or_nan(loss), style.positive_or_nan(grad), clipped, cosine

    def _draw_earlier_runs(self, columns):
        runs = self.state.earlier_runs
        while len(self.earlier_curves) < len(runs):
            curve = self.loss_plot.plot(pen=style.pen(EARLIER_RUN, 1.5), connect="finite")
            curve.setZValue(-10)
            self.earlier_curves.append(curve)
        for i, curve in enumerate(self.earlier_curves):
            if i < len(runs):
                first, history = runs[i]
                x, loss = history.decimated("loss", 0, len(history), columns)
                style.set_curve(curve, x + 1 + first, style.positive_or_nan(loss))
            curve.setVisible(i < len(runs))

    def _draw_overflows(self):
        """Where training met NaN/Inf (the update was not applied): a red line, named, on both plots."""
        updates = self.state.history.nonfinite
        while len(self.overflow_lines) < 2 * len(updates):
            for plot in (self.loss_plot, self.grad_plot):
                line = pg.InfiniteLine(angle=90, movable=False, pen=style.pen(style.CLIP_RED, 2.5),
                                       label="NaN/Inf" if plot is self.loss_plot else None,
                                       labelOpts=dict(position=0.85, color=style.CLIP_RED,
                                                      fill=(255, 255, 255, 220)))
                if plot is self.loss_plot:
                    style.set_font(line.label, style.TICK_PT, bold=True)
                plot.addItem(line, ignoreBounds=True)
                self.overflow_lines.append(line)
        for i, line in enumerate(self.overflow_lines):
            shown = i // 2 < len(updates)
            line.setVisible(shown)
            if shown:
                line.setValue(updates[i // 2] + 1)          # (the plots count updates from 1)

    def _draw_references(self, columns):
        """The runs compared: each one's smoothed loss, named in the legend with this run (the solid
        blue line): those kept, dashed, and side B of an A/B comparison, solid, trained with this one."""
        references = self.state.runs_compared
        while len(self.reference_curves) < len(references):
            curve = self.loss_plot.plot(connect="finite")
            curve.setZValue(-5)
            curve.drawn_as = None
            self.reference_curves.append(curve)
        names = [(style.CURVE_BLUE, SOLID, self.state.run_label)]
        live = [r for r in references if r.live and len(r.history)]
        self.b_grad_curve.setVisible(bool(live))
        # beside B, or where the legend names this run beside runs kept, this run's ‖g‖ is in its
        # colour (grey, it read as the grey dashed run kept: that run's ‖g‖ is not drawn)
        as_this_run = any(len(r.history) for r in references)      # (B, live, is one of them)
        if as_this_run != self._grad_as_a:
            self._grad_as_a = as_this_run
            self._symbols = None                   # (its pen and markers, set again in that colour)
        if live:                                   # side B's ‖g‖ beside A's, decimated the same way
            x, grad = live[0].history.decimated("grad_norm", 0, len(live[0].history), columns)
            style.set_curve(self.b_grad_curve, x + 1, style.positive_or_nan(grad))
        for i, curve in enumerate(self.reference_curves):
            shown = i < len(references) and len(references[i].history) > 0
            curve.setVisible(shown)
            if shown:
                history, live = references[i].history, references[i].live
                colour = style.SIDE_B if live else style.REFERENCE_COLOURS[i % len(style.REFERENCE_COLOURS)]
                if curve.drawn_as != (colour, live):
                    curve.setPen(style.pen(colour, 2.5, Qt.PenStyle.SolidLine) if live else
                                 style.pen(colour, 3.5, Qt.PenStyle.DashLine))
                    curve.drawn_as = (colour, live)
                n = len(history)
                x, loss = history.smoothed_loss(0, n, columns, smoothing_window(n))
                style.set_curve(curve, x + 1, style.positive_or_nan(loss))
                names.append((colour, SOLID if live else DASHED, references[i].label))
        self._legend_names = names
        self._show_legend()

    def _draw_b_cosine(self, columns) -> bool:
        """Side B's cos(g̃, g) where B is the truncated one (full BPTT beside TBPTT: A has none);
        whether it is drawn."""
        live = [r.history for r in self.state.runs_compared if r.live and r.history.compared_count]
        self.b_cos_curve.setVisible(bool(live))
        if live:
            x, cosine = live[0].decimated("cosine", 0, len(live[0]), columns)
            style.set_curve(self.b_cos_curve, x + 1, cosine)
        return bool(live)

    def _show_legend(self):
        """The line above the plots: the runs compared (this one first), and the constant guess
        where its own line has no free place for its name."""
        names = self._legend_names if len(self._legend_names) > 1 else []
        if self._guess_in_legend:
            names = names + [(style.FOREGROUND, DOTTED, self.baseline_label.toPlainText())]
        # (an entry never breaks inside: the line wraps between entries)
        text = "&nbsp;&nbsp;&nbsp; ".join(f"<span style='color:{colour}'>{line}&nbsp;{html.escape(name).replace(' ', '&nbsp;')}</span>"
                                          for colour, line, name in names)
        self.legend.setVisible(bool(names))
        if text != self.legend.text():
            self.legend.setText(text)

    def legend_names(self) -> list:
        """The runs the legend names, this one first (empty while nothing is compared)."""
        return [name for *_, name in self._legend_names] if len(self._legend_names) > 1 else []

    def refresh(self):
        x, loss, grad, clipped, cosine = self.data()
        n = len(self.state.history)
        window = smoothing_window(n)
        style.set_curve(self.raw_loss_curve, x, loss)
        if window > 1:
            smooth_x, smooth = self.state.history.smoothed_loss(0, n, self.columns(), window)
            style.set_curve(self.loss_curve, smooth_x + 1, style.positive_or_nan(smooth))
        else:
            style.set_curve(self.loss_curve, x, loss)
        self.raw_loss_curve.setVisible(window > 1)
        style.set_curve(self.grad_curve, x, grad)
        style.set_curve(self.clip_points, x[clipped], grad[clipped])
        self._draw_earlier_runs(self.columns())
        self._draw_references(self.columns())
        self._draw_overflows()
        style.set_curve(self.cos_curve, x, cosine)
        has_cosine = self._draw_b_cosine(self.columns()) or self.state.history.compared_count > 0
        empty = n == 0
        # before any update only the loss plot (with its hint) is shown; the plots share the update
        # axis, so only the lowest visible one shows its numbers and label
        self.cos_plot.setVisible(has_cosine)
        self.grad_plot.setVisible(not empty)
        lowest = self.cos_plot if has_cosine else self.loss_plot if empty else self.grad_plot
        if (lowest, empty) != self._lowest:   # (re-styling an axis redraws it: only when this changes)
            self._lowest = lowest, empty
            for plot in (self.loss_plot, self.grad_plot):
                plot.getAxis("bottom").showLabel(plot is lowest)
                plot.getAxis("bottom").setStyle(showValues=plot is lowest)
            self._show_scale(not empty)
            self._set_least_heights()        # (the plots shown follow from these two)
        symbols = n <= 60               # a few updates: markers, so even a single point shows
        dense = n > DENSE_UPDATES       # many: a band of hairlines (Qt draws wider lines far slower)
        # (the fewest, as a run that overflows at its second update: markers seen from the back row)
        marker = style.line_width(FEW_MARKER_PX if n <= FEW_UPDATES else MARKER_PX)
        if (symbols, dense, marker) != self._symbols:
            self._symbols = symbols, dense, marker
            curves = ((self.grad_curve, style.CURVE_BLUE if self._grad_as_a else GRAD_GREY, 1.5),
                      (self.cos_curve, "#2e8b57", 2))
            for curve, colour, width in curves:
                curve.setPen(style.pen(colour, 1 if dense else width))
                curve.setSymbol("o" if symbols else None)
                curve.setSymbolSize(marker)
                curve.setSymbolBrush(colour)
                curve.setSymbolPen(None)
            self.loss_curve.setSymbol("o" if symbols else None)   # (its few points: the raw ones)
            self.loss_curve.setSymbolSize(marker)
            self.loss_curve.setSymbolBrush(style.CURVE_BLUE)
            self.loss_curve.setSymbolPen(None)
            self.raw_loss_curve.setPen(style.pen(RAW_LOSS, 1))
        self.empty.setVisible(empty)
        if empty:
            self.loss_plot.setXRange(0, 10, padding=0)
            style.center_overlay(self.loss_plot, self.empty)
        elif self._was_empty:
            self.loss_plot.enableAutoRange(x=True)
        self._was_empty = empty
        clips = self.state.history.clipped_count
        clipped = f"<span style='color:{style.CLIP_RED}'>● clipped {clips}</span>"
        style.set_fitting_title(self.grad_plot, [f"Gradient norm ‖g‖ · {clipped}", f"‖g‖ · {clipped}", "‖g‖"])
        name = {"mean": "Loss (PyTorch's mean)", "sum": "Loss (PyTorch's sum)"}.get(self.state.config.reduction, "Loss")
        count = f"{name} · {n} update{'' if n == 1 else 's'}"
        last = f" · last {number(self.state.history.loss[-1])}" if n else ""
        titles = [count + last, name + last, name] if n else [count, name]
        if window != self._smoothing:
            self._smoothing = window
            self.loss_plot.setToolTip(LOSS_TOOLTIP + (f"<br>Now: the solid line is the mean of the last "
                                                      f"{window} updates at each point." if window > 1 else ""))
        style.set_fitting_title(self.loss_plot, titles)       # (in a narrow dock: the last loss before the count)
        self._draw_baseline(empty)
        self._place_baseline_label()

    def _set_least_heights(self):
        """Every plot shown at least its title and three ticks high, the lowest its update axis too,
        at the look's text size (presenting at 1024×768 under a lesson box the three were 15–20 px
        strips, their axis names run together)."""
        line = style.line_px(style.TICK_PT)
        plots = (self.loss_plot, self.grad_plot, self.cos_plot)
        least = [round((PLOT_MIN_LINES + (AXIS_MIN_LINES if plot is self._lowest[0] else 0)) * line)
                 if plot.isVisible() else 0 for plot in plots]
        if least != self._least:
            self._least = least
            for plot, height in zip(plots, least):
                plot.setMinimumHeight(height)

    def least_height(self) -> int:
        """The height the view needs to show its plots at their least and the line of runs above
        them: what a lesson box above it leaves it, where it can."""
        if self._least is None:
            return 0
        grid = self.canvas.ci.layout
        _, top, _, bottom = grid.getContentsMargins()
        legend = self.legend.sizeHint().height() if self.legend.isVisible() else 0
        travel = self.travel_bar.sizeHint().height() if self.travel_bar.isVisible() else 0
        shown = sum(1 for height in self._least if height)
        return round(top + sum(self._least) + grid.verticalSpacing() * (shown - 1) + bottom
                     + legend + travel + self.layout().spacing() * (bool(legend) + bool(travel)))

    def restyle(self):
        """Called by style.restyle after the look changed: the plots' least heights are lines of its text."""
        self._least = None
        if self._lowest is not None:
            self._set_least_heights()

    def _show_scale(self, shown: bool):
        """The loss plot's tick marks and numbers, only once there is a loss to read off them: before
        the first update its axes would show a scale of pyqtgraph's own (0.5–3, updates 0–9) that the
        real curve does not use (the alphabet lesson's loss starts near 85). Their labels stay: they
        say what will be plotted."""
        for name in ("left", "bottom"):
            self.loss_plot.getAxis(name).setTicks(None if shown else [[], []])

    def _draw_baseline(self, empty: bool):
        """The best constant guess's loss as a dashed line (log axis: its log10)."""
        config = self.state.config
        key = (config.task, config.seq_len, config.loss_at, config.reduction)
        if key != self._baseline_for:
            self._baseline_for = key
            value = self.state.baseline
            ok = value > 0 and np.isfinite(value)
            if ok:
                self.baseline_line.setValue(np.log10(value))
                self.baseline_label.setText(f"constant guess {number(value)}")
                self._place_baseline_label()
            self._baseline_ok = ok
        self._guess_shown = self._baseline_ok and not empty
        self.baseline_line.setVisible(self._guess_shown)

    def _place_baseline_label(self, *_):
        """The constant guess's name on its line, where no curve runs through it and all of it is in
        view: above or under the line, at one of LABEL_PLACES places from the left edge to the right
        (the place with the fewest curve points under the text; among equals, the leftmost, above)."""
        box = self.loss_plot.getViewBox()
        (x0, x1), (y0, y1) = box.viewRange()
        guess = self.baseline_line.value()                      # (log10 values: a log axis)
        per_px = box.viewPixelSize()
        text = self.baseline_label.textItem.boundingRect()
        w, h = text.width() * per_px[0], text.height() * per_px[1]
        xs, ys = [], []
        for curve in [self.loss_curve, self.raw_loss_curve, *self.reference_curves]:
            x, y = curve.getData()
            if curve.isVisible() and x is not None and len(x):
                xs.append(x)
                ys.append(y)
        x = np.concatenate(xs) if xs else np.empty(0)
        y = np.concatenate(ys) if ys else np.empty(0)
        margin = 0.02 * (x1 - x0)
        lefts = np.linspace(x0 + margin, max(x0 + margin, x1 - margin - w), LABEL_PLACES)
        places = []
        for order, (left, above) in enumerate((left, above) for left in lefts for above in (True, False)):
            bottom, top = (guess, guess + h) if above else (guess - h, guess)
            outside = bottom < y0 or top > y1
            hits = np.count_nonzero((x >= left) & (x <= left + w) & (y >= bottom) & (y <= top))
            places.append((outside, hits, order, left, above))
        outside, hits, _, left, above = min(places)
        self.baseline_label.setAnchor((0, 1) if above else (0, 0))
        self.baseline_label.setPos(left, guess)
        in_legend = bool(outside or hits) and self._guess_shown     # (no free place on its line)
        self.baseline_label.setVisible(self._guess_shown and not in_legend)
        if in_legend != self._guess_in_legend:
            self._guess_in_legend = in_legend
            self._show_legend()
