"""Data-readiness badges: one guarded callback per trial-data page fills every badge on it (text, colour, tooltip)
from the domains and fields each display declares in the catalogue (`dashboard.analysis.readiness`).

It reads only the clinical domains and the open load warnings of the active cut, so every role that may open the
page gets the same badges, and twin installations that differ only in allocation give identical answers.
"""

from __future__ import annotations

import dash
from dash import Input, Output

from callbacks.views import NO_CUT
from dashboard import memo
from dashboard.analysis.readiness import Readiness, field_missing, level, newest_record, readiness
from dashboard.blinding import TrialData
from dashboard.context import NoActiveCut, current_trial_data
from dashboard.displays import Display, displays, views
from dashboard.guard import guarded_callback
from dashboard.permissions import Permission
from layouts.readiness import BADGE_CLASS, page_badges, page_of

LOOK = {"ready": ("data ready", "text-bg-success"), "caution": ("check data", "text-bg-warning"),
        "thin": ("thin data", "text-bg-danger")}
UNKNOWN = ("", BADGE_CLASS, "This display declares no data in the catalogue.")


def _percent(share: float) -> str:
    return f"{share:.0%}" if share >= 0.01 or share == 0 else "< 1%"


def badge_title(result: Readiness, cut_date: str) -> str:
    """The tooltip: every fact behind the badge's colour, one per line."""
    lines = [f"Records of {', '.join(result.empty_domains)}: none in this cut."] if result.empty_domains else []
    warned = ", ".join(f"{d} {n}" for d, n in sorted(result.warnings.items()))
    lines.append(f"Load warnings: {warned}." if warned else "Load warnings: none in these domains.")
    for m in result.missing:
        if not m.present:
            lines.append(f"{m.field}: not in this cut.")
        elif m.share is not None:
            lines.append(f"{m.field}: {_percent(m.share)} missing ({m.missing:,} of {m.rows:,}).")
    late = ", ".join(f"{d} {n}" for d, n in sorted(result.after_cut.items()))
    lines.append(f"Records after the cut date {cut_date} left out: {late or 'none'}.")
    if result.newest is not None:
        lines.append(f"Newest record: {result.newest.date().isoformat()} ({result.age_days} days before the cut).")
    return "\n".join(lines)


def badge(data: TrialData, display: Display) -> tuple[str, str, str]:
    """(text, class, tooltip) of one display's badge at this cut."""
    def compute() -> Readiness:
        domains = {name.upper(): data.domain(name) for name in display.domains}
        # per domain and per field once for all displays of the cut (they share domains and fields)
        return readiness(domains, data.warnings, data.cut.cut_date, display.domains, display.fields,
                         newest_of=lambda name: memo.memoized(data, "readiness:newest",
                                                              lambda: newest_record(domains, [name]), name),
                         missing_of=lambda field: memo.memoized(data, "readiness:field",
                                                                lambda: field_missing(domains, field), field))

    result = memo.memoized(data, "readiness", compute, display.key)
    text, colour = LOOK[level(result)]
    return text, f"{BADGE_CLASS} badge {colour}", badge_title(result, data.cut.cut_date)


def badges(keys: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Text, class and tooltip of every badge named by `keys` (display keys), in that order."""
    catalogue = {d.key: d for d in displays()}
    try:
        data = current_trial_data()
    except NoActiveCut:
        return [""] * len(keys), [BADGE_CLASS] * len(keys), [NO_CUT] * len(keys)
    answers = [badge(data, catalogue[k]) if k in catalogue and catalogue[k].domains else UNKNOWN for k in keys]
    return [a[0] for a in answers], [a[1] for a in answers], [a[2] for a in answers]


def _register_page(app: dash.Dash, group: str, permission: Permission) -> None:
    pattern = page_badges(group)

    @guarded_callback(app, permission, Output(pattern, "children"), Output(pattern, "className"),
                      Output(pattern, "title"), Input(pattern, "id"))
    def fill_badges(badge_ids: list[dict[str, str]]) -> tuple[list[str], list[str], list[str]]:
        return badges([str(b.get("display", "")) for b in badge_ids])


def badge_groups() -> dict[str, Permission]:
    """Page group -> permission, for every page whose catalogue views show trial data (those carry badges)."""
    groups: dict[str, Permission] = {}
    for view in views():
        if view.reads_trial_data:
            for display in view.displays:
                groups.setdefault(page_of(display.key), view.permission)
    return groups


def register(app: dash.Dash) -> None:
    """One badge callback per page group, guarded by that page's permission."""
    for group, permission in badge_groups().items():
        _register_page(app, group, permission)
