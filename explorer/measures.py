"""What a lesson can measure: named quantities read from the session, and the small expression
language a lesson file writes its claims in.

A claim is a comparison of quantities, written as a teacher would write it:

    gradient(0) / gradient(59) <= bound(59)
    loss < 0.3 * baseline
    cosine < 0.9 and updates >= 200

Expressions are parsed with :mod:`ast` and evaluated by walking the tree: only numbers, the names
and functions of :data:`QUANTITIES`, + − × / ** and comparisons (and, or) are allowed; nothing of
Python is reachable from a lesson file. Every quantity is measured from the engine's results as the
window shows them; a lesson's text can quote one with ``${expression}`` or ``${expression:.2g}``.

A quantity that cannot be measured yet (no training update, a pass not finished) raises
:class:`NotMeasured`; the claim is then shown as pending, neither ✓ nor ✗.
"""

import ast
import functools
import math
import operator
import re
from dataclasses import dataclass

import numpy as np

from rnn.errors import RnnInputError
from rnn.passresult import prediction_accuracy

RECENT_UPDATES = 20        # "the loss now": the mean of the last this many updates


class NotMeasured(Exception):
    """The quantity has no value yet (e.g. no training update has been made)."""


class ExpressionError(RnnInputError):
    """A lesson's expression is not one this language allows (the message says why)."""


