"""The page header tells a reader who sees arms where the coding key came from, and never a blinded reader."""

from __future__ import annotations

from dashboard.blinding import CODING_FROM_CONFIG, Access
from dashboard.context import ViewContext
from layouts.common import page_header


def _context(access: Access, notice: str) -> ViewContext:
    return ViewContext(username="u", role="dsmb", access=access, may_unmask=False, study_id="S", study_title="T",
                       target_enrollment=10, cut_id="c", cut_date="2021-07-10", coding_notice=notice)


def test_the_board_is_told_the_key_came_from_the_configuration():
    header = str(page_header("Safety", _context(Access.CODED, CODING_FROM_CONFIG)))
    assert "C" + CODING_FROM_CONFIG[1:] in header and "Coding key: coding key" not in header


def test_no_notice_without_one_and_never_for_a_blinded_reader():
    assert "Coding key" not in str(page_header("Safety", _context(Access.CODED, "")))
    assert "Coding key" not in str(page_header("Safety", _context(Access.BLINDED, CODING_FROM_CONFIG)))
