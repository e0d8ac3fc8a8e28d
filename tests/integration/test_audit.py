"""The audit trail: recording, queries, append-only enforcement, CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import multiprocessing
import os

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from dashboard import audit, db
from dashboard.audit import AuditEvent, AuditTrailImmutable
import auth_testing as testing


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'audit.sqlite'}"
    db.init_db(url)
    return url


def test_record_and_query(url):
    audit.record("cut_load", username="stat", cut_id="2024-01-31-0123abcd", detail={"rows": 5}, database_url=url)
    audit.record("closed_view", username="board", detail={"view": "ae"}, database_url=url)
    frame = audit.events(database_url=url)
    assert list(frame.columns) == audit.COLUMNS
    assert list(frame.event) == ["closed_view", "cut_load"]  # newest first
    assert frame.iloc[1].cut_id == "2024-01-31-0123abcd" and frame.iloc[1].detail == '{"rows": 5}'
    assert str(frame["at"].dt.tz) == "UTC"
    assert list(audit.events(username="stat", database_url=url).event) == ["cut_load"]
    assert list(audit.events(event="closed_view", database_url=url).username) == ["board"]
    assert len(audit.events(limit=1, database_url=url)) == 1


def test_time_filters(url):
    audit.record("export", username="a", database_url=url)
    now = db.utcnow()
    assert len(audit.events(since=now - dt.timedelta(minutes=1), database_url=url)) == 1
    assert len(audit.events(since=now + dt.timedelta(minutes=1), database_url=url)) == 0
    assert len(audit.events(until=now - dt.timedelta(minutes=1), database_url=url)) == 0
    assert len(audit.events(since=now.date().isoformat(), database_url=url)) == 1


def test_empty_trail_is_an_empty_frame(url):
    frame = audit.events(database_url=url)
    assert frame.empty and list(frame.columns) == audit.COLUMNS


def test_bad_event_name_refused(url):
    with pytest.raises(ValueError):
        audit.record("Drop table;", username=None, database_url=url)


def test_ip_and_app_database_inside_a_request(tmp_path):
    app = testing.bare_app(tmp_path)
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "10.1.2.3"}):
        audit.record("unmask", username="board", detail={"reason": "charter 7.2"})
    row = audit.events(database_url=app.config["DSMB_DATABASE_URL"]).iloc[0]
    assert row.ip == "10.1.2.3" and row.event == "unmask"


def test_orm_update_and_delete_refused(url):
    audit.record("login", username="a", database_url=url)
    with pytest.raises(AuditTrailImmutable):
        with db.session_scope(url) as s:
            s.scalars(select(AuditEvent)).first().username = "b"
    with pytest.raises(AuditTrailImmutable):
        with db.session_scope(url) as s:
            s.delete(s.scalars(select(AuditEvent)).first())
    for statement in (update(AuditEvent).values(username="b"), delete(AuditEvent)):
        with pytest.raises(AuditTrailImmutable):
            with db.session_scope(url) as s:
                s.execute(statement)
    assert list(audit.events(database_url=url).username) == ["a"]


@pytest.mark.parametrize("sql", ["UPDATE audit_events SET username = 'b'", "DELETE FROM audit_events"])
def test_raw_sql_update_and_delete_refused_by_triggers(url, sql):
    audit.record("login", username="a", database_url=url)
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine(url).begin() as conn:
            conn.exec_driver_sql(sql)
    assert list(audit.events(database_url=url).username) == ["a"]


def test_init_db_is_idempotent(url):
    db.init_db(url)
    audit.record("login", username="a", database_url=url)
    assert len(audit.events(database_url=url)) == 1


def test_csv_neutralizes_formulas(url):
    for name in ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain"]:
        audit.record("login_failed", username=name, detail={"note": "=HYPERLINK(\"x\")"}, database_url=url)
    rows = list(csv.DictReader(io.StringIO(audit.events_csv(database_url=url), newline="")))
    names = [r["username"] for r in reversed(rows)]
    assert names == ["'=cmd|' /C calc'!A0", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "plain"]
    assert all(not r["detail"].startswith("=") for r in rows)
    assert rows[0]["at"].endswith("+00:00") and rows[0]["event"] == "login_failed"


def _write_events(url: str, worker: int) -> None:
    for i in range(20):
        audit.record("closed_view", username=f"w{worker}", detail={"i": i}, database_url=url)


@pytest.mark.skipif(os.name != "posix", reason="fork start method")
def test_several_processes_write_concurrently(url):
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_write_events, args=(url, w)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    assert len(audit.events(database_url=url)) == 80


@pytest.mark.skipif(not os.environ.get("DSMB_TEST_POSTGRES_URL"), reason="set DSMB_TEST_POSTGRES_URL to run")
def test_postgres_triggers_refuse_changes():
    url = os.environ["DSMB_TEST_POSTGRES_URL"]
    db.init_db(url)
    db.init_db(url)
    audit.record("login", username="pg", database_url=url)
    for sql in ("UPDATE audit_events SET username = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events"):
        with pytest.raises(DBAPIError, match="append-only"):
            with db.engine(url).begin() as conn:
                conn.exec_driver_sql(sql)
    assert "pg" in set(audit.events(database_url=url).username)


def test_the_audit_page_offers_every_event_the_trail_records():
    from layouts import admin

    assert admin.AUDIT_EVENTS == audit.EVENTS
