"""Laboratory safety figures: box plots by visit, spaghetti sample, eDISH (Hy's law), creatinine bands."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.analysis.labs import CREAT_BANDS, HY_ALT_ULN, HY_BILI_ULN, QUADRANTS, no_records_text
from dashboard.analysis.safety import GROUP, TOTAL
from dashboard.figures.common import POOLED_COLOR, arm_colors, base_figure, empty_figure

QUADRANT_COLORS = dict(zip(QUADRANTS, ("#c0392b", "#e67e22", "#8e44ad", "#7f8c8d")))


def _box_positions(order: list[float], groups: list[str]) -> tuple[dict[tuple[str, float], float], float]:
    """x of each (group, visit) box: visit i at i, its groups side by side around it; and one box's width."""
    width = 0.8 / len(groups)
    return ({(g, v): i + (j - (len(groups) - 1) / 2) * width for i, v in enumerate(order)
             for j, g in enumerate(groups)}, width)


def _outlier_trace(points: pd.DataFrame, label: str, color: str, x_of: dict, width: float, unit: str) -> go.Scatter:
    """Every value beyond the whiskers, at its box (spread a little so equal values stay apart), subject on hover."""
    rank = points.groupby("VISITNUM").cumcount().to_numpy()
    x = [x_of[(label, v)] + ((r % 5) - 2) * width * 0.08 for v, r in zip(points["VISITNUM"], rank)]
    return go.Scatter(x=x, y=points["LBSTRESN"].tolist(), mode="markers", name=f"{label}: beyond the whiskers",
                      showlegend=False, legendgroup=label,
                      marker={"color": color, "size": 6, "symbol": "circle-open", "line": {"width": 1.5}},
                      customdata=np.c_[points["USUBJID"].astype(str), points["VISIT"].astype(str)],
                      hovertemplate=(f"%{{customdata[0]}} · %{{customdata[1]}}<br>%{{y}} {unit}"
                                     "<br>beyond the whiskers<extra></extra>"))


def lab_box_figure(summary: pd.DataFrame, test: str, unit: str, stamp: str, *, arm_labels: Sequence[str] = (),
                   outliers: pd.DataFrame | None = None) -> go.Figure:
    """Box plots by scheduled visit from precomputed quartiles and whiskers (one box per arm when by arm), with
    every value beyond the whiskers drawn as a point (`outliers`, subject on hover)."""
    title = f"{test} by visit"
    if summary.empty:
        return empty_figure(title, stamp, "No values for this test.")
    groups = list(arm_labels) or [TOTAL]
    colors = arm_colors(arm_labels) if arm_labels else {TOTAL: POOLED_COLOR}
    n_out = 0 if outliers is None else len(outliers[outliers[GROUP].isin(groups)])
    fig = base_figure(title, f"{stamp}<br>whiskers: furthest value within 1.5 IQR; {n_out} values beyond, as points")
    visits = summary.drop_duplicates("VISITNUM").sort_values("VISITNUM")
    x_of, width = _box_positions(visits["VISITNUM"].tolist(), groups)
    for label in groups:
        s = summary[summary[GROUP] == label].sort_values("VISITNUM")
        if s.empty:
            continue
        x = [x_of[(label, v)] for v in s["VISITNUM"]]
        fig.add_trace(go.Box(
            x=x, q1=s["Q1"], median=s["MEDIAN"], q3=s["Q3"], mean=s["MEAN"], width=width * 0.8,
            lowerfence=s["LOWERFENCE"], upperfence=s["UPPERFENCE"], name=label, marker={"color": colors[label]},
            customdata=np.c_[s["N"], s["VISIT"].astype(str)], boxpoints=False, legendgroup=label,
            hovertemplate=f"{label} · %{{customdata[1]}}<br>n = %{{customdata[0]}}<extra></extra>"))
        fig.add_trace(go.Scatter(x=x, y=s["UPPERFENCE"], mode="text", text=[f"n={n}" for n in s["N"]],
                                 textposition="top center", showlegend=False, hoverinfo="skip",
                                 textfont={"size": 9, "color": colors[label]}))
        if outliers is not None and (outliers[GROUP] == label).any():
            fig.add_trace(_outlier_trace(outliers[outliers[GROUP] == label], label, colors[label], x_of, width,
                                         unit))
    fig.update_layout(boxmode="overlay")
    # a rotated visit name runs right of its tick: the last one would be cut at the figure's edge and hidden
    # ("hide past div"), so the margin makes room for it
    fig.update_xaxes(tickvals=list(range(len(visits))), ticktext=visits["VISIT"].astype(str).tolist(), title="Visit",
                     range=[-0.6, len(visits) - 0.4], automargin=True, ticklabeloverflow="allow")
    fig.update_layout(margin={"r": 20 + 6 * int(visits["VISIT"].astype(str).str.len().iloc[-1])})
    fig.update_yaxes(title=f"{test} ({unit})" if unit else test)
    return fig


