"""The floor of the load benchmark: a bare Dash app (one dropdown, one 500-point figure), served by gunicorn the
same way as the dashboard (`bare_app:server`). No login, no database, no trial data."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from dash import Dash, Input, Output, dcc, html

POINTS = 500
SERIES = ("a", "b", "c")

app = Dash(__name__, serve_locally=True, update_title=None, compress=False)
app.layout = html.Div([
    dcc.Dropdown(id="series", options=list(SERIES), value=SERIES[0], clearable=False),
    dcc.Graph(id="graph"),
])


@app.callback(Output("graph", "figure"), Input("series", "value"))
def figure(series: str) -> go.Figure:
    """A 500-point scatter that depends on the choice, as a dashboard figure would."""
    rng = np.random.default_rng(SERIES.index(series) if series in SERIES else 0)
    x = np.arange(POINTS)
    return go.Figure(go.Scatter(x=x.tolist(), y=rng.normal(size=POINTS).cumsum().tolist(), mode="lines+markers"))


server = app.server