_SUBSCRIPTS = str.maketrans("0123456789-+", "₀₁₂₃₄₅₆₇₈₉₋₊")
_SUPERSCRIPTS = str.maketrans("0123456789-+", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺")


def subscript(value) -> str:
    return str(value).translate(_SUBSCRIPTS)


def superscript(value) -> str:
    return str(value).translate(_SUPERSCRIPTS)


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


def gradient(session, t, layer=None) -> float:
    """‖∂L/∂h_t‖ of the top layer (or ``layer``), over the batch and the units."""
    result = _finished(session)
    layers = result.dh_norm_batch.shape[0]
    layer = layers - 1 if layer is None else int(layer)
    if not 0 <= layer < layers:
        raise NotMeasured(f"layer {layer} is outside 0…{layers - 1}")
    return float(result.dh_norm_batch[layer, _step(session, t)])


def cell_gradient(session, t, layer=None) -> float:
    """‖∂L/∂c_t‖ of the LSTM's top layer (or ``layer``), over the batch and the units."""
    result = _finished(session)
    layers = result.dc_norm_batch.shape[0]
    layer = layers - 1 if layer is None else int(layer)
    if not 0 <= layer < layers:
        raise NotMeasured(f"layer {layer} is outside 0…{layers - 1}")
    value = float(result.dc_norm_batch[layer, _step(session, t)])
    if not np.isfinite(value) and session.config.cell != "lstm":
        raise NotMeasured("only the LSTM has a cell state c_t")
    return value


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
    """Names task: how many of the sampled names differ from each other."""
    if not session.samples:
        raise NotMeasured("no names sampled yet")
    return float(len(set(session.samples)))


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
    losses = session.history.loss
    if len(losses) < RECENT_UPDATES:
        raise NotMeasured("fewer than 20 updates")
    finite = np.where(np.isfinite(losses), losses, np.inf)
    window = np.convolve(finite, np.ones(RECENT_UPDATES) / RECENT_UPDATES, mode="valid")   # [i]: updates i+1 … i+20
    below = np.flatnonzero(window < float(fraction) * session.baseline)
    if not below.size:
        raise NotMeasured(f"the loss has not fallen below {float(fraction):g} × the baseline")
    return float(below[0] + RECENT_UPDATES)


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
    h = session.history
    return float(np.count_nonzero(~np.isfinite(h.loss) | ~np.isfinite(h.grad_norm)))


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
    "bound": Quantity(bound, lambda n: f"(γσ_max){superscript(_integer_text(n))}", 1),
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
    "learnt_at": Quantity(learnt_at, lambda f: f"update reaching {f:g} × baseline", 1),
    "updates": Quantity(updates, lambda: "updates"),
    "loss_steps": Quantity(loss_steps, lambda: "steps with a loss"),
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


def _integer_text(value) -> str:
    return str(int(value)) if float(value).is_integer() else f"{float(value):g}"


# ----------------------------------------------------------------------------- expressions
_BINARY = {ast.Add: (operator.add, "+"), ast.Sub: (operator.sub, "−"), ast.Mult: (operator.mul, "×"),
           ast.Div: (operator.truediv, "/"), ast.Pow: (operator.pow, "^")}
_COMPARE = {ast.Lt: (operator.lt, "<"), ast.LtE: (operator.le, "≤"), ast.Gt: (operator.gt, ">"),
            ast.GtE: (operator.ge, "≥"), ast.Eq: (operator.eq, "="), ast.NotEq: (operator.ne, "≠")}
_MAX_LENGTH = 300


@functools.lru_cache(maxsize=512)
def parse(text: str) -> ast.expr:
    """The checked syntax tree of an expression; raises ExpressionError naming what is not allowed."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("an expression must be a non-empty text")
    if len(text) > _MAX_LENGTH:
        raise ExpressionError(f"an expression is at most {_MAX_LENGTH} characters long")
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as error:
        raise ExpressionError(f"cannot read {text!r}: {error.msg}") from None
    _check(tree, text)
    return tree


def _check(node, text):
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"{text!r}: only numbers may be written, not {node.value!r}")
    elif isinstance(node, ast.Name):
        quantity = QUANTITIES.get(node.id)
        if quantity is None:
            raise ExpressionError(f"{text!r}: unknown quantity {node.id!r}; known: {', '.join(QUANTITIES)}")
        if quantity.arguments:
            raise ExpressionError(f"{text!r}: {node.id} needs {quantity.arguments} argument(s), e.g. {node.id}(0)")
    elif isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else None
        quantity = QUANTITIES.get(name)
        if quantity is None or not quantity.arguments:
            raise ExpressionError(f"{text!r}: {name or 'this'} is not a function a lesson can call")
        if node.keywords or not quantity.arguments <= len(node.args) <= quantity.arguments + quantity.optional:
            raise ExpressionError(f"{text!r}: {name} takes {quantity.arguments} argument(s)")
        for argument in node.args:
            _check(argument, text)
    elif isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        _check(node.left, text)
        _check(node.right, text)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        _check(node.operand, text)
    elif isinstance(node, ast.Compare) and all(type(op) in _COMPARE for op in node.ops):
        for part in (node.left, *node.comparators):
            _check(part, text)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, text)
    else:
        raise ExpressionError(f"{text!r}: {type(node).__name__} is not allowed in a lesson's expression")


def evaluate(text: str, session):
    """The value of an expression (a float, or a bool for a claim) measured from ``session``.
    Raises NotMeasured if a quantity has no value yet."""
    return _value(parse(text), session)


def _value(node, session):
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return QUANTITIES[node.id].measure(session)
    if isinstance(node, ast.Call):
        return QUANTITIES[node.func.id].measure(session, *(_value(a, session) for a in node.args))
    if isinstance(node, ast.BinOp):
        left, right = _value(node.left, session), _value(node.right, session)
        with np.errstate(all="ignore"):
            try:
                return float(_BINARY[type(node.op)][0](np.float64(left), np.float64(right)))
            except (OverflowError, ZeroDivisionError):
                return math.nan
    if isinstance(node, ast.UnaryOp):
        value = _value(node.operand, session)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Compare):
        values = [_value(part, session) for part in (node.left, *node.comparators)]
        return all(_COMPARE[type(op)][0](a, b) for op, a, b in zip(node.ops, values, values[1:]))
    if isinstance(node, ast.BoolOp):
        parts = [_value(value, session) for value in node.values]
        return all(parts) if isinstance(node.op, ast.And) else any(parts)
    raise ExpressionError(f"cannot evaluate {type(node).__name__}")


def label(text: str, session=None) -> str:
    """The expression in mathematical notation: gradient(0) / gradient(59) <= bound(59) →
    ‖∂L/∂h₀‖ / ‖∂L/∂h₅₉‖ ≤ (γσ_max)⁵⁹. With a session, arguments that name quantities are
    measured: gradient(T - 1) → ‖∂L/∂h₁₉‖ at T = 20."""
    return _label(parse(text), session)


def _label(node, session=None) -> str:
    if isinstance(node, ast.Constant):
        return f"{node.value:g}"
    if isinstance(node, ast.Name):
        return QUANTITIES[node.id].label()
    if isinstance(node, ast.Call):
        arguments = [_argument(a, session) for a in node.args]
        if all(a is not None for a in arguments):
            return QUANTITIES[node.func.id].label(*arguments)
        return f"{node.func.id}({', '.join(_label(a, session) for a in node.args)})"
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow) and _constant(node.right) is not None:
            return f"{_label(node.left, session)}{superscript(_integer_text(_constant(node.right)))}"
        return f"{_label(node.left, session)} {_BINARY[type(node.op)][1]} {_label(node.right, session)}"
    if isinstance(node, ast.UnaryOp):
        return f"−{_label(node.operand, session)}"
    if isinstance(node, ast.Compare):
        parts = [_label(node.left, session)]
        for op, comparator in zip(node.ops, node.comparators):
            parts += [_COMPARE[type(op)][1], _label(comparator, session)]
        return " ".join(parts)
    if isinstance(node, ast.BoolOp):
        return (" and " if isinstance(node.op, ast.And) else " or ").join(_label(v, session) for v in node.values)
    return ast.unparse(node)


def _argument(node, session):
    """A function's argument as a number: folded if written in numbers, measured if it names a
    quantity and a session is given, else None."""
    value = _constant(node)
    if value is None and session is not None:
        try:
            value = _value(node, session)
        except NotMeasured:
            return None
    return value


def _constant(node):
    """The number an argument is (folding + − × on numbers), or None if it names a quantity."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _constant(node.operand)
        return None if value is None else -value
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _constant(node.left), _constant(node.right)
        if left is not None and right is not None:
            return _BINARY[type(node.op)][0](left, right)
    return None


# ----------------------------------------------------------------------------- claims
@dataclass(frozen=True)
class Measurement:
    """A claim as measured now: whether it holds (None: not measurable yet) and the numbers."""
    holds: bool | None
    formula: str      # the claim in mathematical notation
    measured: str     # the measured values of each side, e.g. "1.3e-18 ≤ 0.0020"; or why pending


def measure(text: str, session) -> Measurement:
    """Measure a claim: each side of its comparison is evaluated and shown with its value."""
    tree = parse(text)
    formula = label(text, session)
    try:
        holds = _value(tree, session)
        measured = _sides(tree, session)
    except NotMeasured as reason:
        return Measurement(None, formula, f"not measured yet: {reason}")
    return Measurement(bool(holds), formula, measured)


def _sides(node, session) -> str:
    if isinstance(node, ast.Compare):
        parts = [number(_value(node.left, session))]
        for op, comparator in zip(node.ops, node.comparators):
            parts += [_COMPARE[type(op)][1], number(_value(comparator, session))]
        return " ".join(parts)
    if isinstance(node, ast.BoolOp):
        return "; ".join(_sides(v, session) for v in node.values)
    return number(_value(node, session))


def number(value) -> str:
    """A measured value as a lesson shows it: four significant digits, powers of ten as 1.3×10⁻¹⁸."""
    if isinstance(value, bool):
        return "true" if value else "false"
    value = float(value)
    if not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("∞" if value > 0 else "−∞")
    if value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    if value != 0 and not 1e-3 <= abs(value) < 1e5:
        mantissa, exponent = f"{value:.2e}".split("e")
        return f"{mantissa}×10{superscript(int(exponent))}"
    return f"{value:.4g}"


_PLACEHOLDER = re.compile(r"\$\{([^{}:]+)(?::([^{}]+))?\}")


def fill(text: str, session) -> str:
    """A lesson text with each ``${expression}`` (or ``${expression:format}``) replaced by its value
    measured now ("…" while it cannot be measured)."""
    def replace(match):
        expression, spec = match.group(1), match.group(2)
        try:
            value = evaluate(expression, session)
        except NotMeasured:
            return "…"
        if spec:
            try:
                return format(value, spec)
            except (ValueError, TypeError):
                pass
        return number(value)
    return _PLACEHOLDER.sub(replace, text)


def check_placeholders(text: str) -> None:
    """Raise ExpressionError for a ``${…}`` in a lesson text that is not a valid expression."""
    for match in _PLACEHOLDER.finditer(text):
        parse(match.group(1))
        if match.group(2):
            try:
                format(1.0, match.group(2))
            except ValueError:
                raise ExpressionError(f"{match.group(0)}: {match.group(2)!r} is not a number format") from None
