"""Past meetings as one table for the meeting pack: recommendation, signatures and action items with their state.

`past_meetings(session_or_engine, cut_id, sees_arms)` is pure over the database: it reads, never writes, and gives
a reader who does not see arms no closed action item (the frame has the same columns for every reader)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dashboard.db import session_scope
from dashboard.meeting.views import newest_versions, record_view

COLUMNS = ["Meeting date", "Cuts reviewed", "Recommendation", "Rationale", "Version", "Signed by", "Item",
           "Action item", "Owner", "Due", "Status"]


@contextmanager
def _session(source: Session | Engine | str | None) -> Iterator[Session]:
    if isinstance(source, Session):
        yield source
    elif isinstance(source, Engine):
        with Session(source) as session:
            yield session
    else:
        with session_scope(source) as session:
            yield session


def cut_date_of(cut_id: str) -> str:
    """A cut id starts with its cut date (dashboard.ingest.identity.cut_id_for)."""
    date = cut_id[:10]
    dt.date.fromisoformat(date)     # a ValueError names an id that is not a cut id
    return date


def _signed(view: dict[str, Any]) -> str:
    signed = [f"{s['printed_name']} ({s['meaning'].lower()}, {s['signed_at']})" for s in view["signatures"]
              if s["valid"]]
    return "; ".join(signed) if signed else "not signed"


def _status(item: dict[str, str]) -> str:
    return f"resolved {item['resolved_at']}: {item['resolution']}" if item["resolution"] else "open"


def _rows(view: dict[str, Any], sees_arms: bool) -> list[dict[str, Any]]:
    base = {"Meeting date": view["meeting_date"], "Cuts reviewed": ", ".join(view["cut_dates"]),
            "Recommendation": view["recommendation_label"], "Rationale": view["rationale"],
            "Version": view["version"], "Signed by": _signed(view)}
    items = view["open_items"] + (view.get("closed_items", []) if sees_arms else [])
    if not items:
        return [base | {"Item": "", "Action item": "none", "Owner": "", "Due": "", "Status": ""}]
    return [base | {"Item": i["key"], "Action item": i["action"], "Owner": i["owner"], "Due": i["due"],
                    "Status": _status(i)} for i in items]


def past_meetings(session_or_engine: Session | Engine | str | None, cut_id: str, sees_arms: bool, *,
                  include_this_cut: bool = False) -> pd.DataFrame:
    """The newest version of every meeting that reviewed only cuts before `cut_id`'s date (or on it, with
    `include_this_cut`), oldest meeting first, one row per action item; closed items only when `sees_arms`."""
    date = cut_date_of(cut_id)
    rows: list[dict[str, Any]] = []
    with _session(session_or_engine) as session:
        for record in reversed(newest_versions(session)):
            view = record_view(session, record, sees_arms)
            last = max(view["cut_dates"])
            if last < date or (include_this_cut and last == date):
                rows += _rows(view, sees_arms)
    return pd.DataFrame(rows, columns=COLUMNS).astype({"Version": "Int64"})
