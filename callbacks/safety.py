"""Safety page callbacks: pooled for blinded users, by arm (coded or real labels) for the board and statistician.

Every callback: fetch the user's trial data, call analysis and figure functions through `memoized`, return.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, NamedTuple

import dash
import pandas as pd
from dash import Input, Output, State, html, no_update

from callbacks.common import send_csv, stamp
from dashboard import blinding, cuts
from dashboard.analysis import ae as ae_tables
from dashboard.analysis import (ae_infusion, arms, ae_listings, ae_time, ae_timelines, changes, labs, safety_base,
                                safety_tables)
from dashboard.analysis.effects import comparison_reference
from dashboard.analysis.safety import group_labels, group_sizes
from dashboard.analysis.safety_base import SafetyFrames, safety_frames
from dashboard.blinding import Access, ArmedTrialData, TrialData
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
KM_DAYS = (0, 7, 14, 21, 28)      # numbers at risk for follow-up of four weeks or less
NO_CUT = "No data cut has been loaded yet."
log = logging.getLogger(__name__)
SAE_LABELS = {"USUBJID": "Subject", "ARM": "Arm", "AESEQ": "Seq", "AEBODSYS": "System organ class",
              "AEDECOD": "Preferred term", "AETERM": "Reported term", "AESEV": "Severity", "AEREL": "Relationship",
              "AEACN": "Action taken", "AEOUT": "Outcome", "AESTDTC": "Start", "AEENDTC": "End",
              "ADY": "Study day", "TEAE": "Treatment-emergent",
              "FATAL": "Fatal", "CHANGE": "Since previous cut", "DTHDTC": "Date of death",
              "DTHDY": "Study day of death", "CAUSE": "Fatal adverse events",
              "CHANGED_COLUMNS": "Changed columns", "AESER": "Serious"}


def _labels(data: TrialData, **extra: str) -> dict[str, str]:
    """Listing headers, the infusion-reaction column naming the trial's configured window."""
    return {**SAE_LABELS, "IR": f"Within {data.config.infusion_reaction_window_hours} h of infusion", **extra}


def _no_cut_figure(title: str = "Safety") -> Any:
    return empty_figure(title, stamp_text(None, False), NO_CUT)


def _grid_outputs(grid_id: str) -> tuple[Output, Output]:
    """The rows and the column definitions of a grid."""
    return Output(grid_id, "rowData"), Output(grid_id, "columnDefs")


def _armed(data: TrialData) -> bool:
    return isinstance(data, ArmedTrialData)


def _safety_arm(data: ArmedTrialData) -> pd.Series:
    """The arm safety views group by: as treated (ACTARMCD) unless the configuration says 'planned'."""
    return data.arm_of if data.config.safety_arm_basis == "planned" else data.treated_arm_of


def _arm_of(data: TrialData) -> pd.Series | None:
    """The safety arm (`_safety_arm`) of each subject, for users who see arms; None (pooled) for everyone else."""
    return _safety_arm(data) if _armed(data) else None


def _arm_labels(data: TrialData) -> tuple[str, ...]:
    return tuple(data.arm_labels) if _armed(data) else ()


