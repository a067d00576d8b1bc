"""What clipping does to the gradient's direction: clip(g)/‖clip(g)‖ against g/‖g‖, entry by entry.

Norm clipping rescales g, so every entry lands on the diagonal (the same direction, 0°); value
clipping cuts the entries beyond θ and keeps the others, so the large entries fall below the
diagonal in size and the small ones rise above it: the gradient is turned
(∠(g, clip(g)) = arccos(g · clip(g) / (‖g‖ ‖clip(g)‖)), :mod:`explorer.clipping`).
"""

import numpy as np
from PySide6.QtCore import Qt

from ..clipping import clipped_direction
from ..comparison import side_label
from ..notation import number
from . import style

SIDE_LEGEND_RATIO = 1.6  # the legend beside the (square) plot on a canvas this many times as wide as high, else above
LEGEND_MAX_SHARE = 0.3   # a legend above the plot taller than this share of the canvas writes each entry on one line
MAX_POINTS = 4000      # entries drawn per side: the largest |g| entries first, then every k-th of the rest
NOT_FINISHED = "finish the backward pass\nto see the gradient clipped"
NO_GRADIENT = "the gradient is zero or not finite:\nno direction to clip"
DIAGONAL = "g's own direction"
TURNED = "{name}:<br>turned <b>{angle}°</b>"     # (two lines: beside the plot, it keeps the width)
TURNED_SHORT = "{name}: ∠ <b>{angle}°</b>"     # (one line: above the plot, on a small canvas, it keeps the height)
TOOLTIP = """<b>Clipping</b>: each entry of the gradient g of this pass (every weight), as a share of ‖g‖,
against the same entry of clip(g), the gradient the optimizer is given, as a share of ‖clip(g)‖.<br>
On the dashed diagonal: clip(g) points where g points. Norm clipping (g rescaled to θ g/‖g‖) keeps every
entry on it; value clipping (each entry cut to [−θ, θ]) cuts the large entries and so turns the
gradient by the angle in the legend."""


def drawn_entries(gradient: np.ndarray, limit: int = MAX_POINTS) -> np.ndarray:
    """Indices of at most ``limit`` entries to draw: the half largest in size, then an even spread
    of the others (all of them when there are few)."""
    n = gradient.size
    if n <= limit:
        return np.arange(n)
    largest = np.argpartition(np.abs(gradient), n - limit // 2)[n - limit // 2:]
    rest = np.setdiff1d(np.arange(n), largest)
    return np.concatenate([largest, rest[:: max(1, rest.size // (limit - limit // 2))]])


class ClippingView(style.CanvasView):
    """clip(g)/‖clip(g)‖ against g/‖g‖ for this run and, in an A/B comparison, for side B."""

    def __init__(self, state, parent=None):
        super().__init__(state, TOOLTIP, parent)
        self.plot = self.canvas.addPlot(row=1, col=0)
        style.style_plot(self.plot, None, left="clip(g) / ‖clip(g)‖", bottom="g / ‖g‖  (each entry)")
        self.plot.hideButtons()
        self.plot.setAspectLocked(True)          # (one unit as long on both axes: the diagonal at 45°)
        # the legend beside a wide canvas's plot (it keeps its height), above a tall one's (its width)
        self.legend = style.legend_row(self.canvas.ci, self.plot, row=1, col=1, columns=1)
        self.canvas.ci.layout.setColumnStretchFactor(0, 1)
        self.canvas.ci.layout.setColumnStretchFactor(1, 0)
        self.diagonal = self.plot.plot(pen=style.pen(style.FOREGROUND, 2, Qt.PenStyle.DashLine))
        self.diagonal.setZValue(10)              # (over the points that lie on it)
        self.sides = [self.plot.plot(pen=None, symbol="o", symbolSize=8, symbolPen=None, symbolBrush=colour)
                      for colour in (style.CURVE_BLUE, style.SIDE_B)]
        self.message = style.overlay_text(self.plot, NOT_FINISHED)
        self._stale, self._shown = True, True
        self._turned = []                        # (curve, name, angle in degrees) of each side drawn
        state.passChanged.connect(self._changed)
        state.referencesChanged.connect(self._changed)
        state.configChanged.connect(self._changed)
        self.refresh()

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._lay_out_legend()

    def _lay_out_legend(self):
        """The legend beside or above the plot (:func:`style.place_legend_row`), each side's entry
        on two lines; above it and taller than :data:`LEGEND_MAX_SHARE` of the canvas (a presentation
        on a small screen), each on one line, so that the plot keeps most of the canvas."""
        for form in (TURNED, TURNED_SHORT):
            self.legend.clear()
            for curve, name, angle in self._turned:
                self.legend.addItem(curve, form.format(name=name, angle=number(angle)))
            self.legend.addItem(self.diagonal, DIAGONAL)
            style.place_legend_row(self.legend, self.canvas, beside=(1, 1), above=(0, 0), ratio=SIDE_LEGEND_RATIO)
            style.fit_legend_row(self.legend)
            beside = self.legend._explorer_columns == 1
            if beside or self.legend.height() <= LEGEND_MAX_SHARE * self.canvas.height():
                break

    def _changed(self, *_):
        self._stale = True
        if self._shown:
            self.refresh()

    def set_shown(self, shown: bool):
        """Whether the view is in sight (its dock's tab in front): out of sight it is redrawn when
        shown again (g of a large network costs a few ms)."""
        self._shown = bool(shown)
        if self._shown and self._stale:
            self.refresh()

    def directions(self) -> list:
        """(name, ClippedDirection or None) of each side drawn: this run, then side B if compared."""
        s = self.state
        runs = [(s.result, s.config, s.run_label if s.compared is not None else self._named(s.config))]
        b = s.compared
        if b is not None and b.result is not None:
            runs.append((b.result, b.config, f"B: {b.label}"))
        return [(name, clipped_direction(result.record.gradients(), config.clip_mode, config.clip_threshold)
                 if result.done else None) for result, config, name in runs]

    @staticmethod
    def _named(config) -> str:
        return side_label(config, {"clip_mode": config.clip_mode, "clip_threshold": config.clip_threshold}) \
            if config.clip_mode != "none" else "no clipping"

    def refresh(self):
        self._stale = False
        done = self.state.result.done
        drawn = self.directions() if done else []
        self._turned = []
        reach = 0.0
        for curve, (name, direction) in zip(self.sides, drawn + [(None, None)] * (2 - len(drawn))):
            curve.setVisible(direction is not None)
            if direction is None:
                curve.setData([], [])
                continue
            shown = drawn_entries(direction.gradient)
            x, y = direction.gradient[shown], direction.clipped[shown]
            curve.setData(x, y)
            reach = max(reach, float(np.max(np.abs(x))), float(np.max(np.abs(y))))
            self._turned.append((curve, name, direction.angle))
        reach = 1.08 * (reach or 1.0)
        self.diagonal.setData([-reach, reach], [-reach, reach])
        self._lay_out_legend()
        self.plot.setRange(xRange=(-reach, reach), yRange=(-reach, reach), padding=0)
        empty = not done or not any(direction is not None for _, direction in drawn)
        self.message.setText(NOT_FINISHED if not done else NO_GRADIENT)
        self.message.setVisible(empty)
        style.center_overlay(self.plot, self.message)
