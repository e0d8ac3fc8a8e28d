"""The append-only, hash-chained audit trail: who did what, when, from where.

Rows are only ever inserted. The ORM refuses updates and deletes of `AuditEvent`, and
`init_db` installs database triggers that refuse them for any client. Each row carries the
SHA-256 of the previous row's hash and its own content, so a changed, removed or inserted
row breaks the chain (`verify_chain`). A row about a closed action keeps what was asked and
what came back (`closed_detail`) apart from the fact that it happened (`detail`): only roles
that see arms may read the former.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

import flask
import pandas as pd
from sqlalchemy import DDL, Integer, Select, String, Text, event, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from dashboard.db import Base, UTCDateTime, session_scope, utcnow
from dashboard.exports import neutralize_cell

TABLE = "audit_events"
HEAD_TABLE = "audit_chain_head"
EVENTS = ("login", "login_failed", "logout", "lockout", "cut_load", "cut_rejected", "closed_view", "unmask",
          "export", "user_added", "role_changed", "user_disabled", "user_enabled", "password_reset", "cut_refused",
          "cut_activated", "cut_activation_refused", "login_unlocked", "cut_load_pending", "cut_load_interrupted",
          "cut_signed", "cut_sign_refused", "pack_build", "pack_download", "pack_export", "meeting_recorded",
          "meeting_amended", "meeting_signed", "meeting_sign_refused", "meeting_item_resolved", "meeting_letter")
COLUMNS = ["id", "at", "event", "username", "cut_id", "ip", "detail"]
CLOSED_EVENTS = frozenset({"closed_view", "unmask"})  # always about closed data
ARMED_ACCESS = frozenset({"coded", "unblinded"})     # an action by a user who sees arms is a closed action
OPEN_KEYS_OF_CLOSED = frozenset({"view", "file", "access"})  # which display or file, and at what access: open
_EVENT_NAME = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
GENESIS = ""


class AuditTrailImmutable(PermissionError):
    """Something tried to change or remove an audit row."""


class AuditEvent(Base):
    """One audit row; `detail` and `closed_detail` are JSON text, `at` is UTC, `row_hash` chains the rows."""

    __tablename__ = TABLE

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    event: Mapped[str] = mapped_column(String(32), index=True)
    username: Mapped[str | None] = mapped_column(String(64), index=True)
    cut_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    ip: Mapped[str | None] = mapped_column(String(64))
    closed_detail: Mapped[str | None] = mapped_column(Text, default=None)
    row_hash: Mapped[str | None] = mapped_column(String(64), default=None)


class AuditChainHead(Base):
    """One row: the hash of the newest audit row and how many rows are chained (serializes appends)."""

    __tablename__ = HEAD_TABLE

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS)
    row_count: Mapped[int] = mapped_column(Integer, default=0)


event.listen(AuditChainHead.__table__, "after_create",
             DDL(f"INSERT INTO {HEAD_TABLE} (id, last_hash, row_count) VALUES (1, '', 0)"))
_NEW_COLUMNS = {"closed_detail": "TEXT", "row_hash": "VARCHAR(64)"}


@event.listens_for(Base.metadata, "after_create")
def _add_missing_columns(_metadata: Any, connection: Connection, **_kw: Any) -> None:
    """A database created before these columns existed gets them (rows written before stay unchained)."""
    present = {c["name"] for c in inspect(connection).get_columns(TABLE)}
    for name, sql_type in _NEW_COLUMNS.items():
        if name not in present:
            connection.exec_driver_sql(f"ALTER TABLE {TABLE} ADD COLUMN {name} {sql_type}")


def content_hash(previous: str, row: AuditEvent) -> str:
    """SHA-256 over the previous row's hash and this row's content (canonical JSON)."""
    at = row.at.astimezone(dt.timezone.utc).isoformat(timespec="microseconds") if row.at else None
    content = [previous, at, row.event, row.username, row.cut_id, row.ip, row.detail, row.closed_detail]
    return hashlib.sha256(json.dumps(content, separators=(",", ":")).encode("utf-8")).hexdigest()


@event.listens_for(AuditEvent, "before_insert")
def _chain(_mapper: Any, connection: Connection, target: AuditEvent) -> None:
    """Link the row to the newest one. Updating the head first takes the write lock (SQLite) or the head
    row's lock (PostgreSQL), so concurrent writers append one after the other and never fork the chain."""
    head = AuditChainHead.__table__
    connection.execute(update(head).where(head.c.id == 1).values(row_count=head.c.row_count + 1))
    previous = connection.scalar(select(head.c.last_hash).where(head.c.id == 1))
    if previous is None:
        raise AuditTrailImmutable(f"{HEAD_TABLE} has no head row; the audit chain cannot be extended")
    target.at = target.at or utcnow()
    target.row_hash = content_hash(previous, target)
    connection.execute(update(head).where(head.c.id == 1).values(last_hash=target.row_hash))


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


def is_closed_action(event_name: str, detail: dict[str, Any] | None) -> bool:
    """A closed view, an unmask, anything done at an access level that sees arms, and an export unless it
    says it was made blinded (deny by default: an export that does not say is treated as closed)."""
    access = str((detail or {}).get("access", ""))
    if event_name in CLOSED_EVENTS or access in ARMED_ACCESS:
        return True
    return event_name == "export" and access != "blinded"


