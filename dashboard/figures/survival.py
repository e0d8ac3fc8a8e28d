"""The one time-to-event figure: step curves (pooled or one per arm), the numbers at risk as a table under the axis,
the log-rank test and the medians beside the curves. Safety, Outcomes and the ADTTE parameters draw it with their
own `CurveStyle` from the survival toolkit's `Survival` result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.analysis.survival import CAUSE_SPECIFIC_TEST, Survival
from dashboard.figures.common import POOLED_COLOR, arm_colors, base_figure, empty_figure
from dashboard.figures.effects import NOMINAL, format_p

AXIS_FONT = 12          # the size of the axis labels (the figures' base font): the numbers at risk use it too
NOTE_FONT = {"size": 11, "color": "#2c3e50"}


@dataclass(frozen=True)
class CurveStyle:
    """What a time-to-event figure says: its title and axes, survival or incidence, bands, the method line."""

    title: str
    y_title: str
    incidence: bool = False          # draw the cumulative incidence (rising) instead of the proportion free
    x_title: str = "Study day"
    bands: bool = True               # 95 % bands where the estimate has them (Kaplan-Meier)
    what: str = "free of the event"  # the hover's phrase for the value drawn
    method: str = ""                 # how the curve was estimated, under the curves
    medians: bool = False            # the median time to event per group, in the legend
    unit: str = "days"               # the unit of the time axis, for the medians
    empty: str = "No subject with follow-up in this cut yet."


def curve_method(competing: bool) -> str:
    """How an incidence curve was estimated, as the figure states it."""
    if competing:
        return "Cumulative incidence (Aalen-Johansen; death is a competing event)"
    return "Cumulative incidence (1 − Kaplan-Meier)"


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


def median_label(medians: pd.DataFrame, group: str, unit: str = "") -> str:
    """A curve's legend name with its median: "Placebo · median 64 days" or "Placebo · median not reached"."""
    row = medians[medians["GROUP"] == group]
    if row.empty:
        return group
    median = float(row["MEDIAN"].iloc[0])
    return f"{group} · median " + ("not reached" if math.isnan(median) else f"{median:g} {unit}".strip())


