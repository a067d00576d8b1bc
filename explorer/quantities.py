"""What a lesson can measure: the named quantities of its claims and texts, each read from the
session as the window shows it (the pass, the training history, the configuration).

Each is a function of the session (and maybe arguments, such as a step t) returning a float, and
has a label in mathematical notation (gradient(0) → ‖∂L/∂h₀‖). A quantity with no value yet (no
update made, a pass not finished) raises :class:`NotMeasured`: its claim shows as pending.
:mod:`explorer.measures` evaluates the expressions written with them.
"""

import math
from dataclasses import dataclass

import numpy as np

from rnn.passresult import prediction_accuracy

from .clipping import clipped_direction
from .notation import subscript, superscript

RECENT_UPDATES = 20        # "the loss now": the mean of the last this many updates


class NotMeasured(Exception):
    """The quantity has no value yet (e.g. no training update has been made)."""


# ----------------------------------------------------------------------------- the quantities
def _result(session):
    return session.result


def _finished(session):
    result = session.result
    if not result.done:
        raise NotMeasured("the pass is not finished")
    return result


def _step(session, t) -> int:
    T = session.config.seq_len
    t = int(t)
    if not 0 <= t < T:
        raise NotMeasured(f"step {t} is outside 0…{T - 1}")
    return t


def _recent(session, column: str, first: bool = False) -> float:
    values = getattr(session.history, column)
    if column == "cosine":
        values = values[np.isfinite(values)]
    if not len(values):
        raise NotMeasured("no training update yet" if column != "cosine"
                          else "no update compared with the full gradient yet")
    part = values[:RECENT_UPDATES] if first else values[-RECENT_UPDATES:]
    finite = part[np.isfinite(part)]
    return float(np.mean(finite)) if len(finite) else math.inf


def _layer_norm(session, field: str, t, layer) -> float:
    """A (L, T) norm of the finished pass at step t of the top layer (or ``layer``)."""
    values = getattr(_finished(session), field)
    layers = values.shape[0]
    layer = layers - 1 if layer is None else int(layer)
    if not 0 <= layer < layers:
        raise NotMeasured(f"layer {layer} is outside 0…{layers - 1}")
    return float(values[layer, _step(session, t)])


def gradient(session, t, layer=None) -> float:
    """‖∂L/∂h_t‖ of the top layer (or ``layer``), over the batch and the units."""
    return _layer_norm(session, "dh_norm_batch", t, layer)


def cell_gradient(session, t, layer=None) -> float:
    """‖∂L/∂c_t‖ of the LSTM's top layer (or ``layer``), over the batch and the units."""
    value = _layer_norm(session, "dc_norm_batch", t, layer)
    if not np.isfinite(value) and session.config.cell != "lstm":
        raise NotMeasured("only the LSTM has a cell state c_t")
    return value


def forget_product(session, t, layer=None, best=False) -> float:
    """∏_{k=t+1}^{T_last} f_k of the LSTM's top layer (or ``layer``): what the forget gates keep
    of the gradient along the cell path from the last loss step back to step t; the mean over the
    batch and units (``best``: of the best-kept unit)."""
    if session.config.cell != "lstm":
        raise NotMeasured("only the LSTM has forget gates")
    return _layer_norm(session, "forget_product_best" if best else "forget_product", t, layer)


def bound(session, n) -> float:
    """(γσ_max)^n: Pascanu et al.'s bound on ‖∂h_{t+n}/∂h_t‖ for the vanilla cell."""
    r = _result(session).regime
    with np.errstate(over="ignore"):
        return float(np.float64(r.gamma * r.sigma_max) ** float(n))


def jacobian(session, t) -> float:
    """‖∂h_t/∂h_{t−1}‖₂ of the selected sequence (the step Jacobian's largest singular value)."""
    result = _result(session)
    if not result.jacobians_computed:
        raise NotMeasured("the step Jacobians are not computed for a network this large")
    value = result.jacobian_norms[-1, _step(session, t)]
    if not np.isfinite(value):
        raise NotMeasured(f"step {int(t)} has not been computed forward yet")
    return float(value)


def _shares(session, layer=None):
    result = _finished(session)
    layers = result.w_hh_norm.shape[0]
    layer = layers - 1 if layer is None else int(layer)
    if not 0 <= layer < layers or not np.isfinite(result.w_hh_norm[layer]):
        raise NotMeasured("the weight-gradient shares are not computed for a network this large")
    return result, layer


def step_share(session, t, layer=None) -> float:
    """‖C_t‖: what step t adds to ∂L/∂W_hh of the top layer (or ``layer``)."""
    result, layer = _shares(session, layer)
    return float(result.w_hh_step_norms[layer, _step(session, t)])


def sequence_share(session, b, layer=None) -> float:
    """‖G_b‖: what sequence b of the batch adds to ∂L/∂W_hh."""
    result, layer = _shares(session, layer)
    b = int(b)
    if not 0 <= b < result.w_hh_sequence_norms.shape[1]:
        raise NotMeasured(f"sequence {b} is outside the batch")
    return float(result.w_hh_sequence_norms[layer, b])


