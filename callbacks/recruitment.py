"""Recruitment page callbacks: pooled displays for blinded users, by-arm displays for those who may see arms."""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import Input, Output, State, html

from callbacks.common import NO_CUT, send_csv, stamp, with_active_cut
from callbacks.recruitment_base import (ARMS_AS_RANDOMIZED, Key, _capped_note, _grid, _key,
                                        _no_cut_figure, _randomized, _randomized_at, _selected, _split_allowed,
                                        _status, _view)
from callbacks.recruitment_conduct import (LISTING_TITLES, VISIT_HEADERS, _completeness, _completeness_tables,
                                           _exposure, _exposure_frames, _exposure_headers)
from dashboard.analysis import accrual, consort, labs
from dashboard.analysis import baseline_characteristics as baseline
from dashboard.analysis import recruitment as rec
from dashboard.blinding import ArmedTrialData, TrialData
from dashboard.figures import conduct as conduct_figures
from dashboard.figures import recruitment as figures
from dashboard.figures.common import empty_figure
from dashboard.guard import guarded_callback
from dashboard.memo import memoized
from dashboard.permissions import Permission
from layouts import recruitment as ids

FILTERS = (Input(ids.SITE_FILTER, "value"), Input(ids.DATE_FILTER, "start_date"), Input(ids.DATE_FILTER, "end_date"))

# --- Overview ---------------------------------------------------------------------------------------------------

def _tiles(data: TrialData, key: Key) -> list[Any]:
    h = memoized(data, "recruitment:headline", lambda: rec.headline_counts(
        _selected(data, key), data.config.target_enrollment, data.cut.cut_date), *key)
    pct = "" if pd.isna(h["pct_of_target"]) else f" ({h['pct_of_target']:.0f} %)"
    days = "–" if h["days_since_first"] is None else f"{h['days_since_first']}"
    return [f"{h['screened']}", html.Span([f"{h['randomized']}", html.Small(f" / {h['target']}{pct}",
                                                                            className="text-muted fs-6")]),
            f"{h['on_treatment']}", f"{h['in_follow_up']}", f"{h['completed']}", f"{h['withdrawn']}",
            f"{h['deaths']}", days, h["cut_date"]]


def _accrual(data: TrialData, key: Key) -> tuple[Any, str]:
    config = data.config
    sites = key[0]

    def compute() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
        status = rec.filter_subjects(_status(data), sites)
        dates = status.loc[status["RANDOMIZED"], "RAND_DT"]
        rate = accrual.planned_rate_per_week(config.first_randomization_planned, config.target_enrollment,
                                             config.planned_end, config.planned_rate_per_week)
        projection = accrual.accrual_projection(dates, config.target_enrollment, data.cut.cut_date,
                                                recruitment_open=config.first_randomization_planned,
                                                plan_rate_per_week=rate)
        planned = accrual.planned_accrual(config.first_randomization_planned, config.target_enrollment,
                                          config.planned_end, config.planned_rate_per_week)
        return accrual.cumulative_randomizations(dates), planned, projection

    cumulative, planned, projection = memoized(data, "recruitment:accrual", compute, sites)
    x_range = [key[1], key[2]] if key[1] and key[2] else None
    figure = figures.accrual_figure(cumulative, planned, projection, stamp(data), cut_date=data.cut.cut_date,
                                    show_target=not sites, x_range=x_range)
    note = figures.projection_summary(projection) if not sites else (
        f"{int(cumulative['cumulative'].iloc[-1]) if len(cumulative) else 0} randomized at the chosen sites. "
        "Target, plan and projection are trial-wide and shown without a site filter.")
    return figure, note


def _balance(data: TrialData, key: Key) -> Any:
    title = figures.BALANCE_TITLE
    if not isinstance(data, ArmedTrialData):
        return empty_figure(title, stamp(data), "Shown only to roles that may see arms.")
    if not _split_allowed(data, key):
        return empty_figure(title, stamp(data), "Split by arm withheld: a chosen site has fewer than "
                                                f"{rec.MIN_SITE_SPLIT} randomized subjects.")
    sites = key[0]
    by_arm = memoized(data, "recruitment:balance", lambda: accrual.cumulative_randomizations_by_arm(
        _randomized_at(data, sites), data.arm_of, data.arm_labels), sites)
    figure = figures.randomization_balance_figure(by_arm, data.arm_labels, f"{stamp(data)} · {ARMS_AS_RANDOMIZED}")
    if key[1] and key[2] and len(by_arm):
        figure.update_xaxes(range=[key[1], key[2]])
    return figure


