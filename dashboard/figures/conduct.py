"""Trial-conduct figures: the CONSORT flow, exposure as the regimen defines it, and data completeness by visit."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.common import POOLED_COLOR, arm_colors, base_figure, empty_figure

CONSORT_TITLE = "Participant flow (CONSORT)"
EXPOSURE_TITLE = "Infusions received per randomized subject"
EXPOSURE_TITLES = {"infusions": EXPOSURE_TITLE, "cycles": "Cycles started per randomized subject",
                   "continuous": "Compliance with continuous dosing: days covered of days expected"}
DOSE_UNITS = {"infusions": "infusions", "cycles": "cycles"}
COMPLETENESS_TITLE = "Data completeness by visit: results received among subjects due"
BOX_STYLE = {"bordercolor": "#34495e", "borderwidth": 1, "borderpad": 6, "bgcolor": "#ffffff"}
LINE_STYLE = {"color": "#7f8c8d", "width": 1.5}


def _lines(flow: pd.DataFrame, group: str, box: str) -> list[str]:
    rows = flow[(flow["group"] == group) & (flow["box"] == box)]
    return [f"{label} (n={n})" for label, n in zip(rows["label"].str.replace("  ", "· ", n=1), rows["subjects"])]


def _box(fig: go.Figure, x: float, y: float, lines: Sequence[str], title: str = "") -> None:
    text = "<br>".join(([f"<b>{title}</b>"] if title else []) + list(lines))
    fig.add_annotation(x=x, y=y, text=text, showarrow=False, align="left", font={"size": 11}, **BOX_STYLE)


def _connect(fig: go.Figure, points: Sequence[tuple[float, float]]) -> None:
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        fig.add_shape(type="line", x0=x0, y0=y0, x1=x1, y1=y1, line=LINE_STYLE, layer="below")


def consort_figure(flow: pd.DataFrame, groups: Sequence[str], stamp: str) -> go.Figure:
    """Boxes from assessment to follow-up; allocation and follow-up boxes per group (one pooled group or arms)."""
    fig = base_figure(CONSORT_TITLE, stamp)
    if flow.empty:
        return empty_figure(CONSORT_TITLE, stamp, "No subject in this selection.")
    screened = _lines(flow, "", "assessed")
    excluded = _lines(flow, "", "excluded")
    randomized = _lines(flow, "", "randomized")
    _connect(fig, [(50, 94), (50, 73)])
    _connect(fig, [(50, 84), (78, 84)])
    _box(fig, 50, 94, screened, "Enrollment")
    _box(fig, 78, 84, excluded[1:], excluded[0] if excluded else "")
    _box(fig, 50, 73, randomized)
    k = len(groups)
    centers = [100 * (i + 0.5) / k for i in range(k)]
    if k > 1:
        _connect(fig, [(50, 73), (50, 64)])
        _connect(fig, [(centers[0], 64), (centers[-1], 64)])
    for x, group in zip(centers, groups):
        _connect(fig, [(x, 64 if k > 1 else 73), (x, 48), (x, 18)])
        _box(fig, x, 48, _lines(flow, group, "allocation"), f"Allocation · {group}")
        _box(fig, x, 18, _lines(flow, group, "follow_up"), f"Follow-up · {group}")
    fig.update_xaxes(visible=False, range=[0, 100], fixedrange=True)
    fig.update_yaxes(visible=False, range=[0, 100], fixedrange=True)
    fig.update_layout(showlegend=False, margin={"l": 10, "r": 10, "b": 10})
    return fig


def exposure_figure(distribution: pd.DataFrame, planned_doses: int, stamp: str,
                    regimen: str = "infusions") -> go.Figure:
    """Bars of subjects by infusions (or cycles) received; the planned number highlighted."""
    title, unit = EXPOSURE_TITLES.get(regimen, EXPOSURE_TITLE), DOSE_UNITS.get(regimen, "infusions")
    if distribution.empty or int(distribution["subjects"].sum()) == 0:
        return empty_figure(title, stamp, "No randomized subject in this selection.")
    fig = base_figure(title, stamp)
    colors = [POOLED_COLOR if i == planned_doses else "#95a5a6" for i in distribution["infusions"]]
    fig.add_trace(go.Bar(x=distribution["infusions"], y=distribution["subjects"], marker={"color": colors},
                         text=[f"{n} ({p:.0f} %)" for n, p in zip(distribution["subjects"], distribution["pct"])],
                         textposition="auto", name="Subjects",
                         hovertemplate=f"%{{x}} {unit}: %{{y}} subjects<extra></extra>"))
    _exposure_axes(fig, planned_doses, unit)
    fig.update_yaxes(title="Subjects")
    fig.update_layout(showlegend=False)
    return fig


def exposure_by_arm_figure(distribution: pd.DataFrame, arm_labels: Sequence[str], planned_doses: int,
                           stamp: str, regimen: str = "infusions") -> go.Figure:
    """Grouped bars per arm: % of the arm by infusions (or cycles) received, with n of N in the hover."""
    title, unit = EXPOSURE_TITLES.get(regimen, EXPOSURE_TITLE), DOSE_UNITS.get(regimen, "infusions")
    if distribution.empty or int(distribution["subjects"].sum()) == 0:
        return empty_figure(title, stamp, "No randomized subject in this selection.")
    fig = base_figure(title, stamp)
    _arm_bars(fig, distribution, arm_labels, "infusions", f"%{{x}} {unit}")
    _exposure_axes(fig, planned_doses, unit)
    fig.update_yaxes(title="% of the arm", rangemode="tozero")
    fig.update_layout(barmode="group")
    return fig


def _arm_bars(fig: go.Figure, distribution: pd.DataFrame, arm_labels: Sequence[str], x_column: str,
              x_words: str) -> None:
    """One bar trace per arm: % of the arm at each `x_column` value, the subjects as text, n of N in the hover."""
    colors = arm_colors(arm_labels)
    for label in arm_labels:
        rows = distribution[distribution["arm"] == label]
        fig.add_trace(go.Bar(x=rows[x_column], y=rows["pct"], name=label, marker={"color": colors[label]},
                             text=rows["subjects"], textposition="auto",
                             customdata=np.c_[rows["subjects"], rows["arm_n"]],
                             hovertemplate=(f"{label}<br>{x_words}: %{{customdata[0]}} of "
                                            "%{customdata[1]} (%{y:.1f} %)<extra></extra>")))


def _exposure_axes(fig: go.Figure, planned_doses: int, unit: str = "infusions") -> None:
    verb = "started" if unit == "cycles" else "received"
    fig.update_xaxes(title=f"{unit.capitalize()} {verb} (planned: {planned_doses})", dtick=1)


COMPLIANCE_AXIS = "Compliance: days covered by EX records / days expected"


def compliance_figure(distribution: pd.DataFrame, stamp: str) -> go.Figure:
    """Continuous regimen: bars of subjects by compliance band (pooled)."""
    title = EXPOSURE_TITLES["continuous"]
    if distribution.empty or int(distribution["subjects"].sum()) == 0:
        return empty_figure(title, stamp, "No randomized subject in this selection.")
    fig = base_figure(title, stamp)
    fig.add_trace(go.Bar(x=distribution["band"], y=distribution["subjects"], marker={"color": POOLED_COLOR},
                         text=[f"{n} ({p:.0f} %)" for n, p in zip(distribution["subjects"], distribution["pct"])],
                         textposition="auto", name="Subjects",
                         hovertemplate="Compliance %{x}: %{y} subjects<extra></extra>"))
    fig.update_xaxes(title=COMPLIANCE_AXIS, type="category")
    fig.update_yaxes(title="Subjects")
    fig.update_layout(showlegend=False)
    return fig


def compliance_by_arm_figure(distribution: pd.DataFrame, arm_labels: Sequence[str], stamp: str) -> go.Figure:
    """Continuous regimen: grouped bars per arm, % of the arm by compliance band, n of N in the hover."""
    title = EXPOSURE_TITLES["continuous"]
    if distribution.empty or int(distribution["subjects"].sum()) == 0:
        return empty_figure(title, stamp, "No randomized subject in this selection.")
    fig = base_figure(title, stamp)
    _arm_bars(fig, distribution, arm_labels, "band", "compliance %{x}")
    fig.update_xaxes(title=COMPLIANCE_AXIS, type="category")
    fig.update_yaxes(title="% of the arm", rangemode="tozero")
    fig.update_layout(barmode="group")
    return fig


def completeness_figure(visits: pd.DataFrame, measures: pd.DataFrame, stamp: str,
                        absent: Sequence[str] = ()) -> go.Figure:
    """Heat map: % of subjects due at each visit with any record (top row) and with each measurement; the
    measurements in `absent` (no record in the cut) are named once under it, not drawn as rows of '–'."""
    if visits.empty or int(visits["expected"].sum()) == 0:
        return empty_figure(COMPLETENESS_TITLE, stamp, "No visit due yet in this selection.")
    fig = base_figure(COMPLETENESS_TITLE, stamp)
    names = visits["visit"].tolist()
    rows = ["Visit (any record)"]
    z = [visits["pct_received"].tolist()]
    text = [[f"{r}/{e}" for r, e in zip(visits["received"], visits["expected"])]]
    for label, part in (measures.groupby("measure", sort=False) if "measure" in measures else ()):
        rows.append(str(label))
        z.append(part["pct_received"].tolist())
        text.append([f"{r}/{e}" if s else "–"
                     for r, e, s in zip(part["received"], part["expected"], part["scheduled"])])
    z_array = np.array(z, dtype=float)
    fig.add_trace(go.Heatmap(x=names, y=rows, z=z_array, text=text, texttemplate="%{text}", zmin=0, zmax=100,
                             colorscale=[[0, "#c0392b"], [0.7, "#f1c40f"], [1, "#27ae60"]],
                             colorbar={"title": {"text": "%"}}, xgap=2, ygap=2,
                             hovertemplate="%{y} at %{x}: %{text} (%{z:.0f} %)<extra></extra>"))
    missing = f"<br>Not in this cut (no record): {', '.join(absent)}." if absent else ""
    fig.add_annotation(text="n/N: subjects with a result / subjects due. – : not collected at that visit." + missing,
                       showarrow=False, xref="paper", yref="paper", x=0, y=-0.12, xanchor="left", align="left",
                       font={"size": 11, "color": "#555"})
    fig.update_yaxes(autorange="reversed", automargin=True)
    fig.update_layout(margin={"b": 90 if absent else 70})
    return fig
