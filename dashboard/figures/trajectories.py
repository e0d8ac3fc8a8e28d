"""Outcome trajectories and change from baseline: pooled (one grey series) or by arm (one colour per arm)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.config import Outcome
from dashboard.figures.common import POOLED_COLOR, arm_colors, base_figure, empty_figure, n_per_arm

AXES = ("visit", "day")
STAT_NAMES = {"median": ("Median", "IQR"), "mean": ("Mean", "95% CI")}
SPAGHETTI_COLOR = "rgba(52, 73, 94, 0.25)"
POOLED_NAME = "All randomized subjects"
# two-line tick labels (visit, n per arm) and the axis title sit under the plot: the legend goes below them
BELOW_TICKS = {"y": -0.32, "yanchor": "top"}


def _top(stamp: str) -> int:
    """Top margin: room for a second stamp line (what the by-visit summary leaves out) when there is one."""
    return 70 + 16 * stamp.count("<br>")


def _x_column(axis: str) -> str:
    """Visits stand at their place in planned-day order (POSITION), or at their planned study day."""
    return "DAY" if axis == "day" else "POSITION"


def _dodge(index: int, count: int, axis: str) -> float:
    """Small horizontal offset so the arms' intervals do not hide each other."""
    width = 0.35 if axis == "day" else 0.1
    return (index - (count - 1) / 2) * width


def _ticks(summary: pd.DataFrame, axis: str, arms: Sequence[str] | None) -> dict:
    """Tick at every scheduled visit, labelled with the visit and the subjects behind each point."""
    x = _x_column(axis)
    visits = summary.drop_duplicates("VISITNUM").sort_values("POSITION")
    if arms:
        counts = summary.pivot_table(index="VISITNUM", columns="ARM", values="N", aggfunc="sum", observed=False)
        counts = counts.reindex(index=visits["VISITNUM"], columns=list(arms)).fillna(0).astype(int)
        numbers = [n_per_arm(row, arms) for row in counts.to_dict("records")]
    else:
        numbers = [str(int(n)) for n in visits["N"]]
    names = visits["VISIT"].tolist() if axis == "visit" else [f"Day {int(d)}" for d in visits["DAY"]]
    texts = [f"{name}<br>n {n}" for name, n in zip(names, numbers)]
    title = "Visit" if axis == "visit" else "Study day (planned day of the visit)"
    title += f"  ·  n per arm: {' | '.join(arms)}" if arms else "  ·  n = subjects with a value"
    return {"tickmode": "array", "tickvals": visits[x].tolist(), "ticktext": texts, "title": {"text": title}}


def _summary_trace(rows: pd.DataFrame, name: str, color: str, axis: str, stat: str, offset: float,
                   unit: str, xaxis: str = "x", yaxis: str = "y") -> go.Scatter:
    rows = rows[rows["N"] > 0]
    centre, spread = STAT_NAMES.get(stat, STAT_NAMES["median"])
    custom = np.column_stack([rows["VISIT"], rows["N"], rows["LOW"], rows["HIGH"]]) if len(rows) else None
    return go.Scatter(
        x=(rows[_x_column(axis)] + offset).tolist(), y=rows["CENTER"].tolist(), name=name, mode="lines+markers",
        xaxis=xaxis, yaxis=yaxis, line={"color": color, "width": 2}, marker={"color": color, "size": 7},
        error_y={"type": "data", "symmetric": False, "array": (rows["HIGH"] - rows["CENTER"]).tolist(),
                 "arrayminus": (rows["CENTER"] - rows["LOW"]).tolist(), "color": color, "thickness": 1.5,
                 "width": 4},
        customdata=custom,
        hovertemplate=(f"<b>{name}</b><br>%{{customdata[0]}}<br>{centre} %{{y:.4g}} {unit}<br>"
                       f"{spread} %{{customdata[2]:.4g}} to %{{customdata[3]:.4g}}<br>n = %{{customdata[1]}}"
                       "<extra></extra>"),
    )


