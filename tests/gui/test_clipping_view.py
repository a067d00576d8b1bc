"""The Clipping view: each entry of the gradient before and after clipping, as shares of their
norms. Norm clipping keeps g's direction (every entry on the diagonal); value clipping turns it, by
the angle the legend gives."""

import math

import numpy as np
from test_comparison_window import compare_action
from test_exports import choose, type_into
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTabBar
from test_window import settle

from explorer.notation import number


def click_tab(qtbot, window, title):
    """Click the tab of a dock among the bottom docks' tabs."""
    bar = next(bar for bar in window.findChildren(QTabBar)
               if any(bar.tabText(i) == title for i in range(bar.count())))
    index = next(i for i in range(bar.count()) if bar.tabText(i) == title)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())


def independent_angle(gradients: dict, threshold: float) -> float:
    """∠(g, clip(g)) with clip(g) = each entry cut to [−θ, θ], written out with NumPy alone."""
    g = np.concatenate([np.ravel(value) for value in gradients.values()])
    c = np.clip(g, -threshold, threshold)
    return math.degrees(math.acos(float(g @ c) / (np.linalg.norm(g) * np.linalg.norm(c))))


def test_value_clipping_leaves_the_diagonal_and_norm_clipping_stays_on_it(qtbot, window):
    state, controls = window.state, window.controls.widgets
    click_tab(qtbot, window, "Clipping")
    choose(qtbot, controls["clip_mode"], "each")
    type_into(qtbot, controls["clip_threshold"], "0.05")
    compare_action(window, "B: with norm clipping").trigger()
    settle(qtbot, window)
    view = window.views["ClippingView"]
    qtbot.keyClick(window, Qt.Key.Key_Home)                    # |◀ Reset: the pass starts again
    settle(qtbot, window)
    assert not state.result.done and view.message.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_End)                     # Finish ▶|
    settle(qtbot, window)
    assert state.result.done and not view.message.isVisible()
    a, b = view.sides
    ax, ay = a.getData()
    bx, by = b.getData()
    assert np.allclose(by, bx, rtol=0, atol=1e-12)             # B: shortened, the same direction
    assert np.max(np.abs(ay - ax)) > 0.05                      # A: turned
    angle = independent_angle(state.result.record.gradients(), 0.05)
    assert angle > 1
    texts = [label.text for _, label in view.legend.items]
    assert any(f"turned <b>{number(angle)}°" in text and text.startswith("A: value clipping") for text in texts), texts
    assert any("turned <b>0°" in text and text.startswith("B: norm clipping") for text in texts), texts


def test_a_change_made_behind_another_tab_is_drawn_when_the_tab_is_shown(qtbot, window):
    view = window.views["ClippingView"]
    click_tab(qtbot, window, "Clipping")
    settle(qtbot, window)
    assert window.state.result.done and not view.message.isVisible()
    click_tab(qtbot, window, "Hidden states")
    qtbot.keyClick(window, Qt.Key.Key_Home)            # |◀ Reset, while the view is out of sight
    settle(qtbot, window)
    click_tab(qtbot, window, "Clipping")
    settle(qtbot, window)
    assert view.message.isVisible() and "finish the backward pass" in view.message.toPlainText()
