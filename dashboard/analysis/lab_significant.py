"""Clinically significant abnormal laboratory values: the records the export flags LBCLSIG = Y where it carries that
flag, else the values beyond a plain multiple of the normal range (above 3 x the upper limit: the Labs tab's eDISH
threshold for ALT, `labs.HY_ALT_ULN`, applied to every test; below half the lower limit).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analysis import labs
from dashboard.analysis.safety import with_columns
from dashboard.ingest.schema import normalized

HIGH_MULTIPLE = labs.HY_ALT_ULN     # value > 3 x ULN
LOW_FRACTION = 0.5                   # value < 0.5 x LLN
COLUMNS = ("USUBJID", "LBTESTCD", "LBTEST", "VISITNUM", "VISIT", "LBDY", "LBDTC", "LBSTRESC", "LBSTRESN",
           "LBSTRESU", "LBSTNRLO", "LBSTNRHI", "LBNRIND", "LBBLFL", "LBCLSIG")
LISTED = ("USUBJID", "LBTESTCD", "LBTEST", "VISITNUM", "VISIT", "LBDY", "LBDTC", "VALUE", "LBSTRESU", "LBSTNRLO",
          "LBSTNRHI", "LBNRIND", "LBBLFL", "REASON")


def uses_clsig(lb: pd.DataFrame) -> bool:
    """Whether the export carries the investigator's flag: an LBCLSIG column with at least one value."""
    if "LBCLSIG" not in lb.columns:
        return False
    return bool(lb["LBCLSIG"].astype("string").str.strip().replace("", pd.NA).notna().any())


def rule_text(lb: pd.DataFrame) -> str:
    """The rule `flagged_values` applies to this export, in words."""
    if uses_clsig(lb):
        return "records the export flags clinically significant (LBCLSIG = Y)"
    return (f"values above {HIGH_MULTIPLE:g} x the upper limit of normal (LBSTNRHI; the Labs tab's eDISH threshold "
            f"for ALT, applied to every test) or below {LOW_FRACTION:g} x the lower limit (LBSTNRLO); the export "
            "has no LBCLSIG flag")


def _numeric(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(**{c: pd.to_numeric(frame[c], errors="coerce")
                           for c in ("LBSTRESN", "LBSTNRLO", "LBSTNRHI", "VISITNUM", "LBDY")})


def _by_range(lb: pd.DataFrame) -> pd.Series:
    """The reason a value is beyond the rule's limits ('' when it is not, or cannot be judged)."""
    value, lo, hi = lb["LBSTRESN"], lb["LBSTNRLO"], lb["LBSTNRHI"]
    high = ((hi > 0) & (value > HIGH_MULTIPLE * hi)).to_numpy(dtype=bool)
    low = ((lo > 0) & (value < LOW_FRACTION * lo)).to_numpy(dtype=bool)
    reason = np.select([high, low],
                       [f"> {HIGH_MULTIPLE:g} x ULN", f"< {LOW_FRACTION:g} x LLN"], "")
    return pd.Series(reason, index=lb.index, dtype=object)


def flagged_values(lb: pd.DataFrame, subjects: pd.Series) -> pd.DataFrame:
    """The clinically significant abnormal values of `subjects` (every record, baseline included; LBBLFL says
    which is the baseline), with the reason, sorted by subject, test, visit and day."""
    clsig = uses_clsig(lb)
    lb = _numeric(with_columns(lb, COLUMNS)[list(COLUMNS)])
    lb = lb[lb["USUBJID"].isin(subjects)]
    if clsig:
        reason = pd.Series(np.where(lb["LBCLSIG"].map(normalized, na_action="ignore") == "Y", "LBCLSIG = Y", ""),
                           index=lb.index, dtype=object)
    else:
        reason = _by_range(lb)
    shown = lb.assign(REASON=reason)[reason != ""]
    text = shown["LBSTRESC"].astype("string").str.strip().replace("", pd.NA)
    number = shown["LBSTRESN"].map(lambda v: f"{v:g}", na_action="ignore")
    shown = shown.assign(VALUE=text.astype(object).fillna(number.astype(object)).fillna(""))
    shown = shown.sort_values(["USUBJID", "LBTESTCD", "VISITNUM", "LBDY"], kind="stable")
    return shown[list(LISTED)].reset_index(drop=True)


def unjudged(lb: pd.DataFrame, subjects: pd.Series) -> int:
    """Numeric values of `subjects` that the range rule cannot judge (no normal range reported); 0 under LBCLSIG."""
    if uses_clsig(lb):
        return 0
    lb = _numeric(with_columns(lb, COLUMNS))
    lb = lb[lb["USUBJID"].isin(subjects) & lb["LBSTRESN"].notna()]
    return int((~((lb["LBSTNRHI"] > 0) | (lb["LBSTNRLO"] > 0))).sum())
