"""Everything recorded about the selected (step, layer, unit, sequence), with the formulas filled in."""

import html

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QHeaderView, QSplitter, QTableWidget, QTableWidgetItem,
                               QTextBrowser, QVBoxLayout, QWidget)

from rnn.activations import ACTIVATIONS
from rnn.params import GATE_NAMES

from ..notation import number
from . import style

TOOLTIP = """<b>Inspector</b>: the recorded numbers of the selected step t, layer, unit and sequence —
h<sub>t</sub>, the pre-activation a<sub>t</sub>, φ'(a<sub>t</sub>) or the gate values, ŷ<sub>t</sub> against the
target, the loss term ℓ<sub>t</sub>, ∂L/∂h<sub>t</sub> and its norm, and ‖∂s<sub>t</sub>/∂s<sub>t−1</sub>‖<sub>2</sub>
— written into the step's formula and the BPTT recursion<br>
∂L/∂h<sub>t</sub> = W<sub>hy</sub>ᵀ ∂ℓ<sub>t</sub>/∂ŷ<sub>t</sub> + (∂h<sub>t+1</sub>/∂h<sub>t</sub>)ᵀ ∂L/∂h<sub>t+1</sub>
(vanilla: ∂h<sub>t+1</sub>/∂h<sub>t</sub> = diag(φ'(a<sub>t+1</sub>)) W<sub>hh</sub>).<br>
Every number is what the engine recorded (4 significant digits). The table lists the step's vectors for
every unit; click a row to select that unit."""

PHI_NAME = {"tanh": "tanh", "sigmoid": "σ", "relu": "relu", "linear": "id"}


def num(value) -> str:
    return f"<span style='font-family:monospace'>{html.escape(number(value))}</span>"


def vec(values, limit: int = 6) -> str:
    values = np.atleast_1d(values)
    body = ", ".join(number(v) for v in values[:limit]) + (", …" if values.size > limit else "")
    return f"<span style='font-family:monospace'>[{html.escape(body)}]</span>"


