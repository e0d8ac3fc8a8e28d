"""The house figure is built from a layout validated once (dashboard.figures.common.base_figure): the same figure as
plotly's validated route, private to each figure, and still validating whatever is added to it later."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest

from dashboard.figures.common import base_figure


def _validated(title: str, stamp: str) -> go.Figure:
    """The house figure the validated way (the reference, written out here)."""
    fig = go.Figure()
    fig.update_layout(template="plotly_white", title={"text": f"{title}<br><sup>{stamp}</sup>", "x": 0.01,
                                                      "xanchor": "left"},
                      margin={"l": 60, "r": 20, "t": 70, "b": 50}, legend={"orientation": "h", "y": -0.2,
                                                                           "yanchor": "top"},
                      font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12})
    return fig


def test_the_same_figure_as_the_validated_route():
    assert base_figure("Title", "Data cut 2021-07-10 · OPEN (pooled)").to_plotly_json() == \
        _validated("Title", "Data cut 2021-07-10 · OPEN (pooled)").to_plotly_json()


def test_later_changes_are_validated_and_figures_share_nothing():
    fig = base_figure("A", "s")
    with pytest.raises(ValueError):
        fig.update_layout(not_a_layout_property=1)
    with pytest.raises(ValueError):
        fig.add_trace(go.Scatter(x=[1], y=[1], not_a_trace_property=2))
    fig.update_layout(margin={"l": 5}, template={"layout": {"paper_bgcolor": "black"}})
    other = base_figure("B", "s")
    assert other.layout.margin.l == 60 and other.layout.template.layout.paper_bgcolor != "black"