def split_detail(event_name: str, detail: dict[str, Any] | None,
                 closed: bool | None = None) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(open, closed) parts of a row's detail. Of a closed action only which display or file and the access
    level are open; its inputs, counts, subjects and reasons are closed (deny by default: unknown keys too)."""
    if detail is None:
        return None, None
    if not (closed if closed is not None else is_closed_action(event_name, detail)):
        return detail, None
    shown = {k: v for k, v in detail.items() if k in OPEN_KEYS_OF_CLOSED}
    hidden = {k: v for k, v in detail.items() if k not in OPEN_KEYS_OF_CLOSED}
    return shown, hidden or None


def _json(value: dict[str, Any] | None) -> str | None:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False) if value is not None else None


def add(session: Session, event_name: str, *, username: str | None, cut_id: str | None = None,
        detail: dict[str, Any] | None = None, closed: bool | None = None) -> AuditEvent:
    """Add an audit row to `session`, so it commits (or not) with the change it records.

    `closed` marks a closed action; by default `is_closed_action` decides."""
    if not _EVENT_NAME.match(event_name):
        raise ValueError(f"not an audit event name: {event_name!r}")
    shown, hidden = split_detail(event_name, detail, closed)
    row = AuditEvent(at=utcnow(), event=event_name, username=username, cut_id=cut_id, ip=_request_ip(),
                     detail=_json(shown), closed_detail=_json(hidden))
    session.add(row)
    return row


def record(event: str, *, username: str | None, cut_id: str | None = None, detail: dict[str, Any] | None = None,
           database_url: str | None = None, closed: bool | None = None) -> None:
    """Append one event in its own short transaction (with the request IP when in a request)."""
    with session_scope(database_url) as session:
        add(session, event, username=username, cut_id=cut_id, detail=detail, closed=closed)


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
           database_url: str | None = None, closed_detail: bool = False) -> pd.DataFrame:
    """Audit rows, newest first; `since` inclusive, `until` exclusive (naive times are UTC).

    `closed_detail=True` adds the closed part of each row: only for readers who see arms."""
    columns = COLUMNS + (["closed_detail"] if closed_detail else [])
    with session_scope(database_url) as session:
        rows = session.scalars(_query(event, username, since, until, limit)).all()
    frame = pd.DataFrame([{c: getattr(r, c) for c in columns} for r in rows], columns=columns)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


def neutralize(value: Any) -> Any:
    """Prefix text a spreadsheet would run as a formula with `'` (the one rule in dashboard.exports)."""
    return neutralize_cell(value)


def events_csv(*, event: str | None = None, username: str | None = None,
               since: dt.datetime | dt.date | str | None = None, until: dt.datetime | dt.date | str | None = None,
               limit: int | None = None, database_url: str | None = None, closed_detail: bool = False) -> str:
    """`events(...)` as CSV text, timestamps in ISO 8601 UTC, formula-like cells neutralized."""
    frame = events(event=event, username=username, since=since, until=until, limit=limit,
                   database_url=database_url, closed_detail=closed_detail)
    frame["at"] = frame["at"].map(lambda t: t.isoformat(timespec="seconds") if pd.notna(t) else "")
    for column in frame.columns[1:]:
        frame[column] = frame[column].astype(object).map(neutralize)
    return frame.to_csv(index=False, lineterminator="\r\n")


@dataclass(frozen=True)
class ChainStatus:
    """The result of walking the chain: intact, or the first row whose link is broken and why."""

    intact: bool
    rows: int
    unchained: int = 0
    broken_id: int | None = None
    reason: str = ""
    head: str = GENESIS

    def summary(self, *, head: bool = False) -> str:
        """One line; `head=True` adds the newest hash (for the operator to note down: a later verify that
        shows the same rows under another head means the trail was rewritten). Not for the web page: the
        hashes cover closed detail."""
        if self.intact:
            before = f"; {self.unchained:,} earlier rows predate chaining" if self.unchained else ""
            return f"Audit chain intact: {self.rows:,} chained rows{before}" + (f"; head {self.head}" if head else "")
        where = f"at row #{self.broken_id}" if self.broken_id is not None else "at the head"
        return f"Audit chain BROKEN {where}: {self.reason}"


def _walk(session: Session, after_id: int, previous: str, chained: int,
          unchained: int) -> tuple[ChainStatus | None, int, str, int, int]:
    """Check rows with id > `after_id`; a ChainStatus when a link is broken, else the walk's new state."""
    query = select(AuditEvent).where(AuditEvent.id > after_id).order_by(AuditEvent.id)
    for row in session.scalars(query.execution_options(yield_per=2000)):
        after_id = row.id
        if row.row_hash is None and chained == 0:
            unchained += 1  # written before this database had the chain
            continue
        if row.row_hash != content_hash(previous, row):
            reason = "the row has no hash" if row.row_hash is None else (
                "its content, or the row before it, was changed, removed or inserted")
            return ChainStatus(False, chained, unchained, row.id, reason), after_id, previous, chained, unchained
        previous, chained = row.row_hash, chained + 1
    return None, after_id, previous, chained, unchained


def verify_chain(database_url: str | None = None) -> ChainStatus:
    """Walk every row in id order, recomputing each hash from the previous one; the first broken link wins.
    The head must then name the last row and the count, else the newest rows were removed."""
    after_id, previous, chained, unchained = 0, GENESIS, 0, 0
    with session_scope(database_url) as session:
        for _ in range(5):  # rows appended while we walk: walk on to them
            broken, after_id, previous, chained, unchained = _walk(session, after_id, previous, chained, unchained)
            if broken:
                return broken
            head = session.execute(select(AuditChainHead.last_hash, AuditChainHead.row_count)
                                   .where(AuditChainHead.id == 1)).first()
            if head is None or head.row_count <= chained:
                break
    if head is None or head.last_hash != previous or head.row_count != chained:
        return ChainStatus(False, chained, unchained, None,
                           "the newest rows were removed (the head names another last row or count)")
    return ChainStatus(True, chained, unchained, head=previous)
