"""Where the unrolled graph names its weights: W_ih, W_hh, W_hy (and an LSTM's forget gate f_t) on its edges.

One W is used at every step, so the names are written at every step while the steps have room for
them, else once, at the selected step. Each name has a list of places, tried in order, and takes the
first whose box is inside the view and clear of every node, the step ring, the edges, the value and
gradient labels and the names placed before it (:func:`first_clear`). Everything here is geometry in
px on screen (:class:`Frame`), from the view box's bottom-left corner, y up; only :func:`name_size`
asks Qt how large a name is drawn. The graph view reads its own items into these functions and draws
the text items where they say.
"""

from typing import NamedTuple

import numpy as np
from PySide6.QtGui import QTextDocument

from . import style

WEIGHT_LABEL_MIN_PX = 40   # px per step (at the base text size) from which the weights are named beside the
                           # selected step's edges (on every step's from twice that, until the values are
                           # written); below it, in the gap between two steps while the names fit there
WEIGHT_LABEL_PAD = 3       # px between a weight's name and the edges, nodes and labels beside it
WEIGHT_EDGE_CLEAR_PX = 6   # px from an edge's line to the point a weight's name beside it is hung from
WEIGHT_LABEL_MARGIN = 1    # px of a weight name's text item around its text
RING_CLEAR_PX = 2          # px from the step ring's outer edge to the point a name beside it is hung from
EDGE_HALF_PX = 3.0         # an edge's box reaches this far either side of its line
ALONG_ROWS = (0.2, 0.3)    # rows from a recurrent edge's line a name under (over) it is hung at, past 6 px,
                           # with a leader to the line (where the nodes are large)
LEFT, RIGHT, CENTRE = (1, 0.5), (0, 0.5), (0.5, 0.5)   # anchors: left of, right of, centred on the point


class Frame(NamedTuple):
    """The view box in px: plot (x, y) ↦ ((x − x0) · px_per_step, (y − y0) · px_per_row), from its
    bottom-left corner (y up); (x0, x1) the steps in view, ``width`` × ``height`` its size in px."""
    x0: float
    x1: float
    y0: float
    px_per_step: float
    px_per_row: float
    width: float
    height: float

    def to_px(self, x, y):
        """Plot coordinates (scalars or arrays) as px."""
        return ((np.asarray(x, dtype=float) - self.x0) * self.px_per_step,
                (np.asarray(y, dtype=float) - self.y0) * self.px_per_row)

    def box(self, x, y, anchor, size):
        """(left, bottom, right, top) in px of a text item of ``size`` (w, h) px set at (x, y) with
        ``anchor`` (its fraction of the text from the left and from the top): left = X − a_x · w,
        top = Y + a_y · h."""
        w, h = size
        X, Y = self.to_px(x, y)
        left, top = float(X) - anchor[0] * w, float(Y) + anchor[1] * h
        return (left, top - h, left + w, top)


class Layout(NamedTuple):
    """The graph's layout as the names need it."""
    steps: int             # T, one column each
    selected: int          # the selected step (the ring's column)
    ring_radius: float     # px from the ring's centre to the outer edge of its line
    h_rows: np.ndarray     # the row of each layer's h
    c_rows: np.ndarray     # ... and of its c (an LSTM's), else empty
    y_row: int             # the row of ŷ


class NamePlace(NamedTuple):
    """A name placed: its text item's (x, y) and anchor, whether it had to be laid over an edge, and
    the row its leader runs to from (x, y) (the line of the edge it names), or None: hung close to it."""
    x: float
    y: float
    html: str
    anchor: tuple
    over_edge: bool = False
    leader_to: float = None


_sizes = {}


def name_size(html):
    """(width, height) in px of a weight name as its text item draws it (bold, at the current text
    size, :data:`WEIGHT_LABEL_MARGIN` round it)."""
    key = (html, style.pt(style.TICK_PT))
    if key not in _sizes:
        document = QTextDocument()
        document.setDocumentMargin(WEIGHT_LABEL_MARGIN)
        document.setDefaultFont(style.font(style.TICK_PT, bold=True))
        document.setHtml(html)
        size = document.size()
        _sizes[key] = (size.width(), size.height())
    return _sizes[key]


def _forget(t):
    return style.sub_html("f", "t" if t is None else str(t))


def rolled_names(h_rows, c_rows, y_row, ring_radius, px_per_step):
    """The names on the rolled graph's one column and its loops, all on the left (its values are
    written on the right): W_ih and W_hy clear of the ring (its radius + :data:`RING_CLEAR_PX`, at
    least 0.05 of a step), W_hh and f_t on the loops (0.64 left of the column), each deeper layer's
    W_ih⁽ˡ⁾ on the edge into it."""
    top = y_row - 0.5
    clear = max(0.05, (ring_radius + RING_CLEAR_PX) / px_per_step)
    return ([NamePlace(-clear, 0.5, style.sub_html("W", "ih"), LEFT),
             NamePlace(-0.64, float(h_rows[0]), style.sub_html("W", "hh"), LEFT),
             NamePlace(-clear, top, style.sub_html("W", "hy"), LEFT)] +
            [NamePlace(-0.05, h_rows[l - 1] + 0.5, style.sub_html("W", "ih") + f"<sup>({l})</sup>", LEFT)
             for l in range(1, len(h_rows))] +
            [NamePlace(-0.64, float(row), _forget(None), LEFT) for row in c_rows])


