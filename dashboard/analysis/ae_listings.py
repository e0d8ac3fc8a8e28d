"""Listings: serious adverse events, deaths and changed records, with study days (day 1 = first infusion) and flags."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from dashboard.analysis.safety import death_dates, study_days, with_columns

SAE_COLUMNS = ["USUBJID", "AESEQ", "AEBODSYS", "AEDECOD", "AETERM", "AESEV", "AEREL", "AEACN", "AEOUT",
               "AESTDTC", "AEENDTC", "ADY", "TEAE", "IR", "FATAL", "CHANGE"]
DEATH_COLUMNS = ["USUBJID", "DTHDTC", "DTHDY", "CAUSE", "CHANGE"]


def _change_flags(events: pd.DataFrame, changes: pd.DataFrame | None) -> pd.Series:
    """NEW / CHANGED per event row ('' when unchanged or no previous cut)."""
    if changes is None or changes.empty:
        return pd.Series("", index=events.index, dtype=object)
    flags = changes[changes["CHANGE"].isin(["NEW", "CHANGED"])].set_index(["USUBJID", "AESEQ"])["CHANGE"]
    keys = pd.MultiIndex.from_arrays([events["USUBJID"], events["AESEQ"]])
    return pd.Series(flags.reindex(keys).fillna("").to_numpy(), index=events.index, dtype=object)


def _yes_no(values: pd.Series) -> pd.Series:
    return np.where(values.fillna(False).astype(bool), "Y", "N")


def emergence_flags(events: pd.DataFrame) -> np.ndarray:
    """'Y', 'N', or 'Y (same day, time unknown)' where emergence was decided on the date alone (conservative)."""
    timing = events["TEAE_TIMING"] if "TEAE_TIMING" in events else pd.Series("", index=events.index)
    flags = _yes_no(events["TEAE"]).astype(object)
    untimed = events["TEAE"].to_numpy(bool) & (timing.fillna("").to_numpy() != "")
    return np.where(untimed, "Y (" + timing.fillna("").astype(str).to_numpy() + ")", flags)


def reaction_flags(events: pd.DataFrame) -> np.ndarray:
    """'Y' (within the window of an infusion time), 'Y (date only)' (dates only: the window may hold), or 'N'."""
    ir = events["IR"].fillna(False).to_numpy(bool) if "IR" in events else np.zeros(len(events), dtype=bool)
    hours = events["IR_HOURS"].to_numpy(float) if "IR_HOURS" in events else np.full(len(events), np.nan)
    return np.where(ir & np.isnan(hours), "Y (date only)", np.where(ir, "Y", "N"))


def sae_listing(events: pd.DataFrame, changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Serious AE records (treatment-emergent or not) by subject and start, with their study day (ADY) and flags."""
    serious = events[events["SERIOUS"]]
    out = serious.assign(CHANGE=_change_flags(serious, changes), TEAE=emergence_flags(serious),
                         IR=reaction_flags(serious), FATAL=_yes_no(serious["FATAL"]))
    return out[SAE_COLUMNS].reset_index(drop=True)


def death_listing(dm: pd.DataFrame, population: pd.DataFrame, events: pd.DataFrame,
                  deaths_changed: pd.DataFrame | None = None) -> pd.DataFrame:
    """Deaths of randomized subjects: date, study day (DTHDY; none when never dosed), fatal events' terms, NEW / CHANGED."""
    dm = with_columns(dm, ("USUBJID", "RANDFL", "DTHDTC"))
    randomized = dm[dm["RANDFL"] == "Y"]
    dates = death_dates(randomized)
    fatal = events[events["FATAL"]]
    causes = fatal.groupby("USUBJID")["AEDECOD"].agg(lambda s: "; ".join(sorted(set(s.astype(str)))))
    flags = (deaths_changed.set_index("USUBJID")["CHANGE"] if deaths_changed is not None and len(deaths_changed)
             else pd.Series(dtype=object))
    out = pd.DataFrame({
        "USUBJID": dates.index.astype(str),
        "DTHDTC": randomized.set_index("USUBJID")["DTHDTC"].reindex(dates.index).astype("string").fillna("").to_numpy(),
        "DTHDY": study_days(pd.Series(dates.to_numpy()), pd.Series(dates.index.astype(str)), population).to_numpy(),
        "CAUSE": causes.reindex(dates.index).fillna("").to_numpy(),
        "CHANGE": flags.reindex(dates.index).fillna("").to_numpy(),
    })
    return out.sort_values("USUBJID", kind="stable").reset_index(drop=True)


def changes_listing(changes: pd.DataFrame) -> pd.DataFrame:
    """New, changed and removed AE records in subject order, with the columns that changed."""
    columns = ["USUBJID", "AESEQ", "CHANGE", "CHANGED_COLUMNS", "AEDECOD", "AEBODSYS", "AESEV", "AESER", "AEOUT",
               "AESTDTC", "AEENDTC"]
    return with_columns(changes, columns)[columns].reset_index(drop=True)


def search_rows(frame: pd.DataFrame, text: str | None) -> pd.DataFrame:
    """Rows where any column contains `text` (case-insensitive); all rows when the text is empty."""
    text = (text or "").strip().lower()
    if not text or frame.empty:
        return frame
    hit = np.zeros(len(frame), dtype=bool)
    for column in frame.columns:
        hit |= frame[column].astype("string").str.lower().str.contains(text, regex=False).fillna(False).to_numpy()
    return frame[hit]


def cap_rows(frame: pd.DataFrame, limit: int) -> tuple[pd.DataFrame, int]:
    """The first `limit` rows and the number of rows there were."""
    return frame.head(limit), len(frame)


def json_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts: dates as ISO text, missing values as None, numpy scalars as Python ones."""
    columns: dict[str, pd.Series] = {}
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            cells = values.dt.strftime("%Y-%m-%d").astype(object).where(values.notna(), None)
        elif pd.api.types.is_float_dtype(values):
            present = values.dropna()
            whole = bool((present == np.round(present)).all())
            cells = pd.Series([None if pd.isna(v) else (int(v) if whole else round(float(v), 4)) for v in values],
                              index=frame.index, dtype=object)
        else:
            cells = values.astype(object).where(values.notna(), None)
        columns[column] = cells
    return pd.DataFrame(columns, index=frame.index).to_dict("records")
