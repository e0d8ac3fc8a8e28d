"""The data-readiness badge a display carries next to its title (filled per page from the display catalogue)."""

from __future__ import annotations

from dash import ALL, html
from dash.development.base_component import Component

READINESS = "readiness"
BADGE_CLASS = "readiness-badge ms-2 small"


def page_of(display_key: str) -> str:
    """The page group of a display key ("safety.ae_overview" -> "safety"): one callback fills a group's badges."""
    return display_key.split(".", 1)[0]


def readiness_id(display_key: str) -> dict[str, str]:
    """The pattern-matching id of a display's badge: one callback per page fills every badge on it."""
    return {"type": READINESS, "page": page_of(display_key), "display": display_key}


def page_badges(page: str) -> dict[str, object]:
    """The pattern that matches every badge of one page group (the per-page callback's outputs and input)."""
    return {"type": READINESS, "page": page, "display": ALL}


def readiness_badge(display_key: str) -> Component:
    """An empty badge for `display_key` (a key of `dashboard.displays`); its content comes from the server."""
    return html.Span(id=readiness_id(display_key), className=BADGE_CLASS)
