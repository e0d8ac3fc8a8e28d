"""Roles, permissions and the access level each role gets. Deny by default."""

from __future__ import annotations

import enum

from dashboard.blinding import Access


class Role(enum.Enum):
    ADMIN = "admin"                # manages users, reads the audit trail; blinded
    INVESTIGATOR = "investigator"  # recruitment, pooled safety and outcomes; blinded
    DSMB = "dsmb"                  # closed views with coded arms; may unmask where allowed
    STATISTICIAN = "statistician"  # unblinded, real arm names; loads cuts


class Permission(enum.Enum):
    VIEW_RECRUITMENT = "view_recruitment"
    VIEW_SAFETY = "view_safety"
    VIEW_OUTCOMES = "view_outcomes"
    VIEW_CUTS = "view_cuts"          # cut list, checksums and load warnings
    UNMASK = "unmask"                # reveal real arm names (board, where the configuration allows)
    MANAGE_USERS = "manage_users"
    VIEW_AUDIT = "view_audit"
    AUTHENTICATED = "authenticated"  # shell callbacks every logged-in user needs (navigation)


_OPEN_VIEWS = {Permission.VIEW_RECRUITMENT, Permission.VIEW_SAFETY, Permission.VIEW_OUTCOMES,
               Permission.AUTHENTICATED}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(_OPEN_VIEWS | {Permission.MANAGE_USERS, Permission.VIEW_AUDIT, Permission.VIEW_CUTS}),
    Role.INVESTIGATOR: frozenset(_OPEN_VIEWS),
    Role.DSMB: frozenset(_OPEN_VIEWS | {Permission.UNMASK, Permission.VIEW_CUTS}),
    Role.STATISTICIAN: frozenset(_OPEN_VIEWS | {Permission.VIEW_CUTS}),
}

ROLE_ACCESS: dict[Role, Access] = {
    Role.ADMIN: Access.BLINDED,
    Role.INVESTIGATOR: Access.BLINDED,
    Role.DSMB: Access.CODED,
    Role.STATISTICIAN: Access.UNBLINDED,
}


def role_may(role: Role | None, permission: Permission, *, board_may_unmask: bool = True) -> bool:
    """Whether `role` holds `permission`; unknown or missing roles hold nothing."""
    if role is None:
        return False
    if permission is Permission.UNMASK and not board_may_unmask:
        return False
    return permission in ROLE_PERMISSIONS.get(role, frozenset())


def access_for_role(role: Role | None, *, unmasked: bool = False) -> Access:
    """The access level of a role; a board member who unmasked this session sees real names."""
    if role is None:
        return Access.BLINDED
    access = ROLE_ACCESS.get(role, Access.BLINDED)
    if access is Access.CODED and unmasked:
        return Access.UNBLINDED
    return access
