"""Leak tests on an ADaM cut: a blinded user's responses do not change when only the allocation changes (every
treatment variable of every ADaM dataset rotated), and no arm code, label or treatment name reaches them."""

from __future__ import annotations

import re
import shutil

import pytest
from crawl import crawl
from dash_client import DashClient, login
from support import BLINDED_ROLES, SHARED_EXPORTS, make_app, make_instance
from test_adam_load import _reallocated

from dashboard import blinding, memo
from dashboard.config import PROJECT_ROOT, load_trial_config

CONFIG = PROJECT_ROOT / "data" / "trials" / "CDISCPILOT01-ADAM.toml"


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    """Two installations whose ADaM exports differ only in allocation, loaded from the same folder path."""
    base = tmp_path_factory.mktemp("adam-twins")
    _reallocated(SHARED_EXPORTS / "pharmaverse-adam", base / "rotated")
    exports = base / "export"
    instances = []
    for name, source in (("a", SHARED_EXPORTS / "pharmaverse-adam"), ("b", base / "rotated")):
        shutil.rmtree(exports, ignore_errors=True)
        shutil.copytree(source, exports)
        instance = make_instance(base / name, [(exports, "2015-12-31", "ADaM")], CONFIG)
        instances.append((instance, make_app(instance, CONFIG)))
    yield instances
    blinding.clear_caches()
    memo.clear()


def _client(instance, app, role: str) -> DashClient:
    return DashClient(login(app.server.test_client(), role, instance.passwords[role]))


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_blinded_responses_do_not_depend_on_allocation(twins, role):
    (a, app_a), (b, app_b) = twins
    blinding.clear_caches(), memo.clear()
    seen_a = crawl(_client(a, app_a, role))
    blinding.clear_caches(), memo.clear()
    seen_b = crawl(_client(b, app_b, role))
    assert [e.request for e in seen_a] == [e.request for e in seen_b] and len(seen_a) > 20
    for ea, eb in zip(seen_a, seen_b):
        assert (ea.status, ea.body) == (eb.status, eb.body), f"{role}: '{ea.request}' changes with the allocation"


def _canaries() -> list[re.Pattern]:
    config = load_trial_config(CONFIG)
    words = [arm.code for arm in config.arms] + [arm.label for arm in config.arms] + ["XANOMELINE", "PLACEBO"]
    return [re.compile(rf"(?<![A-Za-z0-9+/]){re.escape(w)}(?![A-Za-z0-9+/])") for w in words]


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_no_arm_name_reaches_a_blinded_user(twins, role):
    (a, app_a), _ = twins
    for exchange in crawl(_client(a, app_a, role)):
        for pattern in _canaries():
            assert not pattern.search(exchange.body), f"{role} received {pattern.pattern} in {exchange.request}"


def test_the_canaries_can_fire_the_statistician_gets_real_names(twins):
    (a, app_a), _ = twins
    bodies = "\n".join(e.body for e in crawl(_client(a, app_a, "statistician")))
    assert all(arm.label in bodies for arm in load_trial_config(CONFIG).arms)
