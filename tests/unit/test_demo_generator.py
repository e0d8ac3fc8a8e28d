"""The synthetic SDTM export generator: determinism, cut consistency, clinical content, formats."""

from __future__ import annotations

import argparse
import filecmp
import re
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from dashboard.config import load_trial_config
from dashboard.demo import generate_export, write_demo_exports
from dashboard.demo.cli import register
from dashboard.demo.generator import DEMO_EXPORT_ROOT

INTERIM, FINAL = "2021-05-10", "2021-07-10"
UPDATABLE_AE_COLUMNS = {"AESEV", "AESER", "AEOUT", "AEENDTC", "AEENDY", "AESDTH"}


@pytest.fixture(scope="module")
def config():
    return load_trial_config()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    write_demo_exports(root)
    return root


def read(folder: Path, name: str) -> pd.DataFrame:
    """A domain as strings ('' for missing), whichever format it was written in."""
    csv, xpt = folder / f"{name}.csv", folder / f"{name}.xpt"
    if csv.exists():
        return pd.read_csv(csv, dtype=str, keep_default_na=False)
    frame, _ = pyreadstat.read_xport(str(xpt))
    for column in frame.columns:
        if frame[column].dtype.kind == "f":
            frame[column] = frame[column].map(lambda v: "" if pd.isna(v) else f"{v:.10g}")
    return frame.astype(str)


def domains(folder: Path) -> dict[str, pd.DataFrame]:
    return {p.stem: read(folder, p.stem) for p in sorted(folder.iterdir())}


def test_same_arguments_give_byte_identical_files(config, tmp_path):
    for run in ("a", "b"):
        generate_export(config, tmp_path / run, cut_date=FINAL, formats={"lb": "xpt", "ae": "xpt"})
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", names, shallow=False)
    assert mismatch == [] and errors == [] and len(match) == 13


def test_committed_demo_exports_are_what_the_generator_writes(demo):
    for cut in ("interim", "final"):
        names = sorted(p.name for p in (demo / cut).iterdir())
        assert names == sorted(p.name for p in (DEMO_EXPORT_ROOT / cut).iterdir())
        _, mismatch, errors = filecmp.cmpfiles(demo / cut, DEMO_EXPORT_ROOT / cut, names, shallow=False)
        assert mismatch == errors == []


def test_final_cut_randomizes_15_mensc_14_pbo_and_screens_out_about_ten(demo, config):
    final = domains(demo / "final")
    rand, dm = final["randomization"], final["dm"]
    assert rand["ARMCD"].value_counts().to_dict() == {"MENSC": 15, "PBO": 14}
    assert rand["RANDNO"].is_unique and set(rand["USUBJID"]) <= set(dm["USUBJID"])
    assert 8 <= (dm["ARMCD"] == "SCRNFAIL").sum() <= 12
    assert 1 <= (dm["ARMCD"] == "NOTASSGN").sum() <= 2
    assert dm["USUBJID"].str.fullmatch(r"NCT05019287-01-\d{3}").all()
    assert (dm["ACTARMCD"] != dm["ARMCD"]).sum() == 1
    ie = final["ie"]
    failures = set(dm.loc[dm["ARMCD"] == "SCRNFAIL", "USUBJID"])
    assert set(ie["USUBJID"]) == failures
    assert set(ie["IETESTCD"]) <= set(config.screen_failure_reasons)
    assert (ie["IEORRES"] == ie["IECAT"].map({"INCLUSION": "N", "EXCLUSION": "Y"})).all()


def test_interim_cut_is_mid_recruitment(demo):
    rand = read(demo / "interim", "randomization")
    assert 10 <= len(rand) <= 19
    assert (rand["RANDDTC"] <= INTERIM).all()


def earliest_dates(frame: pd.DataFrame) -> pd.Series:
    """The first day each --DTC value could mean (partial dates start on the 1st)."""
    dates = [frame[c].str.slice(0, 10) for c in frame.columns if c.endswith("DTC")]
    values = pd.concat(dates) if dates else pd.Series(dtype=str)
    values = values[values != ""]
    return values.where(values.str.len() == 10, values + "-01")


@pytest.mark.parametrize("cut", ["interim", "final"])
def test_no_record_is_dated_after_the_cut(demo, cut):
    cut_date = INTERIM if cut == "interim" else FINAL
    for name, frame in domains(demo / cut).items():
        assert (earliest_dates(frame) <= cut_date).all(), name


