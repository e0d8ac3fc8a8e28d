"""ADTTE on the Outcomes page (issue 15): for every PARAMCD the app serves (through the Flask test client, as a
browser receives it) the Kaplan-Meier median, the numbers at risk and the events by EVNTDESC that plain pandas
computes from pharmaverse-adam/adtte.xpt: pooled for a blinded role, by planned arm (ADSL ARM; the configured
efficacy basis) for the statistician; the board gets coded groups; no arm name reaches the blinded role."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from dash_client import callbacks_by_output, open_page_as, respond
from support import SHARED_EXPORTS, km_median_reference, make_app, make_instance

from dashboard import blinding, memo
from dashboard.config import PROJECT_ROOT, load_trial_config
from layouts import outcomes as ids

CONFIG = PROJECT_ROOT / "data" / "trials" / "CDISCPILOT01-ADAM.toml"
EXPORT = SHARED_EXPORTS / "pharmaverse-adam"
CUT = "2015-12-31"


def _xpt(name: str) -> pd.DataFrame:
    frame = pd.read_sas(EXPORT / f"{name}.xpt", format="xport", encoding="utf-8")
    return frame.apply(lambda c: c.str.strip() if str(c.dtype) in ("object", "str") else c)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    instance = make_instance(tmp_path_factory.mktemp("adam-tte"), [(EXPORT, CUT, "ADaM")], CONFIG)
    memo.clear()
    blinding.clear_caches()
    yield make_app(instance, CONFIG), instance
    memo.clear()
    blinding.clear_caches()


@pytest.fixture(scope="module")
def adtte() -> pd.DataFrame:
    """ADTTE with EVENT = (CNSR == 0); the XPORT reader returns SAS zero as 5.4e-79, so CNSR is rounded."""
    frame = _xpt("adtte")
    arm = _xpt("adsl").set_index("USUBJID")["ARM"]
    return frame.assign(EVENT=frame["CNSR"].round().eq(0), ARM=frame["USUBJID"].map(arm))


def _served(app, role: str, paramcd: str) -> dict:
    application, instance = app
    client, props = open_page_as(application, role, instance.passwords[role], "/outcomes")
    callback = callbacks_by_output(client, {"it": f"{ids.ADTTE_CURVE}.figure"}, props)["it"]
    return respond(client, props, callback, {(ids.ADTTE_PARAM, "value"): paramcd})


def _expected(rows: pd.DataFrame, days: list[int]) -> dict:
    time, event = rows["AVAL"].to_numpy(float), rows["EVENT"].to_numpy(bool)
    median = km_median_reference(time, event)
    counts = rows.loc[rows["EVENT"], "EVNTDESC"].value_counts()
    described = ", ".join(f"{name} {n}" for name, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return {"n": len(rows), "events": int(event.sum()), "described": described or "–",
            "median": "not reached" if np.isnan(median) else f"{median:g}",
            "at_risk": [str(int((time >= d).sum())) for d in days]}


def _shown(response: dict) -> dict[str, dict]:
    """Per group as served: subjects, events and median from the table, numbers at risk from the figure."""
    table = {r["group"]: r for r in response[ids.ADTTE_TABLE]["rowData"]}
    figure = response[ids.ADTTE_CURVE]["figure"]
    risk = {t["y"][0]: t for t in figure["data"] if t.get("mode") == "text" and t.get("yaxis") == "y2"}
    return {group: {"n": r["n"], "events": r["events"], "described": r["described"], "median": r["median"],
                    "at_risk": list(risk[group]["text"]),
                    "days": list(risk[group]["x"])} for group, r in table.items()}


PARAMCDS = ("OS", "PFS", "RSD")


@pytest.mark.parametrize("paramcd", PARAMCDS)
def test_pooled_median_and_numbers_at_risk_for_a_blinded_role(app, adtte, paramcd):
    shown = _shown(_served(app, "investigator", paramcd))
    assert len(shown) == 1
    (group, got), = shown.items()
    rows = adtte[adtte["PARAMCD"] == paramcd]
    assert {k: v for k, v in got.items() if k != "days"} == _expected(rows, got["days"]), paramcd
    assert got["days"][0] == 0 and got["days"][-1] <= rows["AVAL"].max()


@pytest.mark.parametrize("paramcd", PARAMCDS)
def test_median_and_numbers_at_risk_by_planned_arm_for_the_statistician(app, adtte, paramcd):
    shown = _shown(_served(app, "statistician", paramcd))
    rows = adtte[adtte["PARAMCD"] == paramcd]
    arms = [a.label for a in load_trial_config(CONFIG).arms]
    assert set(shown) == set(arms)
    for arm, got in shown.items():
        mine = rows[rows["ARM"] == arm]
        assert {k: v for k, v in got.items() if k != "days"} == _expected(mine, got["days"]), (paramcd, arm)


def test_the_parameters_are_adtte_s_own_with_their_labels_and_the_same_for_every_role(app, adtte):
    application, instance = app
    options = {}
    for role in ("investigator", "dsmb", "statistician"):
        client, props = open_page_as(application, role, instance.passwords[role], "/outcomes")
        callback = callbacks_by_output(client, {"it": f"{ids.ADTTE_PARAM}.options"}, props)["it"]
        answer = respond(client, props, callback)
        options[role] = answer[ids.ADTTE_PARAM]["options"]
        assert answer[ids.ADTTE_CARD]["style"] == {}
    assert options["investigator"] == options["dsmb"] == options["statistician"]
    assert [o["value"] for o in options["investigator"]] == list(PARAMCDS)


def test_the_board_sees_coded_groups_and_the_blinded_role_no_arm(app, adtte):
    coded = _shown(_served(app, "dsmb", "OS"))
    assert all(group.startswith("Group ") for group in coded)
    text = json.dumps(_served(app, "investigator", "OS"))
    for arm in load_trial_config(CONFIG).arms:
        assert arm.label not in text and f'"{arm.code}"' not in text
