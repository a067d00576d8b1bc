"""Units × time heatmaps of what the forward (and backward) pass recorded."""

import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

import pyqtgraph as pg

from rnn.params import GATE_NAMES

from . import style

TOOLTIP = """<b>Hidden states</b>: one row per hidden unit, one column per step t, for one layer and one
sequence of the batch. Colour: the recorded value (diverging map, symmetric levels; gates in [0, 1] on a
sequential map).<br>
Quantities: h<sub>t</sub>; the pre-activation a<sub>t</sub> = W<sub>ih</sub>x<sub>t</sub> + b<sub>ih</sub> +
W<sub>hh</sub>h<sub>t−1</sub> + b<sub>hh</sub> and φ'(a<sub>t</sub>) (vanilla cell); c<sub>t</sub> and the gates
i, f, g, o (LSTM: c<sub>t</sub> = f⊙c<sub>t−1</sub> + i⊙g, h<sub>t</sub> = o⊙tanh c<sub>t</sub>); r, z, n (GRU:
h<sub>t</sub> = (1−z)⊙n + z⊙h<sub>t−1</sub>); and ∂L/∂h<sub>t</sub> from the backward pass.<br>
Blank columns: not computed yet. Click a cell to select its step and unit.
Right-click → Export saves PNG/SVG/CSV."""

SIGMOID_GATES = {"i", "f", "o", "r", "z"}


