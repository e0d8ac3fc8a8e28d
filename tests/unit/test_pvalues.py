"""One way of writing p-values on every page: two significant digits, '< 0.001' below a thousandth."""

import math

import pytest

from dashboard.analysis.pvalues import p_digits, p_relation


@pytest.mark.parametrize("p, digits, relation", [
    (0.5, "0.50", "= 0.50"), (0.0372, "0.037", "= 0.037"), (0.10, "0.10", "= 0.10"), (0.001, "0.0010", "= 0.0010"),
    (0.000999, "< 0.001", "< 0.001"), (0.996, "1.0", "= 1.0"), (math.nan, "", ""), (None, "", "")])
def test_two_significant_digits(p, digits, relation):
    assert p_digits(p) == digits
    if relation is not None:
        assert p_relation(p) == relation

