"""Time-to-event curves with the numbers at risk under them, and the event-proportion table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboard.analysis.events import CAUSE_SPECIFIC_TEST
from dashboard.figures.common import POOLED_COLOR, arm_colors, base_figure, empty_figure
from dashboard.figures.effects import NOMINAL, format_p, p_text

POOLED_ROW = "All"


def curve_method(competing: bool) -> str:
    """How the curve was estimated, as the axis states it."""
    if competing:
        return "Cumulative incidence (Aalen-Johansen; death is a competing event)"
    return "Cumulative incidence (1 − Kaplan-Meier)"


def _curve_trace(rows: pd.DataFrame, name: str, color: str) -> go.Scatter:
    return go.Scatter(
        x=rows["DAY"].tolist(), y=(rows["INCIDENCE"] * 100).round(3).tolist(), name=name, mode="lines",
        line={"shape": "hv", "color": color, "width": 2.5},
        customdata=list(zip(rows["AT_RISK"].tolist(), rows["EVENTS"].tolist())),
        hovertemplate=(f"<b>{name}</b><br>Day %{{x:.0f}}: %{{y:.1f}} %<br>at risk %{{customdata[0]}}, "
                       "events %{customdata[1]}<extra></extra>"),
    )


def incidence_figure(curves: pd.DataFrame, risk: pd.DataFrame, event_label: str, stamp: str, *,
                     competing: bool, unknown_day: int = 0, arms: Sequence[str] | None = None,
                     test: pd.DataFrame | None = None) -> go.Figure:
    """Step curves (pooled or one per arm) with a numbers-at-risk table beneath and, by arm, the log-rank test."""
    title = f"Time to {event_label.lower()}"
    if curves.empty or int(risk["AT_RISK"].max() if len(risk) else 0) == 0:
        return empty_figure(title, stamp, f"No subject with follow-up for {event_label.lower()} in this cut yet.")
    fig = base_figure(title, stamp)
    groups = list(arms) if arms else [POOLED_ROW]
    colors = arm_colors(arms) if arms else {POOLED_ROW: POOLED_COLOR}
    for group in groups:
        rows = curves[curves["ARM"] == group] if arms else curves
        fig.add_trace(_curve_trace(rows, group if arms else "All randomized subjects", colors[group]))
    for group in groups:
        rows = risk[risk["ARM"] == group] if arms else risk
        fig.add_trace(go.Scatter(x=rows["DAY"].tolist(), y=[group] * len(rows),
                                 text=rows["AT_RISK"].astype(str).tolist(),
                                 mode="text", textfont={"color": colors[group], "size": 12}, xaxis="x", yaxis="y2",
                                 cliponaxis=False, showlegend=False, hoverinfo="skip"))
    notes = test_notes(test) if test is not None and len(test) else []
    if unknown_day:
        notes.append(f"{unknown_day} subject(s) with an event of unknown date are counted in the table, not here")
    if notes:
        fig.add_annotation(text="<br>".join(notes), showarrow=False, xref="paper", yref="paper", x=1.0, y=1.0,
                           xanchor="right", yanchor="bottom", align="right", font={"size": 11, "color": "#2c3e50"},
                           bgcolor="rgba(255,255,255,0.8)")
    max_day = float(risk["DAY"].max()) if len(risk) else float(curves["DAY"].max())
    days = sorted(risk["DAY"].unique()) if len(risk) else []
    step = float(days[1] - days[0]) if len(days) > 1 else 7.0      # ticks where the numbers at risk stand
    fig.update_layout(
        xaxis={"anchor": "y2", "range": [-0.5, max_day + 0.5], "title": {"text": "Study day"}, "dtick": step},
        yaxis={"domain": [0.4, 1.0], "title": {"text": "Subjects with event (%)"}, "rangemode": "tozero",
               "range": [0, max(5.0, float(curves["INCIDENCE"].max()) * 110)]},
        yaxis2={"domain": [0.0, 0.24], "type": "category", "categoryorder": "array",
                "categoryarray": list(reversed(groups)), "range": [-0.6, len(groups) - 0.4], "showgrid": False,
                "zeroline": False, "title": {"text": "At risk"},
                "tickfont": {"size": 11}, "automargin": True},      # an arm's full name, however long
        margin={"b": 60},
    )
    fig.add_annotation(text=curve_method(competing), showarrow=False, xref="paper", yref="paper", x=1.0, y=0.32,
                       xanchor="right", font={"size": 10, "color": "#7f8c8d"})
    return fig


def test_notes(test: pd.DataFrame) -> list[str]:
    """The test beside the curve, named for what it is, its p-value nominal and unadjusted (or why none)."""
    row = test.iloc[0]
    name = str(row["TEST"])
    shown = name[0].upper() + name[1:]
    if row["NOTE"] or math.isnan(row["P"]):
        lines = [f"{shown}: no p-value, {row['NOTE'] or 'not computable'}"]
    else:
        lines = [f"{shown}: χ² = {row['CHI2']:.2f}, df {int(row['DF'])}, p {format_p(row['P'])} ({NOMINAL})"]
    if name == CAUSE_SPECIFIC_TEST:
        lines.append("it compares cause-specific hazards, not the cumulative incidence drawn (no Gray's test)")
    return lines


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
    p = r["FISHER_NOTE"] or (f"p {format_p(r['FISHER_P'])}" if not math.isnan(r["FISHER_P"]) else "no p-value")
    return f"{_percent(r['DIFF'])} ({_interval(r['DIFF_LOW'], r['DIFF_HIGH'])}); {p}"


def _logrank_cell(group: pd.DataFrame) -> str:
    first = group.iloc[0]
    if first["P_NOTE"] or math.isnan(first["P"]):
        return first["P_NOTE"] or "not computable"
    return f"p {format_p(first['P'])} ({first['P_TEST']})"


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
