"""Flask-Limiter's login limit shared through Redis: two app objects (two `create_app`, standing in for two
instances behind one address) on one real redis-server count a client's login attempts together.

The redis-server is started here on a free loopback port (Debian's `redis-server`; `make test` installs it). Outside
CI a machine without it skips these tests; in CI (CI=true) its absence is a failure.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import auth_testing as testing
from support import redis_server

REDIS_SERVER = shutil.which("redis-server")
if REDIS_SERVER is None and os.environ.get("CI", "").lower() not in ("", "0", "false"):
    raise RuntimeError("redis-server is missing in CI: `make test` installs Debian's redis-server")
pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (`make test` installs "
                                "Debian's redis-server; in CI its absence fails)")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def _two_instances(tmp_path: Path, storage_uri: str, limit: str = "3 per minute") -> list:
    """Two `create_app` on one database and data root, the login limit stored at `storage_uri`."""
    from dashboard.app_factory import create_app

    overrides = {"TESTING": True, "SECRET_KEY": "test-secret-key-shared-by-both-instances",
                 "DSMB_DATA_ROOT": tmp_path / "data", "DSMB_DATABASE_URL": f"sqlite:///{tmp_path}/dsmb.sqlite",
                 "RATELIMIT_ENABLED": True, "DSMB_LOGIN_RATE_LIMIT": limit,
                 "DSMB_RATELIMIT_STORAGE_URI": storage_uri, "DSMB_RATELIMIT_KEY_PREFIX": f"test-{tmp_path.name}"}
    return [create_app({**overrides, "INSTANCE_PATH": str(tmp_path / f"instance-{n}")}) for n in (1, 2)]


def _alternating_attempts(apps: list, count: int) -> list[int]:
    """Status of `count` failed logins from one address, each sent to the next instance in turn."""
    clients = [app.server.test_client() for app in apps]
    with testing.cheap_hashing():
        return [testing.login(clients[n % 2], "nobody", "wrong password!").status_code for n in range(count)]


def test_two_instances_count_login_attempts_together_in_redis(tmp_path, redis_url):
    import redis

    codes = _alternating_attempts(_two_instances(tmp_path, redis_url), 5)
    assert codes == [200, 200, 200, 429, 429], "instance 2 must see the attempts instance 1 counted"
    keys = redis.Redis.from_url(redis_url).keys(f"*/test-{tmp_path.name}/*")
    assert keys, "the count must live in Redis"


def test_in_memory_each_instance_counts_alone(tmp_path):
    """The control: without a shared store the same alternation passes the limit (3 + 3 attempts allowed)."""
    codes = _alternating_attempts(_two_instances(tmp_path, "memory://"), 6)
    assert codes == [200] * 6


def test_a_redis_that_goes_down_falls_back_to_counting_per_process_and_says_so(tmp_path, caplog):
    """No 500 on the login form when Redis stops; Flask-Limiter logs the fallback and still limits."""
    with redis_server(tmp_path / "redis") as url:
        apps = _two_instances(tmp_path, url)
        assert _alternating_attempts(apps, 1) == [200]
    client = apps[0].server.test_client()                  # Redis is gone now
    with caplog.at_level(logging.WARNING), testing.cheap_hashing():
        codes = [testing.login(client, "nobody", "wrong password!").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert "falling back to in-memory storage" in caplog.text
