"""Outcomes page tables: the subjects behind each trajectory point, the event proportions (pooled or by arm with
risk differences and the log-rank p) and the worst-rank analysis, as AG Grid rows and column definitions."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analysis.worst_rank import MANN_WHITNEY, STATUS_LABELS, STATUSES, WITH_CHANGE, format_p
from dashboard.figures.effects import NOMINAL, p_text
from dashboard.figures.effects import format_p as format_p_value

WRAPPED = {"wrapHeaderText": True}
CELL_WRAPPED = {"wrapText": True, "autoHeight": True, "cellStyle": {"lineHeight": "1.3", "wordBreak": "normal",
                                                                   "paddingTop": "4px", "paddingBottom": "4px"}}


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


def _percent(value: float) -> str:
    return "–" if value is None or math.isnan(value) else f"{100 * value:.1f}"


def _n_of(events: int, n: int, proportion: float) -> str:
    return f"{events}/{n} ({_percent(proportion)} %)" if n else "0/0"


def _interval(low: float, high: float) -> str:
    return "–" if math.isnan(low) else f"{_percent(low)} to {_percent(high)}"


def _comparison(r: pd.Series) -> str:
    """"−1.1 (−7.0 to 4.4); p = 0.62" for one arm against the reference, or why there is no p-value."""
    if math.isnan(r["DIFF"]):
        return "–"
    p = r["FISHER_NOTE"] or (f"p {format_p_value(r['FISHER_P'])}" if not math.isnan(r["FISHER_P"]) else "no p-value")
    return f"{_percent(r['DIFF'])} ({_interval(r['DIFF_LOW'], r['DIFF_HIGH'])}); {p}"


def _logrank_cell(group: pd.DataFrame) -> str:
    first = group.iloc[0]
    if first["P_NOTE"] or math.isnan(first["P"]):
        return first["P_NOTE"] or "not computable"
    return f"p {format_p_value(first['P'])} ({first['P_TEST']})"


def event_table_grid(summary: pd.DataFrame, *, arms: Sequence[str] | None = None,
                     reference: str | None = None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """AG Grid rows and column definitions for the event-proportion table (pooled or by arm)."""
    columns: list[dict[str, Any]] = [{"field": "event", "headerName": "Event", "minWidth": 140, "pinned": "left"}]
    rows: list[dict[str, Any]] = []
    if not arms:
        columns += [{"field": "n", "headerName": "Subjects with event", "minWidth": 130},
                    {"field": "ci", "headerName": "95% CI, % (Wilson)", "minWidth": 110}]
        for r in summary.itertuples(index=False):
            rows.append({"event": r.LABEL, "n": _n_of(int(r.EVENTS), int(r.N), float(r.PROPORTION)),
                         "ci": _interval(float(r.LOW), float(r.HIGH))})
        return rows, _fitted(columns)
    for i, arm in enumerate(arms):
        columns.append({"field": f"arm_{i}", "headerName": arm, "minWidth": 140})
    compared = [a for a in arms if a != reference]
    for i, arm in enumerate(compared):
        columns.append({"field": f"rd_{i}", "minWidth": 220,
                        "headerName": f"Risk difference {arm} vs {reference}, % points (95% CI, Newcombe); "
                                      f"Fisher's exact p ({NOMINAL})",
                        "headerTooltip": f"Difference in proportions, {arm} minus {reference}; Newcombe hybrid score "
                                         "interval; p from Fisher's exact test, two-sided (scipy.stats.fisher_exact),"
                                         f" {NOMINAL}; none with too few events in the two arms."})
    columns.append({"field": "logrank", "headerName": f"Log-rank p, all arms ({NOMINAL})", "minWidth": 120,
                    "headerTooltip": "statsmodels survdiff; where death competes, the cause-specific log-rank "
                                     "(competing events censored)", "tooltipField": "logrank_test"})
    for label, group in summary.groupby("LABEL", sort=False):
        row: dict[str, Any] = {"event": label}
        for i, arm in enumerate(arms):
            r = group[group["ARM"] == arm].iloc[0]
            row[f"arm_{i}"] = _n_of(int(r["EVENTS"]), int(r["N"]), float(r["PROPORTION"]))
        for i, arm in enumerate(compared):
            row[f"rd_{i}"] = _comparison(group[group["ARM"] == arm].iloc[0])
        row["logrank"] = _logrank_cell(group)
        row["logrank_test"] = p_text(float(group["P"].iloc[0]), str(group["P_TEST"].iloc[0]),
                                     str(group["P_NOTE"].iloc[0]))
        rows.append(row)
    return rows, _fitted(columns)


def _fitted(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Columns that share the card's width and wrap long headers and cells ("too few events") instead of
    scrolling or cutting them short."""
    return [{**c, "flex": 1, "wrapHeaderText": True, "autoHeaderHeight": True, "floatingFilter": False,
             "wrapText": True, "autoHeight": True, "cellStyle": {"lineHeight": "1.4", "wordBreak": "normal"}}
            for c in columns]


def median_grid(result: Any, unit: str = "", descriptions: dict[str, str] | None = None,
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows and columns of the medians table under a time-to-event curve: per group, subjects, events (and what they
    were, ADTTE EVNTDESC, when given), censored and the Kaplan-Meier median (`result`: the toolkit's `Survival`)."""
    columns = [{"field": "group", "headerName": "Arm" if result.by_arm else "Group", "minWidth": 150},
               {"field": "n", "headerName": "Subjects", "type": "numericColumn"},
               {"field": "events", "headerName": "Events", "type": "numericColumn"},
               *([{"field": "described", "headerName": "Events by description (EVNTDESC)", "minWidth": 200}]
                 if descriptions is not None else []),
               {"field": "censored", "headerName": "Censored", "type": "numericColumn"},
               {"field": "median", "headerName": f"Median time to event ({unit or 'AVAL'}, Kaplan-Meier)",
                "minWidth": 150}]
    rows = [{"group": r.GROUP, "n": int(r.N), "events": int(r.EVENTS), "censored": int(r.N - r.EVENTS),
             "median": "not reached" if math.isnan(r.MEDIAN) else f"{r.MEDIAN:g}",
             **({"described": descriptions.get(r.GROUP, "–")} if descriptions is not None else {})}
            for r in result.medians.itertuples(index=False)]
    return rows, _fitted(columns)
