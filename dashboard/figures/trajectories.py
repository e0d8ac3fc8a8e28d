"""Outcome trajectories and change from baseline: pooled (one grey series) or by arm (one colour per arm)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.config import Outcome
from dashboard.analysis.pvalues import p_relation
from dashboard.figures.common import POOLED_COLOR, arm_colors, base_figure, empty_figure, n_per_arm

AXES = ("visit", "day")
STAT_NAMES = {"median": ("Median", "IQR"), "mean": ("Mean", "95% CI")}
SPAGHETTI_COLOR = "rgba(52, 73, 94, 0.25)"
POOLED_NAME = "All randomized subjects"
# the legend sits at the bottom of the figure (the container), under the tick labels and the axis title, and the
# bottom margin leaves room for both: it can never cover the plot or the ticks, whatever the number of arms
LEGEND = {"orientation": "h", "yref": "container", "y": 0.0, "yanchor": "bottom", "x": 0.0, "xanchor": "left"}
BOTTOM = 130                       # rotated visit names, the axis title and one legend row
LEGEND_ROW, LEGEND_WIDTH = 20, 560  # px per legend row; the width a half-page figure gives the legend


def _bottom(fig: go.Figure) -> int:
    """Bottom margin that holds the legend's rows under the ticks: entries are packed into rows as plotly does
    (about 7 px a character and 40 px for the symbol), so long arm names add rows instead of covering the ticks."""
    rows, used = 1, 0
    for name in (t.name or "" for t in fig.data if t.showlegend is not False):
        width = 40 + 7 * len(name)
        if used and used + width > LEGEND_WIDTH:
            rows, used = rows + 1, 0
        used += width
    return BOTTOM + LEGEND_ROW * (rows - 1)
# what the change figure shows on each scale: (title words, axis title, hover unit, difference words)
SCALE_TEXT = {"absolute": ("change from baseline", "Change ({unit})", " {unit}", "difference"),
              "percent": ("percent change from baseline", "Change (% of baseline)", " %", "difference"),
              "ratio": ("ratio to baseline", "Ratio to baseline", "", "ratio")}
# ratios on a log axis, labelled in full (1-2-5 steps) rather than plotly's abbreviated minor digits ("5", "2")
RATIO_TICKS = [m * 10.0 ** e for e in range(-3, 4) for m in (1, 2, 5)]
LOG_AXIS = {"type": "log", "tickmode": "array", "tickvals": RATIO_TICKS, "ticktext": [f"{v:g}" for v in RATIO_TICKS]}
STATUS_HOVER = (("DIED", "died by then"), ("NOT_DUE", "not yet due"), ("NO_VALUE", "alive, no value"))


def _top(stamp: str) -> int:
    """Top margin: room for a second stamp line (what the by-visit summary leaves out) when there is one."""
    return 74 + 21 * stamp.count("<br>")


def _x_column(axis: str) -> str:
    """Visits stand at their place in planned-day order (POSITION), or at their planned study day."""
    return "DAY" if axis == "day" else "POSITION"


def _dodge(index: int, count: int, axis: str) -> float:
    """Small horizontal offset so the arms' intervals do not hide each other."""
    width = 0.35 if axis == "day" else 0.1
    return (index - (count - 1) / 2) * width


def _ticks(summary: pd.DataFrame, axis: str) -> dict:
    """A tick at every visit of `summary` (the visits with records), labelled with its name or planned day alone:
    the subjects behind each point are in the hover and in the table under the figures, not stacked on the axis."""
    x = _x_column(axis)
    visits = summary.drop_duplicates("VISITNUM").sort_values("POSITION")
    names = visits["VISIT"].tolist() if axis == "visit" else [f"Day {int(d)}" for d in visits["DAY"]]
    title = "Visit" if axis == "visit" else "Study day (planned day of the visit)"
    return {"tickmode": "array", "tickvals": visits[x].tolist(), "ticktext": names, "title": {"text": title},
            "automargin": True}


def _status_text(rows: pd.DataFrame) -> list[str]:
    """'<br>died by then 2 · alive, no value 5' per row when the summary carries the counts, else ''."""
    present = [(c, label) for c, label in STATUS_HOVER if c in rows]
    if not present:
        return [""] * len(rows)
    return ["<br>" + " · ".join(f"{label} {int(row[c])}" for c, label in present)
            for _, row in rows.iterrows()]


