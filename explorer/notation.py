"""How the app writes a number and an index, in one place: the lesson box, the status bar, the
plot titles, legends and tables all write a value the same way (no Qt here: :mod:`explorer.measures`
uses it as the views do).

A number has ``digits`` significant digits (4 unless a view needs fewer), trailing zeros dropped;
between 10⁻³ and 10⁴ it is written plainly (0.002, 12.5, 9999), outside with a power of ten as the
lessons write it (7.85×10⁻⁴, 2.45×10¹⁰, never 7.85e-04); a whole number below 10⁶ is written whole
(12345 updates, not 1.235×10⁴). A minus is a minus sign (−0.5, as in a formula), infinity is ∞,
a value that is not a number is NaN, and no value (None) is —.
"""

import math

PLAIN_RANGE = (1e-3, 1e4)     # a nonzero number is written plainly while its size is in [low, high)
WHOLE_BELOW = 1e6             # a whole number smaller than this is written with all its digits
MINUS = "\u2212"

_SUPERSCRIPTS = str.maketrans("0123456789()+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁺⁻")
_SUBSCRIPTS = str.maketrans("0123456789()+-", "₀₁₂₃₄₅₆₇₈₉₍₎₊₋")


def superscript(value) -> str:
    """``value``'s digits, signs and brackets as superscripts: −12 → ⁻¹²."""
    return str(value).translate(_SUPERSCRIPTS)


def subscript(value) -> str:
    """``value``'s digits, signs and brackets as subscripts: 12 → ₁₂."""
    return str(value).translate(_SUBSCRIPTS)


def number(value, digits: int = 4) -> str:
    """``value`` as the app writes it (see the module): 0.5, −123.5, 7.85×10⁻⁴, 1×10⁶, ∞, NaN, —."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    value = float(value)
    if math.isnan(value):
        return "NaN"
    sign = MINUS if value < 0 else ""
    size = abs(value)
    if math.isinf(size):
        return f"{sign}∞"
    if size.is_integer() and size < WHOLE_BELOW:
        return f"{sign}{int(size)}"
    mantissa, exponent = f"{size:.{digits - 1}e}".split("e")      # (rounded: 9999.7 is 1.000e+04)
    exponent = int(exponent)
    low, high = PLAIN_RANGE
    if math.log10(low) <= exponent < math.log10(high):
        return f"{sign}{_trimmed(f'{size:.{max(digits - 1 - exponent, 0)}f}')}"
    return f"{sign}{power_of_ten(float(mantissa), exponent)}"


def scientific(value, digits: int = 3) -> str:
    """``value`` with a power of ten whatever its size (0 as 0): an axis that writes one of its
    numbers so writes all of them so (5×10³ beside 2×10⁴, not 5000)."""
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return number(value)
    mantissa, exponent = f"{abs(value):.{digits - 1}e}".split("e")
    return f"{MINUS if value < 0 else ''}{power_of_ten(float(mantissa), int(exponent))}"


def power_of_ten(mantissa: float, exponent: int) -> str:
    """mantissa × 10^exponent as the lessons write it: 7.85×10⁻⁴; 10⁻⁴ for a mantissa of 1."""
    power = f"10{superscript(exponent)}"
    text = _trimmed(f"{mantissa:.15g}")
    return power if text == "1" else f"{text}×{power}"


def _trimmed(text: str) -> str:
    """A decimal without the zeros after its last significant digit: 1.250 → 1.25, 3.000 → 3."""
    return text.rstrip("0").rstrip(".") if "." in text else text
