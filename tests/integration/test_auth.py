"""Login, lockout, rate limit, revocation, idle timeout, logout, secret key."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from argon2 import PasswordHasher
from sqlalchemy import update
from support import bare_app_with_user

from dashboard import audit, db
import auth_testing as testing
from dashboard.auth import passwords, security, users
from dashboard.auth.models import User
from dashboard.permissions import Role

GENERIC = "Unknown user name or wrong password."


@pytest.fixture
def app(tmp_path):
    with bare_app_with_user(tmp_path, Role.DSMB) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


def events(app, **filters):
    return audit.events(database_url=app.config["DSMB_DATABASE_URL"], **filters)


def change_user(app, username, **values):
    with db.session_scope(app.config["DSMB_DATABASE_URL"]) as s:
        s.execute(update(User).where(User.username == username).values(**values))


def test_login_success_redirects_home_and_is_audited(app, client):
    r = testing.login(client, "alice")
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    row = events(app, event="login").iloc[0]
    assert row.username == "alice" and row.ip == "127.0.0.1"


def test_username_is_case_insensitive(client):
    assert testing.login(client, "  Alice ").status_code == 302


@pytest.mark.parametrize("username,password,reason", [("alice", "wrong password!", "wrong_password"),
                                                      ("mallory", "wrong password!", "unknown_user")])
def test_failures_look_the_same_and_are_audited(app, client, username, password, reason):
    r = testing.login(client, username, password)
    assert r.status_code == 200 and GENERIC in r.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401
    row = events(app, event="login_failed").iloc[0]
    assert row.username == username and reason in row.detail


def test_lockout_after_five_failures(app, client):
    for _ in range(4):
        assert GENERIC in testing.login(client, "alice", "wrong password!").get_data(as_text=True)
    fifth = testing.login(client, "alice", "wrong password!").get_data(as_text=True)
    assert "locked" in fifth and GENERIC not in fifth
    assert len(events(app, event="lockout")) == 1
    right = testing.login(client, "alice")
    assert right.status_code == 200 and "locked" in right.get_data(as_text=True)
    change_user(app, "alice", locked_until=db.utcnow() - dt.timedelta(seconds=1))
    assert testing.login(client, "alice").status_code == 302


def test_success_resets_failure_count(app, client):
    for _ in range(4):
        testing.login(client, "alice", "wrong password!")
    testing.login(client, "alice")
    assert users.get_user("alice", url=app.config["DSMB_DATABASE_URL"]).failed_logins == 0


def test_disabled_user_cannot_log_in(app, client):
    users.set_active("alice", False, actor="test", url=app.config["DSMB_DATABASE_URL"])
    assert GENERIC in testing.login(client, "alice").get_data(as_text=True)


def test_rate_limit_answers_429(tmp_path):
    with testing.cheap_hashing():
        app = testing.bare_app(tmp_path, RATELIMIT_ENABLED=True, DSMB_LOGIN_RATE_LIMIT="3 per minute")
        client = app.test_client()
        codes = [testing.login(client, "nobody", "wrong password!").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert client.get("/login").status_code == 200  # only POST is limited


def test_default_rate_limit_is_ten_per_minute(tmp_path):
    with testing.cheap_hashing():
        app = testing.bare_app(tmp_path, RATELIMIT_ENABLED=True)
        client = app.test_client()
        codes = [testing.login(client, "nobody", "wrong password!").status_code for _ in range(11)]
    assert codes[:10] == [200] * 10 and codes[10] == 429


def test_role_is_read_from_the_database_on_every_request(app, client):
    testing.login(client, "alice")
    assert client.post("/_dash-update-component", headers=testing.csrf_header(client)).json["role"] == "dsmb"
    change_user(app, "alice", role_value=Role.INVESTIGATOR.value)
    assert client.post("/_dash-update-component", headers=testing.csrf_header(client)).json["role"] == "investigator"


@pytest.mark.parametrize("revoke", [
    lambda app: change_user(app, "alice", is_active=False),
    lambda app: users.set_active("alice", False, actor="admin", url=app.config["DSMB_DATABASE_URL"]),
    lambda app: users.reset_password("alice", "another long password", actor="admin",
                                     url=app.config["DSMB_DATABASE_URL"]),
])
def test_revocation_takes_effect_on_the_next_request(app, client, revoke):
    testing.login(client, "alice")
    assert client.get("/_dash-layout").status_code == 200
    revoke(app)
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/").status_code == 302


def test_idle_timeout_logs_out_and_is_audited(app, client):
    testing.login(client, "alice")
    with client.session_transaction() as sess:
        sess[security.LAST_SEEN_KEY] = int(time.time()) - 31 * 60
    r = client.get("/safety")
    assert r.status_code == 302 and r.headers["Location"] == "/login?next=/safety"
    assert client.get("/_dash-layout").status_code == 401
    assert '"idle"' in events(app, event="logout").iloc[0].detail


def test_activity_keeps_the_session_alive(app, client):
    testing.login(client, "alice")
    with client.session_transaction() as sess:
        sess[security.LAST_SEEN_KEY] = int(time.time()) - 29 * 60
    assert client.get("/").status_code == 200
    with client.session_transaction() as sess:
        assert sess[security.LAST_SEEN_KEY] >= int(time.time()) - 5


def test_idle_minutes_is_configurable(tmp_path):
    with testing.cheap_hashing():
        app = testing.bare_app(tmp_path, DSMB_IDLE_MINUTES=5)
        testing.add_user(app, "alice")
        client = app.test_client()
        testing.login(client, "alice")
    with client.session_transaction() as sess:
        sess[security.LAST_SEEN_KEY] = int(time.time()) - 6 * 60
    assert client.get("/").status_code == 302


def test_absolute_session_lifetime(app, client):
    testing.login(client, "alice")
    with client.session_transaction() as sess:
        sess[security.LOGIN_AT_KEY] = int(time.time()) - 13 * 3600
    assert client.get("/_dash-layout").status_code == 401


def test_session_bound_to_client_strong_protection(app, client):
    testing.login(client, "alice")
    assert client.get("/_dash-layout", headers={"User-Agent": "another browser"}).status_code == 401


def test_logout_needs_post_with_csrf_and_ends_all_sessions(app, client):
    testing.login(client, "alice")
    other = app.test_client()
    testing.login(other, "alice")
    page = client.get("/logout")
    assert page.status_code == 200 and 'action="/logout"' in page.get_data(as_text=True)
    assert client.get("/").status_code == 200  # GET did not log out
    assert client.post("/logout").status_code == 400  # no CSRF token
    token = testing.form_token(page.get_data(as_text=True))
    r = client.post("/logout", data={"csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/login"
    assert client.get("/_dash-layout").status_code == 401
    assert other.get("/_dash-layout").status_code == 401
    assert '"user"' in events(app, event="logout").iloc[0].detail


def test_login_clears_the_previous_session(app, client):
    with client.session_transaction() as sess:
        sess["dsmb_unmasked"] = True
    testing.login(client, "alice")
    with client.session_transaction() as sess:
        assert "dsmb_unmasked" not in sess


@pytest.mark.parametrize("target,expected", [
    ("/safety", "/safety"), ("/outcomes?tab=km", "/outcomes?tab=km"), ("//evil.example", "/"),
    ("https://evil.example/", "/"), ("/\\evil.example", "/"), ("javascript:alert(1)", "/"),
    ("/_dash-layout", "/"), ("/login", "/"),
])
def test_next_only_same_site(client, target, expected):
    assert testing.login(client, "alice", next_url=target).headers["Location"] == expected


def test_anonymous_page_redirect_carries_next_and_login_follows_it(client):
    r = client.get("/admin/users?x=1")
    assert r.headers["Location"] == "/login?next=/admin/users%3Fx%3D1"
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'value="/admin/users?x=1"' in page


def test_logged_in_user_visiting_login_goes_home(client):
    testing.login(client, "alice")
    assert client.get("/login").headers["Location"] == "/"


def test_login_page_shows_study(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Test trial of a blinded product" in page and "NCT00000000" in page
    assert 'href="/assets/bootstrap.min.css"' in page


def test_login_rehashes_when_parameters_change(app, client):
    url = app.config["DSMB_DATABASE_URL"]
    old = users.get_user("alice", url=url).password_hash
    previous = passwords.set_hasher(PasswordHasher(time_cost=1, memory_cost=512, parallelism=1))
    try:
        testing.login(client, "alice")
    finally:
        passwords.set_hasher(previous)
    new = users.get_user("alice", url=url).password_hash
    assert new != old and "m=512" in new
    assert '"rehashed": true' in events(app, event="login").iloc[0].detail


def test_secret_key_generated_once_with_mode_0600(tmp_path, monkeypatch):
    monkeypatch.delenv("DSMB_SECRET_KEY", raising=False)
    monkeypatch.delenv("DSMB_PRODUCTION", raising=False)
    first = testing.bare_app(tmp_path, SECRET_KEY=None)
    key_file = tmp_path / "secret_key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert first.config["SECRET_KEY"] == key_file.read_text()
    assert testing.bare_app(tmp_path, SECRET_KEY=None).config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_secret_key_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DSMB_SECRET_KEY", "from-the-environment")
    assert testing.bare_app(tmp_path, SECRET_KEY=None).config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


@pytest.mark.parametrize("flag", [{"ENV_PRODUCTION": True}, {"env": "1"}])
def test_missing_secret_key_is_fatal_in_production(tmp_path, monkeypatch, flag):
    monkeypatch.delenv("DSMB_SECRET_KEY", raising=False)
    if "env" in flag:
        monkeypatch.setenv("DSMB_PRODUCTION", "1")
        flag = {}
    with pytest.raises(RuntimeError, match="secret key"):
        testing.bare_app(tmp_path, SECRET_KEY=None, **flag)
    assert not os.path.exists(tmp_path / "secret_key")
