"""Adverse-event figures: time to first serious event (Kaplan-Meier), risk-difference forest, maximum severity.

Pooled figures get no arm; by-arm figures get the arm labels (display order) and draw one colour per arm.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.analysis.safety import GROUP, SEVERITIES, TOTAL
from dashboard.figures.common import POOLED_COLOR, SEVERITY_COLORS, arm_colors, base_figure, empty_figure
from dashboard.figures.effects import p_text

KM_TITLE = "Time to first serious adverse event (Kaplan-Meier)"
FOREST_TITLE = "Adverse events by preferred term: incidence and risk difference"
SEVERITY_TITLE = "Subjects by maximum severity, per system organ class"
STUDY_DAY_AXIS = "Study day (day 1 = first dose, no day 0)"


def _risk_day(day: int) -> str:
    """`start` for the time origin (there is no study day 0), `d7` for day 7."""
    return "start" if day <= 0 else f"d{day}"


AXIS_FONT = 12          # the size of the axis labels (the figures' base font): the numbers at risk use it too


def _risk_rows(fig: go.Figure, at_risk: pd.DataFrame, groups: list[str], colors: dict[str, str]) -> None:
    """The numbers at risk as a table under the curves: one row per group (its full name), one column per day."""
    for label in groups:
        row = at_risk[at_risk[GROUP] == label].sort_values("DAY")
        fig.add_trace(go.Scatter(x=row["DAY"].tolist(), y=[label] * len(row), text=row["AT_RISK"].astype(str).tolist(),
                                 mode="text", textfont={"color": colors[label], "size": AXIS_FONT}, xaxis="x2",
                                 yaxis="y2",
                                 cliponaxis=False, showlegend=False, hoverinfo="skip", name=f"{label} at risk"))


def km_logrank_text(logrank: dict[str, float] | None) -> str:
    """The log-rank line under the curves: chi-square, df and the p-value (nominal, unadjusted), or why none."""
    if not logrank:
        return ""
    note = str(logrank.get("note") or "")
    return (f"Log-rank test across arms: χ² = {logrank['chi2']:.2f}, df {logrank['df']:.0f}, "
            if not note else "Log-rank test across arms: ") + p_text(logrank.get("p", float("nan")), "log-rank", note)


def km_figure(curves: pd.DataFrame, at_risk: pd.DataFrame, stamp: str, *, arm_labels: Sequence[str] = (),
              logrank: dict[str, float] | None = None) -> go.Figure:
    """Step curves of the proportion free of serious events with 95 % bands, a numbers-at-risk table under the
    axis (axis-label size, every day to the end of follow-up), the legend under the table, never on the curves."""
    fig = base_figure(KM_TITLE, stamp)
    groups = list(arm_labels) or [TOTAL]
    colors = arm_colors(arm_labels) if arm_labels else {TOTAL: POOLED_COLOR}
    for label in groups:
        c = curves[curves[GROUP] == label]
        if c.empty:
            continue
        fig.add_trace(go.Scatter(x=np.r_[c["TIME"], c["TIME"][::-1]], y=np.r_[c["HI"], c["LO"][::-1]],
                                 fill="toself", line={"width": 0, "shape": "hv"}, fillcolor=colors[label],
                                 opacity=0.12, hoverinfo="skip", showlegend=False, name=f"{label} 95% CI"))
        fig.add_trace(go.Scatter(
            x=c["TIME"], y=c["SURV"], mode="lines", line={"shape": "hv", "color": colors[label], "width": 2},
            name=label, customdata=np.c_[c["AT_RISK"], c["EVENTS"], c["LO"], c["HI"]],
            hovertemplate=(f"{label}<br>Study day %{{x}}: %{{y:.1%}} free of serious events"
                           "<br>95% CI %{customdata[2]:.1%} to %{customdata[3]:.1%}"
                           "<br>at risk %{customdata[0]}, events %{customdata[1]}<extra></extra>")))
    _risk_rows(fig, at_risk, groups, colors)
    days = sorted(int(d) for d in at_risk["DAY"].unique()) if not at_risk.empty else [0]
    last = max(days[-1], float(curves["TIME"].max()) if len(curves) else 0.0)
    logrank_line = km_logrank_text(logrank)
    if logrank_line:
        fig.add_annotation(text=logrank_line, showarrow=False, xref="paper", yref="paper", x=1.0, y=1.0,
                           xanchor="right", yanchor="bottom", font={"size": 11, "color": "#2c3e50"})
    fig.update_layout(
        xaxis={"anchor": "y", "range": [-0.02 * last, last * 1.03 + 1], "title": {"text": STUDY_DAY_AXIS},
               "tickvals": days, "ticktext": [str(d) for d in days], "tickfont": {"size": AXIS_FONT}},
        xaxis2={"matches": "x", "anchor": "y2", "visible": False},
        yaxis={"domain": [0.42, 1.0], "title": {"text": "Free of serious events"}, "tickformat": ".0%",
               "range": [0, 1.05], "tickfont": {"size": AXIS_FONT}},
        yaxis2={"domain": [0.0, 0.2], "type": "category", "categoryorder": "array",
                "categoryarray": list(reversed(groups)), "range": [-0.6, len(groups) - 0.4], "showgrid": False,
                "zeroline": False, "title": {"text": "At risk", "font": {"size": AXIS_FONT}},
                "tickfont": {"size": AXIS_FONT}, "automargin": True},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.06, "yanchor": "top"},
        margin={"b": 70, "t": 80},
    )
    return fig


def forest_figure(rows: pd.DataFrame, arm_labels: Sequence[str], stamp: str, reference: int = 0) -> go.Figure:
    """Dot plot of incidence per arm (left) and risk difference against the reference arm (position `reference`)
    with 95 % CI (right)."""
    if rows.empty or len(arm_labels) < 2:
        return empty_figure(FOREST_TITLE, stamp, "No treatment-emergent adverse events to compare.")
    rows = rows.iloc[::-1]
    terms = rows["AEDECOD"].astype(str).tolist()
    colors = arm_colors(arm_labels)
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.45, 0.55], horizontal_spacing=0.03,
                        figure=base_figure(FOREST_TITLE, stamp))
    for i, label in enumerate(arm_labels):
        fig.add_trace(go.Scatter(
            x=rows[f"pct{i}"], y=terms, mode="markers", name=label, marker={"color": colors[label], "size": 9},
            customdata=np.c_[rows[f"n{i}"], rows[f"N{i}"]],
            hovertemplate=f"{label}<br>%{{y}}: %{{customdata[0]}}/%{{customdata[1]}} (%{{x:.1f}}%)<extra></extra>"),
            row=1, col=1)
    base = arm_labels[reference]
    for i, label in ((i, a) for i, a in enumerate(arm_labels) if i != reference):
        rd, lo, hi = rows[f"rd{i}"] * 100, rows[f"lo{i}"] * 100, rows[f"hi{i}"] * 100
        fig.add_trace(go.Scatter(
            x=rd, y=terms, mode="markers", name=f"{label} − {base}", marker={"color": colors[label],
                                                                                   "symbol": "diamond", "size": 9},
            error_x={"type": "data", "symmetric": False, "array": hi - rd, "arrayminus": rd - lo},
            customdata=np.c_[lo, hi],
            hovertemplate=(f"{label} − {base}<br>%{{y}}: %{{x:.1f}} points"
                           "<br>95% CI %{customdata[0]:.1f} to %{customdata[1]:.1f}<extra></extra>")),
            row=1, col=2)
    fig.add_vline(x=0, line={"color": "#888", "dash": "dot"}, row=1, col=2)
    fig.update_xaxes(title="Subjects with the event (%)", rangemode="tozero", row=1, col=1)
    fig.update_xaxes(title=f"Risk difference vs {base} (percentage points, 95% CI, Newcombe)", row=1, col=2)
    fig.update_layout(height=max(360, 28 * len(terms) + 160))
    return fig


def max_severity_figure(table: pd.DataFrame, stamp: str, *, arm_labels: Sequence[str] = ()) -> go.Figure:
    """Stacked bars per system organ class: subjects by their maximum severity (one panel per arm when by arm)."""
    socs = table[table["LEVEL"] == "SOC"]
    if socs.empty:
        return empty_figure(SEVERITY_TITLE, stamp, "No treatment-emergent adverse events.")
    groups = list(arm_labels) or [TOTAL]
    total_index = len(groups) - 1 if not arm_labels else len(groups)
    order = socs.assign(_t=sum(socs[f"n{total_index}_{s}"] for s in SEVERITIES))
    order = order.sort_values(["_t", "AEBODSYS"], ascending=[True, False], kind="stable")
    titles = [f"{label} (N={int(socs[f'N{g}'].iloc[0])})" for g, label in enumerate(groups)]
    fig = make_subplots(rows=1, cols=len(groups), shared_yaxes=True, subplot_titles=titles,
                        horizontal_spacing=0.02,
                        figure=base_figure(SEVERITY_TITLE, stamp))
    for g, label in enumerate(groups):
        for sev in SEVERITIES:
            fig.add_trace(go.Bar(
                x=order[f"n{g}_{sev}"], y=order["AEBODSYS"], orientation="h", name=sev.title(),
                marker={"color": SEVERITY_COLORS[sev]}, legendgroup=sev, showlegend=g == 0,
                customdata=np.c_[order[f"pct{g}_{sev}"], order[f"N{g}"]],
                hovertemplate=(f"{label} · {sev.title()}<br>%{{y}}: %{{x}} of %{{customdata[1]}} "
                               "(%{customdata[0]:.1f}%)<extra></extra>")), row=1, col=g + 1)
    fig.update_layout(barmode="stack", height=max(320, 26 * len(order) + 170))
    fig.update_xaxes(title="Subjects")
    # every class named (plotly skips category labels it finds crowded); full names, the margin grows to fit
    fig.update_yaxes(tickmode="linear", dtick=1, automargin=True)
    return fig
