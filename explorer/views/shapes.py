"""Every tensor's shape, in the math notation and PyTorch's names."""

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from rnn.params import shapes_table

from . import style

TOOLTIP = ("<b>Shapes</b> of every tensor for the current network, batch size B and sequence length T, "
           "in both notations: the math symbol and PyTorch's parameter name (weight_ih_l0 …). "
           "Gate blocks are stacked in PyTorch's order (LSTM i, f, g, o; GRU r, z, n), so W_ih is (G·H, in). "
           "The concise form h_t = φ(W [h_(t−1); x_t] + b) puts W = [W_hh W_ih] side by side.")


class ShapesPanel(QWidget):
    """A table of (symbol, shape, meaning) from the engine's shapes_table."""

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.setToolTip(TOOLTIP)
        self.title = style.title_label("Shapes")
        self.title.setWordWrap(True)   # long shape lists wrap instead of being cut off
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["tensor (math · PyTorch)", "shape", "meaning"])
        style.set_font(self.table, style.TICK_PT + 1)
        style.set_font(self.table.horizontalHeader(), style.TICK_PT + 1, bold=True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip(TOOLTIP)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        state.configChanged.connect(lambda *_: self.refresh())
        self.refresh()

    def rows(self):
        c = self.state.config
        return shapes_table(self.state.spec, c.batch, c.seq_len, c.task_object.loss)

    def refresh(self):
        c, spec = self.state.config, self.state.spec
        rows = self.rows()
        self.title.setText(f"Shapes — T = {c.seq_len}, B = {c.batch}, I = {spec.input_size}, "
                           f"H = {spec.hidden_size}, O = {spec.output_size}, G = {spec.gates} "
                           f"({spec.label}, {spec.num_layers} layer{'s' if spec.num_layers > 1 else ''})")
        self.table.setRowCount(len(rows))
        for i, (symbol, shape, meaning) in enumerate(rows):
            for j, text in enumerate((symbol, "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")",
                                      meaning)):
                item = self.table.item(i, j)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(i, j, item)
                item.setText(text)
                item.setToolTip(text)          # (a cell cut with "…" on a narrow screen, whole)
