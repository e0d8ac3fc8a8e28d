"""Adverse-event timelines: the swimmer plot (one lane per subject) and the one-subject patient profile."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.analysis.safety import SEVERITIES
from dashboard.figures.common import SEVERITY_COLORS, base_figure, empty_figure

SWIMMER_TITLE = "Adverse-event timelines (study days)"
STUDY_DAY_AXIS = "Study day (day 1 = first dose, the day before is -1, no day 0)"
MARKERS = {  # event -> (symbol, colour, legend name)
    "serious": ("star", "#8e44ad", "Serious adverse event"),
    "intubation": ("triangle-up", "#2c3e50", "Intubation"),
    "discharge": ("square", "#27ae60", "Discharge"),
    "death": ("x-thin-open", "#000000", "Death"),
}
SEVERITY_ORDER = (*SEVERITIES, "UNKNOWN")
LAB_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b")


def _dose_trace(doses: pd.DataFrame, lane: pd.Series, discrete: bool) -> go.Scatter:
    """Ticks at each infusion (numbered by the plan) or, for a continuous regimen, at the start of each EX record."""
    if discrete:
        name, hover = "Infusion", "Infusion %{customdata} (of the plan) · study day %{x:.0f}<extra></extra>"
    else:
        name, hover = "Dosing record start", "Dosing record starts · study day %{x:.0f}<extra></extra>"
    return go.Scatter(x=doses["DAY"], y=doses["USUBJID"].map(lane), mode="markers", name=name,
                      marker={"symbol": "line-ns-open", "size": 12, "color": "#2980b9", "line": {"width": 2}},
                      customdata=doses["INFUSION"], hovertemplate=hover)


def _timeline_traces(data: dict[str, pd.DataFrame], lane: pd.Series,
                     discrete: bool = True) -> list[go.BaseTraceType]:
    """Lanes, doses, AE bars by severity and event markers, on y positions `lane` (USUBJID -> label).

    Study day d is drawn as the cell from d - 0.5 to d + 0.5, so a marker sits on its day's tick; the
    observation lane runs from day 1 to the last day observed.
    """
    traces: list[go.BaseTraceType] = []
    lanes = data["lanes"]
    traces.append(go.Bar(x=lanes["END"].fillna(1).clip(lower=1), base=0.5, y=lanes["USUBJID"].map(lane),
                         orientation="h",
                         marker={"color": "#ecf0f1"}, width=0.8, name="Observation", hoverinfo="skip",
                         showlegend=False))
    traces.append(_dose_trace(data["doses"], lane, discrete))
    bars = data["bars"]
    for sev in SEVERITY_ORDER:
        b = bars[bars["AESEV"] == sev]
        if b.empty:
            continue
        traces.append(go.Bar(
            x=b["END"] - b["START"] + 1, base=b["START"] - 0.5, y=b["USUBJID"].map(lane), orientation="h", width=0.45,
            marker={"color": SEVERITY_COLORS.get(sev, "#95a5a6")}, name=sev.title(),
            customdata=np.c_[b["AEDECOD"], b["START"], np.where(b["ONGOING"], "ongoing", b["END"].astype(str))],
            hovertemplate="%{customdata[0]} (" + sev.lower() + ")<br>study day %{customdata[1]} to %{customdata[2]}"
                          "<extra></extra>"))
    markers = data["markers"]
    for event, (symbol, color, name) in MARKERS.items():
        m = markers[markers["EVENT"] == event]
        if m.empty:
            continue
        traces.append(go.Scatter(x=m["DAY"], y=m["USUBJID"].map(lane), mode="markers", name=name,
                                 marker={"symbol": symbol, "size": 11, "color": color, "line": {"width": 1}},
                                 text=m["LABEL"], hovertemplate="%{text} · study day %{x:.0f}<extra></extra>"))
    return traces


def swimmer_figure(data: dict[str, pd.DataFrame], stamp: str, *, shown: int, total: int,
                   lane_arm: pd.Series | None = None, discrete: bool = True) -> go.Figure:
    """One lane per subject; `lane_arm` (USUBJID -> arm, by-arm views only) prefixes each lane with its arm;
    `discrete`: doses are infusions (else EX records of a continuous regimen)."""
    if data["lanes"].empty:
        return empty_figure(SWIMMER_TITLE, stamp, "No subject has a treatment-emergent adverse event.")
    ids = data["lanes"]["USUBJID"]
    lane = pd.Series(ids.to_numpy(), index=ids.to_numpy()) if lane_arm is None else \
        pd.Series(lane_arm.astype(object).reindex(ids.to_numpy()).astype(str).to_numpy() + " · " + ids.to_numpy(),
                  index=ids.to_numpy())
    note = f"Showing {shown} of {total} subjects with events" + (
        " (first by subject id)" if lane_arm is None else " (first by subject id within each arm)")
    fig = base_figure(SWIMMER_TITLE, f"{stamp} · {note}")
    fig.add_traces(_timeline_traces(data, lane, discrete))
    # the legend sits between the title (with its stamp and note) and the lanes, clear of both
    fig.update_layout(barmode="overlay", height=max(380, 22 * len(ids) + 220), bargap=0.3,
                      margin={"l": 60, "r": 20, "t": 115, "b": 50},
                      legend={"orientation": "h", "y": 1.0, "x": 1, "xanchor": "right", "yanchor": "bottom"})
    fig.update_yaxes(categoryorder="array", categoryarray=list(lane.iloc[::-1]), type="category", title=None)
    fig.update_xaxes(title=STUDY_DAY_AXIS)
    return fig


def profile_figure(profile: dict[str, pd.DataFrame], stamp: str, title: str, discrete: bool = True) -> go.Figure:
    """The subject's dosing, events and markers on one axis, key labs (x ULN) and vital signs below."""
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, row_heights=[0.3, 0.4, 0.3], vertical_spacing=0.06,
                        subplot_titles=["Dosing, adverse events, events", "Key labs (x upper limit of normal)",
                                        "Vital signs"],
                        figure=base_figure(title, stamp))
    subject = profile["lanes"]["USUBJID"].iloc[0] if not profile["lanes"].empty else ""
    lane = pd.Series(["Timeline"], index=[subject])
    for trace in _timeline_traces(profile, lane, discrete):
        fig.add_trace(trace, row=1, col=1)
    labs = profile["labs"]
    for i, (code, rows) in enumerate(labs.groupby("TEST", sort=True)):
        unit = rows["UNIT"] if "UNIT" in rows else pd.Series("", index=rows.index)
        fig.add_trace(go.Scatter(x=rows["DAY"], y=rows["ULN"], mode="lines+markers", name=str(code),
                                 line={"color": LAB_COLORS[i % len(LAB_COLORS)]},
                                 customdata=np.c_[rows["VALUE"], unit.fillna("")],
                                 hovertemplate=f"{code} study day %{{x}}: %{{customdata[0]}} %{{customdata[1]}} "
                                               "(%{y:.2f} x ULN)<extra></extra>"),
                      row=2, col=1)
    if not labs.empty:
        fig.add_hline(y=1, line={"color": "#999", "dash": "dot"}, row=2, col=1)
    vitals = profile["vitals"]
    for i, (code, rows) in enumerate(vitals.groupby("TEST", sort=True)):
        unit = rows["UNIT"] if "UNIT" in rows else pd.Series("", index=rows.index)
        fig.add_trace(go.Scatter(x=rows["DAY"], y=rows["VALUE"], mode="lines+markers", name=str(code),
                                 line={"color": LAB_COLORS[(i + 3) % len(LAB_COLORS)], "dash": "dash"},
                                 customdata=unit.fillna(""),
                                 hovertemplate=f"{code} study day %{{x}}: %{{y}} %{{customdata}}<extra></extra>"),
                      row=3, col=1)
    fig.update_layout(barmode="overlay", height=620, legend={"orientation": "h", "y": -0.12})
    fig.update_xaxes(title=STUDY_DAY_AXIS, row=3, col=1)
    return fig
