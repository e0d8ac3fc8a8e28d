"""Recruitment and trial conduct page: its views (dashboard/displays/recruitment) as guarded callbacks."""

from __future__ import annotations

import dash

from callbacks.views import register_views
from dashboard.displays import views_on


def register(app: dash.Dash) -> None:
    register_views(app, views_on("/recruitment"))