def keyed(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    seq = [c for c in frame.columns if c.endswith("SEQ")] + (["QNAM"] if name == "suppdm" else [])
    return frame.set_index(["USUBJID", *seq[:1], *(["QNAM"] if name == "suppdm" else [])])


def test_interim_records_reappear_unchanged_in_final(demo):
    interim, final = domains(demo / "interim"), domains(demo / "final")
    for name in ("ie", "ds", "ex", "lb", "vs", "ct", "suppdm", "randomization"):
        before, after = keyed(interim[name], name), keyed(final[name], name)
        assert before.index.isin(after.index).all(), name
        pd.testing.assert_frame_equal(after.loc[before.index, before.columns], before, check_names=False, obj=name)
    assert set(interim["dm"]["USUBJID"]) <= set(final["dm"]["USUBJID"])


def test_adverse_events_change_between_cuts_only_as_knowledge_arrives(demo):
    before = keyed(read(demo / "interim", "ae"), "ae")
    after = keyed(read(demo / "final", "ae"), "ae").loc[before.index, before.columns]
    changed = (before != after).any()
    assert set(changed[changed].index) <= UPDATABLE_AE_COLUMNS
    assert (before["AEENDTC"] != after["AEENDTC"]).sum() >= 3
    ended_before = before["AEENDTC"] != ""
    assert (before.loc[ended_before, "AEENDTC"] == after.loc[ended_before, "AEENDTC"]).all()
    assert (before.loc[~ended_before, "AEOUT"] == "NOT RECOVERED/NOT RESOLVED").all()
    grade = {"MILD": 0, "MODERATE": 1, "SEVERE": 2}
    assert (after["AESEV"].map(grade) >= before["AESEV"].map(grade)).all()
    assert ((before["AESER"] == after["AESER"]) | (after["AESER"] == "Y")).all()
    assert len(before) < len(read(demo / "final", "ae")) * 0.7


def assert_no_findings_after_death(folder: Path) -> None:
    dm = read(folder, "dm")
    death = dm.set_index("USUBJID")["DTHDTC"].loc[lambda s: s != ""]
    assert len(death) > 0
    for name, column in (("lb", "LBDTC"), ("vs", "VSDTC"), ("ct", "CTDTC"), ("ex", "EXSTDTC")):
        frame = read(folder, name)
        dated = frame[frame["USUBJID"].isin(death.index)]
        assert (dated[column].str.slice(0, 10) < dated["USUBJID"].map(death)).all(), name


def test_no_lab_vital_or_dose_is_dated_on_or_after_death(demo):
    assert_no_findings_after_death(demo / "final")


def test_deaths_intubations_and_dispositions(demo):
    final = domains(demo / "final")
    dm, ds, ae = final["dm"], final["ds"], final["ae"]
    dead = dm[dm["DTHFL"] == "Y"]
    assert 2 <= len(dead) <= 4
    assert (dead["ACTARMCD"] == "PBO").sum() > (dead["ACTARMCD"] == "MENSC").sum()
    fatal = ae[ae["AEOUT"] == "FATAL"]
    assert set(fatal["USUBJID"]) == set(dead["USUBJID"]) and (fatal["AESDTH"] == "Y").all()
    assert set(ds.loc[ds["DSDECOD"] == "DEATH", "USUBJID"]) == set(dead["USUBJID"])
    assert (ds["DSDECOD"] == "WITHDRAWAL BY SUBJECT").sum() == 1
    randomized = dm.loc[~dm["ARMCD"].isin(["SCRNFAIL", "NOTASSGN"]), "USUBJID"]
    ended = ds[ds["DSDECOD"].isin(["COMPLETED", "DEATH", "WITHDRAWAL BY SUBJECT"])]
    assert sorted(ended["USUBJID"]) == sorted(randomized)
    assert 4 <= (final["pr"]["PRDECOD"] == "INTUBATION").sum() <= 6
    ho = final["ho"]
    assert (ho["HOSTDTC"] < ho["USUBJID"].map(dm.set_index("USUBJID")["DMDTC"])).all()
    assert (ho.loc[ho["USUBJID"].isin(dead["USUBJID"]), "HOENDTC"] == "").all()


def test_eligibility_deviations_among_randomized(demo):
    final = domains(demo / "final")
    dm, vs = final["dm"], final["vs"]
    randomized = dm[~dm["ARMCD"].isin(["SCRNFAIL", "NOTASSGN"])]
    assert (randomized["AGE"].astype(float) > 75).sum() == 1
    baseline = vs[(vs["VSBLFL"] == "Y") & (vs["VSTESTCD"] == "OXYSAT") & vs["USUBJID"].isin(randomized["USUBJID"])]
    assert len(baseline) == len(randomized)
    assert (baseline["VSSTRESN"].astype(float) > 90).sum() == 1


def test_a_hys_law_subject_exists(demo):
    lb = read(demo / "final", "lb")
    lb = lb[lb["LBSTRESN"] != ""]
    ratio = lb["LBSTRESN"].astype(float) / lb["LBSTNRHI"].astype(float)
    peak = ratio.groupby([lb["USUBJID"], lb["LBTESTCD"]]).max().unstack()
    assert ((peak["ALT"] > 3) & (peak["BILI"] > 2)).sum() >= 1


def test_export_carries_real_world_mess(demo):
    final = domains(demo / "final")
    ae, lb = final["ae"], final["lb"]
    assert (ae["AESTDTC"].str.fullmatch(r"\d{4}-\d\d")).sum() in (1, 2, 3)
    assert (ae["AEENDTC"].str.fullmatch(r"\d{4}-\d\d")).sum() >= 1
    assert (ae["AESTDTC"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d")).sum() >= 2
    assert (ae["AETERM"] == "Fièvre").sum() == 1
    below = lb[lb["LBORRES"] == "<0.5"]
    assert len(below) == 1 and below["LBSTRESC"].iloc[0] == "<0.5" and below["LBSTRESN"].iloc[0] == ""
    unscheduled = lb[lb["VISIT"].str.startswith("UNSCHEDULED")]
    assert len(unscheduled) > 0
    assert (unscheduled["VISIT"] == "UNSCHEDULED " + unscheduled["VISITNUM"]).all()
    assert not unscheduled["VISITNUM"].astype(float).apply(float.is_integer).any()
    assert (lb.loc[lb["LBBLFL"] == "Y", "VISIT"].isin(["SCREENING", "DAY 1"])).all()
    assert set(final["suppdm"]["QNAM"]) == {"RANDNO", "COMORB"}


def test_xpt_files_read_back_with_same_rows_and_numeric_columns(demo, config, tmp_path):
    summary = generate_export(config, tmp_path, cut_date=FINAL, formats={"LB": "xpt", "ae": "xpt"})
    assert not (tmp_path / "lb.csv").exists()
    for name in ("lb", "ae"):
        frame, meta = pyreadstat.read_xport(str(tmp_path / f"{name}.xpt"))
        assert len(frame) == summary["rows"][name] and meta.table_name == name.upper()
        assert all(len(c) <= 8 for c in frame.columns)
    lb, _ = pyreadstat.read_xport(str(tmp_path / "lb.xpt"))
    assert {c: lb[c].dtype.kind for c in ("LBSEQ", "LBSTRESN", "VISITNUM", "LBDY")} == dict.fromkeys(
        ("LBSEQ", "LBSTRESN", "VISITNUM", "LBDY"), "f")
    ae, _ = pyreadstat.read_xport(str(tmp_path / "ae.xpt"))
    assert "Fièvre" in set(ae["AETERM"])


def test_small_multisite_run_has_plausible_proportions(config, tmp_path):
    summary = generate_export(config, tmp_path, cut_date="2030-01-01", subjects=300, sites=3)
    assert summary["randomized"] == 300
    assert 0.2 < summary["screen_failures"] / summary["screened"] < 0.3
    dm, ae = read(tmp_path, "dm"), read(tmp_path, "ae")
    assert set(dm["SITEID"]) == {"01", "02", "03"}
    assert dm["USUBJID"].str.match(r"NCT05019287-0[123]-\d{3}$").all()
    arms = read(tmp_path, "randomization")["ARMCD"].value_counts()
    assert arms["MENSC"] == arms["PBO"] == 150
    randomized = dm[dm["ARMCD"].isin(["MENSC", "PBO"])]
    death_rate = (randomized["DTHFL"] == "Y").groupby(randomized["ACTARMCD"]).mean()
    assert 0.03 < death_rate["MENSC"] < death_rate["PBO"] < 0.25
    assert 7 < len(ae) / 300 < 14
    assert 40 < summary["rows"]["lb"] / 300 < 100
    assert_no_findings_after_death(tmp_path)
    assert (earliest_dates(read(tmp_path, "lb")) > "2021-04-16").all()


def test_cli_generate_writes_the_requested_formats(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="group", required=True))
    args = parser.parse_args(["demo", "generate", "--out", str(tmp_path), "--cut-date", INTERIM, "--xpt", "LB"])
    assert args.handler(args) == 0
    assert (tmp_path / "lb.xpt").exists() and (tmp_path / "dm.csv").exists() and not (tmp_path / "lb.csv").exists()
    assert re.search(r'"randomized": \d+', capsys.readouterr().out)
    bad = parser.parse_args(["demo", "generate", "--out", str(tmp_path), "--cut-date", INTERIM, "--xpt", "XX"])
    with pytest.raises(SystemExit):
        bad.handler(bad)
