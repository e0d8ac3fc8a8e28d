"""Writing the meeting record: a version (first or amendment), a signature, an action item's resolution.

Every write is one transaction with its audit row. Nothing is ever updated: an amendment is a new version naming
the one it corrects and why; a signature binds the SHA-256 of the exact content signed (21 CFR 11.70). Signing
asks again for both components, user name and password, at every signing (11.200(a)); a refused signature is
audited, and after MAX_REFUSED refusals in REFUSAL_WINDOW the signer must wait.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dashboard import audit
from dashboard.auth.passwords import spend_verify_time, verify_password
from dashboard.auth.users import normalize_username
from dashboard.db import session_scope, utcnow
from dashboard.meeting.entry import MEANINGS, RecordInput
from dashboard.meeting.models import ItemResolution, MeetingRecord, MeetingSignature
from dashboard.permissions import Permission, role_may

MAX_REFUSED = 5
REFUSAL_WINDOW = dt.timedelta(minutes=15)
CONTENT_FIELDS = ("meeting_date", "cut_ids", "cut_dates", "recommendation", "rationale", "open_minutes",
                  "closed_minutes", "attendance", "open_items", "closed_items", "amends_id", "amendment_reason",
                  "version", "meeting_id", "created_by")


class MeetingRefused(ValueError):
    """A write the record does not allow; the message says why and is shown to the user."""


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_sha256(record: MeetingRecord) -> str:
    """SHA-256 over the version's whole content (open and closed), canonical JSON."""
    return hashlib.sha256(_json([getattr(record, f) for f in CONTENT_FIELDS]).encode("utf-8")).hexdigest()


def meeting_of(record: MeetingRecord) -> int:
    """The meeting a version belongs to: the id of its first version."""
    return record.meeting_id or record.id


def amended(session: Session, record_id: int) -> bool:
    return session.scalar(select(MeetingRecord.id).where(MeetingRecord.amends_id == record_id)) is not None


def _new_version(session: Session, data: RecordInput, actor: str, amends: MeetingRecord | None,
                 reason: str) -> MeetingRecord:
    content = {k: v for k, v in asdict(data).items() if k != "problems"}
    record = MeetingRecord(
        meeting_id=meeting_of(amends) if amends else None, version=amends.version + 1 if amends else 1,
        amends_id=amends.id if amends else None, amendment_reason=reason, meeting_date=content["meeting_date"],
        cut_ids=_json(list(content["cut_ids"])), cut_dates=_json(list(content["cut_dates"])),
        recommendation=content["recommendation"], rationale=content["rationale"],
        open_minutes=content["open_minutes"], closed_minutes=content["closed_minutes"],
        attendance=_json(list(content["attendance"])), open_items=_json(list(content["open_items"])),
        closed_items=_json(list(content["closed_items"])), created_by=actor, created_at=utcnow())
    record.content_sha256 = content_sha256(record)
    session.add(record)
    session.flush()
    return record


def write_version(data: RecordInput, actor: str, *, amends_id: int | None = None, reason: str = "",
                  url: str | None = None) -> int:
    """Store a first version, or an amendment of the newest version of a meeting (with its reason); its id."""
    if data.problems:
        raise MeetingRefused(" ".join(data.problems))
    reason = reason.strip()
    try:
        with session_scope(url) as session:
            amends = session.get(MeetingRecord, amends_id) if amends_id is not None else None
            if amends_id is not None and amends is None:
                raise MeetingRefused("The version to amend does not exist.")
            if amends is not None and not reason:
                raise MeetingRefused("An amendment needs its reason.")
            if amends is not None and amended(session, amends.id):
                raise MeetingRefused("That version was amended already; amend the newest version.")
            record = _new_version(session, data, actor, amends, reason)
            audit.add(session, "meeting_amended" if amends else "meeting_recorded", username=actor,
                      cut_id=data.cut_ids[-1], closed=False,
                      detail={"meeting": meeting_of(record), "record": record.id, "version": record.version,
                              "recommendation": record.recommendation, "cuts": list(data.cut_ids),
                              **({"amends": amends.id, "reason": reason} if amends else {})})
            return record.id
    except IntegrityError as exc:      # two amendments of one version at once: the unique amends_id refuses one
        raise MeetingRefused("That version was amended already; amend the newest version.") from exc


