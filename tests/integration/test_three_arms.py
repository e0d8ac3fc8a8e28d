"""A three-arm trial over the real app: the demo generator writes an export for a configuration with a third arm
whose reference arm is not the first coded group. Outcomes and Recruitment answer every role; comparisons are
each arm against the reference, labelled 'X vs Y'; the board sees coded labels only and cannot tell the configured
reference from them; grids keep every column on screen."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import BLINDED_ROLES, PROJECT_ROOT, make_app, make_instance
from dash_client import callbacks_by_output, open_page_as, respond

from dashboard import blinding, memo
from layouts import outcomes as out_ids
from layouts import recruitment as rec_ids

REAL = ("MenSC secretome", "Saline placebo", "low dose")
CODED = ("Group A", "Group B", "Group C")
THIRD_ARM = '''
[[arms]]
code = "MENSCLO"
label = "MenSC secretome, low dose"
'''
# The coding key delivered with the cut: the third arm is Group A, the placebo (the reference) Group C.
CODING = "ARMCD,CODED_LABEL\nMENSCLO,Group A\nMENSC,Group B\nPBO,Group C\n"
OUTCOME_OUTPUTS = {"TRAJECTORY": f"{out_ids.TRAJECTORY}.figure", "EVENT_CURVE": f"{out_ids.EVENT_CURVE}.figure",
                   "FOREST": f"{out_ids.FOREST}.figure"}
RECRUITMENT_OUTPUTS = {"BASELINE": f"{rec_ids.BASELINE_GRID}.rowData", "SITES": f"{rec_ids.PERIOD_GRAPH}.figure",
                       "EXPOSURE": f"{rec_ids.EXPOSURE_GRAPH}.figure", "CONSORT": f"{rec_ids.CONSORT_GRAPH}.figure"}


def _three_arm_config(folder: Path) -> Path:
    """NCT05019287's configuration with a third arm (the coding key comes with the export: CODING)."""
    text = (PROJECT_ROOT / "data" / "trials" / "NCT05019287.toml").read_text(encoding="utf-8")
    assert "coded_label" not in text
    text = text.replace("[unblinding]", THIRD_ARM.lstrip() + "\n[unblinding]").replace("target = 29", "target = 45")
    path = folder / "three_arms.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    base = tmp_path_factory.mktemp("three-arms")
    config = _three_arm_config(base)
    export = base / "export"
    subprocess.run([sys.executable, "-m", "dashboard", "demo", "generate", "--out", str(export), "--cut-date",
                    "2021-07-10", "--config", str(config)], check=True, cwd=PROJECT_ROOT, capture_output=True)
    (export / "coding.csv").write_text(CODING, encoding="utf-8")
    instance = make_instance(base, [(export, "2021-07-10", "Final")], config)
    memo.clear()
    blinding.clear_caches()
    yield make_app(instance, config), instance
    memo.clear()
    blinding.clear_caches()


def _responses(app, role: str, path: str, outputs: dict[str, str]) -> dict[str, dict]:
    dash_app, instance = app
    client, props = open_page_as(dash_app, role, instance.passwords[role], path)
    callbacks = callbacks_by_output(client, outputs)
    return {name: respond(client, props, callback) for name, callback in callbacks.items()}


def _text(payload) -> str:
    return json.dumps(payload, ensure_ascii=False)


def test_the_board_compares_each_group_with_the_first_coded_group_and_sees_no_real_name(app):
    pages = _responses(app, "dsmb", "/outcomes", OUTCOME_OUTPUTS) | _responses(app, "dsmb", "/recruitment",
                                                                                RECRUITMENT_OUTPUTS)
    for name, payload in pages.items():
        text = _text(payload)
        assert not any(label in text for label in REAL), name
    forest = _text(pages["FOREST"])
    assert "Group B vs Group A" in forest and "Group C vs Group A" in forest
    # the configured reference (the placebo, Group C) is not disclosed by being compared against
    assert "vs Group C" not in _text(pages) and "Group C −" not in _text(pages)
    for name in ("TRAJECTORY", "FOREST", "CONSORT", "EXPOSURE"):      # each by-arm display says its basis
        assert "arms as randomized" in _text(pages[name]), name


def test_the_statistician_compares_each_arm_with_the_configured_reference(app):
    pages = _responses(app, "statistician", "/outcomes", OUTCOME_OUTPUTS)
    forest = _text(pages["FOREST"])
    assert "MenSC secretome vs Saline placebo" in forest
    assert "MenSC secretome, low dose vs Saline placebo" in forest
    columns = pages["EVENT_CURVE"][out_ids.EVENT_TABLE]["columnDefs"]
    headers = [c["headerName"] for c in columns]
    assert sum("vs Saline placebo" in h for h in headers) == 2
    assert all(c.get("flex") and c.get("wrapHeaderText") for c in columns)     # no column pushed off-screen


def test_recruitment_grids_keep_every_arm_column_on_screen(app):
    dash_app, instance = app
    client, props = open_page_as(dash_app, "statistician", instance.passwords["statistician"], "/recruitment")
    callbacks = callbacks_by_output(client, {"BASELINE": f"{rec_ids.BASELINE_GRID}.rowData",
                                             "SITES": f"{rec_ids.SITE_GRID}.rowData"})
    baseline = respond(client, props, callbacks["BASELINE"])
    sites = respond(client, props, callbacks["SITES"])
    baseline_columns = baseline[rec_ids.BASELINE_GRID]["columnDefs"]
    site_columns = sites[rec_ids.SITE_GRID]["columnDefs"]
    assert sum(any(label in c["headerName"] for label in REAL[:2]) for c in baseline_columns) == 3
    assert sum(c["headerName"].startswith("Randomized · ") for c in site_columns) == 3
    for column in baseline_columns + site_columns:
        assert column.get("flex") and column.get("minWidth"), column


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_blinded_roles_see_no_arm_with_three_arms(app, role):
    pages = _responses(app, role, "/outcomes", OUTCOME_OUTPUTS) | _responses(app, role, "/recruitment",
                                                                              RECRUITMENT_OUTPUTS)
    text = _text(pages)
    assert not any(label in text for label in REAL + CODED)


def test_choosing_a_family_changes_the_outcome_choices_only(app):
    dash_app, instance = app
    client, props = open_page_as(dash_app, "investigator", instance.passwords["investigator"], "/outcomes")
    options = callbacks_by_output(client, {"OPTIONS": f"{out_ids.OUTCOME}.options"})["OPTIONS"]
    first = respond(client, props, options)
    families = [o["value"] for o in first[out_ids.FAMILY]["options"]]
    assert families[0] == out_ids.ALL_FAMILIES and "laboratory" in families
    values = {(d["id"], d["property"]): props.value(d["id"], d["property"]) for d in options.inputs}
    values[(out_ids.FAMILY, "value")] = "laboratory"
    response = client.post_callback(options, values, changed=[f"{out_ids.FAMILY}.value"])
    answer = json.loads(response.get_data(as_text=True))["response"]
    assert {o["value"].split(".")[0] for o in answer[out_ids.OUTCOME]["options"]} == {"LB"}
    assert out_ids.EVENT not in answer and out_ids.FOREST_VISIT not in answer     # the other choices stay
