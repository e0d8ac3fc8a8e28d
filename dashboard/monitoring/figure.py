"""The boundary plot: efficacy (and futility) bounds on the z scale with the observed z of each cut."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from dashboard.config import TrialConfig
from dashboard.figures.common import ARM_COLORS, base_figure
from dashboard.monitoring import spending
from dashboard.monitoring.report import Boundaries, effect_at

TITLE = "Group-sequential boundaries (z scale)"


def _hover(z: float, fraction: float, config: TrialConfig, what: str) -> str:
    sides = config.charter.sides
    p = float(spending.nominal_p(z, sides))
    scale = "difference in rates" if config.charter.primary.kind == "event" else "difference in mean change"
    return (f"{what}<br>information {fraction:.0%}<br>z = {z:.3f}<br>nominal p ({sides}-sided) = {p:.4g}"
            f"<br>{scale} ≈ {effect_at(z, fraction, config):.3g}")


def boundary_figure(config: TrialConfig, bounds: Boundaries, observed: Sequence[dict], stamp: str) -> go.Figure:
    """Bounds at each look and one marker per loaded cut (labelled with its cut date)."""
    fig = base_figure(TITLE, stamp)
    if bounds.planned_fractions and bounds.planned_fractions != bounds.fractions:
        planned = [min(b, 8.0) for b in bounds.planned_efficacy]
        fig.add_trace(go.Scatter(x=bounds.planned_fractions, y=planned, mode="lines+markers",
                                 name="Efficacy bound as planned", line={"color": "#e6b0aa", "dash": "dot"},
                                 hoverinfo="text", text=[_hover(b, f, config, "planned efficacy bound")
                                                         for b, f in zip(planned, bounds.planned_fractions)]))
    shown = [min(b, 8.0) for b in bounds.efficacy]
    fig.add_trace(go.Scatter(x=bounds.fractions, y=shown, mode="lines+markers",
                             name="Efficacy bound (at the information seen)",
                             line={"color": "#c0392b"}, hoverinfo="text",
                             text=[_hover(b, f, config, "efficacy bound") for b, f in zip(shown, bounds.fractions)]))
    if config.charter.sides == 2:
        fig.add_trace(go.Scatter(x=bounds.fractions, y=[-b for b in shown], mode="lines+markers",
                                 name="Efficacy bound (harm side)", line={"color": "#c0392b", "dash": "dot"},
                                 hoverinfo="text", text=[_hover(-b, f, config, "lower bound")
                                                         for b, f in zip(shown, bounds.fractions)]))
    if bounds.futility:
        fig.add_trace(go.Scatter(x=bounds.fractions[:len(bounds.futility)], y=bounds.futility, mode="lines+markers",
                                 name="Futility bound (non-binding)", line={"color": "#7f8c8d", "dash": "dash"},
                                 hoverinfo="text", text=[_hover(b, f, config, "futility bound")
                                                         for b, f in zip(bounds.futility, bounds.fractions)]))
    if observed:
        fig.add_trace(go.Scatter(
            x=[o["FRACTION"] for o in observed], y=[o["Z"] for o in observed], mode="markers+text",
            name="Observed z", marker={"size": 11, "color": ARM_COLORS[0]},
            text=[o["CUT"] for o in observed], textposition="top center", hoverinfo="text",
            hovertext=[_hover(o["Z"], o["FRACTION"], config, f"observed at cut {o['CUT']}") for o in observed]))
    fig.update_xaxes(title="Information fraction", range=[0, 1.05], tickformat=".0%")
    fig.update_yaxes(title="z (positive favours the compared arm)", zeroline=True)
    return fig
