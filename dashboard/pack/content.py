"""What the pack holds: each display taken from the same callback helpers (analysis and figure functions) the pages
call, so a number in the pack is the number on the page. No number is computed here differently."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboard.displays.outcomes import effects as out_effects
from dashboard.displays.outcomes import events as out_events
from dashboard.displays.recruitment import baseline as rec_baseline
from dashboard.displays.recruitment import completeness as rec_completeness
from dashboard.displays.recruitment import exposure as rec_exposure
from dashboard.displays.recruitment import overview as rec_overview
from dashboard.displays.recruitment import screening as rec_screening
from dashboard.displays.recruitment import selection as rec_selection
from dashboard.displays.recruitment import sites as rec_sites
from dashboard.analysis import ae as ae_tables
from dashboard.analysis import ae_listings, changes, labs
from dashboard.analysis import recruitment as rec
from dashboard.blinding import TrialData
from dashboard.figures import safety as fig_ae
from dashboard.displays.safety import frames as safety_fr
from dashboard.displays.safety import incidence as safety_inc
from dashboard.displays.safety import labs as safety_labs
from dashboard.displays.safety import listings as safety_lst
from dashboard.displays.safety import overview as safety_ov
from dashboard.tables import recruitment as rec_tables
from dashboard.tables import safety as safety_tables

ALL_SUBJECTS = rec_selection.filter_key(None, None, None)   # the pages' unfiltered selection
CONSORT_HEIGHT = 640                             # as layouts/recruitment.py draws the flow diagram


@dataclass(frozen=True)
class Display:
    """One table and/or figure of the pack, under a section heading; `name` names its CSV."""

    section: str
    name: str
    title: str
    table: pd.DataFrame | None = None
    figure: Any = None
    note: str = ""
    figure_height: int | None = None    # pixels, where the page gives the figure a height of its own


def grid_frame(rows: list[dict[str, Any]], columns: list[dict[str, Any]]) -> pd.DataFrame:
    """An AG Grid's rows and column definitions as a frame whose headers are the grid's (group · child)."""
    flat: list[tuple[str, str]] = []
    for col in columns:
        for child in col.get("children") or [col]:
            header = child.get("headerName") or ""
            if child is not col:
                header = f"{col.get('headerName', '')} · {header}".strip(" ·")
            flat.append((child["field"], header))
    frame = pd.DataFrame({h: [r.get(f) for r in rows] for f, h in flat}, columns=[h for _, h in flat])
    return frame.astype(object).where(frame.notna(), "")


def _renamed(frame: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    return frame[[c for c in headers if c in frame]].rename(columns=headers)


def _as_grid(frame: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    """A recruitment table formatted as its page grid formats it (ISO dates, one decimal), every row kept."""
    kept = {c: h for c, h in headers.items() if c in frame}
    return grid_frame(*rec_tables.grid(frame, kept, limit=len(frame)))


def conduct(data: TrialData) -> list[Display]:
    """Study status, accrual against target, screening, CONSORT, sites, deviations, completeness."""
    h = rec.headline_counts(rec_selection.selected(data, ALL_SUBJECTS), data.config.target_enrollment,
                            data.cut.cut_date)
    status = pd.DataFrame({"Measure": ["Screened", "Randomized", "Target", "On treatment", "In follow-up",
                                       "Completed", "Withdrawn", "Deaths"],
                           "Subjects": [h[k] for k in ("screened", "randomized", "target", "on_treatment",
                                                       "in_follow_up", "completed", "withdrawn", "deaths")]})
    accrual_fig, accrual_note = rec_overview.accrual_with_note(data, ALL_SUBJECTS)
    funnel, reasons_fig = rec_screening.screening_figures(data, ALL_SUBJECTS)
    reasons = rec.screen_failure_reasons(rec_selection.selected(data, ALL_SUBJECTS), data.ie,
                                         data.config.screen_failure_reasons, data.ds)
    consort_fig, _ = rec_screening.consort_with_note(data, ALL_SUBJECTS)
    sites, site_headers = rec_sites.site_table(data, ALL_SUBJECTS)
    deviations = rec_baseline.baseline_tables(data, ALL_SUBJECTS)[1]
    visits, _ = rec_completeness.completeness_tables(data, ALL_SUBJECTS)
    completeness_fig, _, _ = rec_completeness.completeness_outputs(data, ALL_SUBJECTS)
    s = "Study conduct"
    return [Display(s, "study_status", "Study status", status),
            Display(s, "accrual", "Accrual against target and projection", figure=accrual_fig, note=accrual_note),
            Display(s, "screening_funnel", "Screening", figure=funnel),
            Display(s, "screen_failure_reasons", "Screen-failure reasons", reasons, figure=reasons_fig),
            Display(s, "consort", "CONSORT flow", figure=consort_fig, figure_height=CONSORT_HEIGHT),
            Display(s, "enrollment_by_site", "Enrollment by site", _as_grid(sites, site_headers)),
            Display(s, "eligibility_deviations", "Eligibility checks: possible protocol deviations",
                    _as_grid(deviations, rec_tables.DEVIATION_HEADERS)),
            Display(s, "visit_completeness", "Visit completeness", _as_grid(visits, rec_tables.VISIT_HEADERS),
                    figure=completeness_fig)]


def baseline(data: TrialData) -> list[Display]:
    """Baseline characteristics (Table 1) as the recruitment page shows them."""
    grids = rec_baseline.baseline_grids(data, ALL_SUBJECTS)
    rows, defs = grids["summary_rows"], grids["summary_columns"]
    return [Display("Baseline", "baseline", "Baseline characteristics", grid_frame(rows, defs))]


def exposure(data: TrialData) -> list[Display]:
    """Treatment exposure: the distribution figure and the listing of missed doses."""
    figure, note, rows, defs, title = rec_exposure.exposure_outputs(data, ALL_SUBJECTS)
    return [Display("Exposure", "exposure", title, grid_frame(rows, defs), figure=figure, note=note)]


def safety(data: TrialData) -> list[Display]:
    """Overview, SOC/PT incidence, maximum severity, SAE and death listings."""
    out = safety_ov.overview(data)
    population = " ".join(str(getattr(d, "children", d)) for d in out["population"])
    overview = grid_frame(out["overview_rows"], out["overview_columns"])
    incidence = safety_inc.incidence_table(data, False)
    ordered = ae_tables.order_incidence(incidence, "incidence")
    visible = ae_tables.visible_rows(ordered, None)
    soc = grid_frame(ae_listings.json_records(safety_tables.incidence_rows(visible, None, False)),
                     safety_tables.incidence_columns(safety_fr.headers(data), safety_fr.comparisons(data), False))
    severity_fig = fig_ae.max_severity_figure(safety_inc.incidence_table(data, True), safety_fr.stamp(data),
                                              arm_labels=safety_fr.arm_labels(data))
    sae, deaths = safety_lst.listings(data, "")
    labels = safety_fr.listing_labels(data)
    s = "Safety"
    return [Display(s, "safety_overview", "Safety overview", overview, note=population + " " + out["overview_note"]),
            Display(s, "time_to_first_sae", "Time to first serious adverse event", figure=out["km"]),
            Display(s, "ae_soc_pt", "Adverse events by system organ class and preferred term", soc),
            Display(s, "ae_max_severity", "Maximum severity", figure=severity_fig),
            Display(s, "sae_listing", "Serious adverse event listing", _renamed(sae, labels)),
            Display(s, "death_listing", "Death listing", _renamed(deaths, labels))]


def laboratory(data: TrialData) -> list[Display]:
    """eDISH (liver) quadrants and figure, creatinine bands, as the labs tab shows them."""
    index = safety_fr.lab_index(data)
    if not index:
        return [Display("Laboratory", "labs", "Laboratory values", note="This cut has no laboratory values.")]
    edish, creat = (safety_labs.lab_overview(data)[name] for name in ("edish", "creatinine"))
    quadrants = safety_labs.edish_quadrants(data)
    rows = safety_tables.band_rows(quadrants, "QUADRANT", safety_fr.groups(data), labs.QUADRANTS)
    table = pd.DataFrame([list(r) for r in rows], columns=["Quadrant", *safety_fr.headers(data)])
    s = "Laboratory"
    return [Display(s, "lab_edish_quadrants", "Liver: peak ALT vs peak bilirubin (eDISH)", table, figure=edish),
            Display(s, "lab_creatinine", "Creatinine rise from baseline", figure=creat)]


def outcomes(data: TrialData) -> list[Display]:
    """Event table, the first event's curve with numbers at risk, and (closed only) the effects forest."""
    figure, rows, columns = out_events.event_outputs(data, None)
    shown = [Display("Outcomes", "outcome_events", "Events", grid_frame(rows, columns) if rows else None,
                     figure=figure)]
    if data.access.sees_arms:
        shown.append(Display("Outcomes", "outcome_effects", "Treatment effects", figure=out_effects.forest_view(data, None)))
    return shown


