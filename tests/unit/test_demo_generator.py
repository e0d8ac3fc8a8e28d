"""The synthetic SDTM export generator: determinism, cut consistency, clinical content, formats."""

from __future__ import annotations

import argparse
import datetime as dt
import filecmp
import re
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from dashboard.config import load_trial_config
from dashboard.demo import generate_export, write_demo_exports
from dashboard.demo.cli import register
from dashboard.demo.generator import DEMO_EXPORT_ROOT, build_trajectory, cut_export
from dashboard.demo.messy import (PERMISSIBLE_ABSENT, VARIANTS, contradicted_subject, contradicting_visit,
                                  late_subjects, messy_variant, variant_formats)
from dashboard.ingest.schema import normalized

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
    assert mismatch == [] and errors == [] and len(match) == 14          # 13 domain files and coding.csv


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


# --- `--messy`: real-export variants of the clean export (dashboard.demo.messy) ---------------------------

@pytest.fixture(scope="module")
def clean(config) -> dict[str, pd.DataFrame]:
    """The clean final cut as frames (file stem -> frame), as the generator writes it."""
    return cut_export(build_trajectory(config), FINAL)


@pytest.fixture(scope="module")
def variants(clean, config) -> dict[str, dict[str, pd.DataFrame]]:
    return {name: messy_variant(name, clean, config, dt.date.fromisoformat(FINAL)) for name in VARIANTS}


def frames_equal(left: pd.DataFrame, right: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True))
    except AssertionError:
        return False
    return True


def test_variants_leave_the_clean_export_unchanged_and_are_deterministic(clean, config, variants):
    before = {name: frame.copy(deep=True) for name, frame in clean.items()}
    again = {name: messy_variant(name, clean, config, dt.date.fromisoformat(FINAL)) for name in VARIANTS}
    assert all(frames_equal(clean[name], before[name]) for name in clean)
    for name, variant in variants.items():
        assert list(again[name]) == list(variant), name
        assert all(frames_equal(again[name][stem], variant[stem]) for stem in variant), name
        assert set(variant) != set(clean) or any(not frames_equal(variant[stem], clean[stem])
                                                 for stem in variant), f"{name} changed nothing"


def test_unknown_variant_is_refused(clean, config):
    with pytest.raises(ValueError, match="unknown messy variant 'tidy'"):
        messy_variant("tidy", clean, config, dt.date.fromisoformat(FINAL))


def test_visitnum_days_numbers_scheduled_visits_by_their_planned_day(clean, config, variants):
    messy = variants["visitnum-days"]
    day = {v.name: v.day for v in config.visits if v.day is not None}
    num = {v.name: v.num for v in config.visits}
    with_visits = [name for name, frame in clean.items() if "VISITNUM" in frame.columns]
    assert set(with_visits) == {"ie", "ex", "lb", "vs", "ct"}
    for name in with_visits:
        before, after = clean[name], messy[name]
        assert (after["VISIT"] == before["VISIT"]).all(), name
        scheduled = before["VISIT"].isin(list(day))
        assert (after.loc[scheduled, "VISITNUM"] == before.loc[scheduled, "VISIT"].map(day)).all(), name
        moved = scheduled & (before["VISIT"].map(day) != before["VISIT"].map(num))
        assert moved.any() and (after.loc[moved, "VISITNUM"] != before.loc[moved, "VISITNUM"]).all(), name
        untouched = after.loc[~scheduled, "VISITNUM"].fillna(-999) == before.loc[~scheduled, "VISITNUM"].fillna(-999)
        assert untouched.all(), f"{name}: unscheduled visits have no planned day and keep their number"
        assert frames_equal(after.drop(columns="VISITNUM"), before.drop(columns="VISITNUM")), name
    unscheduled = clean["lb"]["VISIT"].str.startswith("UNSCHEDULED")
    assert unscheduled.any()