def lab_spaghetti_figure(sample: pd.DataFrame, total: int, test: str, unit: str, stamp: str, *,
                         subject_arm: pd.Series | None = None, arm_labels: Sequence[str] = ()) -> go.Figure:
    """Individual trajectories of a deterministic sample (first subjects by id); coloured by arm only when by arm."""
    shown = sample["USUBJID"].nunique()
    title = f"{test}: individual values"
    note = f"{stamp} · showing {shown} of {total} subjects (first by subject id)"
    if sample.empty:
        return empty_figure(title, note, "No values for this test.")
    fig = base_figure(title, note)
    colors = arm_colors(arm_labels) if arm_labels else {}
    groups = list(arm_labels) if subject_arm is not None else [TOTAL]
    for label in groups:
        part = sample if subject_arm is None else sample[sample["USUBJID"].map(subject_arm.astype(object)) == label]
        if part.empty:
            continue
        gaps = np.flatnonzero(part["USUBJID"].ne(part["USUBJID"].shift(-1)).to_numpy())[:-1] + 1
        xs = np.insert(part["LBDY"].to_numpy(float), gaps, np.nan)
        ys = np.insert(part["LBSTRESN"].to_numpy(float), gaps, np.nan)
        ids = np.insert(part["USUBJID"].to_numpy(object), gaps, "")
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=label, text=ids, connectgaps=False,
                                 line={"width": 1, "color": colors.get(label, POOLED_COLOR)},
                                 marker={"size": 4}, opacity=0.6,
                                 hovertemplate="%{text}<br>day %{x}: %{y}<extra></extra>"))
    fig.update_xaxes(title="Study day")
    fig.update_yaxes(title=f"{test} ({unit})" if unit else test)
    return fig


def _uln_text(values: pd.Series) -> list[str]:
    """'1.23', or 'not measured' where the subject (or the cut) has no value of the test."""
    return ["not measured" if pd.isna(v) else f"{v:.2f}" for v in values]


