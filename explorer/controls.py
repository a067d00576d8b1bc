"""The side panel of controls: every setting of :class:`explorer.config.ExplorerConfig`.

Each control writes to the state through ``state.set_config`` and nothing else; all are live
(a change recomputes and redraws, no "apply" button). Combo boxes and check boxes apply at once;
spin boxes after a short typing pause; the W_hh scale slider at most every 30 ms while dragged, so
a drag never queues stale recomputations.

A value the configuration refuses (k2 < k1, a sequence too short for the task, …) is shown in red
under its group and in the status bar, and the state is left unchanged. The controls follow the
state when it changes elsewhere (a lesson, a restored session, loaded weights) with their signals
blocked, so syncing never writes back.
"""

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout,
                               QGroupBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy,
                               QSlider, QSpinBox, QStyle, QStyleOptionComboBox, QStylePainter, QToolButton,
                               QVBoxLayout, QWidget)

from rnn.optim import OPTIMIZERS
from rnn.tasks import TASKS

from .config import LIMITS, ExplorerConfig
from .views import style
from .widgets import KeptInView

SLIDER_MAX_SCALE = 3.0        # the slider covers 0 … 3 in steps of 0.01; the spin box goes to 10
SLIDER_STEPS = 300
SPIN_DELAY_MS = 150           # a typing pause before a spin box's value is applied
SLIDER_THROTTLE_MS = 30       # slider drags apply at most this often

CHOICES = {
    "cell": [("RNN (vanilla)", "rnn"), ("LSTM", "lstm"), ("GRU", "gru")],
    "activation": [("tanh", "tanh"), ("sigmoid", "sigmoid"), ("ReLU", "relu"), ("linear (identity)", "linear")],
    "task": [],                   # task_choices(): the list grows when the user opens data
    "loss_at": [("the task's steps", "task"), ("every step", "all"), ("last step only", "last")],
    "truncation": [("full BPTT", "full"), ("TBPTT(k1, k2)", "tbptt"), ("random, mean k2", "random")],
    "init": [("PyTorch U(±1/√H)", "pytorch"), ("Xavier / Glorot", "xavier"),
             ("orthogonal W_hh", "orthogonal"), ("identity (IRNN)", "identity")],
    "scale_kind": [("as initialised", "none"), ("radius ρ", "radius"), ("σ_max", "sigma")],
    "optimizer": [({"sgd": "SGD", "momentum": "SGD + momentum 0.9", "adagrad": "Adagrad",
                    "rmsprop": "RMSProp", "adam": "Adam"}.get(name, name), name) for name in OPTIMIZERS],
    "reduction": [("engine: ½, Σ over t", "engine"), ("PyTorch mean", "mean"), ("PyTorch sum", "sum")],
    "clip_mode": [("off", "none"), ("global norm", "norm"), ("each value", "value")],
    "precision": [("float64 (exact)", "float64"), ("float32 (big models)", "float32")],
}



class _ElidingCombo(QComboBox):
    """A combo box whose choice, when the box is too narrow for it, ends in "…" (not cut off
    mid-letter); the open list shows it whole."""

    def paintEvent(self, event):
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        option.currentText = self.fontMetrics().elidedText(option.currentText, Qt.TextElideMode.ElideRight,
                                                           field.width())
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)


def _fit_popup(combo: QComboBox) -> None:
    """The open list of a combo box shows every choice whole, however narrow the box."""
    combo.view().setTextElideMode(Qt.TextElideMode.ElideNone)
    combo.view().setMinimumWidth(combo.view().sizeHintForColumn(0) + 24)


def task_choices() -> list:
    """(title, name) of every task: the ready-made ones, then the user's data."""
    return [(task.title, name) for name, task in TASKS.items()]


LABELS = {
    "cell": "Cell", "activation": "Activation φ", "gate_steepness": "Gate steepness β", "layers": "Layers",
    "hidden": "Hidden size H", "forget_bias": "Forget-gate bias +",
    "task": "Task", "seq_len": "Sequence length T", "batch": "Batch size B", "loss_at": "Loss at",
    "seed": "Seed", "truncation": "Backprop", "k1": "k1 (segment)", "k2": "k2 (history)",
    "init": "Initialiser", "scale_kind": "Rescale W_hh to", "scale": "Scale", "optimizer": "Optimizer",
    "lr": "Learning rate η", "clip_mode": "Clipping", "clip_threshold": "Clip threshold θ",
    "speed": "Updates per second", "temperature": "Temperature τ", "reduction": "Loss",
    "precision": "Precision", "inputs": "Inputs I", "classes": "Classes C", "shuffled": "Bag (order shuffled)",
    "break_on_norm": "Pause if ‖g‖ >", "break_norm": "‖g‖ threshold", "break_on_clip": "Pause on clipping",
}

