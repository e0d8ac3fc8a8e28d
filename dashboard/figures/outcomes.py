"""Outcomes page: empty-state figures (no cut, closed-only display) and the tables under the figures (subjects
behind each point, survivors and deaths; the worst-rank analysis)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.analysis.worst_rank import MANN_WHITNEY, STATUS_LABELS, STATUSES, WITH_CHANGE, format_p
from dashboard.figures.common import empty_figure, stamp_text

WRAPPED = {"wrapHeaderText": True}
CELL_WRAPPED = {"wrapText": True, "autoHeight": True, "cellStyle": {"lineHeight": "1.3", "wordBreak": "normal",
                                                                   "paddingTop": "4px", "paddingBottom": "4px"}}

NO_CUT_MESSAGE = "No data cut has been loaded yet."


def no_cut_figure(title: str, sees_arms: bool) -> go.Figure:
    """Empty-state figure before the first data cut is loaded."""
    return empty_figure(title, stamp_text(None, sees_arms), NO_CUT_MESSAGE)


def closed_only_figure(title: str, stamp: str) -> go.Figure:
    """What a blinded user gets for a between-arm display: the same figure whatever the allocation."""
    return empty_figure(title, stamp, "Comparisons between arms are shown in the closed session only.")


def no_outcome_figure(title: str, stamp: str) -> go.Figure:
    """The trial configuration names no measured outcome or no event."""
    return empty_figure(title, stamp, "The trial configuration names nothing to show here.")


def missing_domain_figure(title: str, stamp: str, domain: str, label: str) -> go.Figure:
    """The configured outcome's findings domain is not in this cut: say so rather than show an empty plot."""
    return empty_figure(title, stamp, f"This data cut has no {domain} domain, so {label} cannot be shown "
                                      "(the trial configuration names it).")


def _visit_columns(visits: pd.DataFrame) -> list[dict[str, Any]]:
    """One narrow numeric column per visit with records, headed by its name (wrapped, never cut off)."""
    return [{"field": f"v{i}", "headerName": name, "minWidth": 64, "flex": 1, "type": "numericColumn", **WRAPPED,
             "autoHeaderHeight": True} for i, name in enumerate(visits["VISIT"])]