class InspectorView(QWidget):
    """Formulas with the selected node's live values, and a per-unit table of the step's vectors."""

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.setToolTip(TOOLTIP)
        self.title = style.title_label("Inspector")
        self.title.setWordWrap(True)   # long shape lists wrap instead of being cut off
        self.text = QTextBrowser()
        style.set_font(self.text, style.TEXT_PT)
        self.text.setOpenLinks(False)
        self.text.document().setDefaultStyleSheet(     # (sizes relative to the text's: they follow the zoom)
            "p { margin-top: 1px; margin-bottom: 5px; } "
            "h3 { margin-top: 6px; margin-bottom: 2px; font-size: large; }")
        self.text.setToolTip(TOOLTIP)
        self.table = QTableWidget()
        style.set_font(self.table, style.TICK_PT + 1, mono=True)
        style.set_font(self.table.horizontalHeader(), style.TICK_PT + 1, bold=True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip("The selected step's vectors, one row per unit (sequence shown in the title). "
                              "Click a row to select that unit.")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.text)
        splitter.addWidget(self.table)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(splitter, 1)

        self.table.cellClicked.connect(lambda row, col: self.state.select(unit=row))
        state.passChanged.connect(self.refresh)  # every new config or params ends in a passChanged
        state.selectionChanged.connect(lambda *_: self.refresh())
        self.refresh()

    # ------------------------------------------------------------------ text
    def html(self) -> str:
        r, sel = self.state.record, self.state.selection
        t, l, u, b = sel.step, sel.layer, sel.unit, sel.batch_index
        spec = r.spec
        top = l == spec.num_layers - 1
        parts = [f"<p style='font-size:large'><b>step t = {t}</b> · layer {l} · unit {u} · "
                 f"sequence {b} &nbsp;<span style='color:{style.MUTED}'>({html.escape(spec.label)})</span></p>"]
        if t >= r.forward_done:
            parts.append(f"<p><b style='color:{style.ACCENT}'>Not computed yet</b>: the forward pass has "
                         f"computed {r.forward_done} of {r.seq_len} steps.</p>")
            return "".join(parts)
        parts.append("<h3>Forward</h3>")
        parts += getattr(self, f"_forward_{spec.cell}")(r, t, l, u, b)
        jac = self.state.result.jacobian_norms[l, t]
        kind = "(h, c)" if spec.has_cell_state else "h"
        if np.isnan(jac):
            effect = "not computed for a network this large"
        else:
            effect = f"{'&lt; 1: shrinks' if jac < 1 else '≥ 1: can grow'} the gradient through this step"
        parts.append(f"<p>‖∂s<sub>{t}</sub>/∂s<sub>{t - 1}</sub>‖₂ = {num(jac)} &nbsp;(s = {kind}; {effect})</p>")
        parts += self._output(r, t, b, top)
        parts.append("<h3>Backward</h3>")
        parts += self._backward(r, t, l, u, b, top)
        return "".join(parts)

    def _forward_rnn(self, r, t, l, u, b):
        act = ACTIVATIONS[r.spec.activation]
        phi = PHI_NAME[act.name]
        a, h, dphi = r.pre[l, t, b, u], r.h[l, t, b, u], r.dphi[l, t, b, u]
        x = "x" if l == 0 else f"h<sup>({l - 1})</sup>"
        return [
            f"<p>a<sub>{t}</sub>[{u}] = (W<sub>ih</sub>{x}<sub>{t}</sub> + b<sub>ih</sub> + "
            f"W<sub>hh</sub>h<sub>{t - 1}</sub> + b<sub>hh</sub>)[{u}] = {num(a)}</p>",
            f"<p><b>h<sub>{t}</sub>[{u}] = {phi}(a<sub>{t}</sub>[{u}]) = {phi}({num(a)}) = {num(h)}</b></p>",
            f"<p>φ'(a<sub>{t}</sub>[{u}]) = {num(dphi)} &nbsp;<span style='color:{style.MUTED}'>"
            f"({html.escape(act.formula)})</span></p>",
        ]

    def _forward_lstm(self, r, t, l, u, b):
        H = r.spec.hidden_size
        i, f, g, o = (r.gates[l, t, b, k * H + u] for k in range(4))
        c, h, tanh_c = r.c[l, t, b, u], r.h[l, t, b, u], r.extra[l, t, b, u]
        c_prev = r.state_before(l, t)[1][b, u]
        return [
            f"<p>gates: i = σ(·) = {num(i)}, f = σ(·) = {num(f)}, g = tanh(·) = {num(g)}, o = σ(·) = {num(o)}</p>",
            f"<p>c<sub>{t}</sub>[{u}] = f·c<sub>{t - 1}</sub> + i·g = {num(f)}·{num(c_prev)} + "
            f"{num(i)}·{num(g)} = {num(c)}</p>",
            f"<p><b>h<sub>{t}</sub>[{u}] = o·tanh(c<sub>{t}</sub>) = {num(o)}·tanh({num(c)}) = "
            f"{num(o)}·{num(tanh_c)} = {num(h)}</b></p>",
        ]

    def _forward_gru(self, r, t, l, u, b):
        H = r.spec.hidden_size
        rr, z, n = (r.gates[l, t, b, k * H + u] for k in range(3))
        a_n, h = r.pre[l, t, b, 2 * H + u], r.h[l, t, b, u]
        h_prev = r.state_before(l, t)[0][b, u]
        return [
            f"<p>gates: r = σ(·) = {num(rr)}, z = σ(·) = {num(z)}</p>",
            f"<p>n = tanh(W<sub>in</sub>x + b<sub>in</sub> + r⊙(W<sub>hn</sub>h<sub>{t - 1}</sub> + b<sub>hn</sub>)) "
            f"= tanh({num(a_n)}) = {num(n)}</p>",
            f"<p><b>h<sub>{t}</sub>[{u}] = (1 − z)·n + z·h<sub>{t - 1}</sub> = (1 − {num(z)})·{num(n)} + "
            f"{num(z)}·{num(h_prev)} = {num(h)}</b></p>",
        ]

    def _output(self, r, t, b, top):
        has_loss = bool(np.any(r.loss_mask[t] != 0))
        target = r.targets[t, b]
        target_text = vec(target) if r.loss_kind == "mse" else f"class {int(target)}"
        out = [f"<p>ŷ<sub>{t}</sub> = W<sub>hy</sub>h<sub>{t}</sub> + b<sub>y</sub> = {vec(r.yhat[t, b])} "
               f"&nbsp; target y<sub>{t}</sub> = {target_text}</p>"]
        if has_loss:
            out.append(f"<p>loss term ℓ<sub>{t}</sub> = {num(r.loss_t[t])} "
                       f"({'½‖ŷ − y‖²' if r.loss_kind == 'mse' else '−log softmax(ŷ)_y'}, mean over the batch)</p>")
        else:
            out.append(f"<p>step {t} carries <b>no loss</b> (ℓ<sub>{t}</sub> = 0)</p>")
        if not top:
            out.insert(0, f"<p style='color:{style.MUTED}'>(the output reads the top layer)</p>")
        return out

    def _backward(self, r, t, l, u, b, top):
        result = self.state.result
        if not result.forward_complete:
            return ["<p>Not computed yet: the backward pass starts when the forward pass is complete.</p>"]
        if r.visits[t] == 0:
            visit = result.next_visit
            where = f" (next visit: t = {visit[1]})" if visit is not None else ""
            return [f"<p><b style='color:{style.ACCENT}'>Not computed yet</b>: the backward pass has not "
                    f"reached step {t}{where}.</p>"]
        T, spec = r.seq_len, r.spec
        dh = r.dh[l, t, b]
        dh_norm = result.dh_norm_sequence[l, t, b]          # over the units of sequence b
        out = [f"<p><b>∂L/∂h<sub>{t}</sub>[{u}] = {num(dh[u])}</b>, &nbsp; ‖∂L/∂h<sub>{t}</sub>‖ = {num(dh_norm)} "
               f"<span style='color:{style.MUTED}'>(sequence {b}, over its units)</span></p>"]
        if spec.cell == "rnn":
            out.append(f"<p>∂L/∂a<sub>{t}</sub>[{u}] = ∂L/∂h<sub>{t}</sub>[{u}] · φ'(a<sub>{t}</sub>[{u}]) = "
                       f"{num(dh[u])} · {num(r.dphi[l, t, b, u])} = {num(r.d_ih[l, t, b, u])}</p>")
            step_jac = "W<sub>hh</sub>ᵀ diag(φ'(a<sub>t+1</sub>))"
        else:
            step_jac = "(∂h<sub>t+1</sub>/∂h<sub>t</sub>)ᵀ"
        local = "W<sub>hy</sub>ᵀ ∂ℓ<sub>t</sub>/∂ŷ<sub>t</sub>" if top else "∂L/∂x<sup>(l+1)</sup><sub>t</sub>"
        out.append(f"<p>BPTT recursion: <b>∂L/∂h<sub>t</sub> = {local} + {step_jac} ∂L/∂h<sub>t+1</sub></b></p>")
        terms = [f"‖∂L/∂h<sub>{t}</sub>‖ = {num(dh_norm)}"]
        if top:
            terms.append(f"‖∂ℓ<sub>{t}</sub>/∂ŷ<sub>{t}</sub>‖ = {num(result.dyhat_norm_sequence[t, b])}")
        if t + 1 < T:
            jac_next = result.jacobian_norms[l, t + 1]
            terms.append(f"‖∂L/∂h<sub>{t + 1}</sub>‖ = {num(result.dh_norm_sequence[l, t + 1, b])}")
            terms.append(f"‖∂s<sub>{t + 1}</sub>/∂s<sub>{t}</sub>‖₂ = {num(jac_next)}")
            if not result.through[t + 1]:
                terms.append("<b>cut by truncation</b> between t and t+1")
        else:
            terms.append("last step: nothing arrives from t+1")
        out.append("<p>with t = " + f"{t}: " + ", &nbsp;".join(terms) + "</p>")
        if spec.has_cell_state:
            out.append(f"<p>∂L/∂c<sub>{t}</sub>[{u}] = {num(r.dc[l, t, b, u])} "
                       f"(= ∂L/∂h<sub>t</sub>⊙o⊙(1 − tanh²c<sub>t</sub>) + f<sub>t+1</sub>⊙∂L/∂c<sub>t+1</sub>)</p>")
        if r.visits[t] > 1:
            out.append(f"<p style='color:{style.MUTED}'>visited {r.visits[t]}× (overlapping truncation windows "
                       f"add up)</p>")
        return out

    def columns(self):
        """(header, (T, B, H)-indexable array getter) for the per-unit table."""
        r = self.state.record
        spec = r.spec
        H = spec.hidden_size
        cols = [("h_t", lambda l: r.h[l])]
        if spec.cell == "rnn":
            cols += [("a_t", lambda l: r.pre[l]), ("φ'(a_t)", lambda l: r.dphi[l])]
        else:
            if spec.cell == "lstm":
                cols.append(("c_t", lambda l: r.c[l]))
            for k, name in enumerate(GATE_NAMES[spec.cell]):
                cols.append((name, lambda l, k=k: r.gates[l][..., k * H:(k + 1) * H]))
        cols.append(("∂L/∂h_t", lambda l: r.dh[l]))
        if spec.cell == "rnn":
            cols.append(("∂L/∂a_t", lambda l: r.d_ih[l]))
        elif spec.cell == "lstm":
            cols.append(("∂L/∂c_t", lambda l: r.dc[l]))
        return cols

    def _fill_table(self):
        r, sel = self.state.record, self.state.selection
        t, l, b = sel.step, sel.layer, sel.batch_index
        cols = self.columns()
        H = r.spec.hidden_size
        headers = [name for name, _ in cols]
        if self.table.columnCount() != len(cols) or self.table.rowCount() != H or self._headers != headers:
            self._headers = headers
            self.table.setColumnCount(len(cols))
            self.table.setRowCount(H)
            self.table.setHorizontalHeaderLabels(headers)
            self.table.setVerticalHeaderLabels([f"unit {i}" for i in range(H)])
            for row in range(H):
                for col in range(len(cols)):
                    item = QTableWidgetItem()
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                    self.table.setItem(row, col, item)
        forward = t < r.forward_done
        backward = r.visits[t] > 0
        for col, (name, getter) in enumerate(cols):
            known = backward if name.startswith("∂") else forward
            values = getter(l)[t, b] if known else None
            for row in range(H):
                self.table.item(row, col).setText(number(values[row]) if known else "—")
        self.table.blockSignals(True)
        self.table.selectRow(sel.unit)
        self.table.blockSignals(False)

    _headers = None
    _html = None
    _stale = False

    def showEvent(self, event):
        super().showEvent(event)
        self.catch_up()

    def catch_up(self):
        """Redraw if a change came while the inspector was out of sight (a dock's tab shown)."""
        if self._stale:
            self.refresh()

    def refresh(self):
        if self.visibleRegion().isEmpty():   # hidden, or behind another tab: catch up when shown
            self._stale = True
            return
        self._stale = False
        sel = self.state.selection
        self.title.setText(f"Inspector — step {sel.step}, layer {sel.layer}, unit {sel.unit}, "
                           f"sequence {sel.batch_index}")
        text = self.html()
        if text != self._html:       # setHtml re-lays out the document: only when something changed
            self._html = text
            scroll = self.text.verticalScrollBar().value()
            self.text.setHtml(text)
            self.text.verticalScrollBar().setValue(scroll)
        self._fill_table()
