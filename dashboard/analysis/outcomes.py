"""Measured outcomes as one tidy frame per outcome: the values, the visit, the study day, the baseline.

Only randomized subjects count. On an ADaM cut, only analysis records count: derived records (DTYPE filled) and
records the configured analysis flag (ANL01FL) leaves out, baseline records apart, are not values. Scheduled visits are the configured ones; any other VISITNUM (for
example 5.1, an unplanned visit) is kept for the individual-subject lines but left out of summaries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from dashboard.analysis.adam_flags import non_analysis
from dashboard.analysis.arms import arm_order, spaghetti_sample, with_arm  # noqa: F401  (their one home)
from dashboard.config import Outcome, Visit
from dashboard.ingest.schema import normalized

VALUE_COLUMNS = ["USUBJID", "VISITNUM", "DY", "VALUE", "BLFL", "SCHEDULED"]
VISIT_VALUE_COLUMNS = ["USUBJID", "VISITNUM", "VALUE", "BASE", "CHG", "PCHG", "LRATIO"]
BASELINE_LAST_DAY = 1


def outcome_key(outcome: Outcome) -> str:
    """A stable id for an outcome ("LB.CRP"): test codes may repeat across domains."""
    return f"{outcome.domain}.{outcome.testcd}"


def find_outcome(outcomes: Sequence[Outcome], key: object) -> Outcome | None:
    """The configured outcome with this key, or None for anything else."""
    return next((o for o in outcomes if isinstance(key, str) and outcome_key(o) == key), None)


def randomized_ids(dm: pd.DataFrame) -> pd.Index:
    """USUBJIDs of randomized subjects, sorted."""
    if dm.empty or "USUBJID" not in dm:
        return pd.Index([], dtype=object, name="USUBJID")
    rows = dm[dm["RANDFL"] == "Y"] if "RANDFL" in dm else dm
    return pd.Index(sorted(rows["USUBJID"].dropna().unique()), name="USUBJID")


def day_one(dm: pd.DataFrame) -> pd.Series:
    """Study day 1 of each randomized subject: first dose (RFSTDT), else the randomization date."""
    rows = dm[dm["USUBJID"].isin(randomized_ids(dm))].drop_duplicates("USUBJID")
    start = rows["RFSTDT"] if "RFSTDT" in rows else pd.Series(pd.NaT, index=rows.index)
    if "RANDDT" in rows:
        start = start.fillna(rows["RANDDT"])
    return pd.Series(pd.to_datetime(start).to_numpy(), index=rows["USUBJID"].to_numpy(), name="DAY1")


def study_day(dates: pd.Series, day1: pd.Series) -> pd.Series:
    """SDTM study day: day 1 is the first dose, the day before it is -1 (there is no day 0)."""
    if len(dates) == 0:
        return pd.Series([], index=dates.index, dtype="float64")
    delta = (pd.to_datetime(dates) - pd.to_datetime(day1)).dt.days.astype("float64")
    return delta.where(delta < 0, delta + 1)


def scheduled_visit_numbers(visits: Sequence[Visit]) -> list[float]:
    return [float(v.num) for v in visits]


def planned_visits(visits: Sequence[Visit]) -> list[Visit]:
    """Visits with a planned study day, in order of that day (then VISITNUM): the ones a by-visit plot places.

    Visits without a planned day (unscheduled, retrieval, early termination) have no place on a time axis."""
    return sorted((v for v in visits if v.day is not None), key=lambda v: (v.day, v.num))


def post_baseline_visits(visits: Sequence[Visit]) -> list[Visit]:
    """Planned visits after day 1: the ones where a change from baseline means something."""
    return [v for v in planned_visits(visits) if v.day > BASELINE_LAST_DAY]


def visit_label(visit: Visit) -> str:
    """'DAY 7 (day 7)', or the name alone for a visit without a planned day."""
    return visit.name if visit.day is None else f"{visit.name} (day {visit.day})"


def left_out_of_visit_plots(values: pd.DataFrame, visits: Sequence[Visit]) -> tuple[int, int]:
    """Records a by-visit summary leaves out: (at a configured visit without a planned day, at a visit that is
    not configured at all, e.g. VISITNUM 5.1)."""
    undated = [float(v.num) for v in visits if v.day is None]
    at_undated = int(values["VISITNUM"].isin(undated).sum())
    return at_undated, int((~values["SCHEDULED"]).sum())


def visit_numbers(rows: pd.DataFrame, visits: Sequence[Visit]) -> pd.Series:
    """The configured VISITNUM of each record, matched on both VISITNUM and VISIT as Safety's views (keyed on VISIT)
    match them, so both pages put one record under one visit label.

    A record whose VISIT names a configured visit (compared normalized) belongs to it, whatever its VISITNUM (an
    export numbering visits by study day); one without a VISIT keeps its VISITNUM. One whose VISIT names no
    configured visit keeps a VISITNUM the configuration does not use (unscheduled, e.g. 4.1), but gets none (NaN:
    left out of by-visit summaries and counted there) when its VISITNUM is a configured visit's of another name."""
    number = pd.to_numeric(_column(rows, "VISITNUM"), errors="coerce").astype("float64")
    if "VISIT" not in rows:
        return number
    names = {normalized(v.name): float(v.num) for v in visits}
    text = rows["VISIT"].astype(object).where(rows["VISIT"].notna(), "")
    codes, uniques = pd.factorize(text)
    by_name = np.array([names.get(normalized(u), np.nan) for u in uniques], dtype="float64")
    named = np.array([normalized(u) != "" for u in uniques], dtype=bool)
    matched = by_name[codes] if len(uniques) else np.full(len(rows), np.nan)
    has_name = named[codes] if len(uniques) else np.zeros(len(rows), dtype=bool)
    clash = has_name & np.isnan(matched) & number.isin([float(v.num) for v in visits]).to_numpy()
    out = np.where(~np.isnan(matched), matched, np.where(clash, np.nan, number.to_numpy()))
    return pd.Series(out, index=rows.index, dtype="float64")


