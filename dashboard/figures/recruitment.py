"""Recruitment figures: cumulative accrual with projection, randomization balance, funnel, screen failures, periods.

Pooled figures get no arm; `randomization_balance_figure` gets the arm labels and draws one colour per arm.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.common import POOLED_COLOR, arm_colors, base_figure, empty_figure

ACCRUAL_TITLE = "Cumulative randomizations against target and plan"
BALANCE_TITLE = "Randomizations over time by arm"
FUNNEL_TITLE = "Screening funnel"
FAILURES_TITLE = "Screen-failure reasons (protocol criteria)"
PERIOD_TITLE = "Screened and randomized per {period}"
PLAN_COLOR = "#7f8c8d"
PROJECTION_COLOR = "#e67e22"
SCREENED_COLOR = "#95a5a6"
UNLISTED_COLOR = "#bdc3c7"
MAX_REASONS = 20


def _iso(values: pd.Series) -> list[str]:
    return [pd.Timestamp(v).date().isoformat() for v in values]


def projection_summary(projection: pd.Series) -> str:
    """One or two sentences on when the target will be reached (shown under the accrual figure)."""
    p = projection
    target = int(p["target"])
    plan = ""
    if p.get("plan_rate_date"):
        plan = (f" At the planned rate ({float(p['plan_rate_per_week']):.1f} a week) the remaining "
                f"{int(p['remaining'])} would be randomized by {p['plan_rate_date']}.")
    if p["status"] == "none":
        return f"No subject randomized yet; target {target}." + plan
    if p["status"] == "reached":
        when = f" on {p['reached_date']}" if p.get("reached_date") else ""
        return f"Target of {target} reached{when} ({int(p['randomized'])} randomized)."
    window = f"{int(float(p['window_days']))} days from {p['window_start']}"
    if p["status"] == "paused":
        return (f"No randomization in the last {window} (last on {p['last_randomization']}): recruitment "
                f"looks paused, so the recent rate gives no projection.") + plan
    coverage = round(100 * float(p["coverage"]))
    band = (f"{coverage} % interval {p['low_date']} to {p['high_date'] or 'beyond 10 years'}"
            if p.get("low_date") else "interval beyond 10 years")
    median = p["median_date"] or "more than 10 years away"
    return (f"Recent rate {float(p['rate_per_week']):.1f} a week ({int(p['window_events'])} in the last {window}). "
            f"Projected to reach {target}: {median} ({band}).") + plan


def accrual_figure(cumulative: pd.DataFrame, planned: pd.DataFrame, projection: pd.Series, stamp: str, *,
                   cut_date: str, show_target: bool = True, x_range: Sequence[str] | None = None) -> go.Figure:
    """Step line of cumulative randomizations, the target, the planned line and the projected date with a band."""
    fig = base_figure(ACCRUAL_TITLE, stamp)
    target = int(projection["target"])
    n = int(cumulative["cumulative"].iloc[-1]) if len(cumulative) else 0
    if show_target and len(planned):
        fig.add_trace(go.Scatter(x=_iso(planned["date"]), y=planned["planned"], mode="lines", name="Plan",
                                 line={"color": PLAN_COLOR, "dash": "dot", "width": 2},
                                 hovertemplate="Plan: %{y:.0f} by %{x}<extra></extra>"))
    if show_target and projection["status"] == "projected" and projection.get("median_date"):
        _add_projection(fig, projection, cut_date, n, target)
    if show_target and projection.get("plan_rate_date"):
        fig.add_trace(go.Scatter(x=[cut_date, projection["plan_rate_date"]], y=[n, target], mode="lines",
                                 name="Remaining at the planned rate",
                                 line={"color": PLAN_COLOR, "dash": "dashdot", "width": 1},
                                 hovertemplate="At the planned rate: %{y:.0f} by %{x}<extra></extra>"))
    if len(cumulative):
        x = [_iso(cumulative["date"])[0]] + _iso(cumulative["date"]) + [cut_date]
        y = [0] + cumulative["cumulative"].tolist() + [n]
        new = [0] + cumulative["new"].tolist() + [0]
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name="Randomized", customdata=new,
                                 line={"color": POOLED_COLOR, "shape": "hv", "width": 3},
                                 hovertemplate="%{x}: %{y} randomized (%{customdata} that day)<extra></extra>"))
    else:
        fig.add_annotation(text="No subject randomized yet", showarrow=False, xref="paper", yref="paper",
                           x=0.5, y=0.5, font={"size": 14, "color": "#7f8c8d"})
    if show_target:
        fig.add_hline(y=target, line={"color": "#c0392b", "dash": "dash", "width": 1},
                      annotation_text=f"Target {target}", annotation_position="top left")
    fig.add_vline(x=cut_date, line={"color": "#34495e", "dash": "dot", "width": 1})
    fig.update_xaxes(title="Randomization date", type="date", range=list(x_range) if x_range else None)
    fig.update_yaxes(title="Subjects randomized (cumulative)", rangemode="tozero")
    return fig


def _add_projection(fig: go.Figure, p: pd.Series, cut_date: str, n: int, target: int) -> None:
    coverage = round(100 * float(p["coverage"]))
    if p.get("low_date") and p.get("high_date"):
        fig.add_trace(go.Scatter(x=[cut_date, p["low_date"], p["high_date"], cut_date], y=[n, target, target, n],
                                 fill="toself", mode="lines", line={"width": 0}, fillcolor=PROJECTION_COLOR,
                                 opacity=0.18, name=f"Projection, {coverage} % interval", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=[cut_date, p["median_date"]], y=[n, target], mode="lines+markers",
                             name="Projection (median)", line={"color": PROJECTION_COLOR, "dash": "dash", "width": 2},
                             customdata=[[p["low_date"] or "", p["high_date"] or ""]] * 2,
                             hovertemplate=(f"Projected {target} by %{{x}}<br>{coverage} % interval "
                                            "%{customdata[0]} to %{customdata[1]}<extra></extra>")))


def randomization_balance_figure(by_arm: pd.DataFrame, arm_labels: Sequence[str], stamp: str) -> go.Figure:
    """Cumulative randomizations per arm over time, one colour per arm (display order)."""
    if by_arm.empty:
        return empty_figure(BALANCE_TITLE, stamp, "No subject randomized yet.")
    fig = base_figure(BALANCE_TITLE, stamp)
    colors = arm_colors(arm_labels)
    for label in arm_labels:
        rows = by_arm[by_arm["arm"] == label]
        fig.add_trace(go.Scatter(x=_iso(rows["date"]), y=rows["cumulative"], mode="lines", name=label,
                                 line={"shape": "hv", "color": colors[label], "width": 2}, customdata=rows["new"],
                                 hovertemplate=(f"{label}<br>%{{x}}: %{{y}} randomized "
                                                "(%{customdata} that day)<extra></extra>")))
    fig.update_xaxes(title="Randomization date", type="date")
    fig.update_yaxes(title="Subjects randomized (cumulative)", rangemode="tozero")
    return fig


def funnel_figure(funnel: pd.DataFrame, stamp: str) -> go.Figure:
    """Subjects at each stage from screening to completion, with % of screened and of the stage before."""
    if funnel.empty or int(funnel["subjects"].iloc[0]) == 0:
        return empty_figure(FUNNEL_TITLE, stamp, "No subject screened in this selection.")
    fig = base_figure(FUNNEL_TITLE, stamp)
    previous = funnel["pct_of_previous"].map(lambda v: "–" if pd.isna(v) else f"{v:.0f} %")
    fig.add_trace(go.Funnel(y=funnel["stage"], x=funnel["subjects"], marker={"color": POOLED_COLOR},
                            textinfo="value+percent initial", connector={"line": {"color": "#bdc3c7"}},
                            customdata=np.c_[funnel["pct_of_screened"].round(1), previous],
                            hovertemplate=("%{y}: %{x} subjects<br>%{customdata[0]} % of screened"
                                           "<br>%{customdata[1]} of the stage before<extra></extra>")))
    fig.update_layout(showlegend=False, margin={"l": 110})
    return fig


def _short(reason: str, code: str, width: int = 48) -> str:
    text = reason.split(":", 1)[1].strip() if ":" in reason and code else reason
    text = textwrap.shorten(text, width=width, placeholder="…")
    return f"{code} · {text}" if code else text


def screen_failure_figure(reasons: pd.DataFrame, stamp: str) -> go.Figure:
    """Ranked horizontal bars: subjects per failed criterion; criteria not in the protocol list in grey."""
    if reasons.empty:
        return empty_figure(FAILURES_TITLE, stamp, "No screen failure in this selection.")
    shown = reasons.head(MAX_REASONS)
    fig = base_figure(FAILURES_TITLE, stamp)
    labels = [_short(r, c) for r, c in zip(shown["reason"], shown["code"])]
    colors = [POOLED_COLOR if listed else UNLISTED_COLOR for listed in shown["in_protocol_list"]]
    fig.add_trace(go.Bar(x=shown["subjects"], y=labels, orientation="h", marker={"color": colors},
                         text=[f"{n} ({p:.0f} %)" for n, p in zip(shown["subjects"], shown["pct_of_failures"])],
                         textposition="auto", customdata=shown["reason"],
                         hovertemplate="%{customdata}<br>%{x} subjects<extra></extra>"))
    more = len(reasons) - len(shown)
    note = "Subjects per criterion; one failing two criteria counts under each. Grey: code not in the protocol list."
    if more > 0:
        note += f" First {len(shown)} of {len(reasons)} reasons."
    fig.add_annotation(text=note, showarrow=False, xref="paper", yref="paper", x=1, y=-0.16, xanchor="right",
                       font={"size": 10, "color": "#555"})
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_xaxes(rangemode="tozero")
    fig.update_layout(showlegend=False, margin={"b": 70})
    return fig


def enrollment_period_figure(by_period: pd.DataFrame, period: str, stamp: str) -> go.Figure:
    """Grouped bars of subjects screened and randomized per week or month."""
    title = PERIOD_TITLE.format(period="month" if period == "month" else "week")
    if by_period.empty:
        return empty_figure(title, stamp, "No subject screened in this selection.")
    fig = base_figure(title, stamp)
    x = _iso(by_period["period_start"])
    label = "Month of" if period == "month" else "Week of"
    fig.add_trace(go.Bar(x=x, y=by_period["screened"], name="Screened", marker={"color": SCREENED_COLOR},
                         hovertemplate=f"{label} %{{x}}: %{{y}} screened<extra></extra>"))
    fig.add_trace(go.Bar(x=x, y=by_period["randomized"], name="Randomized", marker={"color": POOLED_COLOR},
                         customdata=by_period["cumulative_randomized"],
                         hovertemplate=(f"{label} %{{x}}: %{{y}} randomized<br>%{{customdata}} "
                                        "randomized by the end of it<extra></extra>")))
    fig.update_layout(barmode="group", bargap=0.2)
    fig.update_xaxes(title=label.replace(" of", " starting"), type="date")
    fig.update_yaxes(title="Subjects", rangemode="tozero")
    return fig