# --- Screening and flow ---------------------------------------------------------------------------------------

def _screening(data: TrialData, key: Key) -> tuple[Any, Any]:
    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        selected = _selected(data, key)
        return (rec.screening_funnel(selected),
                rec.screen_failure_reasons(selected, data.ie, data.config.screen_failure_reasons, data.ds))

    funnel, reasons = memoized(data, "recruitment:screening", compute, *key)
    return figures.funnel_figure(funnel, stamp(data)), figures.screen_failure_figure(reasons, stamp(data))


def _consort(data: TrialData, key: Key) -> tuple[Any, Any]:
    doses, discrete = data.config.planned_doses, data.config.discrete_doses
    source = html.Div(rec.disposition_source(data.ds, data.config.vocabulary), className="text-muted small")
    if isinstance(data, ArmedTrialData) and _split_allowed(data, key):
        flow = memoized(data, "recruitment:consort-arm", lambda: consort.consort_flow_by_arm(
            _selected(data, key), data.arm_of, data.arm_labels, doses, discrete), *key)
        return conduct_figures.consort_figure(flow, data.arm_labels, f"{stamp(data)} · {ARMS_AS_RANDOMIZED}"), source
    flow = memoized(data, "recruitment:consort", lambda: consort.consort_flow(_selected(data, key), doses,
                                                                               discrete), *key)
    note = source
    if isinstance(data, ArmedTrialData):
        note = html.Div([html.Div(f"By-arm displays are withheld for this selection: a chosen site has fewer than "
                                  f"{rec.MIN_SITE_SPLIT} randomized subjects, so the page shows pooled figures.",
                                  className="alert alert-secondary small py-2"), source])
    return conduct_figures.consort_figure(flow, [consort.POOLED_GROUP], stamp(data)), note


# --- Sites and time -------------------------------------------------------------------------------------------

SITE_HEADERS = {"SITEID": "Site", "screened": "Screened", "screen_failures": "Screen failures",
                "randomized": "Randomized", "pct_of_randomized": "% of randomized", "dosed": "Dosed",
                "completed": "Completed", "first_randomization": "First randomized",
                "last_randomization": "Last randomized"}


def _site_table(data: TrialData, key: Key) -> tuple[pd.DataFrame, dict[str, str]]:
    if isinstance(data, ArmedTrialData):
        table = memoized(data, "recruitment:sites-arm", lambda: rec.enrollment_by_site_by_arm(
            _selected(data, key), data.arm_of, data.arm_labels), *key)
        headers = {**SITE_HEADERS, **{label: f"Randomized · {label}" for label in data.arm_labels},
                   "split_by_arm": "Split by arm shown"}
        return table, headers
    table = memoized(data, "recruitment:sites", lambda: rec.enrollment_by_site(_selected(data, key)), *key)
    return table, SITE_HEADERS


def _sites(data: TrialData, key: Key, period: str) -> tuple[Any, list, list, str]:
    by_period = memoized(data, "recruitment:period", lambda: rec.enrollment_by_period(_selected(data, key), period),
                         period, *key)
    table, headers = _site_table(data, key)
    rows, defs = _grid(table, headers)
    note = (f"Sites with fewer than {rec.MIN_SITE_SPLIT} randomized subjects in this selection are not split "
            "by arm." if isinstance(data, ArmedTrialData) else "")
    return figures.enrollment_period_figure(by_period, period, stamp(data)), rows, defs, note


# --- Baseline and eligibility ---------------------------------------------------------------------------------

DEVIATION_HEADERS = {"USUBJID": "Subject", "SITEID": "Site", "check": "Check", "value": "Value",
                     "protocol_rule": "Protocol rule", "source": "Source"}
