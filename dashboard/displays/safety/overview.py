"""Safety overview tab: the population statement, the headline tiles, the TEAE overview table, the reactions
within the infusion window, and the time to the first serious adverse event."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import html

from dashboard.analysis import ae as ae_tables
from dashboard.analysis import ae_infusion, ae_time, changes, safety_base, survival
from dashboard.analysis.ae_listings import json_records
from dashboard.analysis.safety import TOTAL, group_sizes, safety_population
from dashboard.analysis.safety_base import SafetyFrames
from dashboard.blinding import TrialData
from dashboard.displays.model import Control, Display, Out, View
from dashboard.displays.safety import frames as fr
from dashboard.figures import safety as fig_ae
from dashboard.figures.survival import survival_figure
from dashboard.memo import memoized
from dashboard.permissions import Permission
from dashboard.tables import safety as safety_tables
from layouts import safety as ids

KM_DAYS = (0, 7, 14, 21, 28)      # numbers at risk for follow-up of four weeks or less


def km_days(followup_days: int) -> tuple[int, ...]:
    """Days the numbers at risk are given: weekly up to four weeks; longer follow-up in about six whole-week steps,
    the last step at or beyond the end of follow-up, so the table runs to the end of the curves."""
    if followup_days <= KM_DAYS[-1]:
        return KM_DAYS
    step = 7 * -(-followup_days // 42)
    return tuple(range(0, followup_days + step, step))


def km_figure(data: TrialData) -> Any:
    """Kaplan-Meier curve of the time to the first serious TEAE, numbers at risk and (by arm) the log-rank test."""
    f = fr.frames(data)
    tte = ae_time.time_to_first_serious(f.teae, f.population, f.obs_end)
    followed = max(int(data.config.followup_days), int(tte["TIME"].max()) if len(tte) else 0)
    result = data.split(survival.pooled, survival.by_arm, tte, km_days(followed), label=TOTAL,
                        min_events=data.config.min_events_for_p, basis="safety")
    return survival_figure(result, fig_ae.KM_STYLE, fr.stamp(data))


def infusion_reactions(data: TrialData, f: SafetyFrames, headers: list[str]) -> dict[str, Any]:
    """Rows, columns, note and card style of the infusion-reaction table; hidden unless doses are discrete."""
    cfg = data.config
    if not cfg.discrete_doses:
        note = f"No infusion-window display: the dosing regimen is {cfg.regimen}, not discrete infusions."
        return {"ir_rows": [], "ir_columns": [], "ir_note": note, "ir_style": {"display": "none"}}
    ir = memoized(data, "safety:ir", lambda: data.split(
        ae_infusion.infusion_reaction_summary, ae_infusion.infusion_reaction_summary_by_arm,
        f.teae, f.population, f.doses, f.plan, basis="safety"))
    planned_days = ", ".join(str(int(d)) for d in f.plan["PLANNED_DAY"])
    note = (f"Treatment-emergent events starting within {cfg.infusion_reaction_window_hours} h after any "
            f"infusion. Infusions are numbered by the dosing plan ({len(f.plan)} infusions, planned on study "
            f"days {planned_days}), not by the order received. n/N: subjects with a reaction / subjects "
            "of the group who received that infusion (any infusion: the safety population)." + fr.basis_note(data))
    rows = safety_tables.count_cells(ir, ["CATEGORY"], fractions=True).rename(columns={"CATEGORY": "LABEL"})
    return {"ir_rows": json_records(rows), "ir_columns": safety_tables.overview_columns(headers, cell="n/N (%)"),
            "ir_note": note, "ir_style": {}}


def flag_delivered(frame: pd.DataFrame, name: str) -> bool:
    """Whether an ADaM flag is delivered and filled on some row: the rule `adam_flags` applies before using it
    (TRTEMFL for treatment-emergence, SAFFL for the safety population), so the notes name what was used."""
    return name in frame and bool(frame[name].astype("str").str.strip().fillna("").ne("").any())


def teae_rule(data: TrialData) -> str:
    """The treatment-emergence sentence: the delivered TRTEMFL where it decided, else the dashboard's derivation."""
    if flag_delivered(data.ae, "TRTEMFL"):
        return ("Treatment-emergent: TRTEMFL = Y as the analysis dataset flags it (ADAE); the dashboard does not "
                "derive it from the dosing dates.")
    dose = "infusion" if data.config.discrete_doses else "dose (first EX start; no end window)"
    return (f"Treatment-emergent: starting on or after the first {dose}; on its day the recorded times decide, "
            "and an event without a time (or after an untimed dose) counts (conservative; listings say 'same day, "
            "time unknown'). Partial dates imputed conservatively.")


