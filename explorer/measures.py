"""The small expression language a lesson file writes its claims in, and claims measured with it.

A claim is a comparison of quantities (:mod:`explorer.quantities`), written as a teacher would:

    gradient(0) / gradient(59) <= bound(59)
    loss < 0.3 * baseline
    cosine < 0.9 and updates >= 200

Expressions are parsed with :mod:`ast` and evaluated by walking the tree: only numbers, the names
and functions of :data:`explorer.quantities.QUANTITIES`, + − × / ** and comparisons (and, or) are
allowed; nothing of Python is reachable from a lesson file. A lesson's text can quote a value with
``${expression}`` or ``${expression:.2g}``.
"""

import ast
import functools
import math
import operator
import re
from dataclasses import dataclass

import numpy as np

from rnn.errors import RnnInputError

from .notation import number, superscript
from .quantities import QUANTITIES, NotMeasured, integer_text


class ExpressionError(RnnInputError):
    """A lesson's expression is not one this language allows (the message says why)."""


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
        return number(node.value)
    if isinstance(node, ast.Name):
        return QUANTITIES[node.id].label()
    if isinstance(node, ast.Call):
        arguments = [_argument(a, session) for a in node.args]
        if all(a is not None for a in arguments):
            return QUANTITIES[node.func.id].label(*arguments)
        return f"{node.func.id}({', '.join(_label(a, session) for a in node.args)})"
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow) and _constant(node.right) is not None:
            return f"{_label(node.left, session)}{superscript(integer_text(_constant(node.right)))}"
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
    measured: str     # the measured values of each side, e.g. "1.3×10⁻¹⁸ ≤ 0.002"; or why pending


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
