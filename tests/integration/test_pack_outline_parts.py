"""The pack's further outline parts on the demo's final cut (with a small deviation log added to a copy of the
export): lab value and change by visit, clinically significant values, the DV log, the swimmer plot and the
change figures. Numbers are recomputed here in plain pandas from the export's raw files."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from support import DEMO_EXPORTS, make_instance

from dashboard import blinding, memo
from dashboard.blinding import Access
from dashboard.config import load_trial_config
from dashboard.pack import build, content, outline, outline_conduct, outline_labs

FINAL = DEMO_EXPORTS / "final"
DV_ROWS = [  # USUBJID, DVSEQ, DVCAT, DVTERM, DVDECOD, DVSTDTC; 01-001 is a screen failure
    ("NCT05019287-01-002", 1, "VISIT WINDOW", "Day 3 visit one day late", "VISIT OUT OF WINDOW", "2021-04-22"),
    ("NCT05019287-01-002", 2, "PROCEDURE", "SpO2 not measured at day 5", "PROCEDURE NOT DONE", "2021-04-23"),
    ("NCT05019287-01-003", 1, "VISIT WINDOW", "Day 7 visit two days late", "VISIT OUT OF WINDOW", "2021-04-28"),
    ("NCT05019287-01-001", 1, "ELIGIBILITY", "Consent form version outdated", "INFORMED CONSENT", "2021-04-18")]


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    """A copy of the final demo export with dv.csv added."""
    folder = tmp_path_factory.mktemp("dv-export") / "final"
    shutil.copytree(FINAL, folder)
    dv = pd.DataFrame(DV_ROWS, columns=["USUBJID", "DVSEQ", "DVCAT", "DVTERM", "DVDECOD", "DVSTDTC"])
    dv.insert(0, "DOMAIN", "DV")
    dv.insert(0, "STUDYID", "NCT05019287")
    dv.to_csv(folder / "dv.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def datas(export, tmp_path_factory):
    """Trial data of the cut at the blinded and the coded (board) level, inside the pack's app context."""
    instance = make_instance(tmp_path_factory.mktemp("dv-instance"), [(export, "2021-07-10", "Final")])
    blinding.clear_caches()
    memo.clear()
    config = load_trial_config()
    cut_id = blinding.cuts.active_cut_id(instance.root)
    with build._app_context(config, instance.root):
        yield {access: blinding.trial_data(cut_id, access, config, instance.root)
               for access in (Access.BLINDED, Access.CODED)}


def _raw(name: str) -> pd.DataFrame:
    path = FINAL / f"{name}.csv"
    return pd.read_csv(path, dtype=str) if path.exists() else pd.read_sas(FINAL / f"{name}.xpt", encoding="utf-8")


def _safety_arms() -> pd.Series:
    """Randomized subjects with a dose, mapped to the coded label of the arm they received (the safety basis)."""
    dm, ex = _raw("dm"), _raw("ex")
    randomized = set(_raw("randomization")["USUBJID"])
    dosed = dm[dm["USUBJID"].isin(randomized) & dm["USUBJID"].isin(ex["USUBJID"])]
    coding = _raw("coding").set_index("ARMCD")["CODED_LABEL"]
    return pd.Series(dosed["ACTARMCD"].map(coding).to_numpy(), index=dosed["USUBJID"].to_numpy())


def _alt_visits(subjects: pd.Index) -> pd.DataFrame:
    """ALT per subject and whole visit (last by study day) with the change from the LBBLFL = Y value."""
    lb = _raw("lb")
    lb = lb[(lb["LBTESTCD"] == "ALT") & lb["USUBJID"].isin(subjects) & lb["LBSTRESN"].notna()]
    base = lb[lb["LBBLFL"] == "Y"].groupby("USUBJID").tail(1).set_index("USUBJID")
    whole = lb[lb["VISITNUM"] == lb["VISITNUM"].round()].sort_values(["USUBJID", "VISITNUM", "LBDY"])
    last = whole.groupby(["USUBJID", "VISITNUM"]).tail(1).copy()
    after = last["VISITNUM"] > last["USUBJID"].map(base["VISITNUM"])
    last["CHANGE"] = (last["LBSTRESN"] - last["USUBJID"].map(base["LBSTRESN"])).where(after)
    return last


def _close(cell: str, value: float) -> bool:
    return np.isclose(float(cell.replace(",", "")), value, rtol=5e-4, atol=5e-4)