def test_permissible_absent_drops_only_permissible_variables(clean, variants):
    messy = variants["permissible-absent"]
    assert list(messy) == list(clean)
    assert "HODECOD" not in messy["ho"] and "HOTERM" in messy["ho"]
    for name, frame in clean.items():
        dropped = set(frame.columns) - set(messy[name].columns)
        assert dropped == set(PERMISSIBLE_ABSENT.get(name, ())) & set(frame.columns), name
        assert frames_equal(messy[name], frame[list(messy[name].columns)]), name
    # Expected and Required variables stay (issue 11: only Req may be demanded; Exp absent is a different case)
    assert {"DSSTDY", "AEBODSYS", "LBSTRESC", "AESEV"} <= set().union(*(f.columns for f in messy.values()))


def test_mixed_case_respells_terms_the_loader_compares_normalized(clean, variants):
    messy = variants["mixed-case"]
    changed = {(name, column) for name in clean for column in clean[name].columns
               if not messy[name][column].equals(clean[name][column])}
    assert changed == {("dm", "ARMCD"), ("dm", "ACTARMCD"), ("ds", "DSDECOD")}
    for name, column in changed:
        before, after = clean[name][column], messy[name][column]
        assert (after.map(normalized) == before).all(), (name, column)
        differs = after != before
        assert (after[differs] != after[differs].str.strip()).all(), "each respelled term has surrounding blanks"
        assert (after[differs] != after[differs].str.upper()).all(), "and is not upper case"
    assert set(messy["dm"].loc[messy["dm"]["ARMCD"] != clean["dm"]["ARMCD"], "ARMCD"].map(normalized)) == {
        "SCRNFAIL", "NOTASSGN"}
    assert {"RANDOMIZED", "SCREEN FAILURE"} == set(
        messy["ds"].loc[messy["ds"]["DSDECOD"] != clean["ds"]["DSDECOD"], "DSDECOD"].map(normalized))


def test_split_lb_keeps_every_lab_row_in_one_part(clean, variants):
    messy = variants["split-lb"]
    parts = [name for name in messy if name.startswith("lb")]
    assert "lb" not in messy and sorted(parts) == ["lbch", "lbco", "lbhe", "lbim"]
    assert [name for name in messy if not name.startswith("lb")] == [name for name in clean if name != "lb"]
    merged = pd.concat([messy[name] for name in parts]).sort_values(["USUBJID", "LBSEQ"])
    assert frames_equal(merged, clean["lb"].sort_values(["USUBJID", "LBSEQ"]))
    assert not merged.duplicated(["USUBJID", "LBSEQ"]).any()
    for name in parts:
        assert (messy[name]["DOMAIN"] == "LB").all() and messy[name]["LBCAT"].nunique() == 1, name


def test_split_lb_parts_follow_the_format_of_lb(variants):
    formats = variant_formats(variants["split-lb"], {"LB": "xpt", "ae": "xpt"})
    assert formats == {"ae": "xpt", "lbch": "xpt", "lbco": "xpt", "lbhe": "xpt", "lbim": "xpt"}
    assert variant_formats(variants["dm-allocation-only"], {"lb": "xpt"}) == {"lb": "xpt"}


def test_allocation_only_in_dm_and_no_randomized_records(clean, variants):
    only_dm, none = variants["dm-allocation-only"], variants["no-randomized"]
    assert "randomization" not in only_dm and "randomization" not in none
    assert list(only_dm) == [name for name in clean if name != "randomization"]
    assert all(frames_equal(only_dm[name], clean[name]) for name in only_dm)
    ds = clean["ds"]
    assert (ds["DSDECOD"] == "RANDOMIZED").sum() == len(clean["randomization"])
    assert frames_equal(none["ds"], ds[ds["DSDECOD"] != "RANDOMIZED"])
    assert all(frames_equal(none[name], clean[name]) for name in none if name != "ds")
    dates = [c for frame in none.values() for c in frame.columns if c.startswith("RAND")]
    assert dates == [], "no randomization date anywhere"


def lab_means(lb: pd.DataFrame) -> pd.Series:
    return lb.groupby(["LBTESTCD", "VISIT"])["LBSTRESN"].mean()


