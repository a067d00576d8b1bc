"""What a pyqtgraph axis really draws at its size on screen (it drops the numbers it finds no
room for): its draw specs, taken with a throwaway painter."""

from PySide6.QtGui import QImage, QPainter


def draw_specs(axis):
    """(axis line, [(pen, p1, p2) a tick], [(rectangle, flags, text) a number]) in the axis's coordinates."""
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        return axis.generateDrawSpecs(painter)
    finally:
        painter.end()
