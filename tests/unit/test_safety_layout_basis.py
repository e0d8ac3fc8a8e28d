"""The Safety page's subtitle says the arm basis the trial configures (it said 'as treated' whatever the basis)."""

from __future__ import annotations

import pytest

from dashboard.blinding import Access
from dashboard.context import ViewContext
from layouts import safety


def _context(basis: str, access: Access = Access.CODED) -> ViewContext:
    return ViewContext(username="b", role="dsmb", access=access, may_unmask=False, study_id="S", study_title="T",
                       target_enrollment=10, cut_id="c", cut_date="2021-07-10",
                       arm_labels=("Group A", "Group B") if access.sees_arms else (), safety_arm_basis=basis)


@pytest.mark.parametrize("basis,said,not_said", [("planned", "by arm as randomized", "as treated"),
                                                 ("actual", "by arm as treated", "as randomized")])
def test_subtitle_follows_the_configured_safety_basis(basis, said, not_said):
    text = str(safety.layout(_context(basis)))
    assert said in text and f"by arm {not_said}" not in text


def test_pooled_subtitle_names_no_basis():
    text = str(safety.layout(_context("planned", Access.BLINDED)))
    assert "all arms pooled" in text and "by arm" not in text
