"""The unrolled graph's level of detail for long sequences.

How much of the graph a zoom has room for, in pixels per step on screen:

- below :data:`DETAIL_MIN_PX`, one node and edge per step would be a solid block: the edges are
  drawn as coloured bands along the time axis instead (:class:`GradientBands`), each pixel column
  coloured by the largest ‖gradient‖ among the steps it covers (min/max decimation), and the rows
  of nodes as thin rails (:class:`Rails`);
- from :data:`DETAIL_MIN_PX`, every node and edge, drawn for the steps in view (and a margin);
- from :data:`LABEL_MIN_PX`, each node's value, named (``h = 0.451``); from
  :data:`GRADIENT_LABEL_MIN_PX` also the number each recurrent edge is coloured by
  (``‖∂L/∂h₁₂‖ = 0.0123``).

Zoomed in, the view follows the step cursor (:func:`follow`), and the bottom axis says how to zoom
and what is shown (:func:`zoom_hint`). Only display transforms are computed here: the numbers are
the session's.
"""

import math

import numpy as np
from PySide6.QtCore import QRectF

import pyqtgraph as pg

from . import style

DETAIL_MIN_PX = 12           # px per step from which nodes and edges are drawn one by one (below it an
                             # edge between two nodes shows under 7 px of its colour: the bands show more)
LABEL_MIN_PX = 80            # px per step from which each node's value is written beside it,
VALUE_LABEL_SHARE = 0.85     # if the widest fits in this share of a step (it starts 0.12 of a step right of its node)
GRADIENT_LABEL_MIN_PX = 120  # px per step from which the gradient is written under each recurrent edge,
GRADIENT_LABEL_SHARE = 0.92  # if the widest fits in this share of a step (centred under its edge)
LABEL_ROOM_STEPS = 0.75      # room left after the last step when the values are written (they sit to the right)
WINDOW_MARGIN = 0.5          # nodes drawn one by one: the steps in view and half a view either side
FOLLOW_LEAD = 0.25           # the view follows the cursor: it lands a quarter of the view in from the edge
HINT_COLOUR = "#6a6a6a"      # the zoom hint under the time axis (lighter than the axis label, still legible)
BAND_ROWS_PER_UNIT = 20      # vertical resolution of the band image (rows per unit of the graph's y)
IDLE_RGBA = (212, 212, 212, 255)   # an edge that carries no gradient (yet): faint, so the gradient stands out,
#                                    and still apart from the white (or a truncation tint) between the rows
GAP_BAND = (0.39, 0.61)      # a band of the edges between two rows: this part of the gap above the lower row (thinner than a row's own band: the named rows stand out)
LAYER_BAND = 0.21            # the band along a layer (‖∂L/∂h_t‖): this far either side of its row
CELL_BAND = 0.11             # the band along an LSTM's c row (‖∂L/∂c_t‖): thinner, its ∏f ribbon shows around it
LUT_SIZE = 256


# ---------------------------------------------------------------------------- level of detail
def band_mode(px_per_step: float) -> bool:
    """True when the steps are packed too tightly to draw one node and edge per step."""
    return px_per_step < DETAIL_MIN_PX


