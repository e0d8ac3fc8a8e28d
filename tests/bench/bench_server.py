"""Shared by the page and load benchmarks: a benchmark installation (5,000-subject synthetic cut or the 29-subject
demo), the app under gunicorn on a loopback port, logged-in `requests` sessions and worker memory.

`wsgi()` is the gunicorn entry (`bench_server:wsgi()`): the real app from `dashboard.app_factory`, configured by
the same environment variables as production, with Flask-Limiter's per-address login limit off (every benchmark
user logs in from 127.0.0.1; the limit would be the only thing measured), unless `BENCH_LOGIN_LIMIT` sets one: the
load benchmark's `--redis` sets a high limit so that every login is counted in the shared Redis store.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

HERE = Path(__file__).resolve()
PROJECT = HERE.parents[2]
sys.path[:0] = [str(PROJECT), str(HERE.parents[1]), str(HERE.parent)]

VENV_BIN = Path(sys.executable).parent
ARTIFACTS = PROJECT / "test-artifacts" / "bench"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
BENCH_SECRET = "bench-only-secret-key-not-for-production-0123456789abcdef"


@dataclass
class BenchInstance:
    """A data root with one active cut, a database with the demo users, and their passwords."""

    base: Path
    root: Path
    instance_path: Path
    database_url: str
    passwords: dict[str, str]
    subjects: int


def _save(instance: BenchInstance) -> None:
    (instance.base / "bench.json").write_text(json.dumps({
        "root": str(instance.root), "instance_path": str(instance.instance_path),
        "database_url": instance.database_url, "passwords": instance.passwords, "subjects": instance.subjects}))


def _reuse(base: Path) -> BenchInstance | None:
    """An installation an earlier run left in `base` (generating 5,000 subjects takes minutes)."""
    marker = base / "bench.json"
    if not marker.exists():
        return None
    saved = json.loads(marker.read_text())
    return BenchInstance(base, Path(saved["root"]), Path(saved["instance_path"]), saved["database_url"],
                         saved["passwords"], saved["subjects"])


def bench_instance(subjects: int, base: Path, database_url: str | None = None) -> BenchInstance:
    """The demo (subjects == 29: its two delivered cuts) or a synthetic cut of `subjects`, kept in `base`."""
    found = _reuse(base)
    if found is not None:
        return found if database_url in (None, found.database_url) else _with_database(found, database_url)
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    os.environ["DSMB_SECRET_KEY"] = BENCH_SECRET  # the cuts are signed with the key the server verifies with
    if subjects == 29:
        from support import DEMO_EXPORTS, make_instance

        made = make_instance(base, [(DEMO_EXPORTS / "interim", "2021-05-10", "Interim"),
                                    (DEMO_EXPORTS / "final", "2021-07-10", "Final")])
    else:
        from bench_callbacks import build_instance

        made = build_instance(subjects, 20, base)
    instance = BenchInstance(base, made.root, made.instance_path, made.database_url, made.passwords, subjects)
    if database_url:
        instance = _with_database(instance, database_url)
    _save(instance)
    return instance


def _with_database(instance: BenchInstance, database_url: str) -> BenchInstance:
    """The same cuts with the users created in another database (PostgreSQL)."""
    from dashboard.auth.demo_users import ensure_demo_users

    from dashboard.auth.demo_users import DEMO_USERS
    from dashboard.auth.users import reset_password

    os.environ["DSMB_DATABASE_URL"] = database_url
    try:
        passwords = ensure_demo_users(database_url)
        for username in set(DEMO_USERS) - set(passwords):     # a database kept from an earlier run: new passwords
            passwords[username] = secrets.token_urlsafe(15)
            reset_password(username, passwords[username], actor="bench-setup", url=database_url)
    finally:
        os.environ.pop("DSMB_DATABASE_URL", None)
    return BenchInstance(instance.base, instance.root, instance.instance_path, database_url, passwords,
                         instance.subjects)


def wsgi():
    """gunicorn entry: the real app, login rate limit off (see the module docstring)."""
    import logging

    from dashboard import warm
    from dashboard.app_factory import create_app

    if not logging.getLogger("dashboard.warm").handlers:   # "warmed cut ..." in the gunicorn log, for --settle
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("[%(process)d] %(name)s: %(message)s"))
        logging.getLogger("dashboard.warm").addHandler(handler)
        logging.getLogger("dashboard.warm").setLevel(logging.INFO)

    limit = os.environ.get("BENCH_LOGIN_LIMIT")   # counted in DSMB_RATELIMIT_STORAGE_URI (Redis with --redis)
    overrides = {"RATELIMIT_ENABLED": True, "DSMB_LOGIN_RATE_LIMIT": limit} if limit else {"RATELIMIT_ENABLED": False}
    server = create_app(overrides=overrides).server
    warm.start_active(server)   # with DSMB_WARM=1: each worker warms the active cut as it starts
    return server


def free_port(preferred: int) -> int:
    """`preferred` when nothing listens there, else any free loopback port."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]