def placement_rounds(px_per_step, text_scale, values) -> tuple:
    """Which placements to try, in order (True: at every step in view; False: once, at the selected
    step): none where a step is narrower than a name (W_hh) and its pad either side; every step's, then
    the selected one's, from 2 · :data:`WEIGHT_LABEL_MIN_PX` px per step (at the base text size: px /
    ``text_scale``) while the nodes carry no ``values`` labels; else the selected step's."""
    width, _ = name_size(style.sub_html("W", "hh"))
    if px_per_step < width + 2 * WEIGHT_LABEL_PAD:    # (a name would cover more than one step's edges)
        return ()
    if 2 * WEIGHT_LABEL_MIN_PX <= px_per_step / text_scale and not values:
        return (True, False)
    return (False,)


def wanted_names(frame: Frame, layout: Layout, every: bool, recurrent: bool):
    """The weight names to place, most needed first, each with its places (x, y, anchor, leader_to:
    see :class:`NamePlace`) in the order
    they are tried: W_hh under (or over) a recurrent edge, then W_ih beside x → h, W_hy beside h → ŷ
    and an LSTM's f_t under (over) c_{t−1} → c_t. ``every``: at every step in view, else once: at the
    selected step, or the nearest one in view where a name does not fit there (so where the steps are
    close, W_hh, W_ih and W_hy each take a step of their own).

    Beside a vertical edge at step t: hung :data:`WEIGHT_EDGE_CLEAR_PX` left, then right, of its line
    (at the selected step, the ring's radius + :data:`RING_CLEAR_PX`), at 0.5, 0.3, 0.7 of its height;
    last, centred half a step left or right. Along a recurrent edge into step g: centred at g − 0.5,
    :data:`WEIGHT_EDGE_CLEAR_PX` under its line, then :data:`ALONG_ROWS` under it with a leader to it
    (past large nodes), then the same over it; last, on its line."""
    selected = layout.selected
    in_view = [t for t in range(layout.steps) if frame.x0 - 0.5 <= t <= frame.x1 + 0.5]
    ring = layout.ring_radius + RING_CLEAR_PX
    edge = WEIGHT_EDGE_CLEAR_PX
    below = lambda l: layout.c_rows[l] if layout.c_rows.size else layout.h_rows[l]
    top = layout.y_row

    def beside(t, low, high):         # beside a vertical edge at step t, from row low to row high
        clear = (ring if t == selected else edge) / frame.px_per_step
        heights = [low + f * (high - low) for f in (0.5, 0.3, 0.7)]
        return ([(t - clear, y, LEFT, None) for y in heights] + [(t + clear, y, RIGHT, None) for y in heights] +
                [(t + side, y, CENTRE, None) for side in (-0.5, 0.5) for y in heights])

    def along(gaps, row):             # under, then over, a recurrent edge into each step of ``gaps``
        close = edge / frame.px_per_row
        offs = [(close, None)] + [(off, row) for off in ALONG_ROWS if off > close]   # (away: with a leader)
        return ([(g - 0.5, row + sign * off, (0.5, 0 if sign < 0 else 1), leader)
                 for g in gaps for sign in (-1, 1) for off, leader in offs] +
                [(g - 0.5, row, CENTRE, None) for g in gaps])      # (last, on its line, where the rows are close)

    wih, whh, why = (style.sub_html("W", sub) for sub in ("ih", "hh", "hy"))
    h_rows, c_rows = layout.h_rows, layout.c_rows
    wanted = []
    if every:
        for t in in_view:
            if recurrent and t > 0:
                wanted.append((whh, along([t], h_rows[0])))
            wanted += [(wih, beside(t, 0, below(0))), (why, beside(t, h_rows[-1], top))]
            if recurrent and t > 0:
                wanted += [(_forget(t), along([t], row)) for row in c_rows]
        return wanted
    columns = sorted(in_view, key=lambda t: (abs(t - selected - 0.25), t))   # (the selected first, then the next)
    gaps = sorted((g for g in in_view if g > 0), key=lambda g: (abs(g - selected - 0.25), g))
    if recurrent and gaps:
        wanted.append((whh, along(gaps, h_rows[0])))
    wanted += [(wih, [c for t in columns for c in beside(t, 0, below(0))]),
               (why, [c for t in columns for c in beside(t, h_rows[-1], top)])]
    if recurrent and gaps:
        wanted += [(_forget(None), along(gaps, row)) for row in c_rows]   # (f_t: on whichever edge it fits)
    return wanted


