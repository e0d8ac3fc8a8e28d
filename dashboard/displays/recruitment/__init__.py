"""Views of the Recruitment and trial conduct page, one module per tab (`overview`, `screening`, `sites`,
`baseline`, `exposure`, `completeness`) plus the page's filters and CSV downloads (`controls`); what they all
start from (the filter key, the selected subjects, the small-site rule) is in `selection`."""

from __future__ import annotations

from dashboard.displays.model import View
from dashboard.displays.recruitment import baseline, completeness, controls, exposure, overview, screening, sites

VIEWS: tuple[View, ...] = (*controls.VIEWS, *overview.VIEWS, *screening.VIEWS, *sites.VIEWS, *baseline.VIEWS,
                           *exposure.VIEWS, *completeness.VIEWS)
