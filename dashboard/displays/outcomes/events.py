"""Outcomes: the configured clinical events (curve of the chosen event with the numbers at risk, and the
proportions table), and the time-to-event parameters of an ADTTE table when the cut has one. Pooled for blinded
roles, by arm on the efficacy basis for roles that see arms; every curve comes from the survival toolkit."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.analysis import effects, events, survival
from dashboard.analysis.adam_flags import tte_frame, tte_parameters
from dashboard.blinding import TrialData
from dashboard.displays.model import BOTH_FORMS, POOLED_ONLY, Control, Display, Out, View
from dashboard.displays.outcomes import common
from dashboard.figures import outcomes as outcome_figures
from dashboard.figures.survival import survival_figure
from dashboard.memo import memoized
from dashboard.permissions import Permission
from dashboard.tables import outcomes as tables
from layouts import outcomes as ids

POOLED_EVENT_LABEL = "All randomized"
ADTTE = "ADTTE"
HIDDEN = {"display": "none"}


def _event_figure(data: TrialData, index: int) -> Any:
    """The chosen event's curve with the numbers at risk under it and, by arm, the log-rank test."""
    label = data.config.events[index].label
    times = events.survival_times(common.event_times(data)[index])
    days = survival.risk_table_days(data.config.followup_days)
    result = data.split(survival.pooled, survival.by_arm, times, days, label=pooled_label(data),
                        min_events=data.config.min_events_for_p, basis="efficacy")
    stamp = common.efficacy_stamp(data)
    return common.plain(survival_figure(result, outcome_figures.event_style(label, result.competing), stamp))


def _event_table(data: TrialData) -> tuple[list, list]:
    """The event-proportion table: pooled, or each arm with risk differences against the reference and log-rank p."""
    config, times = data.config, common.event_times(data)

    def by_arm(*, arm_of: pd.Series) -> tuple[list, list]:
        reference = common.reference(data)
        summary = effects.event_summary_by_arm(config.events, times, arm_of, reference, config.min_events_for_p)
        return tables.event_table_grid(summary, arms=tuple(events.arm_order(arm_of)), reference=reference)

    return data.split(lambda: tables.event_table_grid(events.event_summary(config.events, times)), by_arm,
                      basis="efficacy")


def event_outputs(data: TrialData, name: Any) -> tuple:
    """Time-to-event figure of the chosen event (the first one for anything unknown) and the event table."""
    names = [e.name for e in data.config.events]
    if not names:
        return outcome_figures.no_outcome_figure(common.EVENT_TITLE, common.stamp(data)), [], []
    index = names.index(name) if name in names else 0
    figure = memoized(data, "outcomes:event-figure", lambda: _event_figure(data, index), index)
    rows, columns = memoized(data, "outcomes:event-table", lambda: _event_table(data))
    return figure, rows, columns


def compute_events(data: TrialData, name: Any = None) -> dict[str, Any]:
    figure, rows, columns = event_outputs(data, name)
    return {"event_curve": figure, "event_rows": rows, "event_columns": columns}


def adtte_parameters(data: TrialData) -> list[tuple[str, str, bool]]:
    """(PARAMCD, label, event-free) of every ADTTE parameter shown that the cut holds: `adam_flags.tte_parameters`
    (the configured ones in their order, else every PARAMCD with its own PARAM label)."""
    adtte = data.domain(ADTTE)
    if adtte.empty or "PARAMCD" not in adtte:
        return []
    held = set(adtte["PARAMCD"].astype("str").dropna())
    return [(p.paramcd, p.label, p.event_free) for p in tte_parameters(adtte, data.config.adam) if p.paramcd in held]


def adtte_choices(data: TrialData, _store: Any = None) -> dict[str, Any]:
    """The ADTTE parameter picker (hidden card when the cut has no ADTTE table): the same for every role."""
    shown = adtte_parameters(data)
    if not shown:
        return {"adtte_options": [], "adtte_value": None, "adtte_style": HIDDEN}
    return {"adtte_options": [{"label": f"{label} ({code})", "value": code} for code, label, _ in shown],
            "adtte_value": shown[0][0], "adtte_style": {}}


def population_adtte(data: TrialData) -> pd.DataFrame:
    """ADTTE records of the Outcomes page's population (common.population), as every Outcomes display counts."""
    def compute() -> pd.DataFrame:
        adtte = data.domain(ADTTE)
        return adtte[adtte["USUBJID"].astype("str").isin(common.survival_inputs(data)[0])] if len(adtte) else adtte

    return memoized(data, "outcomes:adtte-population", compute)


def pooled_label(data: TrialData) -> str:
    """The pooled curve's name: all randomized, or the efficacy population when a flag chose it."""
    return "Efficacy population" if common.population(data).flag else POOLED_EVENT_LABEL