def _summary_trace(rows: pd.DataFrame, name: str, color: str, axis: str, stat: str, offset: float,
                   unit: str, xaxis: str = "x", yaxis: str = "y") -> go.Scatter:
    rows = rows[rows["N"] > 0]
    centre, spread = STAT_NAMES.get(stat, STAT_NAMES["median"])
    custom = (np.column_stack([rows["VISIT"], rows["N"], rows["LOW"], rows["HIGH"], _status_text(rows)])
              if len(rows) else None)
    return go.Scatter(
        x=(rows[_x_column(axis)] + offset).tolist(), y=rows["CENTER"].tolist(), name=name, mode="lines+markers",
        xaxis=xaxis, yaxis=yaxis, line={"color": color, "width": 2}, marker={"color": color, "size": 7},
        error_y={"type": "data", "symmetric": False, "array": (rows["HIGH"] - rows["CENTER"]).tolist(),
                 "arrayminus": (rows["CENTER"] - rows["LOW"]).tolist(), "color": color, "thickness": 1.5,
                 "width": 4},
        customdata=custom,
        hovertemplate=(f"<b>{name}</b><br>%{{customdata[0]}}<br>{centre} %{{y:.4g}}{unit}<br>"
                       f"{spread} %{{customdata[2]:.4g}} to %{{customdata[3]:.4g}}<br>n = %{{customdata[1]}}"
                       "%{customdata[4]}<extra></extra>"),
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


def _spaghetti_trace(rows: pd.DataFrame, name: str, color: str, axis: str, legend: bool = True) -> go.Scatter:
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
                      hovertemplate="%{text}<br>%{y:.4g}<extra></extra>", showlegend=legend)


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
                # thin lines in the arm's colour, said by the note above the plot: the legend keeps one entry per arm
                fig.add_trace(_spaghetti_trace(rows, f"{arm}: individual subjects", _translucent(colors[arm]), axis,
                                               legend=False))
        else:
            fig.add_trace(_spaghetti_trace(spaghetti, "Individual subjects", SPAGHETTI_COLOR, axis))
        shown = spaghetti["USUBJID"].nunique()
        colour = " (thin, arm colour)" if arms else ""
        # a line of the stamp, so the top margin makes room for it (an annotation there collided with the stamp)
        stamp += (f"<br>Individual lines{colour}: first {shown} of {spaghetti_total} subjects by id, "
                  "unscheduled visits included")
        fig.update_layout(title={"text": f"{title}<br><sup>{stamp}</sup>"})
    if arms:
        for i, arm in enumerate(arms):
            rows = summary[summary["ARM"] == arm]
            fig.add_trace(_summary_trace(rows, arm, colors[arm], axis, stat, _dodge(i, len(arms), axis), outcome.unit))
    else:
        fig.add_trace(_summary_trace(summary, POOLED_NAME, POOLED_COLOR, axis, stat, 0.0, outcome.unit))
    fig.update_xaxes(**_ticks(summary, axis), zeroline=False)
    fig.update_yaxes(title={"text": f"{outcome.label} ({outcome.unit})"})
    fig.update_layout(hovermode="closest", margin={"b": _bottom(fig), "t": _top(stamp)}, legend=LEGEND)
    return fig


def _scale_words(scale: str, unit: str) -> tuple[str, str, str, str]:
    words, axis_title, hover_unit, difference = SCALE_TEXT.get(scale, SCALE_TEXT["absolute"])
    return words, axis_title.format(unit=unit), hover_unit.format(unit=unit), difference


def _reference_line(fig: go.Figure, scale: str, yref: str = "y") -> None:
    """No change: 0, or 1 for a ratio (a zero line does not exist on a log axis)."""
    if scale == "ratio":
        fig.add_shape(type="line", xref="paper", x0=0, x1=1, yref=yref, y0=1, y1=1,
                      line={"color": "#95a5a6", "width": 2})


def change_figure(summary: pd.DataFrame, outcome: Outcome, axis: str, stat: str, stamp: str, *,
                  differences: pd.DataFrame | None = None, arms: Sequence[str] | None = None,
                  scale: str = "absolute") -> go.Figure:
    """Change from baseline by visit (absolute, percent or ratio); by arm, a lower panel shows the difference
    between arms (or the ratio of geometric means) and its 95 % CI."""
    centre, spread = STAT_NAMES.get(stat, STAT_NAMES["median"])
    words, axis_title, unit, _ = _scale_words(scale, outcome.unit)
    if scale == "ratio":
        centre = "Geometric mean" if stat == "mean" else centre
    title = f"{outcome.label}: {words}, {centre.lower()} ({spread})"
    if int(summary["N"].sum()) == 0:
        return empty_figure(title, stamp, f"No change from baseline of {outcome.label} can be computed yet.")
    fig = base_figure(title, stamp)
    if arms:
        colors = arm_colors(arms)
        for i, arm in enumerate(arms):
            fig.add_trace(_summary_trace(summary[summary["ARM"] == arm], arm, colors[arm], axis, stat,
                                         _dodge(i, len(arms), axis), unit))
    else:
        fig.add_trace(_summary_trace(summary, POOLED_NAME, POOLED_COLOR, axis, stat, 0.0, unit))
    ticks = _ticks(summary, axis)
    fig.update_yaxes(title={"text": axis_title}, zeroline=scale != "ratio", zerolinecolor="#95a5a6",
                     **(LOG_AXIS if scale == "ratio" else {"type": "linear"}))
    _reference_line(fig, scale)
    fig.update_layout(margin={"b": _bottom(fig), "t": _top(stamp)}, legend=LEGEND)
    if differences is None or not arms:
        fig.update_xaxes(**ticks)
        return fig
    _add_difference_panel(fig, differences, axis, (unit, scale), ticks, arms, summary)
    return fig


