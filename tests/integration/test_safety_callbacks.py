"""Safety page callbacks over the real app, as each role: pooled for blinded roles, coded for the board,
real arm names for the statistician; listings, profile, downloads and labs answer sensibly."""

from __future__ import annotations

import json

import pytest
from support import BLINDED_ROLES, ROLES
from dash_client import collect_props, initial_values

from dashboard.config import load_trial_config
from layouts import safety as ids

REAL = ("MenSC secretome", "Saline placebo")
CODED = ("Group A", "Group B")


def _page(client):
    layout = client.layout()
    page = client.open_page("/safety")
    return collect_props(layout, page)


def _safety_callbacks(client, props):
    return [c for c in client.dependencies() if "safety-" in c.output and c.ids <= set(props.by_id)]


@pytest.fixture(scope="module")
def responses(demo_app, demo_instance):
    """Every safety callback's response, as each role, with the values the page starts with."""
    from dash_client import DashClient, login

    out = {}
    for role in ROLES:
        client = DashClient(login(demo_app.server.test_client(), role, demo_instance.passwords[role]))
        props = _page(client)
        for callback in _safety_callbacks(client, props):
            response = client.post_callback(callback, initial_values(callback, props))
            body = response.get_data(as_text=True)
            text = json.dumps(json.loads(body), ensure_ascii=False) if response.status_code == 200 else body
            out[(role, callback.output)] = (response.status_code, text)
    return out


def _texts(responses, role):
    return {output: body for (r, output), (status, body) in responses.items() if r == role}


@pytest.mark.parametrize("role", ROLES)
def test_every_safety_callback_answers(responses, role):
    texts = {o: s for (r, o), (s, _) in responses.items() if r == role}
    assert texts, "no safety callback ran"
    assert all(status in (200, 204) for status in texts.values()), texts


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_blinded_roles_see_pooled_data_only(responses, role):
    for output, body in _texts(responses, role).items():
        for label in REAL + CODED + ("MENSC", "PBO"):
            assert label not in body, (output, label)
    overview = next(b for o, b in _texts(responses, role).items() if ids.OVERVIEW_GRID in o)
    assert "All subjects" in overview and "OPEN" in overview


def test_board_sees_coded_arms(responses):
    texts = _texts(responses, "dsmb")
    overview = next(b for o, b in texts.items() if ids.OVERVIEW_GRID in o)
    assert "Group A" in overview and "Group B" in overview and "CLOSED" in overview
    assert not any(label in body for body in texts.values() for label in REAL)
    forest = next(b for o, b in texts.items() if ids.FOREST_GRAPH in o)
    assert "Group B − Group A" in forest


def test_statistician_sees_real_arm_names(responses):
    texts = _texts(responses, "statistician")
    overview = next(b for o, b in texts.items() if ids.OVERVIEW_GRID in o)
    assert all(label in overview for label in REAL)
    assert not any("Group A" in body for body in texts.values())


def test_overview_counts_the_safety_population(responses):
    body = json.loads(next(b for o, b in _texts(responses, "investigator").items() if ids.OVERVIEW_GRID in o))
    population = int(body["response"][ids.TILE_POPULATION]["children"])
    assert 0 < population <= 29
    rows = body["response"][ids.OVERVIEW_GRID]["rowData"]
    assert [r["LABEL"] for r in rows][0] == "Any adverse event"


@pytest.mark.parametrize("role", ["investigator", "dsmb"])
def test_profile_opens_for_a_listed_subject_without_arm_for_blinded(client_for, role):
    client = client_for(role)
    props = _page(client)
    listing = client.call(client.callback_for(f"..{ids.SAE_GRID}.rowData"), {(ids.LISTING_SEARCH, "value"): ""})
    rows = listing["response"][ids.SAE_GRID]["rowData"] or listing["response"][ids.DEATH_GRID]["rowData"]
    if not rows:
        pytest.skip("the demo cut has no serious adverse events")
    callback = client.callback_for(f"..{ids.PROFILE_MODAL}.is_open")
    values = initial_values(callback, props) | {(ids.SAE_GRID, "selectedRows"): [rows[0]]}
    response = client.post_callback(callback, values, changed=[f"{ids.SAE_GRID}.selectedRows"])
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and rows[0]["USUBJID"] in body
    assert json.loads(body)["response"][ids.PROFILE_MODAL]["is_open"] is True
    assert ("Arm:" in body) == (role == "dsmb")


