"""Each form of each display goes only to the roles it is for, walked from the catalogue: every view on the
trial-data pages, called through the real app on the NCT05019287 demo as the investigator (blinded), the board
(coded) and the statistician (unblinded). Blinded answers name no arm, real or coded; a view with a by-arm form
gives the board coded names and the statistician real ones."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from coding_key_support import coded_demo_config
from crawl import callback_of, merge_outputs
from dash_client import DashClient, collect_props, initial_values, login
from support import DEMO_EXPORTS

from dashboard.displays import Form, views

TRIAL_VIEWS = tuple(v for v in views() if v.reads_trial_data)
ROLES = ("investigator", "dsmb", "statistician")
BY_ARM_VIEWS = tuple(v for v in TRIAL_VIEWS if any(Form.BY_ARM in d.forms for d in v.displays))
# Views that answer nothing until the user acts: the action that asks them for something by arm, as the browser
# sends it ((component id, property), value from the page's props).
TRIGGERS = {
    "safety:profile": (("safety-sae-grid", "selectedRows"),
                       lambda props: (props.value("safety-sae-grid", "rowData") or [])[:1]),
    "recruitment:download": (("rec-csv-baseline", "n_clicks"), lambda props: 1),
}
# By-arm views that name no arm on this demo (reason given).
NO_ARM_NAME_HERE = {"outcomes:adtte": "the NCT05019287 demo has no ADTTE dataset: nothing to draw",
                    "monitoring:safety-rules": "NCT05019287's charter applies every safety rule pooled, by design"}


def _words(words: list[str]) -> list[re.Pattern]:
    return [re.compile(rf"(?<![A-Za-z0-9]){re.escape(w)}(?![A-Za-z0-9])") for w in words if w]


CONFIG = coded_demo_config()     # the demo cuts' coding key (coding.csv): the board's labels
TREATMENTS = pd.read_csv(DEMO_EXPORTS / "final" / "ex.csv", dtype=str)["EXTRT"].dropna().unique().tolist()
REAL = _words([a.label for a in CONFIG.arms] + [a.code for a in CONFIG.arms] + TREATMENTS)
CODED = _words([a.coded_label for a in CONFIG.arms])


@pytest.fixture(scope="module")
def answers(demo_app, demo_instance) -> dict[tuple[str, str], tuple[int | None, str]]:
    """(role, view key) -> (status, response text) for every trial-data view, called as its page would call it
    (views in catalogue order, each answer applied to the page's props as the browser would)."""
    found: dict[tuple[str, str], tuple[int | None, str]] = {}
    for role in ROLES:
        client = DashClient(login(demo_app.server.test_client(), role, demo_instance.passwords[role]))
        layout, callbacks = client.layout(), client.dependencies()
        for page in dict.fromkeys(v.page for v in TRIAL_VIEWS):
            props = collect_props(layout, client.open_page(page))
            for view in (v for v in TRIAL_VIEWS if v.page == page):
                callback = callback_of(view, callbacks)
                if callback is None:
                    found[(role, view.key)] = (None, "no registered callback fills this view's outputs")
                    continue
                values, changed = initial_values(callback, props), None
                if view.key in TRIGGERS:
                    (component, prop), value = TRIGGERS[view.key]
                    values, changed = values | {(component, prop): value(props)}, [f"{component}.{prop}"]
                response = client.post_callback(callback, values, changed)
                body = response.get_data(as_text=True)
                if response.status_code == 200:
                    merge_outputs(props, response.get_json())
                    body = json.dumps(json.loads(body), ensure_ascii=False)
                found[(role, view.key)] = (response.status_code, body)
    return found


def test_the_trial_data_pages_have_views():
    """Guard against a walk over nothing, and against triggers or exceptions naming views that no longer exist."""
    assert TRIAL_VIEWS, "no view reads trial data: the pages have not moved onto the catalogue"
    assert set(TRIGGERS) | set(NO_ARM_NAME_HERE) <= {v.key for v in TRIAL_VIEWS}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("view", TRIAL_VIEWS, ids=lambda v: v.key)
def test_every_view_answers(answers, view, role):
    status, body = answers[(role, view.key)]
    assert status in (200, 204), f"{view.key} as {role}: {status} {body[:300]}"


@pytest.mark.parametrize("view", TRIAL_VIEWS, ids=lambda v: v.key)
def test_blinded_answers_name_no_arm(answers, view):
    _, body = answers[("investigator", view.key)]
    for pattern in REAL + CODED:
        assert not pattern.search(body), f"{view.key}: the investigator received {pattern.pattern}"


@pytest.mark.parametrize("view", BY_ARM_VIEWS, ids=lambda v: v.key)
def test_by_arm_forms_go_coded_to_the_board_and_real_to_the_statistician(answers, view):
    if view.key in NO_ARM_NAME_HERE:
        pytest.skip(NO_ARM_NAME_HERE[view.key])
    _, board = answers[("dsmb", view.key)]
    _, statistician = answers[("statistician", view.key)]
    assert any(p.search(board) for p in CODED), f"{view.key}: the board got no coded arm name"
    assert not any(p.search(board) for p in REAL), f"{view.key}: the board got a real arm name before unmasking"
    assert any(p.search(statistician) for p in REAL), f"{view.key}: the statistician got no real arm name"


def test_pooled_only_views_name_no_arm_for_anyone(answers):
    """A display declared pooled only stays pooled for every role: its view names no arm, coded or real."""
    pooled = [v for v in TRIAL_VIEWS if all(d.forms == {Form.POOLED} for d in v.displays)]
    for view in pooled:
        for role in ROLES:
            _, body = answers[(role, view.key)]
            assert not any(p.search(body) for p in REAL + CODED), f"{view.key} ({role}) names an arm"