def _died(summary: pd.DataFrame, arm: str, visits: pd.Series) -> list[str]:
    """Deaths by each visit in `arm` (from the summary's DIED column), as text; '' when not known."""
    if "DIED" not in summary:
        return [""] * len(visits)
    died = summary[summary["ARM"] == arm].set_index("VISITNUM")["DIED"]
    return [str(int(died[v])) if v in died.index else "" for v in visits]


def _difference_custom(rows: pd.DataFrame, arm: str, reference: str, arms: Sequence[str],
                       summary: pd.DataFrame) -> np.ndarray | None:
    """Hover data of the difference panel: visit, n and deaths per arm (legend order), interval, p."""
    if not len(rows):
        return None
    counts = [n_per_arm({arm: a, reference: b}, arms) for a, b in zip(rows["N_ARM"], rows["N_REF"])]
    died_arm, died_ref = _died(summary, arm, rows["VISITNUM"]), _died(summary, reference, rows["VISITNUM"])
    died = [n_per_arm({arm: a, reference: b}, arms) if a and b else "" for a, b in zip(died_arm, died_ref)]
    p_text = [p_relation(p) if np.isfinite(p) else "not computed" for p in rows["P"]]
    return np.column_stack([rows["VISIT"], counts, rows["LOW"], rows["HIGH"], p_text, died])


def _add_difference_panel(fig: go.Figure, differences: pd.DataFrame, axis: str, scale: tuple[str, str],
                          ticks: dict, arms: Sequence[str], summary: pd.DataFrame) -> None:
    """The lower panel: each arm vs the reference, coloured as the arm (not in the legend: the arm's colour and
    the axis title say what it is, so the legend stays one line of arm names)."""
    unit, kind = scale
    colors = arm_colors(arms)
    compared = [a for a in arms if a in set(differences["ARM"])]
    reference = str(differences["REFERENCE"].iloc[0]) if len(differences) else ""
    words = "ratio of geometric means" if kind == "ratio" else "difference in means"
    for i, arm in enumerate(compared):
        rows = differences[(differences["ARM"] == arm) & differences["DIFF"].notna()]
        pair = [a for a in arms if a in (arm, reference)]
        fig.add_trace(go.Scatter(
            x=(rows[_x_column(axis)] + _dodge(i, len(compared), axis)).tolist(), y=rows["DIFF"].tolist(),
            xaxis="x2", yaxis="y2", mode="markers", name=f"{arm} vs {reference}: {words}", showlegend=False,
            marker={"symbol": "diamond", "size": 9, "color": colors[arm]},
            error_y={"type": "data", "symmetric": False, "array": (rows["HIGH"] - rows["DIFF"]).tolist(),
                     "arrayminus": (rows["DIFF"] - rows["LOW"]).tolist(), "color": colors[arm]},
            customdata=_difference_custom(rows, arm, reference, arms, summary),
            hovertemplate=(f"<b>{arm} vs {reference}</b><br>%{{customdata[0]}}<br>{words} %{{y:.4g}}{unit}"
                           "<br>95% CI %{customdata[2]:.4g} to %{customdata[3]:.4g} (Welch)"
                           "<br>p %{customdata[4]} (Welch t, nominal, unadjusted)"
                           f"<br>n {' | '.join(pair)}: %{{customdata[1]}}"
                           f"<br>died by then {' | '.join(pair)}: %{{customdata[5]}}<extra></extra>"),
        ))
    ratio = kind == "ratio"
    fig.update_layout(
        yaxis={"domain": [0.42, 1.0]},
        xaxis={"anchor": "y", "showticklabels": False, "tickmode": "array", "tickvals": ticks["tickvals"]},
        xaxis2={"anchor": "y2", "matches": "x", "tickmode": "array", "tickvals": ticks["tickvals"],
                "ticktext": ticks["ticktext"], "title": ticks["title"], "automargin": True},
        yaxis2={"domain": [0.0, 0.3], "anchor": "x2", "zeroline": not ratio, "zerolinecolor": "#95a5a6",
                "zerolinewidth": 2, **(LOG_AXIS if ratio else {"type": "linear"}),
                "title": {"text": f"vs {reference}"}},
    )
    _reference_line(fig, kind, "y2")
