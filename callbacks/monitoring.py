"""Monitoring page: the charter's looks, boundaries, conditional power and safety rules (catalogue views)."""

from __future__ import annotations

import dash

from callbacks.views import register_views
from dashboard.displays import views_on


def register(app: dash.Dash) -> None:
    register_views(app, views_on("/monitoring"))
