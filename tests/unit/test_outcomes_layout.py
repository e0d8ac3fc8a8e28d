"""Outcomes layout: same ids for every role, median / IQR only and no arm names when blinded."""

from __future__ import annotations

from dashboard.blinding import Access
from dashboard.context import ViewContext
from layouts import outcomes as ids

IDS = [ids.OPTIONS, ids.OUTCOME, ids.AXIS, ids.STATISTIC, ids.SPAGHETTI, ids.TRAJECTORY, ids.CHANGE, ids.EVENT,
       ids.EVENT_CURVE, ids.EVENT_TABLE, ids.FOREST_VISIT, ids.FOREST]


def context(access: Access) -> ViewContext:
    labels = ("Group A", "Group B") if access.sees_arms else ()
    return ViewContext(username="u", role="r", access=access, may_unmask=False, study_id="NCT05019287",
                       study_title="t", target_enrollment=29, cut_id="2021-07-10-00000000",
                       cut_date="2021-07-10", arm_labels=labels)


def components(tree) -> dict:
    return {c.id: c for c in tree._traverse() if isinstance(getattr(c, "id", None), str)}  # noqa: SLF001


def test_every_role_gets_every_id():
    for access in Access:
        assert set(IDS) <= set(components(ids.layout(context(access))))


def test_blinded_layout_offers_median_only_hides_the_forest_and_names_no_arm():
    tree = ids.layout(context(Access.BLINDED))
    statistic = components(tree)[ids.STATISTIC]
    assert [o["value"] for o in statistic.options] == ["median"] and statistic.value == "median"
    forest_section = next(c for c in tree._traverse() if getattr(c, "hidden", None) is not None)  # noqa: SLF001
    assert forest_section.hidden is True
    assert "Group" not in repr(tree)


def test_closed_layout_offers_mean_and_median_and_shows_the_forest():
    tree = ids.layout(context(Access.CODED))
    assert [o["value"] for o in components(tree)[ids.STATISTIC].options] == ["mean", "median"]
    assert "CLOSED" in repr(tree)
    forest_section = next(c for c in tree._traverse() if getattr(c, "hidden", None) is not None)  # noqa: SLF001
    assert forest_section.hidden is False
