"""The NIH-outline parts of the pack beyond the pages' main displays: deviations by kind (and the DV log,
outline_conduct.py), completeness of each measure, the swimmer plot, laboratory summaries per test (baseline and
change, by visit, shift tables, clinically significant values: outline_labs.py), outcome trajectories and change
figures, missing values per field used, records after the cut, and the summary of past meetings. Each is drawn from
the analysis and display functions the pages use (no number computed here differently) and slotted into its
section of content.py's outline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from dashboard.analysis import labs
from dashboard.analysis import outcomes as outcome_analysis
from dashboard.analysis.readiness import field_missing, warning_counts
from dashboard.blinding import TrialData
from dashboard.memo import memoized
from dashboard.pack import content, outline_conduct, outline_labs
from dashboard.pack.outline_labs import baseline_flag
from dashboard.pack.content import ALL_SUBJECTS, Display, grid_frame

log = logging.getLogger(__name__)
CONDUCT, LABORATORY, OUTCOMES, READINESS = "Study conduct", "Laboratory", "Outcomes", "Data readiness"
MEETINGS = "Past meetings"
MEETINGS_TITLE = "Recommendations and action items of past meetings"
NO_MEETING = "No meeting record yet: the board has not recorded a meeting before this cut in this installation."


def _percent(value: Any) -> str:
    return "" if value is None or pd.isna(value) else f"{float(value):.1f}"


def deviations(data: TrialData) -> list[Display]:
    """Protocol deviations by kind: each eligibility check (and, closed only, treatment other than randomized),
    missed doses, missed scheduled visits; subjects and occurrences, from the pages' own tables."""
    listing = content.rec_baseline.baseline_tables(data, ALL_SUBJECTS)[1]
    rows = [{"Kind": str(check), "Source": "eligibility checks (Recruitment, Baseline)",
             "Subjects": int(part["USUBJID"].nunique()), "Occurrences": len(part)}
            for check, part in listing.groupby("check", sort=True)]
    rows.append(_dosing_row(data))
    visits, _ = content.rec_completeness.completeness_tables(data, ALL_SUBJECTS)
    rows.append({"Kind": "Scheduled visits due but without any record", "Source": "visit completeness",
                 "Subjects": "", "Occurrences": int(visits["missing"].sum()) if len(visits) else 0})
    log = ("the trial's own deviation log (SDTM DV) follows" if data.has_domain("DV")
           else "this cut has no deviation log (SDTM DV)")
    note = (f"Deviations the data show; {log}. Occurrences of a missed dose are in the exposure listing; a missed "
            "visit counts once per subject and visit.")
    return [Display(CONDUCT, "deviations_by_kind", "Protocol deviations by kind", pd.DataFrame(rows), note=note)]


def _dosing_row(data: TrialData) -> dict[str, Any]:
    """Missed doses (infusions, cycles: the page's listing of subjects with one) or, for continuous dosing,
    compliance under 80 % (the page's threshold, `conduct.continuous_totals`), counted in the page's listing."""
    _, _, listing, _, title = content.rec_exposure.exposure_outputs(data, ALL_SUBJECTS)
    source = "exposure (Recruitment, Exposure)"
    if data.config.regimen != "continuous":
        return {"Kind": title, "Source": source, "Subjects": len(listing), "Occurrences": ""}
    compliance = pd.to_numeric(pd.Series([r.get("compliance_pct") for r in listing], dtype=object), errors="coerce")
    return {"Kind": "Compliance below 80 % (continuous dosing)", "Source": source,
            "Subjects": int((compliance < 80).sum()), "Occurrences": ""}


def measure_completeness(data: TrialData) -> list[Display]:
    """Each outcome measure and safety lab at each visit where it is scheduled: subjects due, received, %."""
    _, measures = content.rec_completeness.completeness_tables(data, ALL_SUBJECTS)
    shown = measures.loc[measures["scheduled"].astype(bool)] if len(measures) else measures
    table = pd.DataFrame({"Measure": shown.get("measure", []), "Visit": shown.get("visit", []),
                          "Subjects due": shown.get("expected", []), "Received": shown.get("received", []),
                          "% received": [_percent(v) for v in shown.get("pct_received", [])]})
    note = "A measure never recorded at a visit in this cut counts as not scheduled there and is not listed."
    return [Display(CONDUCT, "measure_completeness", "Completeness of each measure by visit", table, note=note)]


def lab_shifts(data: TrialData) -> list[Display]:
    """Shift from baseline to the worst post-baseline value against the normal range, every test, each group."""
    from dashboard.displays.safety import frames as fr
    from dashboard.tables import safety as safety_tables

    index, population = fr.lab_index(data), fr.frames(data).population
    if not index:
        return []
    units = labs.test_units(data.lb, fr.configured_units(data))
    out: list[list[Any]] = []
    header: list[str] = []
    for testcd, rows in sorted(index.items()):
        name = str(rows["LBTEST"].dropna().iloc[0]) if rows["LBTEST"].notna().any() else testcd
        shift = data.split(labs.lab_shift, labs.lab_shift_by_arm, rows, population, basis="safety")
        for group, group_header in zip(fr.groups(data), fr.headers(data)):
            header, body = safety_tables.shift_matrix(shift, group)
            out += [[labs.with_unit(name, units.get(testcd)), group_header, *row] for row in body]
    table = pd.DataFrame(out, columns=["Test", "Group", *header])
    note = (f"Baseline: the last record flagged {baseline_flag(data)} = Y; worst post-baseline: the value furthest "
            "outside the normal "
            "range at a later visit. Subjects of the safety population." + fr.basis_note(data))
    return [Display(LABORATORY, "lab_shift_tables", "Shift tables per laboratory test", table, note=note)]