def overview_note(data: TrialData, table: pd.DataFrame) -> str:
    """How the overview counts: treatment-emergence, N, relatedness and the basis of the arms."""
    vocabulary = data.config.vocabulary
    saffl = " (SAFFL = Y)" if flag_delivered(data.dm, "SAFFL") else ""
    note = (f"{teae_rule(data)} N: the safety population{saffl}" +
            (" of each arm." if data.access.sees_arms else ".") +
            f" Related: AEREL one of {', '.join(vocabulary.related)}.")
    if ae_tables.subjects_only(fr.frames(data).discont_source):
        note += (" Leading to discontinuation: subjects whose disposition reason is ADVERSE EVENT; the reason does "
                 "not say which adverse event, so no events are counted (—).")
    if (table["CATEGORY"] == ae_tables.NOT_ASSESSABLE[0]).any():
        note += (" Events whose AEREL is missing or in neither the related nor the not-related list are counted "
                 "as 'causality not assessable', not as unrelated.")
    return note + fr.basis_note(data)


def population_note(data: TrialData) -> list[Any]:
    """Who the safety views count, and who is randomized but not counted (or counted in another arm), with ids;
    arms only for users who see them."""
    f = fr.frames(data)
    dm = data.dm
    randomized = int(dm.loc[dm["RANDFL"] == "Y", "USUBJID"].nunique()) if "RANDFL" in dm else 0
    arms = data.split(tuple, lambda *, arm_of: (data.arms_by("randomized"), data.arms_by("treated")), basis="safety")
    dosed = safety_population(dm, data.ex)["USUBJID"]      # SAFFL = N leaves some of these out (ADaM)
    difference = safety_base.population_difference(dm, f.population, *arms, dosed=dosed)
    basis = "as randomized" if data.config.safety_arm_basis == "planned" else "as treated"
    lines = safety_tables.population_lines(group_sizes(f.population, fr.safety_arms(data)), randomized, difference,
                                           basis, fr.arm_labels(data), saffl=flag_delivered(dm, "SAFFL"))
    return [html.Div(line) for line in lines]


def _total_cell(row: pd.Series, total: int) -> str:
    return safety_tables.n_pct(pd.Series([row[f"n{total}"]]), pd.Series([row[f"pct{total}"]]))[0]


def tiles(data: TrialData, table: pd.DataFrame, total: int) -> dict[str, str]:
    """The headline numbers: safety population, any TEAE, serious TEAE, deaths, new since the previous cut."""
    rows = table.set_index("CATEGORY")
    previous = fr.previous_changes(data)
    summary = changes.change_summary(previous.ae_changed, previous.deaths_changed).set_index("KEY")["COUNT"]
    new = ("previous cut unreadable" if previous.problem else "–" if previous.cut_date is None else
           f"{summary['new_events']} AEs · {summary['new_serious']} SAEs · {summary['new_deaths']} deaths")
    return {"tile_population": f"{int(table[f'N{total}'].iloc[0])}", "tile_any": _total_cell(rows.loc["ANY"], total),
            "tile_serious": _total_cell(rows.loc["SERIOUS"], total), "tile_deaths": f"{len(fr.frames(data).deaths)}",
            "tile_new": new}


def overview_table(data: TrialData) -> pd.DataFrame:
    """Subjects and events per overview category (any TEAE, serious, related, ...), pooled or by arm."""
    f = fr.frames(data)
    unrecorded = ae_tables.not_recorded(data.ae, f.discont_source)
    categories = ae_tables.overview_categories(f.teae, f.discont_source, unrecorded)
    return memoized(data, "safety:overview", lambda: data.split(
        ae_tables.ae_overview, ae_tables.ae_overview_by_arm, f.teae, f.population, categories=categories,
        no_events=ae_tables.subjects_only(f.discont_source), unrecorded=tuple(unrecorded), basis="safety"))


