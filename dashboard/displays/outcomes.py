"""Views of the outcomes (filled as the page moves onto the catalogue)."""

from __future__ import annotations

from dashboard.displays.model import View

VIEWS: tuple[View, ...] = ()