def test_alt_value_and_change_by_visit_match_the_export(datas):
    arms = _safety_arms()
    values = _alt_visits(arms.index)
    open_table = {d.name: d.table for d in outline_labs.change_by_visit(datas[Access.BLINDED])}["lab_change_ALT"]
    assert set(open_table["Group"]) == {f"All subjects (N={len(arms)})"}
    for row, (visit, part) in zip(open_table.itertuples(index=False), values.groupby("VISITNUM")):
        cells = dict(zip(open_table.columns, row))
        assert cells["Visit"] == part["VISIT"].iloc[0] and int(cells["Value · n"]) == len(part)
        assert _close(cells["Value · mean"], part["LBSTRESN"].mean())
        assert _close(cells["Value · SD"], part["LBSTRESN"].std())
        change = part["CHANGE"].dropna()
        assert int(cells["Change · n"]) == len(change)
        if len(change) > 1:
            assert _close(cells["Change · median"], change.median()) and _close(cells["Change · max"], change.max())
    closed = {d.name: d.table for d in outline_labs.change_by_visit(datas[Access.CODED])}["lab_change_ALT"]
    last_visit = values[values["VISITNUM"] == values["VISITNUM"].max()]
    for arm, part in last_visit.groupby(last_visit["USUBJID"].map(arms)):
        header = f"{arm} (N={int((arms == arm).sum())})"
        row = closed[(closed["Group"] == header) & (closed["Visit"] == part["VISIT"].iloc[0])].iloc[0]
        assert int(row["Change · n"]) == part["CHANGE"].notna().sum()
        assert _close(row["Change · mean"], part["CHANGE"].mean())


def test_significant_values_follow_the_stated_rule(datas):
    arms = _safety_arms()
    lb = _raw("lb")
    lb = lb[lb["USUBJID"].isin(arms.index) & lb["LBSTRESN"].notna()]
    hi, lo = lb["LBSTNRHI"], lb["LBSTNRLO"]
    expected = lb[((hi > 0) & (lb["LBSTRESN"] > 3 * hi)) | ((lo > 0) & (lb["LBSTRESN"] < 0.5 * lo))]
    [open_part] = outline_labs.significant_values(datas[Access.BLINDED])
    [closed_part] = outline_labs.significant_values(datas[Access.CODED])
    assert len(open_part.table) == len(expected) > 0
    assert sorted(open_part.table["Subject"]) == sorted(expected["USUBJID"])
    assert "3 x the upper limit" in open_part.note and "Arm" not in open_part.table.columns
    assert closed_part.table["Arm"].tolist() == closed_part.table["Subject"].map(arms).tolist()


def test_the_deviation_log_is_listed_and_counted_by_category(datas, export):
    dv = pd.read_csv(export / "dv.csv", dtype=str)
    randomized = set(_raw("randomization")["USUBJID"])
    summary, listing = outline_conduct.deviation_log(datas[Access.BLINDED])
    assert len(listing.table) == len(dv) and "Arm" not in listing.table.columns
    counted = dv[dv["USUBJID"].isin(randomized)]
    table = summary.table.set_index("Category")
    column = f"All subjects (N={len(randomized)})"
    for category, part in counted.groupby("DVCAT"):
        assert table.loc[category, f"{column} · Occurrences"] == len(part)
        assert table.loc[category, f"{column} · Subjects"].startswith(f"{part['USUBJID'].nunique()} (")
    assert "1 record of 1 subject not randomized" in summary.note
    closed_summary, closed_listing = outline_conduct.deviation_log(datas[Access.CODED])
    assert "Arm" in closed_listing.table.columns
    assert any(c.startswith("Group A (N=") for c in closed_summary.table.columns)
    deviations = outline.deviations(datas[Access.BLINDED])[0]
    assert "deviation log (SDTM DV) follows" in deviations.note


def test_a_cut_without_dv_says_so(datas):
    data = datas[Access.BLINDED]
    no_dv = type("NoDV", (), {"has_domain": lambda self, name: False})()
    [shown] = outline_conduct.deviation_log(no_dv)
    assert shown.table is None and shown.note == outline_conduct.NO_DV
    assert data.has_domain("DV")


def test_swimmer_and_change_figures_are_the_pages_own(datas):
    from dashboard.displays.outcomes import trajectories as views
    from dashboard.displays.safety import timelines

    for data in datas.values():
        [swimmer] = outline_conduct.swimmer(data)
        assert swimmer.figure == timelines.swimmer(data, None)["swimmer"]
        shown = outline.trajectories(data)
        names = [d.name for d in shown]
        for outcome in data.config.outcomes:
            key = outline.outcome_analysis.outcome_key(outcome)
            slug = content.csv_name(content.Display("", key, "")).removesuffix(".csv")
            at = names.index(f"trajectory_{slug}")
            assert names[at + 1] == f"change_{slug}" and shown[at + 1].figure is not None
            assert shown[at + 1].figure == views.trajectory_outputs(data, key, "visit", "median", None)[1]
    lanes = outline_conduct.swimmer(datas[Access.BLINDED])[0].figure["layout"]["yaxis"]["categoryarray"]
    assert lanes and not any("Group" in str(lane) for lane in lanes)