def _column(rows: pd.DataFrame, name: str, default: object = np.nan) -> pd.Series:
    return rows[name] if name in rows else pd.Series(default, index=rows.index)


def _outcome_rows(findings: pd.DataFrame, outcome: Outcome, dm: pd.DataFrame) -> pd.DataFrame | None:
    """The records of `outcome` for randomized subjects (None when the domain cannot hold any)."""
    d = outcome.domain
    needed = {"USUBJID", f"{d}TESTCD", f"{d}STRESN"}
    if findings.empty or not needed <= set(findings.columns) or dm.empty:
        return None
    rows = findings[findings[f"{d}TESTCD"] == outcome.testcd]
    return rows[randomized_ids(dm).get_indexer(rows["USUBJID"]) >= 0]


def non_analysis_counts(findings: pd.DataFrame, outcome: Outcome, dm: pd.DataFrame,
                        analysis_flag: str = "ANL01FL") -> tuple[int, int]:
    """Records of `outcome` that are not values (ADaM): (derived records, records outside the analysis flag)."""
    rows = _outcome_rows(findings, outcome, dm)
    if rows is None:
        return 0, 0
    derived, outside = non_analysis(rows, f"{outcome.domain}BLFL", analysis_flag)
    return int(derived.sum()), int(outside.sum())


def outcome_values(findings: pd.DataFrame, outcome: Outcome, dm: pd.DataFrame,
                   visits: Sequence[Visit], analysis_flag: str = "ANL01FL") -> pd.DataFrame:
    """One row per numeric result of `outcome` for a randomized subject (VALUE_COLUMNS), analysis records only."""
    d = outcome.domain
    rows = _outcome_rows(findings, outcome, dm)
    if rows is None:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in zip(
            VALUE_COLUMNS, ["str", "float64", "float64", "float64", "bool", "bool"])})
    derived, outside = non_analysis(rows, f"{d}BLFL", analysis_flag)
    rows = rows[~(derived | outside).to_numpy(bool)]
    day = pd.to_numeric(_column(rows, f"{d}DY"), errors="coerce")
    if f"{d}DT" in rows and day.isna().any():
        from_date = study_day(rows[f"{d}DT"], rows["USUBJID"].map(day_one(dm)))
        day = day.fillna(from_date)
    visitnum = visit_numbers(rows, visits)
    frame = pd.DataFrame({
        "USUBJID": rows["USUBJID"].astype("str"),
        "VISITNUM": visitnum.astype("float64"),
        "DY": day.astype("float64"),
        "VALUE": pd.to_numeric(rows[f"{d}STRESN"], errors="coerce").astype("float64"),
        "BLFL": _column(rows, f"{d}BLFL", "").eq("Y"),
        "SCHEDULED": visitnum.isin(scheduled_visit_numbers(visits)),
    })
    frame = frame[frame["VALUE"].notna() & np.isfinite(frame["VALUE"])]
    return frame.sort_values(["USUBJID", "DY", "VISITNUM"], kind="stable").reset_index(drop=True)


