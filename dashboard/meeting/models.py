"""The meeting record's tables: every row is inserted once and never changed or removed.

A record version (`MeetingRecord`) holds the recommendation, rationale, open and closed minutes, attendance and
action items of one meeting; a correction is a new version that names the one it amends and why. Signatures
(`MeetingSignature`) and action-item resolutions (`ItemResolution`) are rows of their own. The ORM refuses
updates and deletes, and `init_db` installs triggers that refuse them for any client (SQLite and PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from dashboard.db import Base, UTCDateTime, utcnow

RECORDS, SIGNATURES, RESOLUTIONS = "meeting_records", "meeting_signatures", "meeting_item_resolutions"
TABLES = (RECORDS, SIGNATURES, RESOLUTIONS)


class MeetingImmutable(PermissionError):
    """Something tried to change or remove a meeting row; corrections are amendments."""


class MeetingRecord(Base):
    """One version of a meeting's record. `meeting_id` is the first version's id; `amends_id` the version
    this one corrects (unique: a version is amended at most once, so versions form one chain)."""

    __tablename__ = RECORDS

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int | None] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    amends_id: Mapped[int | None] = mapped_column(ForeignKey(f"{RECORDS}.id"), unique=True, default=None)
    amendment_reason: Mapped[str] = mapped_column(Text, default="")
    meeting_date: Mapped[str] = mapped_column(String(10))
    cut_ids: Mapped[str] = mapped_column(Text)          # JSON list of the cut ids reviewed
    cut_dates: Mapped[str] = mapped_column(Text)        # JSON list of their cut dates, same order
    recommendation: Mapped[str] = mapped_column(String(32))
    rationale: Mapped[str] = mapped_column(Text, default="")
    open_minutes: Mapped[str] = mapped_column(Text, default="")
    closed_minutes: Mapped[str] = mapped_column(Text, default="")
    attendance: Mapped[str] = mapped_column(Text, default="[]")      # JSON list of {name, capacity, sessions}
    open_items: Mapped[str] = mapped_column(Text, default="[]")      # JSON list of {key, action, owner, due}
    closed_items: Mapped[str] = mapped_column(Text, default="[]")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    content_sha256: Mapped[str] = mapped_column(String(64))


class MeetingSignature(Base):
    """A member's signature of one record version: printed name, UTC time, meaning, and the SHA-256 of the
    content signed (so a signature stays bound to exactly that text)."""

    __tablename__ = SIGNATURES
    __table_args__ = (UniqueConstraint("record_id", "username", name="one_signature_per_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey(f"{RECORDS}.id"), index=True)
    username: Mapped[str] = mapped_column(String(64))
    printed_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    meaning: Mapped[str] = mapped_column(String(16))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    record_sha256: Mapped[str] = mapped_column(String(64))


class ItemResolution(Base):
    """How and when an action item of a meeting (by its key, e.g. O1 or C2) was resolved."""

    __tablename__ = RESOLUTIONS
    __table_args__ = (UniqueConstraint("meeting_id", "item_key", name="one_resolution_per_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(Integer, index=True)
    item_key: Mapped[str] = mapped_column(String(8))
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    resolution: Mapped[str] = mapped_column(Text)
    resolved_by: Mapped[str] = mapped_column(String(64))
    resolved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


_MODELS = (MeetingRecord, MeetingSignature, ItemResolution)


def _refuse(_mapper: Any, _connection: Any, target: Any) -> None:
    raise MeetingImmutable(f"{type(target).__tablename__} rows are never changed; record an amendment instead")


for _model in _MODELS:
    event.listen(_model, "before_update", _refuse)
    event.listen(_model, "before_delete", _refuse)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(m.class_ in _MODELS for m in state.all_mappers):
        raise MeetingImmutable("meeting rows are never changed or deleted; record an amendment instead")


def append_only_sql(dialect: str) -> list[str]:
    """Triggers that refuse UPDATE and DELETE on the meeting tables, for any database client."""
    if dialect == "sqlite":
        return [f"CREATE TRIGGER IF NOT EXISTS {t}_no_{op.lower()} BEFORE {op} ON {t} "
                f"BEGIN SELECT RAISE(ABORT, '{t} is append-only'); END" for t in TABLES for op in ("UPDATE", "DELETE")]
    if dialect == "postgresql":
        # no % in the body: the DBAPI would read it as a placeholder
        out = ["CREATE OR REPLACE FUNCTION dsmb_meeting_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
               "BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only'; END $$"]
        for t in TABLES:
            out += [f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}",
                    f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
                    "FOR EACH ROW EXECUTE FUNCTION dsmb_meeting_append_only()",
                    f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}",
                    f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
                    "FOR EACH STATEMENT EXECUTE FUNCTION dsmb_meeting_append_only()"]
        return out
    return []
