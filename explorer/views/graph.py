"""The unrolled computational graph, with the gradient drawn on its edges."""

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFontMetricsF
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

import pyqtgraph as pg

from ..notation import number, superscript
from . import graph_detail as detail
from . import graph_names as names
from . import style
from .data import symbols
from .gradflow import CELL_STATE

N_BINS = 16                 # edge colour/width levels on the log scale
EDGE_WIDEST_PX = 6          # the widest edge's base width (the largest gradients; 1 px the smallest)
EDGE_NODE_SHARE = 0.8       # ... drawn at most this share of a node's width (the node shows round it)
MAX_DECADES = 12            # colour scale covers at most the top 12 decades
UNROLLED_TITLE = "Unrolled graph · ‖∂L/∂·‖"   # short (the colour bar says log₁₀ ‖∂L/∂·‖; the tooltip the rest)
UNROLLED_SHORT = "Unrolled graph"              # ... where a narrow view has no room for that
WEIGHT_LABEL_GROUND = (255, 255, 255, 215)   # under a name that had to be laid over an edge
WEIGHT_LABEL = "#5a3d8a"
GRADIENT_LABEL = "#3b2a5c"    # the numbers written under the recurrent edges
NODE_KINDS = ("x", "h", "y", "L", "c")   # node_kind codes 0..4 (inputs, h of a layer, ŷ, the loss, c of a layer)
LOOK_FADED_Y, LOOK_GREY = len(NODE_KINDS), len(NODE_KINDS) + 1   # node looks after the kinds: ŷ without a loss, not computed
CAROUSEL_HALF_WIDTH = 0.38  # the ∏f ribbon along an LSTM's c row: this far either side of the row where ∏f = 1
CAROUSEL_FILLS = ((44, 160, 44, 80), (44, 160, 44, 150))   # (CELL_STATE, translucent): best-kept unit, mean
ROLLED_NODE_PX = 26         # the rolled graph's nodes
ROLLED_RING_PX = 38         # the step ring around the rolled graph's h node
RING_PAD = 12               # the step ring is this many px wider than the node it rings
RING_BAND_NODE = 16         # ... and among the bands (no node drawn) as wide as around a node of this size
RING_PEN = 3.5              # its line's width
END_MARGIN_STEPS = 0.6      # room before the first step and after the last, at least (more to keep the ring whole)
ROLLED_GAP = "   "          # between two values on a line of the rolled graph
ROLLED_CAPTIONS = ("one column stands for every step (rolled)", "one column for every step", "rolled")

