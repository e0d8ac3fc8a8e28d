"""Safety page: its views from the display catalogue (dashboard/displays/safety/), one guarded callback each."""

from __future__ import annotations

import dash

from callbacks.views import register_views
from dashboard.displays import views_on


def register(app: dash.Dash) -> None:
    register_views(app, views_on("/safety"))