def _split(data: TrialData, pooled: Callable[..., Any], by_arm: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`by_arm(*args, arm_of=...)` for users who see arms, `pooled(*args)` for everyone else (never given an arm)."""
    if _armed(data):
        return by_arm(*args, arm_of=_safety_arm(data), **kwargs)
    return pooled(*args, **kwargs)


def _with_arm(data: TrialData, *frames: pd.DataFrame) -> list[pd.DataFrame]:
    """Listings with the subject's arm as a column, for users who see arms; unchanged for everyone else."""
    return [arms.with_arm(frame, _safety_arm(data), keep_unarmed=True) if _armed(data) else frame for frame in frames]


def _frames(data: TrialData) -> SafetyFrames:
    domains = {name: data.domain(name) for name in ("DM", "EX", "AE", "DS", "PR", "HO")}
    return memoized(data, "safety:frames", lambda: safety_frames(domains, data.config, data.cut.cut_date))


def _configured_units(data: TrialData) -> dict[str, str]:
    return {o.testcd: o.unit for o in data.config.outcomes if o.domain == "LB" and o.unit}


def _lab_index(data: TrialData) -> dict[str, pd.DataFrame]:
    population = _frames(data).population
    return memoized(data, "safety:lab-index", lambda: labs.split_by_test(data.lb, population["USUBJID"],
                                                                         _configured_units(data)))


def _groups(data: TrialData) -> list[str]:
    return group_labels(data.arm_labels if _armed(data) else None)


def _headers(data: TrialData) -> list[str]:
    """Column headers of the group tables, each with its number of subjects: 'Group A (N=14)', 'All subjects (N=29)'."""
    population = _frames(data).population
    return memoized(data, "safety:headers", lambda: safety_tables.group_headers(
        group_sizes(population, _arm_of(data))))


class PreviousCut(NamedTuple):
    """The cut before the active one as the change views need it: its date (None when there is no earlier cut or it
    cannot be read), the AE record and death changes against it, and why it could not be read."""

    cut_date: str | None
    ae_changed: pd.DataFrame
    deaths_changed: pd.DataFrame
    problem: str | None = None


def _previous_changes(data: TrialData) -> PreviousCut:
    """Changes against the cut before the active one; a previous cut that fails its checks is named, not hidden."""

    def compute() -> PreviousCut:
        root = data_root()
        empty = (changes.ae_changes(data.ae, data.ae.iloc[0:0]).iloc[0:0],
                 changes.death_changes(data.dm, data.dm).iloc[0:0])
        try:
            previous_id = cuts.previous_cut_id(data.cut.cut_id, root)
            previous = blinding.trial_data(previous_id, data.access, data.config, root) if previous_id else None
        except (cuts.CutError, OSError) as exc:
            log.error("previous cut of %s refused: %s", data.cut.cut_id, exc)
            return PreviousCut(None, *empty, problem=cuts.refusal_reason(exc))
        if previous is None:
            return PreviousCut(None, *empty)
        return PreviousCut(previous.cut.cut_date, changes.ae_changes(data.ae, previous.ae),
                           changes.death_changes(data.dm, previous.dm))

    return memoized(data, "safety:changes", compute)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return ae_listings.json_records(frame)


def km_days(followup_days: int) -> tuple[int, ...]:
    """Days the numbers at risk are given: weekly up to four weeks; longer follow-up in about six whole-week steps,
    the last step at or beyond the end of follow-up, so the table runs to the end of the curves."""
    if followup_days <= KM_DAYS[-1]:
        return KM_DAYS
    step = 7 * -(-followup_days // 42)
    return tuple(range(0, followup_days + step, step))


def _km_figure(data: TrialData) -> Any:
    f = _frames(data)
    tte = ae_time.time_to_first_serious(f.teae, f.population, f.obs_end)
    curves = _split(data, ae_time.km_first_serious, ae_time.km_first_serious_by_arm, tte)
    followed = max(int(data.config.followup_days), int(tte["TIME"].max()) if len(tte) else 0)
    at_risk = _split(data, ae_time.at_risk_pooled, ae_time.at_risk_by_arm, tte, km_days(followed))
    logrank = _split(data, lambda _tte, **_: None, ae_time.logrank_by_arm, tte,
                     min_events=data.config.min_events_for_p)
    return fig_ae.km_figure(curves, at_risk, stamp(data), arm_labels=_arm_labels(data), logrank=logrank)


def _basis_words(data: TrialData) -> str:
    planned = data.config.safety_arm_basis == "planned"
    return "as randomized (planned arm)" if planned else "as treated (the arm actually received)"


def _basis(data: TrialData) -> str:
    """What a by-arm display groups by, said on each: the arm as treated (ACTARMCD) unless configured otherwise."""
    return f" Arms {_basis_words(data)}." if _armed(data) else ""


def _ir_outputs(data: TrialData, f: SafetyFrames, headers: list[str]) -> tuple:
    """Rows, columns, note and card style of the infusion-reaction table; hidden unless doses are discrete."""
    cfg = data.config
    if not cfg.discrete_doses:
        note = (f"No infusion-window display: the dosing regimen is {cfg.regimen}, not discrete infusions.")
        return [], [], note, {"display": "none"}
    ir = memoized(data, "safety:ir", lambda: _split(
        data, ae_infusion.infusion_reaction_summary, ae_infusion.infusion_reaction_summary_by_arm,
        f.teae, f.population, f.doses, f.plan))
    planned_days = ", ".join(str(int(d)) for d in f.plan["PLANNED_DAY"])
    note = (f"Treatment-emergent events starting within {cfg.infusion_reaction_window_hours} h after any "
            f"infusion. Infusions are numbered by the dosing plan ({len(f.plan)} infusions, planned on study "
            f"days {planned_days}), not by the order received. n/N: subjects with a reaction / subjects "
            "of the group who received that infusion (any infusion: the safety population)." + _basis(data))
    rows = safety_tables.count_cells(ir, ["CATEGORY"], fractions=True).rename(columns={"CATEGORY": "LABEL"})
    return _records(rows), ids.overview_columns(headers, cell="n/N (%)"), note, {}


def _overview_note(data: TrialData, table: pd.DataFrame) -> str:
    """How the overview counts: treatment-emergence, N, relatedness and the basis of the arms."""
    vocabulary = data.config.vocabulary
    dose = "infusion" if data.config.discrete_doses else "dose (first EX start; no end window)"
    note = (f"Treatment-emergent: starting on or after the first {dose}; on its day the recorded times decide, "
            "and an event without a time (or after an untimed dose) counts (conservative; listings say 'same day, "
            "time unknown'). Partial dates imputed conservatively. N: the safety population" +
            (" of each arm." if _armed(data) else ".") +
            f" Related: AEREL one of {', '.join(vocabulary.related)}.")
    if ae_tables.subjects_only(_frames(data).discont_source):
        note += (" Leading to discontinuation: subjects whose disposition reason is ADVERSE EVENT; the reason does "
                 "not say which adverse event, so no events are counted (—).")
    if (table["CATEGORY"] == ae_tables.NOT_ASSESSABLE[0]).any():
        note += (" Events whose AEREL is missing or in neither the related nor the not-related list are counted "
                 "as 'causality not assessable', not as unrelated.")
    return note + _basis(data)


def _population(data: TrialData) -> Any:
    """The population statement at the top of the page: who the safety views count, and who is randomized but not
    counted (or counted in another arm), with ids; arms only for users who see them."""
    f = _frames(data)
    dm = data.dm
    randomized = int(dm.loc[dm["RANDFL"] == "Y", "USUBJID"].nunique()) if "RANDFL" in dm else 0
    arms = (data.arm_of, data.treated_arm_of) if _armed(data) else ()
    difference = safety_base.population_difference(dm, f.population, *arms)
    planned = data.config.safety_arm_basis == "planned"
    basis = "as randomized" if planned else "as treated"
    lines = safety_tables.population_lines(group_sizes(f.population, _arm_of(data)), randomized, difference, basis,
                                           _arm_labels(data))
    return [html.Div(line) for line in lines]


def _overview(data: TrialData) -> tuple:
    f = _frames(data)
    headers = _headers(data)
    categories = ae_tables.overview_categories(f.teae, f.discont_source)
    table = memoized(data, "safety:overview", lambda: _split(
        data, ae_tables.ae_overview, ae_tables.ae_overview_by_arm, f.teae, f.population, categories=categories,
        no_events=ae_tables.subjects_only(f.discont_source)))
    figure = memoized(data, "safety:km", lambda: _km_figure(data))
    total = len(headers) - 1
    rows = table.set_index("CATEGORY")
    any_row, serious_row = rows.loc["ANY"], rows.loc["SERIOUS"]
    previous = _previous_changes(data)
    summary = changes.change_summary(previous.ae_changed, previous.deaths_changed).set_index("KEY")["COUNT"]
    new_tile = ("previous cut unreadable" if previous.problem else "–" if previous.cut_date is None else
                f"{summary['new_events']} AEs · {summary['new_serious']} SAEs · {summary['new_deaths']} deaths")
    tiles = (f"{int(table[f'N{total}'].iloc[0])}",
             safety_tables.n_pct(pd.Series([any_row[f"n{total}"]]), pd.Series([any_row[f"pct{total}"]]))[0],
             safety_tables.n_pct(pd.Series([serious_row[f"n{total}"]]), pd.Series([serious_row[f"pct{total}"]]))[0],
             f"{len(f.deaths)}", new_tile)
    ir_rows, ir_columns, ir_note, ir_style = _ir_outputs(data, f, headers)
    return (_population(data), *tiles, _records(safety_tables.count_cells(table, ["LABEL"])),
            ids.overview_columns(headers),
            _overview_note(data, table), ir_rows, ir_columns, ir_note, ir_style, figure)


def _incidence(data: TrialData, severity: bool) -> pd.DataFrame:
    f = _frames(data)
    if severity:
        return memoized(data, "safety:maxsev", lambda: _split(
            data, ae_tables.ae_max_severity, ae_tables.ae_max_severity_by_arm, f.teae, f.population))
    by_arm = functools.partial(ae_tables.ae_incidence_by_arm, reference=_reference(data))
    return memoized(data, "safety:incidence", lambda: _split(
        data, ae_tables.ae_incidence, by_arm, f.teae, f.population))


def _reference(data: TrialData) -> int:
    """Position of the arm risk differences are taken against, as the Outcomes page takes them
    (`effects.comparison_reference`: the configured reference arm; the first coded group while arms are coded)."""
    if not _armed(data):
        return 0
    name = comparison_reference(data.config, data.access == Access.CODED)
    return list(data.arm_labels).index(name) if name in data.arm_labels else 0


def _comparisons(data: TrialData) -> dict[int, str]:
    if not _armed(data):
        return {}
    ref = _reference(data)
    return {i: f"{label} − {data.arm_labels[ref]}" for i, label in enumerate(data.arm_labels) if i != ref}


def _listings(data: TrialData, search: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    f = _frames(data)
    _, ae_changed, deaths_changed, _ = _previous_changes(data)
    sae = memoized(data, "safety:sae-listing", lambda: ae_listings.sae_listing(f.events, ae_changed))
    deaths = memoized(data, "safety:death-listing", lambda: ae_listings.death_listing(
        data.dm, f.population, f.events, deaths_changed))
    sae, deaths = _with_arm(data, sae, deaths)
    if not data.config.discrete_doses:      # no infusion window for a continuous or cyclic regimen
        sae = sae.drop(columns="IR")
    return ae_listings.search_rows(sae, search), ae_listings.search_rows(deaths, search)


def _swimmer(data: TrialData, serious: bool) -> Any:
    f = _frames(data)
    subjects, total = _split(data, ae_timelines.swimmer_subjects, ae_timelines.swimmer_subjects_by_arm, f.events,
                             MAX_SWIMMER_LANES, serious_only=serious)
    lanes = ae_timelines.swimmer_data(subjects, f.events, f.population, f.doses, f.clinical, f.obs_end)
    return fig_tl.swimmer_figure(lanes, stamp(data), shown=len(subjects), total=total, lane_arm=_arm_of(data),
                                 discrete=data.config.discrete_doses)


def _lab_overview(data: TrialData) -> tuple:
    """Test options, eDISH figure and quadrant table, creatinine figure."""
    f, index, cfg = _frames(data), _lab_index(data), data.config.safety_labs
    tests = labs.lab_tests(data.lb, _configured_units(data))
    tests = tests[tests["TESTCD"].isin(list(index))]
    options = [{"label": labs.with_unit(str(t.TEST), t.UNIT), "value": str(t.TESTCD)} for t in tests.itertuples()]
    value = cfg.alt if cfg.alt in index else (options[0]["value"] if options else None)
    points = labs.edish_points(index, cfg)
    rise = labs.creatinine_rise(index.get(cfg.creatinine, pd.DataFrame(columns=list(labs.LAB_COLUMNS))),
                                f.population)
    quadrants = _split(data, labs.edish_quadrants, labs.edish_quadrants_by_arm, points, f.population)
    bands = _split(data, labs.creatinine_bands, labs.creatinine_bands_by_arm, rise, f.population)
    caveat, x_title = labs.edish_caveat(index, cfg)
    table = ids.summary_table(["Quadrant", *_headers(data)],
                              safety_tables.band_rows(quadrants, "QUADRANT", _groups(data), labs.QUADRANTS))
    if caveat:
        table = html.Div([html.Div(caveat[0].upper() + caveat[1:] + ".", className="text-muted small mb-2"), table])
    return (options, value,
            fig_labs.edish_figure(points, stamp(data), subject_arm=_arm_of(data), arm_labels=_arm_labels(data),
                                  caveat=caveat, x_title=x_title),
            table, fig_labs.creatinine_figure(bands, stamp(data), code=cfg.creatinine, present=cfg.creatinine in index,
                                              arm_labels=_arm_labels(data)))


def _lab_test(data: TrialData, rows: pd.DataFrame, testcd: str) -> tuple:
    """Box plot, spaghetti sample, baseline and change summary (with the unit) and shift tables of one test."""
    f = _frames(data)
    name = str(rows["LBTEST"].iloc[0]) if rows["LBTEST"].notna().any() else testcd
    unit = labs.test_units(rows, _configured_units(data)).get(testcd, "")
    sample, total = arms.spaghetti_sample(rows, MAX_SPAGHETTI_SUBJECTS, day="LBDY")
    summary = _split(data, labs.lab_visit_summary, labs.lab_visit_summary_by_arm, rows)
    shift = _split(data, labs.lab_shift, labs.lab_shift_by_arm, rows, f.population)
    baseline = _split(data, labs.lab_baseline_summary, labs.lab_baseline_summary_by_arm, rows, f.population)
    outliers = _split(data, labs.lab_visit_outliers, labs.lab_visit_outliers_by_arm, rows)
    box = fig_labs.lab_box_figure(summary, name, unit, stamp(data), arm_labels=_arm_labels(data), outliers=outliers)
    lines = fig_labs.lab_spaghetti_figure(sample, total, name, unit, stamp(data), subject_arm=_arm_of(data),
                                          arm_labels=_arm_labels(data))
    groups, headers = _groups(data), _headers(data)
    units = labs.reported_units(rows)
    mixed = [notice(f"{name} is reported in several units ({', '.join(units)}): values are shown as reported, "
                    "not converted; check LBSTRESU in the export.", "warning")] if len(units) > 1 else []
    tables = [html.Div(f"{labs.with_unit(name, unit)} · {labs.normal_range_text(rows, unit)} · baseline: the last "
                       "record flagged LBBLFL = Y; post-baseline: later visits. Median (Q1 to Q3), n." + _basis(data),
                       className="text-muted small mb-2"),
              *mixed,
              ids.summary_table(["", *headers], safety_tables.baseline_rows(baseline, groups, unit)),
              html.H6("Shift from baseline to the worst post-baseline value (normal range)", className="mt-4 mb-1")]
    for group, header in zip(groups, headers):
        head, body = safety_tables.shift_matrix(shift, group)
        if len(groups) > 1:
            tables.append(html.H6(header, className="mt-3 mb-1 text-muted"))
        tables.append(ids.summary_table(head, body))
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
    dose = "infusion" if data.config.discrete_doses else "dosing record"
    info = [f"First {dose} {first:%Y-%m-%d} · {len(prof['doses'])} {dose}s · "
            f"observed to study day {int(prof['lanes']['END'].iloc[0])}"]
    if _armed(data):
        basis = "as randomized" if data.config.safety_arm_basis == "planned" else "as treated"
        info.append(f" · Arm: {_safety_arm(data).get(subject, 'not randomized')} ({basis})")
    figure = fig_tl.profile_figure(prof, stamp(data), f"Patient profile {subject}", data.config.discrete_doses)
    return (True, f"Patient profile · {subject}", "".join(info), figure, _records(prof["events"]),
            ids.listing_columns(list(prof["events"].columns),
                                _labels(data, AENDY="End (study day)", SERIOUS="Serious")))


def _shown(total: int, kind: str) -> str:
    if total > MAX_LISTING_ROWS:
        return f"Showing the first {MAX_LISTING_ROWS} of {total} {kind}; narrow the search or download the CSV."
    return f"{total} {kind}."


def register(app: dash.Dash) -> None:
    @guarded_callback(app, Permission.VIEW_SAFETY, Output(ids.POPULATION_NOTE, "children"),
                      Output(ids.TILE_POPULATION, "children"), Output(ids.TILE_ANY, "children"),
                      Output(ids.TILE_SERIOUS, "children"), Output(ids.TILE_DEATHS, "children"),
                      Output(ids.TILE_NEW, "children"), *_grid_outputs(ids.OVERVIEW_GRID),
                      Output(ids.OVERVIEW_NOTE, "children"), *_grid_outputs(ids.IR_GRID),
                      Output(ids.IR_NOTE, "children"), Output(ids.IR_CARD, "style"), Output(ids.KM_GRAPH, "figure"),
                      Input(ids.OVERVIEW_GRID, "id"), audit_view="safety:overview")
    def overview(_grid_id):
        try:
            data = current_trial_data()
        except NoActiveCut:
            return (NO_CUT,) + ("–",) * 5 + ([], [], NO_CUT, [], [], NO_CUT, {}, _no_cut_figure())
        return memoized(data, "safety:overview-outputs", lambda: _overview(data))

    @guarded_callback(app, Permission.VIEW_SAFETY,
                      *_grid_outputs(ids.SOC_GRID), Output(ids.SOC_EXPANDED, "data"), Output(ids.SOC_NOTE, "children"),
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
        note = ("Subjects with at least one treatment-emergent event (a subject counts once per class and term); "
                "N: the safety population" + (" of each arm" if _armed(data) else "") +
                ". Click a class to show its terms." + _basis(data))
        reference = data.arm_labels[_reference(data)] if _armed(data) else ""
        if severity:
            note += " Each subject is counted once, at the maximum severity of the term (unknown counts as severe)."
        elif _armed(data):
            note += (f" Risk difference in percentage points against {reference} (reference arm), 95% Newcombe "
                     "hybrid-score CI, unadjusted for the many terms.")
        return (_records(rows), ids.incidence_columns(_headers(data), _comparisons(data), severity), kept, note)

    @guarded_callback(app, Permission.VIEW_SAFETY, Output(ids.SEVERITY_GRAPH, "figure"),
                      Input(ids.SEVERITY_GRAPH, "id"), audit_view="safety:severity")
    def severity(_graph_id):
        try:
            data = current_trial_data()
        except NoActiveCut:
            return _no_cut_figure(fig_ae.SEVERITY_TITLE)
        return memoized(data, "safety:severity-figure", lambda: fig_ae.max_severity_figure(
            _incidence(data, True), stamp(data), arm_labels=_arm_labels(data)))

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
            ae_tables.forest_rows(_incidence(data, False), top), data.arm_labels, stamp(data), _reference(data)), top)

    @guarded_callback(app, Permission.VIEW_SAFETY,
                      *_grid_outputs(ids.SAE_GRID), Output(ids.SAE_NOTE, "children"),
                      *_grid_outputs(ids.DEATH_GRID), Output(ids.DEATH_NOTE, "children"),
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
        return (_records(sae_shown), ids.listing_columns(list(sae.columns), _labels(data)),
                _shown(sae_total, "serious adverse events") + _basis(data), _records(death_shown),
                ids.listing_columns(list(deaths.columns), _labels(data)), _shown(death_total, "deaths"))

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
            [frame] = _with_arm(data, ae_listings.changes_listing(_previous_changes(data).ae_changed))
            return no_update, no_update, send_csv(frame, data, title="AE records changed since the previous cut",
                                                  filename="ae_changes")
        sae, deaths = _listings(data, search if isinstance(search, str) else "")
        if trigger == ids.DEATH_CSV:
            return no_update, send_csv(deaths, data, title="Death listing", filename="deaths"), no_update
        return send_csv(sae, data, title="Serious adverse event listing", filename="sae_listing"), no_update, no_update

    @guarded_callback(app, Permission.VIEW_SAFETY,
                      Output(ids.PROFILE_MODAL, "is_open"), Output(ids.PROFILE_TITLE, "children"),
                      Output(ids.PROFILE_INFO, "children"), Output(ids.PROFILE_GRAPH, "figure"),
                      *_grid_outputs(ids.PROFILE_EVENTS),
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
                      Output(ids.CHANGES_NOTE, "children"), *_grid_outputs(ids.CHANGES_GRID),
                      *_grid_outputs(ids.CHANGES_DEATHS), Input(ids.CHANGES_GRID, "id"),
                      audit_view="safety:changes")
    def changes_since_previous(_grid_id):
        try:
            data = current_trial_data()
        except NoActiveCut:
            return notice(NO_CUT, "secondary"), [], [], [], []
        previous_date, ae_changed, deaths_changed, problem = _previous_changes(data)
        if problem:
            return notice(f"The previous cut cannot be read, so no changes are shown: {problem}.", "danger"), \
                [], [], [], []
        if previous_date is None:
            return notice("There is no earlier cut to compare with.", "secondary"), [], [], [], []
        summary = changes.change_summary(ae_changed, deaths_changed)
        text = f"Compared with the cut of {previous_date}: " + "; ".join(
            f"{r.LABEL.lower()} {r.COUNT}" for r in summary.itertuples()) + "."
        listing, deaths = _with_arm(data, ae_listings.changes_listing(ae_changed), deaths_changed)
        shown, total = ae_listings.cap_rows(listing, MAX_LISTING_ROWS)
        if total > MAX_LISTING_ROWS:
            text += f" Showing the first {MAX_LISTING_ROWS} of {total} records; the CSV has all."
        return (notice(text, "info"), _records(shown), ids.listing_columns(list(listing.columns), _labels(data)),
                _records(deaths), ids.listing_columns(list(deaths.columns), _labels(data, DTHDT="Date of death")))