def spaghetti_positions(rows: pd.DataFrame, summary: pd.DataFrame) -> pd.Series:
    """Each record's place on the by-visit axis: its visit's POSITION; a visit not in `summary` (unscheduled,
    e.g. 5.1) between the planned visits around its VISITNUM; NaN outside them or at visits without a day."""
    visits = summary.drop_duplicates("VISITNUM").dropna(subset=["POSITION"]).sort_values("VISITNUM")
    nums, places = visits["VISITNUM"].to_numpy(float), visits["POSITION"].to_numpy(float)
    num = rows["VISITNUM"].to_numpy(float)
    if len(nums) == 0:
        return pd.Series(np.nan, index=rows.index)
    between = np.interp(num, nums, places, left=np.nan, right=np.nan)
    exact = pd.Series(places, index=nums)
    known = pd.Series(num, index=rows.index).map(exact)
    return known.where(known.notna(), pd.Series(between, index=rows.index).where(~np.isin(num, nums)))


def _spaghetti_trace(rows: pd.DataFrame, name: str, color: str, axis: str) -> go.Scatter:
    """All subjects' lines in one trace, separated by gaps (fast to draw and to send)."""
    x_col = "DY" if axis == "day" else "POSITION"
    rows = rows[rows[x_col].notna()].sort_values(["USUBJID", x_col], kind="stable")
    xs: list = []
    ys: list = []
    texts: list = []
    for subject, group in rows.groupby("USUBJID", sort=True):
        xs += group[x_col].tolist() + [None]
        ys += group["VALUE"].tolist() + [None]
        texts += [subject] * len(group) + [None]
    return go.Scatter(x=xs, y=ys, text=texts, name=name, mode="lines+markers", connectgaps=False,
                      line={"color": color, "width": 1}, marker={"size": 3, "color": color},
                      hovertemplate="%{text}<br>%{y:.4g}<extra></extra>", showlegend=True)


def _translucent(color: str) -> str:
    red, green, blue = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, 0.3)"


def trajectory_figure(summary: pd.DataFrame, outcome: Outcome, axis: str, stat: str, stamp: str, *,
                      spaghetti: pd.DataFrame | None = None, spaghetti_total: int = 0,
                      arms: Sequence[str] | None = None) -> go.Figure:
    """Values by scheduled visit: centre and spread per visit; optional individual lines (pooled or by arm)."""
    centre, spread = STAT_NAMES.get(stat, STAT_NAMES["median"])
    title = f"{outcome.label}: {centre.lower()} ({spread}) by {'visit' if axis == 'visit' else 'study day'}"
    has_lines = spaghetti is not None and len(spaghetti) > 0
    if has_lines:
        spaghetti = spaghetti.assign(POSITION=spaghetti_positions(spaghetti, summary))
    if int(summary["N"].sum()) == 0 and not has_lines:
        return empty_figure(title, stamp, f"No {outcome.label} values in this data cut yet.")
    fig = base_figure(title, stamp)
    colors = arm_colors(arms) if arms else {}
    if has_lines:
        if arms:
            for arm in arms:
                rows = spaghetti[spaghetti["ARM"] == arm]
                fig.add_trace(_spaghetti_trace(rows, f"{arm}: individual subjects", _translucent(colors[arm]), axis))
        else:
            fig.add_trace(_spaghetti_trace(spaghetti, "Individual subjects", SPAGHETTI_COLOR, axis))
        shown = spaghetti["USUBJID"].nunique()
        fig.add_annotation(text=f"Individual lines: first {shown} of {spaghetti_total} subjects by subject id; "
                                "unscheduled visits included", showarrow=False, xref="paper", yref="paper",
                           x=0, y=1.02, xanchor="left", yanchor="bottom", font={"size": 10, "color": "#7f8c8d"})
    if arms:
        for i, arm in enumerate(arms):
            rows = summary[summary["ARM"] == arm]
            fig.add_trace(_summary_trace(rows, arm, colors[arm], axis, stat, _dodge(i, len(arms), axis), outcome.unit))
    else:
        fig.add_trace(_summary_trace(summary, POOLED_NAME, POOLED_COLOR, axis, stat, 0.0, outcome.unit))
    fig.update_xaxes(**_ticks(summary, axis, arms), zeroline=False)
    fig.update_yaxes(title={"text": f"{outcome.label} ({outcome.unit})"})
    fig.update_layout(hovermode="closest", margin={"b": 90, "t": _top(stamp)}, legend=BELOW_TICKS)
    return fig