def edish_figure(points: pd.DataFrame, stamp: str, *, subject_arm: pd.Series | None = None,
                 arm_labels: Sequence[str] = (), caveat: str = "",
                 x_title: str = "Peak ALT or AST (x ULN)") -> go.Figure:
    """Peak ALT or AST against peak total bilirubin (x ULN, log axes) with the Hy's law reference lines; `caveat`
    (a configured test absent from the cut) is written under the title."""
    title = "eDISH: peak ALT or AST vs peak total bilirubin (post-baseline)"
    if points.empty:
        said = caveat[:1].upper() + caveat[1:]       # not str.capitalize(): it lower-cases the test codes
        return empty_figure(title, stamp, said or "No subject has both transaminase and bilirubin values.")
    fig = base_figure(title, f"{stamp} · {len(points)} subjects" + (f" · {caveat}" if caveat else ""))
    groups = list(arm_labels) if subject_arm is not None else [TOTAL]
    colors = arm_colors(arm_labels) if arm_labels else {TOTAL: POOLED_COLOR}
    for label in groups:
        part = points if subject_arm is None else points[points["USUBJID"].map(subject_arm.astype(object)) == label]
        if part.empty:
            continue
        fig.add_trace(go.Scatter(
            x=part["TRANS_ULN"].round(3), y=part["BILI_ULN"].round(3), mode="markers", name=label,
            marker={"color": colors[label], "size": 7, "opacity": 0.7, "line": {"width": 0.5, "color": "white"}},
            text=part["USUBJID"], customdata=np.c_[_uln_text(part["ALT_ULN"]), _uln_text(part["AST_ULN"])],
            hovertemplate=("%{text}<br>ALT %{customdata[0]} · AST %{customdata[1]} x ULN"
                           "<br>bilirubin %{y:.2f} x ULN<extra></extra>")))
    fig.add_vline(x=HY_ALT_ULN, line={"color": "#c0392b", "dash": "dash"})
    fig.add_hline(y=HY_BILI_ULN, line={"color": "#c0392b", "dash": "dash"})
    for text, x, y, xa, ya in (("Potential Hy's law", 0.99, 0.99, "right", "top"),
                               ("Temple's corollary", 0.99, 0.01, "right", "bottom"),
                               ("Hyperbilirubinaemia", 0.01, 0.99, "left", "top"),
                               ("Normal range", 0.01, 0.01, "left", "bottom")):
        fig.add_annotation(text=text, x=x, y=y, xref="paper", yref="paper", xanchor=xa, yanchor=ya,
                           showarrow=False, font={"size": 11, "color": "#7f8c8d"})
    upper = max(10.0, float(np.nanmax(points[["TRANS_ULN", "BILI_ULN"]].to_numpy())) * 1.5)
    lower = min(0.1, float(np.nanmin(points[["TRANS_ULN", "BILI_ULN"]].clip(lower=0.01).to_numpy())) / 1.5)
    fig.update_xaxes(type="log", title=x_title, range=[np.log10(lower), np.log10(upper)])
    fig.update_yaxes(type="log", title="Peak total bilirubin (x ULN)", range=[np.log10(lower), np.log10(upper)])
    return fig


def band_figure(bands: pd.DataFrame, column: str, title: str, stamp: str, *,
                arm_labels: Sequence[str] = (), categories: Sequence[str] = CREAT_BANDS) -> go.Figure:
    """Subjects per band (e.g. creatinine rise), as % of the safety population; one bar per arm when by arm."""
    groups = list(arm_labels) or [TOTAL]
    colors = arm_colors(arm_labels) if arm_labels else {TOTAL: POOLED_COLOR}
    fig = base_figure(title, stamp)
    for label in groups:
        part = bands[bands[GROUP] == label].set_index(column).reindex(list(categories))
        fig.add_trace(go.Bar(x=list(categories), y=part["PCT"], name=label, marker={"color": colors[label]},
                             text=[f"{int(n)}" for n in part["N"].fillna(0)], textposition="outside",
                             hovertemplate=f"{label}<br>%{{x}}: %{{text}} subjects (%{{y:.1f}}%)<extra></extra>"))
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="Subjects (% of safety population)", rangemode="tozero")
    return fig


CREAT_TITLE = "Peak post-baseline creatinine against baseline"


def creatinine_figure(bands: pd.DataFrame, stamp: str, *, code: str, present: bool,
                      arm_labels: Sequence[str] = ()) -> go.Figure:
    """Creatinine-rise bands, or a figure saying the configured test has no record in this cut (rather than every
    subject drawn as 'no baseline or no later value')."""
    if not present:
        return empty_figure(CREAT_TITLE, stamp, no_records_text(code))
    return band_figure(bands, "BAND", CREAT_TITLE, stamp, arm_labels=arm_labels)
