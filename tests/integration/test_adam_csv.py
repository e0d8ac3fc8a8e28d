"""A small ADaM export as CSV: it loads through the same path; every problem is reported at once and nothing is
written on error; a folder with both SDTM and ADaM uses ADaM for the domains both give, and says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import blinding, cuts
from dashboard.config import PROJECT_ROOT, load_trial_config
from dashboard.ingest.findings import IngestError
from dashboard.ingest.load import load_cut

CONFIG = PROJECT_ROOT / "data" / "trials" / "AB12345.toml"
ADSL = ("STUDYID,USUBJID,SITEID,AGE,SEX,ARMCD,ARM,ACTARMCD,ACTARM,TRT01P,TRT01A,TRTSDT,TRTEDT,RANDDT,SAFFL,"
        "ITTFL\n"
        "AB12345,S-1,USA-1,40,F,ARM A,A: Drug X,ARM A,A: Drug X,A: Drug X,A: Drug X,2020-01-02,2020-06-01,2020-01-01,"
        "Y,Y\n"
        "AB12345,S-2,USA-1,50,M,ARM B,B: Placebo,ARM B,B: Placebo,B: Placebo,B: Placebo,02JAN2020,2020-06-01,"
        "2020-01-01,Y,Y\n"
        "AB12345,S-3,USA-2,60,F,ARM C,C: Combination,ARM C,C: Combination,C: Combination,C: Combination,,,,N,Y\n")
ADAE = ("USUBJID,ASEQ,AEDECOD,AEBODSYS,ASTDT,TRTEMFL,TRTA\n"
        "S-1,1,HEADACHE,NERVOUS,2020-01-05,Y,A: Drug X\nS-2,1,NAUSEA,GI,2020-01-06,Y,B: Placebo\n")
ADTTE = "USUBJID,PARAMCD,AVAL,CNSR,EVNTDESC,STARTDT\nS-1,OS,100,0,Death,2020-01-01\nS-2,OS,150,1,Alive,2020-01-01\n"


def _export(folder: Path, **files: str) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name.replace("_", ".")).write_text(text)
    return folder


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("DSMB_DATABASE_URL", f"sqlite:///{tmp_path}/audit.sqlite")
    yield tmp_path, load_trial_config(CONFIG)
    blinding.clear_caches()


def test_csv_adam_export_loads_and_seals(env):
    base, config = env
    folder = _export(base / "export", adsl_csv=ADSL, adae_csv=ADAE, adtte_csv=ADTTE)
    manifest = load_cut(folder, "2020-12-31", "csv", "tester", config, root=base / "data")
    data = blinding.trial_data(manifest.cut_id, blinding.Access.BLINDED, config, base / "data")
    dm = data.domain("DM")
    assert dm["RFSTDTC"].tolist()[:2] == ["2020-01-02", "2020-01-02"]      # ISO and SAS text alike
    assert not {"ARM", "ARMCD", "TRT01P", "TRT01A"} & set(dm.columns)
    assert "TRTA" not in data.domain("AE") and data.domain("AE")["TRTEMFL"].tolist() == ["Y", "Y"]
    assert data.domain("ADTTE")["CNSR"].astype(float).tolist() == [0.0, 1.0]
    armed = blinding.trial_data(manifest.cut_id, blinding.Access.UNBLINDED, config, base / "data")
    assert armed.arm_of.to_dict() == {"S-1": "A: Drug X", "S-2": "B: Placebo", "S-3": "C: Combination"}


def test_every_problem_reported_and_nothing_written(env):
    base, config = env
    adsl = ADSL.replace("2020-06-01,2020-01-01,Y,Y\nAB12345,S-2", "2020-06-01,2020-01-01,X,Y\nAB12345,S-2")
    adsl = adsl.replace("02JAN2020,2020-06-01", "2020-02-30,2020-06-01")
    adae = ADAE + "S-9,1,RASH,SKIN,2020-01-07,Y,A: Drug X\n"
    adtte = ADTTE.replace("S-2,OS,150,1", "S-2,OS,150,2")
    folder = _export(base / "export", adsl_csv=adsl, adae_csv=adae, adtte_csv=adtte)
    with pytest.raises(IngestError) as refused:
        load_cut(folder, "2020-12-31", "csv", "tester", config, root=base / "data")
    where = {(f.file, f.column) for f in refused.value.errors}
    assert {("adsl.csv", "SAFFL"), ("adsl.csv", "TRTSDT"), ("adae.csv", "USUBJID"), ("adtte.csv", "CNSR")} <= where
    assert not any("Drug X" in str(f) or "ARM A" in str(f) for f in refused.value.findings)
    assert cuts.list_cuts(base / "data") == [] and cuts.active_cut_id(base / "data") is None


def test_sdtm_file_superseded_by_adam_with_a_warning(env):
    base, config = env
    dm = "STUDYID,USUBJID,SITEID,ARMCD\nAB12345,S-1,USA-1,ARM A\n"
    folder = _export(base / "export", adsl_csv=ADSL, dm_csv=dm, adae_csv=ADAE)
    manifest = load_cut(folder, "2020-12-31", "csv", "tester", config, root=base / "data")
    data = blinding.trial_data(manifest.cut_id, blinding.Access.BLINDED, config, base / "data")
    assert len(data.domain("DM")) == 3
    superseded = data.warnings[data.warnings["kind"] == "superseded by ADaM"]
    assert superseded["file"].tolist() == ["dm.csv"] and "adsl.csv" in superseded["message"].iloc[0]
