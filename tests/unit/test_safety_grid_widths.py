"""Issue 11: every Safety grid fits its card with three or four arms and the total (no horizontal scroll, no row
label cut without its full text on hover)."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.tables import safety as tables

CARD_WIDTH = 1300       # summary grids: a full-width card in a 1440-pixel window is about 1,375 px inside
LISTING_WIDTH = 1340    # listings (up to 17 columns, 12 px text)
ARMS = ["Xanomeline High Dose (N=72)", "Xanomeline Low Dose (N=96)", "Placebo (N=86)", "Fourth arm (N=50)"]


def _leaves(columns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [leaf for c in columns for leaf in (c["children"] if "children" in c else [c])]


def _fits(columns: list[dict[str, Any]], width: int = CARD_WIDTH) -> None:
    leaves = _leaves(columns)
    assert sum(c.get("minWidth", 200) for c in leaves) <= width
    assert all(c.get("flex") for c in leaves), "a column without flex keeps its fixed width and can push others off"
    assert not any(c.get("pinned") for c in leaves)
    for group in (c for c in columns if "children" in c):
        assert group.get("wrapHeaderText") and group.get("autoHeaderHeight") and group.get("headerTooltip")


@pytest.mark.parametrize("arms", [3, 4])
def test_overview_and_reaction_grids_fit_with_three_and_four_arms(arms):
    groups = [*ARMS[:arms], "All subjects (N=254)"]
    for columns in (tables.overview_columns(groups), tables.overview_columns(groups, cell="n/N (%)")):
        _fits(columns)
        label = columns[0]
        assert label["tooltipField"] == "LABEL" and label["wrapText"] and label["autoHeight"]


@pytest.mark.parametrize("arms", [3, 4])
@pytest.mark.parametrize("severity", [False, True])
def test_incidence_grid_fits_with_three_and_four_arms(arms, severity):
    groups = [*ARMS[:arms], "All subjects (N=254)"]
    comparisons = [] if severity else [f"{a} − {ARMS[0]}" for a in ARMS[1:arms]]
    columns = tables.incidence_columns(groups, comparisons, severity)
    _fits(columns)
    for field in ("SOC", "PT"):
        column = next(c for c in columns if c.get("field") == field)
        assert column["tooltipField"] == field and column["wrapText"] and column["autoHeight"]


def test_listings_fit_the_card_and_wrap():
    fields = ["USUBJID", "ARM", "AESEQ", "AEBODSYS", "AEDECOD", "AETERM", "AESEV", "AEREL", "AEACN", "AEOUT",
              "AESTDTC", "AEENDTC", "ADY", "TEAE", "IR", "FATAL", "CHANGE"]
    columns = tables.listing_columns(fields, {})
    _fits(columns, LISTING_WIDTH)
    assert all(c["tooltipField"] == c["field"] and c["wrapText"] for c in columns)
