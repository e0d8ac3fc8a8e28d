"""Database engine, sessions and schema setup: SQLite (WAL, busy timeout) or PostgreSQL.

The URL comes from the Flask app's `DSMB_DATABASE_URL`, else `$DSMB_DATABASE_URL`, else
`sqlite:///<project>/instance/dsmb.sqlite`, so the web app and the CLI agree by default.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import flask
from sqlalchemy import DateTime, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from dashboard.config import default_instance_path

SQLITE_BUSY_TIMEOUT_MS = 30_000
_INIT_LOCK_KEY = 0x44534D42  # PostgreSQL advisory lock held while creating the schema
_lock = threading.Lock()
_makers: dict[str, sessionmaker[Session]] = {}


class Base(DeclarativeBase):
    """Declarative base of every table."""


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored as naive UTC and read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def default_database_url(instance: Path | None = None) -> str:
    """A SQLite file in the instance folder (the web app and the command line agree on it)."""
    return f"sqlite:///{(instance or default_instance_path()) / 'dsmb.sqlite'}"


def database_url() -> str:
    """The URL in use: the current app's DSMB_DATABASE_URL, $DSMB_DATABASE_URL, or the default."""
    if flask.has_app_context() and flask.current_app.config.get("DSMB_DATABASE_URL"):
        return flask.current_app.config["DSMB_DATABASE_URL"]
    return os.environ.get("DSMB_DATABASE_URL") or default_database_url()


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    memory = database in (None, "", ":memory:")
    options: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                                "check_same_thread": False}}
    if memory:
        options["poolclass"] = StaticPool
    else:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if not memory:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    return engine


def _create_engine(url: str) -> Engine:
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True)


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    """The (cached, per process) session maker for `url`."""
    url = url or database_url()
    with _lock:
        maker = _makers.get(url)
        created = maker is None
        if created:
            maker = _makers[url] = sessionmaker(bind=_create_engine(url), expire_on_commit=False)
    if created:
        init_db(url)  # idempotent: the CLI and a fresh database need the tables too
    return maker


def engine(url: str | None = None) -> Engine:
    return session_factory(url).kw["bind"]


def _forget_pooled_connections() -> None:
    for maker in list(_makers.values()):
        maker.kw["bind"].dispose(close=False)


os.register_at_fork(after_in_child=_forget_pooled_connections)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session in one short transaction: committed on success, rolled back on error."""
    session = session_factory(url)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def init_db(url: str | None = None) -> None:
    """Create missing tables and the audit table's append-only triggers; safe from many workers."""
    from dashboard import audit
    from dashboard.auth import models  # noqa: F401  (registers the users table)
    from dashboard.meeting import models as meeting_models  # registers the meeting tables

    eng = engine(url)
    dialect = eng.dialect.name
    with eng.connect() as conn:
        if dialect == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif dialect == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _INIT_LOCK_KEY})
        Base.metadata.create_all(conn)
        for statement in audit.append_only_sql(dialect) + meeting_models.append_only_sql(dialect):
            conn.exec_driver_sql(statement)
        conn.commit()
