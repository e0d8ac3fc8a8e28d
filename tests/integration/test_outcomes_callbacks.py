"""Outcomes page callbacks over the real app, as each role: pooled for blinded roles, coded arms for the
board, real arm names for the statistician; every control value and malformed input answers sensibly."""

from __future__ import annotations

import json

import pytest
from support import BLINDED_ROLES, ROLES, make_app, make_instance
from coding_key_support import coded_demo_config
from dash_client import initial_values, callbacks_by_output, open_page_as, respond

from dashboard import guard
from dashboard.config import load_trial_config
from layouts import outcomes as ids

REAL = ("MenSC secretome", "Saline placebo")
CODED = ("Group A", "Group B")
OUTPUTS = {"OUTCOME": f"{ids.OUTCOME}.options", "TRAJECTORY": f"{ids.TRAJECTORY}.figure",
           "EVENT_CURVE": f"{ids.EVENT_CURVE}.figure", "FOREST": f"{ids.FOREST}.figure"}


@pytest.fixture(scope="module")
def pages(demo_app, demo_instance):
    """Per role: the client, the page's props and the outcomes callbacks."""
    out = {}
    for role in ROLES:
        client, props = open_page_as(demo_app, role, demo_instance.passwords[role], "/outcomes")
        out[role] = (client, props, callbacks_by_output(client, OUTPUTS, props))
    return out


def _call(pages, role: str, name: str, **changes) -> dict:
    client, props, callbacks = pages[role]
    return respond(client, props, callbacks[name], {(getattr(ids, key), "value"): v for key, v in changes.items()})


def _text(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False)


@pytest.fixture(scope="module")
def initial(pages):
    """Every outcomes callback's response to the values the page starts with, per role."""
    return {(role, name): _call(pages, role, name) for role in ROLES for name in pages[role][2]}


def test_the_choices_are_the_configured_ones_and_the_same_for_every_role(initial):
    config = load_trial_config()
    options = {role: _text(initial[(role, "OUTCOME")]) for role in ROLES}
    assert len(set(options.values())) == 1
    filled = initial[("investigator", "OUTCOME")]
    assert [o["value"] for o in filled[ids.OUTCOME]["options"]] == [f"{o.domain}.{o.testcd}" for o in config.outcomes]
    assert [o["value"] for o in filled[ids.EVENT]["options"]] == [e.name for e in config.events]
    assert filled[ids.FOREST_VISIT]["value"] == max(v.num for v in config.visits)


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_blinded_roles_get_pooled_displays_only(initial, role):
    for name in ("TRAJECTORY", "EVENT_CURVE", "FOREST"):
        text = _text(initial[(role, name)])
        for label in REAL + CODED + ("MENSC", "PBO"):
            assert label not in text, (name, label)
        assert "OPEN (pooled)" in text and "CLOSED" not in text
    trajectory = initial[(role, "TRAJECTORY")][ids.TRAJECTORY]["figure"]
    assert [t["name"] for t in trajectory["data"]] == ["All randomized subjects"]
    assert "closed session only" in _text(initial[(role, "FOREST")])
    table = initial[(role, "EVENT_CURVE")][ids.EVENT_TABLE]
    assert [c["field"] for c in table["columnDefs"]] == ["event", "n", "ci"]
    assert len(table["rowData"]) == len(load_trial_config().events)


def test_the_board_sees_coded_arms_only(initial):
    texts = {name: _text(initial[("dsmb", name)]) for name in ("TRAJECTORY", "EVENT_CURVE", "FOREST")}
    for text in texts.values():
        assert "Group A" in text and "Group B" in text and "CLOSED (by arm)" in text
        assert not any(label in text for label in REAL)
    assert "Log-rank" in texts["EVENT_CURVE"] and "Group B vs Group A" in texts["EVENT_CURVE"]
    assert "favours Group A" in texts["FOREST"] and "Hedges" in texts["FOREST"]
    change = initial[("dsmb", "TRAJECTORY")][ids.CHANGE]["figure"]
    assert any(t.get("yaxis") == "y2" for t in change["data"])  # the difference panel


def test_the_statistician_sees_real_names_with_the_same_reference_arm(initial):
    config = coded_demo_config()
    reference = next(a.label for a in config.arms if a.coded_label == "Group A")
    other = next(a.label for a in config.arms if a.coded_label != "Group A")
    text = _text(initial[("statistician", "EVENT_CURVE")])
    assert f"{other} vs {reference}" in text and "Group A" not in text
    assert all(label in _text(initial[("statistician", "TRAJECTORY")]) for label in REAL)


