"""The pages of the app: path, title, the permission that opens it, and its pure layout function."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dash.development.base_component import Component

from dashboard.context import ViewContext
from dashboard.permissions import Permission


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    permission: Permission
    layout: Callable[[ViewContext], Component]
    reads_trial_data: bool = False     # shows the active cut's data (so is refused when the cut fails its checks)


def all_pages() -> tuple[Page, ...]:
    """Every page in navigation order. Imported lazily so layouts stay free of app state."""
    from layouts import admin, cuts, meeting, monitoring, outcomes, pack, recruitment, safety

    return (
        Page("/recruitment", "Recruitment", Permission.VIEW_RECRUITMENT, recruitment.layout, reads_trial_data=True),
        Page("/safety", "Safety", Permission.VIEW_SAFETY, safety.layout, reads_trial_data=True),
        Page("/outcomes", "Outcomes", Permission.VIEW_OUTCOMES, outcomes.layout, reads_trial_data=True),
        Page("/monitoring", "Monitoring", Permission.VIEW_SAFETY, monitoring.layout, reads_trial_data=True),
        Page("/pack", "Meeting pack", Permission.VIEW_SAFETY, pack.layout, reads_trial_data=True),
        Page("/meetings", "Meetings", Permission.VIEW_MEETINGS, meeting.layout),
        Page("/cuts", "Data cuts", Permission.VIEW_CUTS, cuts.layout),
        Page("/admin/users", "Users", Permission.MANAGE_USERS, admin.users_layout),
        Page("/admin/audit", "Audit trail", Permission.VIEW_AUDIT, admin.audit_layout),
    )


HOME_PATH = "/recruitment"


def page_for(path: str | None) -> Page | None:
    path = (path or "/").rstrip("/") or HOME_PATH
    return next((p for p in all_pages() if p.path == path), None)
