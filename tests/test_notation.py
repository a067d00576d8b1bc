"""One number written one way everywhere (the lesson box, the status bar, plot titles, legends and
tables all call explorer.notation.number): the rule's texts, written out by hand."""

import math

import pytest

from explorer.measures import label
from explorer.notation import number, scientific


@pytest.mark.parametrize("value, text", [
    (0.0, "0"), (-0.0, "0"), (0.5, "0.5"), (-0.5, "−0.5"), (123.456, "123.5"), (-123.456, "−123.5"),
    (300.0, "300"), (12345.0, "12345"),                   # whole numbers whole
    (12345.6, "1.235×10⁴"), (1e6, "10⁶"), (2.45e10, "2.45×10¹⁰"),
    (0.0019966, "0.001997"), (0.001, "0.001"), (7.85e-4, "7.85×10⁻⁴"), (1e-300, "10⁻³⁰⁰"),
    (-3.2e-7, "−3.2×10⁻⁷"), (9999.7, "10⁴"),              # (rounded first: not 1e+04 written plainly)
    (math.nan, "NaN"), (math.inf, "∞"), (-math.inf, "−∞"), (None, "—"), (True, "true"),
])
def test_a_number_is_written_the_one_way(value, text):
    assert number(value) == text


def test_fewer_digits_where_a_view_asks_and_powers_of_ten_on_demand():
    assert number(0.41234567) == "0.4123" and number(0.41234567, 2) == "0.41"
    assert number(1.3e-18, 2) == "1.3×10⁻¹⁸" and number(507_123.4, 3) == "5.07×10⁵"
    assert scientific(500.0) == "5×10²" and scientific(-41_234.0, 2) == "−4.1×10⁴" and scientific(0.0) == "0"


def test_a_claims_formula_writes_its_constants_so():
    assert label("loss > 1e6 * bound(29)") == "loss > 10⁶ × (γσ_max)²⁹"      # never e-notation
    assert label("gradient(0) > -0.5") == "‖∂L/∂h₀‖ > −0.5"
