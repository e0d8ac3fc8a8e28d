"""Recruitment page callbacks over the real app, as each role: pooled for blinded roles, coded arms for the
board, real arm names for the statistician; filters, downloads and malformed input answer sensibly."""

from __future__ import annotations

import base64
import json
import shutil

import numpy as np
import pandas as pd
import pytest
from coding_key_support import coded_demo_config
from support import BLINDED_ROLES, DEMO_EXPORTS, ROLES, make_app, make_instance
from dash_client import callbacks_by_output, initial_values, open_page_as, respond

from dashboard import memo
from dashboard.analysis.baseline_characteristics import TREATED_AS_OTHER_ARM
from dashboard.config import load_trial_config
from layouts import recruitment as ids

REAL = ("Saline placebo", "MenSC secretome")  # the order of the coded labels: Group A, Group B
CODED = ("Group A", "Group B")
OUTPUTS = {"FILTERS": f"{ids.SITE_FILTER}.options", "OVERVIEW": f"{ids.TILE_SCREENED}.children",
           "BALANCE": f"{ids.BALANCE_GRAPH}.figure", "SCREENING": f"{ids.FUNNEL_GRAPH}.figure",
           "CONSORT": f"{ids.CONSORT_GRAPH}.figure", "SITES": f"{ids.PERIOD_GRAPH}.figure",
           "BASELINE": f"{ids.BASELINE_GRID}.rowData", "EXPOSURE": f"{ids.EXPOSURE_GRAPH}.figure",
           "COMPLETENESS": f"{ids.COMPLETENESS_GRAPH}.figure", "DOWNLOAD": f"{ids.DOWNLOAD}.data"}


@pytest.fixture(scope="module")
def pages(demo_app, demo_instance):
    """Per role: the client, the recruitment page's props and its callbacks (the balance chart's too, for every
    role: a blinded user's page lacks it, but it may still be posted)."""
    out = {}
    for role in ROLES:
        client, props = open_page_as(demo_app, role, demo_instance.passwords[role], "/recruitment")
        out[role] = (client, props, callbacks_by_output(client, OUTPUTS))
    return out


def _call(pages, role: str, name: str, changes: dict | None = None) -> dict:
    client, props, callbacks = pages[role]
    return respond(client, props, callbacks[name], changes)


def _text(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False)


