"""Login throttling that slows guessing without locking the user out; the client address behind proxies;
production mode refusals."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from support import bare_app_with_user

from dashboard import audit, db
import auth_testing as testing
from dashboard.auth import demo_users, devices, passwords, throttle, users
from dashboard.permissions import Role

BOARD_IP, ATTACKER_IP = "10.0.0.5", "10.6.6.6"


class Clock:
    """A clock the test moves forward (the waits are minutes long)."""

    def __init__(self):
        self.now = db.utcnow()

    def __call__(self):
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


@pytest.fixture
def app(tmp_path):
    with bare_app_with_user(tmp_path, Role.DSMB) as app:
        yield app


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(users, "utcnow", clock)
    return clock


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def alice(app):
    return users.get_user("alice", url=app.config["DSMB_DATABASE_URL"])


def wrong(client, name="alice"):
    return testing.login(client, name, "not the password!").get_data(as_text=True)


def test_backoff_numbers():
    waits = [throttle.account_wait(n) for n in range(4, 14)]
    minutes = [w.total_seconds() / 60 if w else 0 for w in waits]
    assert minutes == [0, 1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert throttle.backoff(10, throttle.CLIENT_FREE_FAILURES, throttle.CLIENT_BASE, throttle.CLIENT_MAX) \
        == dt.timedelta(minutes=1)


def test_each_failure_past_five_doubles_the_wait(app, clock):
    attacker = client_at(app, ATTACKER_IP)
    waits = []
    for _ in range(9):
        wrong(attacker)
        until = alice(app).locked_until
        waits.append(round((until - clock.now).total_seconds() / 60) if until and until > clock.now else 0)
        clock.advance(dt.timedelta(minutes=61))  # the attacker waits out each lock
    assert waits == [0, 0, 0, 0, 1, 2, 4, 8, 16]


def test_an_attacker_cannot_keep_a_board_member_out(app, clock):
    board = client_at(app, BOARD_IP)
    assert testing.login(board, "alice").status_code == 302     # this browser becomes a known device
    board.post("/logout", data={"csrf_token": testing.form_token(board.get("/logout").get_data(as_text=True))},
               headers={"Referer": "http://localhost/logout"})
    attacker = client_at(app, ATTACKER_IP)
    for _ in range(20):                                          # 20 requests an hour, every hour
        wrong(attacker)
        clock.advance(dt.timedelta(minutes=3))
    assert alice(app).is_locked(clock.now)
    assert "locked" in testing.login(client_at(app, BOARD_IP), "alice").get_data(as_text=True)  # a new browser
    assert testing.login(board, "alice").status_code == 302, "the right password from a known device was refused"
    assert alice(app).failed_logins == 0 and alice(app).locked_until is None


def test_a_known_device_needs_the_right_password_and_only_helps_its_own_account(app, clock):
    url = app.config["DSMB_DATABASE_URL"]
    testing.add_user(app, "bob", Role.STATISTICIAN)
    bobs = client_at(app, BOARD_IP)
    assert testing.login(bobs, "bob").status_code == 302         # known for bob, not for alice
    device = client_at(app, BOARD_IP)
    device.set_cookie(devices.COOKIE, bobs.get_cookie(devices.COOKIE, path="/login").value, path="/login")
    for _ in range(5):
        wrong(client_at(app, ATTACKER_IP), "alice")
        wrong(client_at(app, ATTACKER_IP), "bob")
    assert "locked" in testing.login(device, "alice").get_data(as_text=True)
    assert "locked" in wrong(device, "bob")                      # a wrong password is still wrong
    assert users.get_user("bob", url=url).failed_logins == 6
    assert testing.login(device, "bob").status_code == 302


def test_a_password_reset_or_unlock_clears_the_wait_and_reset_forgets_devices(app, clock):
    url = app.config["DSMB_DATABASE_URL"]
    device = client_at(app, BOARD_IP)
    testing.login(device, "alice")
    for _ in range(5):
        wrong(client_at(app, ATTACKER_IP))
    users.unlock("alice", actor="os:test", url=url)
    assert not alice(app).is_locked(clock.now) and alice(app).failed_logins == 0
    assert "login_unlocked" in set(audit.events(database_url=url)["event"])
    for _ in range(5):
        wrong(client_at(app, ATTACKER_IP))
    users.reset_password("alice", "a brand new passphrase", actor="os:test", url=url)
    assert not alice(app).is_locked(clock.now)
    with app.test_request_context("/login", environ_base={"HTTP_COOKIE": _device_cookie(device)}):
        assert not devices.is_known(alice(app)), "a device known before the reset still passes the wait"


def _device_cookie(client) -> str:
    cookie = client.get_cookie(devices.COOKIE, path="/login")
    assert cookie is not None and cookie.http_only
    return f"{devices.COOKIE}={cookie.value}"


def test_one_address_guessing_many_accounts_waits(app, clock):
    attacker = client_at(app, ATTACKER_IP)
    for i in range(throttle.CLIENT_FREE_FAILURES):
        assert "Unknown user name" in wrong(attacker, f"user{i}")
    assert "from this address" in testing.login(attacker, "alice").get_data(as_text=True)
    assert testing.login(client_at(app, BOARD_IP), "alice").status_code == 302  # other addresses are not slowed
    clock.advance(dt.timedelta(minutes=2))
    assert testing.login(attacker, "alice").status_code == 302
    throttle.clear_client(ATTACKER_IP, url=app.config["DSMB_DATABASE_URL"])


def test_client_set_forwarded_for_is_not_trusted(app):
    victim = client_at(app, BOARD_IP)
    testing.login(victim, "alice")
    assert victim.get("/_dash-layout").status_code == 200
    stolen = victim.get_cookie("dsmb_session").value
    thief = client_at(app, ATTACKER_IP)
    thief.set_cookie("dsmb_session", stolen)
    assert thief.get("/_dash-layout", headers={"X-Forwarded-For": BOARD_IP}).status_code == 401
    row = audit.events(event="login", database_url=app.config["DSMB_DATABASE_URL"]).iloc[0]
    assert row.ip == BOARD_IP


def test_a_configured_proxy_count_reads_the_address_the_proxy_saw(tmp_path):
    with bare_app_with_user(tmp_path, Role.DSMB, DSMB_PROXY_COUNT=1) as app:
        proxy = client_at(app, "127.0.0.1")
        headers = {"X-Forwarded-For": f"1.2.3.4, {BOARD_IP}"}  # the first entry is whatever the client sent
        page = proxy.get("/login", headers=headers)
        proxy.post("/login", headers={**headers, "Referer": page.request.url},
                   data={"username": "alice", "password": testing.PASSWORD,
                         "csrf_token": testing.form_token(page.get_data(as_text=True))})
        row = audit.events(event="login", database_url=app.config["DSMB_DATABASE_URL"]).iloc[0]
        assert row.ip == BOARD_IP


def test_production_refuses_a_weak_secret_key(tmp_path):
    for key in ("short", "a" * 64, "0123456789abcdef" * 4, "test-secret-key-not-for-production"):
        with pytest.raises(RuntimeError, match="refused in production"):
            testing.bare_app(tmp_path, SECRET_KEY=key, ENV_PRODUCTION=True)
    app = testing.bare_app(tmp_path, SECRET_KEY=secrets.token_urlsafe(48), ENV_PRODUCTION=True)
    assert app.config["DSMB_SECURE_COOKIES"] is True and app.config["SESSION_COOKIE_SECURE"] is True
    response = app.test_client().get("/login", base_url="https://localhost")
    assert "Strict-Transport-Security" in response.headers


def test_production_refuses_setup_demo_and_weak_passwords(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'p.sqlite'}"
    monkeypatch.setenv("DSMB_PRODUCTION", "1")
    with pytest.raises(demo_users.DemoRefused):
        demo_users.ensure_demo_users(url)
    with testing.cheap_hashing():
        for weak in ("Password123456", "qwertyuiop123", "aaaaaaaaaaaaaaa", "carol carol carol", "1q2w3e4r5t6y"):
            with pytest.raises(passwords.PasswordPolicyError):
                users.create_user("carol", Role.INVESTIGATOR, weak, actor="test", url=url)
        users.create_user("carol", Role.INVESTIGATOR, "quiet lantern orbit 47", actor="test", url=url)
    monkeypatch.delenv("DSMB_PRODUCTION")
    passwords.check_policy("Password123456")  # outside production only the length rule applies


def test_unlock_commands(app, clock, monkeypatch, capsys):
    import argparse

    from dashboard.auth import cli

    url = app.config["DSMB_DATABASE_URL"]
    monkeypatch.setenv("DSMB_DATABASE_URL", url)
    attacker = client_at(app, ATTACKER_IP)
    for i in range(throttle.CLIENT_FREE_FAILURES):
        wrong(attacker, "alice" if i < 5 else f"guess{i}")
    assert alice(app).is_locked(clock.now) and throttle.client_locked_until(ATTACKER_IP, clock.now, url=url)
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="group", required=True))
    for argv in (["users", "unlock", "alice"], ["users", "unlock-client", ATTACKER_IP]):
        args = parser.parse_args(argv)
        assert args.handler(args) == 0
    assert not alice(app).is_locked(clock.now) and alice(app).failed_logins == 0
    assert throttle.client_locked_until(ATTACKER_IP, clock.now, url=url) is None
    unlocked = audit.events(event="login_unlocked", database_url=url)
    assert len(unlocked) == 2 and all(unlocked["detail"].str.contains('"actor": "os:'))
