"""The forest plot: every outcome's effect, each arm against the reference arm, drawn at the value its label states.

Each row is plotted with its own sign (arm − reference) on an axis with a zero line; which side favours which
arm is written beside the row, because it depends on the row (higher is better for SpO2, lower for CRP).
p-values go to the hover, each with its test and "nominal, unadjusted".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from dashboard.analysis.pvalues import p_relation
from dashboard.figures.common import arm_colors, base_figure, empty_figure, n_per_arm

TITLE = "Effects at a glance: every outcome, arm vs reference"
CLOSED_ONLY = "Comparisons between arms are shown in the closed session only."
NOMINAL = "nominal, unadjusted"
FAVOURS_FONT = {"size": 10, "color": "#566573"}
# paper x of each column: favours-left text, the plot, favours-right text, the estimate in words
LEFT, PLOT, RIGHT, DETAIL = (0.0, 0.13), (0.14, 0.50), (0.51, 0.65), (0.66, 1.0)
WRAP_AFTER = 12                   # an arm name longer than this goes on a line of its own beside the row


def format_p(p: float) -> str:
    """A p-value as a statistician writes it, after "p": "= 0.37", "< 0.001" (`analysis.pvalues`)."""
    return p_relation(p)


def p_text(p: float, test: str, note: str = "") -> str:
    """"p = 0.37 (Fisher's exact; nominal, unadjusted)", or why there is no p-value ("too few events (3 < 5)")."""
    if note:
        return f"no p-value: {note}"
    if p is None or math.isnan(p):
        return "no p-value: not computable"
    return f"p {format_p(p)} ({test}; {NOMINAL})"


def _row_label(row: pd.Series, several: bool) -> str:
    """Outcome, visit and (with several arms) the compared arm; the direction is in the favours columns."""
    visit = f" · {row['VISIT']}" if row["KIND"] == "outcome" and row["VISIT"] else ""
    label = f"{row['LABEL']}{visit}"
    return f"{label} · {row['ARM']} vs {row['REFERENCE']}" if several else label


def _number(value: float) -> str:
    """Three significant digits, without exponents for large values."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _signed(value: float) -> str:
    return ("+" if value >= 0 else "") + _number(value)


def _detail(row: pd.Series, arms: Sequence[str]) -> str:
    """The plotted value and the native-unit estimate, right of each row; n per arm in display order."""
    if math.isnan(row["ESTIMATE"]):
        return "not enough data (needs 2 subjects per arm)"
    n = "n " + n_per_arm({row["ARM"]: row["N_ARM"], row["REFERENCE"]: row["N_REF"]}, arms)
    if row["KIND"] == "event":
        return f"RD {100 * row['ESTIMATE']:+.1f} pts ({100 * row['LOW']:.1f} to {100 * row['HIGH']:.1f}) · {n}"
    g = "g not computable" if math.isnan(row["G"]) else \
        f"g {_signed(row['G'])} ({_number(row['G_LOW'])} to {_number(row['G_HIGH'])})"
    if math.isnan(row["LOW"]):
        return f"{g}<br>Δ {_signed(row['ESTIMATE'])} {row['UNIT']} · {n}"
    return (f"{g}<br>Δ {_signed(row['ESTIMATE'])} {row['UNIT']} ({_number(row['LOW'])} to {_number(row['HIGH'])})"
            f" · {n}")


def plotted(row: pd.Series) -> tuple[float, float, float]:
    """The value drawn and its interval: Hedges' g for a measured outcome, % points for an event; sign kept."""
    if row["KIND"] == "event":
        return 100 * row["ESTIMATE"], 100 * row["LOW"], 100 * row["HIGH"]
    return row["G"], row["G_LOW"], row["G_HIGH"]


def favours(row: pd.Series) -> tuple[str, str]:
    """("← favours X", "favours Y →"): the arm each side of zero favours, for this row's preferred direction."""
    left, right = (row["REFERENCE"], row["ARM"]) if row["HIGHER_IS_BETTER"] else (row["ARM"], row["REFERENCE"])
    gap = {arm: "<br>" if len(arm) > WRAP_AFTER else " " for arm in (left, right)}
    return f"← favours{gap[left]}{left}", f"favours{gap[right]}{right} →"


def axis_range(rows: pd.DataFrame) -> list[float]:
    """An x range holding every plotted point and interval, and always zero."""
    values = [v for _, r in rows.iterrows() for v in plotted(r) if not math.isnan(v)] + [0.0]
    low, high = min(values), max(values)
    pad = 0.08 * (high - low) if high > low else 1.0
    return [low - pad, high + pad]


def _text_column(name: str, labels: list[str], text: list[str], axes: tuple[str, str], x: float, position: str,
                 font: dict) -> go.Scatter:
    return go.Scatter(x=[x] * len(labels), y=labels, text=text, mode="text", xaxis=axes[0], yaxis=axes[1],
                      name=name, textposition=position, textfont=font, cliponaxis=False, showlegend=False,
                      hoverinfo="skip")


