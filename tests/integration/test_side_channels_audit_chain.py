"""The audit trail is tamper-evident: each row's hash chains over the previous row's hash and its own content."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3

import pytest
from sqlalchemy import text

from dashboard import audit, db
from dashboard.auth import cli


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'chain.sqlite'}"
    db.init_db(url)
    return url


def _fill(url: str, n: int = 5) -> None:
    for i in range(n):
        audit.record("closed_view", username=f"u{i}", detail={"view": "v", "access": "unblinded", "inputs": i},
                     database_url=url)


def _raw(url: str, *statements: str) -> None:
    """Change the table behind the application's back, as someone with the database file could."""
    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    connection.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    connection.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.close()


def test_an_untouched_trail_verifies(url):
    _fill(url)
    status = audit.verify_chain(url)
    assert status.intact and status.rows == 5 and len(status.head) == 64


@pytest.mark.parametrize("statement,broken", [
    ("UPDATE audit_events SET username = 'someone else' WHERE id = 3", 3),
    ("UPDATE audit_events SET closed_detail = '{\"inputs\": 99}' WHERE id = 2", 2),
    ("DELETE FROM audit_events WHERE id = 2", 3),
    ("INSERT INTO audit_events (id, at, event, username, row_hash) VALUES (10, '2020-01-01 00:00:00.000000', "
     "'login', 'ghost', 'x')", 10),
])
def test_the_first_broken_link_is_reported(url, statement, broken):
    _fill(url)
    _raw(url, statement)
    status = audit.verify_chain(url)
    assert not status.intact and status.broken_id == broken


def test_removing_the_newest_rows_is_detected(url):
    _fill(url)
    _raw(url, "DELETE FROM audit_events WHERE id >= 4")
    status = audit.verify_chain(url)
    assert not status.intact and status.broken_id is None and "newest rows" in status.reason


def test_rows_written_before_the_chain_existed_are_counted_apart(tmp_path):
    path = tmp_path / "old.sqlite"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE audit_events (id INTEGER PRIMARY KEY, at DATETIME, event VARCHAR(32), "
                       "username VARCHAR(64), cut_id VARCHAR(64), detail TEXT, ip VARCHAR(64))")
    connection.execute("INSERT INTO audit_events (at, event, username) VALUES ('2025-01-01 00:00:00', 'login', 'a')")
    connection.commit()
    connection.close()
    url = f"sqlite:///{path}"
    db.init_db(url)
    _fill(url, 2)
    status = audit.verify_chain(url)
    assert status.intact and status.rows == 2 and status.unchained == 1


def test_cli_reports_the_first_broken_link(url, monkeypatch, capsys):
    monkeypatch.setenv("DSMB_DATABASE_URL", url)
    _fill(url)
    parser = __import__("argparse").ArgumentParser()
    cli.register(parser.add_subparsers(dest="group", required=True))
    args = parser.parse_args(["audit", "verify"])
    assert args.handler(args) == 0 and "intact" in capsys.readouterr().out
    _raw(url, "UPDATE audit_events SET detail = '{}' WHERE id = 4")
    assert args.handler(args) == 1 and "row #4" in capsys.readouterr().err


def _append(url: str, worker: int) -> None:
    for i in range(25):
        audit.record("closed_view", username=f"w{worker}", detail={"i": i}, database_url=url)


def _concurrent_appends_keep_one_chain(url: str) -> None:
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_append, args=(url, w)) for w in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * 4
    status = audit.verify_chain(url)
    assert status.intact and status.rows >= 100, status.summary()


@pytest.mark.skipif(os.name != "posix", reason="fork start method")
def test_concurrent_writers_keep_one_chain_sqlite(url):
    _concurrent_appends_keep_one_chain(url)


@pytest.mark.skipif(not os.environ.get("DSMB_TEST_POSTGRES_URL"), reason="set DSMB_TEST_POSTGRES_URL to run")
def test_concurrent_writers_keep_one_chain_postgres():
    url = os.environ["DSMB_TEST_POSTGRES_URL"]
    db.init_db(url)
    before = audit.verify_chain(url)
    assert before.intact, before.summary()
    db.engine(url).dispose()
    _concurrent_appends_keep_one_chain(url)
    with db.engine(url).connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_events WHERE row_hash IS NULL")).scalar() == 0