def steps_per_column(px_per_step: float, steps: int = 0) -> int:
    """How many steps one column of the band covers: at least a pixel's worth (1 while a step is at
    least a pixel wide), so that there are no more columns than pixels; with ``steps``, also no
    more columns, ⌈steps / k⌉, than the ⌊steps · px_per_step⌋ pixels those steps span."""
    k = max(1, int(math.ceil(1.0 / max(px_per_step, 1e-9) - 1e-6)))
    if steps > 0:
        pixels = max(1, int(math.floor(steps * px_per_step)))
        while -(-steps // k) > pixels:
            k += 1
    return k


def column_max(values, k: int) -> np.ndarray:
    """The largest value of each run of ``k`` consecutive steps (the last run may be shorter);
    NaN where a run holds no number."""
    values = np.asarray(values, dtype=float)
    columns = -(-values.size // k)
    blocks = np.full(columns * k, np.nan)
    blocks[:values.size] = values
    blocks = blocks.reshape(columns, k)
    present = ~np.isnan(blocks)
    out = np.where(present, blocks, -np.inf).max(axis=1)
    out[~present.any(axis=1)] = np.nan
    return out


def column_any(mask, k: int) -> np.ndarray:
    """True for each run of ``k`` consecutive steps that holds a True."""
    mask = np.asarray(mask, dtype=bool)
    columns = -(-mask.size // k)
    blocks = np.zeros(columns * k, dtype=bool)
    blocks[:mask.size] = mask
    return blocks.reshape(columns, k).any(axis=1)


def column_firsts(steps, k: int) -> np.ndarray:
    """Of the (sorted) ``steps``, the first in each column of ``k`` steps: one per pixel column."""
    steps = np.asarray(steps, dtype=int)
    if steps.size == 0:
        return steps
    keep = np.ones(steps.size, dtype=bool)
    keep[1:] = (steps[1:] // k) != (steps[:-1] // k)
    return steps[keep]


def drawn_window(x0: float, x1: float, T: int) -> tuple:
    """[first, end) of the steps whose nodes and edges are drawn for a view of x0..x1: the steps in
    view and :data:`WINDOW_MARGIN` of a view either side (panning a little redraws nothing)."""
    margin = WINDOW_MARGIN * (x1 - x0)
    return max(0, int(math.floor(x0 - margin))), min(T, int(math.ceil(x1 + margin)) + 1)


def window_covers(window: tuple, x0: float, x1: float, T: int) -> bool:
    """The drawn window still holds every step in view x0..x1."""
    first, end = window
    return (first <= max(0.0, x0)) and (end - 1 >= min(T - 1.0, x1))


# ---------------------------------------------------------------------------- zoom and cursor
def full_range(T: int) -> tuple:
    """The time axis when the whole sequence is in view."""
    return -0.6, T - 0.4


def is_zoomed(x0: float, x1: float, T: int) -> bool:
    """True when part of the sequence is out of view."""
    lo, hi = full_range(T)
    return x0 > lo + 0.5 or x1 < hi - 0.5


def follow(x0: float, x1: float, step: int, T: int):
    """The view (x0, x1) moved to keep ``step`` in view, or None if it is in view already: the
    cursor lands :data:`FOLLOW_LEAD` of a view in from the edge it crossed, so stepping on shows
    what comes next (a page at a time, not a scroll at every key)."""
    width = x1 - x0
    if x0 + 0.5 <= step <= x1 - 0.5:
        return None
    if step > x1 - 0.5:
        new0 = step - FOLLOW_LEAD * width
    else:
        new0 = step + FOLLOW_LEAD * width - width
    lo, hi = full_range(T)
    new0 = min(max(new0, lo), max(lo, hi - width))
    return new0, new0 + width


def zoom_hints(x0: float, x1: float, T: int) -> list:
    """What the time axis says beside "step t", longest first (the longest that fits is shown): how
    to zoom, or which steps are shown and how to see them all again."""
    if not is_zoomed(x0, x1, T):
        return ["wheel to zoom · drag to pan", "wheel: zoom · drag: pan", "wheel: zoom"]
    first, last = max(0, math.ceil(x0)), min(T - 1, math.floor(x1))
    return [f"t = {first}…{last} of {T} · double-click to fit", f"{first}…{last} of {T} · double-click: fit",
            "double-click: fit"]


def axis_label(text: str, hint: str) -> str:
    """The time axis's label with the hint beside it, lighter."""
    if not hint:
        return text
    return f"{text}&nbsp;&nbsp;&nbsp;<span style='color:{HINT_COLOUR}'>({hint})</span>"


# ---------------------------------------------------------------------------- drawing
class GradientBands:
    """The edges of the unrolled graph as coloured bands along the time axis, one image.

    Each band is one row of edges (x → h, h_{t−1} → h_t of a layer, between layers, h → ŷ, ŷ → L),
    one colour per column of k steps: the largest ‖gradient‖ among them, on the colour bar's log
    scale; light grey where an edge carries no gradient (yet), nothing where there is no edge.
    """

    def __init__(self, plot: pg.PlotItem, cmap: pg.ColorMap):
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-40)
        self.image.setVisible(False)
        plot.addItem(self.image, ignoreBounds=True)
        self._lut = cmap.getLookupTable(0.0, 1.0, LUT_SIZE, alpha=True)
        self.columns = {}        # band name → the largest ‖gradient‖ of each column (NaN: none)
        self.k = 1               # steps per column

    def update(self, strips, levels, k: int) -> None:
        """``strips``: (name, y0, y1, ‖gradient‖ per step with NaN for none, edge exists per step)."""
        self.k = k
        self.columns = {}
        if not strips:
            self.image.setVisible(False)
            return
        lo, hi = levels
        y_base = min(s[1] for s in strips)
        rows = int(round((max(s[2] for s in strips) - y_base) * BAND_ROWS_PER_UNIT))
        columns = -(-len(strips[0][3]) // k)
        rgba = np.zeros((rows, columns, 4), dtype=np.ubyte)
        for name, y0, y1, values, exists in strips:
            peak = column_max(values, k)
            self.columns[name] = peak
            colour = np.zeros((columns, 4), dtype=np.ubyte)
            colour[column_any(exists, k)] = IDLE_RGBA
            logs = style.log10_or_nan(peak)
            ok = ~np.isnan(logs)
            index = np.clip(((logs[ok] - lo) / (hi - lo) * (LUT_SIZE - 1)).round(), 0, LUT_SIZE - 1).astype(int)
            colour[ok] = self._lut[index]
            r0 = int(round((y0 - y_base) * BAND_ROWS_PER_UNIT))
            r1 = int(round((y1 - y_base) * BAND_ROWS_PER_UNIT))
            rgba[r0:r1] = colour[None]
        self.image.setImage(rgba, autoLevels=False)
        self.image.setRect(QRectF(-0.5, y_base, columns * k, rows / BAND_ROWS_PER_UNIT))

    def setVisible(self, visible: bool) -> None:
        self.image.setVisible(visible)

    def isVisible(self) -> bool:
        return self.image.isVisible()


class Rails:
    """Rows of nodes too tightly packed to draw one by one, drawn as lines in the nodes' colours
    (the computed steps) and grey (the steps not computed yet)."""

    def __init__(self, plot: pg.PlotItem, colours: dict, grey: str):
        self.curves = {}
        for kind, colour in [*colours.items(), ("grey", grey)]:
            curve = pg.PlotCurveItem(connect="pairs", pen=style.pen(colour, 3))
            curve.setZValue(-30)
            plot.addItem(curve, ignoreBounds=True)
            self.curves[kind] = curve
        self.setVisible(False)

    def update(self, rows, done: int, T: int) -> None:
        """``rows``: (y, kind, always_done); the first ``done`` steps are computed."""
        segments = {kind: [] for kind in self.curves}
        for y, kind, always in rows:
            end = T if always else done
            if end > 0:
                segments[kind].append((-0.3, min(end, T) - 0.7, y))
            if end < T:
                segments["grey"].append((end - 0.3, T - 0.7, y))
        for kind, curve in self.curves.items():
            x = np.array([[a, b] for a, b, _ in segments[kind]], dtype=float).ravel()
            y = np.repeat([s[2] for s in segments[kind]], 2).astype(float)
            curve.setData(x, y, connect="pairs")

    def setVisible(self, visible: bool) -> None:
        for curve in self.curves.values():
            curve.setVisible(visible)