@pytest.mark.parametrize("role", ["investigator", "dsmb"])
def test_every_outcome_axis_statistic_and_line_choice_answers(pages, initial, role):
    options = initial[(role, "OUTCOME")][ids.OUTCOME]["options"]
    for option in options:
        payload = _call(pages, role, "TRAJECTORY", OUTCOME=option["value"], AXIS="day", STATISTIC="median",
                        SPAGHETTI=[ids.SPAGHETTI_ON])
        figure = payload[ids.TRAJECTORY]["figure"]
        assert figure["data"], option["value"]
        assert figure["data"][0]["name"].endswith("ndividual subjects")
        assert "first" in figure["layout"]["title"]["text"]     # the individual-lines note is a stamp line
    for event in initial[(role, "OUTCOME")][ids.EVENT]["options"]:
        figure = _call(pages, role, "EVENT_CURVE", EVENT=event["value"])[ids.EVENT_CURVE]["figure"]
        assert figure["data"] and event["label"].lower() in figure["layout"]["title"]["text"].lower()


def test_the_statistic_choice_is_ignored_for_blinded_roles(pages):
    asked_mean = _call(pages, "investigator", "TRAJECTORY", STATISTIC="mean")
    assert "median" in _text(asked_mean[ids.TRAJECTORY]["figure"]["layout"]["title"])


@pytest.mark.parametrize("bad", [None, "", "LB.NOPE", 12345, ["VS.OXYSAT"], {"a": 1}, "x" * 2000])
def test_malformed_inputs_fall_back_to_defaults(pages, bad):
    for role in ("investigator", "statistician"):
        trajectory = _call(pages, role, "TRAJECTORY", OUTCOME=bad, AXIS=bad, STATISTIC=bad, SPAGHETTI=bad)
        assert trajectory[ids.TRAJECTORY]["figure"]["data"]
        assert _call(pages, role, "EVENT_CURVE", EVENT=bad)[ids.EVENT_CURVE]["figure"]["data"]
        assert "figure" in _call(pages, role, "FOREST", FOREST_VISIT=bad)[ids.FOREST]


def test_an_oversized_input_is_refused_before_any_callback_runs(pages):
    client, props, callbacks = pages["investigator"]
    callback = callbacks["TRAJECTORY"]
    too_long = "x" * (guard.MAX_STRING_CHARS + 1)
    response = client.post_callback(callback, initial_values(callback, props) | {(ids.OUTCOME, "value"): too_long})
    assert response.status_code == 400 and "Traceback" not in response.get_data(as_text=True)


def _forest_n(forest: dict, outcome_label: str) -> tuple[str, str]:
    """(visit, 'n a | b') of the forest row of one measured outcome."""
    text = next(t for t in forest["data"] if t.get("mode") == "text" and t.get("yaxis") == "y")
    label, detail = next((y, d) for y, d in zip(text["y"], text["text"]) if y.startswith(outcome_label + " · "))
    return label[len(outcome_label) + 3:].split(" (")[0], detail.rsplit("· ", 1)[1]


def test_forest_and_change_figure_give_the_n_per_arm_in_one_order_for_board_and_statistician(initial):
    """The n per arm stands in the legend's order on every display, the same arm first for every access."""
    config = load_trial_config()
    seen = {}
    for role in ("dsmb", "statistician"):
        change = initial[(role, "TRAJECTORY")][ids.CHANGE]["figure"]
        forest = initial[(role, "FOREST")][ids.FOREST]["figure"]
        legend = [t["name"] for t in change["data"] if t.get("yaxis", "y") == "y"]
        visit, n = _forest_n(forest, config.outcomes[0].label)
        # the change figure gives n per arm in the hover of its difference panel (issue 12: no stacked tick labels)
        panel = next(t for t in change["data"] if t.get("yaxis") == "y2")
        assert [f"n {row[1]}" for row in panel["customdata"] if row[0] == visit] == [n], (role, visit, n)
        assert f"n {' | '.join(legend)}:" in panel["hovertemplate"]
        assert f"n per arm: {' | '.join(legend)}" in _text(forest["layout"]["annotations"])
        seen[role] = n
    assert len(set(seen.values())) == 1 and len(set(seen["dsmb"].split(" | "))) == 2, seen  # unequal n: order shows


@pytest.mark.parametrize("role,stamp", [("investigator", "OPEN (pooled)"), ("dsmb", "CLOSED (by arm)")])
def test_every_callback_answers_with_no_cut_loaded(tmp_path, role, stamp):
    instance = make_instance(tmp_path, [])
    client, props = open_page_as(make_app(instance), role, instance.passwords[role], "/outcomes")
    for name, callback in callbacks_by_output(client, OUTPUTS, props).items():
        text = _text(respond(client, props, callback))
        if name != "OUTCOME":
            assert "No data cut has been loaded yet." in text and f"Data cut none · {stamp}" in text, name
