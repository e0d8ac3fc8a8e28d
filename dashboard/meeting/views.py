"""Reading the meeting record for one reader: the open part for everyone, the closed part only for `sees_arms`.

This is the one place that decides what of a record a reader gets. A reader who does not see arms gets no
closed minutes, no closed action item, no checksum (it covers the closed minutes) and nothing whose size
depends on them."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from dashboard.meeting.entry import MEANINGS, RECOMMENDATIONS
from dashboard.meeting.models import ItemResolution, MeetingRecord, MeetingSignature
from dashboard.meeting.record import content_sha256, meeting_of


def versions(session: Session, meeting_id: int) -> list[MeetingRecord]:
    """Every version of a meeting, oldest first."""
    query = select(MeetingRecord).where(or_(MeetingRecord.id == meeting_id, MeetingRecord.meeting_id == meeting_id))
    return list(session.scalars(query.order_by(MeetingRecord.version)))


def newest_version(session: Session, meeting_id: int) -> MeetingRecord | None:
    found = versions(session, meeting_id)
    return found[-1] if found else None


def newest_versions(session: Session) -> list[MeetingRecord]:
    """The newest version of every meeting, latest meeting date first."""
    records = list(session.scalars(select(MeetingRecord)))
    newest: dict[int, MeetingRecord] = {}
    for r in records:
        if meeting_of(r) not in newest or r.version > newest[meeting_of(r)].version:
            newest[meeting_of(r)] = r
    return sorted(newest.values(), key=lambda r: (r.meeting_date, meeting_of(r)), reverse=True)


def choice_label(record: MeetingRecord) -> str:
    """How a meeting is named in a list: date, cuts, recommendation, version (all open)."""
    cuts = ", ".join(json.loads(record.cut_dates))
    return (f"{record.meeting_date} · cut {cuts} · {RECOMMENDATIONS.get(record.recommendation, '?')}"
            f"{f' · amendment {record.version - 1}' if record.version > 1 else ''}")


def _signatures(session: Session, record: MeetingRecord, intact: bool) -> list[dict[str, Any]]:
    rows = session.scalars(select(MeetingSignature).where(MeetingSignature.record_id == record.id)
                           .order_by(MeetingSignature.signed_at))
    return [{"printed_name": s.printed_name, "role": s.role, "meaning": MEANINGS.get(s.meaning, s.meaning),
             "signed_at": s.signed_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
             "valid": intact and s.record_sha256 == record.content_sha256} for s in rows]


def _resolutions(session: Session, meeting_id: int, sees_arms: bool) -> dict[str, dict[str, str]]:
    query = select(ItemResolution).where(ItemResolution.meeting_id == meeting_id)
    if not sees_arms:
        query = query.where(ItemResolution.closed.is_(False))
    return {r.item_key: {"resolution": r.resolution, "resolved_by": r.resolved_by,
                         "resolved_at": r.resolved_at.strftime("%Y-%m-%d %H:%M UTC")} for r in session.scalars(query)}


def _items(raw: str, resolved: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    return [{**item, **resolved.get(item["key"], {"resolution": "", "resolved_by": "", "resolved_at": ""})}
            for item in json.loads(raw)]


def record_view(session: Session, record: MeetingRecord, sees_arms: bool) -> dict[str, Any]:
    """What the reader may see of one version, as plain values."""
    intact = content_sha256(record) == record.content_sha256
    resolved = _resolutions(session, meeting_of(record), sees_arms)
    newer = session.scalar(select(MeetingRecord.id).where(MeetingRecord.amends_id == record.id))
    view = {"id": record.id, "meeting": meeting_of(record), "version": record.version,
            "meeting_date": record.meeting_date, "cut_ids": json.loads(record.cut_ids),
            "cut_dates": json.loads(record.cut_dates), "recommendation": record.recommendation,
            "recommendation_label": RECOMMENDATIONS.get(record.recommendation, record.recommendation),
            "rationale": record.rationale, "open_minutes": record.open_minutes,
            "attendance": json.loads(record.attendance), "open_items": _items(record.open_items, resolved),
            "created_by": record.created_by, "created_at": record.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            "amends_id": record.amends_id, "amendment_reason": record.amendment_reason, "amended_by": newer,
            "intact": intact, "signatures": _signatures(session, record, intact)}
    if sees_arms:
        view |= {"closed_minutes": record.closed_minutes, "closed_items": _items(record.closed_items, resolved),
                 "sha256": record.content_sha256}
    return view


def meeting_views(session: Session, meeting_id: int, sees_arms: bool) -> list[dict[str, Any]]:
    """Every version of a meeting as the reader may see it, oldest first."""
    return [record_view(session, r, sees_arms) for r in versions(session, meeting_id)]
