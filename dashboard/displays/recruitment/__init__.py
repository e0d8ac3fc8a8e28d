"""Views of the Recruitment and trial conduct page, one module per tab (`overview`, `screening`, `sites`,
`baseline`, `exposure`, `completeness`) plus the page's filters and CSV downloads (`controls`); what they all
start from (the filter key, the selected subjects, the small-site rule) is in `selection`."""

from __future__ import annotations

from typing import Any

from dashboard.blinding import TrialData
from dashboard.displays.model import View
from dashboard.displays.recruitment import (baseline, completeness, controls, exposure, overview, screening,
                                            selection, sites)
from dashboard.tables import recruitment as tables

VIEWS: tuple[View, ...] = (*controls.VIEWS, *overview.VIEWS, *screening.VIEWS, *sites.VIEWS, *baseline.VIEWS,
                           *exposure.VIEWS, *completeness.VIEWS)

# The names the meeting pack (dashboard/pack/content.py) calls, as it called them in callbacks/recruitment*.py;
# each returns what the page shows. To go when the pack draws the views themselves.
_key = selection.filter_key
_selected = selection.selected
_grid = tables.grid
_accrual = overview.accrual_with_note
_screening = screening.screening_figures
_consort = screening.consort_with_note
_site_table = sites.site_table
_baseline_tables = baseline.baseline_tables
DEVIATION_HEADERS = tables.DEVIATION_HEADERS
VISIT_HEADERS = tables.VISIT_HEADERS
_completeness_tables = completeness.completeness_tables
_completeness = completeness.completeness_outputs
_exposure = exposure.exposure_outputs


def _baseline(data: TrialData, key: selection.Key) -> tuple[Any, ...]:
    """(summary rows, summary columns, listing rows, listing columns, note), as the pack unpacks them."""
    grids = baseline.baseline_grids(data, key)
    return tuple(grids[name] for name in ("summary_rows", "summary_columns", "rows", "columns", "note"))
