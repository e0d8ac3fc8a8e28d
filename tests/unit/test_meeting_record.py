"""The meeting record's pure parts and its store: form checking, the open view withholding the closed part
(not even its size), past meetings for the pack (reference built here in plain pandas), append-only tables."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from support import PROJECT_ROOT

from dashboard.displays.meetings import render
from dashboard import audit, db
from dashboard.meeting import entry, record, views
from dashboard.meeting.models import MeetingRecord
from dashboard.meeting.summary import past_meetings

CUTS = {"2021-05-10-aaaaaaaa": "2021-05-10", "2021-07-10-bbbbbbbb": "2021-07-10"}


def _form(**changes):
    return {"meeting_date": "2021-05-20", "cut_ids": ["2021-05-10-aaaaaaaa"], "recommendation": "continue_unchanged",
            "rationale": "No signal.", "open_minutes": "Open talk.", "closed_minutes": "Closed talk.",
            "attendance": "Ann | chair | open and closed", "open_items": "Chase queries | sponsor | 2021-06-01",
            "closed_items": "Recheck listing | statistician"} | changes


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'meeting.sqlite'}"


def test_a_good_form_parses_into_keyed_items():
    data = entry.parse(_form(), CUTS)
    assert data.problems == ()
    assert data.open_items == ({"action": "Chase queries", "owner": "sponsor", "due": "2021-06-01", "key": "O1"},)
    assert data.closed_items[0]["key"] == "C1" and data.closed_items[0]["due"] == ""
    assert data.cut_dates == ("2021-05-10",)


def test_every_problem_is_named_at_once():
    data = entry.parse(_form(meeting_date="May 20", cut_ids=["2099-01-01-cccccccc"], recommendation="carry on",
                             rationale=" ", attendance="", open_items="a | b | c | d\n | owner",
                             closed_items="x | y | someday"), CUTS)
    joined = " ".join(data.problems)
    for expected in ("Meeting date", "not a loaded cut", "Recommendation", "Rationale", "Attendance:",
                     "Open action item, line 1", "Open action item, line 2", "someday"):
        assert expected in joined, expected


def test_an_open_view_is_the_same_whatever_the_closed_part_says(url):
    short = record.write_version(entry.parse(_form(), CUTS), "stat", url=url)
    long = record.write_version(entry.parse(_form(closed_minutes="Closed " * 250, closed_items="a\nb\nc"), CUTS),
                                "stat", url=url)
    with db.session_scope(url) as session:
        a, b = (views.record_view(session, session.get(MeetingRecord, i), False) for i in (short, long))
        closed = views.record_view(session, session.get(MeetingRecord, long), True)
    ignore = {"id", "meeting", "created_at"}
    assert {k: v for k, v in a.items() if k not in ignore} == {k: v for k, v in b.items() if k not in ignore}
    assert not {"closed_minutes", "closed_items", "sha256"} & set(a)
    assert closed["closed_minutes"].startswith("Closed Closed") and len(closed["closed_items"]) == 3
    strip = re.compile(r'"(id|meeting|created_at)": [^,]*|record \d+|at \d{4}-\d\d-\d\d \d\d:\d\d UTC')
    shown = [strip.sub("", json.dumps(render(v, False).to_plotly_json(), default=str)) for v in (a, b)]
    assert shown[0] == shown[1] and "Closed talk" not in shown[0]


def test_the_content_checksum_covers_the_closed_minutes(url):
    one = entry.parse(_form(), CUTS)
    two = entry.parse(_form(closed_minutes="Other closed talk."), CUTS)
    ids = [record.write_version(d, "stat", url=url) for d in (one, two)]
    with db.session_scope(url) as session:
        sums = [session.get(MeetingRecord, i).content_sha256 for i in ids]
    assert sums[0] != sums[1]


def _user(url, name="dsmb", role="dsmb", password="a long enough password"):
    from dashboard.auth.users import create_user, get_user
    from dashboard.permissions import Role

    create_user(name, Role(role), password, actor="test", url=url)
    return get_user(name, url=url)


def test_past_meetings_lists_earlier_meetings_with_their_items(url):
    first = record.write_version(entry.parse(_form(), CUTS), "stat", url=url)
    record.write_version(entry.parse(_form(meeting_date="2021-07-20", cut_ids=["2021-07-10-bbbbbbbb"],
                                           open_items="", closed_items=""), CUTS), "stat", url=url)
    record.resolve_item(first, "O1", "done on 2021-05-30", "stat", url=url)
    record.sign(first, _user(url), "dsmb", "a long enough password", "approved", url=url)
    board = past_meetings(url, "2021-07-10-bbbbbbbb", sees_arms=True)
    blind = past_meetings(db.engine(url), "2021-07-10-bbbbbbbb", sees_arms=False)
    # reference: the first meeting's items typed above, closed ones only for the board
    expected = pd.DataFrame({"Item": ["O1", "C1"], "Action item": ["Chase queries", "Recheck listing"],
                             "Status": ["resolved", "open"]})
    assert board[["Item", "Action item"]].reset_index(drop=True).equals(expected[["Item", "Action item"]])
    assert board["Status"].str.split(" ").str[0].tolist() == expected["Status"].tolist()
    assert blind["Item"].tolist() == ["O1"] and list(blind.columns) == list(board.columns)
    assert set(board["Cuts reviewed"]) == {"2021-05-10"} and board["Signed by"].str.startswith("dsmb (approved").all()
    with_this = past_meetings(url, "2021-07-10-bbbbbbbb", sees_arms=False, include_this_cut=True)
    assert with_this["Meeting date"].tolist() == ["2021-05-20", "2021-07-20"]
    assert past_meetings(url, "2021-05-10-aaaaaaaa", sees_arms=True).empty


def test_meeting_tables_refuse_update_and_delete_in_the_database(url):
    new = record.write_version(entry.parse(_form(), CUTS), "stat", url=url)
    record.sign(new, _user(url), "dsmb", "a long enough password", "approved", url=url)
    record.resolve_item(new, "O1", "done", "stat", url=url)     # row triggers fire only on rows: one in each table
    for table in ("meeting_records", "meeting_signatures", "meeting_item_resolutions"):
        for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
            with pytest.raises(DBAPIError, match="append-only"):
                with db.engine(url).begin() as conn:
                    conn.execute(text(statement))
    with db.session_scope(url) as session:
        assert session.get(MeetingRecord, new) is not None


def test_a_record_changed_behind_the_dashboards_back_shows_its_signatures_invalid(url):
    new = record.write_version(entry.parse(_form(), CUTS), "stat", url=url)
    record.sign(new, _user(url), "dsmb", "a long enough password", "reviewed", url=url)
    with db.engine(url).begin() as conn:       # a database administrator bypassing the triggers
        conn.exec_driver_sql("DROP TRIGGER meeting_records_no_update")
        conn.exec_driver_sql(f"UPDATE meeting_records SET rationale = 'changed' WHERE id = {new}")
    with db.session_scope(url) as session:
        view = views.record_view(session, session.get(MeetingRecord, new), False)
    assert view["intact"] is False and view["signatures"][0]["valid"] is False


def test_a_role_that_does_not_sign_is_refused_even_with_the_right_password(url):
    new = record.write_version(entry.parse(_form(), CUTS), "stat", url=url)
    investigator = _user(url, "ivy", "investigator")
    with pytest.raises(record.MeetingRefused, match="does not sign"):
        record.sign(new, investigator, "ivy", "a long enough password", "approved", url=url)
    assert "meeting_sign_refused" in set(audit.events(database_url=url)["event"])


def test_every_meeting_audit_event_is_listed():
    """The shared test reads only `record("...")` calls; the meeting code writes with `audit.add` too."""
    sources = [*(PROJECT_ROOT / "dashboard" / "meeting").glob("*.py"), PROJECT_ROOT / "callbacks" / "meeting.py",
               PROJECT_ROOT / "dashboard" / "displays" / "meetings.py"]
    named = {n for p in sources if p.name != "models.py"
             for n in re.findall(r'["\'](meeting_[a-z_]+)["\']', p.read_text(encoding="utf-8"))}
    named -= set(MeetingRecord.__table__.columns.keys())      # column names, not events
    assert {"meeting_recorded", "meeting_amended", "meeting_signed", "meeting_sign_refused", "meeting_item_resolved",
            "meeting_letter"} <= named <= set(audit.EVENTS)
