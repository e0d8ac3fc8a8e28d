"""Recruitment page, trial conduct: exposure as the dosing regimen defines it, and data completeness by visit."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go

from callbacks.common import stamp
from callbacks.recruitment_base import (ARMS_AS_RANDOMIZED, Key, _capped_note, _grid, _randomized,
                                        _split_allowed)
from dashboard.analysis import conduct
from dashboard.analysis.outcomes import planned_visits
from dashboard.blinding import ArmedTrialData, TrialData
from dashboard.figures import conduct as conduct_figures
from dashboard.memo import memoized
from layouts import recruitment as ids

# --- Exposure -------------------------------------------------------------------------------------------------

MISSED_HEADERS = {"USUBJID": "Subject", "SITEID": "Site", "day1": "Day 1", "received": "Infusions received",
                  "due": "Due by the cut", "missed": "Missed", "infusion_days": "Study days given",
                  "status": "Status"}
CYCLE_HEADERS = {**MISSED_HEADERS, "received": "Cycles started", "infusion_days": "Study days dosed"}
CONTINUOUS_HEADERS = {"USUBJID": "Subject", "SITEID": "Site", "DAY1_DT": "Day 1", "records": "Records received",
                      "first_dose": "First dose", "last_dose": "Last dose", "duration_days": "Days on treatment",
                      "days_covered": "Days covered", "days_expected": "Days expected",
                      "compliance_pct": "Compliance %", "end_before_start": "Records ending before they start",
                      "STATUS": "Status"}
LISTING_TITLES = {"infusions": ids.MISSED_TITLE, "cycles": "Subjects with a missed cycle",
                  "continuous": "Exposure of every randomized subject (continuous dosing)"}


def _exposure_frames(data: TrialData, key: Key) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """(per-subject exposure, the listing, totals) as the configured regimen defines exposure."""
    config = data.config

    def compute() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
        randomized = _randomized(data, key)
        if config.regimen == "continuous":
            exposure = conduct.continuous_exposure(randomized, data.ex, config.planned_duration_days or 0)
            return exposure, exposure, conduct.continuous_totals(exposure)
        started = (conduct.cycles_started(randomized, data.ex, config.dose_interval_days)
                   if config.regimen == "cycles" else None)
        exposure = conduct.exposure_per_subject(randomized, config.planned_doses, config.dose_interval_days, started)
        return (exposure, conduct.missed_dose_listing(exposure, data.ex),
                conduct.exposure_totals(exposure, config.planned_doses))

    return memoized(data, "recruitment:exposure", compute, *key)


def _exposure_headers(regimen: str) -> dict[str, str]:
    return {"continuous": CONTINUOUS_HEADERS, "cycles": CYCLE_HEADERS}.get(regimen, MISSED_HEADERS)


def _exposure_note(regimen: str, planned: int, totals: pd.Series) -> str:
    if regimen == "continuous":
        median = ("–" if pd.isna(totals["median_duration"]) else
                  f"{totals['median_duration']:.0f} days on treatment and {totals['median_compliance']:.0f} % "
                  "compliance")
        odd = (f" {totals['end_before_start']} EX records end before they start; each counts its start day only."
               if totals["end_before_start"] else "")
        return (f"{totals['dosed']} of {totals['subjects']} randomized subjects dosed; median (dosed) {median}; "
                f"{totals['below_80']} below 80 % compliance. Compliance = days covered by EX records (EXSTDTC to "
                f"EXENDTC) / days expected ({planned} planned, fewer for a subject on study for less).{odd}")
    unit = "cycles" if regimen == "cycles" else "infusions"
    verb = "started" if regimen == "cycles" else "given"
    return (f"{totals['given']} {unit} {verb} of {totals['due']} due by the cut ({planned} planned per subject); "
            f"{totals['all_planned']} of {totals['subjects']} randomized subjects received all {planned}; "
            f"{totals['with_missed']} missed at least one due {unit[:-1]}.")


def _exposure_figure(data: TrialData, key: Key, exposure: pd.DataFrame) -> go.Figure:
    config, regimen = data.config, data.config.regimen
    planned = config.planned_doses
    if isinstance(data, ArmedTrialData) and _split_allowed(data, key):
        label = f"{stamp(data)} · {ARMS_AS_RANDOMIZED}"
        if regimen == "continuous":
            dist = memoized(data, "recruitment:exposure-arm", lambda: conduct.compliance_distribution_by_arm(
                exposure, data.arm_of, data.arm_labels), *key)
            return conduct_figures.compliance_by_arm_figure(dist, data.arm_labels, label)
        dist = memoized(data, "recruitment:exposure-arm", lambda: conduct.exposure_distribution_by_arm(
            exposure, data.arm_of, data.arm_labels, planned), *key)
        return conduct_figures.exposure_by_arm_figure(dist, data.arm_labels, planned, label, regimen)
    if regimen == "continuous":
        return conduct_figures.compliance_figure(conduct.compliance_distribution(exposure), stamp(data))
    return conduct_figures.exposure_figure(conduct.exposure_distribution(exposure, planned), planned, stamp(data),
                                           regimen)


def _exposure(data: TrialData, key: Key) -> tuple[Any, str, list, list, str]:
    regimen = data.config.regimen
    planned = data.config.planned_duration_days if regimen == "continuous" else data.config.planned_doses
    exposure, listing, totals = _exposure_frames(data, key)
    note = _exposure_note(regimen, planned or 0, totals) + " " + _capped_note(listing, "subjects")
    rows, defs = _grid(listing, _exposure_headers(regimen))
    title = LISTING_TITLES.get(regimen, ids.MISSED_TITLE)
    return _exposure_figure(data, key, exposure), note.strip(), rows, defs, title


# --- Data completeness ----------------------------------------------------------------------------------------

VISIT_HEADERS = {"visit": "Visit", "planned_day": "Planned day", "expected": "Subjects due", "received": "Received",
                 "missing": "Missing", "pct_received": "% received"}


def _presence(data: TrialData) -> tuple[pd.DataFrame, pd.DataFrame]:
    config = data.config

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        measures = conduct.completeness_measures(config)
        names = sorted({"VS", "LB", *config.custom_domains, *(m.domain for m in measures)})
        findings = {name: data.domain(name) for name in names}
        visits = planned_visits(config.visits)
        return (conduct.visit_presence(list(findings.values()), visits),
                conduct.measurement_presence(findings, measures, visits))

    return memoized(data, "recruitment:presence", compute)


def _completeness_tables(data: TrialData, key: Key) -> tuple[pd.DataFrame, pd.DataFrame]:
    config = data.config

    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        visits_present, measures_present = _presence(data)
        visits = planned_visits(config.visits)
        expected = conduct.expected_visits(_randomized(data, key), visits)
        return (conduct.visit_completeness(expected, visits_present, visits),
                conduct.measurement_completeness(expected, measures_present, conduct.completeness_measures(config),
                                                 visits))

    return memoized(data, "recruitment:completeness", compute, *key)


def _completeness(data: TrialData, key: Key) -> tuple[Any, list, list]:
    visits, measures = _completeness_tables(data, key)
    rows, defs = _grid(visits, VISIT_HEADERS)
    undated = [v.name for v in data.config.visits if v.day is None]
    label = stamp(data) + (f"<br>Not expected of anyone (no planned day): {', '.join(undated)}" if undated else "")
    figure = conduct_figures.completeness_figure(visits, measures, label)
    if undated:
        figure.update_layout(margin={"t": 86})      # room for the second stamp line
    return figure, rows, defs
