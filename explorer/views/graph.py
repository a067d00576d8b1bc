"""The unrolled computational graph, with the gradient drawn on its edges."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

import pyqtgraph as pg

from . import style

N_BINS = 16                 # edge colour/width levels on the log scale
LABEL_MIN_PX = 64           # per-node value labels only when a step is at least this wide on screen
MAX_DECADES = 12            # colour scale covers at most the top 12 decades
UNROLLED_TITLE = "Unrolled graph · edges: ‖gradient‖"   # short: the tooltip explains the rest
WEIGHT_LABEL_MIN_PX = 40   # px per step from which the weights are named on the selected step's edges
                           # (on every step's from twice that)
WEIGHT_LABEL = "#5a3d8a"
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

TOOLTIP = """<b>Unrolled graph</b>: one column per step t; rows x<sub>t</sub> (input), h<sub>t</sub> of every
layer, ŷ<sub>t</sub> (output) and L<sub>t</sub> (loss term, drawn only at steps that carry a loss).<br>
<b>Edges</b> are coloured and thickened by the gradient that the backward pass sent along them,
on a log<sub>10</sub> scale (Frobenius norm over the batch and units):
<ul>
<li>recurrent h<sub>t−1</sub> → h<sub>t</sub>: ‖∂L/∂h<sub>t−1</sub>‖, the total gradient that reached h<sub>t−1</sub>
(through this recurrent edge from h<sub>t</sub>, plus ℓ<sub>t−1</sub>'s own term where step t−1 has a loss);</li>
<li>between layers h<sup>l−1</sup><sub>t</sub> → h<sup>l</sup><sub>t</sub>: ‖∂L/∂h<sup>l−1</sup><sub>t</sub>‖;</li>
<li>input x<sub>t</sub> → h<sub>t</sub>: ‖∂L/∂a<sub>t</sub>‖, the gradient at the pre-activation x<sub>t</sub> feeds;</li>
<li>h<sub>t</sub> → ŷ<sub>t</sub> → L<sub>t</sub>: ‖∂L/∂ŷ<sub>t</sub>‖.</li></ul>
Thin grey: no gradient (yet). Dashed grey: a recurrent edge that truncation cuts.
Grey nodes are not computed yet; the magenta line is the next backward visit.
Shaded bands: truncation segments (lower band: the extra history a segment backpropagates through).<br>
Click a node to select its step (and layer). Wheel/drag zooms and pans the time axis;
right-click → Export saves PNG/SVG/CSV."""


class GraphView(QWidget):
    """The unrolled (or rolled) graph x_t → h_t → ŷ_t → L_t with gradient-coloured edges."""

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.setToolTip(TOOLTIP)
        self._cmap = style.gradient_colormap()
        self._levels = (-3.0, 0.0)
        self._shape = None       # (T, L, loss steps) the node layout was built for
        self._labels = []        # pooled TextItems for per-node values
        self._rolled = False

        self.rolled_box = QCheckBox("rolled")
        style.set_font(self.rolled_box, style.AXIS_PT)
        self.rolled_box.setToolTip("Rolled: one column with a self-loop per layer; the labels show the "
                                   "selected step's values.\nUnrolled: one column per step.")
        self.info = QLabel()
        style.set_font(self.info, style.AXIS_PT)
        top = QHBoxLayout()
        top.addWidget(self.rolled_box)
        top.addStretch(1)
        top.addWidget(self.info)

        self.canvas = style.layout_widget()
        self.canvas.setToolTip(TOOLTIP)
        self.plot = self.canvas.addPlot(row=0, col=0)
        style.style_plot(self.plot, UNROLLED_TITLE, bottom="step t")
        style.integer_axis(self.plot, "bottom")
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.hideButtons()
        self.bar = style.color_bar(self._cmap, "log₁₀ ‖∂L/∂·‖", self._levels)
        self.canvas.addItem(self.bar, row=0, col=1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.canvas, 1)

        self.shading = style.SegmentShading(self.plot)
        # edges: one item for "no gradient", one for cut recurrent edges, N_BINS coloured levels;
        # plain curve items, outside the auto-range (the nodes span the same area), for cheap updates
        self.idle_edges = pg.PlotCurveItem(connect="pairs", pen=style.pen("#c8c8c8", 1))
        self.cut_edges = pg.PlotCurveItem(connect="pairs", pen=style.pen("#a0a0a0", 1.5, Qt.PenStyle.DashLine))
        self.edge_bins = []
        self._width_scale = None
        self._nodes_key = None
        for i in range(N_BINS):
            self.edge_bins.append(pg.PlotCurveItem(connect="pairs"))
        self._set_edge_widths(1.0)
        for z, item in enumerate([self.idle_edges, self.cut_edges, *self.edge_bins]):
            item.setZValue(z - 50)
            self.plot.addItem(item, ignoreBounds=True)
        self.nodes = pg.ScatterPlotItem(pxMode=True, hoverable=True, tip=None)
        self.nodes.setZValue(10)
        self.plot.addItem(self.nodes)
        self.marker = pg.ScatterPlotItem(pxMode=True, symbol="o", size=30, brush=pg.mkBrush(None),
                                         pen=style.pen(style.ACCENT, 3.5))
        self.marker.setZValue(20)
        self.plot.addItem(self.marker)
        self.backward_line = pg.InfiniteLine(angle=90, movable=False, pen=style.pen(style.BACKWARD, 3),
                                             label="backward", labelOpts=dict(
                                                 position=0.97, color=style.BACKWARD, fill=(255, 255, 255, 200)))
        self.forward_line = pg.InfiniteLine(angle=90, movable=False,
                                            pen=style.pen(style.CURVE_BLUE, 2, Qt.PenStyle.DashLine),
                                            label="forward", labelOpts=dict(
                                                position=0.97, color=style.CURVE_BLUE, fill=(255, 255, 255, 200)))
        for line in (self.backward_line, self.forward_line):
            style.set_font(line.label, style.TICK_PT)
            self.plot.addItem(line, ignoreBounds=True)
        # rolled-mode items
        self.loops = []
        self.roll_edges = pg.PlotDataItem(connect="pairs", pen=style.pen("#808080", 2))
        self.roll_edges.setZValue(-5)
        self.plot.addItem(self.roll_edges)
        self.rolled_nodes = pg.ScatterPlotItem(pxMode=True, size=26)
        self.rolled_nodes.setZValue(10)
        self.plot.addItem(self.rolled_nodes)

        self._brushes = {k: QBrush(style.step_color(k)) for k in "xhyL"}
        faded = QColor(style.step_color("y"))
        faded.setAlpha(70)
        self._brushes["y-"] = QBrush(faded)
        self._brushes["grey"] = QBrush(QColor("#e6e6e6"))
        self._pens = {"on": pg.mkPen(style.FOREGROUND, width=1.2), "off": pg.mkPen("#9a9a9a", width=1.2)}

        self.nodes.sigClicked.connect(self._on_scatter_click)
        self._weight_texts = []            # W_ih, W_hh, W_hy on the edges (see _weight_labels)
        self.rolled_nodes.sigClicked.connect(self._on_rolled_click)
        self.rolled_box.toggled.connect(self.set_rolled)
        self.plot.getViewBox().sigXRangeChanged.connect(lambda *_: self._update_detail())
        state.passChanged.connect(self.refresh)  # every new config or params ends in a passChanged
        state.selectionChanged.connect(lambda *_: self._update_selection())
        self.refresh(fit=True)

    # ------------------------------------------------------------------ layout of nodes and edges
    def _build(self, T, L, has_loss):
        """Node positions and edge endpoints for T steps and L layers (only when these change)."""
        t = np.arange(T)
        node_t, node_row = [], []
        for row in range(L + 2):
            node_t.append(t)
            node_row.append(np.full(T, row))
        loss_t = t[has_loss]
        node_t.append(loss_t)
        node_row.append(np.full(loss_t.size, L + 2))
        self.node_t = np.concatenate(node_t)
        self.node_row = np.concatenate(node_row)
        # edges: arrays of (t_tail, row_tail, t_head, row_head, kind, layer)
        edges = []
        ones = np.ones(T, dtype=int)
        edges.append((t, 0 * ones, t, ones, 0, 0))                        # x_t → h^0_t
        for l in range(1, L):
            edges.append((t, l * ones, t, (l + 1) * ones, 1, l - 1))      # h^{l-1}_t → h^l_t
        for l in range(L):
            edges.append((t[:-1], (l + 1) * ones[1:], t[1:], (l + 1) * ones[1:], 2, l))  # h_{t-1} → h_t
        edges.append((t, L * ones, t, (L + 1) * ones, 3, 0))              # h_t → ŷ_t
        edges.append((loss_t, np.full(loss_t.size, L + 1), loss_t, np.full(loss_t.size, L + 2), 4, 0))
        cols = [np.concatenate([np.broadcast_to(e[i], e[0].shape) for e in edges]) for i in range(6)]
        self.e_t0, self.e_r0, self.e_t1, self.e_r1, self.e_kind, self.e_layer = (c.astype(int) for c in cols)
        # interleaved endpoints for connect="pairs"
        self._pair_cache = {}
        self.e_x = np.empty(2 * self.e_t0.size)
        self.e_y = np.empty(2 * self.e_t0.size)
        self.e_x[0::2], self.e_x[1::2] = self.e_t0, self.e_t1
        self.e_y[0::2], self.e_y[1::2] = self.e_r0, self.e_r1
        ticks = [(0, "x_t")] + [(l + 1, "h_t" if L == 1 else f"h_t  l{l}") for l in range(L)] \
            + [(L + 1, "ŷ_t"), (L + 2, "L_t")]
        self.plot.getAxis("left").setTicks([ticks, []])
        self.plot.getViewBox().setLimits(yMin=-1.0, yMax=L + 3.0)

    # ------------------------------------------------------------------ data per edge / node
    def edge_magnitudes(self):
        """‖gradient‖ of every edge (see the tooltip), NaN where the backward pass has not been."""
        result = self.state.result                # every norm over the batch and the units
        dh = result.dh_norm_batch                # (L, T)
        dy = result.dyhat_norm_batch             # (T,)
        dih = result.d_ih_norm_batch[0]          # (T,)
        mags = np.empty(self.e_kind.size)
        k, t0, layer = self.e_kind, self.e_t0, self.e_layer
        sel = k == 0
        mags[sel] = dih[t0[sel]]
        sel = (k == 1) | (k == 2)
        mags[sel] = dh[layer[sel], t0[sel]]
        sel = k >= 3
        mags[sel] = dy[t0[sel]]
        mags[~result.visited[t0]] = np.nan       # the backward pass has not reached the tail yet
        return mags

    def _cut_mask(self):
        """True for recurrent edges (t−1 → t) that no truncation window backpropagates through."""
        through = self.state.result.through      # through[t]: the gradient goes from t back to t−1
        return (self.e_kind == 2) & ~through[self.e_t1]

    # ------------------------------------------------------------------ redraw
    def refresh(self, fit=False):
        result = stepper = self.state.result
        r = result.record
        T, L = r.seq_len, r.spec.num_layers
        has_loss = result.loss_steps
        shape = (T, L, has_loss.tobytes())
        if shape != self._shape:
            self._build(T, L, has_loss)
            self._shape = shape
            fit = True
        self.shading.update(stepper.segments, stepper.carry_factors)
        self._draw_edges()
        self._draw_nodes(has_loss)
        # progress lines
        visit = stepper.next_visit
        backward = stepper.forward_complete and visit is not None
        self.backward_line.setVisible(backward and not self._rolled)
        if backward:
            self.backward_line.setValue(visit[1])
            self.backward_line.label.setFormat(f"backward → t={visit[1]}")
        forward = not stepper.forward_complete
        self.forward_line.setVisible(forward and not self._rolled)
        if forward:
            self.forward_line.setValue(stepper.forward_done - 0.5)
            self.forward_line.label.setFormat(f"forward: {stepper.forward_done}/{T}")
        self.info.setText(self._progress_text())
        if fit:
            self.fit()
        self._update_selection()

    def _progress_text(self):
        s = self.state.result
        if not s.forward_complete:
            return f"forward {s.forward_done}/{s.record.seq_len}"
        if not s.backward_complete:
            return f"backward visit {s.visits_done}/{s.plan_length}"
        return f"pass complete · L = {style.fmt(s.record.loss)}"

    def _draw_edges(self):
        mags = self.edge_magnitudes()
        cut = self._cut_mask()
        logs = style.log10_or_nan(mags)
        active = ~np.isnan(logs) & ~cut
        lo, hi = style.log_levels(mags[active], max_decades=MAX_DECADES, default=self._levels)
        self._levels = (lo, hi)
        self.bar.setLevels((lo, hi))
        bins = np.full(mags.size, -1)
        bins[active] = np.clip(((logs[active] - lo) / (hi - lo) * N_BINS).astype(int), 0, N_BINS - 1)
        self.edge_bin = bins
        self.edge_cut = cut
        self._set_pairs(self.idle_edges, (bins < 0) & ~cut)
        self._set_pairs(self.cut_edges, cut)
        for i, item in enumerate(self.edge_bins):
            self._set_pairs(item, bins == i)
        visible = not self._rolled
        for item in [self.idle_edges, self.cut_edges, *self.edge_bins]:
            item.setVisible(visible)

    def _set_edge_widths(self, scale):
        """Edge width grows with the gradient (1 to 6 px), thinner when the steps are packed tightly."""
        if scale == self._width_scale:
            return
        self._width_scale = scale
        for i, item in enumerate(self.edge_bins):
            f = (i + 0.5) / N_BINS
            item.setPen(style.pen(self._cmap.map(f, mode="qcolor"), max(1.0, (1 + 5 * f) * scale)))

    def _set_pairs(self, item, mask):
        """Give an edge item the edges in ``mask`` (skipped when they are the same as last time)."""
        key = mask.tobytes()
        if self._pair_cache.get(id(item)) == key:
            return
        self._pair_cache[id(item)] = key
        pairs = np.repeat(mask, 2)
        item.setData(self.e_x[pairs], self.e_y[pairs], connect="pairs")

    def _draw_nodes(self, has_loss):
        r = self.state.record
        L = r.spec.num_layers
        done = self.node_t < r.forward_done
        kinds = np.where(self.node_row == 0, "x", np.where(self.node_row <= L, "h",
                                                          np.where(self.node_row == L + 1, "y", "L")))
        key = (self.node_t.tobytes(), self.node_row.tobytes(), done.tobytes(), has_loss.tobytes())
        if key != self._nodes_key:        # the nodes' look only changes with progress and the shape
            self._nodes_key = key
            brushes = [self._brushes["grey"]] * kinds.size
            pens = [self._pens["off"]] * kinds.size
            for i in np.flatnonzero(done | (kinds == "x")):
                kind = kinds[i]
                if kind == "y" and not has_loss[self.node_t[i]]:
                    kind = "y-"
                brushes[i] = self._brushes[kind]
                pens[i] = self._pens["on"]
            symbols = np.where(kinds == "L", "s", "o")
            self.nodes.setData(x=self.node_t.astype(float), y=self.node_row.astype(float),
                               data=np.arange(kinds.size), brush=brushes, pen=pens, symbol=list(symbols),
                               size=self._node_size())
        self.node_done = done | (kinds == "x")
        self._draw_rolled()
        self.nodes.setVisible(not self._rolled)
        self._update_detail()

    # ------------------------------------------------------------------ level of detail
    def _px_per_step(self):
        vb = self.plot.getViewBox()
        (x0, x1), _ = vb.viewRange()
        width = max(vb.width(), 1.0)
        return width / max(x1 - x0, 1e-9)

    def _px_per_row(self):
        vb = self.plot.getViewBox()
        _, (y0, y1) = vb.viewRange()
        return max(vb.height(), 1.0) / max(y1 - y0, 1e-9)

    def _node_size(self):
        return float(np.clip(0.45 * min(self._px_per_step(), self._px_per_row()), 4, 24))

    def _weight_labels(self):
        """(x, y, text) of the weight matrices on the edges: W_ih into h, W_hh from h_{t−1} to h_t,
        W_hy out to ŷ. Rolled: on the one column and its loop. Unrolled: on every column while each
        step has room for them, else on the selected step's only; the same names at every step
        (one W, used T times)."""
        L = self.state.record.spec.num_layers
        top = L + 0.5
        right, above, left = (0, 0.5), (0.5, 1), (1, 0.5)   # anchors: beside a vertical edge, above a horizontal one
        if self._rolled:                  # (on the left: the values are written on the right)
            return ([(-0.05, 0.5, "W_ih", left), (-0.64, 1.0, "W_hh", left), (-0.05, top, "W_hy", left)] +
                    [(-0.05, l + 0.5, f"W_ih⁽{l}⁾".translate(SUPERSCRIPT), left) for l in range(1, L)])
        px = self._px_per_step()
        if px < WEIGHT_LABEL_MIN_PX:
            return []
        T = self.state.record.seq_len
        (x0, x1), _ = self.plot.getViewBox().viewRange()
        # every step's while there is room and the nodes carry no value labels, else the selected one's;
        # left of the vertical edges and under the recurrent one (the value labels sit up and right)
        every = 2 * WEIGHT_LABEL_MIN_PX <= px < LABEL_MIN_PX
        steps = [t for t in range(T) if x0 - 1 <= t <= x1 + 1] if every else [self.state.selection.step]
        below = (0.5, 0)
        labels = []
        for t in steps:
            labels += [(t - 0.06, 0.5, "W_ih", left), (t - 0.06, top, "W_hy", left)]
            if t > 0:
                labels.append((t - 0.5, 0.94, "W_hh", below))
        return labels

    def _draw_weight_labels(self):
        items = self._weight_labels()
        while len(self._weight_texts) < len(items):
            label = pg.TextItem(color=WEIGHT_LABEL)
            style.set_font(label, style.TICK_PT, bold=True)
            label.setZValue(25)
            self.plot.addItem(label, ignoreBounds=True)
            self._weight_texts.append(label)
        for label, (x, y, text, anchor) in zip(self._weight_texts, items):
            label.setText(text)
            label.setAnchor(anchor)
            label.setPos(x, y)
            label.setVisible(True)
        for label in self._weight_texts[len(items):]:
            label.setVisible(False)

    def _update_detail(self):
        """Node size and per-node value labels follow the zoom (labels only when there is room)."""
        self._draw_weight_labels()
        if self._rolled:
            return
        size = self._node_size()
        self._set_edge_widths(float(np.clip(round(self._px_per_step() / 12, 1), 0.2, 1.0)))
        if self.nodes.data.size and self.nodes.data["size"][0] != size:
            self.nodes.setSize(size)
        self.marker.setSize(size + 12)
        show = self._px_per_step() >= LABEL_MIN_PX
        wanted = []
        if show:
            (x0, x1), _ = self.plot.getViewBox().viewRange()
            vis = self.node_done & (self.node_t >= x0 - 1) & (self.node_t <= x1 + 1)
            wanted = np.flatnonzero(vis)
        texts = self._node_texts(wanted)
        self._place_labels([(self.node_t[i] + 0.12, self.node_row[i] + 0.22, s)
                            for i, s in zip(wanted, texts)])

    def _node_texts(self, index):
        r, sel = self.state.record, self.state.selection
        L, b = r.spec.num_layers, sel.batch_index
        out = []
        for i in index:
            t, row = self.node_t[i], self.node_row[i]
            if row == 0:
                x = r.inputs[t, b]
                out.append(style.fmt(x[0], 3) if x.size == 1 else f"#{int(np.argmax(x))}")
            elif row <= L:
                out.append(style.fmt(r.h[row - 1, t, b, sel.unit], 3))
            elif row == L + 1:
                y = r.yhat[t, b]
                out.append(style.fmt(y[0], 3) if y.size == 1 else f"#{int(np.argmax(y))}")
            else:
                out.append(f"ℓ={style.fmt(r.loss_t[t], 3)}")
        return out

    def _place_labels(self, items):
        while len(self._labels) < len(items):
            label = pg.TextItem(color=style.FOREGROUND, anchor=(0, 1))
            style.set_font(label, style.TICK_PT)
            label.setZValue(30)
            self.plot.addItem(label, ignoreBounds=True)
            self._labels.append(label)
        for label, (x, y, text) in zip(self._labels, items):
            label.setText(text)
            label.setPos(x, y)
            label.setVisible(True)
        for label in self._labels[len(items):]:
            label.setVisible(False)

    # ------------------------------------------------------------------ rolled mode
    def set_rolled(self, rolled: bool):
        self._rolled = bool(rolled)
        if self.rolled_box.isChecked() != self._rolled:
            self.rolled_box.setChecked(self._rolled)
            return
        self.refresh(fit=True)

    @property
    def rolled(self):
        return self._rolled

    def _draw_rolled(self):
        r, sel = self.state.record, self.state.selection
        L = r.spec.num_layers
        while len(self.loops) < L:
            loop = pg.PlotDataItem(pen=style.pen("#808080", 2))
            loop.setZValue(-4)
            self.plot.addItem(loop)
            self.loops.append(loop)
        for i, loop in enumerate(self.loops):
            loop.setVisible(self._rolled and i < L)
        self.roll_edges.setVisible(self._rolled)
        self.rolled_nodes.setVisible(self._rolled)
        if not self._rolled:
            return
        t = sel.step
        rows = np.arange(L + 3)
        done = t < r.forward_done
        has_loss = self.state.result.loss_steps[t]
        self.roll_edges.setData(np.zeros(2 * (L + 2)), np.repeat(rows, 2)[1:-1], connect="pairs")
        theta = np.linspace(0, 2 * np.pi, 60)
        for l in range(L):
            level = -1   # colour level of this layer's recurrent edge into the selected step
            index = np.flatnonzero((self.e_kind == 2) & (self.e_layer == l) & (self.e_t1 == t))
            if index.size:
                level = self.edge_bin[index[0]]
            f = np.nan if level < 0 else (level + 0.5) / N_BINS
            color = "#9a9a9a" if np.isnan(f) else self._cmap.map(f, mode="qcolor")
            self.loops[l].setPen(style.pen(color, 1.5 if np.isnan(f) else 1 + 5 * f))
            self.loops[l].setData(-0.32 + 0.3 * np.cos(theta), l + 1 + 0.3 * np.sin(theta))
        kinds = ["x"] + ["h"] * L + ["y", "L"]
        brushes = [self._brushes[k] if (done or k == "x") else self._brushes["grey"] for k in kinds]
        if not has_loss:
            brushes[-1] = self._brushes["grey"]
        self.nodes.setVisible(False)
        self.rolled_nodes.setData(x=np.zeros(L + 3), y=rows.astype(float), brush=brushes,
                                  pen=self._pens["on"], symbol=["o"] * (L + 2) + ["s"], data=rows)
        self._place_labels([(0.25, row + 0.2, text) for row, text in enumerate(self._rolled_texts())])
        self._draw_weight_labels()
        style.set_title(self.plot, f"Rolled graph · step t = {t}")
        self._set_bottom_axis(rolled=True)

    def _rolled_texts(self):
        result, sel = self.state.result, self.state.selection
        r = result.record
        t, b, u, L = sel.step, sel.batch_index, sel.unit, r.spec.num_layers
        if t >= r.forward_done:
            return [f"x_{t} = {self._vec(r.inputs[t, b])}"] + ["not computed yet"] * (L + 2)
        texts = [f"x_{t} = {self._vec(r.inputs[t, b])}"]
        for l in range(L):
            text = (f"h_{t}[{u}] = {style.fmt(r.h[l, t, b, u])}   ‖h_{t}‖ = "
                    f"{style.fmt(result.h_norm_sequence[l, t, b])}")
            if result.visited[t]:
                text += f"   ‖∂L/∂h_{t}‖ = {style.fmt(result.dh_norm_sequence[l, t, b])}"
            texts.append(text)
        target = r.targets[t, b]
        texts.append(f"ŷ_{t} = {self._vec(r.yhat[t, b])}   target {self._vec(np.atleast_1d(target))}")
        texts.append(f"ℓ_{t} = {style.fmt(r.loss_t[t])}" if result.loss_steps[t] else f"no loss at t = {t}")
        return texts

    @staticmethod
    def _vec(v):
        v = np.atleast_1d(v)
        if v.size <= 3:
            return "[" + ", ".join(style.fmt(x) for x in v) + "]"
        return f"[{style.fmt(v[0])}, …] (argmax #{int(np.argmax(v))})"

    # ------------------------------------------------------------------ selection
    def _update_selection(self):
        sel = self.state.selection
        if self._rolled:
            self._draw_rolled()
            self.marker.setData([0.0], [sel.layer + 1.0])
            self.marker.setSize(38)
            return
        style.set_title(self.plot, UNROLLED_TITLE)
        self._set_bottom_axis(rolled=False)
        self.marker.setData([float(sel.step)], [sel.layer + 1.0])
        self._update_detail()

    _axis_rolled = False

    def _set_bottom_axis(self, rolled: bool):
        if rolled == self._axis_rolled:
            return
        self._axis_rolled = rolled
        axis = self.plot.getAxis("bottom")
        axis.setStyle(showValues=not rolled)
        style.style_axis(axis, "one column stands for every step (rolled)" if rolled else "step t")

    def fit(self):
        L = self.state.record.spec.num_layers
        vb = self.plot.getViewBox()
        if self._rolled:
            vb.setLimits(xMin=-3, xMax=8)
            vb.setRange(xRange=(-1.7, 4.5), yRange=(-0.5, L + 2.6), padding=0)   # (the weights named on the left)
        else:
            T = self.state.record.seq_len
            vb.setLimits(xMin=-2, xMax=T + 1.5)
            vb.setRange(xRange=(-0.6, T - 0.4), yRange=(-0.5, L + 2.6), padding=0.02)

    # ------------------------------------------------------------------ clicks
    def node_count(self) -> int:
        return int(self.node_t.size)

    def node_position(self, step: int, row: int):
        """(x, y) in plot coordinates of a node; row 0 = x, 1..L = layers, L+1 = ŷ, L+2 = L."""
        return (0.0 if self._rolled else float(step)), float(row)

    def select_node(self, step: int, row: int):
        """Select what a click on node (step, row) means: the step, and the layer for an h node."""
        L = self.state.record.spec.num_layers
        changes = dict(step=int(step))
        if 1 <= row <= L:
            changes["layer"] = int(row - 1)
        self.state.select(**changes)

    def _on_scatter_click(self, item, points, ev=None):
        if len(points):
            i = int(points[0].data())
            self.select_node(self.node_t[i], self.node_row[i])

    def _on_rolled_click(self, item, points, ev=None):
        if len(points):
            self.select_node(self.state.selection.step, int(points[0].data()))
