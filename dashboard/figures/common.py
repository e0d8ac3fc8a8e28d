"""Shared figure styling: the cut stamp, arm colours (by-arm views only), empty-state figures."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

POOLED_COLOR = "#34495e"
ARM_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
SEVERITY_COLORS = {"MILD": "#f1c40f", "MODERATE": "#e67e22", "SEVERE": "#c0392b"}


def stamp_text(cut_date: str | None, sees_arms: bool) -> str:
    """'Data cut 2021-07-10 · OPEN (pooled)' — every figure states the cut and the session."""
    state = "CLOSED (by arm)" if sees_arms else "OPEN (pooled)"
    return f"Data cut {cut_date or 'none'} · {state}"


# The house layout, validated once: plotly deep-copies and re-validates the named template on every figure (about
# 20 ms each; a page draws up to a dozen figures per answer, a meeting pack about 65). plotly is pinned, and
# tests/unit/test_base_figure.py checks the result against the validated way and that later changes are validated.
_HOUSE_LAYOUT = go.Layout(
    template="plotly_white",
    margin={"l": 60, "r": 20, "t": 70, "b": 50},
    # below the plot and growing downwards (anchored at its top), so more arms push the margin, never the plot
    legend={"orientation": "h", "y": -0.2, "yanchor": "top"},
    font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
).to_plotly_json()


def base_figure(title: str, stamp: str) -> go.Figure:
    """An empty figure with the house style, a title and the stamp under it."""
    layout = copy.deepcopy(_HOUSE_LAYOUT)             # a private copy: figures must not share the template's dicts
    layout["title"] = {"text": f"{title}<br><sup>{stamp}</sup>", "x": 0.01, "xanchor": "left"}
    fig = go.Figure(layout=layout, _validate=False)   # validated once, above
    fig._validate = True                              # everything added later is validated as before
    fig.layout._validate = True
    return fig


def empty_figure(title: str, stamp: str, message: str) -> go.Figure:
    """A figure that says why there is nothing to plot."""
    fig = base_figure(title, stamp)
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font={"size": 14, "color": "#7f8c8d"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def arm_colors(arm_labels: Sequence[str]) -> dict[str, str]:
    """One colour per arm, in display order (coded labels are sorted, so colour never follows the arm)."""
    return {label: ARM_COLORS[i % len(ARM_COLORS)] for i, label in enumerate(arm_labels)}


def n_per_arm(counts: Mapping[str, int], arms: Sequence[str]) -> str:
    """'14 | 15': the subjects behind a statistic, one number per arm in display order (the legend's order).

    Every by-arm outcomes display writes its n through this, so the same arm's n stands in the same place
    everywhere (the reference arm, coded first, leads), and that place does not move when the board unmasks.
    Arms of `arms` missing from `counts` are skipped (a comparison of two arms out of three).
    """
    return " | ".join(str(int(counts[arm])) for arm in arms if arm in counts)