def test_after_cut_adds_records_dated_after_the_cut_and_changes_nothing_else(clean, variants):
    messy = variants["after-cut"]
    subjects = set(late_subjects(clean))
    dm = clean["dm"].set_index("USUBJID")
    assert len(subjects) == 3 and not (dm.loc[list(subjects), "ARMCD"].isin(["SCRNFAIL", "NOTASSGN"])).any()
    for name, date in (("ae", "AESTDTC"), ("lb", "LBDTC"), ("vs", "VSDTC")):
        before, after = clean[name], messy[name]
        assert frames_equal(after.iloc[:len(before)], before), name
        late = after.iloc[len(before):]
        assert len(late) >= 3 and set(late["USUBJID"]) == subjects, name
        assert (late[date].str.slice(0, 10) > FINAL).all() and (earliest_dates(before) <= FINAL).all(), name
        seq = date[:2] + "SEQ"
        assert not after.duplicated(["USUBJID", seq]).any(), name
    assert all(frames_equal(messy[name], clean[name]) for name in clean if name not in ("ae", "lb", "vs"))
    # the late records would change the numbers if they were counted
    ae_before, ae_after = clean["ae"], messy["ae"]
    assert len(ae_after) == len(ae_before) + 3
    assert not lab_means(messy["lb"]).equals(lab_means(clean["lb"]))


def test_contradictory_export_has_a_randomized_screen_failure_and_a_renamed_visit(clean, config, variants):
    messy = variants["contradictory"]
    subject = contradicted_subject(clean)
    assert clean["dm"].set_index("USUBJID").loc[subject, "ARMCD"] in config.arm_codes
    added = messy["ds"].iloc[len(clean["ds"]):]
    assert len(added) == 1 and added.iloc[0]["USUBJID"] == subject
    assert added.iloc[0]["DSDECOD"] == "SCREEN FAILURE" and added.iloc[0]["DSCAT"] == "DISPOSITION EVENT"
    assert not messy["ds"].duplicated(["USUBJID", "DSSEQ"]).any()
    assert contradicting_visit(config) == ("DAY 3", "DAY 4")
    assert "DAY 4" not in {v.name for v in config.visits}
    for name in ("lb", "vs", "ex"):
        before, after = clean[name], messy[name]
        renamed = before["VISIT"] == "DAY 3"
        assert renamed.any() and (after.loc[renamed, "VISIT"] == "DAY 4").all(), name
        assert (after.loc[renamed, "VISITNUM"] == 3).all(), name
        assert frames_equal(after[~renamed], before[~renamed]), name


def cli_args(tmp_path: Path, *extra: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="group", required=True))
    return parser.parse_args(["demo", "generate", "--out", str(tmp_path), "--cut-date", FINAL, *extra])


def test_cli_messy_writes_the_named_variants_next_to_the_clean_export(tmp_path, capsys):
    args = cli_args(tmp_path, "--xpt", "LB", "--messy", "split-lb", "mixed-case")
    assert args.handler(args) == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["mixed-case", "split-lb"]
    assert (tmp_path / "lb.xpt").exists() and (tmp_path / "split-lb" / "lbch.xpt").exists()
    assert not list((tmp_path / "split-lb").glob("lb.*"))
    dm = read(tmp_path / "mixed-case", "dm")
    assert " Scrnfail" in set(dm["ARMCD"]), "CSV keeps the blanks around a term"
    ds = read(tmp_path / "mixed-case", "ds")
    assert "Randomized " in set(ds["DSDECOD"])
    assert '"messy"' in capsys.readouterr().out


def test_cli_messy_without_names_writes_every_variant(tmp_path):
    args = cli_args(tmp_path, "--messy")
    assert args.handler(args) == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == sorted(VARIANTS)
    assert not (tmp_path / "dm-allocation-only" / "randomization.csv").exists()
    plain = cli_args(tmp_path / "plain")
    assert plain.handler(plain) == 0 and not [p for p in (tmp_path / "plain").iterdir() if p.is_dir()]


def test_cli_messy_refuses_an_unknown_variant(tmp_path):
    with pytest.raises(SystemExit):
        cli_args(tmp_path, "--messy", "tidy")