def _panel(fig: go.Figure, rows: pd.DataFrame, arms: Sequence[str], colors: dict[str, str],
           axes: dict[str, str], shown: set[str]) -> list[str]:
    """Points and intervals, favours columns and the detail column of one panel; returns its row labels."""
    several = len(arms) > 2
    labels = [_row_label(r, several) for _, r in rows.iterrows()]
    details = [_detail(r, arms) for _, r in rows.iterrows()]
    hovers = [f"{d}<br>{p_text(r['P'], r['P_TEST'], r['P_NOTE'])}" for d, (_, r) in zip(details, rows.iterrows())]
    for arm in [a for a in arms if a in set(rows["ARM"])]:
        mask = (rows["ARM"] == arm).to_numpy()
        points = [plotted(r) for _, r in rows[mask].iterrows()]
        color = colors.get(arm, "#34495e")
        fig.add_trace(go.Scatter(
            x=[p[0] for p in points], y=[lab for lab, m in zip(labels, mask) if m], xaxis=axes["plot"],
            yaxis=axes["y"], mode="markers", name=f"{arm} vs {rows['REFERENCE'].iloc[0]}", legendgroup=arm,
            showlegend=several and arm not in shown, marker={"symbol": "square", "size": 10, "color": color},
            error_x={"type": "data", "symmetric": False, "array": [p[2] - p[0] for p in points],
                     "arrayminus": [p[0] - p[1] for p in points], "color": color, "thickness": 2, "width": 0},
            text=[h for h, m in zip(hovers, mask) if m], hovertemplate="%{y}<br>%{text}<extra></extra>"))
        shown.add(arm)
    sides = [favours(r) for _, r in rows.iterrows()]
    fig.add_trace(_text_column("detail", labels, details, (axes["detail"], axes["y"]), 0, "middle right",
                               {"size": 11, "color": "#2c3e50"}))
    fig.add_trace(_text_column("favours-left", labels, [s[0] for s in sides], (axes["left"], axes["y"]), 1,
                               "middle left", FAVOURS_FONT))
    fig.add_trace(_text_column("favours-right", labels, [s[1] for s in sides], (axes["right"], axes["y"]), 0,
                               "middle right", FAVOURS_FONT))
    return labels


def _axes_layout(names: dict[str, str], rows: pd.DataFrame, labels: list[str], domain: list[float],
                 title: str) -> dict:
    """Layout of one panel: the plot axis (zero line, range with zero), three hidden text axes, the rows."""
    y = names["y"]
    hidden = {"anchor": y, "visible": False, "range": [0, 1], "fixedrange": True}
    key = {name: ("xaxis" + axis[1:]) for name, axis in names.items() if name != "y"}
    return {
        key["plot"]: {"domain": list(PLOT), "anchor": y, "zeroline": True, "zerolinewidth": 2,
                      "zerolinecolor": "#7f8c8d", "range": axis_range(rows),
                      "title": {"text": title, "font": {"size": 11}}},
        key["left"]: {**hidden, "domain": list(LEFT)}, key["right"]: {**hidden, "domain": list(RIGHT)},
        key["detail"]: {**hidden, "domain": list(DETAIL)},
        "yaxis" + y[1:]: {"domain": domain, "type": "category", "categoryorder": "array", "anchor": "free",
                          "position": 0, "categoryarray": list(reversed(labels)), "automargin": True},
    }


def forest_title(arms: Sequence[str], reference: str) -> str:
    """Names the comparison and the reference arm, for two arms or more."""
    others = [a for a in arms if a != reference]
    if len(others) == 1:
        return f"Effects at a glance: {others[0]} vs {reference} (reference)"
    return f"Effects at a glance: each arm vs {reference} (reference)"


def effects_forest_figure(rows: pd.DataFrame, stamp: str, *, arms: Sequence[str], reference: str) -> go.Figure:
    """Hedges' g of the change from baseline for measured outcomes; risk differences (% points) for events."""
    if rows.empty:
        return empty_figure(TITLE, stamp, "No outcome or event data in this cut yet.")
    fig = base_figure(forest_title(arms, reference), stamp)
    colors, shown = arm_colors(arms), set()
    measured, events = rows[rows["KIND"] == "outcome"], rows[rows["KIND"] == "event"]
    total = max(len(measured) + len(events), 1)
    gap = 0.12 if len(measured) and len(events) else 0.0
    split = (1 - gap) * len(events) / total
    layout: dict = {}
    if len(measured):
        names = {"plot": "x", "left": "x3", "right": "x5", "detail": "x7", "y": "y"}
        labels = _panel(fig, measured, arms, colors, names, shown)
        layout.update(_axes_layout(names, measured, labels, [split + gap, 1.0],
                                   f"Hedges' g of the change from baseline, arm − {reference}"))
    if len(events):
        names = {"plot": "x2", "left": "x4", "right": "x6", "detail": "x8", "y": "y2"}
        labels = _panel(fig, events, arms, colors, names, shown)
        layout.update(_axes_layout(names, events, labels, [0.0, max(split, 0.05)],
                                   f"risk difference, arm − {reference}, % points"))
    fig.add_annotation(text=f"n per arm: {' | '.join(arms)}<br>p-values (in the hover) are {NOMINAL}",
                       showarrow=False, xref="paper", yref="paper", x=1.0, y=1.0, xanchor="right", align="right",
                       yanchor="bottom", font={"size": 10, "color": "#7f8c8d"})
    fig.update_layout(**layout, hovermode="closest", margin={"l": 20, "r": 20, "b": 60},
                      legend={"orientation": "h", "y": -0.12})
    return fig
