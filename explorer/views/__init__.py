"""The explorer's views: each a QWidget built from the session (its Qt adapter), redrawing itself on its signals.

    view = GraphView(state)        # any of the classes below, with an explorer.qt_session.QtSession

Views never talk to each other; they may write the selection with ``state.select(...)``.
"""

from .clipping import ClippingView
from .data import DataView
from .gradflow import GradientFlowView
from .graph import GraphView
from .inspector import InspectorView
from .regime import RegimeBadge
from .shapes import ShapesPanel
from .shares import WeightSharesView
from .states import HiddenStatesView
from .training import TrainingView

__all__ = ["ClippingView", "DataView", "GradientFlowView", "GraphView", "HiddenStatesView", "InspectorView", "RegimeBadge",
           "ShapesPanel", "TrainingView", "WeightSharesView"]
