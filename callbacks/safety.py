"""Safety page callbacks: pooled for blinded users, by arm (coded or real labels) for the board and statistician.

Every callback: fetch the user's trial data, call analysis and figure functions through `memoized`, return.
"""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import Input, Output, State, html, no_update

from callbacks.common import send_csv, stamp
from dashboard import blinding, cuts
from dashboard.analysis import ae as ae_tables
from dashboard.analysis import ae_infusion, ae_listings, ae_time, ae_timelines, changes, labs, safety_tables
from dashboard.analysis.safety import group_labels
from dashboard.analysis.safety_base import SafetyFrames, safety_frames
from dashboard.blinding import ArmedTrialData, TrialData
from dashboard.context import NoActiveCut, current_trial_data, data_root
from dashboard.figures import safety as fig_ae
from dashboard.figures import safety_labs as fig_labs
from dashboard.figures import safety_timelines as fig_tl
from dashboard.figures.common import empty_figure, stamp_text
from dashboard.guard import guarded_callback
from dashboard.memo import memoized
from dashboard.permissions import Permission
from layouts import safety as ids
from layouts.common import notice

MAX_LISTING_ROWS = 500
MAX_SWIMMER_LANES = 60
MAX_SPAGHETTI_SUBJECTS = 50
KM_DAYS = (0, 7, 14, 21, 28)
NO_CUT = "No data cut has been loaded yet."
SAE_LABELS = {"USUBJID": "Subject", "ARM": "Arm", "AESEQ": "Seq", "AEBODSYS": "System organ class",
              "AEDECOD": "Preferred term", "AETERM": "Reported term", "AESEV": "Severity", "AEREL": "Relationship",
              "AEACN": "Action taken", "AEOUT": "Outcome", "AESTDTC": "Start", "AEENDTC": "End",
              "ADY": "Days from first dose", "TEAE": "Treatment-emergent", "IR": "Within 72 h of infusion",
              "FATAL": "Fatal", "CHANGE": "Since previous cut", "DTHDTC": "Date of death",
              "DAYS_FROM_FIRST_DOSE": "Days from first dose", "CAUSE": "Fatal adverse events",
              "CHANGED_COLUMNS": "Changed columns", "AESER": "Serious"}


def _no_cut_figure(title: str = "Safety") -> Any:
    return empty_figure(title, stamp_text(None, False), NO_CUT)


def _armed(data: TrialData) -> bool:
    return isinstance(data, ArmedTrialData)


def _frames(data: TrialData) -> SafetyFrames:
    domains = {name: data.domain(name) for name in ("DM", "EX", "AE", "DS", "PR", "HO")}
    return memoized(data, "safety:frames", lambda: safety_frames(domains, data.config, data.cut.cut_date))


def _lab_index(data: TrialData) -> dict[str, pd.DataFrame]:
    population = _frames(data).population
    return memoized(data, "safety:lab-index", lambda: labs.split_by_test(data.lb, population["USUBJID"]))


def _groups(data: TrialData) -> list[str]:
    return group_labels(data.arm_labels if _armed(data) else None)


def _previous_changes(data: TrialData) -> tuple[str | None, pd.DataFrame, pd.DataFrame]:
    """(previous cut date, AE record changes, death changes) against the cut before the active one."""

    def compute() -> tuple[str | None, pd.DataFrame, pd.DataFrame]:
        root = data_root()
        try:
            previous_id = cuts.previous_cut_id(data.cut.cut_id, root)
            previous = blinding.trial_data(previous_id, data.access, data.config, root) if previous_id else None
        except cuts.CutError:
            previous = None
        if previous is None:
            return None, changes.ae_changes(data.ae, data.ae.iloc[0:0]).iloc[0:0], \
                changes.death_changes(data.dm, data.dm).iloc[0:0]
        return previous.cut.cut_date, changes.ae_changes(data.ae, previous.ae), \
            changes.death_changes(data.dm, previous.dm)

    return memoized(data, "safety:changes", compute)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return ae_listings.json_records(frame)


