"""Data-readiness badges: one guarded callback per trial-data page fills every badge on it (text, colour, tooltip)
from the domains and fields each display declares in the catalogue (`dashboard.analysis.readiness`).

It reads only the clinical domains and the open load warnings of the active cut, so every role that may open the
page gets the same badges, and twin installations that differ only in allocation give identical answers.
"""

from __future__ import annotations

import functools
from dataclasses import replace

import dash
import pandas as pd
from dash import Input, Output

from callbacks.views import NO_CUT
from dashboard import memo
from dashboard.analysis.readiness import (FieldMissing, Readiness, field_missing, level, missing_counts,
                                          newest_record, readiness)
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


@functools.lru_cache(maxsize=1)
def declared_fields() -> dict[str, tuple[str, ...]]:
    """Domain -> every column some display of the catalogue declares in it ("AE" -> ("AESEV", ...))."""
    by_domain: dict[str, dict[str, None]] = {}
    for display in displays():
        for field in display.fields:
            domain, _, column = field.partition(".")
            by_domain.setdefault(domain.upper(), {})[column] = None
    return {domain: tuple(columns) for domain, columns in by_domain.items()}


def domain_facts(data: TrialData, name: str) -> tuple[pd.Timestamp | None, dict[str, FieldMissing]]:
    """(newest record, missing counts of every declared field) of one domain, once per cut for all displays, pages
    and access levels (`memo.pooled`: clinical data only): a badge is then a lookup (LB alone took 37 s)."""
    name = name.upper()

    def compute(blinded: TrialData) -> tuple[pd.Timestamp | None, dict[str, FieldMissing]]:
        frames = {name: blinded.domain(name)}
        return newest_record(frames, [name]), missing_counts(frames[name], name, declared_fields().get(name, ()))

    return memo.pooled(data, "readiness:domain", compute, name)


def _missing_of(data: TrialData, field: str) -> FieldMissing:
    domain, _, column = field.partition(".")
    counted = domain_facts(data, domain)[1].get(f"{domain.upper()}.{column}")
    if counted is None:        # a field no catalogue display declares (never from the callback): count it alone
        return field_missing({domain.upper(): data.domain(domain)}, field)
    return counted if counted.field == field else replace(counted, field=field)


def badge(data: TrialData, display: Display) -> tuple[str, str, str]:
    """(text, class, tooltip) of one display's badge at this cut: the same for every access level (clinical data
    and open warnings only; the armed-only coding notice never counts), so computed once from the blinded data."""
    def compute(blinded: TrialData) -> Readiness:
        domains = {name.upper(): blinded.domain(name) for name in display.domains}
        return readiness(domains, blinded.warnings, blinded.cut.cut_date, display.domains, display.fields,
                         newest_of=lambda name: domain_facts(blinded, name)[0],
                         missing_of=lambda field: _missing_of(blinded, field))

    result = memo.pooled(data, "readiness", compute, display.key)
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