TOOLTIPS = {
    "cell": "Which recurrent cell.\nRNN: h_t = φ(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)\n"
            "LSTM: gates i, f, g, o; c_t = f⊙c_{t−1} + i⊙g, h_t = o⊙tanh(c_t)\n"
            "GRU: gates r, z, n; h_t = (1−z)⊙n + z⊙h_{t−1}\nChanging it re-initialises the weights.",
    "activation": "The vanilla cell's nonlinearity φ in h_t = φ(a_t). It sets γ = sup|φ'| in the bound\n"
                  "‖∂h_t/∂h_k‖ ≤ (γ σ_max(W_hh))^(t−k): tanh γ = 1, sigmoid γ = ¼, ReLU γ = 1, linear γ = 1.\n"
                  "(LSTM and GRU use their own σ and tanh.)",
    "gate_steepness": "β in the gated cells' σ(β a): i, f, o (LSTM) and r, z (GRU).\n"
                      "β = 1 is PyTorch's cell; a steeper gate (β > 1) is nearer to fully open or closed,\n"
                      "with σ' up to β/4 around a = 0 and flatter beyond. The weights stay; the pass is recomputed.",
    "forget_bias": "Added to the LSTM forget gate's initial bias (the f rows of b_ih), so f = σ(a_f) starts\n"
                   "nearer 1 and the cell state c_t = f⊙c_{t−1} + i⊙g is kept longer (TensorFlow's forget_bias;\n"
                   "Jozefowicz et al. 2015 suggest 1). Changing it re-initialises the weights.",
    "layers": "Stacked recurrent layers: layer l reads h^{l−1}_t as its input x^l_t; the readout reads the top layer.",
    "hidden": "H, the number of hidden units: h_t ∈ ℝ^H, W_hh is (G·H × H) with G gate blocks.",
    "task": "The sequence task the batch is drawn from (its inputs, targets and where its losses are).\n"
            "A task with other input or output sizes draws new weights; one with the same sizes keeps\n"
            "them, so a trained network can be tried on it (the alphabet learnt forward, read backward).",
    "seq_len": "T, the number of timesteps; the graph is unrolled T times.\nSome tasks need a minimum T.",
    "batch": "B, sequences processed together; the loss and gradients are summed over them.",
    "loss_at": "Which steps carry a loss ℓ_t in L = Σ_t ℓ_t: the task's own placement,\n"
               "every step, or the last step only (L = ℓ_{T−1}).",
    "seed": "Seeds the initial weights and the displayed batch (same seed → same numbers).",
    "truncation": "How far back the gradient is propagated.\nFull: ∂L/∂h_t collects every later loss.\n"
                  "TBPTT(k1,k2): losses of each k1-step segment are backpropagated through the segment and\n"
                  "the k2−k1 steps before it; the state before that window is treated as a constant.\n"
                  "Randomized: each step back the gradient is cut with probability p = 1/k2 and otherwise\n"
                  "multiplied by 1/(1−p), so E[g̃] = g (Tallec & Ollivier 2017).",
    "k1": "TBPTT segment length k1: losses are injected in chunks of k1 steps (1 ≤ k1 ≤ k2).",
    "k2": "TBPTT history k2: each segment's losses flow back through k2 steps (the segment plus k2−k1 before it).\n"
          "Randomized truncation: the mean length k2 = 1/p (≥ 2).",
    "init": "How the weights start.\nPyTorch: every entry U(−1/√H, 1/√H).\nXavier: U(±√(6/(fan_in+fan_out))), biases 0.\n"
            "Orthogonal: each W_hh gate block a random orthogonal matrix (all singular values 1).\n"
            "Identity (IRNN): W_hh = I, W_ih ~ N(0, 0.001²).",
    "scale_kind": "Rescale every W_hh gate block after initialising:\nspectral radius: W_hh ← W_hh·ρ/ρ(W_hh)\n"
                  "largest singular value: W_hh ← W_hh·σ/σ_max(W_hh)\n"
                  "γσ_max < 1 guarantees vanishing gradients; γσ_max > 1 is needed for exploding ones.",
    "scale": "The target value: W_hh ← W_hh·ρ/ρ(W_hh) (or ·σ/σ_max(W_hh)).\n"
             "Drag the slider (0 … 3) or type up to 10 in the box.",
    "optimizer": "The update rule.\nSGD: θ ← θ − η g.  Momentum: b ← 0.9 b + g, θ ← θ − η b.\n"
                 "Adagrad: s ← s + g², θ ← θ − η g/(√s + ε).  RMSProp: v ← 0.99 v + 0.01 g², θ ← θ − η g/(√v + ε).\n"
                 "Adam: bias-corrected moments m, v; θ ← θ − η m̂/(√v̂ + ε).",
    "lr": "η, the step size of every update: θ ← θ − η·(update direction).",
    "clip_mode": "Gradient clipping before the update.\nGlobal norm (Pascanu et al. 2013): if ‖g‖ ≥ θ then g ← θ·g/‖g‖ "
                 "(direction kept).\nValue: every entry clipped to [−θ, θ] (direction changes).",
    "reduction": "The loss the pass computes, and so every gradient, clip and update:\n"
                 "the engine's L = (1/B) Σ_t∈S Σ_b ℓ with ℓ = ½‖ŷ − y‖² or cross-entropy, summed over the loss steps;\n"
                 "or PyTorch's reduction='mean': nn.MSELoss averages (ŷ − y)² over steps × sequences × outputs\n"
                 "(no ½), nn.CrossEntropyLoss over steps × sequences; or reduction='sum', their sums.\n"
                 "Choose the one your model trains with, and the gradients are its .grad.",
    "inputs": "The task's input size I, where it lets you choose it (the loudest-channel task:\n"
              "I noisy channels). The task's own: its usual size. Changing it draws new weights.",
    "classes": "The task's number of classes C, the softmax's size, where it lets you choose it (the\n"
               "loudest-channel task: the class is the loudest of the first C channels, C ≤ I).",
    "shuffled": "A bag of inputs: each sequence's inputs come in a random order, x'_t = x_π(t) (one permutation\n"
                "per sequence, every channel of a step moved together); the targets y_t and the loss steps stay\n"
                "where they were. The weights stay: a trained network is tested on the shuffled data at once,\n"
                "and training with it on trains on shuffled batches (the same sequences, seed for seed).\n"
                "Next-value tasks (alphabet, names, words, sine, random walk): the target is no longer what\n"
                "follows the input, so what was learnt, the order, is lost, and cannot be learnt.\n"
                "The adding problem, the loudest channel and delayed recall answer from the bag (a sum is the\n"
                "same in any order): shuffled, they can still be learnt.",
    "precision": "The floating-point precision of every pass and update. float64 is the reference (agrees with\n"
                 "PyTorch's float64 to ~1e-15); float32 takes half the memory and about half the time for big\n"
                 "networks, its gradients within ~1e-6 of float64's. The weights are kept, converted.",
    "temperature": "Names task: each letter is drawn from p = softmax(ŷ_t / τ).\n"
                   "τ < 1 sharpens p (safer, more repetitive names); τ > 1 flattens it (bolder, odder ones);\n"
                   "τ → 0 always picks the most probable letter. Changing it draws the names again.",
    "speed": "How fast training runs, to watch it: 1 makes one update a second, each drawn in full\n"
             "(up to 10 a second every update redraws every view). 0: as fast as the machine goes.",
    "clip_threshold": "θ, the clipping threshold: ‖g‖ is capped at θ (norm) or each entry at ±θ (value).",
    "break_on_norm": "Breakpoint: pause training after an update whose ‖g‖ (before clipping) exceeds the threshold.",
    "break_norm": "The ‖g‖ threshold for the breakpoint above.",
    "break_on_clip": "Breakpoint: pause training when an update is clipped.",
}