def _overview(data: TrialData) -> tuple:
    f = _frames(data)
    groups = _groups(data)
    if _armed(data):
        table = memoized(data, "safety:overview", lambda: ae_tables.ae_overview_by_arm(f.teae, f.population,
                                                                                       data.treated_arm_of))
        ir = memoized(data, "safety:ir", lambda: ae_infusion.infusion_reaction_summary_by_arm(
            f.teae, f.population, data.treated_arm_of))
        tte = memoized(data, "safety:tte", lambda: ae_time.time_to_first_serious(f.teae, f.population, f.obs_end))
        km = memoized(data, "safety:km", lambda: (ae_time.km_first_serious_by_arm(tte, data.treated_arm_of),
                                                  ae_time.at_risk_by_arm(tte, KM_DAYS, data.treated_arm_of),
                                                  ae_time.logrank_by_arm(tte, data.treated_arm_of)))
        figure = fig_ae.km_figure(km[0], km[1], stamp(data), arm_labels=data.arm_labels, logrank=km[2])
    else:
        table = memoized(data, "safety:overview", lambda: ae_tables.ae_overview(f.teae, f.population))
        ir = memoized(data, "safety:ir", lambda: ae_infusion.infusion_reaction_summary(f.teae, f.population))
        tte = memoized(data, "safety:tte", lambda: ae_time.time_to_first_serious(f.teae, f.population, f.obs_end))
        km = memoized(data, "safety:km", lambda: (ae_time.km_first_serious(tte),
                                                  ae_time.at_risk_pooled(tte, KM_DAYS), None))
        figure = fig_ae.km_figure(km[0], km[1], stamp(data))
    total = len(groups) - 1
    any_row, serious_row = table.iloc[0], table.iloc[2]
    previous_date, ae_changed, deaths_changed = _previous_changes(data)
    summary = changes.change_summary(ae_changed, deaths_changed).set_index("KEY")["COUNT"]
    new_tile = "–" if previous_date is None else \
        f"{summary['new_events']} AEs · {summary['new_serious']} SAEs · {summary['new_deaths']} deaths"
    tiles = (f"{int(table[f'N{total}'].iloc[0])}",
             safety_tables.n_pct(pd.Series([any_row[f"n{total}"]]), pd.Series([any_row[f"pct{total}"]]))[0],
             safety_tables.n_pct(pd.Series([serious_row[f"n{total}"]]), pd.Series([serious_row[f"pct{total}"]]))[0],
             f"{len(f.deaths)}", new_tile)
    window = data.config.infusion_reaction_window_hours
    note = ("Treatment-emergent: starting on or after the day of the first infusion (partial dates imputed "
            "conservatively). Percentages of the safety population" + (" of each arm." if _armed(data) else "."))
    ir_note = f"Treatment-emergent events starting within {window} h after any infusion."
    return (*tiles, _records(safety_tables.count_cells(table, ["LABEL"])), ids.overview_columns(groups), note,
            _records(safety_tables.count_cells(ir, ["CATEGORY"]).rename(columns={"CATEGORY": "LABEL"})),
            ids.overview_columns(groups), ir_note, figure)


def _incidence(data: TrialData, severity: bool) -> pd.DataFrame:
    f = _frames(data)
    if _armed(data):
        if severity:
            return memoized(data, "safety:maxsev", lambda: ae_tables.ae_max_severity_by_arm(
                f.teae, f.population, data.treated_arm_of))
        return memoized(data, "safety:incidence", lambda: ae_tables.ae_incidence_by_arm(
            f.teae, f.population, data.treated_arm_of))
    if severity:
        return memoized(data, "safety:maxsev", lambda: ae_tables.ae_max_severity(f.teae, f.population))
    return memoized(data, "safety:incidence", lambda: ae_tables.ae_incidence(f.teae, f.population))


def _comparisons(data: TrialData) -> list[str]:
    if not _armed(data):
        return []
    first = data.arm_labels[0]
    return [f"{label} − {first}" for label in data.arm_labels[1:]]


