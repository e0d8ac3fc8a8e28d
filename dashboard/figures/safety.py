"""Adverse-event figures: time to first serious event (the survival figure's style), risk-difference forest,
maximum severity.

Pooled figures get no arm; by-arm figures get the arm labels (display order) and draw one colour per arm.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.analysis.safety import SEVERITIES, TOTAL
from dashboard.figures.common import SEVERITY_COLORS, arm_colors, base_figure, empty_figure
from dashboard.figures.survival import CurveStyle

KM_TITLE = "Time to first serious adverse event (Kaplan-Meier)"
FOREST_TITLE = "Adverse events by preferred term: incidence and risk difference"
SEVERITY_TITLE = "Subjects by maximum severity, per system organ class"
STUDY_DAY_AXIS = "Study day (day 1 = first dose, no day 0)"
KM_STYLE = CurveStyle(KM_TITLE, "Free of serious events", x_title=STUDY_DAY_AXIS, what="free of serious events",
                      empty="No subject in the safety population in this cut yet.")


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
