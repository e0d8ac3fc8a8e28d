"""How every p-value on the pages is written: two significant digits, "< 0.001" below a thousandth."""

from __future__ import annotations

import math


def p_digits(p: float | None) -> str:
    """'0.50', '0.037', '< 0.001'; '' when there is no test (None or NaN)."""
    if p is None or not math.isfinite(p):
        return ""
    return "< 0.001" if p < 0.001 else f"{p:#.2g}"


def p_relation(p: float | None) -> str:
    """The p-value after "p": '= 0.50' or '< 0.001'; '' when there is no test."""
    digits = p_digits(p)
    return digits if not digits or digits.startswith("<") else f"= {digits}"
