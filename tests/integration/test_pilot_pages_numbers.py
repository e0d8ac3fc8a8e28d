"""What the pages show for the public CDISC pilot export (three arms, loaded as delivered), read from the Dash
callbacks as the statistician's browser receives them, against plain pandas on the XPT files."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from support import PILOT_CONFIG, PILOT_SDTM, make_app, make_instance
from dash_client import callbacks_by_output, open_page_as, respond

from dashboard import blinding, memo
from layouts import outcomes as out_ids
from layouts import safety as safety_ids

CUT = "2015-03-31"          # after every record of the export


def _xpt(name: str) -> pd.DataFrame:
    frame = pd.read_sas(PILOT_SDTM / f"{name}.xpt", format="xport", encoding="utf-8")
    return frame.apply(lambda c: c.str.strip() if str(c.dtype) in ("object", "str") else c)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    instance = make_instance(tmp_path_factory.mktemp("pilot-numbers"), [(PILOT_SDTM, CUT, "Final")], PILOT_CONFIG)
    memo.clear()
    blinding.clear_caches()
    yield make_app(instance, PILOT_CONFIG), instance
    memo.clear()
    blinding.clear_caches()


def _response(app, path: str, output: str, changes=None) -> dict:
    application, instance = app
    client, props = open_page_as(application, "statistician", instance.passwords["statistician"], path)
    callback = callbacks_by_output(client, {"it": output}, props)["it"]
    return respond(client, props, callback, changes or {})


def _count(cell: str) -> int:
    return int(re.match(r"\d+", str(cell)).group())


def _overview(app) -> dict[str, dict[str, str]]:
    """Row label -> {group header (arm label or 'All subjects') -> 'n (%)'} of the Safety overview grid."""
    grid = _response(app, "/safety", f"{safety_ids.OVERVIEW_GRID}.rowData")[safety_ids.OVERVIEW_GRID]
    groups = {c["children"][0]["field"]: c["headerName"].split(" (N=")[0]
              for c in grid["columnDefs"] if c.get("children")}
    return {row["LABEL"]: {label: row[field] for field, label in groups.items()} for row in grid["rowData"]}


@pytest.fixture(scope="module")
def reference():
    dm, ae, ex = _xpt("dm"), _xpt("ae"), _xpt("ex")
    randomized = dm[dm["ARMCD"].str.upper() != "SCRNFAIL"]
    dosed = randomized[randomized["USUBJID"].isin(ex["USUBJID"])]
    first = pd.to_datetime(ex.groupby("USUBJID")["EXSTDTC"].min())
    a = ae[ae["USUBJID"].isin(dosed["USUBJID"])].copy()
    start = pd.to_datetime(a["AESTDTC"].where(a["AESTDTC"].str.len() == 10), errors="coerce")
    year = pd.to_numeric(a["AESTDTC"].str[:4], errors="coerce")
    month = pd.to_numeric(a["AESTDTC"].str[5:7], errors="coerce")
    fd = a["USUBJID"].map(first)
    # emergent on or after the first dose day; a partial start counts unless its known part is before the dose's
    partial_ok = ((year > fd.dt.year) | ((year == fd.dt.year) & (month.isna() | (month >= fd.dt.month))))
    teae = a[(start >= fd) | (start.isna() & partial_ok)]
    return {"dm": dm, "dosed": dosed.set_index("USUBJID"), "teae": teae, "lb": _xpt("lb")}


def _by_arm(frame: pd.DataFrame, arm: pd.Series) -> dict[str, int]:
    return frame.assign(ARM=frame["USUBJID"].map(arm)).groupby("ARM")["USUBJID"].nunique().to_dict()


def test_subjects_with_any_teae_and_any_serious_teae_by_arm(app, reference):
    shown = _overview(app)
    arm = reference["dosed"]["ACTARM"]                  # safety by the arm actually received
    teae = reference["teae"]
    expected_any = _by_arm(teae, arm) | {"All subjects": teae["USUBJID"].nunique()}
    serious = teae[teae["AESER"] == "Y"]
    expected_sae = _by_arm(serious, arm) | {"All subjects": serious["USUBJID"].nunique()}
    assert {k: _count(v) for k, v in shown["Any adverse event"].items()} == expected_any
    got_sae = {k: _count(v) for k, v in shown["Any serious adverse event"].items()}
    assert got_sae == {k: expected_sae.get(k, 0) for k in got_sae} and sum(got_sae.values()) > 0


def test_alt_mean_by_visit_and_arm_on_outcomes(app, reference):
    figure = _response(app, "/outcomes", f"{out_ids.TRAJECTORY}.figure",
                       {(out_ids.STATISTIC, "value"): "mean"})[out_ids.TRAJECTORY]["figure"]
    axis = figure["layout"]["xaxis"]
    visit_at = dict(zip(axis["tickvals"], axis["ticktext"]))
    arms = {t["name"] for t in figure["data"] if t.get("mode") == "lines+markers"}
    assert len(arms) == 3
    lb = reference["lb"]
    alt = lb[(lb["LBTESTCD"] == "ALT") & lb["LBSTRESN"].notna()]
    planned = reference["dm"].set_index("USUBJID")["ARM"]     # efficacy by the arm randomized to
    alt = alt.assign(ARM=alt["USUBJID"].map(planned)).dropna(subset=["ARM"])
    expected = alt.groupby(["ARM", "VISIT"])["LBSTRESN"].mean()
    compared = 0
    for trace in (t for t in figure["data"] if t.get("name") in arms and t.get("mode") == "lines+markers"):
        for x, y in zip(trace["x"], trace["y"]):
            visit = visit_at[min(visit_at, key=lambda v: abs(v - x))]     # arms are drawn side by side
            assert y == pytest.approx(expected[(trace["name"], visit)], rel=1e-9), (trace["name"], visit)
            compared += 1
    assert compared >= 30