GROUPS = [
    ("Network", ["cell", "activation", "gate_steepness", "layers", "hidden", "precision"]),
    ("Data", ["task", "inputs", "classes", "shuffled", "seq_len", "batch", "loss_at", "reduction", "seed"]),
    ("Initial weights", ["init", "scale_kind", "scale", "forget_bias"]),
    ("Truncation", ["truncation", "k1", "k2"]),
    ("Training", ["optimizer", "lr", "clip_mode", "clip_threshold", "speed", "temperature"]),
    ("Breakpoints", ["break_on_norm", "break_norm", "break_on_clip"]),
]

FLOAT_DECIMALS = {"scale": 3, "lr": 6, "clip_threshold": 4, "break_norm": 3, "gate_steepness": 2, "forget_bias": 2,
                  "speed": 1, "temperature": 2}


def typing_range(low, high):
    """What a number field lets one type: beyond the allowed range, so that a value out of it
    (5000 for T, 1024 for H) reaches the check and is refused with the range said, instead of
    being cut to 500 or 102 as one types."""
    widest = 2**31 - 1                     # (a QSpinBox holds a 32-bit int)
    return (max(min(low, 0) - 10 * abs(high), -widest) if low <= 0 else 0, min(10 * high, widest))


class _WheelGuard(QObject):
    """Scrolling the panel must not change values under the pointer: only a focused control takes
    the wheel (otherwise the event goes to the scroll area)."""

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Wheel and not watched.hasFocus():
            parent = watched.parentWidget()
            if parent is not None:           # let the panel scroll instead
                QApplication.sendEvent(parent, event)
            return True
        return False


