"""Safety 'Labs' tab: the test choice, liver (eDISH) and kidney (creatinine) overviews, and one test's values by
visit, individual trajectories, baseline summary and shift tables."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import html

from dashboard.analysis import labs
from dashboard.analysis.arms import spaghetti_sample
from dashboard.blinding import TrialData
from dashboard.displays.model import Control, Display, Out, View
from dashboard.displays.safety import frames as fr
from dashboard.figures import safety_labs as fig_labs
from dashboard.figures.common import empty_figure
from dashboard.ingest.adam.sources import ADAM, source_kind
from dashboard.memo import memoized
from dashboard.permissions import Permission
from dashboard.tables import safety as safety_tables
from layouts import safety as ids
from layouts.common import notice

MAX_SPAGHETTI_SUBJECTS = 50


def lab_test_choice(data: TrialData) -> dict[str, Any]:
    """The numeric tests of the safety population, ALT first when there is one."""
    index = fr.lab_index(data)
    tests = labs.lab_tests(data.lb, fr.configured_units(data))
    tests = tests[tests["TESTCD"].isin(list(index))]
    options = [{"label": labs.with_unit(str(t.TEST), t.UNIT), "value": str(t.TESTCD)} for t in tests.itertuples()]
    alt = data.config.safety_labs.alt
    return {"options": options, "value": alt if alt in index else (options[0]["value"] if options else None)}


def edish_quadrants(data: TrialData) -> pd.DataFrame:
    """Subjects per eDISH quadrant (peak ALT and bilirubin against the upper limit), pooled or by arm."""
    f, index = fr.frames(data), fr.lab_index(data)
    points = labs.edish_points(index, data.config.safety_labs)
    return data.split(labs.edish_quadrants, labs.edish_quadrants_by_arm, points, f.population, basis="safety")


def _edish_table(data: TrialData, caveat: str) -> Any:
    rows = safety_tables.band_rows(edish_quadrants(data), "QUADRANT", fr.groups(data), labs.QUADRANTS)
    table = safety_tables.summary_table(["Quadrant", *fr.headers(data)], rows)
    if caveat:
        return html.Div([html.Div(caveat[0].upper() + caveat[1:] + ".", className="text-muted small mb-2"), table])
    return table


def _lab_overview(data: TrialData) -> dict[str, Any]:
    f, index, cfg = fr.frames(data), fr.lab_index(data), data.config.safety_labs
    points = labs.edish_points(index, cfg)
    empty = pd.DataFrame(columns=list(labs.LAB_COLUMNS))
    rise = labs.creatinine_rise(index.get(cfg.creatinine, empty), f.population)
    bands = data.split(labs.creatinine_bands, labs.creatinine_bands_by_arm, rise, f.population, basis="safety")
    caveat, x_title = labs.edish_caveat(index, cfg)
    arm_labels = fr.arm_labels(data)
    return {**lab_test_choice(data),
            "edish": fig_labs.edish_figure(points, fr.stamp(data), subject_arm=fr.safety_arms(data),
                                           arm_labels=arm_labels, caveat=caveat, x_title=x_title),
            "edish_table": _edish_table(data, caveat),
            "creatinine": fig_labs.creatinine_figure(bands, fr.stamp(data), code=cfg.creatinine,
                                                     present=cfg.creatinine in index, arm_labels=arm_labels)}


def lab_overview(data: TrialData, **_: Any) -> dict[str, Any]:
    """Test options, eDISH figure and quadrant table, creatinine figure."""
    return memoized(data, "safety:lab-overview", lambda: _lab_overview(data))


def baseline_flag(data: TrialData) -> str:
    """The flag the baseline is read from, as the export names it: ADLB's ABLFL (the loader's LBBLFL carries it)
    on an ADaM cut, LBBLFL on an SDTM one."""
    return "ABLFL" if source_kind(data.cut.sources, "LB") == ADAM or "ABLFL" in data.lb else "LBBLFL"


def _summary_tables(data: TrialData, rows: pd.DataFrame, name: str, unit: str) -> list[Any]:
    """Baseline and change summary (with the unit and normal range), then a shift table per group."""
    f, groups, headers = fr.frames(data), fr.groups(data), fr.headers(data)
    shift = data.split(labs.lab_shift, labs.lab_shift_by_arm, rows, f.population, basis="safety")
    baseline = data.split(labs.lab_baseline_summary, labs.lab_baseline_summary_by_arm, rows, f.population,
                          basis="safety")
    units = labs.reported_units(rows)
    mixed = [notice(f"{name} is reported in several units ({', '.join(units)}): values are shown as reported, "
                    "not converted; check LBSTRESU in the export.", "warning")] if len(units) > 1 else []
    tables = [html.Div(f"{labs.with_unit(name, unit)} · {labs.normal_range_text(rows, unit)} · baseline: the last "
                       f"record flagged {baseline_flag(data)} = Y; post-baseline: later visits. Median (Q1 to Q3), "
                       "n." + fr.basis_note(data), className="text-muted small mb-2"),
              *mixed,
              safety_tables.summary_table(["", *headers], safety_tables.baseline_rows(baseline, groups, unit)),
              html.H6("Shift from baseline to the worst post-baseline value (normal range)", className="mt-4 mb-1")]
    for group, header in zip(groups, headers):
        head, body = safety_tables.shift_matrix(shift, group)
        if len(groups) > 1:
            tables.append(html.H6(header, className="mt-3 mb-1 text-muted"))
        tables.append(safety_tables.summary_table(head, body))
    return tables


def _lab_test(data: TrialData, rows: pd.DataFrame, testcd: str) -> dict[str, Any]:
    name = str(rows["LBTEST"].iloc[0]) if rows["LBTEST"].notna().any() else testcd
    unit = labs.test_units(rows, fr.configured_units(data)).get(testcd, "")
    sample, total = spaghetti_sample(rows, MAX_SPAGHETTI_SUBJECTS, day="LBDY")
    summary = data.split(labs.lab_visit_summary, labs.lab_visit_summary_by_arm, rows, basis="safety")
    outliers = data.split(labs.lab_visit_outliers, labs.lab_visit_outliers_by_arm, rows, basis="safety")
    arm_labels = fr.arm_labels(data)
    return {"box": fig_labs.lab_box_figure(summary, name, unit, fr.stamp(data), arm_labels=arm_labels,
                                           outliers=outliers),
            "spaghetti": fig_labs.lab_spaghetti_figure(sample, total, name, unit, fr.stamp(data),
                                                       subject_arm=fr.safety_arms(data), arm_labels=arm_labels),
            "shift": _summary_tables(data, rows, name, unit)}


def lab_test(data: TrialData, testcd: Any = None) -> dict[str, Any]:
    """Box plot, spaghetti sample, baseline and change summary and shift tables of the chosen test."""
    index = fr.lab_index(data)
    if not isinstance(testcd, str) or testcd not in index:
        message = "Choose a laboratory test." if index else "This cut has no laboratory values."
        return {"box": empty_figure("Values by visit", fr.stamp(data), message),
                "spaghetti": empty_figure("Individual values", fr.stamp(data), message),
                "shift": notice(message, "secondary")}
    return memoized(data, "safety:lab-test", lambda: _lab_test(data, index[testcd], testcd), testcd)


LAB_FIELDS = ("LB.LBSTRESN", "LB.LBSTNRHI", "LB.LBBLFL")
LAB_CHOICE = Display(
    "safety.lab_choice", "Laboratory test", "choice", ("LB",),
    {"options": Out(ids.LAB_TEST, "options"), "value": Out(ids.LAB_TEST, "value")},
    analysis=(labs.lab_tests,), builder=lab_test_choice, fields=("LB.LBTESTCD",), tab="labs", in_pack=False)
EDISH = Display(
    "safety.edish", "Liver: eDISH (Hy's law)", "figure", ("DM", "EX", "LB"), {"edish": Out(ids.EDISH_GRAPH, "figure")},
    analysis=(labs.edish_points,), builder=fig_labs.edish_figure, fields=LAB_FIELDS, tab="labs")
EDISH_QUADRANTS = Display(
    "safety.edish_quadrants", "Subjects per eDISH quadrant", "table", ("DM", "EX", "LB"),
    {"edish_table": Out(ids.EDISH_TABLE, "children")},
    analysis=(labs.edish_quadrants, labs.edish_quadrants_by_arm), builder=safety_tables.band_rows,
    fields=LAB_FIELDS, tab="labs")
CREATININE = Display(
    "safety.creatinine", "Kidney: peak creatinine against baseline", "figure", ("DM", "EX", "LB"),
    {"creatinine": Out(ids.CREAT_GRAPH, "figure")},
    analysis=(labs.creatinine_rise, labs.creatinine_bands, labs.creatinine_bands_by_arm),
    builder=fig_labs.creatinine_figure, fields=LAB_FIELDS, tab="labs")
LAB_BOX = Display(
    "safety.lab_box", "Values by visit", "figure", ("DM", "EX", "LB"), {"box": Out(ids.LAB_BOX, "figure")},
    analysis=(labs.lab_visit_summary, labs.lab_visit_summary_by_arm, labs.lab_visit_outliers,
              labs.lab_visit_outliers_by_arm), builder=fig_labs.lab_box_figure, fields=LAB_FIELDS, tab="labs",
    in_pack=False)
LAB_SPAGHETTI = Display(
    "safety.lab_spaghetti", "Individual trajectories", "figure", ("DM", "EX", "LB"),
    {"spaghetti": Out(ids.LAB_SPAGHETTI, "figure")}, analysis=(spaghetti_sample,),
    builder=fig_labs.lab_spaghetti_figure, fields=LAB_FIELDS, tab="labs", in_pack=False)
LAB_SHIFT = Display(
    "safety.lab_shift", "Baseline, change from baseline and shift against the normal range", "table",
    ("DM", "EX", "LB"), {"shift": Out(ids.LAB_SHIFT, "children")},
    analysis=(labs.lab_baseline_summary, labs.lab_baseline_summary_by_arm, labs.lab_shift, labs.lab_shift_by_arm),
    builder=safety_tables.shift_matrix, fields=(*LAB_FIELDS, "LB.LBNRIND"), tab="labs", in_pack=False)

VIEWS = (
    View("safety:labs", fr.PAGE, Permission.VIEW_SAFETY, lab_overview, (LAB_CHOICE, EDISH, EDISH_QUADRANTS, CREATININE),
         controls={"_dropdown": Control(ids.LAB_TEST, "id")}, tabs=ids.TABS),
    View("safety:lab-test", fr.PAGE, Permission.VIEW_SAFETY, lab_test, (LAB_BOX, LAB_SPAGHETTI, LAB_SHIFT),
         controls={"testcd": Control(ids.LAB_TEST, "value")}, tabs=ids.TABS),
)
