"""Monitoring page: every card with by-arm content carries a visible CLOSED stamp (boundary plot, conditional
power, the safety rules applied within arms); blinded roles' page and answers carry none (they have no closed
content)."""

from __future__ import annotations

import dataclasses
import json

import pytest
from dash_client import callbacks_by_output, open_page_as, respond, walk_components
from support import BLINDED_ROLES

from layouts import monitoring as ids


def _page(demo_app, demo_instance, role):
    return open_page_as(demo_app, role, demo_instance.passwords[role], "/monitoring")


def _stamped_cards(page) -> dict[str, bool]:
    """Body id of each card -> whether its header carries the CLOSED badge."""
    out = {}
    for card in (c for c in walk_components(page) if c["type"] == "Card"):
        inner = json.dumps(card)
        header = next(c for c in walk_components(card) if c["type"] == "CardHeader")
        for body_id in (ids.SUMMARY, ids.BOUNDARY, ids.POWER, ids.SAFETY):
            if f'"id": "{body_id}"' in inner:
                out[body_id] = any(c["type"] == "Badge" and c["props"].get("children") == "CLOSED"
                                   for c in walk_components(header))
    return out


@pytest.mark.parametrize("role", ("dsmb", "statistician"))
def test_closed_cards_carry_the_stamp(demo_app, demo_instance, role):
    client, _props = _page(demo_app, demo_instance, role)
    stamped = _stamped_cards(client.open_page("/monitoring"))
    assert stamped == {ids.SUMMARY: False, ids.BOUNDARY: True, ids.POWER: True, ids.SAFETY: True}


@pytest.fixture(scope="module")
def within_arms_app(demo_instance):
    """The demo app with its deaths rule applied within each arm (as the pilot's charter does)."""
    from dashboard.app_factory import create_app
    from dashboard.config import load_trial_config

    config = load_trial_config()
    rules = tuple(dataclasses.replace(r, pooled=False) if r.label.startswith("Deaths") else r
                  for r in config.charter.safety_rules)
    trial = dataclasses.replace(config, charter=dataclasses.replace(config.charter, safety_rules=rules))
    return create_app(trial=trial, overrides={
        "TESTING": True, "SECRET_KEY": "test-secret-key-not-for-production",
        "INSTANCE_PATH": str(demo_instance.instance_path), "DSMB_DATA_ROOT": demo_instance.root,
        "DSMB_DATABASE_URL": demo_instance.database_url, "RATELIMIT_ENABLED": False})


def test_a_rule_applied_within_arms_is_stamped_row_by_row_for_the_board(within_arms_app, demo_instance):
    client, props = _page(within_arms_app, demo_instance, "dsmb")
    callback = callbacks_by_output(client, {"SAFETY": f"{ids.SAFETY}.children"})["SAFETY"]
    answer = respond(client, props, callback)
    rows = [c for c in walk_components(answer) if c["type"] == "Tr"]
    within = [r for r in rows if "Deaths within 7 days" in json.dumps(r)]
    assert within and all('"CLOSED"' in json.dumps(r) for r in within)
    pooled = [r for r in rows if "Serious infusion reactions" in json.dumps(r)]
    assert pooled and not any('"CLOSED"' in json.dumps(r) for r in pooled)


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_blinded_roles_see_no_closed_card(demo_app, demo_instance, role):
    client, _props = _page(demo_app, demo_instance, role)
    page = client.open_page("/monitoring")
    assert _stamped_cards(page) == {ids.SUMMARY: False, ids.SAFETY: False}
    assert '"CLOSED"' not in json.dumps(page)