def test_lab_test_callback_draws_the_chosen_test(client_for):
    client = client_for("investigator")
    setup = client.call(client.callback_for(f"..{ids.LAB_TEST}.options"), {(ids.LAB_TEST, "id"): ids.LAB_TEST})
    value = setup["response"][ids.LAB_TEST]["value"]
    assert value in [o["value"] for o in setup["response"][ids.LAB_TEST]["options"]]
    result = client.call(client.callback_for(f"..{ids.LAB_BOX}.figure"), {(ids.LAB_TEST, "value"): value})
    assert "by visit" in json.dumps(result["response"][ids.LAB_BOX]["figure"])


def test_sae_download_is_stamped(client_for):
    client = client_for("investigator")
    callback = client.callback_for(f"..{ids.SAE_DOWNLOAD}.data")
    result = client.call(callback, {(ids.SAE_CSV, "n_clicks"): 1})
    content = result["response"][ids.SAE_DOWNLOAD]["data"]["content"]
    assert "OPEN (pooled)" in content and "USUBJID" in content


def test_changes_compare_with_the_interim_cut(client_for):
    client = client_for("investigator")
    result = client.call(client.callback_for(f"..{ids.CHANGES_NOTE}.children"), {(ids.CHANGES_GRID, "id"): ids.CHANGES_GRID})
    assert "2021-05-10" in json.dumps(result["response"][ids.CHANGES_NOTE])


def _response(responses, role, grid):
    return json.loads(next(b for o, b in _texts(responses, role).items() if grid in o))["response"]


@pytest.mark.parametrize("role", ROLES)
def test_group_columns_name_their_number_of_subjects(responses, role):
    """Every group column of the overview and infusion-reaction grids reads 'label (N=n)'; the arms add up to
    the safety population."""
    import re

    body = _response(responses, role, ids.OVERVIEW_GRID)
    population = int(body[ids.TILE_POPULATION]["children"])
    for grid in (ids.OVERVIEW_GRID, ids.IR_GRID):
        headers = [c["headerName"] for c in body[grid]["columnDefs"] if "children" in c]
        sizes = [re.fullmatch(r".+ \(N=(\d+)\)", h) for h in headers]
        assert all(sizes), headers
        assert headers[-1] == f"All subjects (N={population})"
        if role not in BLINDED_ROLES:
            assert sum(int(m.group(1)) for m in sizes[:-1]) == population


def test_infusion_reaction_rows_follow_the_dosing_plan(responses):
    rows = _response(responses, "investigator", ids.OVERVIEW_GRID)[ids.IR_GRID]["rowData"]
    assert [r["LABEL"] for r in rows] == ["Any infusion"] + [
        f"After infusion {k} (planned day {k})" for k in range(1, 6)]   # 5 daily infusions in the configuration
    assert all("/" in r["g0"] for r in rows[1:])                        # n/N: out of those who received it


def test_sae_listing_study_days_are_the_exports_sdtm_days(client_for):
    """The study day of each serious event equals AESTDY as the sponsor derived it (SDTM: day 1 = RFSTDTC)."""
    import pandas as pd
    from support import DEMO_EXPORTS

    exported = pd.read_sas(DEMO_EXPORTS / "final" / "ae.xpt", encoding="utf-8")
    exported = exported[exported["AESTDTC"].str.len() >= 10].set_index(["USUBJID", "AESEQ"])["AESTDY"]
    client = client_for("investigator")
    listing = client.call(client.callback_for(f"..{ids.SAE_GRID}.rowData"), {(ids.LISTING_SEARCH, "value"): ""})
    rows = listing["response"][ids.SAE_GRID]["rowData"]
    compared = [(r["ADY"], exported[(r["USUBJID"], r["AESEQ"])]) for r in rows
                if (r["USUBJID"], r["AESEQ"]) in exported.index]
    assert compared and all(ours == theirs for ours, theirs in compared), compared
    headers = {c["field"]: c["headerName"] for c in listing["response"][ids.SAE_GRID]["columnDefs"]}
    assert headers["ADY"] == "Study day"
    window = load_trial_config().infusion_reaction_window_hours       # the trial's window, not a fixed 72 h
    assert headers["IR"] == f"Within {window} h of infusion"


def test_lab_baseline_values_carry_their_unit(client_for):
    client = client_for("dsmb")
    result = client.call(client.callback_for(f"..{ids.LAB_BOX}.figure"), {(ids.LAB_TEST, "value"): "ALT"})
    shift = json.dumps(result["response"][ids.LAB_SHIFT]["children"])
    assert "Baseline (U/L)" in shift and "Change from baseline to the highest value (U/L)" in shift
    assert "Group A (N=" in shift
