"""CSV downloads: stamped with study, cut and OPEN / CLOSED, safe against spreadsheet formula injection."""

from __future__ import annotations

import io
import re

import pandas as pd

# Spreadsheets skip leading blanks before a formula and some read the full-width and small forms of = + - @
# as the ASCII ones, so "  =1", "＝1" and "﹦1" start formulas too.
FORMULA_SIGNS = "=+\\-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b\u2212"
LEADING_BLANKS = "\\s\u00a0\u1680\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
FORMULA_START = re.compile(f"^(?:[\\t\\r]|[{LEADING_BLANKS}]*[{FORMULA_SIGNS}])")


def starts_like_formula(value: object) -> bool:
    """Whether a spreadsheet could read this cell as a formula (after leading blanks, in any width)."""
    return isinstance(value, str) and FORMULA_START.match(value) is not None


def neutralize_cell(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with a single quote."""
    return "'" + value if starts_like_formula(value) else value  # type: ignore[operator]


def neutralize_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell (and header) that starts like a formula gets a leading quote."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            risky = values.map(starts_like_formula, na_action="ignore").fillna(False).astype(bool)
            if risky.any():
                out[column] = values.astype(object).where(~risky, values.astype(object).map(neutralize_cell))
    out.columns = [neutralize_cell(str(c)) for c in out.columns]
    return out


def stamped_csv(frame: pd.DataFrame, *, study_id: str, cut_date: str | None, sees_arms: bool, title: str) -> str:
    """CSV text whose first lines say what it is, which cut, and OPEN or CLOSED."""
    state = "CLOSED (by arm)" if sees_arms else "OPEN (pooled)"
    buffer = io.StringIO()
    buffer.write(f"# {study_id} · {title}\n# Data cut {cut_date or 'none'} · {state}\n")
    neutralize_frame(frame).to_csv(buffer, index=False)
    return buffer.getvalue()
