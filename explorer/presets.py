"""One-click lessons. Each preset is a complete configuration (the defaults plus its changes),
applied with a single ``set_config`` call that also re-initialises the weights, then optionally a
fixed number of training updates. Its title and description are shown in the window's lesson box.
"""

from dataclasses import dataclass, field

from .config import ExplorerConfig


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    description: str
    changes: dict = field(default_factory=dict)   # relative to ExplorerConfig() defaults
    train_steps: int = 0                          # updates to run after loading (0: none)
    focus: str = ""                               # the view (dock) the lesson is about, raised when chosen

    @property
    def config(self) -> ExplorerConfig:
        return ExplorerConfig(**self.changes)


PRESET_LIST = [
    Preset(
        "demo", "Demo: a tanh RNN on delayed recall",
        "A vanilla tanh RNN with 8 hidden units must repeat, at the last of T = 20 steps, the number it "
        "saw at the first step. The graph shows the forward pass (nodes) and the gradient that the "
        "backward pass sent along each edge (colour and width, log scale). Step through it with → and ←, "
        "or press Space to train.",
        {}),
    Preset(
        "vanishing", "Vanishing gradients",
        "A tanh RNN on delayed recall with T = 60, W_hh rescaled to σ_max = 0.9. With γ = sup|tanh'| = 1 "
        "the bound ‖∂h_t/∂h_k‖ ≤ (γσ_max)^(t−k) = 0.9^(t−k) forces the gradient that reaches the first "
        "step, where the number to remember was, to be about 0.9^59 ≈ 0.002 of the gradient at the loss: "
        "watch the edge colours fade from right to left in the graph and the gradient-flow curve drop "
        "below the dashed bound. Drag the W_hh scale above 1 to see the bound stop forcing it.",
        dict(task="delayed_recall", seq_len=60, hidden=16, scale_kind="sigma", scale=0.9)),
    Preset(
        "exploding", "Exploding gradients",
        "A linear RNN (φ(a) = a, γ = 1) with W_hh rescaled to spectral radius ρ = 1.3 on delayed recall, "
        "T = 40. The backward pass multiplies by W_hhᵀ at every step, so ‖∂L/∂h_k‖ grows roughly like "
        "1.3^(T−k): about 10⁴ across the sequence. Training starts without clipping (SGD, η = 0.01): "
        "within a few updates the loss overflows, training pauses at the NaN and the last finite "
        "parameters are kept. Choose “…then with clipping” to see the same run survive.",
        dict(activation="linear", task="delayed_recall", seq_len=40, hidden=16, batch=8,
             scale_kind="radius", scale=1.3, lr=0.01, clip_mode="none"),
        train_steps=300),
    Preset(
        "exploding-clipped", "Exploding gradients, then with clipping",
        "The same linear RNN with ρ = 1.3, now with global-norm clipping (Pascanu et al. 2013): "
        "whenever ‖g‖ ≥ θ = 1 the gradient is rescaled to g·θ/‖g‖, keeping its direction. The training "
        "plot marks every clipped update; the loss comes down instead of overflowing. Tick “Pause on "
        "clipping” under Breakpoints to stop at the first clipped update.",
        dict(activation="linear", task="delayed_recall", seq_len=40, hidden=16, batch=8,
             scale_kind="radius", scale=1.3, lr=0.01, clip_mode="norm", clip_threshold=1.0),
        train_steps=300),
    Preset(
        "truncation", "Truncated BPTT vs the full gradient",
        "Sine forecasting with T = 60 (a loss at every step), trained with TBPTT(k1 = 10, k2 = 10): the "
        "losses of each 10-step segment are backpropagated through that segment only, so no gradient "
        "crosses a segment boundary (dashed edges). At every update the engine also computes the full "
        "gradient on the same batch; the training plot shows cos(g̃, g), how well the truncated gradient "
        "points the same way. Raise k2 above k1 to give each segment more history.",
        dict(task="sine", seq_len=60, hidden=16, batch=4, truncation="tbptt", k1=10, k2=10,
             optimizer="adam", lr=0.01),
        train_steps=200),
    Preset(
        "lstm", "LSTM on the vanishing-gradient task",
        "The vanishing lesson's task (delayed recall, T = 60, 16 units, same seed) with an LSTM. Its cell "
        "state is updated additively, c_t = f_t⊙c_{t−1} + i_t⊙g_t, so the gradient along c is multiplied "
        "by the forget gate f_t at each step instead of by diag(φ')W_hh. At initialisation f ≈ 0.5, so "
        "it still fades; training can open the forget gate. Switch Cell to “RNN” (everything else stays) "
        "to compare the two gradient flows on the same batch.",
        dict(cell="lstm", task="delayed_recall", seq_len=60, hidden=16)),
    Preset(
        "activations", "Activations: why sigmoid vanishes fastest",
        "Same orthogonal initial W_hh (all singular values 1, σ_max = 1) with the sigmoid activation: "
        "γ = sup|σ'| = ¼, so the bound is (γσ_max)^(t−k) = 0.25^(t−k) and the gradient dies within a "
        "few steps. Switch the activation to tanh (γ = 1) or linear: the initial weights are identical "
        "(same seed and initialiser), only φ changes.",
        dict(activation="sigmoid", init="orthogonal", scale_kind="sigma", scale=1.0,
             task="delayed_recall", seq_len=30, hidden=16)),
    Preset(
        "shapes", "Shapes of every tensor",
        "The course's shape example has 3 inputs, 7 hidden units and 1 softmax output with batch 64 and "
        "sequence length 10. No built-in task has 3 inputs, and a softmax over a single class is "
        "always 1, so this lesson uses the closest honest setup: the adding problem with 2 inputs, 7 "
        "hidden units and 1 linear (MSE) output, B = 64, T = 10. The shapes panel lists every tensor: "
        "W_ih (7×2), W_hh (7×7), W_hy (1×7), x (10×64×2), h_t (64×7) and the concise W = [W_hh W_ih] (7×9).",
        dict(task="adding", hidden=7, batch=64, seq_len=10), focus="ShapesPanel"),
    Preset(
        "alphabet", "Learning the alphabet",
        "A tanh RNN with 32 units learns to predict the next letter of the alphabet from a random start "
        "(A→B, …, Z→A), T = 26, batch 16, Adam η = 0.01; 300 updates are run. Every step carries a "
        "cross-entropy loss. Switch the task to “Alphabet backward” to learn Z→Y→… instead.",
        dict(task="alphabet_forward", seq_len=26, hidden=32, batch=16, optimizer="adam", lr=0.01),
        train_steps=300),
    Preset(
        "names", "Character-level names",
        "A tanh RNN with 64 units reads names one letter at a time and predicts the next letter (or '.' "
        "for the end). 300 Adam updates are run on batches of 32; the panel on the left then shows five "
        "names sampled from the network, p = softmax(ŷ_t) letter by letter. Press Space to keep "
        "training and watch the names improve.",
        dict(task="names", seq_len=16, hidden=64, batch=32, optimizer="adam", lr=0.01),
        train_steps=300),
]

PRESETS = {preset.name: preset for preset in PRESET_LIST}
NAMES = tuple(PRESETS)


def apply_preset(state, name: str) -> Preset:
    """Set up the lesson: one ``set_config`` with the whole configuration (fresh weights), then
    its training updates if it has any. Raises KeyError for an unknown name."""
    preset = PRESETS[name]
    state.set_config(reinitialise=True, **preset.config.to_dict())
    if preset.train_steps:
        state.start_training(preset.train_steps)
    return preset
