"""Laboratory safety: values by visit, spaghetti samples, shift tables, eDISH (Hy's law), creatinine rises.

Pooled functions take no arm; `_by_arm` functions take `arm_of` explicitly. Definitions in docs/safety.md.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from dashboard.analysis.safety import GROUP, assign_groups, group_sizes, percent, with_columns
from dashboard.config import SafetyLabs

LAB_COLUMNS = ("USUBJID", "LBTESTCD", "LBTEST", "LBSTRESN", "LBSTRESU", "LBSTNRLO", "LBSTNRHI", "LBNRIND",
               "VISITNUM", "VISIT", "LBDY", "LBBLFL", "LBDT")
CATEGORIES = ("LOW", "NORMAL", "HIGH", "MISSING")
HY_ALT_ULN = 3.0
HY_BILI_ULN = 2.0
QUADRANTS = ("Potential Hy's law", "Temple's corollary", "Hyperbilirubinaemia", "Normal range")
CREAT_BANDS = ("< 1.5 x baseline", "1.5 to < 2 x baseline", "2 to < 3 x baseline", ">= 3 x baseline",
               "No baseline or no later value")


def test_units(lb: pd.DataFrame, configured: Mapping[str, str] | None = None) -> pd.Series:
    """The unit of each test code (TESTCD -> unit): the first standard unit LBSTRESU reported for the test,
    else the unit configured for it (the trial's LB outcomes), else ''."""
    lb = with_columns(lb, ("LBTESTCD", "LBSTRESU"))
    unit = lb["LBSTRESU"].astype("string").str.strip().replace("", pd.NA)
    reported = unit.groupby(lb["LBTESTCD"].astype(str), sort=True).first()
    codes = sorted(set(reported.index) | set(configured or {}))
    fallback = pd.Series(dict(configured or {}), dtype=object).reindex(codes)
    return reported.reindex(codes).astype(object).fillna(fallback).fillna("").astype(str).rename("UNIT")


def reported_units(rows: pd.DataFrame) -> list[str]:
    """The distinct standard units LBSTRESU of some lab rows, sorted (more than one: values in mixed units)."""
    units = with_columns(rows, ("LBSTRESU",))["LBSTRESU"].astype("string").str.strip()
    return sorted(u for u in units.dropna().unique() if u)


def lab_tests(lb: pd.DataFrame, configured_units: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The tests in LB with a numeric result: TESTCD, TEST, UNIT (see `test_units`), sorted by test name."""
    lb = with_columns(lb, LAB_COLUMNS)
    numeric = lb[pd.to_numeric(lb["LBSTRESN"], errors="coerce").notna()]
    tests = numeric.groupby("LBTESTCD", sort=True).agg(TEST=("LBTEST", "first"))
    tests = tests.reset_index().rename(columns={"LBTESTCD": "TESTCD"})
    tests["TEST"] = tests["TEST"].astype("string").fillna(tests["TESTCD"])
    tests["UNIT"] = tests["TESTCD"].astype(str).map(test_units(numeric, configured_units)).fillna("")
    return tests.sort_values(["TEST", "TESTCD"], kind="stable").reset_index(drop=True)


def with_unit(label: str, unit: str | None) -> str:
    """'label (unit)', or the label alone when there is no unit."""
    return f"{label} ({unit})" if isinstance(unit, str) and unit.strip() else label


def split_by_test(lb: pd.DataFrame, subjects: pd.Series,
                  configured_units: Mapping[str, str] | None = None) -> dict[str, pd.DataFrame]:
    """LB rows of `subjects` with a numeric result, one frame per test code (the lab index the views share);
    a missing LBSTRESU is filled with the test's unit (`test_units`)."""
    lb = with_columns(lb, LAB_COLUMNS)[list(LAB_COLUMNS)]
    lb = lb[lb["USUBJID"].isin(subjects)]
    units = lb["LBTESTCD"].astype(str).map(test_units(lb, configured_units))
    reported = lb["LBSTRESU"].astype("string").str.strip().replace("", pd.NA)
    lb = lb.assign(LBSTRESU=reported.astype(object).fillna(units).replace("", None))
    lb = lb.assign(LBSTRESN=pd.to_numeric(lb["LBSTRESN"], errors="coerce"),
                   LBSTNRLO=pd.to_numeric(lb["LBSTNRLO"], errors="coerce"),
                   LBSTNRHI=pd.to_numeric(lb["LBSTNRHI"], errors="coerce"),
                   VISITNUM=pd.to_numeric(lb["VISITNUM"], errors="coerce"),
                   LBDY=pd.to_numeric(lb["LBDY"], errors="coerce"))
    lb = lb[lb["LBSTRESN"].notna()]
    return {str(code): part.sort_values(["USUBJID", "VISITNUM", "LBDY"], kind="stable").reset_index(drop=True)
            for code, part in lb.groupby("LBTESTCD", sort=True)}


def _visit_groups(rows: pd.DataFrame, arm_of: pd.Series | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(values at scheduled visits with GROUP, their box statistics per GROUP and VISITNUM with Tukey bounds)."""
    scheduled = rows[rows["VISITNUM"].notna() & (rows["VISITNUM"] == rows["VISITNUM"].round())]
    grouped = assign_groups(scheduled[["USUBJID", "VISITNUM", "VISIT", "LBSTRESN"]], arm_of)
    keys = [GROUP, "VISITNUM"]
    g = grouped.groupby(keys, sort=True)["LBSTRESN"]
    stats = pd.DataFrame({"VISIT": grouped.groupby(keys, sort=True)["VISIT"].first(), "N": g.size(),
                          "MEAN": g.mean(), "MIN": g.min(), "Q1": g.quantile(0.25), "MEDIAN": g.median(),
                          "Q3": g.quantile(0.75), "MAX": g.max()})
    iqr = stats["Q3"] - stats["Q1"]
    stats["_lo"], stats["_hi"] = stats["Q1"] - 1.5 * iqr, stats["Q3"] + 1.5 * iqr
    return grouped.join(stats[["_lo", "_hi"]], on=keys), stats


def _visit_summary(rows: pd.DataFrame, arm_of: pd.Series | None) -> pd.DataFrame:
    bounds, stats = _visit_groups(rows, arm_of)
    inside = bounds[(bounds["LBSTRESN"] >= bounds["_lo"]) & (bounds["LBSTRESN"] <= bounds["_hi"])]
    fences = inside.groupby([GROUP, "VISITNUM"], sort=True)["LBSTRESN"].agg(["min", "max"])
    stats["LOWERFENCE"] = fences["min"].reindex(stats.index)
    stats["UPPERFENCE"] = fences["max"].reindex(stats.index)
    return stats.drop(columns=["_lo", "_hi"]).reset_index()


def _visit_outliers(rows: pd.DataFrame, arm_of: pd.Series | None) -> pd.DataFrame:
    bounds, _ = _visit_groups(rows, arm_of)
    out = bounds[(bounds["LBSTRESN"] < bounds["_lo"]) | (bounds["LBSTRESN"] > bounds["_hi"])]
    out = out[[GROUP, "VISITNUM", "VISIT", "USUBJID", "LBSTRESN"]]
    return out.sort_values([GROUP, "VISITNUM", "LBSTRESN", "USUBJID"], kind="stable").reset_index(drop=True)


def lab_visit_summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Per scheduled visit, pooled: N, mean, min, quartiles, max and Tukey whisker ends (box plot statistics)."""
    return _visit_summary(rows, None)


def lab_visit_summary_by_arm(rows: pd.DataFrame, arm_of: pd.Series) -> pd.DataFrame:
    """Box plot statistics per arm (and total) and scheduled visit."""
    return _visit_summary(rows, arm_of)


def lab_visit_outliers(rows: pd.DataFrame) -> pd.DataFrame:
    """Every value beyond the whiskers (outside Q1 - 1.5 IQR to Q3 + 1.5 IQR) per scheduled visit, pooled:
    GROUP, VISITNUM, VISIT, USUBJID, LBSTRESN."""
    return _visit_outliers(rows, None)


def lab_visit_outliers_by_arm(rows: pd.DataFrame, arm_of: pd.Series) -> pd.DataFrame:
    """Every value beyond the whiskers per arm (and total) and scheduled visit."""
    return _visit_outliers(rows, arm_of)


def reference_category(rows: pd.DataFrame) -> pd.Series:
    """LOW / NORMAL / HIGH of each value against its normal range (LBNRIND where the range is missing)."""
    value, lo, hi = rows["LBSTRESN"], rows["LBSTNRLO"], rows["LBSTNRHI"]
    by_range = pd.Series(np.select([value < lo, value > hi], ["LOW", "HIGH"], "NORMAL"), index=rows.index)
    has_range = lo.notna() | hi.notna()
    reported = rows["LBNRIND"].astype("string").str.upper().where(lambda s: s.isin(["LOW", "NORMAL", "HIGH"]))
    return by_range.where(has_range, reported.astype(object)).fillna("MISSING")


def baseline_split(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(baseline record per subject, post-baseline records): baseline is the last LBBLFL = Y record; after it
    come records at a later visit (all non-baseline records of a subject without a baseline)."""
    flagged = rows["LBBLFL"].astype("string").fillna("") == "Y"
    base = rows[flagged].drop_duplicates("USUBJID", keep="last")
    base_visit = rows["USUBJID"].map(base.set_index("USUBJID")["VISITNUM"])
    later = ~flagged & ((rows["VISITNUM"] > base_visit) | base_visit.isna())
    return base, rows[later]


def _worst_post_baseline(post: pd.DataFrame) -> pd.Series:
    """The category of each subject's value furthest outside its range (NORMAL when none is): USUBJID -> category."""
    category = reference_category(post)
    width = (post["LBSTNRHI"] - post["LBSTNRLO"]).where(lambda w: w > 0, post["LBSTNRHI"].abs()).replace(0, np.nan)
    distance = np.where(category == "HIGH", post["LBSTRESN"] - post["LBSTNRHI"],
                        np.where(category == "LOW", post["LBSTNRLO"] - post["LBSTRESN"], np.nan))
    score = pd.Series(distance / width.to_numpy(), index=post.index)
    score = score.where(score.notna() | ~category.isin(["LOW", "HIGH"]), 1.0)
    score = score.where(category.isin(["LOW", "HIGH"]), -1.0)
    ranked = pd.DataFrame({"USUBJID": post["USUBJID"], "CAT": category, "SCORE": score})
    ranked = ranked[ranked["CAT"] != "MISSING"].sort_values(["USUBJID", "SCORE"], kind="stable")
    return ranked.drop_duplicates("USUBJID", keep="last").set_index("USUBJID")["CAT"]


def _shift(rows: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series | None) -> pd.DataFrame:
    base, post = baseline_split(rows)
    subjects = population[["USUBJID"]]
    baseline = subjects["USUBJID"].map(pd.Series(reference_category(base).to_numpy(), index=base["USUBJID"].to_numpy()))
    worst = subjects["USUBJID"].map(_worst_post_baseline(post))
    shift = subjects.assign(BASELINE=baseline.astype(object).where(baseline.notna(), "MISSING"),
                            WORST=worst.astype(object).where(worst.notna(), "MISSING"))
    grouped = assign_groups(shift, arm_of)
    counts = grouped.groupby([GROUP, "BASELINE", "WORST"]).size()
    sizes = group_sizes(population, arm_of)
    full = pd.MultiIndex.from_product([list(sizes.index), CATEGORIES, CATEGORIES], names=[GROUP, "BASELINE", "WORST"])
    return counts.reindex(full, fill_value=0).rename("N").reset_index()


def lab_shift(rows: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Subjects by baseline category and worst post-baseline category (long: GROUP, BASELINE, WORST, N), pooled."""
    return _shift(rows, population, None)


def lab_shift_by_arm(rows: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series) -> pd.DataFrame:
    """Shift counts for each arm and the total."""
    return _shift(rows, population, arm_of)


BASELINE_STATISTICS = (("BASE", "Baseline"), ("HIGH", "Highest post-baseline value"),
                       ("CHG_HIGH", "Change from baseline to the highest value"),
                       ("LOW", "Lowest post-baseline value"),
                       ("CHG_LOW", "Change from baseline to the lowest value"))


def _baseline_values(rows: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Per safety subject: baseline, highest and lowest post-baseline value and the changes to them.

    Post-baseline values count only for subjects with a baseline: without one, `baseline_split` takes every
    record as post-baseline, screening values included, which is no post-baseline value at all.
    """
    base, post = baseline_split(rows)
    post = post[post["USUBJID"].isin(base["USUBJID"])]
    ids = population["USUBJID"]
    baseline = pd.Series(base["LBSTRESN"].to_numpy(), index=base["USUBJID"].to_numpy())
    high = post.groupby("USUBJID")["LBSTRESN"].max()
    low = post.groupby("USUBJID")["LBSTRESN"].min()
    out = pd.DataFrame({"USUBJID": ids.to_numpy(), "BASE": baseline.reindex(ids).to_numpy(),
                        "HIGH": high.reindex(ids).to_numpy(), "LOW": low.reindex(ids).to_numpy()})
    out["CHG_HIGH"] = out["HIGH"] - out["BASE"]
    out["CHG_LOW"] = out["LOW"] - out["BASE"]
    return out


def _baseline_summary(rows: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series | None) -> pd.DataFrame:
    values = assign_groups(_baseline_values(rows, population), arm_of)
    groups = list(group_sizes(population, arm_of).index)
    records = []
    for key, label in BASELINE_STATISTICS:
        for group in groups:
            v = values.loc[values[GROUP] == group, key].dropna()
            records.append({"STAT": key, "LABEL": label, GROUP: group, "N": int(len(v)),
                            "MEDIAN": v.median() if len(v) else np.nan,
                            "Q1": v.quantile(0.25) if len(v) else np.nan, "Q3": v.quantile(0.75) if len(v) else np.nan})
    return pd.DataFrame(records, columns=["STAT", "LABEL", GROUP, "N", "MEDIAN", "Q1", "Q3"])


def lab_baseline_summary(rows: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Baseline, highest / lowest post-baseline value and the changes to them: median, quartiles and n, pooled."""
    return _baseline_summary(rows, population, None)


def lab_baseline_summary_by_arm(rows: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series) -> pd.DataFrame:
    """The baseline and change summary for each arm and the total."""
    return _baseline_summary(rows, population, arm_of)


def normal_range_text(rows: pd.DataFrame, unit: str) -> str:
    """The normal range of a test as reported ('7 to 56 U/L'), or 'ranges vary by record' when it is not one range."""
    ranges = rows[["LBSTNRLO", "LBSTNRHI"]].drop_duplicates()
    ranges = ranges[ranges.notna().any(axis=1)]
    if ranges.empty:
        return "no normal range reported"
    if len(ranges) > 1:
        return "normal ranges vary by record"
    lo, hi = ranges.iloc[0]
    text = (f"{lo:g} to {hi:g}" if pd.notna(lo) and pd.notna(hi) else f">= {lo:g}" if pd.notna(lo) else f"<= {hi:g}")
    return f"normal range {text} {unit}".rstrip()


def _peak_uln(rows: pd.DataFrame) -> pd.Series:
    """Each subject's highest post-baseline value as a multiple of its upper limit of normal."""
    _, post = baseline_split(rows)
    ratio = post["LBSTRESN"] / post["LBSTNRHI"].where(post["LBSTNRHI"] > 0)
    return ratio.groupby(post["USUBJID"]).max().dropna()


def edish_points(by_test: dict[str, pd.DataFrame], labs: SafetyLabs) -> pd.DataFrame:
    """Per subject: peak ALT, AST, ALT-or-AST and total bilirubin as x ULN (post-baseline), and the Hy's law quadrant."""
    empty = pd.DataFrame(columns=["USUBJID", "LBSTRESN", "LBSTNRHI", "LBBLFL", "VISITNUM"])
    alt = _peak_uln(by_test.get(labs.alt, empty)).rename("ALT_ULN")
    ast = _peak_uln(by_test.get(labs.ast, empty)).rename("AST_ULN")
    bili = _peak_uln(by_test.get(labs.bilirubin, empty)).rename("BILI_ULN")
    points = pd.concat([alt, ast, bili], axis=1)
    points["TRANS_ULN"] = points[["ALT_ULN", "AST_ULN"]].max(axis=1)
    points = points[points["TRANS_ULN"].notna() & points["BILI_ULN"].notna()]
    high_t, high_b = points["TRANS_ULN"] >= HY_ALT_ULN, points["BILI_ULN"] >= HY_BILI_ULN
    points["QUADRANT"] = np.select([high_t & high_b, high_t, high_b], QUADRANTS[:3], QUADRANTS[3])
    points = points.rename_axis("USUBJID").reset_index().sort_values("USUBJID", kind="stable")
    return points[["USUBJID", "ALT_ULN", "AST_ULN", "TRANS_ULN", "BILI_ULN", "QUADRANT"]].reset_index(drop=True)


def absent_tests(by_test: Mapping[str, pd.DataFrame], codes: tuple[str, ...]) -> list[str]:
    """The configured test codes with no numeric record in this cut, in the order given."""
    return [code for code in codes if code and code not in by_test]


def edish_caveat(by_test: Mapping[str, pd.DataFrame], labs: SafetyLabs) -> tuple[str, str]:
    """(what the eDISH view lacks, its x-axis title): an absent configured ALT, AST or bilirubin is said, never
    drawn as if it had been measured normal."""
    missing = absent_tests(by_test, (labs.alt, labs.ast, labs.bilirubin))
    present = [code for code in (labs.alt, labs.ast) if code not in missing]
    axis = f"Peak {' or '.join(present) or 'ALT or AST'} (x ULN)"
    if not missing:
        return "", axis
    words = [f"no {code} records in this cut" for code in missing]
    if labs.bilirubin in missing or not present:
        return "; ".join(words) + ": eDISH cannot be drawn", axis
    return "; ".join(words) + f" ({' '.join(present)} only)", axis


def no_records_text(code: str) -> str:
    """What a view shows for a configured safety lab the cut does not contain."""
    return f"No {code} records in this cut."


def _band_counts(per_subject: pd.DataFrame, column: str, bands: tuple[str, ...], population: pd.DataFrame,
                 arm_of: pd.Series | None) -> pd.DataFrame:
    sizes = group_sizes(population, arm_of)
    grouped = assign_groups(per_subject, arm_of)
    counts = grouped.groupby([GROUP, column]).size()
    full = pd.MultiIndex.from_product([list(sizes.index), bands], names=[GROUP, column])
    out = counts.reindex(full, fill_value=0).rename("N").reset_index()
    out["PCT"] = percent(out["N"], out[GROUP].map(sizes))
    return out


def edish_quadrants(points: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Subjects per eDISH quadrant, pooled (GROUP, QUADRANT, N, PCT of the safety population)."""
    return _band_counts(points[["USUBJID", "QUADRANT"]], "QUADRANT", QUADRANTS, population, None)


def edish_quadrants_by_arm(points: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series) -> pd.DataFrame:
    """Subjects per eDISH quadrant for each arm and the total."""
    return _band_counts(points[["USUBJID", "QUADRANT"]], "QUADRANT", QUADRANTS, population, arm_of)


def creatinine_rise(rows: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Per subject: baseline, peak post-baseline creatinine, their ratio and its band (KDIGO-style ratios)."""
    base, post = baseline_split(rows)
    baseline = pd.Series(base["LBSTRESN"].to_numpy(), index=base["USUBJID"].to_numpy())
    peak = post.groupby("USUBJID")["LBSTRESN"].max()
    ids = population["USUBJID"]
    out = pd.DataFrame({"USUBJID": ids.to_numpy(), "BASELINE": baseline.reindex(ids).to_numpy(),
                        "PEAK": peak.reindex(ids).to_numpy()})
    out["RATIO"] = out["PEAK"] / out["BASELINE"].where(out["BASELINE"] > 0)
    ratio = out["RATIO"]
    out["BAND"] = np.select([ratio.isna(), ratio >= 3, ratio >= 2, ratio >= 1.5],
                            [CREAT_BANDS[4], CREAT_BANDS[3], CREAT_BANDS[2], CREAT_BANDS[1]], CREAT_BANDS[0])
    return out


def creatinine_bands(rise: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Subjects per creatinine-rise band, pooled (GROUP, BAND, N, PCT)."""
    return _band_counts(rise[["USUBJID", "BAND"]], "BAND", CREAT_BANDS, population, None)


def creatinine_bands_by_arm(rise: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series) -> pd.DataFrame:
    """Subjects per creatinine-rise band for each arm and the total."""
    return _band_counts(rise[["USUBJID", "BAND"]], "BAND", CREAT_BANDS, population, arm_of)