def _adtte_result(data: TrialData, paramcd: str) -> tuple[survival.Survival, str]:
    """The survival toolkit's result for one ADTTE parameter (pooled or by arm) and the unit of its times."""
    adtte = population_adtte(data)
    part = tte_frame(adtte, paramcd)
    times = survival.times_frame(part["USUBJID"], part["TIME"], part["EVENT"])
    units = adtte.loc[adtte["PARAMCD"].astype("str") == paramcd, "AVALU"] if "AVALU" in adtte else pd.Series()
    unit = str(units.dropna().iloc[0]) if len(units.dropna()) else ""
    days = survival.risk_table_days(int(times["TIME"].max()) if len(times) else 0)
    result = data.split(survival.pooled, survival.by_arm, times, days, min_events=data.config.min_events_for_p,
                        basis="efficacy")
    return result, unit


def _adtte_outputs(data: TrialData, paramcd: str, label: str, event_free: bool) -> dict[str, Any]:
    result, unit = _adtte_result(data, paramcd)
    style = outcome_figures.adtte_style(label, paramcd, unit, event_free)
    described = events.adtte_event_descriptions(population_adtte(data), paramcd)
    descriptions = data.split(events.descriptions_pooled, events.descriptions_by_arm, described, survival.POOLED,
                              basis="efficacy")
    rows, columns = tables.median_grid(result, unit, descriptions)
    return {"adtte_curve": common.plain(survival_figure(result, style, common.efficacy_stamp(data))),
            "adtte_rows": rows, "adtte_columns": columns}


def compute_adtte(data: TrialData, paramcd: Any = None) -> dict[str, Any]:
    """The chosen ADTTE parameter's curve and medians table (the first parameter for anything unknown)."""
    shown = adtte_parameters(data)
    if not shown:
        return {"adtte_curve": outcome_figures.no_outcome_figure("Time to event (ADTTE)", common.stamp(data)),
                "adtte_rows": [], "adtte_columns": []}
    code, label, event_free = next((p for p in shown if p[0] == paramcd), shown[0])
    return memoized(data, "outcomes:adtte", lambda: _adtte_outputs(data, code, label, event_free), code)


EVENT_CURVE = Display(
    "outcomes.event_curve", common.EVENT_TITLE, "figure", ("DM", "DS", "PR", "HO", "AE"),
    {"event_curve": Out(ids.EVENT_CURVE, "figure")}, BOTH_FORMS,
    analysis=(events.event_times, survival.pooled, survival.by_arm), builder=survival_figure,
    fields=("DM.DTHDTC", "DS.DSSTDTC"))
EVENT_TABLE = Display(
    "outcomes.event_table", "Event proportions by the end of follow-up", "table", ("DM", "DS", "PR", "HO", "AE"),
    {"event_rows": Out(ids.EVENT_TABLE, "rowData"), "event_columns": Out(ids.EVENT_TABLE, "columnDefs")},
    BOTH_FORMS, analysis=(events.event_summary, effects.event_summary_by_arm), builder=tables.event_table_grid,
    fields=("DM.DTHDTC", "DS.DSSTDTC"))
ADTTE_PICKER = Display(
    "outcomes.adtte_parameters", "ADTTE parameters", "choice", (ADTTE,),
    {"adtte_options": Out(ids.ADTTE_PARAM, "options"), "adtte_value": Out(ids.ADTTE_PARAM, "value"),
     "adtte_style": Out(ids.ADTTE_CARD, "style")}, POOLED_ONLY, analysis=(adtte_parameters,), in_pack=False)
ADTTE_CURVE = Display(
    "outcomes.adtte_curve", "Time to event from ADTTE (Kaplan-Meier)", "figure", (ADTTE,),
    {"adtte_curve": Out(ids.ADTTE_CURVE, "figure")}, BOTH_FORMS,
    analysis=(tte_frame, survival.pooled, survival.by_arm), builder=survival_figure,
    fields=("ADTTE.AVAL", "ADTTE.CNSR"))
ADTTE_MEDIANS = Display(
    "outcomes.adtte_medians", "Median time to event (ADTTE)", "table", (ADTTE,),
    {"adtte_rows": Out(ids.ADTTE_TABLE, "rowData"), "adtte_columns": Out(ids.ADTTE_TABLE, "columnDefs")},
    BOTH_FORMS, analysis=(survival.median_time, events.descriptions_pooled, events.descriptions_by_arm),
    builder=tables.median_grid, fields=("ADTTE.AVAL", "ADTTE.CNSR", "ADTTE.EVNTDESC"))

VIEWS = (
    View("outcomes:events", common.PAGE, Permission.VIEW_OUTCOMES, compute_events, (EVENT_CURVE, EVENT_TABLE),
         controls={"name": Control(ids.EVENT, "value")}),
    View("outcomes:adtte-parameters", common.PAGE, Permission.VIEW_OUTCOMES, adtte_choices, (ADTTE_PICKER,),
         controls={"_store": Control(ids.OPTIONS, "data")}, audited=False,
         no_cut=lambda _sees: {"adtte_options": [], "adtte_value": None, "adtte_style": HIDDEN}),
    View("outcomes:adtte", common.PAGE, Permission.VIEW_OUTCOMES, compute_adtte, (ADTTE_CURVE, ADTTE_MEDIANS),
         controls={"paramcd": Control(ids.ADTTE_PARAM, "value")}),
)