def _refused_recently(username: str, url: str | None) -> int:
    since = utcnow() - REFUSAL_WINDOW
    return len(audit.events(event="meeting_sign_refused", username=username, since=since, database_url=url))


def _signing_problem(session: Session, user: Any, typed: str, password: str, record: MeetingRecord | None) -> str:
    """Why this signature is refused, or "" (the password is checked even when another reason applies later)."""
    if normalize_username(typed or "") != user.username:
        spend_verify_time(password or "")
        return "the user name is not the signed-in user's"
    if not user.is_active or not verify_password(user.password_hash, password or ""):
        return "wrong password"
    if not role_may(user.role, Permission.SIGN_MEETINGS):
        return "this role does not sign meeting records"
    if record is None:
        return "no such record"
    if amended(session, record.id):
        return "this version was amended; sign the newest version"
    return ""


def sign(record_id: int, user: Any, typed_username: str, password: str, meaning: str,
         url: str | None = None) -> MeetingSignature:
    """Sign a record version as `user` (the signed-in account) after checking both components again."""
    if meaning not in MEANINGS:
        raise MeetingRefused("Choose the meaning of the signature.")
    if _refused_recently(user.username, url) >= MAX_REFUSED:
        _refuse(user.username, record_id, "too many refused signatures", url)
    with session_scope(url) as session:
        record = session.get(MeetingRecord, record_id)
        problem = _signing_problem(session, user, typed_username, password, record)
        already = record is not None and session.scalar(select(MeetingSignature.id).where(
            MeetingSignature.record_id == record_id, MeetingSignature.username == user.username))
        problem = problem or ("you signed this version already" if already else "")
        if not problem:
            signature = MeetingSignature(record_id=record_id, username=user.username, printed_name=user.username,
                                         role=user.role.value, meaning=meaning, signed_at=utcnow(),
                                         record_sha256=record.content_sha256)
            session.add(signature)
            audit.add(session, "meeting_signed", username=user.username, cut_id=json.loads(record.cut_ids)[-1],
                      closed=False, detail={"meeting": meeting_of(record), "record": record_id,
                                            "version": record.version, "meaning": meaning})
            return signature
    _refuse(user.username, record_id, problem, url)
    raise AssertionError("unreachable")


def _refuse(username: str, record_id: int, reason: str, url: str | None) -> None:
    audit.record("meeting_sign_refused", username=username, detail={"record": record_id, "reason": reason},
                 database_url=url, closed=False)
    wait = " Wait 15 minutes before signing again." if reason == "too many refused signatures" else ""
    raise MeetingRefused(f"Signature refused: {reason}.{wait}")


def resolve_item(meeting_id: int, key: str, resolution: str, actor: str, url: str | None = None) -> None:
    """Record how an action item of a meeting's newest version was resolved (once per item)."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise MeetingRefused("Say how the action item was resolved.")
    from dashboard.meeting.views import newest_version    # views reads what this module writes

    try:
        with session_scope(url) as session:
            record = newest_version(session, meeting_id)
            items = {i["key"]: c for c, f in ((False, "open_items"), (True, "closed_items"))
                     for i in json.loads(getattr(record, f))} if record else {}
            if key not in items:
                raise MeetingRefused("No such action item in the newest version of that meeting.")
            session.add(ItemResolution(meeting_id=meeting_id, item_key=key, closed=items[key], resolution=resolution,
                                       resolved_by=actor, resolved_at=utcnow()))
            session.flush()
            audit.add(session, "meeting_item_resolved", username=actor, closed=items[key],
                      detail={"meeting": meeting_id, "item": key})
    except IntegrityError as exc:
        raise MeetingRefused(f"Action item {key} was resolved already.") from exc