def _steps(time: pd.Series, value: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The corners of a right-continuous step function, so a band's lower edge steps like its upper edge."""
    t, v = time.to_numpy(float), value.to_numpy(float)
    return np.r_[t[0], np.repeat(t[1:], 2)], np.r_[np.repeat(v[:-1], 2), v[-1]]


def _curve_traces(fig: go.Figure, rows: pd.DataFrame, name: str, color: str, style: CurveStyle) -> None:
    y = rows["INCIDENCE"] if style.incidence else rows["SURV"]
    if style.bands and rows["LO"].notna().all() and len(rows) > 1:
        low, high = (1 - rows["HI"], 1 - rows["LO"]) if style.incidence else (rows["LO"], rows["HI"])
        (x, top), (_, bottom) = _steps(rows["TIME"], high), _steps(rows["TIME"], low)
        fig.add_trace(go.Scatter(x=np.r_[x, x[::-1]], y=np.r_[top, bottom[::-1]], mode="lines", fill="toself",
                                 line={"width": 0}, fillcolor=color, opacity=0.12, hoverinfo="skip",
                                 showlegend=False, name=f"{name} 95% CI"))
    fig.add_trace(go.Scatter(
        x=rows["TIME"].tolist(), y=y.round(5).tolist(), name=name, mode="lines",
        line={"shape": "hv", "color": color, "width": 2.5},
        customdata=list(zip(rows["AT_RISK"].tolist(), rows["EVENTS"].tolist())),
        hovertemplate=(f"<b>{name}</b><br>Day %{{x:.0f}}: %{{y:.1%}} {style.what}<br>at risk %{{customdata[0]}}, "
                       "events %{customdata[1]}<extra></extra>")))


def _risk_rows(fig: go.Figure, result: Survival, colors: dict[str, str]) -> None:
    """The numbers at risk as a table under the curves: one row per group (its full name), one column per day."""
    for group in result.groups:
        row = result.at_risk[result.at_risk["GROUP"] == group].sort_values("DAY")
        fig.add_trace(go.Scatter(x=row["DAY"].tolist(), y=[group] * len(row), text=row["AT_RISK"].astype(str).tolist(),
                                 mode="text", textfont={"color": colors[group], "size": AXIS_FONT}, xaxis="x2",
                                 yaxis="y2", cliponaxis=False, showlegend=False, hoverinfo="skip",
                                 name=f"{group} at risk"))


def _notes(result: Survival, style: CurveStyle) -> list[str]:
    notes = test_notes(result.test) if result.test is not None and len(result.test) else []
    if result.unknown_day:
        notes.append(f"{result.unknown_day} subject(s) with an event of unknown date are counted in the table, "
                     "not here")
    return notes


def _layout(fig: go.Figure, result: Survival, style: CurveStyle) -> None:
    days = sorted(int(d) for d in result.at_risk["DAY"].unique()) if len(result.at_risk) else [0]
    last = max(days[-1], float(result.curves["TIME"].max()) if len(result.curves) else 0.0)
    step = days[1] - days[0] if len(days) > 1 else 7
    top = float(result.curves["INCIDENCE"].max()) if len(result.curves) else 0.0
    y_range = [0, max(0.05, top * 1.1)] if style.incidence else [0, 1.05]
    groups = list(result.groups)
    fig.update_layout(
        xaxis={"anchor": "y", "range": [-0.02 * last - 0.5, last * 1.03 + 1], "title": {"text": style.x_title},
               "tick0": 0, "dtick": step, "tickfont": {"size": AXIS_FONT}},
        xaxis2={"matches": "x", "anchor": "y2", "visible": False},
        yaxis={"domain": [0.42, 1.0], "title": {"text": style.y_title}, "tickformat": ".0%", "range": y_range,
               "tickfont": {"size": AXIS_FONT}},
        yaxis2={"domain": [0.0, 0.2], "type": "category", "categoryorder": "array",
                "categoryarray": list(reversed(groups)), "range": [-0.6, len(groups) - 0.4], "showgrid": False,
                "zeroline": False, "title": {"text": "At risk", "font": {"size": AXIS_FONT}},
                "tickfont": {"size": AXIS_FONT}, "automargin": True},      # a group's full name, however long
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -0.06, "yanchor": "top"},
        margin={"b": 70, "t": 80},
    )


def survival_figure(result: Survival, style: CurveStyle, stamp: str) -> go.Figure:
    """Curves (pooled or one per arm), the numbers at risk beneath, the test and notes above the curves."""
    if result.curves.empty or int(result.at_risk["AT_RISK"].max() if len(result.at_risk) else 0) == 0:
        return empty_figure(style.title, stamp, style.empty)
    fig = base_figure(style.title, stamp)
    colors = arm_colors(result.groups) if result.by_arm else {result.groups[0]: POOLED_COLOR}
    for group in result.groups:
        rows = result.curves[result.curves["GROUP"] == group]
        if len(rows):
            name = median_label(result.medians, group, style.unit) if style.medians else group
            _curve_traces(fig, rows, name, colors[group], style)
    _risk_rows(fig, result, colors)
    notes = _notes(result, style)
    if notes:
        fig.add_annotation(text="<br>".join(notes), showarrow=False, xref="paper", yref="paper", x=1.0, y=1.0,
                           xanchor="right", yanchor="bottom", align="right", font=NOTE_FONT,
                           bgcolor="rgba(255,255,255,0.8)")
    if style.method:
        fig.add_annotation(text=style.method, showarrow=False, xref="paper", yref="paper", x=1.0, y=0.32,
                           xanchor="right", font={"size": 10, "color": "#7f8c8d"})
    _layout(fig, result, style)
    return fig