def _numbers(values) -> list[float]:
    """A trace's values, whether sent as a list or as plotly's base64 typed array."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def _site(value) -> dict:
    return {(ids.SITE_FILTER, "value"): value}


@pytest.fixture(scope="module")
def initial(pages):
    return {(role, name): _call(pages, role, name) for role in ROLES for name in OUTPUTS
            if name != "BALANCE" or role not in BLINDED_ROLES}


def test_only_roles_that_see_arms_get_the_balance_chart(pages):
    for role in ROLES:
        _, props, _ = pages[role]
        assert (ids.BALANCE_GRAPH in props.by_id) is (role not in BLINDED_ROLES), role


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_blinded_roles_get_pooled_displays_without_arm_names(initial, pages, role):
    for name in OUTPUTS:
        if name == "BALANCE":
            continue
        body = _text(initial[(role, name)])
        assert "OPEN (pooled)" in body or name in ("FILTERS", "DOWNLOAD") or "rowData" in body, name
        for word in REAL + CODED + ("CLOSED",):
            assert word not in body, (role, name, word)
    balance = _text(_call(pages, role, "BALANCE"))                  # posted anyway: nothing by arm comes back
    assert "Shown only to roles that may see arms" in balance and not any(w in balance for w in REAL + CODED)


def test_board_sees_coded_arms_and_never_the_real_names(initial):
    for name in OUTPUTS:
        body = _text(initial[("dsmb", name)])
        assert not any(word in body for word in REAL), name
    balance = initial[("dsmb", "BALANCE")][ids.BALANCE_GRAPH]["figure"]
    assert [t["name"] for t in balance["data"]] == list(CODED)
    consort = _text(initial[("dsmb", "CONSORT")])
    assert "Allocation · Group A" in consort and "Allocation · Group B" in consort
    headers = [d["headerName"] for d in initial[("dsmb", "BASELINE")][ids.BASELINE_GRID]["columnDefs"]]
    assert headers[2] == "All randomized (N=29)" and headers[3].startswith("Group A (N=")
    assert "CLOSED (by arm)" in _text(initial[("dsmb", "EXPOSURE")])


def test_statistician_sees_real_arm_names(initial):
    balance = initial[("statistician", "BALANCE")][ids.BALANCE_GRAPH]["figure"]
    assert [t["name"] for t in balance["data"]] == list(REAL)
    assert all(word in _text(initial[("statistician", "CONSORT")]) for word in REAL)


@pytest.mark.parametrize("role", ROLES)
def test_headline_of_the_final_cut(initial, role):
    out = initial[(role, "OVERVIEW")]
    assert out[ids.TILE_CUT]["children"] == "2021-07-10"
    assert "29" in _text(out[ids.TILE_RANDOMIZED]) and "/ 29 (100 %)" in _text(out[ids.TILE_RANDOMIZED])
    assert out[ids.PROJECTION_NOTE]["children"].startswith("Target of 29 reached on")
    pooled = _text(initial[(role, "CONSORT")])
    assert "Assessed for eligibility (n=" in pooled and "Randomized (n=29)" in pooled


def test_filter_options_are_the_sites_of_the_cut(initial):
    out = initial[("investigator", "FILTERS")]
    assert out[ids.SITE_FILTER]["options"] == [{"label": "Site 01", "value": "01"}]
    assert out[ids.DATE_FILTER]["max_date_allowed"] == "2021-07-10"
    assert out == initial[("dsmb", "FILTERS")]


def test_a_site_filter_drops_the_trial_wide_target(pages):
    out = _call(pages, "investigator", "OVERVIEW", _site(["01"]))
    names = [t.get("name") for t in out[ids.ACCRUAL_GRAPH]["figure"]["data"]]
    assert names == ["Randomized"] and "randomized at the chosen sites" in out[ids.PROJECTION_NOTE]["children"]


def test_by_arm_displays_are_withheld_for_a_site_below_five_randomized(pages):
    changes = _site(["99"])                                          # no randomized subject there
    consort = _call(pages, "dsmb", "CONSORT", changes)
    assert "Group A" not in _text(consort[ids.CONSORT_GRAPH]) and "withheld" in _text(consort[ids.ARM_NOTE])
    assert "withheld" in _text(_call(pages, "dsmb", "BALANCE", changes))
    assert "Group A" not in _text(_call(pages, "dsmb", "BASELINE", changes))
    assert "Group A" not in _text(_call(pages, "dsmb", "EXPOSURE", changes))
    sites = _call(pages, "dsmb", "SITES", _site(["01"]))            # 29 randomized at site 01: split shown
    assert "Randomized · Group A" in _text(sites)


def test_date_range_selects_subjects_by_screening_date(pages):
    out = _call(pages, "investigator", "OVERVIEW", {(ids.DATE_FILTER, "start_date"): "2021-05-01",
                                                    (ids.DATE_FILTER, "end_date"): "2021-05-15"})
    screened = int(out[ids.TILE_SCREENED]["children"])
    assert 0 < screened < 41
    assert out[ids.ACCRUAL_GRAPH]["figure"]["layout"]["xaxis"]["range"] == ["2021-05-01", "2021-05-15"]


def test_weekly_and_monthly_enrollment(pages):
    week = _call(pages, "investigator", "SITES")[ids.PERIOD_GRAPH]["figure"]
    month = _call(pages, "investigator", "SITES", {(ids.PERIOD_CHOICE, "value"): "month"})[ids.PERIOD_GRAPH]["figure"]
    weekly, monthly = _numbers(week["data"][1]["y"]), _numbers(month["data"][1]["y"])
    assert sum(weekly) == sum(monthly) == 29 and len(monthly) < len(weekly)


@pytest.mark.parametrize("role,state", [("investigator", "OPEN"), ("dsmb", "CLOSED")])
def test_csv_downloads_are_stamped(pages, role, state):
    client, props, callbacks = pages[role]
    callback = callbacks["DOWNLOAD"]
    for button in ids.CSV_BUTTONS:
        values = initial_values(callback, props)
        response = client.post_callback(callback, values, changed=[f"{button}.n_clicks"])
        data = json.loads(response.get_data(as_text=True))["response"][ids.DOWNLOAD]["data"]
        assert data["filename"].startswith(f"NCT05019287_2021-07-10_{state}_") and data["filename"].endswith(".csv")
        assert data["content"].startswith("# NCT05019287 · ") and f"{state} (" in data["content"].splitlines()[1]
        if role == "investigator":
            assert not any(word in data["content"] for word in REAL + CODED)


@pytest.mark.parametrize("name", [n for n in OUTPUTS if n not in ("FILTERS", "DOWNLOAD")])
def test_malformed_filter_values_answer_like_no_filter(pages, initial, name):
    odd = {(ids.SITE_FILTER, "value"): {"x": 1}, (ids.DATE_FILTER, "start_date"): "yesterday",
           (ids.DATE_FILTER, "end_date"): 12, (ids.PERIOD_CHOICE, "value"): ["week"]}
    assert _call(pages, "statistician", name, odd) == initial[("statistician", name)]


def test_every_callback_answers_with_no_cut_loaded(tmp_path):
    instance = make_instance(tmp_path, [])
    client, props = open_page_as(make_app(instance), "dsmb", instance.passwords["dsmb"], "/recruitment")
    for name, callback in callbacks_by_output(client, OUTPUTS).items():
        response = client.post_callback(callback, initial_values(callback, props))
        assert response.status_code in (200, 204), name
        if name not in ("FILTERS", "DOWNLOAD"):
            assert "No data cut has been loaded yet." in response.get_data(as_text=True), name


# --- Subjects dosed with another arm's product (closed only) ---------------------------------------------------

def _listing(payload: dict) -> list[dict]:
    """The deviation listing's rows keyed by header ("Subject", "Check", ...)."""
    grid = payload[ids.DEVIATION_GRID]
    headers = {d["field"]: d["headerName"] for d in grid["columnDefs"]}
    return [{headers[k]: v for k, v in row.items()} for row in grid["rowData"]]


