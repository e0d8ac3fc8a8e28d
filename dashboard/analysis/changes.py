"""What changed between two data cuts: adverse-event records and deaths that are new, changed or removed."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analysis.safety import death_dates, with_columns

AE_KEYS = ["USUBJID", "AESEQ"]
NOT_CONTENT = {"STUDYID", "DOMAIN", "USUBJID", "AESEQ"}
SHOWN = ["AEDECOD", "AEBODSYS", "AESEV", "AESER", "AEOUT", "AESTDTC", "AEENDTC"]


def content_columns(current: pd.DataFrame, previous: pd.DataFrame) -> list[str]:
    """Reported AE columns both cuts hold (derived --DT and --DY columns left out), in the current order."""
    return [c for c in current.columns if c in previous.columns and c not in NOT_CONTENT
            and not c.endswith(("DT", "DY"))]


def _normalized(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Values as stripped text ('' for missing; 3.0 and '3' alike) so that equal content compares equal."""
    out = {}
    for c in columns:
        values = frame[c]
        if pd.api.types.is_numeric_dtype(values):
            values = values.map(lambda v: "" if pd.isna(v) else f"{float(v):g}")
        out[c] = values.astype("string").fillna("").str.strip()
    return pd.DataFrame(out, index=frame.index)


def ae_changes(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """AE records keyed by (USUBJID, AESEQ): CHANGE is NEW, CHANGED (CHANGED_COLUMNS lists them) or REMOVED.

    Unchanged records are left out. Rows carry the current content (the previous one for removed records).
    """
    current = with_columns(current, AE_KEYS + SHOWN)
    previous = with_columns(previous, AE_KEYS + SHOWN)
    columns = content_columns(current, previous)
    cur = pd.concat([current[AE_KEYS].astype({"USUBJID": str}), _normalized(current, columns)], axis=1)
    prev = pd.concat([previous[AE_KEYS].astype({"USUBJID": str}), _normalized(previous, columns)], axis=1)
    cur["AESEQ"] = pd.to_numeric(cur["AESEQ"], errors="coerce")
    prev["AESEQ"] = pd.to_numeric(prev["AESEQ"], errors="coerce")
    both = cur.merge(prev, on=AE_KEYS, how="outer", suffixes=("", "_prev"), indicator=True)
    differs = pd.DataFrame({c: both[c].fillna("") != both[f"{c}_prev"].fillna("") for c in columns},
                           index=both.index)
    joined = pd.Series("", index=both.index, dtype=object)
    for c in columns:
        joined = joined + np.where(differs[c].to_numpy(), f"{c}, ", "")
    changed_columns = joined.str.removesuffix(", ")
    change = pd.Series("", index=both.index, dtype=object)
    change[both["_merge"] == "left_only"] = "NEW"
    change[both["_merge"] == "right_only"] = "REMOVED"
    change[(both["_merge"] == "both") & differs.any(axis=1)] = "CHANGED"
    removed = both["_merge"] == "right_only"
    shown = {c: both[c].where(~removed, both[f"{c}_prev"]) for c in SHOWN if c in columns}
    out = pd.DataFrame({"USUBJID": both["USUBJID"], "AESEQ": both["AESEQ"], "CHANGE": change,
                        "CHANGED_COLUMNS": changed_columns.where(change == "CHANGED", ""), **shown,
                        "AESER_PREV": both["AESER_prev"] if "AESER" in columns else ""})
    out = out[out["CHANGE"] != ""]
    return out.sort_values(AE_KEYS, kind="stable").reset_index(drop=True)


def death_changes(current_dm: pd.DataFrame, previous_dm: pd.DataFrame) -> pd.DataFrame:
    """Deaths new in the current cut (or whose date changed): USUBJID, DTHDT, CHANGE."""
    now, before = death_dates(current_dm), death_dates(previous_dm)
    new = now[~now.index.isin(before.index)]
    same_subject = now[now.index.isin(before.index)]
    moved = same_subject[same_subject.ne(before.reindex(same_subject.index))
                         & ~(same_subject.isna() & before.reindex(same_subject.index).isna())]
    out = pd.concat([pd.DataFrame({"USUBJID": new.index, "DTHDT": new.to_numpy(), "CHANGE": "NEW"}),
                     pd.DataFrame({"USUBJID": moved.index, "DTHDT": moved.to_numpy(), "CHANGE": "CHANGED"})])
    return out.sort_values("USUBJID", kind="stable").reset_index(drop=True)


def change_summary(changes: pd.DataFrame, deaths: pd.DataFrame) -> pd.DataFrame:
    """Counts for the overview: new events, new or newly serious events, changed and removed records, new deaths."""
    serious_now = changes.get("AESER", pd.Series("", index=changes.index)).astype("string").fillna("") == "Y"
    serious_before = changes.get("AESER_PREV", pd.Series("", index=changes.index)).astype("string").fillna("") == "Y"
    new_serious = serious_now & ((changes["CHANGE"] == "NEW") | ((changes["CHANGE"] == "CHANGED") & ~serious_before))
    rows = [
        ("new_events", "New adverse events", int((changes["CHANGE"] == "NEW").sum())),
        ("new_serious", "New or newly serious events", int(new_serious.sum())),
        ("changed", "Changed event records", int((changes["CHANGE"] == "CHANGED").sum())),
        ("removed", "Removed event records", int((changes["CHANGE"] == "REMOVED").sum())),
        ("new_deaths", "New deaths", int((deaths["CHANGE"] == "NEW").sum())),
    ]
    return pd.DataFrame(rows, columns=["KEY", "LABEL", "COUNT"])
