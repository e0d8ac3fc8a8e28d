"""Helpers every by-arm analysis shares, in one place: the arm display order, a subject's arm as a column, and the
sample of subjects drawn as individual lines (never chosen by arm).

Safety and Outcomes both use these; an analysis that needs one imports it from here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def arm_order(arm_of: pd.Series) -> list[str]:
    """Arm labels in display order: the categories of `arm_of` when it is categorical, else its sorted values."""
    if isinstance(arm_of.dtype, pd.CategoricalDtype):
        return [str(c) for c in arm_of.cat.categories]
    return sorted(str(a) for a in arm_of.dropna().unique())


def with_arm(frame: pd.DataFrame, arm_of: pd.Series, *, keep_unarmed: bool = False) -> pd.DataFrame:
    """`frame` plus the subject's arm as column ARM.

    Analyses (`keep_unarmed=False`) count a subject in an arm or not at all: subjects without an arm are dropped and
    ARM is categorical in display order. Listings (`keep_unarmed=True`) show every record: ARM is text right after
    USUBJID, blank where the subject has no arm (never relabelled).
    """
    if keep_unarmed:
        out = frame.copy()
        out.insert(1, "ARM", frame["USUBJID"].map(arm_of.astype(object)).fillna("").to_numpy())
        return out
    arms = arm_order(arm_of)
    labels = arm_of if isinstance(arm_of.dtype, pd.CategoricalDtype) else arm_of.astype(pd.CategoricalDtype(arms))
    position = pd.Index(labels.index.astype("str")).get_indexer(frame["USUBJID"].astype("str"))
    codes = np.where(position >= 0, labels.cat.codes.to_numpy()[position], -1)
    known = codes >= 0
    return frame[known].assign(ARM=pd.Categorical.from_codes(codes[known], categories=arms))


def spaghetti_sample(rows: pd.DataFrame, max_subjects: int, *, day: str = "DY") -> tuple[pd.DataFrame, int]:
    """Every row (unplanned visits included) of the first `max_subjects` subjects in USUBJID order, never chosen by
    arm, sorted by subject, study day (`day`) and visit; and how many subjects there are."""
    subject = rows["USUBJID"].astype(str)
    subjects = np.sort(subject.unique())
    sample = rows[subject.isin(subjects[:max_subjects])]
    return sample.sort_values(["USUBJID", day, "VISITNUM"], kind="stable").reset_index(drop=True), len(subjects)
