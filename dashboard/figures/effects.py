"""The forest plot: every outcome's between-arm effect on one page, oriented so that right favours the arm."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.common import arm_colors, base_figure, empty_figure, n_per_arm

TITLE = "Effects at a glance: every outcome, arm vs reference"
CLOSED_ONLY = "Comparisons between arms are shown in the closed session only."


def _row_label(row: pd.Series, several: bool) -> str:
    direction = "higher is better" if row["HIGHER_IS_BETTER"] else "lower is better"
    if row["KIND"] == "event":
        direction = "more is better" if row["HIGHER_IS_BETTER"] else "fewer is better"
    visit = f" · {row['VISIT']}" if row["KIND"] == "outcome" and row["VISIT"] else ""
    label = f"{row['LABEL']}{visit} ({direction})"
    return f"{label} · {row['ARM']}" if several else label


def _number(value: float) -> str:
    """Three significant digits, without exponents for large values."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _signed(value: float) -> str:
    return ("+" if value >= 0 else "") + _number(value)


def _detail(row: pd.Series, arms: Sequence[str]) -> str:
    """Native-unit estimate shown to the right of each row; n per arm in display order, as on every figure."""
    if math.isnan(row["ESTIMATE"]):
        return "not enough data (needs 2 subjects per arm)"
    n = "n " + n_per_arm({row["ARM"]: row["N_ARM"], row["REFERENCE"]: row["N_REF"]}, arms)
    if row["KIND"] == "event":
        return (f"RD {100 * row['ESTIMATE']:+.1f} pts ({100 * row['LOW']:.1f} to {100 * row['HIGH']:.1f}) · {n}")
    if math.isnan(row["LOW"]):
        return f"Δ {_signed(row['ESTIMATE'])} {row['UNIT']} · {n}"
    return f"Δ {_signed(row['ESTIMATE'])} {row['UNIT']} ({_number(row['LOW'])} to {_number(row['HIGH'])}) · {n}"


def _panel(fig: go.Figure, rows: pd.DataFrame, arms: Sequence[str], colors: dict[str, str],
           axes: tuple[str, str, str], scale: float) -> list[str]:
    """Point-and-interval trace plus a text column for one panel; returns the row labels (top to bottom)."""
    x_plot, x_text, y = axes
    several = len(arms) > 2
    labels = [_row_label(r, several) for _, r in rows.iterrows()]
    details = [_detail(r, arms) for _, r in rows.iterrows()]
    for arm in [a for a in arms if a in set(rows["ARM"])]:
        mask = (rows["ARM"] == arm).to_numpy()
        part = rows[mask]
        fig.add_trace(go.Scatter(
            x=(part["BENEFIT"] * scale).tolist(), y=[lab for lab, m in zip(labels, mask) if m],
            xaxis=x_plot, yaxis=y, mode="markers", name=f"{arm} vs {part['REFERENCE'].iloc[0]}",
            marker={"symbol": "square", "size": 10, "color": colors.get(arm, "#34495e")},
            error_x={"type": "data", "symmetric": False,
                     "array": ((part["BENEFIT_HIGH"] - part["BENEFIT"]) * scale).tolist(),
                     "arrayminus": ((part["BENEFIT"] - part["BENEFIT_LOW"]) * scale).tolist(),
                     "color": colors.get(arm, "#34495e"), "thickness": 2, "width": 0},
            text=[d for d, m in zip(details, mask) if m],
            hovertemplate="%{y}<br>%{text}<extra></extra>", showlegend=several,
        ))
    fig.add_trace(go.Scatter(x=[0] * len(labels), y=labels, text=details, mode="text", xaxis=x_text, yaxis=y,
                             textposition="middle right", textfont={"size": 11, "color": "#2c3e50"}, cliponaxis=False,
                             showlegend=False, hoverinfo="skip"))
    return labels


def _favours(arms: Sequence[str], reference: str, what: str) -> str:
    others = [a for a in arms if a != reference]
    right = others[0] if len(others) == 1 else "the compared arm"
    return f"← favours {reference}   ·   {what}   ·   favours {right} →"


def forest_figure(rows: pd.DataFrame, stamp: str, *, arms: Sequence[str], reference: str) -> go.Figure:
    """Hedges' g of the change from baseline for measured outcomes; risk differences (% points) for events."""
    if rows.empty:
        return empty_figure(TITLE, stamp, "No outcome or event data in this cut yet.")
    others = [a for a in arms if a != reference]
    title = f"Effects at a glance: {others[0]} vs {reference}" if len(others) == 1 else TITLE
    fig = base_figure(title, stamp)
    colors = arm_colors(arms)
    measured = rows[rows["KIND"] == "outcome"]
    events = rows[rows["KIND"] == "event"]
    total = max(len(measured) + len(events), 1)
    gap = 0.12 if len(measured) and len(events) else 0.0
    split = (1 - gap) * len(events) / total
    layout: dict = {}
    if len(measured):
        labels = _panel(fig, measured, arms, colors, ("x", "x3", "y"), 1.0)
        layout.update(
            xaxis={"domain": [0.0, 0.46], "anchor": "y", "zeroline": True, "zerolinewidth": 2,
                   "zerolinecolor": "#7f8c8d",
                   "title": {"text": _favours(arms, reference, "Hedges' g, change from baseline"),
                             "font": {"size": 11}}},
            yaxis={"domain": [split + gap, 1.0], "type": "category", "categoryorder": "array",
                   "categoryarray": list(reversed(labels)), "automargin": True},
            xaxis3={"domain": [0.48, 1.0], "anchor": "y", "visible": False, "range": [0, 1]})
    if len(events):
        labels = _panel(fig, events, arms, colors, ("x2", "x4", "y2"), 100.0)
        layout.update(
            xaxis2={"domain": [0.0, 0.46], "anchor": "y2", "zeroline": True, "zerolinewidth": 2,
                    "zerolinecolor": "#7f8c8d",
                    "title": {"text": _favours(arms, reference, "risk difference, % points"), "font": {"size": 11}}},
            yaxis2={"domain": [0.0, max(split, 0.05)], "type": "category", "categoryorder": "array",
                    "categoryarray": list(reversed(labels)), "automargin": True},
            xaxis4={"domain": [0.48, 1.0], "anchor": "y2", "visible": False, "range": [0, 1]})
    fig.add_annotation(text=f"n per arm: {' | '.join(arms)}", showarrow=False, xref="paper", yref="paper",
                       x=0.48, y=1.0, xanchor="left", yanchor="bottom", font={"size": 10, "color": "#7f8c8d"})
    fig.update_layout(**layout, hovermode="closest", margin={"l": 20, "r": 20, "b": 60})
    return fig
