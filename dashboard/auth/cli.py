"""`python -m dashboard users ...` (accounts; passwords from stdin or a prompt, never argv) and `audit verify`."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from dashboard import audit, db
from dashboard.auth import passwords, throttle, users
from dashboard.permissions import Role

ROLE_NAMES = [r.value for r in Role]


class InputError(ValueError):
    """A password that could not be read or does not meet the policy."""


def os_actor() -> str:
    """The operating-system user running the command, as recorded in the audit trail."""
    try:
        return "os:" + getpass.getuser()
    except (KeyError, OSError):
        return "os:unknown"


def read_password() -> str:
    """One line from stdin when it is not a terminal, else a hidden prompt answered twice."""
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("New password: ")
        if getpass.getpass("Repeat it: ") != password:
            raise InputError("The two passwords differ.")
    try:
        passwords.check_policy(password)
    except passwords.PasswordPolicyError as exc:
        raise InputError(str(exc)) from None
    return password


def _add(args: argparse.Namespace, url: str) -> str:
    users.create_user(args.name, Role(args.role), read_password(), actor=os_actor(), url=url)
    return f"Added {users.normalize_username(args.name)} with role {args.role}."


def _list(_args: argparse.Namespace, url: str) -> str:
    rows = [f"{'user':<24} {'role':<13} {'status':<9} {'created (UTC)':<17} password changed (UTC)"]
    for u in users.list_users(url=url):
        status = "disabled" if not u.is_active else "locked" if u.is_locked() else "active"
        rows.append(f"{u.username:<24} {u.role_value:<13} {status:<9} {u.created_at:%Y-%m-%d %H:%M} "
                    f"{u.password_changed_at:%Y-%m-%d %H:%M}")
    return "\n".join(rows)


def _set_role(args: argparse.Namespace, url: str) -> str:
    users.set_role(args.name, Role(args.role), actor=os_actor(), url=url)
    return f"{users.normalize_username(args.name)} now has role {args.role}."


def _disable(args: argparse.Namespace, url: str) -> str:
    users.set_active(args.name, False, actor=os_actor(), url=url)
    return f"Disabled {users.normalize_username(args.name)}; their sessions have ended."


def _enable(args: argparse.Namespace, url: str) -> str:
    users.set_active(args.name, True, actor=os_actor(), url=url)
    return f"Enabled {users.normalize_username(args.name)}."


def _reset_password(args: argparse.Namespace, url: str) -> str:
    users.reset_password(args.name, read_password(), actor=os_actor(), url=url)
    return f"New password set for {users.normalize_username(args.name)}; their sessions have ended."


def _unlock(args: argparse.Namespace, url: str) -> str:
    users.unlock(args.name, actor=os_actor(), url=url)
    return f"{users.normalize_username(args.name)} may log in again at once (failed logins cleared)."


def _unlock_client(args: argparse.Namespace, url: str) -> str:
    known = throttle.clear_client(args.address, url=url)
    audit.record("login_unlocked", username=None, detail={"actor": os_actor(), "client": args.address},
                 database_url=url)
    return f"{args.address}: {'failed logins cleared' if known else 'no failed logins were recorded'}."


def _audit_verify(_args: argparse.Namespace, url: str) -> str:
    status = audit.verify_chain(url)
    if not status.intact:
        raise ChainBroken(status.summary())
    return status.summary(head=True)


class ChainBroken(RuntimeError):
    """`audit verify` found a broken link; the message names the first one."""


def _run(action: Callable[[argparse.Namespace, str], str]) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        url = db.database_url()
        db.init_db(url)
        try:
            print(action(args, url))
        except (users.AccountError, InputError, ChainBroken) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0

    return handler


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `users` command group."""
    group = subparsers.add_parser("users", help="manage dashboard accounts ($DSMB_DATABASE_URL)")
    commands = group.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="add an account; password from stdin or a prompt")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLE_NAMES)
    add.set_defaults(handler=_run(_add))
    commands.add_parser("list", help="list accounts").set_defaults(handler=_run(_list))
    set_role = commands.add_parser("set-role", help="change an account's role")
    set_role.add_argument("name")
    set_role.add_argument("role", choices=ROLE_NAMES)
    set_role.set_defaults(handler=_run(_set_role))
    for name, action, text in (("disable", _disable, "disable an account and end its sessions"),
                               ("enable", _enable, "re-enable an account"),
                               ("reset-password", _reset_password, "set a new password (stdin or prompt)"),
                               ("unlock", _unlock, "clear an account's failed logins and its wait")):
        command = commands.add_parser(name, help=text)
        command.add_argument("name")
        command.set_defaults(handler=_run(action))
    unlock_client = commands.add_parser("unlock-client", help="clear the failed logins of a client address")
    unlock_client.add_argument("address")
    unlock_client.set_defaults(handler=_run(_unlock_client))
    trail = subparsers.add_parser("audit", help="the audit trail ($DSMB_DATABASE_URL)")
    trail_commands = trail.add_subparsers(dest="command", required=True)
    trail_commands.add_parser("verify", help="check the hash chain; report the first broken link").set_defaults(
        handler=_run(_audit_verify))