@dataclass
class Server:
    """A running gunicorn: its address and master process."""

    url: str
    process: subprocess.Popen
    log: Path
    log_start: int = 0

    def log_text(self) -> str:
        """What the server logged since it started."""
        with open(self.log, "rb") as handle:
            handle.seek(self.log_start)
            return handle.read().decode("utf-8", "replace")

    def wait_warmed(self, workers: int, timeout: float) -> float:
        """Seconds until every worker logged its warm-up of the cut (DSMB_WARM=1), at most `timeout`."""
        started = time.monotonic()
        while time.monotonic() - started < timeout and self.log_text().count("warmed cut") < workers:
            time.sleep(1)
        return time.monotonic() - started

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def worker_rss_mb(self) -> list[float]:
        """Resident memory (VmRSS) of each worker, MB."""
        sizes = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status")
            if status.exists():
                match = re.search(r"VmRSS:\s+(\d+) kB", status.read_text())
                sizes.append(int(match.group(1)) / 1024 if match else 0.0)
        return sizes


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            if requests.get(url + "/login", timeout=5).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"gunicorn did not answer at {url} within {timeout:.0f} s")


@contextmanager
def gunicorn(app: str, port: int, workers: int, env: dict[str, str] | None = None,
             log: Path | None = None) -> Iterator[Server]:
    """Serve `app` ("module:callable") with gunicorn on 127.0.0.1:`port`; stopped (TERM, then KILL) on exit."""
    port = free_port(port)
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT), str(HERE.parents[1]), str(HERE.parent)]),
                   **(env or {})}
    command = [str(VENV_BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--timeout", "300", "--graceful-timeout", "5",
               "--no-control-socket", "--chdir", str(HERE.parent), app]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = log or ARTIFACTS / f"gunicorn-{port}.log"
    output = open(log, "ab")
    start = output.tell()
    process = subprocess.Popen(command, env=environment, stdout=output, stderr=subprocess.STDOUT, cwd=PROJECT)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", process, 180)
        yield Server(f"http://127.0.0.1:{port}", process, log, start)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()


@contextmanager
def redis_server(folder: Path, port: int = 6390) -> Iterator[str]:
    """The tests' throwaway redis-server (`support.redis_server`) on `port` or, when taken, a free one."""
    from support import redis_server as started

    if shutil.which("redis-server") is None:
        raise SystemExit("--redis needs Debian's redis-server: `make redis` (or apt-get install redis-server)")
    with started(folder, free_port(port)) as url:
        yield url


def redis_login_count(url: str) -> int:
    """Login attempts Flask-Limiter counted in Redis (the sum of its login-limit counters)."""
    import redis

    client = redis.Redis.from_url(url)
    return sum(int(client.get(key) or 0) for key in client.scan_iter("*LIMITER*auth.login*"))


def app_env(instance: BenchInstance, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment the app reads: data root, database, instance folder, secret key."""
    return {"DSMB_DATA_ROOT": str(instance.root), "DSMB_DATABASE_URL": instance.database_url,
            "DSMB_INSTANCE_PATH": str(instance.instance_path), "DSMB_SECRET_KEY": BENCH_SECRET, **(extra or {})}


def login_session(url: str, username: str, password: str) -> requests.Session:
    """A `requests` session logged in through the real form, holding the CSRF cookie Dash sends back."""
    session = requests.Session()
    page = session.get(url + "/login", timeout=30).text
    match = CSRF_INPUT.search(page)
    if not match:
        raise RuntimeError("login form has no CSRF token")
    response = session.post(url + "/login", data={"username": username, "password": password,
                                                  "csrf_token": match.group(1) or match.group(2)},
                            allow_redirects=False, timeout=60)
    if response.status_code not in (302, 303):
        raise RuntimeError(f"login as {username} failed: {response.status_code}")
    session.get(url + "/", timeout=60)
    token = session.cookies.get("_csrf_token")
    if token:
        session.headers["X-CSRFToken"] = token
    return session


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def write_json(name: str, payload: dict) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    path.write_text(json.dumps(payload, indent=2, default=str))
    return path
