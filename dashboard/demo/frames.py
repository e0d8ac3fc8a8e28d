"""Small helpers shared by the domain builders: date formatting, sequence numbers, frame assembly."""

from __future__ import annotations

import numpy as np
import pandas as pd

MINUTE = np.timedelta64(1, "m")


def fmt_dates(dates: np.ndarray) -> np.ndarray:
    """ISO dates (YYYY-MM-DD) as an object array, '' for NaT."""
    out = np.datetime_as_string(np.asarray(dates, "datetime64[D]"), unit="D").astype(object)
    out[np.isnat(np.asarray(dates))] = ""
    return out


def fmt_times(times: np.ndarray, with_time: np.ndarray | bool = True, month_only: np.ndarray | bool = False
              ) -> np.ndarray:
    """ISO date-times (YYYY-MM-DDTHH:MM) where `with_time`, dates elsewhere, YYYY-MM where `month_only`."""
    times = np.asarray(times, "datetime64[m]")
    with_time, month_only = np.broadcast_to(with_time, times.shape), np.broadcast_to(month_only, times.shape)
    out = np.datetime_as_string(times, unit="m").astype(object)
    out = np.where(with_time, out, np.datetime_as_string(times, unit="D").astype(object))
    out = np.where(month_only, np.datetime_as_string(times, unit="M").astype(object), out)
    out[np.isnat(times)] = ""
    return out


def seq_within(subject: np.ndarray) -> np.ndarray:
    """1, 2, 3 ... within runs of equal, already sorted subject indices."""
    n = subject.size
    if n == 0:
        return np.zeros(0)
    starts = np.flatnonzero(np.r_[True, subject[1:] != subject[:-1]])
    counts = np.diff(np.r_[starts, n])
    return (np.arange(n) - np.repeat(starts, counts) + 1).astype(float)


def sdtm_frame(study_id: str, domain: str, usubjid: np.ndarray, columns: dict[str, object],
               internal: dict[str, object] | None = None) -> pd.DataFrame:
    """A domain frame: STUDYID, DOMAIN, USUBJID, then `columns`, then internal `_` columns."""
    n = len(usubjid)
    data: dict[str, object] = {"STUDYID": np.full(n, study_id, dtype=object),
                               "DOMAIN": np.full(n, domain, dtype=object), "USUBJID": usubjid}
    data.update(columns)
    data.update(internal or {})
    return pd.DataFrame(data)


def fmt_numbers(values: np.ndarray, decimals: np.ndarray) -> np.ndarray:
    """Values printed with a per-row number of decimals, '' for NaN (each distinct value formatted once)."""
    values = np.asarray(values, float)
    out = np.full(values.size, "", dtype=object)
    for d in np.unique(decimals):
        rows = np.flatnonzero((decimals == d) & ~np.isnan(values))
        distinct, inverse = np.unique(values[rows], return_inverse=True)
        out[rows] = np.array([f"{v:.{d}f}" for v in distinct], dtype=object)[inverse]
    return out


def round_rows(values: np.ndarray, decimals: np.ndarray) -> np.ndarray:
    """Values rounded to a per-row number of decimals."""
    scale = 10.0 ** np.asarray(decimals)
    return np.round(values * scale) / scale
