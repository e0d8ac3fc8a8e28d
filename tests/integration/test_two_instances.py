"""Two app instances sharing PostgreSQL, Redis and the data root (issue 18's deployment beyond one machine).

Each installation is served by two `create_app` (standing in for two hosts: their own instance folders, the same
secret key, database, login-limit store and data root) and one browser whose every request goes to the next
instance in turn, so a login made on one is used on the other and no answer can depend on stickiness. The leak test
of `test_allocation_invariance` runs over that pair for two randomizations of the same clinical data (its twin
installations, crawler and every-view check are reused, not copied); and a cut activated from instance 1's host is
what instance 2 serves on its next request.

Both apps live in one process here, so they share its caches; separate processes (real gunicorn instances on two
ports) are exercised by `tests/bench/bench_load.py --instances 2 --database-url ... --redis`.
"""

from __future__ import annotations

import itertools
import os

import pytest
from crawl import crawl
from dash_client import DashClient, login
from flask.testing import FlaskClient
from support import BLINDED_ROLES, Instance, fresh_postgres_database, redis_server
from test_allocation_invariance import DEMO_CUTS, assert_every_view_called, fresh_caches, twin_installations
from test_limiter_redis import REDIS_SERVER

POSTGRES_URL = os.environ.get("DSMB_TEST_POSTGRES_URL")
pytestmark = [
    pytest.mark.skipif(not POSTGRES_URL, reason="`make test` starts PostgreSQL and sets DSMB_TEST_POSTGRES_URL"),
    pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed (`make test` installs it)"),
]
SHARED_SECRET = "test-secret-key-shared-by-both-instances"


def on_postgres(instance: Instance, suffix: str) -> Instance:
    """The installation's cuts with its users in a fresh PostgreSQL database instead of SQLite."""
    from dashboard.auth.demo_users import ensure_demo_users

    database_url = fresh_postgres_database(POSTGRES_URL, f"two_{suffix}")
    return Instance(instance.root, instance.instance_path, database_url, ensure_demo_users(database_url))


def two_apps(instance: Instance, redis_url: str) -> list:
    """Two instances of the app on the installation's database and data root, the login limit in Redis."""
    from dashboard.app_factory import create_app

    shared = {"TESTING": True, "SECRET_KEY": SHARED_SECRET, "DSMB_DATA_ROOT": instance.root,
              "DSMB_DATABASE_URL": instance.database_url, "DSMB_RATELIMIT_STORAGE_URI": redis_url,
              "RATELIMIT_ENABLED": True, "DSMB_LOGIN_RATE_LIMIT": "1000 per minute",
              "DSMB_RATELIMIT_KEY_PREFIX": f"two-{instance.root.parent.name}"}
    return [create_app({**shared, "INSTANCE_PATH": str(instance.instance_path.parent / f"host-{n}")})
            for n in (1, 2)]


class AlternatingClient(FlaskClient):
    """One browser (one cookie jar) whose every request is served by the next instance in turn."""

    def __init__(self, apps: list) -> None:
        super().__init__(apps[0].server, apps[0].server.response_class, use_cookies=True)
        self._next = itertools.cycle(range(len(apps)))
        self._servers = [app.server for app in apps]
        self.served = [0] * len(apps)

    def open(self, *args, **kwargs):
        number = next(self._next)
        self.application = self._servers[number]
        self.served[number] += 1
        return super().open(*args, **kwargs)


@pytest.fixture(scope="module")
def shared_redis(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="module")
def twin_pairs(tmp_path_factory, shared_redis):
    """Installations A and B (the same clinical data, two randomizations), each on its own PostgreSQL database
    and served by two instances."""
    base = tmp_path_factory.mktemp("two-instances")
    twins = [on_postgres(instance, name) for instance, name in zip(twin_installations(base), "ab")]
    return [(instance, two_apps(instance, shared_redis)) for instance in twins]


def alternating(instance: Instance, apps: list, role: str) -> tuple[DashClient, AlternatingClient]:
    client = AlternatingClient(apps)
    return DashClient(login(client, role, instance.passwords[role])), client


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_blinded_responses_from_two_instances_do_not_depend_on_allocation(twin_pairs, role):
    (a, apps_a), (b, apps_b) = twin_pairs
    fresh_caches()
    dash_a, client_a = alternating(a, apps_a, role)
    seen_a = crawl(dash_a)
    assert_every_view_called(dash_a, seen_a, sees_arms=False, role=role)
    fresh_caches()               # nothing computed for A may answer B: both cuts have the same id
    dash_b, client_b = alternating(b, apps_b, role)
    seen_b = crawl(dash_b)
    assert min(client_a.served) > 20 and min(client_b.served) > 20, "both instances must have served the crawl"
    assert [e.request for e in seen_a] == [e.request for e in seen_b] and len(seen_a) > 20
    for ea, eb in zip(seen_a, seen_b):
        assert ea.status == eb.status, ea.request
        assert ea.body == eb.body, f"{role}: response to '{ea.request}' changes with the randomization"


def _swimmer(client: DashClient) -> str:
    callback = client.callback_for("safety-swimmer-graph.figure")
    response = client.post_callback(callback, {("safety-swimmer-filter", "value"): "any"})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_cut_activated_on_instance_1_is_served_by_instance_2_on_its_next_request(twin_pairs, monkeypatch):
    from dashboard import audit, cuts
    from dashboard.config import load_trial_config
    from dashboard.ingest.load import activate_cut

    (a, (app_1, app_2)), _ = twin_pairs
    one = DashClient(login(app_1.server.test_client(), "investigator", a.passwords["investigator"]))
    two = DashClient(login(app_2.server.test_client(), "investigator", a.passwords["investigator"]))
    final_id = cuts.active_cut_id(a.root)
    interim_id = next(m.cut_id for m in cuts.list_cuts(a.root) if m.cut_id != final_id)
    interim_date, final_date = DEMO_CUTS[0][1], DEMO_CUTS[1][1]
    assert f"Data cut {final_date}" in two.client.get("/_dash-layout").get_data(as_text=True)
    before = _swimmer(two)                     # instance 2 has the final cut cached

    monkeypatch.setenv("DSMB_DATABASE_URL", a.database_url)   # host A's command line: the shared audit trail
    activate_cut(interim_id, "back to the interim cut for the meeting", "statistician", load_trial_config(),
                 root=a.root)

    layout = two.client.get("/_dash-layout").get_data(as_text=True)
    assert f"Data cut {interim_date}" in layout and f"Data cut {final_date}" not in layout
    after = _swimmer(two)
    assert after != before and after == _swimmer(one), "instance 2 must serve the cut activated on host A"
    activated = audit.events(database_url=a.database_url)
    assert interim_id in set(activated[activated["event"] == "cut_activated"]["cut_id"])
    activate_cut(final_id, "the final cut again, as it was before", "statistician", load_trial_config(), root=a.root)


def test_a_login_on_one_instance_is_a_session_on_the_other(twin_pairs):
    """The session token is in the shared database and the cookie is signed with the shared key."""
    (a, (app_1, app_2)), _ = twin_pairs
    client = login(app_1.server.test_client(), "investigator", a.passwords["investigator"])
    client.application = app_2.server          # the same browser, now behind instance 2
    assert client.get("/_dash-layout").status_code == 200
    fresh = app_2.server.test_client()
    assert fresh.get("/_dash-layout").status_code == 401, "without the cookie instance 2 must refuse"