def _overview(data: TrialData) -> dict[str, Any]:
    headers = fr.headers(data)
    table = overview_table(data)
    return {"population": population_note(data), **tiles(data, table, len(headers) - 1),
            "overview_rows": json_records(safety_tables.count_cells(table, ["LABEL"])),
            "overview_columns": safety_tables.overview_columns(headers), "overview_note": overview_note(data, table),
            **infusion_reactions(data, fr.frames(data), headers),
            "km": memoized(data, "safety:km", lambda: km_figure(data))}


def overview(data: TrialData, **_: Any) -> dict[str, Any]:
    """Every output of the overview tab (the population statement above the tabs included)."""
    return memoized(data, "safety:overview-outputs", lambda: _overview(data))


POPULATION = Display(
    "safety.population", "Safety population", "note", ("DM", "EX"), {"population": Out(ids.POPULATION_NOTE, "children")},
    analysis=(safety_base.population_difference, group_sizes), builder=safety_tables.population_lines,
    fields=("DM.RFSTDTC", "EX.EXSTDTC"), tab="overview")
TILES = Display(
    "safety.tiles", "Headline numbers", "tiles", ("DM", "EX", "AE"),
    {"tile_population": Out(ids.TILE_POPULATION, "children"), "tile_any": Out(ids.TILE_ANY, "children"),
     "tile_serious": Out(ids.TILE_SERIOUS, "children"), "tile_deaths": Out(ids.TILE_DEATHS, "children"),
     "tile_new": Out(ids.TILE_NEW, "children")},
    analysis=(ae_tables.ae_overview, changes.change_summary), builder=safety_tables.n_pct,
    fields=("AE.AESER", "DM.DTHFL"), tab="overview", in_pack=False)
AE_OVERVIEW = Display(
    "safety.ae_overview", "Treatment-emergent adverse events: overview", "table", ("DM", "EX", "AE", "DS"),
    {"overview_rows": Out(ids.OVERVIEW_GRID, "rowData"), "overview_columns": Out(ids.OVERVIEW_GRID, "columnDefs"),
     "overview_note": Out(ids.OVERVIEW_NOTE, "children")},
    analysis=(ae_tables.ae_overview, ae_tables.ae_overview_by_arm), builder=safety_tables.overview_columns,
    fields=("AE.AESTDTC", "AE.AESER", "AE.AEREL", "AE.AESEV", "AE.AEACN"), tab="overview")
INFUSION_REACTIONS = Display(
    "safety.infusion_reactions", "Adverse events starting soon after an infusion", "table", ("DM", "EX", "AE"),
    {"ir_rows": Out(ids.IR_GRID, "rowData"), "ir_columns": Out(ids.IR_GRID, "columnDefs"),
     "ir_note": Out(ids.IR_NOTE, "children"), "ir_style": Out(ids.IR_CARD, "style")},
    analysis=(ae_infusion.infusion_reaction_summary, ae_infusion.infusion_reaction_summary_by_arm),
    builder=safety_tables.count_cells, fields=("AE.AESTDTC", "EX.EXSTDTC"), tab="overview")
KM_FIRST_SAE = Display(
    "safety.km_first_sae", "Time to first serious adverse event", "figure", ("DM", "EX", "AE", "DS"),
    {"km": Out(ids.KM_GRAPH, "figure")},
    analysis=(ae_time.time_to_first_serious, survival.pooled, survival.by_arm),
    builder=survival_figure, fields=("AE.AESER", "AE.AESTDTC"), tab="overview")

VIEWS = (View("safety:overview", fr.PAGE, Permission.VIEW_SAFETY, overview,
              (POPULATION, TILES, AE_OVERVIEW, INFUSION_REACTIONS, KM_FIRST_SAE),
              controls={"_grid": Control(ids.OVERVIEW_GRID, "id")}, tabs=ids.TABS),)
