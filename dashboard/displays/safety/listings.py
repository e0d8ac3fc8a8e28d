"""Safety 'SAEs & deaths' tab: the serious-adverse-event and death listings, their CSV downloads (and the changes
listing's), and the one-subject profile a row click opens."""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import no_update

from dashboard.displays.common import send_csv
from dashboard.analysis import ae_listings, ae_timelines
from dashboard.analysis.ae_listings import json_records
from dashboard.blinding import TrialData
from dashboard.displays.model import Control, Display, Out, View
from dashboard.displays.safety import frames as fr
from dashboard.figures import safety_timelines as fig_tl
from dashboard.memo import memoized
from dashboard.permissions import Permission
from dashboard.tables import safety as safety_tables
from layouts import safety as ids

CLOSED_MODAL = {"profile_open": False, "profile_title": no_update, "profile_info": no_update,
                "profile_figure": no_update, "profile_rows": no_update, "profile_columns": no_update}


def listings(data: TrialData, search: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """SAE and death listings (with the safety arm for users who see arms), rows matching `search`."""
    f = fr.frames(data)
    _, ae_changed, deaths_changed, _ = fr.previous_changes(data)
    sae = memoized(data, "safety:sae-listing", lambda: ae_listings.sae_listing(f.events, ae_changed))
    deaths = memoized(data, "safety:death-listing", lambda: ae_listings.death_listing(
        data.dm, f.population, f.events, deaths_changed))
    sae, deaths = fr.with_arm_column(data, sae, deaths)
    if not data.config.discrete_doses:      # no infusion window for a continuous or cyclic regimen
        sae = sae.drop(columns="IR")
    return ae_listings.search_rows(sae, search), ae_listings.search_rows(deaths, search)


def shown_text(total: int, kind: str) -> str:
    """How many rows a listing has, and that only the first are shown when there are more."""
    if total > fr.MAX_LISTING_ROWS:
        return f"Showing the first {fr.MAX_LISTING_ROWS} of {total} {kind}; narrow the search or download the CSV."
    return f"{total} {kind}."


def listing_view(data: TrialData, search: Any = None) -> dict[str, Any]:
    """Both listings, the first rows of each, and how many there are."""
    sae, deaths = listings(data, (search if isinstance(search, str) else "")[:100])
    sae_shown, sae_total = ae_listings.cap_rows(sae, fr.MAX_LISTING_ROWS)
    death_shown, death_total = ae_listings.cap_rows(deaths, fr.MAX_LISTING_ROWS)
    labels = fr.listing_labels(data)
    return {"sae_rows": json_records(sae_shown), "sae_columns": safety_tables.listing_columns(list(sae.columns), labels),
            "sae_note": shown_text(sae_total, "serious adverse events") + fr.basis_note(data),
            "death_rows": json_records(death_shown),
            "death_columns": safety_tables.listing_columns(list(deaths.columns), labels),
            "death_note": shown_text(death_total, "deaths")}


def export(data: TrialData, _sae: Any = None, _death: Any = None, _changes: Any = None,
           search: Any = None) -> dict[str, Any]:
    """The CSV of the listing whose button was clicked (the search applied), stamped and audited."""
    answer: dict[str, Any] = {"sae_csv": no_update, "death_csv": no_update, "changes_csv": no_update}
    trigger = dash.ctx.triggered_id
    if trigger == ids.CHANGES_CSV:
        [frame] = fr.with_arm_column(data, ae_listings.changes_listing(fr.previous_changes(data).ae_changed))
        answer["changes_csv"] = send_csv(frame, data, title="AE records changed since the previous cut",
                                         filename="ae_changes")
        return answer
    sae, deaths = listings(data, search if isinstance(search, str) else "")
    if trigger == ids.DEATH_CSV:
        answer["death_csv"] = send_csv(deaths, data, title="Death listing", filename="deaths")
    else:
        answer["sae_csv"] = send_csv(sae, data, title="Serious adverse event listing", filename="sae_listing")
    return answer


def _subject_rows(data: TrialData) -> dict[str, dict[str, Any]]:
    """Row positions of each subject in the events, vital signs and key labs (for one-subject views)."""
    f = fr.frames(data)

    def compute() -> dict[str, dict[str, Any]]:
        vs = data.vs
        index = {"events": f.events.groupby("USUBJID").indices,
                 "vs": vs.groupby("USUBJID").indices if "USUBJID" in vs else {}}
        index.update({f"lab:{code}": rows.groupby("USUBJID").indices for code, rows in key_labs(data).items()})
        return index

    return memoized(data, "safety:subject-rows", compute)


def key_labs(data: TrialData) -> dict[str, pd.DataFrame]:
    """The liver and kidney tests the profile draws (ALT, AST, bilirubin, creatinine as configured)."""
    cfg = data.config.safety_labs
    wanted = (cfg.alt, cfg.ast, cfg.bilirubin, cfg.creatinine)
    return {code: rows for code, rows in fr.lab_index(data).items() if code in wanted}


def _arm_words(data: TrialData, subject: str) -> str:
    def by_arm(*, arm_of: pd.Series) -> str:
        basis = "as randomized" if data.config.safety_arm_basis == "planned" else "as treated"
        return f" · Arm: {arm_of.get(subject, 'not randomized')} ({basis})"

    return data.split(str, by_arm, basis="safety")


def profile_outputs(data: TrialData, subject: str) -> dict[str, Any]:
    """Modal contents of one subject's profile; the arm is named only for users who see arms."""
    f, rows = fr.frames(data), _subject_rows(data)

    def take(frame: pd.DataFrame, key: str) -> pd.DataFrame:
        return frame.iloc[rows[key].get(subject, [])] if key in rows else frame.iloc[0:0]

    labs = {code: take(lab, f"lab:{code}") for code, lab in key_labs(data).items()}
    prof = ae_timelines.subject_profile(subject, take(f.events, "events"), f.population, f.doses, f.clinical,
                                        f.obs_end, labs, take(data.vs, "vs"))
    first = f.population.set_index("USUBJID")["FIRSTDOSE"][subject]
    dose = "infusion" if data.config.discrete_doses else "dosing record"
    info = (f"First {dose} {first:%Y-%m-%d} · {len(prof['doses'])} {dose}s · "
            f"observed to study day {int(prof['lanes']['END'].iloc[0])}" + _arm_words(data, subject))
    figure = fig_tl.profile_figure(prof, fr.stamp(data), f"Patient profile {subject}", data.config.discrete_doses)
    labels = fr.listing_labels(data, AENDY="End (study day)", SERIOUS="Serious")
    return {"profile_open": True, "profile_title": f"Patient profile · {subject}", "profile_info": info,
            "profile_figure": figure, "profile_rows": json_records(prof["events"]),
            "profile_columns": safety_tables.listing_columns(list(prof["events"].columns), labels)}


def profile(data: TrialData, sae_rows: Any = None, death_rows: Any = None) -> dict[str, Any]:
    """The profile of the subject of the clicked listing row; the modal stays closed for anything else."""
    rows = death_rows if dash.ctx.triggered_id == ids.DEATH_GRID else sae_rows
    subject = rows[0].get("USUBJID") if isinstance(rows, list) and rows and isinstance(rows[0], dict) else None
    if not isinstance(subject, str) or subject not in set(fr.frames(data).population["USUBJID"]):
        return CLOSED_MODAL
    return memoized(data, "safety:profile", lambda: profile_outputs(data, subject), subject)


def _no_cut_modal(_sees_arms: bool) -> dict[str, Any]:
    return CLOSED_MODAL


LISTING_FIELDS = ("AE.AESER", "AE.AESTDTC", "AE.AEDECOD", "AE.AEOUT")
SAE_LISTING = Display(
    "safety.sae_listing", "Serious adverse events", "listing", ("DM", "EX", "AE"),
    {"sae_rows": Out(ids.SAE_GRID, "rowData"), "sae_columns": Out(ids.SAE_GRID, "columnDefs"),
     "sae_note": Out(ids.SAE_NOTE, "children")},
    analysis=(ae_listings.sae_listing, ae_listings.search_rows), builder=safety_tables.listing_columns,
    fields=LISTING_FIELDS, tab="listings")
DEATH_LISTING = Display(
    "safety.death_listing", "Deaths", "listing", ("DM", "EX", "AE", "DS"),
    {"death_rows": Out(ids.DEATH_GRID, "rowData"), "death_columns": Out(ids.DEATH_GRID, "columnDefs"),
     "death_note": Out(ids.DEATH_NOTE, "children")},
    analysis=(ae_listings.death_listing, ae_listings.search_rows), builder=safety_tables.listing_columns,
    fields=("DM.DTHDTC", "DM.DTHFL", "AE.AESDTH"), tab="listings")
CSV_EXPORTS = Display(
    "safety.listing_csv", "Listings as CSV (SAEs, deaths, changes since the previous cut)", "download",
    ("DM", "EX", "AE"), {"sae_csv": Out(ids.SAE_DOWNLOAD, "data"), "death_csv": Out(ids.DEATH_DOWNLOAD, "data"),
                         "changes_csv": Out(ids.CHANGES_DOWNLOAD, "data")},
    analysis=(ae_listings.sae_listing, ae_listings.death_listing, ae_listings.changes_listing), builder=send_csv,
    fields=LISTING_FIELDS, tab="listings", in_pack=False)
PROFILE = Display(
    "safety.profile", "Patient profile", "modal", ("DM", "EX", "AE", "LB", "VS"),
    {"profile_open": Out(ids.PROFILE_MODAL, "is_open"), "profile_title": Out(ids.PROFILE_TITLE, "children"),
     "profile_info": Out(ids.PROFILE_INFO, "children"), "profile_figure": Out(ids.PROFILE_GRAPH, "figure"),
     "profile_rows": Out(ids.PROFILE_EVENTS, "rowData"), "profile_columns": Out(ids.PROFILE_EVENTS, "columnDefs")},
    analysis=(ae_timelines.subject_profile,), builder=fig_tl.profile_figure,
    fields=("AE.AESTDTC", "AE.AEENDTC", "EX.EXSTDTC"), tab="listings", in_pack=False)

VIEWS = (
    View("safety:listings", fr.PAGE, Permission.VIEW_SAFETY, listing_view, (SAE_LISTING, DEATH_LISTING),
         controls={"search": Control(ids.LISTING_SEARCH, "value")}, tabs=ids.TABS),
    View("safety:export", fr.PAGE, Permission.VIEW_SAFETY, export, (CSV_EXPORTS,), prevent_initial_call=True,
         controls={"_sae": Control(ids.SAE_CSV, "n_clicks"), "_death": Control(ids.DEATH_CSV, "n_clicks"),
                   "_changes": Control(ids.CHANGES_CSV, "n_clicks"),
                   "search": Control(ids.LISTING_SEARCH, "value", state=True)}),
    View("safety:profile", fr.PAGE, Permission.VIEW_SAFETY, profile, (PROFILE,), prevent_initial_call=True,
         no_cut=_no_cut_modal,
         controls={"sae_rows": Control(ids.SAE_GRID, "selectedRows"),
                   "death_rows": Control(ids.DEATH_GRID, "selectedRows")}),
)
