"""The pack's outline parts: slotted into their sections, a failing part named (not dropped), and the past
meetings section: labelled when there is no record, and without closed action items in the open pack."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from dashboard.meeting import entry, record
from dashboard.pack import outline
from dashboard.pack.content import Display

CUTS = {"2021-05-10-aaaaaaaa": "2021-05-10", "2021-07-10-bbbbbbbb": "2021-07-10"}


def _d(section: str, name: str) -> Display:
    return Display(section, name, name)


def test_extras_go_after_the_last_display_of_their_section_and_new_sections_last():
    base = [_d("A", "a1"), _d("A", "a2"), _d("B", "b1"), _d("C", "c1")]
    extra = [_d("A", "a3"), _d("B", "b2"), _d("A", "a4"), _d("Z", "z1")]
    assert [d.name for d in outline.merged(base, extra)] == ["a1", "a2", "a3", "a4", "b1", "b2", "c1", "z1"]


def test_a_failing_part_is_named_in_the_pack_not_dropped():
    def broken():
        raise KeyError("LBSTNRHI")

    [shown] = outline._guarded(broken, "Laboratory", "lab_shifts")
    assert shown.section == "Laboratory" and shown.table is None and shown.figure is None
    assert "could not be built" in shown.note and "LBSTNRHI" not in shown.note


def _data(cut_id: str, sees_arms: bool):
    return SimpleNamespace(cut=SimpleNamespace(cut_id=cut_id), access=SimpleNamespace(sees_arms=sees_arms))


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'meeting.sqlite'}"


def test_no_meeting_record_is_a_labelled_section(url):
    [shown] = outline.past_meetings(_data("2021-07-10-bbbbbbbb", False), url)
    assert shown.section == "Past meetings" and shown.table is None
    assert shown.note == outline.NO_MEETING and "No meeting record yet" in shown.note


def test_past_meetings_in_the_open_pack_carry_no_closed_action_item(url):
    form = {"meeting_date": "2021-05-20", "cut_ids": ["2021-05-10-aaaaaaaa"], "recommendation": "continue_unchanged",
            "rationale": "No signal.", "open_minutes": "Open talk.", "closed_minutes": "Closed talk.",
            "attendance": "Ann | chair | open and closed", "open_items": "Chase queries | sponsor | 2021-06-01",
            "closed_items": "Recheck listing | statistician"}
    record.write_version(entry.parse(form, CUTS), "stat", url=url)
    [open_part] = outline.past_meetings(_data("2021-07-10-bbbbbbbb", False), url)
    [closed_part] = outline.past_meetings(_data("2021-07-10-bbbbbbbb", True), url)
    assert open_part.table["Action item"].tolist() == ["Chase queries"]
    assert closed_part.table["Action item"].tolist() == ["Chase queries", "Recheck listing"]
    assert open_part.table["Meeting date"].tolist() == ["2021-05-20"]
    # a meeting that reviewed this very cut is not a past meeting of it
    [earlier] = outline.past_meetings(_data("2021-05-10-aaaaaaaa", False), url)
    assert earlier.table is None and earlier.note == outline.NO_MEETING