def _listings(data: TrialData, search: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    f = _frames(data)
    _, ae_changed, deaths_changed = _previous_changes(data)
    sae = memoized(data, "safety:sae-listing", lambda: ae_listings.sae_listing(f.events, ae_changed))
    deaths = memoized(data, "safety:death-listing", lambda: ae_listings.death_listing(
        data.dm, f.population, f.events, deaths_changed))
    if _armed(data):
        sae, deaths = ae_listings.with_arm(sae, data.treated_arm_of), ae_listings.with_arm(deaths, data.treated_arm_of)
    return ae_listings.search_rows(sae, search), ae_listings.search_rows(deaths, search)


def _swimmer(data: TrialData, serious: bool) -> Any:
    f = _frames(data)
    if _armed(data):
        subjects, total = ae_timelines.swimmer_subjects_by_arm(f.events, MAX_SWIMMER_LANES, data.treated_arm_of, serious)
    else:
        subjects, total = ae_timelines.swimmer_subjects(f.events, MAX_SWIMMER_LANES, serious)
    lanes = ae_timelines.swimmer_data(subjects, f.events, f.population, f.doses, f.clinical, f.obs_end)
    return fig_tl.swimmer_figure(lanes, stamp(data), shown=len(subjects), total=total,
                                 lane_arm=data.treated_arm_of if _armed(data) else None)


def _lab_overview(data: TrialData) -> tuple:
    """Test options, eDISH figure and quadrant table, creatinine figure."""
    f, index, cfg = _frames(data), _lab_index(data), data.config.safety_labs
    tests = labs.lab_tests(data.lb)
    tests = tests[tests["TESTCD"].isin(list(index))]
    options = [{"label": f"{t.TEST} ({t.UNIT})" if isinstance(t.UNIT, str) and t.UNIT else str(t.TEST),
                "value": str(t.TESTCD)} for t in tests.itertuples()]
    value = cfg.alt if cfg.alt in index else (options[0]["value"] if options else None)
    points = labs.edish_points(index, cfg)
    rise = labs.creatinine_rise(index.get(cfg.creatinine, pd.DataFrame(columns=list(labs.LAB_COLUMNS))),
                                f.population)
    groups = _groups(data)
    armed = _armed(data)
    quadrants = (labs.edish_quadrants_by_arm(points, f.population, data.treated_arm_of) if armed
                 else labs.edish_quadrants(points, f.population))
    bands = (labs.creatinine_bands_by_arm(rise, f.population, data.treated_arm_of) if armed
             else labs.creatinine_bands(rise, f.population))
    table = ids.summary_table(["Quadrant", *groups],
                              safety_tables.band_rows(quadrants, "QUADRANT", groups, labs.QUADRANTS))
    arms = data.arm_labels if armed else ()
    return (options, value,
            fig_labs.edish_figure(points, stamp(data), subject_arm=data.treated_arm_of if armed else None, arm_labels=arms),
            table, fig_labs.band_figure(bands, "BAND", "Peak post-baseline creatinine against baseline",
                                        stamp(data), arm_labels=arms))


def _lab_test(data: TrialData, rows: pd.DataFrame, testcd: str) -> tuple:
    """Box plot, spaghetti sample and shift tables of one test."""
    f = _frames(data)
    name = str(rows["LBTEST"].iloc[0]) if rows["LBTEST"].notna().any() else testcd
    unit = str(rows["LBSTRESU"].dropna().iloc[0]) if rows["LBSTRESU"].notna().any() else ""
    sample, total = labs.spaghetti_sample(rows, MAX_SPAGHETTI_SUBJECTS)
    if _armed(data):
        summary = labs.lab_visit_summary_by_arm(rows, data.treated_arm_of)
        shift = labs.lab_shift_by_arm(rows, f.population, data.treated_arm_of)
        box = fig_labs.lab_box_figure(summary, name, unit, stamp(data), arm_labels=data.arm_labels)
        lines = fig_labs.lab_spaghetti_figure(sample, total, name, unit, stamp(data), subject_arm=data.treated_arm_of,
                                              arm_labels=data.arm_labels)
    else:
        summary = labs.lab_visit_summary(rows)
        shift = labs.lab_shift(rows, f.population)
        box = fig_labs.lab_box_figure(summary, name, unit, stamp(data))
        lines = fig_labs.lab_spaghetti_figure(sample, total, name, unit, stamp(data))
    groups = _groups(data)
    tables = []
    for group in groups:
        header, body = safety_tables.shift_matrix(shift, group)
        if len(groups) > 1:
            tables.append(html.H6(group, className="mt-3 mb-1 text-muted"))
        tables.append(ids.summary_table(header, body))
    return box, lines, tables


def _key_labs(data: TrialData) -> dict[str, pd.DataFrame]:
    cfg = data.config.safety_labs
    wanted = (cfg.alt, cfg.ast, cfg.bilirubin, cfg.creatinine)
    return {code: rows for code, rows in _lab_index(data).items() if code in wanted}


def _subject_rows(data: TrialData) -> dict[str, dict[str, Any]]:
    """Row positions of each subject in the events, vital signs and key labs (for one-subject views)."""
    f = _frames(data)

    def compute() -> dict[str, dict[str, Any]]:
        vs = data.vs
        index = {"events": f.events.groupby("USUBJID").indices,
                 "vs": vs.groupby("USUBJID").indices if "USUBJID" in vs else {}}
        index.update({f"lab:{code}": rows.groupby("USUBJID").indices for code, rows in _key_labs(data).items()})
        return index

    return memoized(data, "safety:subject-rows", compute)


def _profile(data: TrialData, subject: str) -> tuple:
    """Modal contents of one subject's profile; the arm is named only for users who see arms."""
    f, rows = _frames(data), _subject_rows(data)

    def take(frame: pd.DataFrame, key: str) -> pd.DataFrame:
        return frame.iloc[rows[key].get(subject, [])] if key in rows else frame.iloc[0:0]

    key_labs = {code: take(lab, f"lab:{code}") for code, lab in _key_labs(data).items()}
    prof = ae_timelines.subject_profile(subject, take(f.events, "events"), f.population, f.doses, f.clinical,
                                        f.obs_end, key_labs, take(data.vs, "vs"))
    first = f.population.set_index("USUBJID")["FIRSTDOSE"][subject]
    info = [f"First infusion {first:%Y-%m-%d} · {len(prof['doses'])} infusions · "
            f"observed to day {int(prof['lanes']['END'].iloc[0])}"]
    if _armed(data):
        info.append(f" · Arm: {data.treated_arm_of.get(subject, 'not randomized')}")
    figure = fig_tl.profile_figure(prof, stamp(data), f"Patient profile {subject}")
    return (True, f"Patient profile · {subject}", "".join(info), figure, _records(prof["events"]),
            ids.listing_columns(list(prof["events"].columns), {**SAE_LABELS, "AENDY": "End (days)",
                                                                 "SERIOUS": "Serious"}))


def _shown(total: int, kind: str) -> str:
    if total > MAX_LISTING_ROWS:
        return f"Showing the first {MAX_LISTING_ROWS} of {total} {kind}; narrow the search or download the CSV."
    return f"{total} {kind}."


def register(app: dash.Dash) -> None:
    @guarded_callback(app, Permission.VIEW_SAFETY,
                      Output(ids.TILE_POPULATION, "children"), Output(ids.TILE_ANY, "children"),
                      Output(ids.TILE_SERIOUS, "children"), Output(ids.TILE_DEATHS, "children"),
                      Output(ids.TILE_NEW, "children"), Output(ids.OVERVIEW_GRID, "rowData"),
                      Output(ids.OVERVIEW_GRID, "columnDefs"), Output(ids.OVERVIEW_NOTE, "children"),
                      Output(ids.IR_GRID, "rowData"), Output(ids.IR_GRID, "columnDefs"),
                      Output(ids.IR_NOTE, "children"), Output(ids.KM_GRAPH, "figure"),
                      Input(ids.OVERVIEW_GRID, "id"), audit_view="safety:overview")
    def overview(_grid_id):
        try:
            data = current_trial_data()
        except NoActiveCut:
            return ("–",) * 5 + ([], [], NO_CUT, [], [], NO_CUT, _no_cut_figure())
        return memoized(data, "safety:overview-outputs", lambda: _overview(data))

    @guarded_callback(app, Permission.VIEW_SAFETY,
                      Output(ids.SOC_GRID, "rowData"), Output(ids.SOC_GRID, "columnDefs"),
                      Output(ids.SOC_EXPANDED, "data"), Output(ids.SOC_NOTE, "children"),
                      Input(ids.SOC_MODE, "value"), Input(ids.SOC_SORT, "value"),
                      Input(ids.SOC_EXPAND_ALL, "value"), Input(ids.SOC_GRID, "cellClicked"),
                      State(ids.SOC_EXPANDED, "data"), audit_view="safety:incidence")
    def incidence(mode, sort, expand_all, clicked, expanded):
        try:
            data = current_trial_data()
        except NoActiveCut:
            return [], [], [], NO_CUT
        severity = mode == "severity"
        sort = sort if sort in ("incidence", "alpha") or (sort == "rd" and _armed(data) and not severity) \
            else "incidence"
        table = _incidence(data, severity)
        ordered = memoized(data, "safety:incidence-order", lambda: ae_tables.order_incidence(table, sort),
                           severity, sort)
        trigger = dash.ctx.triggered_id
        valid = set(ordered.loc[ordered["LEVEL"] == "SOC", "AEBODSYS"].astype(str))
        kept = [s for s in (expanded or []) if isinstance(s, str) and s in valid]
        clicked_soc = safety_tables.clicked_class(clicked) if trigger == ids.SOC_GRID else None
        kept = safety_tables.toggle(kept, clicked_soc if clicked_soc in valid else None)
        visible = ae_tables.visible_rows(ordered, None if expand_all else kept)
        rows = safety_tables.incidence_rows(visible, None if expand_all else kept, severity)
        population = int(table[f"N{len(_groups(data)) - 1}"].iloc[0]) if len(table) else 0
        note = (f"Subjects with at least one treatment-emergent event (a subject counts once per class and term); "
                f"safety population {population}. Click a class to show its terms.")
        if severity:
            note += " Each subject is counted once, at the maximum severity of the term (unknown counts as severe)."
        elif _armed(data):
            note += " Risk difference in percentage points against the first arm, 95% Newcombe hybrid-score CI."
        return (_records(rows), ids.incidence_columns(_groups(data), _comparisons(data), severity), kept, note)

    @guarded_callback(app, Permission.VIEW_SAFETY, Output(ids.SEVERITY_GRAPH, "figure"),
                      Input(ids.SEVERITY_GRAPH, "id"), audit_view="safety:severity")
    def severity(_graph_id):
        try:
            data = current_trial_data()
        except NoActiveCut:
            return _no_cut_figure(fig_ae.SEVERITY_TITLE)
        return memoized(data, "safety:severity-figure", lambda: fig_ae.max_severity_figure(
            _incidence(data, True), stamp(data), arm_labels=data.arm_labels if _armed(data) else ()))

    @guarded_callback(app, Permission.VIEW_SAFETY, Output(ids.FOREST_GRAPH, "figure"),
                      Input(ids.FOREST_TOP, "value"), audit_view="safety:forest")
    def forest(top_n):
        try:
            data = current_trial_data()
        except NoActiveCut:
            return _no_cut_figure(fig_ae.FOREST_TITLE)
        if not _armed(data):
            return empty_figure(fig_ae.FOREST_TITLE, stamp(data), "Risk differences are shown in the closed report only.")
        top = int(top_n) if isinstance(top_n, (int, float)) and 1 <= top_n <= 100 else 15
        return memoized(data, "safety:forest", lambda: fig_ae.forest_figure(
            ae_tables.forest_rows(_incidence(data, False), top), data.arm_labels, stamp(data)), top)

    @guarded_callback(app, Permission.VIEW_SAFETY,
                      Output(ids.SAE_GRID, "rowData"), Output(ids.SAE_GRID, "columnDefs"),
                      Output(ids.SAE_NOTE, "children"), Output(ids.DEATH_GRID, "rowData"),
                      Output(ids.DEATH_GRID, "columnDefs"), Output(ids.DEATH_NOTE, "children"),
                      Input(ids.LISTING_SEARCH, "value"), audit_view="safety:listings")
    def listings(search):
        try:
            data = current_trial_data()
        except NoActiveCut:
            return [], [], NO_CUT, [], [], NO_CUT
        search = search if isinstance(search, str) else ""
        sae, deaths = _listings(data, search[:100])
        sae_shown, sae_total = ae_listings.cap_rows(sae, MAX_LISTING_ROWS)
        death_shown, death_total = ae_listings.cap_rows(deaths, MAX_LISTING_ROWS)
        return (_records(sae_shown), ids.listing_columns(list(sae.columns), SAE_LABELS),
                _shown(sae_total, "serious adverse events"), _records(death_shown),
                ids.listing_columns(list(deaths.columns), SAE_LABELS), _shown(death_total, "deaths"))

    @guarded_callback(app, Permission.VIEW_SAFETY,
                      Output(ids.SAE_DOWNLOAD, "data"), Output(ids.DEATH_DOWNLOAD, "data"),
                      Output(ids.CHANGES_DOWNLOAD, "data"),
                      Input(ids.SAE_CSV, "n_clicks"), Input(ids.DEATH_CSV, "n_clicks"),
                      Input(ids.CHANGES_CSV, "n_clicks"), State(ids.LISTING_SEARCH, "value"),
                      prevent_initial_call=True, audit_view="safety:export")
    def download(_sae, _death, _changes, search):
        try:
            data = current_trial_data()
        except NoActiveCut:
            return no_update, no_update, no_update
        trigger = dash.ctx.triggered_id
        if trigger == ids.CHANGES_CSV:
            frame = ae_listings.changes_listing(_previous_changes(data)[1])
            if _armed(data):
                frame = ae_listings.with_arm(frame, data.treated_arm_of)
            return no_update, no_update, send_csv(frame, data, title="AE records changed since the previous cut",
                                                  filename="ae_changes")
        sae, deaths = _listings(data, search if isinstance(search, str) else "")
        if trigger == ids.DEATH_CSV:
            return no_update, send_csv(deaths, data, title="Death listing", filename="deaths"), no_update
        return send_csv(sae, data, title="Serious adverse event listing", filename="sae_listing"), no_update, no_update

    @guarded_callback(app, Permission.VIEW_SAFETY,
                      Output(ids.PROFILE_MODAL, "is_open"), Output(ids.PROFILE_TITLE, "children"),
                      Output(ids.PROFILE_INFO, "children"), Output(ids.PROFILE_GRAPH, "figure"),
                      Output(ids.PROFILE_EVENTS, "rowData"), Output(ids.PROFILE_EVENTS, "columnDefs"),
                      Input(ids.SAE_GRID, "selectedRows"), Input(ids.DEATH_GRID, "selectedRows"),
                      prevent_initial_call=True, audit_view="safety:profile")
    def profile(sae_rows, death_rows):
        rows = death_rows if dash.ctx.triggered_id == ids.DEATH_GRID else sae_rows
        subject = rows[0].get("USUBJID") if isinstance(rows, list) and rows and isinstance(rows[0], dict) else None
        try:
            data = current_trial_data()
        except NoActiveCut:
            return False, no_update, no_update, no_update, no_update, no_update
        f = _frames(data)
        if not isinstance(subject, str) or subject not in set(f.population["USUBJID"]):
            return False, no_update, no_update, no_update, no_update, no_update
        return memoized(data, "safety:profile", lambda: _profile(data, subject), subject)

    @guarded_callback(app, Permission.VIEW_SAFETY, Output(ids.SWIMMER_GRAPH, "figure"),
                      Input(ids.SWIMMER_FILTER, "value"), audit_view="safety:timelines")
    def swimmer(choice):
        try:
            data = current_trial_data()
        except NoActiveCut:
            return _no_cut_figure(fig_tl.SWIMMER_TITLE)
        serious = choice == "serious"
        return memoized(data, "safety:swimmer", lambda: _swimmer(data, serious), serious)

    @guarded_callback(app, Permission.VIEW_SAFETY,
                      Output(ids.LAB_TEST, "options"), Output(ids.LAB_TEST, "value"),
                      Output(ids.EDISH_GRAPH, "figure"), Output(ids.EDISH_TABLE, "children"),
                      Output(ids.CREAT_GRAPH, "figure"), Input(ids.LAB_TEST, "id"), audit_view="safety:labs")
    def lab_overview(_dropdown_id):
        try:
            data = current_trial_data()
        except NoActiveCut:
            return [], None, _no_cut_figure("eDISH"), notice(NO_CUT, "secondary"), _no_cut_figure("Creatinine")
        return memoized(data, "safety:lab-overview", lambda: _lab_overview(data))

    @guarded_callback(app, Permission.VIEW_SAFETY,
                      Output(ids.LAB_BOX, "figure"), Output(ids.LAB_SPAGHETTI, "figure"),
                      Output(ids.LAB_SHIFT, "children"), Input(ids.LAB_TEST, "value"), audit_view="safety:labs")
    def lab_test(testcd):
        try:
            data = current_trial_data()
        except NoActiveCut:
            return _no_cut_figure("Labs"), _no_cut_figure("Labs"), notice(NO_CUT, "secondary")
        index = _lab_index(data)
        if not isinstance(testcd, str) or testcd not in index:
            message = "Choose a laboratory test." if index else "This cut has no laboratory values."
            return (empty_figure("Values by visit", stamp(data), message),
                    empty_figure("Individual values", stamp(data), message), notice(message, "secondary"))
        return memoized(data, "safety:lab-test", lambda: _lab_test(data, index[testcd], testcd), testcd)

    @guarded_callback(app, Permission.VIEW_SAFETY,
                      Output(ids.CHANGES_NOTE, "children"), Output(ids.CHANGES_GRID, "rowData"),
                      Output(ids.CHANGES_GRID, "columnDefs"), Output(ids.CHANGES_DEATHS, "rowData"),
                      Output(ids.CHANGES_DEATHS, "columnDefs"), Input(ids.CHANGES_GRID, "id"),
                      audit_view="safety:changes")
    def changes_since_previous(_grid_id):
        try:
            data = current_trial_data()
        except NoActiveCut:
            return notice(NO_CUT, "secondary"), [], [], [], []
        previous_date, ae_changed, deaths_changed = _previous_changes(data)
        if previous_date is None:
            return notice("There is no earlier cut to compare with.", "secondary"), [], [], [], []
        summary = changes.change_summary(ae_changed, deaths_changed)
        text = f"Compared with the cut of {previous_date}: " + "; ".join(
            f"{r.LABEL.lower()} {r.COUNT}" for r in summary.itertuples()) + "."
        listing = ae_listings.changes_listing(ae_changed)
        deaths = deaths_changed.assign(DTHDT=deaths_changed["DTHDT"])
        if _armed(data):
            listing, deaths = ae_listings.with_arm(listing, data.treated_arm_of), ae_listings.with_arm(deaths, data.treated_arm_of)
        shown, total = ae_listings.cap_rows(listing, MAX_LISTING_ROWS)
        if total > MAX_LISTING_ROWS:
            text += f" Showing the first {MAX_LISTING_ROWS} of {total} records; the CSV has all."
        return (notice(text, "info"), _records(shown), ids.listing_columns(list(listing.columns), SAE_LABELS),
                _records(deaths), ids.listing_columns(list(deaths.columns), {**SAE_LABELS, "DTHDT": "Date of death"}))

