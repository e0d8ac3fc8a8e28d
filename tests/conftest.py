"""Shared fixtures: demo cuts loaded into a temporary data root, the real app, a client per role."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent)]

from dash_client import DashClient, login  # noqa: E402
from support import BLINDED_ROLES, DEMO_EXPORTS, ROLES, Instance, make_app, make_instance  # noqa: E402,F401


@pytest.fixture(scope="session")
def demo_instance(tmp_path_factory) -> Instance:
    base = tmp_path_factory.mktemp("demo")
    return make_instance(base, [
        (DEMO_EXPORTS / "interim", "2021-05-10", "Interim"),
        (DEMO_EXPORTS / "final", "2021-07-10", "Final"),
    ])


@pytest.fixture(scope="session")
def demo_app(demo_instance):
    return make_app(demo_instance)


@pytest.fixture
def client_for(demo_app, demo_instance):
    """`client_for(role)` -> a DashClient logged in as the demo user of that role."""

    def make(role: str) -> DashClient:
        client = demo_app.server.test_client()
        return DashClient(login(client, role, demo_instance.passwords[role]))

    return make