def baseline_values(values: pd.DataFrame) -> pd.Series:
    """Baseline per subject: the last flagged (--BLFL = Y) value, else the last value on or before day 1."""
    ordered = values.sort_values(["USUBJID", "DY", "VISITNUM"], kind="stable", na_position="first")
    flagged = ordered[ordered["BLFL"]].groupby("USUBJID", sort=True)["VALUE"].last()
    early = ordered[ordered["DY"] <= BASELINE_LAST_DAY].groupby("USUBJID", sort=True)["VALUE"].last()
    base = flagged.combine_first(early)
    base.name = "BASE"
    return base


def visit_values(values: pd.DataFrame) -> pd.DataFrame:
    """One value per subject and scheduled visit (the mean of repeats), with baseline and change."""
    scheduled = values[values["SCHEDULED"]]
    per_visit = (scheduled.groupby(["VISITNUM", "USUBJID"], sort=True)["VALUE"].mean().reset_index())
    per_visit["BASE"] = per_visit["USUBJID"].map(baseline_values(values)).astype("float64")
    per_visit["CHG"] = per_visit["VALUE"] - per_visit["BASE"]
    # percent change needs a non-zero baseline; the log ratio (geometric mean ratio) positive value and baseline
    base = per_visit["BASE"].where(per_visit["BASE"] != 0)
    per_visit["PCHG"] = 100.0 * per_visit["CHG"] / base
    positive = (per_visit["VALUE"] > 0) & (per_visit["BASE"] > 0)
    ratio = (per_visit["VALUE"] / per_visit["BASE"]).where(positive)
    per_visit["LRATIO"] = np.log(ratio.astype("float64"))
    return per_visit[VISIT_VALUE_COLUMNS]


def visits_with_records(values: pd.DataFrame, visits: Sequence[Visit]) -> list[Visit]:
    """The visits of `visits` where the outcome has at least one record (any subject): the ones a plot shows.

    Pooled over arms, so the axis never depends on the allocation."""
    present = set(values["VISITNUM"].dropna().astype("float64"))
    return [v for v in visits if float(v.num) in present]


def undefined_relative_change(visit_values: pd.DataFrame, column: str, visits: Sequence[Visit]) -> int:
    """Changes from baseline at `visits` that exist but cannot be expressed on the relative scale `column` (PCHG:
    baseline 0; LRATIO: a value or baseline of 0 or below); said on the figure, never dropped silently."""
    if column not in ("PCHG", "LRATIO"):
        return 0
    at = visit_values["VISITNUM"].isin([float(v.num) for v in visits])
    return int((at & visit_values["CHG"].notna() & visit_values[column].isna()).sum())


def outcome_findings(domains: Mapping[str, pd.DataFrame], outcomes: Sequence[Outcome], domain: str,
                     analysis_flag: str) -> pd.DataFrame:
    """The rows and columns of `domain` that the outcomes measured in it need."""
    findings = domains.get(domain, pd.DataFrame())
    column = f"{domain}TESTCD"
    if column not in findings:
        return findings
    wanted = ["USUBJID", column, "VISITNUM", "VISIT", *(f"{domain}{c}" for c in ("STRESN", "DY", "BLFL", "DT")),
              "DTYPE", analysis_flag]
    findings = findings[[c for c in dict.fromkeys(wanted) if c in findings]]
    return findings[findings[column].isin([o.testcd for o in outcomes if o.domain == domain])]


def all_outcome_values(domains: Mapping[str, pd.DataFrame], outcomes: Sequence[Outcome], dm: pd.DataFrame,
                       visits: Sequence[Visit], analysis_flag: str = "ANL01FL") -> dict[str, pd.DataFrame]:
    """outcome_values of every outcome by key, reading each domain's rows once."""
    values: dict[str, pd.DataFrame] = {}
    for domain in dict.fromkeys(o.domain for o in outcomes):
        findings = outcome_findings(domains, outcomes, domain, analysis_flag)
        for outcome in (o for o in outcomes if o.domain == domain):
            values[outcome_key(outcome)] = outcome_values(findings, outcome, dm, visits, analysis_flag)
    return values


def all_non_analysis_counts(domains: Mapping[str, pd.DataFrame], outcomes: Sequence[Outcome], dm: pd.DataFrame,
                            analysis_flag: str = "ANL01FL") -> dict[str, tuple[int, int]]:
    """non_analysis_counts of every outcome by key."""
    return {outcome_key(o): non_analysis_counts(outcome_findings(domains, outcomes, o.domain, analysis_flag), o, dm,
                                                analysis_flag) for o in outcomes}
