"""The data-readiness badge a display carries next to its title (filled per page from the display catalogue)."""

from __future__ import annotations

from dash import html
from dash.development.base_component import Component

READINESS = "readiness"


def readiness_id(display_key: str) -> dict[str, str]:
    """The pattern-matching id of a display's badge: one callback per page fills every badge on it."""
    return {"type": READINESS, "display": display_key}


def readiness_badge(display_key: str) -> Component:
    """An empty badge for `display_key` (a key of `dashboard.displays`); its content comes from the server."""
    return html.Span(id=readiness_id(display_key), className="readiness-badge ms-2 small")
