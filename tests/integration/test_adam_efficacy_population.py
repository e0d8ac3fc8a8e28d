"""The configured ADaM efficacy flag on the Outcomes page, served through the Flask test client as a browser receives
it: the population statement's N and the subjects it leaves out, the change from baseline by visit and arm, and the
ADTTE median, each computed here in plain pandas from the delivered xpt files restricted to EFFFL = Y; and the ADaM
records that are not analysis values (derived, outside ANL01FL) counted on the figure, not as unscheduled visits.

pharmaverse-adam's ADSL has no efficacy flag (README), so the test copies the export and adds EFFFL = N for every
fifth subject, keeping the dates' SAS formats (pyreadstat), as a sponsor's ADSL would carry it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from dash_client import callbacks_by_output, open_page_as, respond
from support import SHARED_EXPORTS, km_median_reference, make_app, make_instance

from dashboard import blinding, memo
from dashboard.config import PROJECT_ROOT, load_trial_config
from layouts import outcomes as ids

EXPORT = SHARED_EXPORTS / "pharmaverse-adam"
CONFIG = PROJECT_ROOT / "data" / "trials" / "CDISCPILOT01-ADAM.toml"
CUT = "2015-12-31"
SCREEN_FAILURE = "Scrnfail"
TRIAL = load_trial_config(CONFIG)


def _xpt(folder: Path, name: str) -> pd.DataFrame:
    frame, _ = pyreadstat.read_xport(folder / f"{name}.xpt")
    return frame.apply(lambda c: c.map(lambda v: v.strip() if isinstance(v, str) else v) if c.dtype.kind in "OT"
                       else c)


def _with_efficacy_flag(folder: Path) -> None:
    """ADSL of `folder` with EFFFL: N for every fifth subject in file order, Y otherwise."""
    adsl, meta = pyreadstat.read_xport(EXPORT / "adsl.xpt")
    adsl["EFFFL"] = ["N" if i % 5 == 0 else "Y" for i in range(len(adsl))]
    formats = {k: v for k, v in meta.original_variable_types.items() if v and ("DATE" in v or "TIME" in v)}
    labels = dict(meta.column_names_to_labels, EFFFL="Efficacy Population Flag")
    pyreadstat.write_xport(adsl, folder / "adsl.xpt", table_name="ADSL", file_label=meta.file_label,
                           column_labels=labels, file_format_version=5, variable_format=formats)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    base = tmp_path_factory.mktemp("adam-efficacy")
    export = base / "export"
    shutil.copytree(EXPORT, export)
    _with_efficacy_flag(export)
    config = base / "trial.toml"
    text = CONFIG.read_text()
    assert 'efficacy_flag = "RANDFL"' in text
    config.write_text(text.replace('efficacy_flag = "RANDFL"', 'efficacy_flag = "EFFFL"'))
    instance = make_instance(base / "instance", [(export, CUT, "ADaM with EFFFL")], config)
    memo.clear()
    blinding.clear_caches()
    yield make_app(instance, config), instance, export
    memo.clear()
    blinding.clear_caches()


def _efficacy(export: Path) -> pd.DataFrame:
    """ADSL rows of randomized subjects (a real arm) with EFFFL = Y."""
    adsl = _xpt(export, "adsl")
    return adsl[(adsl["ARMCD"] != SCREEN_FAILURE) & (adsl["EFFFL"] == "Y")]


def _outputs(served, role: str, outputs: dict[str, str], changes: dict | None = None) -> dict:
    app, instance, _ = served
    client, props = open_page_as(app, role, instance.passwords[role], "/outcomes")
    callback = callbacks_by_output(client, outputs, props)["it"]
    return respond(client, props, callback, changes or {})


def _text(answer: dict) -> str:
    return json.dumps(answer)


@pytest.mark.parametrize("role", ["investigator", "statistician"])
def test_population_statement_counts_the_efficacy_flag_and_names_whom_it_leaves_out(served, role):
    _, _, export = served
    adsl = _xpt(export, "adsl")
    randomized = adsl[adsl["ARMCD"] != SCREEN_FAILURE]
    left_out = sorted(randomized.loc[randomized["EFFFL"] != "Y", "USUBJID"])
    text = _text(_outputs(served, role, {"it": f"{ids.POPULATION}.children"}))
    assert "randomized subjects with EFFFL = Y (the configured efficacy population)" in text
    assert f"N = {len(_efficacy(export))}" in text
    assert f"{len(left_out)} randomized subjects have EFFFL other than Y and are left out: {left_out[0]}" in text


def _mean_change_points(figure: dict) -> dict[tuple[str, str], float]:
    out = {}
    for trace in figure["data"]:
        if trace.get("yaxis", "y") != "y" or "lines" not in str(trace.get("mode", "")):
            continue
        for y, data in zip(trace["y"], trace["customdata"]):
            out[(trace.get("name"), str(data[0]).upper())] = y
    return out


def test_change_from_baseline_by_arm_counts_only_the_efficacy_population(served):
    _, _, export = served
    answer = _outputs(served, "statistician", {"it": f"{ids.CHANGE}.figure"},
                      {(ids.STATISTIC, "value"): "mean", (ids.OUTCOME, "value"): "LB.ALT"})
    served_points = _mean_change_points(answer[ids.CHANGE]["figure"])
    efficacy = _efficacy(export).set_index("USUBJID")["ARM"]
    adlb = _xpt(export, "adlb")
    rows = adlb[(adlb["PARAMCD"] == "ALT") & (adlb["ANL01FL"] == "Y") & (adlb["ABLFL"] != "Y")
                & (adlb["DTYPE"] == "") & adlb["CHG"].notna() & adlb["USUBJID"].isin(efficacy.index)]
    expected = rows.groupby([rows["USUBJID"].map(efficacy), rows["AVISIT"].str.upper()])["CHG"].mean()
    assert len(served_points) >= 20
    for key, y in served_points.items():
        assert y == pytest.approx(expected[key], rel=1e-9, abs=1e-9), key
    # the figure says which ADaM records are not values, instead of counting them as unscheduled visits
    subjects = set(_xpt(export, "adsl").query(f"ARMCD != '{SCREEN_FAILURE}' and EFFFL == 'Y'")["USUBJID"])
    alt = adlb[(adlb["PARAMCD"] == "ALT") & adlb["USUBJID"].isin(subjects) & adlb["AVAL"].notna()]
    derived = int((alt["DTYPE"] != "").sum())
    outside = int(((alt["DTYPE"] == "") & (alt["ANL01FL"] != "Y") & (alt["ABLFL"] != "Y")).sum())
    title = answer[ids.CHANGE]["figure"]["layout"]["title"]["text"]
    assert f"ADaM records not analysed: {derived} derived (DTYPE)" in title
    assert (f"{outside} outside the analysis flag ANL01FL" in title) == (outside > 0)
    # analysis records (ANL01FL = Y, or the baseline) at a visit the configuration does not name: unscheduled
    analysis = alt[(alt["DTYPE"] == "") & ((alt["ANL01FL"] == "Y") | (alt["ABLFL"] == "Y"))]
    names = {v.name.upper() for v in TRIAL.visits}
    numbers = {float(v.num) for v in TRIAL.visits}
    unscheduled = int((~analysis["AVISIT"].str.upper().isin(names) & ~analysis["AVISITN"].isin(numbers)).sum())
    assert f"{unscheduled} at unscheduled visits" in title


def test_adtte_median_by_arm_counts_only_the_efficacy_population(served):
    _, _, export = served
    answer = _outputs(served, "statistician", {"it": f"{ids.ADTTE_TABLE}.rowData"},
                      {(ids.ADTTE_PARAM, "value"): "OS"})
    rows = answer[ids.ADTTE_TABLE]["rowData"]
    efficacy = _efficacy(export).set_index("USUBJID")["ARM"]
    adtte = _xpt(export, "adtte")
    os_rows = adtte[(adtte["PARAMCD"] == "OS") & adtte["USUBJID"].isin(efficacy.index)]
    assert {r["group"] for r in rows} == set(os_rows["USUBJID"].map(efficacy))
    for arm, part in os_rows.groupby(os_rows["USUBJID"].map(efficacy)):
        row = next(r for r in rows if r["group"] == arm)
        median = km_median_reference(part["AVAL"].to_numpy(float), (part["CNSR"] == 0).to_numpy(int))
        assert row["n"] == len(part) and row["events"] == int((part["CNSR"] == 0).sum()), arm
        assert row["median"] == ("not reached" if np.isnan(median) else f"{median:g}"), arm
