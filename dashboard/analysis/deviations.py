"""The trial's protocol deviation log (SDTM DV): the records as listed, and subjects and occurrences per category
(DVCAT), pooled or per arm (and the total), among the randomized subjects."""

from __future__ import annotations

import pandas as pd

from dashboard.analysis.safety import GROUP, assign_groups, group_sizes, with_columns

DV_COLUMNS = ("USUBJID", "DVSEQ", "DVCAT", "DVTERM", "DVDECOD", "DVSTDTC")
NO_CATEGORY = "(no category)"
ALL_CATEGORIES = "Any deviation"


def deviation_log(dv: pd.DataFrame) -> pd.DataFrame:
    """Every DV record (USUBJID, DVSEQ, DVCAT, DVTERM, DVDECOD, DVSTDTC), by subject, start date and sequence; a
    blank category reads NO_CATEGORY."""
    log = with_columns(dv, DV_COLUMNS)[list(DV_COLUMNS)]
    category = log["DVCAT"].astype("string").str.strip().replace("", pd.NA)
    log = log.assign(DVCAT=category.astype(object).fillna(NO_CATEGORY),
                     DVSEQ=pd.to_numeric(log["DVSEQ"], errors="coerce"))
    return log.sort_values(["USUBJID", "DVSTDTC", "DVSEQ"], kind="stable", na_position="last").reset_index(drop=True)


def _summary(dv: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series | None) -> pd.DataFrame:
    log = deviation_log(dv)
    log = log[log["USUBJID"].isin(population["USUBJID"])]
    # the categories come from every record, never from one arm's, so the rows do not depend on allocation
    categories = [*sorted(log["DVCAT"].unique()), ALL_CATEGORIES]
    grouped = assign_groups(pd.concat([log, log.assign(DVCAT=ALL_CATEGORIES)], ignore_index=True), arm_of)
    g = grouped.groupby([GROUP, "DVCAT"], sort=True)["USUBJID"]
    sizes = group_sizes(population, arm_of)
    full = pd.MultiIndex.from_product([list(sizes.index), categories], names=[GROUP, "DVCAT"])
    out = pd.DataFrame({"SUBJECTS": g.nunique(), "OCCURRENCES": g.size()}).reindex(full, fill_value=0).reset_index()
    out["N"] = out[GROUP].map(sizes).astype(int)
    return out[[GROUP, "DVCAT", "N", "SUBJECTS", "OCCURRENCES"]]


def deviation_summary(dv: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Subjects and occurrences per category and in any category, pooled (GROUP, DVCAT, N, SUBJECTS, OCCURRENCES)."""
    return _summary(dv, population, None)


def deviation_summary_by_arm(dv: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series) -> pd.DataFrame:
    """The same per arm and for the total."""
    return _summary(dv, population, arm_of)