TYPING_HINT = "Typing in a field: ← → Home End edit it; Enter or Esc gives them back to stepping."


class _KeysBack(QObject):
    """A number field takes the arrow, Home and End keys while one types in it; Enter or Esc gives
    them back to stepping (the field loses the focus), and the status bar says so meanwhile."""

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.FocusIn:
            bar = getattr(watched.window(), "statusBar", None)
            if bar is not None:
                bar().showMessage(TYPING_HINT, 6000)
        elif event.type() == QEvent.Type.FocusOut:
            bar = getattr(watched.window(), "statusBar", None)
            if bar is not None and bar().currentMessage() == TYPING_HINT:    # (no longer true)
                bar().clearMessage()
        elif event.type() == QEvent.Type.KeyPress and event.key() in (
                Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape):
            QTimer.singleShot(0, watched.clearFocus)   # after the field has taken its value
        return False


_WHEEL_GUARD = None
_KEYS_BACK = None


def _no_wheel(widget):
    global _WHEEL_GUARD, _KEYS_BACK
    if _WHEEL_GUARD is None:
        _WHEEL_GUARD, _KEYS_BACK = _WheelGuard(), _KeysBack()
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    widget.installEventFilter(_WHEEL_GUARD)
    if isinstance(widget, QAbstractSpinBox):
        widget.installEventFilter(_KEYS_BACK)