def subjects_grid(values: pd.DataFrame, counts: pd.DataFrame, visits: pd.DataFrame,
                  arms: Sequence[str] | None = None, change_label: str = "with a change from baseline",
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows and columns of the table under the trajectory and change figures: per visit (columns) and arm (row
    groups), subjects with a value, with a change, who died by the visit, not yet due, alive without a value.

    `values` is the trajectory summary (VISITNUM, [ARM,] N); `counts` the status counts (VISITNUM, [ARM,] STATUS,
    N); `visits` the visits shown (VISITNUM, VISIT, POSITION). A status that is 0 at every visit is not listed."""
    visits = visits.drop_duplicates("VISITNUM").sort_values("POSITION")
    columns: list[dict[str, Any]] = [
        {"field": "group", "headerName": "Arm (N randomized)" if arms else "All randomized (N)", "width": 150,
         "pinned": "left", **WRAPPED, **CELL_WRAPPED},
        {"field": "what", "headerName": "Subjects", "width": 200, "pinned": "left", **WRAPPED, **CELL_WRAPPED},
        *_visit_columns(visits)]
    rows: list[dict[str, Any]] = []
    for arm in (arms or [None]):
        mine_values = values if arm is None else values[values["ARM"] == arm]
        mine_counts = counts if arm is None else counts[counts["ARM"] == arm]
        total = _randomized(mine_counts)
        group = f"{arm or 'All'} (N {total})"
        lines = [("with a value", mine_values.set_index("VISITNUM")["N"])]
        labels = {**STATUS_LABELS, WITH_CHANGE: change_label}
        for status in STATUSES:
            series = mine_counts[mine_counts["STATUS"] == status].set_index("VISITNUM")["N"]
            if status == WITH_CHANGE or int(series.sum()) > 0:
                lines.append((labels[status], series))
        for j, (what, series) in enumerate(lines):
            row = {"group": group if j == 0 else "", "what": what}
            row.update({f"v{i}": (int(series[v]) if v in series.index else "–")
                        for i, v in enumerate(visits["VISITNUM"])})
            rows.append(row)
    return rows, columns


def _randomized(counts: pd.DataFrame) -> int:
    """Subjects of a group: every subject has exactly one status at each visit."""
    if counts.empty:
        return 0
    return int(counts.groupby("VISITNUM")["N"].sum().max())


def _number(value: float, digits: str = ".1f") -> str:
    return "–" if value is None or not np.isfinite(value) else format(value, digits)


def worst_rank_grid(tables: Sequence[tuple[str, str, pd.DataFrame]], arms: Sequence[str],
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows and columns of the worst-rank table: one row per outcome and arm (and a Kruskal-Wallis row with 3+
    arms); `tables` holds (outcome label, visit name, worst_rank frame)."""
    columns = [{"field": "outcome", "headerName": "Outcome", "minWidth": 150, **WRAPPED, **CELL_WRAPPED},
               {"field": "visit", "headerName": "Visit", "minWidth": 80, **WRAPPED, **CELL_WRAPPED},
               {"field": "arm", "headerName": "Arm", "minWidth": 150, **WRAPPED, **CELL_WRAPPED},
               {"field": "ranked", "headerName": "Ranked: deaths + survivors with a value / N", "minWidth": 150,
                **WRAPPED},
               {"field": "left_out", "headerName": "Not ranked: alive without a value, or visit not yet due", "minWidth": 90, **WRAPPED},
               {"field": "mean_rank", "headerName": "Mean rank (higher is better)", "minWidth": 90, **WRAPPED},
               {"field": "win", "headerName": "P(better than reference), ties half", "minWidth": 110, **WRAPPED},
               {"field": "test", "headerName": "Test", "minWidth": 190, **WRAPPED, **CELL_WRAPPED},
               {"field": "p", "headerName": "p (nominal, unadjusted)", "minWidth": 90, **WRAPPED}]
    rows = []
    for label, visit, table in tables:
        for j, r in enumerate(table.itertuples(index=False)):
            reference = r.ARM == r.REFERENCE
            rows.append({"outcome": label if j == 0 else "", "visit": visit if j == 0 else "",
                         "arm": f"{r.ARM} (reference)" if reference else r.ARM,
                         "ranked": f"{r.DEATHS} + {r.SURVIVORS} / {r.N}", "left_out": int(r.LEFT_OUT),
                         "mean_rank": _number(r.MEAN_RANK), "win": _number(r.WIN, ".2f"),
                         "test": (r.TEST + (f" vs {r.REFERENCE}" if r.TEST == MANN_WHITNEY else "")) if r.TEST else "",
                         "p": (format_p(r.P) or "too few to test") if r.TEST else ""})
    return rows, [{**c, "flex": 1, "autoHeaderHeight": True} for c in columns]


MAX_IDS = 20


def _ids(subjects: pd.Series) -> str:
    """Subject ids, at most MAX_IDS of them (then how many more)."""
    shown = ", ".join(subjects.astype("str").head(MAX_IDS))
    return shown + (f" and {len(subjects) - MAX_IDS} more" if len(subjects) > MAX_IDS else "")


def population_text(n: int, differences: pd.DataFrame, *, arms: Sequence[str] | None = None,
                    arm_counts: pd.Series | None = None, basis: str = "") -> list[str]:
    """Lines stating the Outcomes population and N, and who is in it but not in Safety's population (as
    treated): counts per arm and subject ids where arms may be seen; pooled counts and ids otherwise."""
    if arms and arm_counts is not None:
        per_arm = " | ".join(f"{arm} {int(arm_counts.get(arm, 0))}" for arm in arms)
        lines = [f"Population: all randomized subjects, {basis}; N = {n} ({per_arm})."]
    else:
        lines = [f"Population: all randomized subjects, pooled over arms; N = {n}."]
    safety = "Safety's population (randomized and dosed at least once"
    safety += ", by the arm received)" if arms else ")"
    if differences.empty:
        return lines + [f"{safety} holds the same subjects" + (" in the same arms." if arms else ".")]
    parts = []
    for reason, rows in differences.groupby("REASON", sort=True):
        counts = ""
        if arms:
            by_arm = rows["ARM"].value_counts()
            counts = " (" + " | ".join(f"{arm} {int(by_arm.get(arm, 0))}" for arm in arms) + ")"
            if reason == "dosed as another arm":
                moved = rows.assign(PAIR=rows["ARM"].astype(str) + " → " + rows["TREATED"].astype(str))
                counts += ": " + "; ".join(f"{pair}: {_ids(g['USUBJID'])}" for pair, g in moved.groupby("PAIR"))
                parts.append(f"{len(rows)} {reason}{counts}")
                continue
        parts.append(f"{len(rows)} {reason}{counts}: {_ids(rows['USUBJID'])}")
    return lines + [f"Differs from {safety}: " + "; ".join(parts) + "."]