TOOLTIP = """<b>Unrolled graph</b>: one column per step t; rows x<sub>t</sub> (input), h<sub>t</sub> of every
layer, ŷ<sub>t</sub> (output) and L<sub>t</sub> (loss term, drawn only at steps that carry a loss).<br>
For an LSTM, each layer also has a row c<sub>t</sub> (the cell state) below its h<sub>t</sub>: c<sub>t−1</sub> → c<sub>t</sub>
is the direct path of c<sub>t</sub> = f<sub>t</sub> ⊙ c<sub>t−1</sub> + i<sub>t</sub> ⊙ g<sub>t</sub>, where the gradient is multiplied
by the forget gate f<sub>t</sub> only (the constant error carousel). The green ribbons along it are ∏f =
∏<sub>k=t+1</sub><sup>T<sub>last</sub></sup> f<sub>k</sub> (T<sub>last</sub> the last step with a loss), the share of ∂L/∂c<sub>T<sub>last</sub></sub>
this path carries back to c<sub>t</sub>: as wide as the row where it is 1, narrowing where the forget gates have closed.
The light ribbon is the best-kept unit's (mean over the batch, largest over the units: a trained LSTM keeps its memory
in a few units), the darker one inside it the mean over the units; each c node's label is the best-kept unit's ∏f.<br>
<b>Edges</b> are coloured and thickened by the gradient that the backward pass sent along them,
on a log<sub>10</sub> scale (Frobenius norm over the batch and units):
<ul>
<li>recurrent h<sub>t−1</sub> → h<sub>t</sub>: ‖∂L/∂h<sub>t−1</sub>‖, the total gradient that reached h<sub>t−1</sub>
(through this recurrent edge from h<sub>t</sub>, plus ℓ<sub>t−1</sub>'s own term where step t−1 has a loss);</li>
<li>between layers h<sup>l−1</sup><sub>t</sub> → h<sup>l</sup><sub>t</sub>: ‖∂L/∂h<sup>l−1</sup><sub>t</sub>‖;</li>
<li>input x<sub>t</sub> → h<sub>t</sub>: ‖∂L/∂a<sub>t</sub>‖, the gradient at the pre-activation x<sub>t</sub> feeds;</li>
<li>h<sub>t</sub> → ŷ<sub>t</sub> → L<sub>t</sub>: ‖∂L/∂ŷ<sub>t</sub>‖;</li>
<li>LSTM: c<sub>t−1</sub> → c<sub>t</sub>: ‖∂L/∂c<sub>t−1</sub>‖; c<sub>t</sub> → h<sub>t</sub>: ‖∂L/∂h<sub>t</sub>‖, what h<sub>t</sub> sends down into c<sub>t</sub>.</li></ul>
Thin grey: no gradient (yet). Dashed grey: a recurrent edge that truncation cuts.
Grey nodes are not computed yet; the magenta line is the next backward visit.
Shaded bands: truncation segments (lower band: the extra history a segment backpropagates through).<br>
Long sequences: while a step is narrower than a few pixels, each row of edges is drawn as a band
coloured by the largest gradient in each pixel column (and the rows of nodes as lines); zoomed in,
every node and edge; further in, each node's value (h of the selected unit; all of the selected
sequence) and, under each recurrent edge h<sub>t</sub> → h<sub>t+1</sub>, the ‖∂L/∂h<sub>t</sub>‖ it is coloured by.<br>
Click a node or a column to select its step (and layer). The wheel zooms the time axis, dragging
pans it, a double-click shows every step again; zoomed in, the view follows the selected step.
Right-click → Export saves PNG/SVG/CSV."""


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
        self._marked = "h"       # the row the ring marks in the selected layer: h, or c where a c node was clicked
        self.carousels = []      # per LSTM layer: (upper, lower, fill) of its ∏f ribbon

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
        self.plot.getAxis("bottom").setStyle(hideOverlappingLabels=30)   # (t = 0 and T at the ends are labelled too)
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
        # long sequences: the edges as bands and the rows of nodes as lines (see graph_detail)
        self.bands = detail.GradientBands(self.plot, self._cmap)
        self.rails = detail.Rails(self.plot, {k: style.step_color(k) for k in "xy"}, "#c8c8c8")
        self._band = False             # drawing bands (the steps too tightly packed for nodes)
        self._window = (0, 0)          # [first, end) of the steps whose nodes and edges are drawn
        self._band_key = None          # what the bands were last drawn for
        self._hint = None              # the time axis's label, as last set
        self.nodes = pg.ScatterPlotItem(pxMode=True, hoverable=True, tip=None)
        self.nodes.setZValue(10)
        self.plot.addItem(self.nodes)
        self.marker = pg.ScatterPlotItem(pxMode=True, symbol="o", size=30, brush=pg.mkBrush(None),
                                         pen=style.pen(style.ACCENT, RING_PEN))
        self.marker.setZValue(20)
        self.plot.addItem(self.marker)
        self.backward_line = pg.InfiniteLine(angle=90, movable=False, pen=style.pen(style.BACKWARD, 3),
                                             label="backward", labelOpts=dict(
                                                 position=0.97, color=style.BACKWARD, fill=(255, 255, 255, 200)))
        self.forward_line = pg.InfiniteLine(angle=90, movable=False,
                                            pen=style.pen(style.CURVE_BLUE, 2, Qt.PenStyle.DashLine),
                                            label="forward", labelOpts=dict(
                                                position=0.97, color=style.CURVE_BLUE, fill=(255, 255, 255, 200)))
        # the step cursor while the edges are bands (a ring on one node among thousands is lost)
        # (its label at the top, above the loss row: clear of the x rail and of the bands)
        self.cursor_line = pg.InfiniteLine(angle=90, movable=False, pen=style.pen(style.ACCENT, 2),
                                           label="t = 0", labelOpts=dict(
                                               position=0.97, anchors=[(0, 0), (1, 0)],    # (hung below the top)
                                               color=style.ACCENT, fill=(255, 255, 255, 220)))
        self.cursor_line.setVisible(False)
        self.cursor_line.setZValue(25)     # (its label over a row of loss nodes, where every step has one)
        for line in (self.backward_line, self.forward_line, self.cursor_line):
            style.set_font(line.label, style.TICK_PT)
            self.plot.addItem(line, ignoreBounds=True)
        # rolled-mode items
        self.loops = []
        self.roll_edges = pg.PlotDataItem(connect="pairs", pen=style.pen("#808080", 2))
        self.roll_edges.setZValue(-5)
        self.plot.addItem(self.roll_edges)
        self.rolled_nodes = pg.ScatterPlotItem(pxMode=True, size=ROLLED_NODE_PX)
        self.rolled_nodes.setZValue(10)
        self.plot.addItem(self.rolled_nodes)

        self._brushes = {k: QBrush(style.step_color(k)) for k in "xhyL"}
        self._brushes["c"] = QBrush(QColor(CELL_STATE))
        faded = QColor(style.step_color("y"))
        faded.setAlpha(70)
        self._brushes["y-"] = QBrush(faded)
        self._brushes["grey"] = QBrush(QColor("#e6e6e6"))
        self._pens = {"on": pg.mkPen(style.FOREGROUND, width=1.2), "off": pg.mkPen("#9a9a9a", width=1.2)}
        # per node kind (NODE_KINDS, then ŷ without a loss, then not computed: LOOK_FADED_Y, LOOK_GREY)
        looks = [*NODE_KINDS, "y-", "grey"]
        self._brush_table = np.array([self._brushes[k] for k in looks], dtype=object)
        self._pen_table = np.array([self._pens["off" if k == "grey" else "on"] for k in looks], dtype=object)
        self._bare_pen = pg.mkPen(None)      # the loss nodes among the bands: no outline (a row of them stays red)

        self.nodes.sigClicked.connect(self._on_scatter_click)
        self._weight_texts = []            # W_ih, W_hh, W_hy on the edges (see _weight_labels)
        self.weight_leaders = pg.PlotCurveItem(connect="pairs", pen=style.pen(WEIGHT_LABEL, 1))
        self.weight_leaders.setZValue(24)  # (from a name hung away from its edge to the edge's line)
        self.plot.addItem(self.weight_leaders, ignoreBounds=True)
        self._steps_shown = None           # (first, last) a lesson step zoomed to, or None (see show_steps)
        self._zoomed_at = None             # the selected step when it did
        self._gradient_texts = []          # ‖∂L/∂h_t‖ under the recurrent edges, zoomed far in
        self.rolled_nodes.sigClicked.connect(self._on_rolled_click)
        self.rolled_box.toggled.connect(self.set_rolled)
        self.plot.getViewBox().sigXRangeChanged.connect(lambda *_: self._update_detail())
        self.plot.getViewBox().sigResized.connect(lambda *_: self._resized())
        self.canvas.scene().sigMouseClicked.connect(self._on_canvas_click)
        state.passChanged.connect(self.refresh)  # every new config or params ends in a passChanged
        state.selectionChanged.connect(lambda *_: self._update_selection())
        self.refresh(fit=True)

    # ------------------------------------------------------------------ layout of nodes and edges
    def _build(self, T, L, has_loss, lstm):
        """Node positions and edge endpoints for T steps and L layers (only when these change).

        Rows from the bottom (``self.rows``, (kind, layer) each; the row's index is its y): x, then
        per layer its c (LSTM only) and its h, then ŷ and the loss."""
        self.rows = [("x", 0)]
        for l in range(L):
            self.rows += ([("c", l)] if lstm else []) + [("h", l)]
        self.rows += [("y", 0), ("L", 0)]
        kinds = np.array([kind for kind, _ in self.rows])
        self.h_rows = np.flatnonzero(kinds == "h")            # the row of each layer's h (and c)
        self.c_rows = np.flatnonzero(kinds == "c")
        self.y_row, self.loss_row = len(self.rows) - 2, len(self.rows) - 1
        t = np.arange(T)
        node_t, node_row = [], []
        for row in range(self.loss_row):
            node_t.append(t)
            node_row.append(np.full(T, row))
        loss_t = t[has_loss]
        node_t.append(loss_t)
        node_row.append(np.full(loss_t.size, self.loss_row))
        self.node_t = np.concatenate(node_t)
        self.node_row = np.concatenate(node_row)
        self.node_kind = np.array([NODE_KINDS.index(kind) for kind, _ in self.rows])[self.node_row]
        self.node_symbol = np.array(self.node_symbol_of_rows(), dtype=object)[self.node_row]
        # edges: arrays of (t_tail, row_tail, t_head, row_head, kind, layer)
        edges = []
        ones = np.ones(T, dtype=int)
        below = lambda l: self.c_rows[l] if lstm else self.h_rows[l]     # the row a layer's inputs enter
        edges.append((t, 0 * ones, t, below(0) * ones, 0, 0))            # x_t → h^0_t (or c^0_t)
        for l in range(1, L):
            edges.append((t, self.h_rows[l - 1] * ones, t, below(l) * ones, 1, l - 1))   # h^{l-1}_t → h^l_t (c^l_t)
        for l in range(L):
            row = self.h_rows[l] * ones[1:]
            edges.append((t[:-1], row, t[1:], row, 2, l))               # h_{t-1} → h_t
            if lstm:
                row = self.c_rows[l] * ones[1:]
                edges.append((t[:-1], row, t[1:], row, 5, l))           # c_{t-1} → c_t
                edges.append((t, self.c_rows[l] * ones, t, self.h_rows[l] * ones, 6, l))   # c_t → h_t
        edges.append((t, self.h_rows[-1] * ones, t, self.y_row * ones, 3, 0))           # h_t → ŷ_t
        edges.append((loss_t, np.full(loss_t.size, self.y_row), loss_t, np.full(loss_t.size, self.loss_row), 4, 0))
        cols = [np.concatenate([np.broadcast_to(e[i], e[0].shape) for e in edges]) for i in range(6)]
        self.e_t0, self.e_r0, self.e_t1, self.e_r1, self.e_kind, self.e_layer = (c.astype(int) for c in cols)
        # interleaved endpoints for connect="pairs"
        self._pair_cache = {}
        self._nodes_key = None
        self.e_x = np.empty(2 * self.e_t0.size)
        self.e_y = np.empty(2 * self.e_t0.size)
        self.e_x[0::2], self.e_x[1::2] = self.e_t0, self.e_t1
        self.e_y[0::2], self.e_y[1::2] = self.e_r0, self.e_r1
        self._row_ticks = None
        self._label_rows()
        self.plot.getViewBox().setLimits(yMin=-1.0, yMax=float(len(self.rows)))

    def labelled_rows(self) -> list:
        """The rows the left axis names: every row where each has a line of text's height; where
        the rows are closer, those first in :meth:`_row_priority` that keep a line from each other
        (names never overlap; the tooltip names every row)."""
        line = 1.05 * style.line_px(style.TICK_PT)
        px = self._px_per_row()
        kept = []
        for row in self._row_priority():
            if all(abs(row - other) * px >= line for other in kept):
                kept.append(row)
        return sorted(kept)

    def _row_priority(self) -> list:
        """The rows by how much their name is needed: every c (an LSTM's cell path), the top and the
        bottom layer's h, x, the other layers, then ŷ and the loss (their nodes say what they are)."""
        layers = list(self.h_rows)
        first = [*self.c_rows, layers[-1], layers[0], 0]
        rest = [row for row in layers[1:-1][::-1]] + [self.y_row, self.loss_row]
        return list(dict.fromkeys(first + rest))

    def _label_rows(self):
        rows = self.labelled_rows()
        if rows != self._row_ticks:
            self._row_ticks = rows
            self.plot.getAxis("left").setTicks([[(row, self._row_name(row)) for row in rows], []])

    def _row_name(self, row) -> str:
        """The left axis's name of a row: xₜ, hₜ (hₜ⁽ˡ⁾ of layer l of several), cₜ (∏f), ŷₜ, Lₜ."""
        kind, layer = self.rows[row]
        if kind in "hc":
            name = f"{kind}ₜ" if len(self.h_rows) == 1 else f"{kind}ₜ⁽{superscript(layer)}⁾"
            return name + ("  (∏f)" if kind == "c" else "")
        return {"x": "xₜ", "y": "ŷₜ", "L": "Lₜ"}[kind]

    def row_of(self, kind: str, layer: int = 0) -> int:
        """The row (its y) of a kind of node: "x", "h" or "c" of a layer, "y" (ŷ) or "L"."""
        return self.rows.index((kind, layer if kind in "hc" else 0))

    # ------------------------------------------------------------------ data per edge / node
    def step_gradients(self):
        """Per step: ‖∂L/∂a_t‖ of layer 0 (what x_t feeds), ‖∂L/∂h_t‖ of every layer (L, T) and
        ‖∂L/∂ŷ_t‖, each a norm over the batch and the units; NaN where the backward pass has not been."""
        result = self.state.result
        unvisited = ~result.visited
        dih = np.where(unvisited, np.nan, result.d_ih_norm_batch[0])
        dh = np.where(unvisited[None, :], np.nan, result.dh_norm_batch)
        dy = np.where(unvisited, np.nan, result.dyhat_norm_batch)
        return dih, dh, dy

    def input_steps(self) -> np.ndarray:
        """Per step: True where some sequence of the batch has an input (a non-zero x_t): a one-to-many
        task reads only its first step's, the rest are zero."""
        return np.any(np.asarray(self.state.record.inputs) != 0, axis=(1, 2))

    def cell_gradients(self):
        """‖∂L/∂c_t‖ of every layer (L, T) over the batch and the units (LSTM); NaN where the
        backward pass has not been, and for the cells without a cell state."""
        result = self.state.result
        return np.where(~result.visited[None, :], np.nan, result.dc_norm_batch)

    def edge_magnitudes(self):
        """‖gradient‖ of every edge (see the tooltip): the gradient at its tail, NaN where the backward
        pass has not been."""
        dih, dh, dy = self.step_gradients()
        mags = np.empty(self.e_kind.size)
        k, t0, layer = self.e_kind, self.e_t0, self.e_layer
        sel = k == 0                                 # (no input at a step: nothing goes in, as grey as no loss)
        mags[sel] = np.where(self.input_steps()[t0[sel]], dih[t0[sel]], np.nan)
        sel = (k == 1) | (k == 2) | (k == 6)         # (c_t → h_t: the ∂L/∂h_t its head sends down)
        mags[sel] = dh[layer[sel], t0[sel]]
        sel = (k == 3) | (k == 4)
        mags[sel] = dy[t0[sel]]
        sel = k == 5
        mags[sel] = self.cell_gradients()[layer[sel], t0[sel]]
        return mags

    def band_strips(self):
        """The bands drawn instead of the edges at large T: (name, y0, y1, ‖gradient‖ per step,
        edge present per step). Between two rows of nodes, the edges joining them (their tails'
        gradient, as the edges are coloured); along a layer's h (and c), ‖∂L/∂h_t‖ (‖∂L/∂c_t‖): the
        gradient along time."""
        dih, dh, dy = self.step_gradients()
        dc = self.cell_gradients()
        every = np.ones(dh.shape[1], dtype=bool)
        gap, along = detail.GAP_BAND, detail.LAYER_BAND
        strips = []
        for row in range(1, self.y_row):
            (low, low_layer), (kind, layer) = self.rows[row - 1], self.rows[row]
            name = "x→h" if (low, kind) == ("x", "h") else \
                f"{'x' if low == 'x' else f'{low}{low_layer}'}→{kind}{layer}"   # x→c0, h0→h1, h0→c1, c1→h1
            values = dih if low == "x" else dh[low_layer]     # (c→h: the ∂L/∂h_t of its head, the same layer)
            present = self.input_steps() if low == "x" else every
            strips.append((name, row - 1 + gap[0], row - 1 + gap[1], values, present))
            half = along if kind == "h" else detail.CELL_BAND         # (c: thin, inside its ∏f ribbon)
            strips.append((f"{kind}{layer}", row - half, row + half, (dh if kind == "h" else dc)[layer], every))
        top = self.h_rows[-1]
        strips.append(("h→ŷ", top + gap[0], top + gap[1], dy, every))
        strips.append(("ŷ→L", self.y_row + gap[0], self.y_row + gap[1], dy, self.state.result.loss_steps))
        return strips

    def _cut_mask(self):
        """True for recurrent edges (t−1 → t, of h and of c) that no truncation window backpropagates through."""
        through = self.state.result.through      # through[t]: the gradient goes from t back to t−1
        return ((self.e_kind == 2) | (self.e_kind == 5)) & ~through[self.e_t1]

    # ------------------------------------------------------------------ redraw
    def refresh(self, fit=False):
        result = stepper = self.state.result
        r = result.record
        T, L = r.seq_len, r.spec.num_layers
        has_loss = result.loss_steps
        lstm = result.forget_product is not None
        shape = (T, L, lstm, has_loss.tobytes())
        if shape != self._shape:
            self._build(T, L, has_loss, lstm)
            self._shape = shape
            fit = True
        self.shading.update(stepper.segments, stepper.carry_factors)
        self._draw_edges()
        self._draw_nodes(has_loss)
        self._draw_carousels()
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
        self._update_detail(redraw=True)
        self._update_selection()

    def _progress_text(self):
        s = self.state.result
        if not s.forward_complete:
            return f"forward {s.forward_done}/{s.record.seq_len}"
        if not s.backward_complete:
            return f"backward visit {s.visits_done}/{s.plan_length}"
        overflow = "" if self._finite_gradient() else " · no finite gradient (grey edges)"
        return f"pass complete · L = {number(s.record.loss)}{overflow}"

    def _finite_gradient(self) -> bool:
        """False where the backward pass overflowed: no edge has a finite gradient to colour it by."""
        return bool(np.all(np.isfinite(self.state.result.dh_norm_batch)))

    def _draw_edges(self):
        """Every edge's colour level (drawn for the steps in view: see :meth:`_draw_edge_items`)."""
        mags = self.edge_magnitudes()
        cut = self._cut_mask()
        logs = style.log10_or_nan(mags)
        active = ~np.isnan(logs) & ~cut
        lo, hi = style.log_levels(mags[active], max_decades=MAX_DECADES, default=self._levels)
        self._levels = (lo, hi)
        self.bar.setLevels((lo, hi))
        self.bar.setVisible(bool(active.any()) or self._finite_gradient())   # (overflowed: a scale of no colour)
        bins = np.full(mags.size, -1)
        bins[active] = np.clip(((logs[active] - lo) / (hi - lo) * N_BINS).astype(int), 0, N_BINS - 1)
        self.edge_bin = bins
        self.edge_cut = cut

    def _draw_edge_items(self):
        """The edges of the steps in the drawn window, one item per colour level (none as bands)."""
        first, end = self._window
        shown = (self.e_t1 >= first) & (self.e_t0 < end)
        bins, cut = self.edge_bin, self.edge_cut
        self._set_pairs(self.idle_edges, shown & (bins < 0) & ~cut)
        self._set_pairs(self.cut_edges, shown & cut)
        for i, item in enumerate(self.edge_bins):
            self._set_pairs(item, shown & (bins == i))
        visible = not self._rolled
        for item in [self.idle_edges, self.cut_edges, *self.edge_bins]:
            item.setVisible(visible)

    def drawn_edge_count(self) -> int:
        """How many edges are drawn one by one (for tests: bounded whatever T is)."""
        return sum(item.xData.size for item in [self.idle_edges, self.cut_edges, *self.edge_bins]
                   if item.xData is not None and item.isVisible()) // 2

    def _set_edge_widths(self, scale):
        """Edge width grows with the gradient (1 to :data:`EDGE_WIDEST_PX` px at ``scale`` 1)."""
        key = (scale, style.line_width(1.0))
        if key == self._width_scale:
            return
        self._width_scale = key
        for i, item in enumerate(self.edge_bins):
            f = (i + 0.5) / N_BINS
            item.setPen(style.pen(self._cmap.map(f, mode="qcolor"), max(1.0, (1 + (EDGE_WIDEST_PX - 1) * f) * scale)))

    @staticmethod
    def _edge_width_scale(px_per_step: float, node_size: float) -> float:
        """The edges' ``scale`` (see :meth:`_set_edge_widths`): thinner when the steps are packed tightly,
        and never so wide that the widest edge (thicker when presenting) hides a node it runs into."""
        packed = float(np.clip(round(px_per_step / 12, 1), 0.2, 1.0))
        return min(packed, EDGE_NODE_SHARE * node_size / style.line_width(EDGE_WIDEST_PX))

    def _set_pairs(self, item, mask):
        """Give an edge item the edges in ``mask`` (skipped when they are the same as last time)."""
        key = mask.tobytes()
        if self._pair_cache.get(id(item)) == key:
            return
        self._pair_cache[id(item)] = key
        pairs = np.repeat(mask, 2)
        item.setData(self.e_x[pairs], self.e_y[pairs], connect="pairs")

    def _draw_nodes(self, has_loss):
        """How every node looks: computed (its kind's colour; ŷ faded without a loss) or grey."""
        r = self.state.record
        done = (self.node_t < r.forward_done) | (self.node_kind == 0)     # (the inputs are known)
        look = np.where(done, self.node_kind, LOOK_GREY)
        look[done & (self.node_kind == 2) & ~has_loss[self.node_t]] = LOOK_FADED_Y
        self.node_done = done
        self.node_look = look
        self.node_labelled = done.copy()          # (a c node is labelled with its ∏f: where that is known)
        product = self.state.result.forget_product_best
        c_nodes = np.flatnonzero(self.node_kind == NODE_KINDS.index("c"))
        if c_nodes.size:
            layers = np.array([layer for _, layer in self.rows])[self.node_row[c_nodes]]
            self.node_labelled[c_nodes] &= np.isfinite(product[layers, self.node_t[c_nodes]])
        self.rails.update([(0, "x", True), (self.y_row, "y", False)], r.forward_done, r.seq_len)
        self._draw_rolled()
        self.nodes.setVisible(not self._rolled)

    def _draw_carousels(self):
        """The ∏f ribbons along each LSTM layer's c row, c ± CAROUSEL_HALF_WIDTH·∏f at the steps where
        the engine has ∏f (up to the last loss step, once the forward pass has computed it): a light
        one of the best-kept unit, a darker one inside it of the mean over the units."""
        result = self.state.result
        products = [] if result.forget_product is None else [result.forget_product_best, result.forget_product]
        layers = products[0].shape[0] if products else 0
        while len(self.carousels) < layers:
            ribbons = []
            for fill_colour in CAROUSEL_FILLS:
                # only a fill, behind every edge and band (an outline would hide the row's edges where ∏f → 0)
                upper, lower = pg.PlotCurveItem(pen=None), pg.PlotCurveItem(pen=None)
                fill = pg.FillBetweenItem(upper, lower, brush=pg.mkBrush(*fill_colour))
                for item in (upper, lower, fill):
                    item.setZValue(-60)
                    self.plot.addItem(item, ignoreBounds=True)
                ribbons.append((upper, lower, fill))
            self.carousels.append(ribbons)
        for l, ribbons in enumerate(self.carousels):
            for ribbon, (upper, lower, fill) in enumerate(ribbons):
                product = products[ribbon][l] if l < layers else np.array([])
                steps = np.flatnonzero(np.isfinite(product))
                shown = steps.size > 0 and not self._rolled
                if shown:
                    width = CAROUSEL_HALF_WIDTH * np.clip(product[steps], 0.0, 1.0)
                    row = self.c_rows[l]
                    upper.setData(steps.astype(float), row + width)
                    lower.setData(steps.astype(float), row - width)
                for item in (upper, lower, fill):
                    item.setVisible(shown)

    def carousel_widths(self, layer: int, ribbon: int = 0):
        """(steps, half-width) of a ∏f ribbon drawn along a layer's c row (ribbon 0: of the best-kept
        unit, 1: of the mean over the units; for tests)."""
        upper, _, _ = self.carousels[layer][ribbon]
        if not upper.isVisible() or upper.xData is None:
            return np.array([]), np.array([])
        return upper.xData.astype(int), upper.yData - self.c_rows[layer]

    def _draw_node_items(self):
        """The nodes drawn one by one: those of the steps in the drawn window; as bands, only the loss
        nodes (one per pixel column)."""
        if self._band:
            loss = np.flatnonzero(self.node_kind == 3)
            keep = detail.column_firsts(self.node_t[loss], self.bands.k)
            index = loss[np.searchsorted(self.node_t[loss], keep)]
        else:
            first, end = self._window
            index = np.flatnonzero((self.node_t >= first) & (self.node_t < end))
        key = (index.tobytes(), self.node_look.tobytes())
        if key == self._nodes_key:       # the nodes' look only changes with progress, shape and zoom
            return
        self._nodes_key = key
        look = self.node_look[index]
        self.nodes.setData(x=self.node_t[index].astype(float), y=self.node_row[index].astype(float),
                           data=index, brush=self._brush_table[look],
                           pen=self._bare_pen if self._band else self._pen_table[look],
                           symbol=self.node_symbol[index], size=self._node_size())

    def drawn_node_count(self) -> int:
        """How many nodes are drawn one by one (for tests: bounded whatever T is)."""
        return len(self.nodes.data) if self.nodes.isVisible() else 0

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
        return self._node_size_at(self._px_per_step(), self._px_per_row(), self._band)

    @staticmethod
    def _node_size_at(px_per_step: float, px_per_row: float, band: bool) -> float:
        if band:           # only the loss nodes are drawn: large enough to see
            return float(np.clip(0.3 * px_per_row, 6, 12))
        return float(np.clip(0.45 * min(px_per_step, px_per_row), 4, 24))

    @staticmethod
    def _ring_size(node_size: float, band: bool) -> float:
        """The step ring's diameter in px: around its node, larger among the bands (no node to ring)."""
        return (RING_BAND_NODE if band else node_size) + RING_PAD

    def _end_margin(self, steps: int, width: float) -> float:
        """The room, in steps, left of the first step and right of the last of ``steps`` + 1 steps
        shown in ``width`` px: :data:`END_MARGIN_STEPS`, or more where the step ring (its radius r px
        with its pen) would be cut at an end: m ≥ r / px per step, px per step = width / (steps + 2m)."""
        px_per_row = max(self.plot.getViewBox().height(), 1.0) / (len(self.rows) + 0.1)
        margin = END_MARGIN_STEPS
        for _ in range(4):         # (px per step falls as the margin grows; the ring with it, or to the band's)
            px = max(width, 1.0) / (steps + 2 * margin)
            band = detail.band_mode(px)
            radius = (self._ring_size(self._node_size_at(px, px_per_row, band), band) + RING_PEN) / 2 + 1
            margin = max(margin, radius / px)
        return margin

    @staticmethod
    def _text_scale():
        """How much larger than its base size text is drawn (zoom, presentation): labels need that much more room."""
        return style.pt(style.TICK_PT) / style.TICK_PT

    def band_mode(self) -> bool:
        """True while the edges are drawn as bands (too many steps in view for one node each)."""
        return self._band

    def _weight_labels(self, values=False, gradients=False):
        """The weight names on the edges (:class:`graph_names.NamePlace` each): W_ih into h, W_hh from
        h_{t−1} to h_t, W_hy out to ŷ, an LSTM's forget gate f_t on c_{t−1} → c_t. Rolled: on the one
        column and its loops. Unrolled: on every column while the steps have room, else at the selected
        step, each where it overlaps no node, edge, label or other name (see :mod:`graph_names`).
        ``values``: the nodes carry their values (no room for every step's names); ``gradients``: the
        recurrent edges carry their numbers instead of W_hh and f_t."""
        if self._rolled:
            return names.rolled_names(self.h_rows, self.c_rows, self.y_row, self._ring_radius(ROLLED_RING_PX),
                                      self._px_per_step())
        frame = self._frame()
        rounds = names.placement_rounds(frame.px_per_step, self._text_scale(), values)
        if not rounds:
            return []
        layout = names.Layout(self.state.record.seq_len, self.state.selection.step,
                              self._ring_radius(self.marker.opts["size"]), self.h_rows, self.c_rows, self.y_row)
        recurrent = self.state.record.seq_len > 1 and not gradients
        return names.place_weight_names(rounds, frame, layout, self._name_obstacles(frame, layout), recurrent)

    @staticmethod
    def _ring_radius(size) -> float:
        """px from the step ring's centre to the outer edge of its line, for a ring of ``size`` px."""
        return (float(size) + RING_PEN) / 2

    def _frame(self) -> names.Frame:
        """The view box in px as the weight names are placed in it (see :class:`graph_names.Frame`)."""
        vb = self.plot.getViewBox()
        (x0, x1), (y0, _) = vb.viewRange()
        return names.Frame(x0, x1, y0, self._px_per_step(), self._px_per_row(),
                           max(vb.width(), 1.0), max(vb.height(), 1.0))

    def _name_obstacles(self, frame, layout):
        """What the weight names keep clear of (see :func:`graph_names.obstacles`): the nodes, the ring,
        the edges and the value and gradient labels shown, read off this view's items."""
        texts = []
        for pool in (self._labels, self._gradient_texts):
            for label in pool:
                if label.isVisible():
                    rect = label.textItem.boundingRect()
                    texts.append((label.pos().x(), label.pos().y(), label.anchor, (rect.width(), rect.height())))
        ring = (layout.selected, self.marked_row(), layout.ring_radius)
        return names.obstacles(frame, (self.node_t, self.node_row, self.node_symbol), self._node_size(), ring,
                               texts, (self.e_t0, self.e_r0, self.e_t1, self.e_r1))

    def _draw_weight_labels(self, values=False, gradients=False):
        """Draw the weight names (see :meth:`_weight_labels`), each laid over an edge on a white ground,
        and a leader from each name hung away from its edge to the edge's line."""
        placed = self._weight_labels(values, gradients)
        self._show_texts(self._weight_texts, [name[:4] for name in placed], self._weight_text, html=True)
        led = [name for name in placed if name.leader_to is not None]
        self.weight_leaders.setData(np.repeat([name.x for name in led], 2),
                                    np.ravel([(name.y, name.leader_to) for name in led]), connect="pairs")
        for label, name in zip(self._weight_texts, placed):
            if getattr(label, "_explorer_grounded", False) != name.over_edge:
                label._explorer_grounded = name.over_edge
                label.fill = pg.mkBrush(WEIGHT_LABEL_GROUND if name.over_edge else None)
                label.update()

    def _weight_text(self):
        label = pg.TextItem(color=WEIGHT_LABEL)
        style.set_font(label, style.TICK_PT, bold=True)
        label.textItem.document().setDocumentMargin(names.WEIGHT_LABEL_MARGIN)   # (as names.name_size measures it)
        label.setZValue(25)
        return label

    def weight_label_texts(self) -> list:
        """The weight names shown, as plain text (W_ih is drawn W with a subscript ih)."""
        return [label.textItem.toPlainText() for label in self._weight_texts if label.isVisible()]

    def _update_detail(self, redraw=False):
        """What the zoom has room for (see graph_detail): bands or the nodes and edges in view, node
        size, weight names and value labels; and the zoom hint. ``redraw``: the data changed."""
        self._label_rows()
        if self._rolled:
            self._draw_rolled()          # (the values wrapped to the new room)
            return
        T = self.state.record.seq_len
        (x0, x1), _ = self.plot.getViewBox().viewRange()
        px = self._px_per_step()
        band = detail.band_mode(px)
        if band:
            window = (0, 0)
            k = detail.steps_per_column(px, T)
            key = (k, self._levels)
            if redraw or key != self._band_key:
                self._band_key = key
                self.bands.update(self.band_strips(), self._levels, k)
        elif band == self._band and detail.window_covers(self._window, x0, x1, T):
            window = self._window
        else:
            window = detail.drawn_window(x0, x1, T)
        if redraw or band != self._band or window != self._window:
            self._band, self._window = band, window
            self._draw_edge_items()
            self._draw_node_items()
        elif band:
            self._draw_node_items()      # (one loss node per column: the columns change with the zoom)
        self.bands.setVisible(band)
        self.rails.setVisible(band)
        self.cursor_line.setVisible(band)
        size = self._node_size()
        self._set_edge_widths(self._edge_width_scale(px, size))
        if self.nodes.data.size and self.nodes.data["size"][0] != size:
            self.nodes.setSize(size)
        self.marker.setSize(self._ring_size(size, band))
        self._set_hint(detail.zoom_hints(x0, x1, T))
        # value labels, then the gradients under the recurrent edges: each where the widest fits its step
        room = px / self._text_scale()
        wanted, texts = [], []
        if room >= detail.LABEL_MIN_PX:
            wanted = np.flatnonzero(self.node_labelled & (self.node_t >= x0 - 1) & (self.node_t <= x1 + 1))
            texts = self._node_texts(wanted)
            if not self._fits(texts, detail.VALUE_LABEL_SHARE * px):
                wanted, texts = [], []
        self._place_labels([(self.node_t[i] + 0.12, self.node_row[i] + 0.22, text) for i, text in zip(wanted, texts)])
        gradients = []
        if texts and room >= detail.GRADIENT_LABEL_MIN_PX and self._rows_fit(2):
            gradients = self._gradient_labels(x0, x1)
            if not self._fits([g[2] for g in gradients], detail.GRADIENT_LABEL_SHARE * px):
                gradients = []
        self._show_texts(self._gradient_texts, gradients, self._gradient_text)
        self._draw_weight_labels(values=bool(texts), gradients=bool(gradients))

    @staticmethod
    def _fits(texts, width) -> bool:
        """The widest of ``texts`` is at most ``width`` px wide in the labels' font."""
        measure = QFontMetricsF(style.font(style.TICK_PT)).horizontalAdvance
        return all(measure(text) <= width for text in texts)

    def _gradient_labels(self, x0, x1):
        """(x, y, text, anchor) of the number each recurrent edge h_t → h_{t+1} (and c_t → c_{t+1}) is
        coloured by, ‖∂L/∂h_t‖ (‖∂L/∂c_t‖), written under it (where the backward pass has been)."""
        _, dh, _ = self.step_gradients()
        T = dh.shape[1]
        steps = np.arange(max(0, int(np.floor(x0 - 1))), min(T - 1, int(np.ceil(x1)) + 1))
        labels = []
        rows = [("h", self.h_rows, dh), ("c", self.c_rows, self.cell_gradients())]
        for kind, rows_of_layers, norms in rows:
            for l, row in enumerate(rows_of_layers):
                for t in steps[~np.isnan(norms[l, steps])]:
                    name = style.subscript(kind, t)
                    labels.append((t + 0.5, row - 0.08, f"‖∂L/∂{name}‖ = {number(norms[l, t], 3)}", (0.5, 0)))
        return labels

    @staticmethod
    def _gradient_text():
        label = pg.TextItem(color=GRADIENT_LABEL, fill=pg.mkBrush(255, 255, 255, 210))
        style.set_font(label, style.TICK_PT)
        label.setZValue(28)
        return label

    def gradient_label_texts(self) -> list:
        """The gradients written under the recurrent edges, as plain text."""
        return [label.toPlainText() for label in self._gradient_texts if label.isVisible()]

    def _rows_fit(self, lines: int) -> bool:
        """``lines`` lines of labels fit between two rows (beside the 0.3 row the labels keep off the nodes)."""
        return 0.7 * self._px_per_row() >= lines * style.line_px(style.TICK_PT)

    def _node_texts(self, index):
        """Each node's value, named: x and ŷ (a one-hot or distribution by its argmax #k), h (of the
        selected unit: the tooltip says so), the loss term ℓ; all of the selected sequence. An LSTM's
        c node: the ∏f of its best-kept unit (the engine's, over the batch), where it is known."""
        r, sel = self.state.record, self.state.selection
        b, u = sel.batch_index, sel.unit
        product = self.state.result.forget_product_best
        task = self.state.task
        inputs, classes = symbols(task)
        out = []   # (short: "h[3] = " would need wider steps than a projector's graph has)
        for i in index:
            t, row = self.node_t[i], self.node_row[i]
            kind, layer = self.rows[row]
            if kind == "x":
                x = r.inputs[t, b]
                if task.one_hot_inputs:             # a letter or a word: the symbol read
                    out.append(f"x = {inputs[int(np.argmax(x))]}" if np.any(x) else "x = ·")
                else:
                    out.append("x = " + (number(x[0], 3) if x.size == 1 else f"#{int(np.argmax(x))}"))
            elif kind == "h":
                out.append(f"h = {number(r.h[layer, t, b, u], 3)}")
            elif kind == "c":
                out.append(f"∏f = {number(product[layer, t], 3)}")
            elif kind == "y":
                y = r.yhat[t, b]
                if task.loss == "xent":             # the most probable class: a letter, a word, a class
                    out.append(f"ŷ = {classes[int(np.argmax(y))]}")
                else:
                    out.append("ŷ = " + (number(y[0], 3) if y.size == 1 else f"#{int(np.argmax(y))}"))
            else:
                out.append(f"ℓ = {number(r.loss_t[t], 3)}")
        return out

    def value_label_texts(self) -> list:
        """The value labels shown, as plain text."""
        return [label.toPlainText() for label in self._labels if label.isVisible()]

    def _set_hint(self, hints):
        """The time axis's label: "step t" and the longest of the zoom ``hints`` that fits under the
        plot (the label is only set when it changed)."""
        self._set_axis_label([detail.axis_label("step t", hint) for hint in [*hints, ""]])

    def _set_axis_label(self, labels):
        """The first of ``labels`` (longest first) that fits under the plot, or the last."""
        room = self.plot.getViewBox().width()
        if (labels, room, style.pt(style.AXIS_PT)) == self._hint:
            return
        self._hint = (labels, room, style.pt(style.AXIS_PT))
        axis = self.plot.getAxis("bottom")
        for label in labels:
            style.style_axis(axis, label)
            if axis.label.boundingRect().width() <= room:
                break
        axis.resizeEvent()       # (pyqtgraph centres an axis label only when the axis is resized)

    def hint_text(self) -> str:
        """The zoom hint as shown under the time axis, in plain text."""
        return self.plot.getAxis("bottom").label.toPlainText()

    def _place_labels(self, items):
        """The value labels: (x, y, text), up and right of their point."""
        self._show_texts(self._labels, [(x, y, text, (0, 1)) for x, y, text in items], self._value_text)

    @staticmethod
    def _value_text():
        label = pg.TextItem(color=style.FOREGROUND, anchor=(0, 1))
        style.set_font(label, style.TICK_PT)
        label.setZValue(30)
        return label

    def _show_texts(self, pool, items, make, html=False):
        """Show ``items`` (x, y, text, anchor) with the pooled text items of ``pool`` (made by ``make``
        when there are too few; the rest hidden). Text is only set when it changed (laying it out is slow)."""
        while len(pool) < len(items):
            label = make()
            self.plot.addItem(label, ignoreBounds=True)
            pool.append(label)
        for label, (x, y, text, anchor) in zip(pool, items):
            if getattr(label, "_explorer_text", None) != text:
                label._explorer_text = text
                if html:
                    label.setHtml(text)
                else:
                    label.setText(text)
            label.setAnchor(anchor)
            label.setPos(x, y)
            label.setVisible(True)
        for label in pool[len(items):]:
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
        recurrent = [(row, 2, l) for l, row in enumerate(self.h_rows)] + [(row, 5, l) for l, row in enumerate(self.c_rows)]
        while len(self.loops) < len(recurrent):
            loop = pg.PlotDataItem(pen=style.pen("#808080", 2))
            loop.setZValue(-4)
            self.plot.addItem(loop)
            self.loops.append(loop)
        for i, loop in enumerate(self.loops):
            loop.setVisible(self._rolled and i < len(recurrent))
        self.roll_edges.setVisible(self._rolled)
        self.rolled_nodes.setVisible(self._rolled)
        if not self._rolled:
            return
        self.bands.setVisible(False)
        self.rails.setVisible(False)
        self.cursor_line.setVisible(False)
        for item in [self.idle_edges, self.cut_edges, *self.edge_bins]:     # (the unrolled steps' edges)
            item.setVisible(False)
        t = sel.step
        n = len(self.rows)
        rows = np.arange(n)
        done = t < r.forward_done
        has_loss = self.state.result.loss_steps[t]
        self.roll_edges.setData(np.zeros(2 * (n - 1)), np.repeat(rows, 2)[1:-1], connect="pairs")
        theta = np.linspace(0, 2 * np.pi, 60)
        for loop, (row, kind, l) in zip(self.loops, recurrent):
            level = -1   # colour level of this layer's recurrent edge (h, or c) into the selected step
            index = np.flatnonzero((self.e_kind == kind) & (self.e_layer == l) & (self.e_t1 == t))
            if index.size:
                level = self.edge_bin[index[0]]
            f = np.nan if level < 0 else (level + 0.5) / N_BINS
            color = "#9a9a9a" if np.isnan(f) else self._cmap.map(f, mode="qcolor")
            loop.setPen(style.pen(color, 1.5 if np.isnan(f) else 1 + 5 * f))
            loop.setData(-0.32 + 0.3 * np.cos(theta), row + 0.3 * np.sin(theta))
        kinds = [kind for kind, _ in self.rows]
        brushes = [self._brushes[k] if (done or k == "x") else self._brushes["grey"] for k in kinds]
        if not has_loss:
            brushes[-1] = self._brushes["grey"]
        self.nodes.setVisible(False)
        self.rolled_nodes.setData(x=np.zeros(n), y=rows.astype(float), brush=brushes, pen=self._pens["on"],
                                  symbol=list(self.node_symbol_of_rows()), data=rows)
        left = 0.15 + (ROLLED_NODE_PX / 2) / self._px_per_step()        # (clear of the node)
        self._show_texts(self._labels, [(left, float(row), text, (0, 0.5))
                                        for row, text in enumerate(self._rolled_lines(left))], self._value_text)
        self._draw_weight_labels()
        style.set_fitting_title(self.plot, [f"Rolled graph · step t = {t}", f"step t = {t}"])
        self._set_bottom_axis(rolled=True)
        self._set_axis_label(list(ROLLED_CAPTIONS))

    def node_symbol_of_rows(self):
        """Each row's node symbol: a square for the loss, a diamond for c, a circle for the rest."""
        return ["s" if kind == "L" else "d" if kind == "c" else "o" for kind, _ in self.rows]

    def _rolled_lines(self, left: float) -> list:
        """Each row's values as :meth:`_rolled_texts` gives them, on as many lines as the row has room
        for, each line as wide as the view right of ``left``: whole values only, the first ones kept
        where there is no room for all (nothing is cut at the view's edge)."""
        (_, x1), _ = self.plot.getViewBox().viewRange()
        room = (x1 - left) * self._px_per_step() - 6
        metrics = QFontMetricsF(style.font(style.TICK_PT))
        most = max(1, int(0.92 * self._px_per_row() // style.line_px(style.TICK_PT)))
        rows = []
        for parts in self._rolled_texts():
            lines = []
            for part in parts:
                if lines and metrics.horizontalAdvance(lines[-1] + ROLLED_GAP + part) <= room:
                    lines[-1] += ROLLED_GAP + part
                elif len(lines) < most and (not lines or metrics.horizontalAdvance(part) <= room):
                    lines.append(part)
                else:
                    break
            rows.append("\n".join(lines))
        return rows

    def _rolled_texts(self):
        """Per row, its values at the selected step (of the selected unit and sequence), most important first."""
        result, sel = self.state.result, self.state.selection
        r = result.record
        t, b, u = sel.step, sel.batch_index, sel.unit
        x, h, c, yhat, loss = (style.subscript(name, t) for name in ("x", "h", "c", "ŷ", "ℓ"))
        if t >= r.forward_done:
            return [[f"{x} = {self._vec(r.inputs[t, b])}"]] + [["not computed yet"]] * (len(self.rows) - 1)
        texts = []
        for kind, l in self.rows:
            if kind == "x":
                texts.append([f"{x} = {self._vec(r.inputs[t, b])}"])
            elif kind == "h":
                parts = [f"{h}[{u}] = {number(r.h[l, t, b, u])}", f"‖{h}‖ = {number(result.h_norm_sequence[l, t, b])}"]
                if result.visited[t]:
                    parts.insert(1, f"‖∂L/∂{h}‖ = {number(result.dh_norm_sequence[l, t, b])}")
                texts.append(parts)
            elif kind == "c":
                # (c and its ∏f, the row's point, on one line together)
                parts = [f"{c}[{u}] = {number(r.c[l, t, b, u])}  ∏f = {number(result.forget_product[l, t])}",
                         f"f̄ = {number(result.forget_mean[l, t])}",
                         f"∏f of the best unit {number(result.forget_product_best[l, t])}"]
                if result.visited[t]:
                    parts.insert(1, f"‖∂L/∂{c}‖ = {number(result.dc_norm_sequence[l, t, b])}")
                texts.append(parts)
            elif kind == "y":
                target = r.targets[t, b]
                texts.append([f"{yhat} = {self._vec(r.yhat[t, b])}", f"target {self._vec(np.atleast_1d(target))}"])
            else:
                texts.append([f"{loss} = {number(r.loss_t[t])}" if result.loss_steps[t] else f"no loss at t = {t}"])
        return texts

    @staticmethod
    def _vec(v):
        v = np.atleast_1d(v)
        if v.size <= 3:
            return "[" + ", ".join(number(x) for x in v) + "]"
        return f"[{number(v[0])}, …] (argmax #{int(np.argmax(v))})"

    # ------------------------------------------------------------------ selection
    def _update_selection(self):
        sel = self.state.selection
        row = float(self.marked_row())
        if self._rolled:
            self._draw_rolled()
            self.marker.setData([0.0], [row])
            self.marker.setSize(ROLLED_RING_PX)
            return
        style.set_fitting_title(self.plot, [UNROLLED_TITLE, UNROLLED_SHORT])
        self._set_bottom_axis(rolled=False)
        self.marker.setData([float(sel.step)], [row])
        self._follow(sel.step)
        self._update_detail()
        self.cursor_line.setValue(sel.step)
        style.set_line_label(self.cursor_line, f"t = {sel.step}")

    def _follow(self, step):
        """Zoomed in, keep the selected step in view: when it leaves the view, the view moves on."""
        if self._steps_shown is not None and step == self._zoomed_at:
            return                           # (a lesson's zoom stays until the cursor moves)
        vb = self.plot.getViewBox()
        (x0, x1), _ = vb.viewRange()
        moved = detail.follow(x0, x1, step, self.state.record.seq_len)
        if moved is not None and detail.is_zoomed(x0, x1, self.state.record.seq_len):
            vb.setXRange(*moved, padding=0)

    _axis_rolled = False

    def _set_bottom_axis(self, rolled: bool):
        if rolled == self._axis_rolled:
            return
        self._axis_rolled = rolled
        axis = self.plot.getAxis("bottom")
        axis.setStyle(showValues=not rolled)
        axis.setTicks([[], []] if rolled else None)   # (no steps along it: no numbers, no marks without them)
        self._hint = None            # (unrolled, the zoom hint joins "step t" again: see _set_hint)
        if not rolled:
            style.style_axis(axis, "step t")

    def marked_row(self) -> int:
        """The row the ring marks: the selected layer's h, or its c after a click on a c node."""
        kind = self._marked if self._marked == "c" and self.c_rows.size else "h"
        return self.row_of(kind, min(self.state.selection.layer, len(self.h_rows) - 1))

    def show_steps(self, steps):
        """Zoom the time axis to the steps (first, last), as the wheel would, or show every step
        (None); a double-click shows every step again."""
        self._steps_shown = None if steps is None else (int(steps[0]), int(steps[1]))
        self._zoomed_at = self.state.selection.step      # (the view follows the cursor once it moves)
        self.fit()

    _fitted = None             # (x0, x1, width) as fit() last set the time axis

    def _resized(self):
        """A new width: the room at the ends (in steps) is fitted again, unless the view was zoomed or panned since."""
        (x0, x1), _ = self.plot.getViewBox().viewRange()
        if (not self._rolled and self._fitted is not None and self._fitted[2] != self.plot.getViewBox().width()
                and np.allclose(self._fitted[:2], (x0, x1))):
            self.fit()
        self._update_detail()

    def fit(self):
        vb = self.plot.getViewBox()
        top = len(self.rows) - 0.4
        if self._rolled:
            vb.setLimits(xMin=-3, xMax=8)
            vb.setRange(xRange=(-1.7, 4.5), yRange=(-0.5, top), padding=0)   # (the weights named on the left)
        else:
            T = self.state.record.seq_len
            first, last = 0, T - 1
            if self._steps_shown is not None:        # a lesson step's steps (the view follows the cursor within)
                first, last = (min(t, T - 1) for t in self._steps_shown)
            margin = self._end_margin(last - first, vb.width())     # (the ring whole at either end)
            x0, x1 = first - margin, last + margin
            end = max(2.0, self._end_margin(T - 1, vb.width()))
            vb.setLimits(xMin=-end, xMax=T - 1 + end + detail.LABEL_ROOM_STEPS)
            self.plot.getAxis("bottom").span = (0, T - 1)
            if vb.width() / (x1 - x0) >= detail.LABEL_MIN_PX * self._text_scale():
                x1 += detail.LABEL_ROOM_STEPS        # the last step's value labels stay in view
            vb.setXRange(x0, x1, padding=0)          # (no empty column after the last step)
            self._fitted = (x0, x1, vb.width())
            vb.setYRange(-0.5, top, padding=0.02)

    # ------------------------------------------------------------------ clicks
    def node_count(self) -> int:
        return int(self.node_t.size)

    def node_position(self, step: int, row: int):
        """(x, y) in plot coordinates of a node; the rows from 0 (x) up, as :meth:`row_of` numbers them
        (without a cell state: 1..L the layers, L+1 ŷ, L+2 the loss)."""
        return (0.0 if self._rolled else float(step)), float(row)

    def select_node(self, step: int, row: int):
        """Select what a click on node (step, row) means: the step, and the layer for an h or c node
        (the ring then marks the row clicked)."""
        kind, layer = self.rows[row]
        changes = dict(step=int(step))
        if kind in ("h", "c"):
            changes["layer"] = int(layer)
            self._marked = kind
        before = self.state.selection
        self.state.select(**changes)
        if self.state.selection == before:   # (the ring moves between h and c also when the selection is the same)
            self._update_selection()

    def _on_scatter_click(self, item, points, ev=None):
        if len(points):
            i = int(points[0].data())
            self.select_node(self.node_t[i], self.node_row[i])

    def _on_canvas_click(self, ev):
        """A double-click in the plot shows every step again; a click between the nodes (or on a
        band) selects the step of that column (and the layer of that row)."""
        vb = self.plot.getViewBox()
        if not vb.sceneBoundingRect().contains(ev.scenePos()) or ev.button() != Qt.MouseButton.LeftButton:
            return
        if ev.double():
            self._steps_shown = None
            self.fit()
            ev.accept()
            return
        if ev.isAccepted() or self._rolled:          # (a node took it)
            return
        point = vb.mapSceneToView(ev.scenePos())
        T = self.state.record.seq_len
        step = int(np.clip(round(point.x()), 0, T - 1))
        self.select_node(step, int(np.clip(round(point.y()), 0, len(self.rows) - 1)))

    def _on_rolled_click(self, item, points, ev=None):
        if len(points):
            self.select_node(self.state.selection.step, int(points[0].data()))

    def restyle(self):
        """Called by style.restyle after the look changed: the room labels need changed with the text size."""
        self._hint = None
        if self._rolled:
            self._draw_rolled()
        else:
            self._update_detail()
