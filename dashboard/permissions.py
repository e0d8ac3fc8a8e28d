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
    VIEW_MEETINGS = "view_meetings"      # meeting records: the open part for everyone, closed minutes by access
    RECORD_MEETINGS = "record_meetings"  # write a meeting record or an amendment, resolve action items
    SIGN_MEETINGS = "sign_meetings"      # sign a meeting record (password re-entered at each signing)


_OPEN_VIEWS = {Permission.VIEW_RECRUITMENT, Permission.VIEW_SAFETY, Permission.VIEW_OUTCOMES,
               Permission.AUTHENTICATED, Permission.VIEW_MEETINGS}
_BOARD_RECORD = {Permission.RECORD_MEETINGS, Permission.SIGN_MEETINGS}  # roles that read closed minutes

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(_OPEN_VIEWS | {Permission.MANAGE_USERS, Permission.VIEW_AUDIT, Permission.VIEW_CUTS}),
    Role.INVESTIGATOR: frozenset(_OPEN_VIEWS),
    Role.DSMB: frozenset(_OPEN_VIEWS | {Permission.UNMASK, Permission.VIEW_CUTS} | _BOARD_RECORD),
    Role.STATISTICIAN: frozenset(_OPEN_VIEWS | {Permission.VIEW_CUTS} | _BOARD_RECORD),
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


# Which accounts the blinded administrator may change from the web page. Anything that touches an account
# holding a role that sees arms (granting it, changing, disabling, re-enabling or unlocking such an account)
# is done on the server's command line (`python -m dashboard users ...`) and audited there: a blinded
# session must never be able to unblind someone, nor cancel a board member's lockout while guessing.
WEB_ASSIGNABLE_ROLES = frozenset({Role.ADMIN, Role.INVESTIGATOR})
CLOSED_READER_ACCESS = frozenset({Access.UNBLINDED})  # who reads the closed detail of audit rows


class AccountChangeRefused(PermissionError):
    """An account change the web page may not make; the message says what to do instead."""


def sees_arms(role: Role | None) -> bool:
    """Whether a role's access (before any unmask) shows arms in any form."""
    return role is not None and ROLE_ACCESS.get(role, Access.BLINDED).sees_arms


def check_web_account_change(actor: str, username: str, current_role: Role | None,
                             new_role: Role | None = None) -> None:
    """Refuse a web change of one's own account, of an account holding an unblinded role, or to such a role."""
    if username == actor:
        raise AccountChangeRefused("You cannot change your own role or account here.")
    if current_role is None or sees_arms(current_role) or current_role not in WEB_ASSIGNABLE_ROLES:
        raise AccountChangeRefused(f"{username} holds a role that sees allocation; change that account with "
                                   "'python -m dashboard users ...' on the server.")
    if new_role is not None and new_role not in WEB_ASSIGNABLE_ROLES:
        raise AccountChangeRefused(f"The {new_role.value} role sees allocation; grant it with "
                                   "'python -m dashboard users set-role' on the server.")


def role_named(value: str | None) -> Role | None:
    """The role a stored value names; None for a value no role has (such an account holds nothing)."""
    try:
        return Role(value)
    except ValueError:
        return None


def web_may_offer(actor: str, username: str, role_value: str | None) -> bool:
    """Whether the users page offers an account for a change at all (`check_web_account_change` decides again
    when the change is made, on the account as it is then)."""
    return username != actor and role_named(role_value) in WEB_ASSIGNABLE_ROLES


def may_read_closed_detail(access: Access) -> bool:
    """Closed detail of audit rows (what a closed view asked for, unmask reasons, counts of closed exports)
    holds real arm names typed by unblinded users, so it needs unblinded access: the statistician, or the
    board after an audited unmask (a board still coded would learn the code from it)."""
    return access in CLOSED_READER_ACCESS