def obstacles(frame: Frame, nodes, node_px, ring, texts, edges):
    """What a weight name keeps clear of: (boxes, solid, circles). ``boxes``: (left, bottom, right,
    top) px of the ``texts`` (x, y, anchor, (w, h)) shown (value and gradient labels) and of the edges
    in view, each its line's bounding box :data:`EDGE_HALF_PX` wider all round; ``solid``: True for
    the boxes that are not edges; ``circles``: (centre x, y, radius) px of the nodes in view (radius
    ``node_px`` / 2 + 1, √2 times that for a square's corners) and of the ring (``ring``: step, row,
    radius). ``nodes``: (step, row, symbol) arrays; ``edges``: (t0, r0, t1, r1) arrays; "in view":
    within a step of (x0, x1)."""
    x0, x1 = frame.x0, frame.x1
    node_t, node_row, node_symbol = nodes
    node = node_px / 2 + 1
    radius = np.where(node_symbol == "o", node, node * np.sqrt(2))
    index = np.flatnonzero((node_t >= x0 - 1) & (node_t <= x1 + 1))
    X, Y = frame.to_px(node_t[index], node_row[index])
    step, row, ring_radius = ring
    rx, ry = frame.to_px(step, row)
    circles = np.vstack([np.column_stack([X, Y, radius[index]]), [[float(rx), float(ry), ring_radius]]])
    boxes = [np.zeros((0, 4))] + [np.array([frame.box(x, y, anchor, size)]) for x, y, anchor, size in texts]
    solid = len(texts)
    t0, r0, t1, r1 = edges
    shown = (t1 >= x0 - 1) & (t0 <= x1 + 1)
    ax, ay = frame.to_px(t0[shown], r0[shown])
    bx, by = frame.to_px(t1[shown], r1[shown])
    half = EDGE_HALF_PX
    boxes.append(np.column_stack([np.minimum(ax, bx) - half, np.minimum(ay, by) - half,
                                  np.maximum(ax, bx) + half, np.maximum(ay, by) + half]))
    every = np.vstack(boxes)
    return every, np.arange(len(every)) < solid, circles


def place_names(wanted, frame: Frame, obstacles, every: bool):
    """The :class:`NamePlace` of each ``wanted`` (html, places) name that fits, in order: at its first
    place whose box (:func:`name_size`) is inside the view and keeps :data:`WEIGHT_LABEL_PAD` from the
    ``obstacles`` (boxes, solid, circles: see :func:`obstacles`) and the names placed before it. Placed
    once (not ``every``), a name that finds no such place takes the first that just does not touch
    them (pad 0); failing that, the first clear of all but the edges, marked ``over_edge`` (it is
    drawn on a ground that hides the edge under it)."""
    taken, solid, circles = obstacles
    view = (0.0, 0.0, frame.width, frame.height)
    tries = [(WEIGHT_LABEL_PAD, True)] + ([] if every else [(0, True), (0, False)])   # (pad, clear of the edges)
    chosen = []
    for html, places in wanted:
        size = name_size(html)
        candidates = [frame.box(x, y, anchor, size) for x, y, anchor, _ in places]
        for pad, edges in tries:
            i = first_clear(candidates, taken if edges else taken[solid], view, pad, circles)
            if i is not None:
                taken, solid = np.vstack([taken, candidates[i]]), np.append(solid, True)
                x, y, anchor, leader_to = places[i]
                chosen.append(NamePlace(x, y, html, anchor, not edges, leader_to))
                break
    return chosen


def place_weight_names(rounds, frame: Frame, layout: Layout, obstacles, recurrent: bool):
    """The names of the first of the ``rounds`` (see :func:`placement_rounds`) that names the shared
    recurrent weight W_hh (any round when there is none to name, not ``recurrent``), or of the last."""
    for i, every in enumerate(rounds):
        placed = place_names(wanted_names(frame, layout, every, recurrent), frame, obstacles, every)
        if i == len(rounds) - 1 or not recurrent or any("hh" in name.html for name in placed):
            return placed
    return []


def first_clear(candidates, taken, view, pad: float, circles=None):
    """The index of the first of ``candidates`` (left, bottom, right, top) boxes that lies inside
    ``view`` (a box too) and keeps ``pad`` from each box of ``taken`` (an (n, 4) array) and each
    circle of ``circles`` (an (m, 3) array of centre x, y and radius), or None. A box keeps ``pad``
    from another unless they overlap once either is grown by ``pad`` all round; from a circle, unless
    its nearest point is closer than radius + ``pad`` to the centre."""
    taken = np.asarray(taken, dtype=float).reshape(-1, 4)
    circles = np.zeros((0, 3)) if circles is None else np.asarray(circles, dtype=float).reshape(-1, 3)
    for i, (left, bottom, right, top) in enumerate(candidates):
        if left < view[0] or bottom < view[1] or right > view[2] or top > view[3]:
            continue
        if np.any((left < taken[:, 2] + pad) & (right > taken[:, 0] - pad) &
                  (bottom < taken[:, 3] + pad) & (top > taken[:, 1] - pad)):
            continue
        dx = np.maximum(np.maximum(left - circles[:, 0], circles[:, 0] - right), 0)
        dy = np.maximum(np.maximum(bottom - circles[:, 1], circles[:, 1] - top), 0)
        if not np.any(dx * dx + dy * dy < (circles[:, 2] + pad) ** 2):
            return i
    return None
