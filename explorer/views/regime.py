"""A compact badge: the recurrent weights' regime (Pascanu, Mikolov & Bengio 2013)."""

import html
import re

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from ..notation import number
from . import style

THEOREM = ("Pascanu, Mikolov &amp; Bengio (2013): ∂h<sub>t</sub>/∂h<sub>k</sub> = ∏<sub>k&lt;i≤t</sub> "
           "diag(φ'(a<sub>i</sub>)) W<sub>hh</sub>, so ‖∂h<sub>t</sub>/∂h<sub>k</sub>‖ ≤ (γσ<sub>max</sub>)<sup>t−k</sup> "
           "with γ = sup|φ'| and σ<sub>max</sub> = ‖W<sub>hh</sub>‖<sub>2</sub>.<br>"
           "γσ<sub>max</sub> &lt; 1 is <i>sufficient</i> for vanishing gradients; γσ<sub>max</sub> &gt; 1 is "
           "<i>necessary</i> (not sufficient) for exploding ones. ρ(W<sub>hh</sub>) = max|λ| ≤ σ<sub>max</sub>. "
           "For gated cells (LSTM, GRU) the bound is only indicative: the gates rescale every step.")

COLORS = {  # verdict prefix: (background, text)
    "vanishing": ("#cfe2f7", "#0b3d75"),
    "explosion": ("#f9c9a6", "#8a2c00"),
    "gated": ("#e3e3e3", "#333333"),
    "on the edge": ("#f3e7a8", "#5c4a00"),
}


def badge_colors(verdict: str):
    for prefix, colors in COLORS.items():
        if verdict.startswith(prefix):
            return colors
    return COLORS["gated"]


E_NUMBER = re.compile(r"[-+]?\d+(?:\.\d*)?[eE][-+]?\d+")     # 6.186e+06, as Python's format writes it


def _keep(text: str) -> str:
    """Escaped text in which a relation (γσ_max = 1.003 > 1) does not break across lines, σ_max
    written as on the line above it (σ<sub>max</sub>), and a number the engine wrote as 6.186e+06
    written as the line above writes it (6.186×10⁶)."""
    text = E_NUMBER.sub(lambda match: number(float(match.group())), text)
    text = html.escape(text).replace("σ_max", "σ<sub>max</sub>")
    for op in ("=", "&lt;", "&gt;", "≤", "≥"):
        text = text.replace(f" {op} ", f"&nbsp;{op}&nbsp;")
    return text


def badge_html(sigma_max, radius, gamma, verdict: str) -> str:
    """Three short lines: the measured numbers, γσ_max, and the verdict. Lines break only at the
    ' · ' separators and between the verdict's words, never inside a symbol or a number."""
    numbers = (f"σ<sub>max</sub>&nbsp;{number(sigma_max)} · ρ&nbsp;{number(radius)} · "
               f"γ&nbsp;{number(gamma)}")
    product = "—" if sigma_max is None or gamma is None else number(gamma * sigma_max)
    verdict_html = _keep(verdict)   # e.g. "explosion possible: γσ_max = 1.003 > 1"
    return (f"{numbers}<br><span style='font-size:large'><b>γσ<sub>max</sub>&nbsp;=&nbsp;"
            f"{product}</b></span><br><b>{verdict_html}</b>")


class RegimeBadge(QWidget):
    """σ_max(W_hh), ρ(W_hh), γ, γσ_max and the verdict, coloured by regime."""

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.label = QLabel()
        style.set_font(self.label, style.AXIS_PT)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        # (not Maximum: its height is its wrapped text's at the panel's width, not a guess at another)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        state.paramsChanged.connect(self.refresh)
        state.configChanged.connect(lambda *_: self.refresh())
        self.refresh()

    def refresh(self):
        reg = self.state.regime
        self.regime = reg
        # set only what changed: a new style sheet or text re-lays out the whole control panel
        text = badge_html(reg.sigma_max, reg.radius, reg.gamma, reg.verdict)
        if text != self.label.text():
            self.label.setText(text)
        background, color = badge_colors(reg.verdict)
        sheet = (f"QLabel {{ background: {background}; color: {color}; "
                 f"border: 1px solid {color}; border-radius: 6px; padding: 4px 8px; }}")
        if sheet != self.label.styleSheet():
            self.label.setStyleSheet(sheet)
        tip = f"<p><b>{html.escape(reg.verdict)}</b><br>{html.escape(reg.explanation)}</p><p>{THEOREM}</p>"
        if tip != self.toolTip():
            self.setToolTip(tip)
            self.label.setToolTip(tip)

    def text(self) -> str:
        return self.label.text()
