"""Per-request context: who is asking, what they may see, and the trial data for them.

Everything here is decided on the server from the logged-in user on every request.
"""

from __future__ import annotations

from dataclasses import dataclass

import flask
from flask_login import current_user

from dashboard import blinding, cuts, warm
from dashboard.blinding import Access, TrialData
from dashboard.config import TrialConfig
from dashboard.permissions import Permission, Role, access_for_role, role_may

UNMASK_SESSION_KEY = "dsmb_unmasked"


class NoActiveCut(LookupError):
    """No data cut has been loaded yet."""


@dataclass(frozen=True)
class ViewContext:
    """Plain values a pure layout function may depend on (never allocation)."""

    username: str
    role: str
    access: Access
    may_unmask: bool
    study_id: str
    study_title: str
    target_enrollment: int
    cut_id: str | None
    cut_date: str | None
    arm_labels: tuple[str, ...] = ()
    permissions: frozenset[Permission] = frozenset()
    coding_notice: str = ""           # armed users only: the cut's coding key came from the configuration, or none
    safety_arm_basis: str = "actual"  # the configuration's: safety displays by arm as treated, or as randomized

    @property
    def sees_arms(self) -> bool:
        return self.access.sees_arms

    @property
    def session_label(self) -> str:
        """OPEN (pooled) or CLOSED (by arm) as a DSMB report says it."""
        return "CLOSED" if self.sees_arms else "OPEN"


def trial_config() -> TrialConfig:
    return flask.current_app.config["DSMB_TRIAL"]


def current_role() -> Role | None:
    if not current_user or not current_user.is_authenticated:
        return None
    return current_user.role


def current_access() -> Access:
    """The access of the logged-in user: role from the database, unmask from this session."""
    role = current_role()
    unmasked = (role is Role.DSMB and trial_config().board_may_unmask
                and bool(flask.session.get(UNMASK_SESSION_KEY)))
    return access_for_role(role, unmasked=unmasked)


def user_may(permission: Permission) -> bool:
    return role_may(current_role(), permission, board_may_unmask=trial_config().board_may_unmask)


def data_root():
    return flask.current_app.config.get("DSMB_DATA_ROOT")


def current_cut_id() -> str | None:
    cut_id = cuts.active_cut_id(data_root())
    warm.ensure_warming(cut_id)   # this worker's first sight of the active cut starts warming its caches
    return cut_id


def current_trial_data() -> TrialData:
    """Trial data of the active cut at the access level of the logged-in user."""
    cut_id = current_cut_id()
    if cut_id is None:
        raise NoActiveCut("No data cut has been loaded yet.")
    return blinding.trial_data(cut_id, current_access(), trial_config(), data_root())


def current_view_context() -> ViewContext:
    config = trial_config()
    role = current_role()
    access = current_access()
    cut_id = current_cut_id()
    cut_date = cuts.read_manifest(cut_id, data_root()).cut_date if cut_id else None
    labels, coding_notice = _arms_of_cut(cut_id, access, config)
    permissions = frozenset(p for p in Permission if user_may(p))
    return ViewContext(
        username=current_user.username if role else "",
        role=role.value if role else "",
        access=access,
        may_unmask=Permission.UNMASK in permissions,
        study_id=config.study_id,
        study_title=config.title,
        target_enrollment=config.target_enrollment,
        cut_id=cut_id,
        cut_date=cut_date,
        arm_labels=labels,
        permissions=permissions,
        coding_notice=coding_notice,
        safety_arm_basis=config.safety_arm_basis,
    )


def _arms_of_cut(cut_id: str | None, access: Access, config: TrialConfig) -> tuple[tuple[str, ...], str]:
    """The arm labels in display order and the coding notice of the active cut, for a user who sees arms: the
    coding key is the cut's (sealed), so without a cut, or a cut that cannot be served, there are none."""
    if not access.sees_arms or cut_id is None:
        return (), ""
    try:
        data = blinding.trial_data(cut_id, access, config, data_root())
    except (cuts.CutError, OSError):           # the page says why (callbacks/shell.refused_cut_notice)
        return (), ""
    if not isinstance(data, blinding.ArmedTrialData):
        return (), ""
    return data.arm_labels, data.coding_notice
