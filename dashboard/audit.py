"""The append-only audit trail: who did what, when, from where.

Rows are only ever inserted. The ORM refuses updates and deletes of `AuditEvent`, and
`init_db` installs database triggers that refuse them for any client.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import flask
import pandas as pd
from sqlalchemy import Select, String, Text, event, select
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from dashboard.exports import neutralize_cell
from dashboard.db import Base, UTCDateTime, session_scope, utcnow

TABLE = "audit_events"
EVENTS = ("login", "login_failed", "logout", "lockout", "cut_load", "cut_rejected", "closed_view", "unmask",
          "export", "user_added", "role_changed", "user_disabled", "user_enabled", "password_reset", "cut_refused",
          "cut_activated", "cut_activation_refused")
COLUMNS = ["id", "at", "event", "username", "cut_id", "ip", "detail"]
_EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


class AuditTrailImmutable(PermissionError):
    """Something tried to change or remove an audit row."""


class AuditEvent(Base):
    """One audit row; `detail` is JSON text, `at` is UTC."""

    __tablename__ = TABLE

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    event: Mapped[str] = mapped_column(String(32), index=True)
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    cut_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(64))


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(_mapper: Any, _connection: Any, _target: AuditEvent) -> None:
    raise AuditTrailImmutable("audit rows cannot be changed")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(_mapper: Any, _connection: Any, _target: AuditEvent) -> None:
    raise AuditTrailImmutable("audit rows cannot be deleted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(m.class_ is AuditEvent for m in state.all_mappers):
        raise AuditTrailImmutable("audit rows cannot be changed or deleted")


def append_only_sql(dialect: str) -> list[str]:
    """Statements installing triggers that refuse UPDATE and DELETE on the audit table."""
    if dialect == "sqlite":
        return [f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_{op.lower()} BEFORE {op} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, '{TABLE} is append-only'); END" for op in ("UPDATE", "DELETE")]
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION dsmb_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{TABLE} is append-only'; END $$",
            f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION dsmb_audit_append_only()",
            f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
            f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION dsmb_audit_append_only()",
        ]
    return []


def _request_ip() -> str | None:
    return flask.request.remote_addr if flask.has_request_context() else None


def add(session: Session, event_name: str, *, username: str | None, cut_id: str | None = None,
        detail: dict[str, Any] | None = None) -> AuditEvent:
    """Add an audit row to `session`, so it commits (or not) with the change it records."""
    if not _EVENT_NAME.match(event_name):
        raise ValueError(f"not an audit event name: {event_name!r}")
    row = AuditEvent(at=utcnow(), event=event_name, username=username, cut_id=cut_id, ip=_request_ip(),
                     detail=json.dumps(detail, sort_keys=True, default=str) if detail is not None else None)
    session.add(row)
    return row


def record(event: str, *, username: str | None, cut_id: str | None = None, detail: dict[str, Any] | None = None,
           database_url: str | None = None) -> None:
    """Append one event in its own short transaction (with the request IP when in a request)."""
    with session_scope(database_url) as session:
        add(session, event, username=username, cut_id=cut_id, detail=detail)


def _as_utc(value: dt.datetime | dt.date | str) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def _query(event: str | None, username: str | None, since: Any, until: Any, limit: int | None) -> Select[Any]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if event:
        query = query.where(AuditEvent.event == event)
    if username:
        query = query.where(AuditEvent.username == username)
    if since is not None:
        query = query.where(AuditEvent.at >= _as_utc(since))
    if until is not None:
        query = query.where(AuditEvent.at < _as_utc(until))
    return query.limit(limit) if limit else query


def events(*, event: str | None = None, username: str | None = None, since: dt.datetime | dt.date | str | None = None,
           until: dt.datetime | dt.date | str | None = None, limit: int | None = None,
           database_url: str | None = None) -> pd.DataFrame:
    """Audit rows, newest first; `since` inclusive, `until` exclusive (naive times are UTC)."""
    with session_scope(database_url) as session:
        rows = session.scalars(_query(event, username, since, until, limit)).all()
    frame = pd.DataFrame([{c: getattr(r, c) for c in COLUMNS} for r in rows], columns=COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


def neutralize(value: Any) -> Any:
    """Prefix text a spreadsheet would run as a formula with `'` (the one rule in dashboard.exports)."""
    return neutralize_cell(value)


def events_csv(*, event: str | None = None, username: str | None = None,
               since: dt.datetime | dt.date | str | None = None, until: dt.datetime | dt.date | str | None = None,
               limit: int | None = None, database_url: str | None = None) -> str:
    """`events(...)` as CSV text, timestamps in ISO 8601 UTC, formula-like cells neutralized."""
    frame = events(event=event, username=username, since=since, until=until, limit=limit,
                   database_url=database_url)
    frame["at"] = frame["at"].map(lambda t: t.isoformat(timespec="seconds") if pd.notna(t) else "")
    for column in COLUMNS[1:]:
        frame[column] = frame[column].astype(object).map(neutralize)
    return frame.to_csv(index=False, lineterminator="\r\n")
