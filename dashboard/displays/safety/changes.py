"""Safety 'Changes since last cut' tab: what is new, changed or removed in the AE records and deaths since the
cut before the active one (the CSV is in the listings' export view)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.analysis import ae_listings, changes
from dashboard.analysis.ae_listings import json_records
from dashboard.blinding import TrialData
from dashboard.displays.model import Control, Display, Out, View
from dashboard.displays.safety import frames as fr
from dashboard.permissions import Permission
from dashboard.tables import safety as safety_tables
from layouts import safety as ids
from layouts.common import notice


def _without_changes(note: Any) -> dict[str, Any]:
    return {"changes_note": note, "changes_rows": [], "changes_columns": [], "death_changes_rows": [],
            "death_changes_columns": []}


def summary_text(previous_date: str, summary: pd.DataFrame) -> str:
    """One sentence: what changed since the cut of `previous_date`, count by count."""
    return f"Compared with the cut of {previous_date}: " + "; ".join(
        f"{r.LABEL.lower()} {r.COUNT}" for r in summary.itertuples()) + "."


def changes_view(data: TrialData, **_: Any) -> dict[str, Any]:
    """AE records new, changed or removed and deaths new since the previous cut; why none are shown when none are."""
    previous_date, ae_changed, deaths_changed, problem = fr.previous_changes(data)
    if problem:
        return _without_changes(notice(f"The previous cut cannot be read, so no changes are shown: {problem}.",
                                       "danger"))
    if previous_date is None:
        return _without_changes(notice("There is no earlier cut to compare with.", "secondary"))
    text = summary_text(previous_date, changes.change_summary(ae_changed, deaths_changed))
    listing, deaths = fr.with_arm_column(data, ae_listings.changes_listing(ae_changed), deaths_changed)
    shown, total = ae_listings.cap_rows(listing, fr.MAX_LISTING_ROWS)
    if total > fr.MAX_LISTING_ROWS:
        text += f" Showing the first {fr.MAX_LISTING_ROWS} of {total} records; the CSV has all."
    return {"changes_note": notice(text, "info"), "changes_rows": json_records(shown),
            "changes_columns": safety_tables.listing_columns(list(listing.columns), fr.listing_labels(data)),
            "death_changes_rows": json_records(deaths), "death_changes_columns": safety_tables.listing_columns(
                list(deaths.columns), fr.listing_labels(data, DTHDT="Date of death"))}


CHANGES_SUMMARY = Display(
    "safety.changes_summary", "Changes since the previous cut", "note", ("AE", "DM"),
    {"changes_note": Out(ids.CHANGES_NOTE, "children")}, analysis=(changes.change_summary,), builder=summary_text,
    fields=("AE.AESEQ", "AE.AESER", "DM.DTHDTC"), tab="changes")
AE_CHANGES = Display(
    "safety.ae_changes", "Adverse-event records new, changed or removed since the previous cut", "listing", ("AE",),
    {"changes_rows": Out(ids.CHANGES_GRID, "rowData"), "changes_columns": Out(ids.CHANGES_GRID, "columnDefs")},
    analysis=(changes.ae_changes, ae_listings.changes_listing), builder=safety_tables.listing_columns,
    fields=("AE.AESEQ", "AE.AEDECOD"), tab="changes")
DEATH_CHANGES = Display(
    "safety.death_changes", "Deaths new since the previous cut", "listing", ("DM",),
    {"death_changes_rows": Out(ids.CHANGES_DEATHS, "rowData"),
     "death_changes_columns": Out(ids.CHANGES_DEATHS, "columnDefs")},
    analysis=(changes.death_changes,), builder=safety_tables.listing_columns, fields=("DM.DTHDTC",), tab="changes")

VIEWS = (View("safety:changes", fr.PAGE, Permission.VIEW_SAFETY, changes_view,
              (CHANGES_SUMMARY, AE_CHANGES, DEATH_CHANGES), controls={"_grid": Control(ids.CHANGES_GRID, "id")},
              tabs=ids.TABS),)