WIDE_DEVIATION_COLUMNS = ("Check", "Value")  # the long texts share the card's spare width


def _baseline_values(data: TrialData) -> pd.DataFrame:
    """Baseline values of every randomized subject of the cut (filters are applied afterwards)."""
    def compute() -> pd.DataFrame:
        status = _status(data)
        measures = baseline.baseline_measures(data.config)
        return baseline.baseline_values(status.loc[status["RANDOMIZED"]], measures,
                                        {name: data.domain(name) for name in {m.domain for m in measures}})

    return memoized(data, "recruitment:baseline-values", compute)


def _consent_recorded(data: TrialData) -> bool:
    """Whether the export records informed consent for anyone (over the whole cut, whatever the filters)."""
    return bool(_status(data)["CONSENTED"].any())


def _baseline_tables(data: TrialData, key: Key) -> tuple[pd.DataFrame, pd.DataFrame]:
    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        randomized = _randomized(data, key)
        values = _baseline_values(data)
        values = values.loc[values["USUBJID"].isin(randomized["USUBJID"])]
        units = memoized(data, "recruitment:lab-units", lambda: labs.test_units(data.lb))
        measures = baseline.baseline_measures(data.config, units)
        if isinstance(data, ArmedTrialData) and _split_allowed(data, key):
            summary = baseline.baseline_summary_by_arm(values, measures, data.arm_of, data.arm_labels)
        else:
            summary = baseline.baseline_summary(values, measures)
        config = data.config
        checked = {c.domain for c in config.eligibility.all_checks() if c.domain != "DM"}
        deviations = baseline.eligibility_deviations(
            randomized, values, data.ie, config.eligibility, config.screen_failure_reasons,
            domains={name: data.domain(name) for name in checked},
            test_names={o.testcd: o.label for o in config.outcomes}, consent_recorded=_consent_recorded(data))
        if isinstance(data, ArmedTrialData):  # closed only: a blinded user gets the pooled checks alone
            deviations = baseline.combine_deviations(deviations, baseline.treatment_deviations(
                randomized, data.arm_of, data.treated_arm_of))
        return summary, deviations

    return memoized(data, "recruitment:baseline", compute, *key)


def _as_table_one(rows: list[dict], defs: list[dict]) -> tuple[list[dict], list[dict]]:
    """Grid rows and columns read as a 'Table 1': each characteristic named once, above its statistics, in the
    analysis order (not sortable), its label column wide enough to read in full."""
    shown, previous = [], None
    for row in rows:
        label = row["c0"]
        shown.append({**row, "c0": "" if label == previous else label})
        previous = label
    columns = [{**d, "sortable": False, "flex": 2 if i == 0 else 1, "minWidth": 220 if i == 0 else 130}
               for i, d in enumerate(defs)]
    return shown, columns


def _baseline(data: TrialData, key: Key) -> tuple[list, list, list, list, str]:
    summary, deviations = _baseline_tables(data, key)
    summary_rows, summary_defs = _as_table_one(*_grid(summary, {
        c: ("Characteristic" if c == "characteristic" else "Statistic" if c == "statistic" else c)
        for c in summary.columns}))
    rows, defs = _grid(deviations, DEVIATION_HEADERS)
    defs = [{**d, "flex": 2 if d["headerName"] in WIDE_DEVIATION_COLUMNS else 1, "minWidth": 90} for d in defs]
    subjects = deviations["USUBJID"].nunique()
    configured = [baseline.check_rule(c) for c in data.config.eligibility.all_checks()]
    consent = ("consent and dosing order" if _consent_recorded(data) else
               "dosing order (informed consent is not checked: the export records it for nobody, neither DM "
               "RFICDTC nor a DS INFORMED CONSENT OBTAINED record)")
    checks = (f"the configured checks ({'; '.join(configured)}), " if configured else "") + (
        f"criteria recorded as not met (IE), {consent}")
    if isinstance(data, ArmedTrialData):
        checks += ", and dosing with another arm's product (arm as randomized vs as treated, closed session only)"
    note = (f"{len(deviations)} possible deviations in {subjects} of {len(_randomized(data, key))} randomized "
            f"subjects: {checks}. " + _capped_note(deviations, "rows"))
    return summary_rows, summary_defs, rows, defs, note.strip()


