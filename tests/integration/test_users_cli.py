"""`users` commands: round trip with the password on stdin, never in argv; demo accounts."""

from __future__ import annotations

import argparse
import io
import sys

import pytest

from dashboard import audit
import auth_testing as testing
from dashboard.auth import cli, demo_users, users
from dashboard.permissions import Role

PASSWORD = "a long enough password"


@pytest.fixture
def url(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("DSMB_DATABASE_URL", url)
    with testing.cheap_hashing():
        yield url


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dashboard")
    cli.register(p.add_subparsers(dest="group", required=True))
    return p


def run(argv, stdin=""):
    sys.stdin = io.StringIO(stdin)
    try:
        args = parser().parse_args(argv)
        return args.handler(args)
    finally:
        sys.stdin = sys.__stdin__


def test_round_trip(url, capsys):
    assert run(["users", "add", "Carol", "--role", "dsmb"], PASSWORD + "\n") == 0
    assert users.authenticate("carol", PASSWORD, url=url).user.role is Role.DSMB
    assert run(["users", "set-role", "carol", "statistician"]) == 0
    assert users.get_user("carol", url=url).role is Role.STATISTICIAN
    assert run(["users", "disable", "carol"]) == 0
    assert users.authenticate("carol", PASSWORD, url=url).user is None
    assert "disabled carol" in capsys.readouterr().out.lower()
    assert run(["users", "enable", "carol"]) == 0
    assert run(["users", "reset-password", "carol"], "another long password\n") == 0
    assert users.authenticate("carol", "another long password", url=url).user is not None
    capsys.readouterr()
    assert run(["users", "list"]) == 0
    listing = capsys.readouterr().out
    assert "carol" in listing and "statistician" in listing and PASSWORD not in listing
    trail = audit.events(username="carol", database_url=url)
    assert {"user_added", "role_changed", "user_disabled", "user_enabled", "password_reset"} <= set(trail.event)
    actions = trail[~trail.event.isin(["login", "login_failed"])]
    assert actions.detail.str.contains('"actor": "os:').all()
    assert not trail.detail.fillna("").str.contains(PASSWORD).any()


def test_short_password_refused(url, capsys):
    assert run(["users", "add", "dave", "--role", "admin"], "short\n") == 1
    assert "at least 12" in capsys.readouterr().err
    assert users.get_user("dave", url=url) is None


def test_unknown_user_and_duplicate(url, capsys):
    assert run(["users", "disable", "nobody"]) == 1
    assert run(["users", "add", "erin", "--role", "admin"], PASSWORD) == 0
    assert run(["users", "add", "ERIN", "--role", "admin"], PASSWORD) == 1
    assert "exists" in capsys.readouterr().err


def test_argv_never_carries_a_password(url):
    options = [a for action in _all_actions(parser()) for a in action.option_strings]
    assert not [o for o in options if "pass" in o.lower() or o in ("-p", "-P")]
    with pytest.raises(SystemExit):
        run(["users", "add", "frank", "--role", "admin", "--password", PASSWORD])
    with pytest.raises(SystemExit):
        run(["users", "reset-password", "frank", PASSWORD])


def _all_actions(p: argparse.ArgumentParser):
    """Every argument of `p` and of its sub-commands, recursively."""
    for action in p._actions:
        yield action
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _all_actions(sub)


def test_terminal_prompts_twice(url, monkeypatch, capsys):
    answers = iter([PASSWORD, PASSWORD, PASSWORD, "different password!"])
    monkeypatch.setattr(cli.getpass, "getpass", lambda prompt="": next(answers))
    monkeypatch.setattr(cli.sys, "stdin", type("TTY", (), {"isatty": staticmethod(lambda: True)})())
    args = parser().parse_args(["users", "add", "gina", "--role", "investigator"])
    assert args.handler(args) == 0
    args = parser().parse_args(["users", "reset-password", "gina"])
    assert args.handler(args) == 1
    assert "differ" in capsys.readouterr().err


def test_bad_role_refused(url):
    with pytest.raises(SystemExit):
        run(["users", "add", "hank", "--role", "superuser"], PASSWORD)


def test_demo_users_once_with_random_passwords(url):
    created = demo_users.ensure_demo_users(url)
    assert set(created) == {"admin", "investigator", "dsmb", "statistician"}
    assert len(set(created.values())) == 4 and all(len(p) >= 12 for p in created.values())
    for name, password in created.items():
        assert users.authenticate(name, password, url=url).user.role.value == name
    assert demo_users.ensure_demo_users(url) == {}
    other = demo_users.ensure_demo_users(f"{url}2")
    assert other["admin"] != created["admin"]