class HiddenStatesView(QWidget):
    """Heatmap of h_t (or a_t, φ'(a_t), c_t, a gate, ∂L/∂h_t) over units × time for one layer."""

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.setToolTip(TOOLTIP)
        self.layer_box = QComboBox()
        self.quantity_box = QComboBox()
        for box, tip in ((self.layer_box, "which layer"), (self.quantity_box, "which recorded quantity")):
            style.set_font(box, style.AXIS_PT)
            box.setToolTip(tip)
        top = QHBoxLayout()
        for text, box in (("layer", self.layer_box), ("show", self.quantity_box)):
            label = QLabel(text)
            style.set_font(label, style.AXIS_PT)
            top.addWidget(label)
            top.addWidget(box)
        top.addStretch(1)

        self.canvas = style.layout_widget()
        self.canvas.setToolTip(TOOLTIP)
        self.plot = self.canvas.addPlot(row=0, col=0)
        style.style_plot(self.plot, "Hidden state hₜ", left="unit", bottom="step t")
        self.plot.hideButtons()
        style.integer_axis(self.plot, "bottom")
        style.integer_axis(self.plot, "left")
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self._diverging = style.colormap(style.DIVERGING)
        self._sequential = style.colormap(style.SEQUENTIAL)
        self.bar = style.color_bar(self._diverging, "value")
        self.bar.setImageItem(self.image)
        self.canvas.addItem(self.bar, row=0, col=1)
        self.step_line = pg.InfiniteLine(angle=90, movable=False, pen=style.pen(style.FOREGROUND, 2.5))
        self.unit_line = pg.InfiniteLine(angle=0, movable=False,
                                         pen=style.pen(style.FOREGROUND, 1.5, Qt.PenStyle.DashLine))
        for line in (self.step_line, self.unit_line):
            line.setZValue(10)
            self.plot.addItem(line, ignoreBounds=True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.canvas, 1)

        self._shape = None
        self._batch = state.selection.batch_index
        self.layer_box.currentIndexChanged.connect(self._on_layer_box)
        self.quantity_box.currentIndexChanged.connect(lambda *_: self.refresh())
        self.plot.scene().sigMouseClicked.connect(self._on_scene_click)
        state.passChanged.connect(self.refresh)  # every new config or params ends in a passChanged
        state.selectionChanged.connect(lambda *_: self._on_selection())
        self.refresh()

    # ------------------------------------------------------------------ choices
    def quantities(self):
        """(key, label) of every quantity the current cell records."""
        cell = self.state.record.spec.cell
        items = [("h", "hₜ  hidden state")]
        if cell == "rnn":
            items += [("pre", "aₜ  pre-activation"), ("dphi", "φ'(aₜ)")]
        elif cell == "lstm":
            items += [("c", "cₜ  cell state")]
            items += [(f"gate:{g}", f"{g}  gate") for g in GATE_NAMES["lstm"]]
        else:
            items += [(f"gate:{g}", f"{g}  gate") for g in GATE_NAMES["gru"]]
        items += [("dh", "∂L/∂hₜ  gradient")]
        return items

    def set_quantity(self, key: str):
        keys = [k for k, _ in self.quantities()]
        self.quantity_box.setCurrentIndex(keys.index(key))

    @property
    def quantity(self) -> str:
        return self.quantity_box.currentData() or "h"

    @property
    def layer(self) -> int:
        return max(self.layer_box.currentIndex(), 0)

    def _sync_boxes(self):
        spec = self.state.record.spec
        shape = (spec.cell, spec.num_layers)
        if shape == self._shape:
            return
        self._shape = shape
        current = self.quantity
        for box in (self.layer_box, self.quantity_box):
            box.blockSignals(True)
        self.layer_box.clear()
        self.layer_box.addItems([str(l) for l in range(spec.num_layers)])
        self.layer_box.setCurrentIndex(min(self.state.selection.layer, spec.num_layers - 1))
        self.quantity_box.clear()
        for key, label in self.quantities():
            self.quantity_box.addItem(label, key)
        keys = [k for k, _ in self.quantities()]
        self.quantity_box.setCurrentIndex(keys.index(current) if current in keys else 0)
        for box in (self.layer_box, self.quantity_box):
            box.blockSignals(False)

    # ------------------------------------------------------------------ data
    def values(self):
        """(T, H) array of the chosen quantity for the chosen layer and sequence; NaN = not computed."""
        r, b, l = self.state.record, self.state.selection.batch_index, self.layer
        H = r.spec.hidden_size
        key = self.quantity
        if key == "h":
            data = r.h[l, :, b]
        elif key == "pre":
            data = r.pre[l, :, b]
        elif key == "dphi":
            data = r.dphi[l, :, b]
        elif key == "c":
            data = r.c[l, :, b]
        elif key == "dh":
            data = r.dh[l, :, b]
        else:
            g = GATE_NAMES[r.spec.cell].index(key.split(":")[1])
            data = r.gates[l, :, b, g * H:(g + 1) * H]
        data = np.array(data, dtype=float)
        if key == "dh":
            data[r.visits == 0] = np.nan
        else:
            data[r.forward_done:] = np.nan
        return data

    def refresh(self):
        self._sync_boxes()
        r = self.state.record
        T, H = r.seq_len, r.spec.hidden_size
        key = self.quantity
        data = self.values()
        image = data.T                                   # rows = units, columns = steps
        if key in {f"gate:{g}" for g in SIGMOID_GATES} or key == "dphi":
            cmap, levels = self._sequential, (0.0, 1.0)
        else:
            cmap, levels = self._diverging, style.symmetric_levels(data)
        if self.bar.colorMap() is not cmap:
            self.bar.setColorMap(cmap)
        self.image.setImage(style.displayable(image), autoLevels=False)
        self.image.setRect(QRectF(-0.5, -0.5, T, H))
        self.bar.setLevels(levels)
        label = dict(self.quantities())[key].split("  ")
        style.style_axis(self.bar.getAxis("left"), label[0])
        who = f"layer {self.layer} · seq {self.state.selection.batch_index}"
        style.set_title(self.plot, f"{label[0]}{f' ({label[1]})' if len(label) > 1 else ''} · {who}")
        vb = self.plot.getViewBox()
        vb.setLimits(xMin=-0.5 - 0.05 * T, xMax=T - 0.5 + 0.05 * T, yMin=-0.5 - 0.05 * H, yMax=H - 0.5 + 0.05 * H)
        if (T, H) != getattr(self, "_range", None):
            self._range = (T, H)
            vb.setRange(xRange=(-0.5, T - 0.5), yRange=(-0.5, H - 0.5), padding=0)
        self._on_selection(redraw=False)

    def _on_selection(self, redraw=True):
        sel = self.state.selection
        if redraw and sel.layer != self.layer and sel.layer < self.layer_box.count():
            self.layer_box.setCurrentIndex(sel.layer)    # redraws through _on_layer_box
            return
        if redraw and sel.batch_index != self._batch:
            self.refresh()                               # another sequence of the batch
            return
        self._batch = sel.batch_index
        self.step_line.setValue(sel.step)
        self.unit_line.setValue(sel.unit)

    def _on_layer_box(self, index):
        if index >= 0:
            self.state.select(layer=index)
            self.refresh()

    # ------------------------------------------------------------------ clicks
    def select_cell(self, x: float, y: float):
        """Select the (step, unit) under plot coordinates (x, y), if it is inside the heatmap."""
        r = self.state.record
        t, u = int(round(x)), int(round(y))
        if 0 <= t < r.seq_len and 0 <= u < r.spec.hidden_size:
            self.state.select(step=t, unit=u, layer=self.layer)
            return True
        return False

    def _on_scene_click(self, ev):
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        vb = self.plot.getViewBox()
        if not vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        p = vb.mapSceneToView(ev.scenePos())
        if self.select_cell(p.x(), p.y()):
            ev.accept()