# --- Downloads ------------------------------------------------------------------------------------------------

def _download(data: TrialData, button: str, key: Key) -> dict[str, Any]:
    if button == ids.CSV_FAILURES:
        reasons = rec.screen_failure_reasons(_selected(data, key), data.ie, data.config.screen_failure_reasons,
                                             data.ds)
        return send_csv(reasons, data, title="Screen-failure reasons", filename="screen_failure_reasons")
    if button == ids.CSV_SITES:
        table, headers = _site_table(data, key)
        return send_csv(table.rename(columns=headers), data, title="Enrollment by site", filename="enrollment_by_site")
    if button == ids.CSV_BASELINE:
        return send_csv(_baseline_tables(data, key)[0], data, title="Baseline characteristics", filename="baseline")
    if button == ids.CSV_DEVIATIONS:
        return send_csv(_baseline_tables(data, key)[1].rename(columns=DEVIATION_HEADERS), data,
                        title="Eligibility checks: possible protocol deviations", filename="eligibility_deviations")
    if button == ids.CSV_MISSED:
        regimen = data.config.regimen
        return send_csv(_exposure_frames(data, key)[1].rename(columns=_exposure_headers(regimen)), data,
                        title=LISTING_TITLES.get(regimen, ids.MISSED_TITLE),
                        filename="exposure" if regimen == "continuous" else f"missed_{regimen}")
    visits = _completeness_tables(data, key)[0]
    return send_csv(visits.rename(columns=VISIT_HEADERS), data, title="Visit completeness",
                    filename="visit_completeness")