def _treated_as_other_arm(export) -> dict[str, tuple[str, str]]:
    """USUBJID -> (ARMCD, ACTARMCD) of randomized subjects whose actual arm is another arm, from the export's DM."""
    dm = pd.read_csv(export / "dm.csv", dtype=str, keep_default_na=False)
    codes = set(load_trial_config().arm_codes)
    other = dm[dm["ARMCD"].isin(codes) & dm["ACTARMCD"].isin(codes) & (dm["ARMCD"] != dm["ACTARMCD"])]
    return {r.USUBJID: (r.ARMCD, r.ACTARMCD) for r in other.itertuples()}


@pytest.mark.parametrize("role", ["dsmb", "statistician"])
def test_a_subject_dosed_with_the_other_arms_product_is_listed_for_roles_that_see_arms(initial, role):
    config = coded_demo_config()  # the board's labels come with the cut (coding.csv), not the configuration
    coded = role == "dsmb"
    expected = {s: f"randomized to {config.arm_label(a, coded)}, treated as {config.arm_label(t, coded)}"
                for s, (a, t) in _treated_as_other_arm(DEMO_EXPORTS / "final").items()}
    assert expected, "the demo has a subject dosed with the other arm's product; without one this cannot fail"
    payload = initial[(role, "BASELINE")]
    flagged = {r["Subject"]: r["Value"] for r in _listing(payload) if r["Check"] == TREATED_AS_OTHER_ARM}
    assert flagged == expected
    assert "another arm's product" in payload[ids.DEVIATION_NOTE]["children"]
    widths = {d["headerName"]: d["flex"] for d in payload[ids.DEVIATION_GRID]["columnDefs"]}
    assert widths["Check"] == widths["Value"] > widths["Site"]  # the long texts get the card's spare width


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_a_blinded_listing_is_the_closed_one_without_the_treatment_check(initial, role):
    blinded, closed = initial[(role, "BASELINE")], initial[("statistician", "BASELINE")]
    assert blinded[ids.DEVIATION_GRID]["columnDefs"] == closed[ids.DEVIATION_GRID]["columnDefs"]
    assert _listing(blinded) == [r for r in _listing(closed) if r["Check"] != TREATED_AS_OTHER_ARM]
    text = _text(blinded)
    assert "another arm" not in text and "treated as" not in text and "ACTARMCD" not in text
    extra = len(_listing(closed)) - len(_listing(blinded))
    assert blinded[ids.DEVIATION_NOTE]["children"].startswith(f"{len(_listing(blinded))} possible deviations")
    assert closed[ids.DEVIATION_NOTE]["children"].startswith(f"{len(_listing(blinded)) + extra} possible deviations")


