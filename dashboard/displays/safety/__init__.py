"""Views of the Safety page, one module per tab (`frames` holds what they share); `VIEWS` in tab order."""

from __future__ import annotations

from dashboard.displays.model import View
from dashboard.displays.safety import changes, incidence, labs, listings, overview, timelines

VIEWS: tuple[View, ...] = (*overview.VIEWS, *incidence.VIEWS, *listings.VIEWS, *timelines.VIEWS, *labs.VIEWS,
                           *changes.VIEWS)
