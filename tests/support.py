"""Test support: demo cuts loaded into a temporary data root, the real app, the roles."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


PROJECT_ROOT = Path(__file__).resolve().parent.parent

DEMO_EXPORTS = PROJECT_ROOT / "data" / "exports" / "NCT05019287"
# Public exports nobody here wrote, beside the repository (read-only in CI): their absence is a failure, not a skip.
SHARED_EXPORTS = PROJECT_ROOT.parent / "shared" / "exports"
PILOT_SDTM = SHARED_EXPORTS / "pharmaverse-sdtm"
PILOT_CONFIG = PROJECT_ROOT / "data" / "trials" / "CDISCPILOT01.toml"
ROLES = ("admin", "investigator", "dsmb", "statistician")
BLINDED_ROLES = ("admin", "investigator")


@dataclass
class Instance:
    """One installation: data root with loaded cuts, database with one user per role."""

    root: Path
    instance_path: Path
    database_url: str
    passwords: dict[str, str]


def make_instance(base: Path, exports: list[tuple[Path, str, str]], config_path: Path | None = None) -> Instance:
    """Load `exports` (folder, cut date, label) into a fresh data root and create the demo users.

    `config_path` names the trial configuration (default: NCT05019287's)."""
    from dashboard.auth.demo_users import ensure_demo_users
    from dashboard.config import load_trial_config
    from dashboard.ingest.load import load_cut

    root = base / "data"
    instance_path = base / "instance"
    instance_path.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{base / 'dsmb.sqlite'}"
    config = load_trial_config(config_path)
    os.environ["DSMB_DATABASE_URL"] = database_url  # the audit trail of the loads goes here too
    try:
        passwords = ensure_demo_users(database_url)
        for folder, cut_date, label in exports:
            load_cut(folder, cut_date, label, "test-loader", config, root=root)
    finally:
        os.environ.pop("DSMB_DATABASE_URL", None)
    return Instance(root, instance_path, database_url, passwords)


def make_app(instance: Instance, config_path: Path | None = None):
    from dashboard.app_factory import create_app
    from dashboard.config import load_trial_config

    return create_app(trial=load_trial_config(config_path) if config_path else None, overrides={
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "INSTANCE_PATH": str(instance.instance_path),
        "DSMB_DATA_ROOT": instance.root,
        "DSMB_DATABASE_URL": instance.database_url,
        "RATELIMIT_ENABLED": False,
    })


@contextmanager
def bare_app_with_user(tmp_path: Path, role, username: str = "alice", **config: Any) -> Iterator[Any]:
    """The bare auth app (no Dash, no cuts) with one user of `role`, cheap password hashing inside the block.

    For tests of login, sessions, cookies and headers; `config` goes to `auth_testing.bare_app`.
    """
    import auth_testing as testing

    with testing.cheap_hashing():
        app = testing.bare_app(tmp_path, **config)
        testing.add_user(app, username, role)
        yield app


def stub_audit(monkeypatch) -> list[tuple]:
    """A stand-in for dashboard.audit that keeps (event, cut id, detail) of each recorded event: for tests of the
    loader's own decisions (the real trail is exercised by the audit and side-channel tests)."""
    import sys
    import types

    events: list[tuple] = []
    module = types.ModuleType("dashboard.audit")
    module.record = lambda event, *, username, cut_id=None, detail=None, **_: events.append((event, cut_id, detail))
    monkeypatch.setitem(sys.modules, "dashboard.audit", module)
    return events


def fresh_postgres_database(server_url: str, label: str) -> str:
    """A new, empty database of its own on the tests' PostgreSQL server at `server_url` (other test processes use
    theirs at the same time); its URL."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(server_url)
    name = f"{url.database}_{label}_{os.getpid()}"
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    server.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def free_loopback_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def redis_server(folder: Path, port: int | None = None) -> Iterator[str]:
    """A throwaway redis-server on 127.0.0.1 (Debian's `redis-server`, no persistence) on `port` or a free one;
    yields its URL, stopped on exit."""
    import shutil
    import subprocess
    import time

    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: `make redis` installs Debian's redis-server")
    port = port or free_loopback_port()
    folder.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                                "--dir", str(folder), "--protected-mode", "yes"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis.from_url(url, socket_timeout=1).ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def km_median_reference(time: Any, event: Any) -> float:
    """The Kaplan-Meier median computed by hand, for tests: the product-limit estimate over the distinct event times;
    where it falls below one half, or the midpoint of a stretch at exactly one half (to the next event time, or to the
    last follow-up time), as R's survfit and SAS LIFETEST report it; NaN when it never falls that far."""
    import numpy as np

    time, event = np.asarray(time, dtype=float), np.asarray(event).astype(int)
    surv, event_times = 1.0, np.unique(time[event == 1])
    for i, t in enumerate(event_times):
        surv *= 1 - ((time == t) & (event == 1)).sum() / (time >= t).sum()
        if abs(surv - 0.5) < 1.5e-8:
            end = event_times[i + 1] if i + 1 < len(event_times) else time.max()
            return float((t + end) / 2)
        if surv < 0.5:
            return float(t)
    return float("nan")
