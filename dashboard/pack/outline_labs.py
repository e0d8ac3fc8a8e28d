"""The pack's laboratory summaries beyond the Labs tab's overviews: for every test the tab's baseline and change
table and the value and change from baseline at each visit (n, mean, SD, median, min, max), and the listing of
clinically significant abnormal values. Pooled in the open pack, per arm (safety basis) with the arm N in the closed.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.analysis import lab_change, lab_significant, labs
from dashboard.analysis.safety import GROUP
from dashboard.blinding import TrialData
from dashboard.pack.content import Display


def baseline_flag(data: TrialData) -> str:
    """The flag the baseline is read from as the export names it (the Labs tab's rule): ABLFL on ADaM, LBBLFL."""
    from dashboard.displays.safety.labs import baseline_flag as page_rule     # at call time, as lab_shifts does

    return page_rule(data)

LABORATORY = "Laboratory"
STAT_HEADERS = {"N": "n", "MEAN": "mean", "SD": "SD", "MEDIAN": "median", "MIN": "min", "MAX": "max"}
SIGNIFICANT_HEADERS = {"USUBJID": "Subject", "ARM": "Arm", "LBTEST": "Test", "VISIT": "Visit", "LBDY": "Study day",
                       "LBDTC": "Date", "VALUE": "Value", "LBSTRESU": "Unit", "LBSTNRLO": "Lower limit",
                       "LBSTNRHI": "Upper limit", "LBNRIND": "Reference indicator", "LBBLFL": "Baseline",
                       "REASON": "Rule met"}


def number(value: Any) -> str:
    """As the Labs tab writes numbers (`tables.safety`): four significant digits, never in exponent form."""
    if value is None or pd.isna(value):
        return ""
    value = float(value)
    return f"{value:,.0f}" if abs(value) >= 10_000 else f"{value:.4g}"


def _test_name(rows: pd.DataFrame, testcd: str) -> str:
    return str(rows["LBTEST"].dropna().iloc[0]) if rows["LBTEST"].notna().any() else testcd


def _frames() -> Any:
    from dashboard.displays.safety import frames as fr     # the page modules import Dash layouts: load them late
    return fr


def baseline_extremes(data: TrialData) -> list[Display]:
    """The Labs tab's baseline and change table (baseline, highest and lowest post-baseline value and the changes
    to them: median (Q1 to Q3), n) for every test, drawn with the tab's own functions."""
    from dashboard.tables import safety as safety_tables

    fr = _frames()
    index, population = fr.lab_index(data), fr.frames(data).population
    if not index:
        return []
    units = labs.test_units(data.lb, fr.configured_units(data))
    out: list[list[str]] = []
    for testcd, rows in sorted(index.items()):
        summary = data.split(labs.lab_baseline_summary, labs.lab_baseline_summary_by_arm, rows, population,
                             basis="safety")
        name = labs.with_unit(_test_name(rows, testcd), units.get(testcd))
        out += [[name, *row] for row in safety_tables.baseline_rows(summary, fr.groups(data), "")]
    table = pd.DataFrame(out, columns=["Test", "Statistic", *fr.headers(data)])
    note = (f"Each cell: median (Q1 to Q3), n. Baseline: the last record flagged {baseline_flag(data)} = Y; "
            "post-baseline: records at later visits of subjects with a baseline. Subjects of the safety population."
            + fr.basis_note(data))
    return [Display(LABORATORY, "lab_baseline_change", "Baseline and change to the highest and lowest value, "
                    "every laboratory test", table, note=note)]


def _visit_table(stats: pd.DataFrame, groups: list[str], headers: list[str]) -> pd.DataFrame:
    """One row per visit and group: the value's statistics, then the change's."""
    header_of = dict(zip(groups, headers))
    keyed = stats.set_index(["MEASURE", GROUP, "VISITNUM"])
    visits = stats.drop_duplicates("VISITNUM").sort_values("VISITNUM")
    rows = []
    for visit in visits.itertuples():
        for group in groups:
            row: dict[str, Any] = {"Visit": visit.VISIT, "Group": header_of[group]}
            for measure, label in (("VALUE", "Value"), ("CHANGE", "Change")):
                cells = keyed.loc[(measure, group, visit.VISITNUM)]
                n = int(cells["N"])
                row |= {f"{label} · {STAT_HEADERS[s]}": (str(n) if s == "N" else "" if n == 0 else number(cells[s]))
                        for s in lab_change.STATISTICS}
            rows.append(row)
    return pd.DataFrame(rows)


def change_by_visit(data: TrialData) -> list[Display]:
    """For every test, the value and its change from baseline at each scheduled visit: n, mean, SD, median, min,
    max, per group (the arms and the total in the closed pack, with their N)."""
    fr = _frames()
    index, population = fr.lab_index(data), fr.frames(data).population
    units = labs.test_units(data.lb, fr.configured_units(data))
    shown = []
    for testcd, rows in sorted(index.items()):
        stats = data.split(lab_change.lab_change_by_visit, lab_change.lab_change_by_visit_by_arm, rows, population,
                           basis="safety")
        name = labs.with_unit(_test_name(rows, testcd), units.get(testcd))
        table = _visit_table(stats, fr.groups(data), fr.headers(data))
        note = ("At each scheduled visit (whole VISITNUM) each subject's last value; change from the subject's "
                f"baseline (the last record flagged {baseline_flag(data)} = Y) at visits after the baseline visit. SD "
                "needs two values. Subjects of the safety population." + fr.basis_note(data))
        shown.append(Display(LABORATORY, f"lab_change_{testcd}", f"{name}: value and change from baseline by visit",
                             table, note=note))
    return shown


def significant_values(data: TrialData) -> list[Display]:
    """The clinically significant abnormal values of the safety population, with the rule that finds them; the
    subject's arm as a column in the closed pack."""
    fr = _frames()
    subjects = fr.frames(data).population["USUBJID"]
    listing = lab_significant.flagged_values(data.lb, subjects)
    [listing] = fr.with_arm_column(data, listing)
    listing = listing.assign(**{c: listing[c].map(number) for c in ("LBDY", "LBSTNRLO", "LBSTNRHI")})
    shown = listing[[c for c in SIGNIFICANT_HEADERS if c in listing]].rename(columns=SIGNIFICANT_HEADERS)
    shown = shown.astype(object).where(shown.notna(), "")
    unjudged = lab_significant.unjudged(data.lb, subjects)
    note = (f"Rule: {lab_significant.rule_text(data.lb)}. Every record of the safety population, baseline records "
            f"included (Baseline = Y). {len(shown)} values of {shown['Subject'].nunique()} subjects."
            + (f" {unjudged} values without a normal range cannot be judged by this rule." if unjudged else "")
            + fr.basis_note(data))
    return [Display(LABORATORY, "lab_significant_values", "Clinically significant abnormal laboratory values",
                    shown, note=note)]


