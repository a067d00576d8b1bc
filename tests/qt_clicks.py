"""Real mouse input for the GUI tests: a click at plot coordinates, as a user makes it."""

from PySide6.QtCore import QPointF, Qt


def click_plot(qtbot, canvas, plot, x, y):
    """A real left click on plot coordinates (x, y) of a plot inside a GraphicsLayoutWidget."""
    scene_point = plot.getViewBox().mapViewToScene(QPointF(x, y))
    pos = canvas.mapFromScene(scene_point)
    qtbot.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=pos)
