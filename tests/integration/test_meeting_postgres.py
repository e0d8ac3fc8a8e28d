"""The meeting record on PostgreSQL (selected by URL): written, signed with the password, and append-only there
too (the database refuses UPDATE, DELETE and TRUNCATE of every meeting table, whoever connects)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text
from support import fresh_postgres_database
from sqlalchemy.exc import DBAPIError

from dashboard import audit, db
from dashboard.meeting import entry, record
from dashboard.meeting.summary import past_meetings

POSTGRES_URL = os.environ.get("DSMB_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not POSTGRES_URL,
                                reason="`make test` starts PostgreSQL and sets DSMB_TEST_POSTGRES_URL")
CUTS = {"2021-05-10-aaaaaaaa": "2021-05-10", "2021-07-10-bbbbbbbb": "2021-07-10"}


@pytest.fixture
def url() -> str:
    """A fresh database of its own on the test server."""
    return fresh_postgres_database(POSTGRES_URL, "meeting")


def test_meeting_record_is_append_only_on_postgres(url):
    from dashboard.auth.users import create_user, get_user
    from dashboard.permissions import Role

    form = {"meeting_date": "2021-05-20", "cut_ids": ["2021-05-10-aaaaaaaa"], "recommendation": "pause_enrolment",
            "rationale": "Two serious infusion reactions.", "open_minutes": "Open.", "closed_minutes": "Closed.",
            "attendance": "Ann | chair", "open_items": "Review infusion rate | sponsor", "closed_items": ""}
    new = record.write_version(entry.parse(form, CUTS), "stat", url=url)
    create_user("dsmb", Role.DSMB, "a long enough password", actor="test", url=url)
    with pytest.raises(record.MeetingRefused, match="wrong password"):
        record.sign(new, get_user("dsmb", url=url), "dsmb", "not it at all", "approved", url=url)
    record.sign(new, get_user("dsmb", url=url), "dsmb", "a long enough password", "approved", url=url)
    record.resolve_item(new, "O1", "rate halved", "stat", url=url)
    assert {"meeting_recorded", "meeting_sign_refused", "meeting_signed", "meeting_item_resolved"} <= set(
        audit.events(database_url=url)["event"])
    for table in ("meeting_records", "meeting_signatures", "meeting_item_resolutions"):
        for statement in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}", f"TRUNCATE {table} CASCADE"):
            with pytest.raises(DBAPIError, match="append-only"):
                with db.engine(url).begin() as conn:
                    conn.execute(text(statement))
    frame = past_meetings(db.engine(url), "2021-07-10-bbbbbbbb", sees_arms=False)
    assert frame["Recommendation"].tolist() == ["Pause enrolment"] and frame["Status"].iloc[0].startswith("resolved")