def _treated_as_randomized_export(source, target):
    """Copy `source` with every subject's actual arm set to the planned one (ACTARMCD = ARMCD, ACTARM = ARM)."""
    shutil.copytree(source, target)
    dm = pd.read_csv(target / "dm.csv", dtype=str, keep_default_na=False)
    dm["ACTARMCD"], dm["ACTARM"] = dm["ARMCD"], dm["ARM"]
    dm.to_csv(target / "dm.csv", index=False)
    return target


def _baseline_and_csv(app, instance, role: str) -> tuple[str, str]:
    """The listing and its CSV, computed afresh: both twins' cuts have the same id, so the memo would answer."""
    memo.clear()
    client, props = open_page_as(app, role, instance.passwords[role], "/recruitment")
    callbacks = callbacks_by_output(client, OUTPUTS)
    listing = client.post_callback(callbacks["BASELINE"], initial_values(callbacks["BASELINE"], props))
    download = client.post_callback(callbacks["DOWNLOAD"], initial_values(callbacks["DOWNLOAD"], props),
                                    changed=[f"{ids.CSV_DEVIATIONS}.n_clicks"])
    return listing.get_data(as_text=True), download.get_data(as_text=True)


def test_blinded_users_get_the_same_listing_whether_or_not_anyone_got_the_other_arms_product(tmp_path):
    """The treatment check must leave nothing a blinded user can see: no row, count, column or CSV line."""
    exports = tmp_path / "exports"
    shutil.copytree(DEMO_EXPORTS / "final", exports / "final")
    as_randomized = _treated_as_randomized_export(DEMO_EXPORTS / "final", tmp_path / "as-randomized" / "final")
    assert _treated_as_other_arm(exports / "final") and not _treated_as_other_arm(as_randomized)
    twins = []
    for name, folder in (("a", exports / "final"), ("b", as_randomized)):
        shutil.rmtree(tmp_path / "source", ignore_errors=True)
        shutil.copytree(folder, tmp_path / "source")  # the manifest records the source path: keep it equal
        instance = make_instance(tmp_path / name, [(tmp_path / "source", "2021-07-10", "Final")])
        twins.append((make_app(instance), instance))
    for role in BLINDED_ROLES:
        assert _baseline_and_csv(*twins[0], role) == _baseline_and_csv(*twins[1], role), role
    assert _baseline_and_csv(*twins[0], "statistician") != _baseline_and_csv(*twins[1], "statistician")
