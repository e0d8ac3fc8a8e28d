"""The users table: a Flask-Login user whose session id carries a revocable token."""

from __future__ import annotations

import datetime as dt
import secrets

from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.audit import AuditEvent
from dashboard.db import Base, UTCDateTime, utcnow
from dashboard.permissions import Role

__all__ = ["AuditEvent", "LoginThrottle", "User", "new_session_token"]


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, Base):
    """A dashboard account; `role` is the `Role` enum, stored as its value."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role_value: Mapped[str] = mapped_column("role", String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)

    @property
    def role(self) -> Role:
        return Role(self.role_value)

    @role.setter
    def role(self, value: Role) -> None:
        self.role_value = Role(value).value

    def get_id(self) -> str:
        """`<id>:<session token>`: rotating the token ends every session of this user."""
        return f"{self.id}:{self.session_token}"

    def is_locked(self, now: dt.datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    def __repr__(self) -> str:
        return f"User({self.username!r}, {self.role_value}, active={self.is_active})"


class LoginThrottle(Base):
    """Consecutive failed logins from one client address, and until when its attempts wait (back-off)."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
