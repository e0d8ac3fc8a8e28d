"""CSV downloads: stamped with study, cut and OPEN / CLOSED, safe against spreadsheet formula injection."""

from __future__ import annotations

import io

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize_cell(value: object) -> object:
    """Prefix text that a spreadsheet would run as a formula with a single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralize_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell (and header) that starts like a formula gets a leading quote; vectorized."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            text = values.where(values.map(type) == str) if values.dtype == object else values
            risky = text.str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
            if risky.any():
                out[column] = values.astype(object).where(~risky, "'" + text.astype(object).where(risky, ""))
    out.columns = [neutralize_cell(str(c)) for c in out.columns]
    return out


def stamped_csv(frame: pd.DataFrame, *, study_id: str, cut_date: str | None, sees_arms: bool, title: str) -> str:
    """CSV text whose first lines say what it is, which cut, and OPEN or CLOSED."""
    state = "CLOSED (by arm)" if sees_arms else "OPEN (pooled)"
    buffer = io.StringIO()
    buffer.write(f"# {study_id} · {title}\n# Data cut {cut_date or 'none'} · {state}\n")
    neutralize_frame(frame).to_csv(buffer, index=False)
    return buffer.getvalue()
