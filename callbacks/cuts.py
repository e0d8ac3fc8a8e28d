"""Data cuts page: the cut list, one cut's manifest, and its load warnings (views in the display catalogue)."""

from __future__ import annotations

import dash

from callbacks.views import register_views
from dashboard.displays import views_on


def register(app: dash.Dash) -> None:
    register_views(app, views_on("/cuts"))