def register(app) -> None:
    @guarded_callback(app, Permission.VIEW_RECRUITMENT,
                      Output(ids.SITE_FILTER, "options"), Output(ids.DATE_FILTER, "min_date_allowed"),
                      Output(ids.DATE_FILTER, "max_date_allowed"), Output(ids.DATE_FILTER, "initial_visible_month"),
                      Input(ids.INIT, "data"))
    def fill_filters(_):
        def compute(data: TrialData) -> tuple:
            status = _status(data)
            first = status["SCREEN_DT"].min()
            start = None if pd.isna(first) else first.date().isoformat()
            return ([{"label": f"Site {s}", "value": s} for s in rec.site_options(status)], start,
                    data.cut.cut_date, start or data.cut.cut_date)

        return with_active_cut(compute, lambda _sees: ([], None, None, None))

    @guarded_callback(app, Permission.VIEW_RECRUITMENT,
                      *[Output(tile, "children") for tile in ids.TILES], Output(ids.ACCRUAL_GRAPH, "figure"),
                      Output(ids.PROJECTION_NOTE, "children"), *FILTERS)
    def overview(sites, start, end):
        key = _key(sites, start, end)
        return with_active_cut(lambda data: _view(data, "overview",
                                                  lambda: (*_tiles(data, key), *_accrual(data, key)), *key),
                               lambda sees: (*["–"] * len(ids.TILES), _no_cut_figure(figures.ACCRUAL_TITLE, sees),
                                             NO_CUT))

    @guarded_callback(app, Permission.VIEW_RECRUITMENT, Output(ids.BALANCE_GRAPH, "figure"), *FILTERS,
                      audit_view="recruitment:balance")
    def balance(sites, start, end):
        key = _key(sites, start, end)
        return with_active_cut(lambda data: _view(data, "balance", lambda: _balance(data, key), *key),
                               lambda sees: _no_cut_figure(figures.BALANCE_TITLE, sees))

    @guarded_callback(app, Permission.VIEW_RECRUITMENT, Output(ids.FUNNEL_GRAPH, "figure"),
                      Output(ids.FAILURES_GRAPH, "figure"), *FILTERS)
    def screening(sites, start, end):
        key = _key(sites, start, end)
        return with_active_cut(lambda data: _view(data, "screening", lambda: _screening(data, key), *key),
                               lambda sees: (_no_cut_figure(figures.FUNNEL_TITLE, sees),
                                             _no_cut_figure(figures.FAILURES_TITLE, sees)))

    @guarded_callback(app, Permission.VIEW_RECRUITMENT, Output(ids.CONSORT_GRAPH, "figure"),
                      Output(ids.ARM_NOTE, "children"), *FILTERS, audit_view="recruitment:consort")
    def flow(sites, start, end):
        key = _key(sites, start, end)
        return with_active_cut(lambda data: _view(data, "consort", lambda: _consort(data, key), *key),
                               lambda sees: (_no_cut_figure(conduct_figures.CONSORT_TITLE, sees), None))

    @guarded_callback(app, Permission.VIEW_RECRUITMENT, Output(ids.PERIOD_GRAPH, "figure"),
                      Output(ids.SITE_GRID, "rowData"), Output(ids.SITE_GRID, "columnDefs"),
                      Output(ids.SITE_NOTE, "children"), *FILTERS, Input(ids.PERIOD_CHOICE, "value"),
                      audit_view="recruitment:sites")
    def sites_and_time(sites, start, end, period):
        period = "month" if period == "month" else "week"
        key = _key(sites, start, end)
        return with_active_cut(lambda data: _view(data, "sites", lambda: _sites(data, key, period), period, *key),
                               lambda sees: (_no_cut_figure(figures.PERIOD_TITLE.format(period=period), sees),
                                             [], [], NO_CUT))

    @guarded_callback(app, Permission.VIEW_RECRUITMENT, Output(ids.BASELINE_GRID, "rowData"),
                      Output(ids.BASELINE_GRID, "columnDefs"), Output(ids.DEVIATION_GRID, "rowData"),
                      Output(ids.DEVIATION_GRID, "columnDefs"), Output(ids.DEVIATION_NOTE, "children"), *FILTERS,
                      audit_view="recruitment:baseline")
    def baseline_and_eligibility(sites, start, end):
        key = _key(sites, start, end)
        return with_active_cut(lambda data: _view(data, "baseline", lambda: _baseline(data, key), *key),
                               lambda _sees: ([], [], [], [], NO_CUT))

    @guarded_callback(app, Permission.VIEW_RECRUITMENT, Output(ids.EXPOSURE_GRAPH, "figure"),
                      Output(ids.EXPOSURE_NOTE, "children"), Output(ids.MISSED_GRID, "rowData"),
                      Output(ids.MISSED_GRID, "columnDefs"), Output(ids.EXPOSURE_LISTING_TITLE, "children"),
                      *FILTERS, audit_view="recruitment:exposure")
    def exposure(sites, start, end):
        key = _key(sites, start, end)
        return with_active_cut(lambda data: _view(data, "exposure", lambda: _exposure(data, key), *key),
                               lambda sees: (_no_cut_figure(conduct_figures.EXPOSURE_TITLE, sees), NO_CUT, [], [],
                                             ids.MISSED_TITLE))

    @guarded_callback(app, Permission.VIEW_RECRUITMENT, Output(ids.COMPLETENESS_GRAPH, "figure"),
                      Output(ids.VISIT_GRID, "rowData"), Output(ids.VISIT_GRID, "columnDefs"), *FILTERS)
    def completeness(sites, start, end):
        key = _key(sites, start, end)
        return with_active_cut(lambda data: _view(data, "completeness", lambda: _completeness(data, key), *key),
                               lambda sees: (_no_cut_figure(conduct_figures.COMPLETENESS_TITLE, sees), [], []))

    @guarded_callback(app, Permission.VIEW_RECRUITMENT, Output(ids.DOWNLOAD, "data"),
                      *[Input(button, "n_clicks") for button in ids.CSV_BUTTONS],
                      State(ids.SITE_FILTER, "value"), State(ids.DATE_FILTER, "start_date"),
                      State(ids.DATE_FILTER, "end_date"), prevent_initial_call=True,
                      audit_view="recruitment:download")
    def download(*values):
        button = dash.ctx.triggered_id
        if button not in ids.CSV_BUTTONS:
            return dash.no_update
        key = _key(*values[len(ids.CSV_BUTTONS):])
        return with_active_cut(lambda data: _download(data, button, key), lambda _sees: dash.no_update)
