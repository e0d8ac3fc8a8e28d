"""Deny by default, CSRF on every POST, cookie flags and security headers."""

from __future__ import annotations

import pytest
from support import bare_app_with_user

import auth_testing as testing
from dashboard.permissions import Role

HEADERS = ["Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options",
           "Permissions-Policy", "Cross-Origin-Opener-Policy"]


@pytest.fixture
def app(tmp_path):
    with bare_app_with_user(tmp_path, Role.STATISTICIAN) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def logged_in(app, client):
    testing.login(client, "alice")
    return client


@pytest.mark.parametrize("method,path", [("GET", "/_dash-layout"), ("GET", "/_dash-dependencies"),
                                         ("POST", "/_dash-update-component"), ("GET", "/_reload-hash"),
                                         ("POST", "/anything")])
def test_anonymous_data_routes_get_401(client, method, path):
    assert client.open(path, method=method, json={}).status_code == 401


@pytest.mark.parametrize("path", ["/", "/recruitment", "/safety", "/outcomes", "/cuts", "/admin/users",
                                  "/admin/audit", "/logout", "/static/x.js"])
def test_anonymous_pages_redirect_to_login(client, path):
    r = client.get(path)
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert path == "/" or r.headers["Location"] == f"/login?next={path}"


@pytest.mark.parametrize("path,status", [("/login", 200), ("/assets/bootstrap.min.css", 200), ("/healthz", 200),
                                         ("/_dash-component-suites/dash/x.js", 404), ("/_favicon.ico", 404)])
def test_public_paths_are_open(client, path, status):
    assert client.get(path).status_code == status


def test_healthz_says_ok_and_reveals_no_data(app, client):
    assert client.get("/healthz").json == {"status": "ok", "active_cut": False}
    root = app.config["DSMB_DATA_ROOT"]
    import pathlib
    pathlib.Path(root).mkdir(parents=True, exist_ok=True)
    (pathlib.Path(root) / "active").write_text("2024-01-31-0123abcd")
    assert client.get("/healthz").json == {"status": "ok", "active_cut": True}


def test_dash_post_without_csrf_header_is_refused(logged_in):
    assert logged_in.post("/_dash-update-component", json={"output": "x.y"}).status_code == 400
    assert logged_in.post("/_dash-update-component", json={},
                          headers={"X-CSRFToken": "forged"}).status_code == 400


def test_dash_post_with_renderer_header_passes(logged_in):
    r = logged_in.post("/_dash-update-component", json={"output": "x.y"}, headers=testing.csrf_header(logged_in))
    assert r.status_code == 200


def test_csrf_token_outlives_time_limit(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_login_post_without_token_is_refused(client):
    r = client.post("/login", data={"username": "alice", "password": testing.PASSWORD})
    assert r.status_code == 400 and "expired" in r.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401


def _set_cookies(response):
    return {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}


def test_cookie_flags(app, client):
    cookies = _set_cookies(testing.login(client, "alice"))
    session = cookies["dsmb_session"]
    assert "HttpOnly" in session and "SameSite=Lax" in session and "Secure" not in session
    assert "Expires" not in session  # browser-session cookie, no remember-me
    assert "remember_token" not in cookies
    csrf = _set_cookies(client.get("/"))["_csrf_token"]
    assert "HttpOnly" not in csrf and "SameSite=Lax" in csrf


def test_secure_cookies_and_hsts(tmp_path):
    with bare_app_with_user(tmp_path, Role.DSMB, DSMB_SECURE_COOKIES=True) as app:
        client = testing.HttpsClient(app, app.response_class, use_cookies=True)
        cookies = _set_cookies(testing.login(client, "alice"))
    assert "Secure" in cookies["dsmb_session"]
    r = client.get("/")
    assert "Secure" in _set_cookies(r)["_csrf_token"]
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_HTTPONLY"]


def test_https_login_needs_same_origin_referrer(tmp_path):
    with bare_app_with_user(tmp_path, Role.DSMB, DSMB_SECURE_COOKIES=True) as app:
        client = testing.HttpsClient(app, app.response_class, use_cookies=True)
        page = client.get("/login")
        data = {"username": "alice", "password": testing.PASSWORD,
                "csrf_token": testing.form_token(page.get_data(as_text=True))}
        assert client.post("/login", data=data).status_code == 400
        assert client.post("/login", data=data, headers={"Referer": "https://evil.example/login"}).status_code == 400
        assert client.post("/login", data=data, headers={"Referer": page.request.url}).status_code == 302
    assert page.headers["Referrer-Policy"] == "same-origin"


def test_no_hsts_without_secure_cookies(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_csrf_cookie_only_for_logged_in_users(client):
    assert "_csrf_token" not in _set_cookies(client.get("/login"))


@pytest.mark.parametrize("path", ["/login", "/", "/_dash-layout", "/nowhere", "/assets/x.css", "/healthz"])
@pytest.mark.parametrize("who", ["anonymous", "user"])
def test_every_response_has_security_headers(app, client, path, who):
    if who == "user":
        testing.login(client, "alice")
    r = client.get(path)
    for name in HEADERS:
        assert r.headers.get(name), name
    assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers["X-Frame-Options"] == "DENY"
    assert (r.headers.get("Cache-Control") == "no-store") == (not path.startswith("/assets/"))


def test_csp_directives_and_script_hashes(tmp_path):
    app = testing.bare_app(tmp_path, DSMB_CSP_SCRIPT_HASHES=["'sha256-abc='", "sha256-def="])
    csp = app.test_client().get("/login").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self' 'sha256-abc=' 'sha256-def='"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert directives["connect-src"] == "'self'" and directives["form-action"] == "'self'"
    assert "unsafe-eval" not in csp


def test_rate_limited_login_page_carries_headers(tmp_path):
    app = testing.bare_app(tmp_path, RATELIMIT_ENABLED=True, DSMB_LOGIN_RATE_LIMIT="1 per minute")
    client = app.test_client()
    with testing.cheap_hashing():
        testing.login(client, "nobody", "wrong password!")
        r = testing.login(client, "nobody", "wrong password!")
    assert r.status_code == 429 and "Content-Security-Policy" in r.headers
    assert "Too many login attempts" in r.get_data(as_text=True)
    assert client.post("/login", data={}).status_code in (400, 429)