def weight_gradient(session) -> float:
    """‖∂L/∂W_hh‖ of the top layer."""
    result, layer = _shares(session)
    return float(result.w_hh_norm[layer])


def steps_sharing(session, fraction) -> float:
    """How many steps add at least ``fraction`` of the largest step's share to ∂L/∂W_hh."""
    result, layer = _shares(session)
    shares = result.w_hh_step_norms[layer]
    return float(np.count_nonzero(shares >= float(fraction) * np.nanmax(shares)))


def accuracy(session) -> float:
    """Classification: the share of loss steps (over the batch) whose most probable class is the target."""
    value = prediction_accuracy(_finished(session).record)
    if not np.isfinite(value):
        raise NotMeasured("accuracy is measured for a classification task")
    return value


def distinct_samples(session) -> float:
    """Names task: how many different names were sampled (an empty sample, the end marker drawn
    first, is not a name)."""
    if not session.samples:
        raise NotMeasured("no names sampled yet")
    return float(len({name for name in session.samples if name}))


def segments(session) -> float:
    """How many truncation segments the pass has (full BPTT: one)."""
    return float(len(_result(session).segments))


def states_held(session) -> float:
    """The most steps one backward window spans: the states a truncated implementation keeps at a
    time (full BPTT: all T)."""
    return float(max(segment.loss_end - segment.window_start for segment in _result(session).segments))


def backward_visits(session) -> float:
    """Step visits of the whole backward pass (its compute: full BPTT and TBPTT(k, k) visit each
    step once; TBPTT(k1 < k2) visits the overlaps again)."""
    return float(_result(session).plan_length)


def loss_steps(session) -> float:
    """How many steps carry a loss (in some sequence of the batch)."""
    return float(np.count_nonzero(_result(session).loss_steps))


def input_steps(session) -> float:
    """How many steps have a non-zero input (in some sequence of the batch)."""
    inputs = _result(session).record.inputs
    return float(np.count_nonzero(np.any(inputs != 0, axis=(1, 2))))


def loss_of(session) -> float:
    """The training loss now: the mean of the last updates (or the shown pass's loss before training)."""
    if len(session.history):
        return _recent(session, "loss")
    return float(_finished(session).loss)


def first_loss(session) -> float:
    """The mean loss of the first updates of the training run."""
    return _recent(session, "loss", first=True)


def pass_loss(session) -> float:
    """The loss of the pass shown (the display batch, the weights shown)."""
    return float(_finished(session).loss)


def baseline(session) -> float:
    """The loss of the best constant prediction, measured on many sequences of the task: per step,
    the mean target (MSE) or the class frequencies (cross-entropy); what a network that ignores its
    inputs reaches."""
    return session.baseline


def cosine(session) -> float:
    """cos(g̃, g) of the truncated to the full gradient, mean of the last compared updates."""
    return _recent(session, "cosine")


def learnt_at(session, fraction) -> float:
    """The first update at which the mean loss of the last 20 updates fell below ``fraction`` × the
    baseline (how soon the network learnt; not measured while it has not)."""
    history = session.history
    n = len(history)
    if n < RECENT_UPDATES:
        raise NotMeasured("fewer than 20 updates")
    at, mean = history.smoothed_loss(0, n, n, RECENT_UPDATES)     # at every update: the last 20's mean
    below = np.flatnonzero((at >= RECENT_UPDATES - 1) & (mean < float(fraction) * session.baseline))
    if not below.size:
        raise NotMeasured(f"the loss has not fallen below {float(fraction):g} × the baseline")
    return float(at[below[0]] + 1)


def clip_angle(session) -> float:
    """The angle, in degrees, by which clipping as set turns the gradient g of the shown pass:
    arccos(g · clip(g) / (‖g‖ ‖clip(g)‖)) (:mod:`explorer.clipping`). Norm clipping only rescales g
    (0°); value clipping cuts each entry to [−θ, θ] and turns it."""
    direction = clipped_direction(_finished(session).record.gradients(), session.config.clip_mode,
                                  session.config.clip_threshold)
    if direction is None:
        raise NotMeasured("the gradient is zero or not finite")
    return direction.angle


def grad_norm(session) -> float:
    """‖g‖ before clipping, mean of the last updates."""
    return _recent(session, "grad_norm")


def updates(session) -> float:
    """Training updates made."""
    return float(len(session.history))


def clipped(session) -> float:
    """Updates whose gradient was clipped."""
    return float(session.history.clipped_count)


def nonfinite_updates(session) -> float:
    """Updates whose loss or gradient was NaN or infinite (training stops at the first)."""
    return float(len(session.history.nonfinite))


def regime_value(field):
    def read(session) -> float:
        return float(getattr(_result(session).regime, field))
    return read


def config_value(field):
    def read(session) -> float:
        return float(getattr(session.config, field))
    return read


@dataclass(frozen=True)
class Quantity:
    measure: object      # (session, *args) → float
    label: object        # (*args) → the quantity in mathematical notation
    arguments: int = 0   # how many arguments (optional ones beyond: see ``optional``)
    optional: int = 0