def change_figure(summary: pd.DataFrame, outcome: Outcome, axis: str, stat: str, stamp: str, *,
                  differences: pd.DataFrame | None = None, arms: Sequence[str] | None = None) -> go.Figure:
    """Change from baseline by visit; by arm, a lower panel shows the difference in mean change and its 95 % CI."""
    centre, spread = STAT_NAMES.get(stat, STAT_NAMES["median"])
    title = f"{outcome.label}: change from baseline, {centre.lower()} ({spread})"
    if int(summary["N"].sum()) == 0:
        return empty_figure(title, stamp, f"No change from baseline of {outcome.label} can be computed yet.")
    fig = base_figure(title, stamp)
    unit = outcome.unit
    if arms:
        colors = arm_colors(arms)
        for i, arm in enumerate(arms):
            fig.add_trace(_summary_trace(summary[summary["ARM"] == arm], arm, colors[arm], axis, stat,
                                         _dodge(i, len(arms), axis), unit))
    else:
        fig.add_trace(_summary_trace(summary, POOLED_NAME, POOLED_COLOR, axis, stat, 0.0, unit))
    ticks = _ticks(summary, axis, arms)
    fig.update_yaxes(title={"text": f"Change ({unit})"}, zeroline=True, zerolinecolor="#95a5a6")
    if differences is None or not arms:
        fig.update_xaxes(**ticks)
        fig.update_layout(margin={"b": 90, "t": _top(stamp)}, legend=BELOW_TICKS)
        return fig
    _add_difference_panel(fig, differences, axis, unit, ticks, arms)
    fig.update_layout(margin={"t": _top(stamp)})
    return fig


def _add_difference_panel(fig: go.Figure, differences: pd.DataFrame, axis: str, unit: str, ticks: dict,
                          arms: Sequence[str]) -> None:
    colors = arm_colors(arms)
    compared = [a for a in arms if a in set(differences["ARM"])]
    for i, arm in enumerate(compared):
        rows = differences[(differences["ARM"] == arm) & differences["DIFF"].notna()]
        reference = str(differences["REFERENCE"].iloc[0])
        pair = [a for a in arms if a in (arm, reference)]
        counts = [n_per_arm({arm: n_arm, reference: n_ref}, arms)
                  for n_arm, n_ref in zip(rows["N_ARM"], rows["N_REF"])]
        custom = np.column_stack([rows["VISIT"], counts, rows["LOW"], rows["HIGH"], rows["P"]]) if len(rows) else None
        fig.add_trace(go.Scatter(
            x=(rows[_x_column(axis)] + _dodge(i, len(compared), axis)).tolist(), y=rows["DIFF"].tolist(),
            xaxis="x2", yaxis="y2", mode="markers", name=f"{arm} vs {reference}: difference (mean, 95% CI)",
            marker={"symbol": "diamond", "size": 9, "color": colors[arm]},
            error_y={"type": "data", "symmetric": False, "array": (rows["HIGH"] - rows["DIFF"]).tolist(),
                     "arrayminus": (rows["DIFF"] - rows["LOW"]).tolist(), "color": colors[arm]},
            customdata=custom,
            hovertemplate=(f"<b>{arm} vs {reference}</b><br>%{{customdata[0]}}<br>difference %{{y:.4g}} {unit}"
                           "<br>95% CI %{customdata[2]:.4g} to %{customdata[3]:.4g} (Welch)"
                           f"<br>p = %{{customdata[4]:.3g}}<br>n {' | '.join(pair)}: %{{customdata[1]}}"
                           "<extra></extra>"),
        ))
    fig.update_layout(
        yaxis={"domain": [0.42, 1.0]},
        xaxis={"anchor": "y", "showticklabels": False, "tickmode": "array", "tickvals": ticks["tickvals"]},
        xaxis2={"anchor": "y2", "matches": "x", "tickmode": "array", "tickvals": ticks["tickvals"],
                "ticktext": ticks["ticktext"], "title": ticks["title"]},
        yaxis2={"domain": [0.0, 0.3], "anchor": "x2", "zeroline": True, "zerolinecolor": "#95a5a6",
                "zerolinewidth": 2, "title": {"text": f"Difference ({unit})"}},
        margin={"b": 90}, legend=BELOW_TICKS,
    )