def since_previous(data: TrialData, previous: TrialData | None, problem: str | None = None) -> list[Display]:
    """AE records and deaths changed since the previous cut (the same change functions as the safety page)."""
    s = "Changes since the previous cut"
    if previous is None:
        return [Display(s, "changes", s, note=problem or "There is no earlier cut to compare with.")]
    ae_changed = changes.ae_changes(data.ae, previous.ae)
    deaths_changed = changes.death_changes(data.dm, previous.dm)
    summary = changes.change_summary(ae_changed, deaths_changed)[["LABEL", "COUNT"]]
    listing, deaths = safety_fr.with_arm_column(data, ae_listings.changes_listing(ae_changed), deaths_changed)
    labels = safety_fr.listing_labels(data, DTHDT="Date of death")
    note = f"Compared with cut {previous.cut.cut_id} of {previous.cut.cut_date}."
    return [Display(s, "changes_summary", "Summary of changes", summary.rename(
                columns={"LABEL": "Change", "COUNT": "Count"}), note=note),
            Display(s, "ae_changes", "Adverse event records changed", _renamed(listing, labels)),
            Display(s, "death_changes", "Deaths changed", _renamed(deaths, labels))]


def readiness(data: TrialData) -> list[Display]:
    """Load warnings of this cut, counted per domain (file) and listed."""
    warnings = data.warnings
    per_file = (warnings.groupby("file").size().rename("Warnings").reset_index().rename(columns={"file": "File"})
                if len(warnings) else pd.DataFrame({"File": [], "Warnings": []}))
    listing = warnings.rename(columns={"file": "File", "row": "Row", "usubjid": "Subject", "column": "Column",
                                       "message": "Warning"})
    s = "Data readiness"
    return [Display(s, "load_warnings_per_domain", "Load warnings per domain", per_file),
            Display(s, "load_warnings", "Load warnings", listing)]


SECTIONS: tuple[Callable[[TrialData], list[Display]], ...] = (conduct, baseline, exposure, safety, laboratory,
                                                               outcomes, readiness)


def displays(data: TrialData, previous: TrialData | None, problem: str | None = None) -> list[Display]:
    """Every display of the pack, in the board's outline order."""
    shown = [d for section in SECTIONS[:-1] for d in section(data)]
    return shown + since_previous(data, previous, problem) + readiness(data)


def csv_name(display: Display) -> str:
    """The file name of a display's table: a safe slug."""
    return re.sub(r"[^a-z0-9_]+", "_", display.name.lower()) + ".csv"
