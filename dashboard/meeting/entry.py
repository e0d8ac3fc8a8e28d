"""What a board member types into the meeting form, checked and turned into the stored shape (pure).

Attendance and action items are typed one per line with fields separated by "|"; a line that does not fit is a
problem naming its line, never dropped quietly."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

RECOMMENDATIONS = {
    "continue_unchanged": "Continue unchanged",
    "continue_with_changes": "Continue with changes",
    "pause_enrolment": "Pause enrolment",
    "stop_safety": "Stop for safety",
    "stop_efficacy": "Stop for efficacy",
    "stop_futility": "Stop for futility",
}
MEANINGS = {"approved": "Approved", "reviewed": "Reviewed"}
ATTENDANCE_FIELDS = ("name", "capacity", "sessions")
ITEM_FIELDS = ("action", "owner", "due")
MAX_TEXT = 20_000       # characters of one text field: the callback guard refuses longer (guard.MAX_STRING_CHARS)


@dataclass(frozen=True)
class RecordInput:
    """The content of one record version, as it will be stored and signed."""

    meeting_date: str
    cut_ids: tuple[str, ...]
    cut_dates: tuple[str, ...]
    recommendation: str
    rationale: str
    open_minutes: str
    closed_minutes: str
    attendance: tuple[dict[str, str], ...] = ()
    open_items: tuple[dict[str, str], ...] = ()
    closed_items: tuple[dict[str, str], ...] = ()
    problems: tuple[str, ...] = field(default=(), compare=False)


def _lines(text: str | None, fields: tuple[str, ...], what: str) -> tuple[list[dict[str, str]], list[str]]:
    """Rows of "a | b | c" lines; the first field is required, the others may be blank or left out."""
    rows, problems = [], []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) > len(fields) or not parts[0]:
            problems.append(f"{what}, line {number}: expected '{' | '.join(fields)}' ({len(fields)} fields at most, "
                            f"the first not blank); got {len(parts)} field(s)")
            continue
        rows.append(dict(zip(fields, parts + [""] * (len(fields) - len(parts)))))
    return rows, problems


def _items(text: str | None, prefix: str, what: str) -> tuple[list[dict[str, str]], list[str]]:
    rows, problems = _lines(text, ITEM_FIELDS, what)
    for number, row in enumerate(rows, start=1):
        row["key"] = f"{prefix}{number}"
        if row["due"] and not _is_date(row["due"]):
            problems.append(f"{what} {row['key']}: due date {row['due']!r} is not a date (YYYY-MM-DD)")
    return rows, problems


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def items_text(items: list[dict[str, Any]]) -> str:
    """Items back as the lines the form takes (to start an amendment from the version it corrects)."""
    return "\n".join(" | ".join(str(i.get(f, "")) for f in ITEM_FIELDS).rstrip(" |") for i in items)


def attendance_text(rows: list[dict[str, Any]]) -> str:
    return "\n".join(" | ".join(str(r.get(f, "")) for f in ATTENDANCE_FIELDS).rstrip(" |") for r in rows)


def parse(form: dict[str, Any], known_cuts: dict[str, str]) -> RecordInput:
    """The form's values as a RecordInput; `problems` lists everything wrong at once (nothing stored then)."""
    problems: list[str] = []
    date = str(form.get("meeting_date") or "").strip()
    if not _is_date(date):
        problems.append("Meeting date: give the date of the meeting as YYYY-MM-DD.")
    cut_ids = [c for c in (form.get("cut_ids") or []) if isinstance(c, str)]
    unknown = [c for c in cut_ids if c not in known_cuts]
    if not cut_ids:
        problems.append("Cuts reviewed: choose at least one loaded cut.")
    if unknown:
        problems.append(f"Cuts reviewed: {', '.join(unknown)} is not a loaded cut.")
    recommendation = str(form.get("recommendation") or "")
    if recommendation not in RECOMMENDATIONS:
        problems.append("Recommendation: choose one of the listed recommendations.")
    rationale = str(form.get("rationale") or "").strip()
    if not rationale:
        problems.append("Rationale: say why the board recommends this (it goes to the sponsor: no by-arm results).")
    texts = {k: str(form.get(k) or "").strip() for k in ("open_minutes", "closed_minutes")}
    problems += [f"{k.replace('_', ' ').capitalize()}: longer than {MAX_TEXT} characters."
                 for k, v in texts.items() if len(v) > MAX_TEXT]
    attendance, p1 = _lines(form.get("attendance"), ATTENDANCE_FIELDS, "Attendance")
    open_items, p2 = _items(form.get("open_items"), "O", "Open action item")
    closed_items, p3 = _items(form.get("closed_items"), "C", "Closed action item")
    if not attendance:
        problems.append("Attendance: list who attended, one per line (name | capacity | sessions).")
    cuts = sorted(set(c for c in cut_ids if c in known_cuts), key=lambda c: (known_cuts[c], c))
    return RecordInput(date, tuple(cuts), tuple(known_cuts[c] for c in cuts), recommendation, rationale,
                       texts["open_minutes"], texts["closed_minutes"], tuple(attendance), tuple(open_items),
                       tuple(closed_items), tuple(problems + p1 + p2 + p3))
