"""Every tensor's shape, in the math notation and PyTorch's names."""

import re

from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from rnn.params import shapes_table

from . import style
from .. import lesson_panel       # (its lesson_plain; a module, as the lesson box imports the views)
from ..lessons import shape_row_name
from ..widgets import KeptInView

TOOLTIP = ("<b>Shapes</b> of every tensor for the current network, batch size B and sequence length T, "
           "in both notations: the math symbol and PyTorch's parameter name (weight_ih_l0 …). "
           "Gate blocks are stacked in PyTorch's order (LSTM i, f, g, o; GRU r, z, n), so W<sub>ih</sub> is (G·H, in). "
           "The concise form h<sub>t</sub> = φ(W [h<sub>t−1</sub>; x<sub>t</sub>] + b) puts "
           "W = [W<sub>hh</sub> W<sub>ih</sub>] side by side.")


HEADERS = ["tensor (math · PyTorch)", "shape", "meaning"]
BRACKETED_INDEX = re.compile(r"_\(([^()]*)\)")     # the engine's h_(t−1), as a lesson writes it: h_{t−1}


def math_name(symbol: str) -> str:
    """A shapes-table symbol with its indices in Unicode subscripts where they have one (a table
    cell is plain text): W_ih (weight_ih_l0) → Wᵢₕ (weight_ih_l0), h_(t−1) → hₜ₋₁; W_hy stays
    (no subscript y)."""
    return lesson_panel.lesson_plain(BRACKETED_INDEX.sub(r"_{\1}", symbol))


class ShapesPanel(QWidget):
    """A table of (symbol, shape, meaning) from the engine's shapes_table."""

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.setToolTip(TOOLTIP)
        self.title = style.title_label("Shapes")
        self.title.setWordWrap(True)   # long shape lists wrap instead of being cut off
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(HEADERS)
        style.set_font(self.table, style.TICK_PT + 1)
        style.set_font(self.table.horizontalHeader(), style.TICK_PT + 1, bold=True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        # rows as high as their text (presentation fonts, wrapped meanings): nothing cut at the bottom
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(True)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)   # (show_rows: rows whole)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.setToolTip(TOOLTIP)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        self._rows_shown = ()        # the row names a lesson step is about (show_rows), kept in view
        self._keeper = KeptInView(self.table.verticalScrollBar(), self._scroll_to_rows)
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
            for j, text in enumerate((math_name(symbol), "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")",
                                      meaning)):
                item = self.table.item(i, j)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(i, j, item)
                item.setText(text)
                item.setToolTip(text)
        self._refit()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._refit()

    def restyle(self):
        """(called by style.restyle at a new text size)"""
        self._refit()

    def _refit(self):
        """The columns fitted to the width, then the rows a step is about brought into view."""
        self.fit_columns()
        self._keeper.again()

    def show_rows(self, names):
        """Keep the rows a lesson step is about in view (their names as :func:`shape_row_name`
        writes them: "W", "W_hh", …; every layer's): all of them where the table has the room, else
        the first named one whole and as many of the others as fit; kept at a new size or text size.
        No names: the table stays where the student scrolled it."""
        self._rows_shown = tuple(names)
        self._keeper.keep(bool(self._rows_shown))

    def _scroll_to_rows(self):
        names = [shape_row_name(symbol) for symbol, _, _ in self.rows()]
        shown = [i for i, name in enumerate(names) if name in self._rows_shown]
        if not shown:
            return
        table, hint = self.table, QAbstractItemView.ScrollHint.EnsureVisible
        table.resizeRowsToContents()          # (rows as high as they will be drawn: the scroll lands right)
        first_named = [i for i in shown if names[i] == self._rows_shown[0]] or shown
        for row in (shown[-1], shown[0], first_named[0]):     # all of them, or the first named one whole
            table.scrollToItem(table.item(row, 0), hint)

    def fit_columns(self):
        """Every cell whole: the tensors and shapes as wide as their text and the meanings in the rest,
        wrapped onto more lines where they need them; on a panel too narrow for that (a presentation
        at 1024 px: the meanings would get a word a line) each tensor's PyTorch name goes under its
        math name."""
        table, header = self.table, self.table.horizontalHeader()
        one_line = [max(table.sizeHintForColumn(j), header.sectionSizeHint(j)) for j in range(3)]
        metrics = table.fontMetrics()
        meanings = [table.item(i, 2).text() for i in range(table.rowCount())]
        longest_word = max((metrics.horizontalAdvance(w) for m in meanings for w in m.split()), default=0)
        narrow = one_line[0] + one_line[1] + 2 * longest_word > table.viewport().width()
        heading = HEADERS[0].replace(" (", "\n(") if narrow else HEADERS[0]
        if table.horizontalHeaderItem(0).text() != heading:
            table.horizontalHeaderItem(0).setText(heading)
        if not narrow:
            header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
            return
        texts = [table.item(i, 0).text() for i in range(table.rowCount())]
        padding = table.sizeHintForColumn(0) - max((metrics.horizontalAdvance(t) for t in texts), default=0)
        parts = [part for text in texts for part in text.replace(" (", "\n(").split("\n")]
        width = max([metrics.horizontalAdvance(part) + padding for part in parts] + [header.sectionSizeHint(0)])
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, width)
