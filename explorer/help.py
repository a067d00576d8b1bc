"""Help ▸ How to read this window, and Help ▸ About."""

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QTextBrowser, QVBoxLayout

HOW_TO_READ = """
<h3>How to read this window</h3>
<p><b>The graph</b> (middle) is the network unrolled in time: one column per step t, rows for the
input x<sub>t</sub>, the hidden state h<sub>t</sub> of each layer, the output ŷ<sub>t</sub> and the
loss term L<sub>t</sub>. Grey nodes are not computed yet. After the backward pass, every edge is
coloured and thickened by the size of the gradient that flowed along it (log scale): where the
colour fades, the gradient has vanished.</p>
<p><b>Step through a pass</b> with the toolbar: → computes one more step forward, ← makes one more
backward visit (from the last step back to the first), End finishes the pass, Home starts again.
The status line says where you are: <i>forward t/T · backward visit v/V</i>. The slider selects the
step the other views highlight.</p>
<p><b>Gradient flow</b> plots ‖∂L/∂h<sub>t</sub>‖ against t with the Pascanu et al. bound
(γσ<sub>max</sub>)<sup>t−k</sup>; the badge above the controls gives the verdict: γσ<sub>max</sub> &lt; 1
guarantees vanishing, &gt; 1 is needed for exploding.</p>
<p><b>Hidden states</b> shows h<sub>t</sub> unit by unit; <b>Inspector</b> the numbers at the selected
step; <b>Shapes</b> the shape of every tensor; <b>Training</b> the loss, ‖g‖ (clipped updates
marked) and, under truncation, cos(g̃, g) against the full gradient.</p>
<p><b>Controls</b> (left) change everything live; hover any control for what it does and the formula
it changes. A refused value is explained in red under its group. <b>Lessons</b> (menu) set up each
step of a lesson, ask before they show, and measure their claims live. File ▸ Export view… (Ctrl+E, or right-click a plot ▸ Export…) and Export window… (Ctrl+Shift+E)
save a PNG or SVG at the size you choose, the numbers as CSV, or an animated GIF of the pass stepped
forward and back.</p>
<p><b>Keys:</b> → step forward · ← step backward · End finish pass · Home / Ctrl+R reset pass ·
U one update · Space play/pause training · Ctrl+I new initial weights.</p>
<p><b>Your own model</b> (File menu): Ctrl+Shift+O opens a PyTorch state_dict (one nn.RNN/LSTM/GRU and
its nn.Linear head, under any names) and shows which key becomes which weight before applying it;
Ctrl+Shift+D opens your data (.npy/.npz arrays, time or batch first, a CSV column, a text file). The
Loss control (Data) gives PyTorch's reduction='mean' or 'sum', so the gradients are your model's .grad.
Ctrl+G checks every gradient against finite differences; Ctrl+B steps to where the pass first blows
up (NaN/Inf, or beyond ±10⁶) and selects that node.</p>
<p><b>At a projector</b> (View menu): F11 presentation mode — full screen, large text, the graph alone or
beside one other view (View ▸ Presentation layout), the lesson box kept; F11 again or Esc leaves it and
puts every panel back. Ctrl++ / Ctrl+- / Ctrl+0 make every text and plot label larger, smaller, or
its normal size again (kept for next time); Ctrl+Shift+H high contrast: black on white, thick lines.</p>
"""


def _text_dialog(parent, title: str, html: str):
    """A non-modal dialog showing ``html`` (returned)."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(title)
    text = QTextBrowser()
    text.setHtml(html)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(text)
    layout.addWidget(buttons)
    dialog.resize(640, 560)
    dialog.open()
    return dialog


def how_to_read_dialog(parent):
    """The window's reading guide, opened as a non-modal dialog (returned)."""
    return _text_dialog(parent, "How to read this window", HOW_TO_READ)


def keyboard_html(menu_bar) -> str:
    """Every action of every menu with its shortcuts, menu by menu, as the menus hold them."""
    sections = []
    for menu_action in menu_bar.actions():
        menu = menu_action.menu()
        if menu is None:
            continue
        rows = []
        for action in menu.actions():
            if action.isSeparator() or action.menu() is not None or not action.text():
                continue
            keys = " or ".join(s.toString(QKeySequence.SequenceFormat.NativeText) for s in action.shortcuts())
            rows.append(f"<tr><td>{action.text().replace('&', '')}</td><td><b>{keys or '—'}</b></td></tr>")
        title = menu_action.text().replace("&", "")
        sections.append(f"<h3>{title}</h3><table cellpadding='3'>{''.join(rows)}</table>")
    return ("<p>Every action and its keys. The stepping keys work whatever has the focus; a number "
            "field gives them back on Enter or Esc.</p>" + "".join(sections))


def keyboard_dialog(parent, menu_bar):
    """Help ▸ Keyboard: every action with its shortcut (a non-modal dialog, returned)."""
    return _text_dialog(parent, "Keyboard", keyboard_html(menu_bar))

def show_about(parent):
    QMessageBox.about(parent, "About BPTT Explorer",
                      "<b>BPTT Explorer</b><p>Step through backpropagation through time and watch the "
                      "gradient vanish, explode and get truncated.</p><p>The numbers come from a "
                      "NumPy engine (<code>rnn</code>) that records every forward and backward step; "
                      "this window only draws them.</p>")
