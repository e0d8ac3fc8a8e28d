"""Monitoring page over the real app: the closed view (boundaries with one observed z per loaded cut,
conditional power, safety rules with their numbers) for roles that see arms; the open view (information,
looks, pooled rules) for blinded roles, with no by-arm statistic from any of its callbacks."""

from __future__ import annotations

import json

import pytest
from crawl import nav_paths
from dash_client import DashClient, callbacks_by_output, login, open_page_as, respond
from support import BLINDED_ROLES, ROLES

from layouts import monitoring as ids

OUTPUTS = {"SUMMARY": f"{ids.SUMMARY}.children", "BOUNDARY": f"{ids.BOUNDARY}.figure",
           "POWER": f"{ids.POWER}.children", "SAFETY": f"{ids.SAFETY}.children"}
ARM_WORDS = ("MenSC secretome", "Saline placebo", "Group A", "Group B", "MENSC", "PBO")


@pytest.fixture(scope="module")
def answers(demo_app, demo_instance):
    """Every monitoring callback's answer per role, including callbacks the page does not offer the role
    (posted directly, as a curious blinded user could)."""
    out = {}
    for role in ROLES:
        client, props = open_page_as(demo_app, role, demo_instance.passwords[role], "/monitoring")
        every = callbacks_by_output(client, OUTPUTS)
        for name, callback in every.items():
            out[(role, name)] = json.dumps(respond(client, props, callback), ensure_ascii=False)
    return out


def test_the_page_is_in_every_roles_navigation_so_the_invariance_crawl_covers_it(demo_app, demo_instance):
    for role in ROLES:
        client = DashClient(login(demo_app.server.test_client(), role, demo_instance.passwords[role]))
        assert "/monitoring" in nav_paths(client.layout()), role


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_blinded_roles_get_no_by_arm_statistic(answers, role):
    for name in OUTPUTS:
        text = answers[(role, name)]
        for word in ARM_WORDS:
            assert word not in text, (role, name, word)
    assert "Closed session only" in answers[(role, "BOUNDARY")]
    assert "Closed session only" in answers[(role, "POWER")]
    assert "Observed z" not in answers[(role, "BOUNDARY")] and "z =" not in answers[(role, "BOUNDARY")]


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_open_view_shows_information_and_looks_for_each_cut(answers, role):
    text = answers[(role, "SUMMARY")]
    assert "2021-05-10" in text and "2021-07-10" in text and "Next look" in text
    assert "Illustrative charter" in text


def test_board_sees_one_observed_z_per_loaded_cut_labelled_with_its_cut(answers):
    figure = json.loads(answers[("dsmb", "BOUNDARY")])[ids.BOUNDARY]["figure"]
    observed = next(t for t in figure["data"] if t["name"] == "Observed z")
    # at the interim cut the 3 subjects with a known outcome were all intubated: no variation, no z (said so)
    assert observed["text"] == ["2021-07-10"]
    assert "No z at cut 2021-05-10" in figure["layout"]["title"]["text"]
    assert all("nominal p" in h for h in observed["hovertext"])
    efficacy = next(t for t in figure["data"] if t["name"].startswith("Efficacy bound (at the information"))
    assert efficacy["x"][-1] == 1.0 and len(efficacy["x"]) >= 2
    # the bound at the observed look is at that cut's information fraction (Lan-DeMets)
    assert efficacy["x"][0] == pytest.approx(28 / 29)
    planned = next(t for t in figure["data"] if t["name"] == "Efficacy bound as planned")
    assert planned["x"] == [0.5, 1.0]


def test_board_gets_conditional_power_and_coded_names_only(answers):
    text = answers[("dsmb", "POWER")]
    assert "conditional power under the current trend" in text and "design" in text
    assert "Group B" in text and "MenSC secretome" not in text
    assert "2021-07-10" in text and "2021-05-10" in text and "not defined" in text


def test_safety_rules_show_the_numbers_behind_them_with_the_cut(answers):
    for role in ROLES:
        text = answers[(role, "SAFETY")]
        assert "Serious infusion reactions" in text and "treated" in text and "2021-07-10" in text
        assert "Deaths within 7 days" in text


def test_blinded_answers_are_the_same_for_both_blinded_roles(answers):
    for name in OUTPUTS:
        assert answers[("admin", name)] == answers[("investigator", name)], name