def trajectories(data: TrialData) -> list[Display]:
    """Each configured outcome over the visits (median and IQR; by arm in the closed pack), with the subjects
    behind each point (survivors, deaths, missing), then its change from baseline (the page's second figure, from
    the same call: drawing it costs the build one figure per outcome, no computation)."""
    from dashboard.displays.outcomes import trajectories as views

    shown = []
    for outcome in data.config.outcomes:
        key = outcome_analysis.outcome_key(outcome)
        trajectory, change, rows, columns = views.trajectory_outputs(data, key, "visit", "median", None)
        name = content.csv_name(Display(OUTCOMES, f"trajectory_{key}", "")).removesuffix(".csv")
        shown.append(Display(OUTCOMES, name, f"{outcome.label}: values by visit",
                             grid_frame(rows, columns) if rows else None, figure=trajectory))
        shown.append(Display(OUTCOMES, name.replace("trajectory_", "change_", 1),
                             f"{outcome.label}: change from baseline by visit", figure=change))
    return shown


def readiness(data: TrialData) -> list[Display]:
    """Missing values in each field the displays use (the catalogue's declarations) and the records dated after
    the cut that every page leaves out, per domain."""
    from dashboard.displays import displays

    used: dict[str, list[str]] = {}
    for display in displays():
        for field in display.fields:
            used.setdefault(field, []).append(display.title)
    names = sorted({f.partition(".")[0].upper() for f in used} | {d.upper() for x in displays() for d in x.domains})
    domains = {name: data.domain(name) for name in names}
    rows = []
    for field in sorted(used):
        m = field_missing(domains, field)
        rows.append({"Field": field, "Missing": m.missing if m.present else "", "Records": m.rows,
                     "% missing": "not in this cut" if not m.present else _percent(None if m.share is None
                                                                                   else 100 * m.share),
                     "Used by": "; ".join(dict.fromkeys(used[field]))})
    _, late = warning_counts(data.warnings, names)
    after = pd.DataFrame({"Domain": names, "Records after the cut left out": [late.get(n, 0) for n in names]})
    return [Display(READINESS, "missing_per_field", "Missing values in the fields each display uses",
                    pd.DataFrame(rows), note="Flags (--FL) are blank for 'no' and are not counted. DM fields: "
                    "randomized subjects only."),
            Display(READINESS, "records_after_cut", "Records dated after the cut, left out of every display", after)]


def past_meetings(data: TrialData, database_url: str | None) -> list[Display]:
    """The board's past meetings with their recommendation and action items (the meeting record's summary)."""
    from dashboard.meeting.summary import past_meetings as summary

    try:
        table = summary(database_url, data.cut.cut_id, data.access.sees_arms)
    except SQLAlchemyError as exc:
        log.warning("meeting record unreadable: %s", exc)
        return [Display(MEETINGS, "past_meetings", MEETINGS_TITLE, note="The meeting record cannot be read in this "
                        "installation, so no past meeting is shown.")]
    if table.empty:
        return [Display(MEETINGS, "past_meetings", MEETINGS_TITLE, note=NO_MEETING)]
    note = "Meetings that reviewed earlier cuts, oldest first; the newest version of each record."
    shown = table.astype(object).where(table.notna(), "")
    return [Display(MEETINGS, "past_meetings", MEETINGS_TITLE, shown, note=note)]


PARTS: tuple[Callable[[TrialData], list[Display]], ...] = (
    deviations, outline_conduct.deviation_log, measure_completeness, outline_conduct.swimmer,
    outline_labs.baseline_extremes, outline_labs.change_by_visit, lab_shifts, outline_labs.significant_values,
    trajectories, readiness)
SECTIONS = {deviations: CONDUCT, outline_conduct.deviation_log: CONDUCT, measure_completeness: CONDUCT,
            outline_conduct.swimmer: outline_conduct.SAFETY, outline_labs.baseline_extremes: LABORATORY,
            outline_labs.change_by_visit: LABORATORY, lab_shifts: LABORATORY,
            outline_labs.significant_values: LABORATORY, trajectories: OUTCOMES, readiness: READINESS}


def _guarded(part: Callable[[], list[Display]], section: str, name: str) -> list[Display]:
    """A part that fails is named in the pack (the error goes to the log), not left out silently."""
    try:
        return part()
    except Exception:   # noqa: BLE001 - one part must not cost the board the whole pack
        log.exception("pack part %s failed", name)
        return [Display(section, name, name.replace("_", " ").capitalize(),
                        note="This part could not be built for this cut; the error is in the server log.")]


def extra_displays(data: TrialData, database_url: str | None) -> list[Display]:
    """The outline's further parts, each under its section."""
    shown = [d for part in PARTS
             for d in _guarded(lambda p=part: memoized(data, f"pack:{p.__module__}.{p.__name__}", lambda: p(data)),
                               SECTIONS[part], part.__name__)]
    return shown + _guarded(lambda: past_meetings(data, database_url), MEETINGS, "past_meetings")


def merged(base: Sequence[Display], extra: Sequence[Display]) -> list[Display]:
    """`extra` slotted after the last display of its section in `base` (a new section goes at the end)."""
    out = list(base)
    for display in extra:
        last = max((i for i, d in enumerate(out) if d.section == display.section), default=len(out) - 1)
        out.insert(last + 1, display)
    return out