class ControlPanel(QWidget):
    """All controls, grouped; the window puts it in a dock."""

    flushed = Signal()   # after pending control changes were applied (or refused)

    def __init__(self, state, parent=None):
        super().__init__(parent)
        self.state = state
        self.widgets = {}
        self.errors = {}              # group title → its red QLabel
        self.field_group = {}
        self.group_boxes = {}         # group title → its QGroupBox
        self._rows = {}               # field → (its group's form, the form rows it takes)
        self._syncing = False
        self._flushing = False
        self._refused = {}            # field → message, values the state refused (kept shown)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.flush)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.header = QVBoxLayout()
        self.header.setContentsMargins(6, 6, 6, 0)
        outer.addLayout(self.header)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        self.body = QVBoxLayout(inner)
        self.body.setContentsMargins(4, 6, 4, 6)     # (narrow: every field's right edge in view)
        self.body.setSpacing(8)
        scroll.setWidget(inner)
        outer.addWidget(scroll, 1)
        self.scroll = scroll
        self._kept_in_view = []       # the controls a lesson step asks for, kept in view as the panel resizes
        self._keeper = KeptInView(scroll.verticalScrollBar(), self._scroll_to_kept)
        scroll.viewport().installEventFilter(self)

        for title, names in GROUPS:
            self._add_group(title, names)
        self._add_training_buttons()
        self._add_samples_box()     # in the header: visible without scrolling when it matters
        self.body.addStretch(1)

        state.requestChanged.connect(lambda *_: self.sync())
        state.configChanged.connect(lambda *_: self.sync())
        state.samplesChanged.connect(self._show_samples)
        state.trainingChanged.connect(lambda *_: self._update_enabled())
        self.sync()

    # --- building ---
    def _make_widget(self, name):
        if name in CHOICES:
            w = _ElidingCombo()
            for label, value in (task_choices() if name == "task" else CHOICES[name]):
                w.addItem(label, value)
            w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            w.setMinimumContentsLength(8)           # (a longer choice ends in "…": the panel stays narrow)
            _fit_popup(w)
            w.currentIndexChanged.connect(lambda *_: self._changed(0))
            _no_wheel(w)
        elif type(getattr(ExplorerConfig, name)) is bool:          # (a dataclass default)
            w = QCheckBox()
            w.toggled.connect(lambda *_: self._changed(0))
        elif name in FLOAT_DECIMALS:
            w = QDoubleSpinBox()
            w.setDecimals(FLOAT_DECIMALS[name])
            w.setRange(*typing_range(*LIMITS[name]))
            w.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
            if name == "speed":
                w.setMinimum(0.0)                                # (the special text shows at the minimum)
                w.setSpecialValueText("as fast as it goes")     # shown for 0
            w.valueChanged.connect(lambda *_: self._changed(SPIN_DELAY_MS, restart=True))
            w.setKeyboardTracking(True)
            _no_wheel(w)
        else:
            w = QSpinBox()
            w.setRange(*(int(v) for v in typing_range(*LIMITS[name])))
            if name in ("inputs", "classes"):
                w.setMinimum(0)
                w.setSpecialValueText("the task's own")          # shown for 0
            w.valueChanged.connect(lambda *_: self._changed(SPIN_DELAY_MS, restart=True))
            _no_wheel(w)
        w.setObjectName(name)
        w.setToolTip(TOOLTIPS[name])
        w.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        return w

    def _add_group(self, title, names):
        box = QGroupBox(title)
        layout = QVBoxLayout(box)
        layout.setContentsMargins(8, 6, 8, 6)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        layout.addLayout(form)
        for name in names:
            widget = self._make_widget(name)
            self.widgets[name] = widget
            self.field_group[name] = title
            label = QLabel(LABELS[name])
            label.setToolTip(TOOLTIPS[name])
            label.setBuddy(widget)
            first = form.rowCount()
            if name == "scale":
                form.addRow(label, self._scale_row(widget))
            elif name == "task":             # the task's long titles get the group's whole width
                form.addRow(label)
                form.addRow(widget)
            else:
                form.addRow(label, widget)
            self._rows[name] = (form, range(first, form.rowCount()))
        if title == "Breakpoints":
            nan = QCheckBox("Pause on NaN / Inf (always)")
            nan.setChecked(True)
            nan.setEnabled(False)
            nan.setToolTip("Always on: a NaN or Inf in the loss or a gradient pauses training, and the engine\n"
                           "keeps the last finite parameters (that update is never applied).")
            form.addRow(nan)
        error = QLabel()
        error.setObjectName(f"error:{title}")
        error.setWordWrap(True)
        error.setStyleSheet("color: #c00000; font-weight: bold;")
        error.setVisible(False)
        layout.addWidget(error)
        self.errors[title] = error
        self.body.addWidget(box)
        self.group_boxes[title] = box
        return box

    def show_only(self, names=None):
        """Only the controls ``names`` (their groups, without the others' rows), or every control
        (None): a presentation shows the few a lesson step asks the student to use."""
        shown = set(self.widgets) if names is None else set(names)
        for name, (form, rows) in self._rows.items():
            for row in rows:
                form.setRowVisible(row, name in shown)
        for title, box in self.group_boxes.items():
            box.setVisible(any(self.field_group[name] == title and name in shown for name in self.widgets))
        for i in range(self.training_buttons.count()):      # (Update and Play: on the toolbar too)
            self.training_buttons.itemAt(i).widget().setVisible(names is None)
        self.updateGeometry()

    def scroll_to(self, names):
        """Scroll the panel so that the controls ``names`` (those a lesson step asks the student to
        use) are in view, the first with its label, and keep them there as the panel's height
        changes (the lesson box above grows with its claims) until the user scrolls: in a short
        window the Bag box or the temperature lies below the fold."""
        self._kept_in_view = [self.widgets[name] for name in names if name in self.widgets]
        self._keeper.keep(bool(self._kept_in_view))

    def _scroll_to_kept(self):
        for widget in reversed(self._kept_in_view):     # (the first last: it is in view whatever else fits)
            self.scroll.ensureWidgetVisible(widget, 0, widget.height())

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Resize:     # (the panel's viewport)
            self._keeper.again()
        return False

    def minimumSizeHint(self):
        """As wide as the rows it shows need (a scroll area would cut them at its right edge), with
        room for the scroll bar; the window sets a wider least width for the whole panel."""
        hint = super().minimumSizeHint()
        rows = self.scroll.widget().minimumSizeHint().width() + self.scroll.verticalScrollBar().sizeHint().width()
        hint.setWidth(max(hint.width(), rows))
        return hint

    def _scale_row(self, spin):
        self.scale_slider = QSlider(Qt.Orientation.Horizontal)
        self.scale_slider.setObjectName("scale_slider")
        self.scale_slider.setRange(0, SLIDER_STEPS)
        self.scale_slider.setToolTip(TOOLTIPS["scale"])
        self.scale_slider.valueChanged.connect(self._slider_moved)
        _no_wheel(self.scale_slider)
        spin.setMaximumWidth(90)
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.scale_slider, 1)
        layout.addWidget(spin)
        spin.valueChanged.connect(self._spin_to_slider)
        return row

    def _add_training_buttons(self):
        self.training_buttons = QHBoxLayout()
        box = self.errors["Training"].parentWidget()
        box.layout().insertLayout(1, self.training_buttons)

    def attach_actions(self, actions):
        """Buttons for the window's actions (update, play/pause, re-initialise) in the Training group."""
        for action in actions:
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            self.training_buttons.addWidget(button)

    def _add_samples_box(self):
        self.samples_box = QGroupBox("Sampled names")
        self.samples_box.setToolTip("Five names drawn from the network one letter at a time:\n"
                                    "p = softmax(ŷ_t) at each step, starting from '.', until it outputs '.'.\n"
                                    "They appear after training updates; train longer for better names.")
        layout = QVBoxLayout(self.samples_box)
        self.samples_label = QLabel("Train (U or Space) to see sampled names.")
        self.samples_label.setObjectName("samples")
        self.samples_label.setWordWrap(True)
        style.set_font(self.samples_label, 12, mono=True)      # (at the look: presentation and Ctrl +/− scale it)
        again = QPushButton("Sample\nagain")
        again.setToolTip("Draw five new names from the current weights.")
        again.clicked.connect(lambda: self.state.sample_again())
        row = QHBoxLayout()
        row.addWidget(self.samples_label, 1)
        row.addWidget(again, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(row)
        layout.setContentsMargins(8, 4, 8, 4)
        self.header.addWidget(self.samples_box)

    def set_header(self, widget):
        self.header.insertWidget(0, widget)

    # --- values ---
    def value(self, name):
        w = self.widgets[name]
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, QCheckBox):
            return w.isChecked()
        return w.value()

    def _set_value(self, name, value):
        w = self.widgets[name]
        if isinstance(w, QComboBox):
            index = w.findData(value)
            if index >= 0:
                w.setCurrentIndex(index)
        elif isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        else:
            w.setValue(value)

    def _same(self, name, widget_value, config_value):
        if name in FLOAT_DECIMALS:
            return round(float(config_value), FLOAT_DECIMALS[name]) == round(float(widget_value), FLOAT_DECIMALS[name])
        return widget_value == config_value

    def pending_changes(self) -> dict:
        requested = self.state.requested
        return {name: self.value(name) for name in self.widgets
                if not self._same(name, self.value(name), getattr(requested, name))}

    # --- reacting ---
    def _changed(self, delay_ms, restart=False):
        if self._syncing:
            return
        self._update_enabled()
        if restart or not self._timer.isActive():
            self._timer.start(delay_ms)

    def _slider_moved(self, position):
        if self._syncing:
            return
        spin = self.widgets["scale"]
        spin.blockSignals(True)
        spin.setValue(position * SLIDER_MAX_SCALE / SLIDER_STEPS)
        spin.blockSignals(False)
        if not self._timer.isActive():        # throttle: at most one apply per 30 ms while dragging
            self._timer.start(SLIDER_THROTTLE_MS)

    def _spin_to_slider(self, value):
        self.scale_slider.blockSignals(True)
        self.scale_slider.setValue(round(min(value, SLIDER_MAX_SCALE) * SLIDER_STEPS / SLIDER_MAX_SCALE))
        self.scale_slider.blockSignals(False)

    def flush(self):
        """Apply the controls' pending changes: all together if valid, else each valid one, and
        show every refused value's reason under its group and in the status bar."""
        self._timer.stop()
        changes = self.pending_changes()
        refused = {}
        if changes:
            if self.state.check(**changes) is None:
                good = changes
            else:
                good = {}
                for name, value in changes.items():
                    error = self.state.check(**good, **{name: value})
                    if error is None:
                        good[name] = value
                    else:
                        refused[name] = error
            self._flushing = True
            try:
                if good:
                    self.state.set_config(**good)
            finally:
                self._flushing = False
        self._refused = refused
        self._show_errors()
        for name, error in refused.items():
            self.state.message.emit(f"{LABELS[name]}: {error} — not applied.", "error")
        self.flushed.emit()

    def _show_errors(self):
        by_group = {}
        for name, error in self._refused.items():
            by_group.setdefault(self.field_group[name], []).append(f"{LABELS[name]}: {error}")
        # set only what changed: a re-set style sheet repolishes and repaints every control
        for title, label in self.errors.items():
            text = "\n".join(by_group.get(title, []))
            if text != label.text():
                label.setText(text)
            label.setVisible(bool(text))
        for name, w in self.widgets.items():
            sheet = "background: #ffe0e0;" if name in self._refused and not isinstance(w, QCheckBox) else ""
            if sheet != w.styleSheet():
                w.setStyleSheet(sheet)

    def _sync_task_choices(self):
        """The task list: the ready-made tasks and the data the user opened (added at run time)."""
        combo = self.widgets["task"]
        items = task_choices()
        if [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())] == items:
            return
        combo.blockSignals(True)
        try:
            combo.clear()
            for label, value in items:
                combo.addItem(label, value)
            _fit_popup(combo)
        finally:
            combo.blockSignals(False)

    def sync(self):
        """Show the state's requested configuration (signals blocked: no write-back)."""
        config = self.state.requested
        self._sync_task_choices()
        self._syncing = True
        try:
            for name, w in self.widgets.items():
                if self._flushing and name in self._refused:
                    continue
                if self._same(name, self.value(name), getattr(config, name)):
                    continue                 # re-setting an equal value still repaints the control
                w.blockSignals(True)
                try:
                    self._set_value(name, getattr(config, name))
                finally:
                    w.blockSignals(False)
            self._spin_to_slider(config.scale)
        finally:
            self._syncing = False
        if not self._flushing:
            self._timer.stop()
            self._refused = {}
            self._show_errors()
        self._update_enabled()
        self._show_samples()

    def _update_enabled(self):
        v = self.value
        self.widgets["activation"].setEnabled(v("cell") == "rnn")
        self.widgets["gate_steepness"].setEnabled(v("cell") != "rnn")
        self.widgets["forget_bias"].setEnabled(v("cell") == "lstm")
        self.widgets["temperature"].setEnabled(v("task") == "names")
        resizable = v("task") in TASKS and TASKS[v("task")].resizable
        self.widgets["inputs"].setEnabled(resizable)
        self.widgets["classes"].setEnabled(resizable)
        truncation = v("truncation")
        self.widgets["k1"].setEnabled(truncation == "tbptt")
        self.widgets["k2"].setEnabled(truncation != "full")
        scaled = v("scale_kind") != "none"
        self.widgets["scale"].setEnabled(scaled)
        self.scale_slider.setEnabled(scaled)
        self.widgets["clip_threshold"].setEnabled(v("clip_mode") != "none")
        self.widgets["break_norm"].setEnabled(v("break_on_norm"))

    def _show_samples(self):
        names = self.state.requested.task == "names"
        self.samples_box.setVisible(names)
        if self.state.samples:
            self.samples_label.setText("\n".join(s or "(empty)" for s in self.state.samples))
        else:
            self.samples_label.setText("Train (U or Space) to see sampled names.")
