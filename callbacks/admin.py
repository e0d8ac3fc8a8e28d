"""Administration pages: the users table with web changes of blinded accounts, and the audit trail with its chain
check and CSV export (views in the display catalogue: `dashboard/displays/other_pages.py`)."""

from __future__ import annotations

import dash

from callbacks.views import register_views
from dashboard.displays import views_on


def register(app: dash.Dash) -> None:
    """The users and audit pages' views."""
    register_views(app, views_on("/admin/users") + views_on("/admin/audit"))