def _gradient_label(t, layer=None):
    mark = "" if layer is None else f"⁽{superscript(int(layer))}⁾"
    return f"‖∂L/∂h{mark}{subscript(int(t))}‖"


QUANTITIES = {
    # functions
    "gradient": Quantity(gradient, _gradient_label, 1, 1),
    "cell_gradient": Quantity(cell_gradient, lambda t, layer=None: f"‖∂L/∂c{subscript(int(t))}‖", 1, 1),
    "forget_product": Quantity(forget_product, lambda t, layer=None: f"∏ f_k over k > {int(t)} (mean)", 1, 1),
    "forget_product_best": Quantity(lambda session, t, layer=None: forget_product(session, t, layer, best=True),
                                    lambda t, layer=None: f"∏ f_k over k > {int(t)} (best unit)", 1, 1),
    "bound": Quantity(bound, lambda n: f"(γσ_max){superscript(integer_text(n))}", 1),
    "step_share": Quantity(step_share, lambda t, layer=None: f"‖C{subscript(int(t))}‖", 1, 1),
    "sequence_share": Quantity(sequence_share, lambda b, layer=None: f"‖G{subscript(int(b))}‖", 1, 1),
    "steps_sharing": Quantity(steps_sharing, lambda f: f"steps adding ≥ {f:g} of the largest share", 1),
    "weight_gradient": Quantity(weight_gradient, lambda: "‖∂L/∂W_hh‖"),
    "jacobian": Quantity(jacobian, lambda t: f"‖∂h{subscript(int(t))}/∂h{subscript(int(t) - 1)}‖", 1),
    # names
    "loss": Quantity(loss_of, lambda: "loss"),
    "first_loss": Quantity(first_loss, lambda: "first loss"),
    "pass_loss": Quantity(pass_loss, lambda: "L"),
    "baseline": Quantity(baseline, lambda: "baseline"),
    "cosine": Quantity(cosine, lambda: "cos(g̃, g)"),
    "grad_norm": Quantity(grad_norm, lambda: "‖g‖"),
    "clip_angle": Quantity(clip_angle, lambda: "∠(g, clip(g)) in degrees"),
    "learnt_at": Quantity(learnt_at, lambda f: f"update reaching {f:g} × baseline", 1),
    "updates": Quantity(updates, lambda: "updates"),
    "loss_steps": Quantity(loss_steps, lambda: "steps with a loss"),
    "segments": Quantity(segments, lambda: "segments"),
    "states_held": Quantity(states_held, lambda: "steps held"),
    "backward_visits": Quantity(backward_visits, lambda: "backward visits"),
    "accuracy": Quantity(accuracy, lambda: "share of letters right"),
    "distinct_samples": Quantity(distinct_samples, lambda: "different names"),
    "temperature": Quantity(config_value("temperature"), lambda: "τ"),
    "input_steps": Quantity(input_steps, lambda: "steps with an input"),
    "clipped": Quantity(clipped, lambda: "clipped updates"),
    "nonfinite_updates": Quantity(nonfinite_updates, lambda: "NaN/Inf updates"),
    "sigma_max": Quantity(regime_value("sigma_max"), lambda: "σ_max"),
    "radius": Quantity(regime_value("radius"), lambda: "ρ"),
    "gamma": Quantity(regime_value("gamma"), lambda: "γ"),
    "T": Quantity(config_value("seq_len"), lambda: "T"),
    "H": Quantity(config_value("hidden"), lambda: "H"),
    "B": Quantity(config_value("batch"), lambda: "B"),
    "L": Quantity(config_value("layers"), lambda: "layers"),
    "inputs": Quantity(lambda session: float(session.task.input_size), lambda: "inputs"),
    "outputs": Quantity(lambda session: float(session.task.output_size), lambda: "outputs"),
}

# side B of an A/B comparison: the same measures, read from B (its pass, history and configuration)
B_SIDE = ("gradient", "cell_gradient", "forget_product", "forget_product_best", "bound", "jacobian", "step_share", "sequence_share", "weight_gradient",
          "loss", "first_loss", "pass_loss", "cosine", "grad_norm", "clip_angle", "learnt_at", "updates", "clipped",
          "nonfinite_updates", "accuracy", "sigma_max", "radius", "gamma")


def side_b(session):
    """What B's quantities read: side B of the session's A/B comparison, once its pass is computed."""
    b = getattr(session, "compared", None)
    if b is None:
        raise NotMeasured("nothing is compared side by side (no side B)")
    if b.result is None:
        raise NotMeasured("side B's pass is not computed yet")
    return b


def _of_b(quantity: Quantity) -> Quantity:
    return Quantity(lambda session, *args: quantity.measure(side_b(session), *args),
                    lambda *args: f"{quantity.label(*args)} of B", quantity.arguments, quantity.optional)


QUANTITIES.update({f"{name}_B": _of_b(QUANTITIES[name]) for name in B_SIDE})


def integer_text(value) -> str:
    return str(int(value)) if float(value).is_integer() else f"{float(value):g}"
