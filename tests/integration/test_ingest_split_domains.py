"""A domain split over several files (SDTMIG 4.1.7: lbch.csv, lbhe.csv, lbim.csv, all with DOMAIN = LB) is read
as one domain; findings still name the file and row they come from; --SEQ stays unique per subject across files."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pandas as pd
import pytest

from dashboard import cuts
from dashboard.config import load_trial_config
from dashboard.ingest.findings import Findings
from dashboard.ingest.load import check_export, load_cut, read_export
from dashboard.ingest.readers import discover, read_raw
from sample_export import write_sample_export
from dashboard.ingest.validate import flag_dates_after_cut

CUT_DATE = "2021-09-01"
PARTS = {"lbch": ["ALT", "AST", "BILI", "CREAT"], "lbhe": ["LYM", "CD4", "CD8"],
         "lbim": ["CRP", "FERRITIN", "DDIMER", "IL6"]}


@pytest.fixture(scope="module")
def config():
    return load_trial_config()


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture
def export(tmp_path) -> Path:
    """The sample export with lb.csv split by test into three files, in the file order of the original."""
    folder = write_sample_export(tmp_path / "export")
    lb = read(folder / "lb.csv")
    for name, tests in PARTS.items():
        lb[lb["LBTESTCD"].isin(tests)].to_csv(folder / f"{name}.csv", index=False)
    (folder / "lb.csv").unlink()
    return folder


def read_all(folder: Path, config) -> tuple[dict, Findings]:
    findings = Findings()
    files = read_export(read_raw(discover(folder, frozenset(config.custom_domains), findings)), config, findings)
    return files, findings


def test_the_parts_are_read_as_one_domain(export, config):
    files, findings = read_all(export, config)
    assert not findings.errors and not findings.warnings
    lb = files["LB"].source
    assert lb.domain == "LB" and [name for name, _ in lb.parts] == ["lbch.csv", "lbhe.csv", "lbim.csv"]
    expected = pd.concat([read(export / f"{name}.csv") for name in PARTS], ignore_index=True)
    assert files["LB"].inputs == {name.upper(): int((expected["LBTESTCD"].isin(tests)).sum())
                                  for name, tests in PARTS.items()}
    merged = lb.table.to_pandas()
    assert merged["USUBJID"].tolist() == expected["USUBJID"].tolist()
    assert merged["LBSEQ"].tolist() == expected["LBSEQ"].astype(float).tolist()
    assert merged["LBSTRESN"].tolist() == pd.to_numeric(expected["LBSTRESN"]).tolist()


def test_a_finding_in_a_part_names_that_file_and_row(export, config):
    lbhe = read(export / "lbhe.csv")
    lbhe.loc[2, "LBSTRESN"] = "pending"
    lbhe.to_csv(export / "lbhe.csv", index=False)
    lbim = read(export / "lbim.csv")
    lbim.loc[4, "LBDTC"] = "2021-10-02"
    lbim.to_csv(export / "lbim.csv", index=False)
    files, findings = read_all(export, config)
    assert [(f.file, f.row, f.usubjid, f.column) for f in findings.warnings] == [
        ("lbhe.csv", 3, lbhe.loc[2, "USUBJID"], "LBSTRESN")]
    late = Findings()
    flag_dates_after_cut({"LB": files["LB"].source}, CUT_DATE, late)
    assert [(f.file, f.row, f.usubjid, f.seq, f.message) for f in late.items if f.kind == "date after cut"] == [
        ("lbim.csv", 5, lbim.loc[4, "USUBJID"], lbim.loc[4, "LBSEQ"],
         f"dated 2021-10-02 after the cut date {CUT_DATE}")]


def test_a_sequence_number_repeated_across_files_names_both(export, config):
    lbch, lbhe = read(export / "lbch.csv"), read(export / "lbhe.csv")
    lbhe.loc[0, ["USUBJID", "LBSEQ"]] = lbch.loc[6, ["USUBJID", "LBSEQ"]].to_numpy()
    lbhe.to_csv(export / "lbhe.csv", index=False)
    errors = check_export(export, config).errors
    assert [(f.file, f.row, f.usubjid, f.column, f.kind, f.message) for f in errors] == [
        ("lbhe.csv", 1, lbch.loc[6, "USUBJID"], "LBSEQ", "duplicate key across files",
         "(USUBJID, LBSEQ) repeats lbch.csv row 7: --SEQ must be unique per subject across the files of LB")]


def test_a_domain_column_contradicting_the_file_name_is_an_error(export, config):
    lbch = read(export / "lbch.csv").assign(DOMAIN="AE")
    lbch.to_csv(export / "lbch.csv", index=False)
    ae = read(export / "ae.csv")
    ae.loc[3, "DOMAIN"] = "CM"
    ae.to_csv(export / "ae.csv", index=False)
    errors = check_export(export, config).errors
    assert [(f.file, f.row, f.column, f.kind) for f in errors] == [
        ("lbch.csv", 1, "DOMAIN", "DOMAIN contradicts file name"),
        ("ae.csv", 4, "DOMAIN", "DOMAIN contradicts file name")]
    assert errors[0].message == "DOMAIN 'AE' contradicts the file name, which names domain LB"


def test_only_a_file_named_like_a_part_joins_a_domain(export, config):
    """SDTMIG names a part by the domain code and up to two more characters; a file named otherwise is ignored
    with a warning even when its DOMAIN column names a domain (an ADaM ADLB carries DOMAIN = LB too)."""
    (export / "lbim.csv").rename(export / "labs_immunology.csv")
    read(export / "lbch.csv").to_csv(export / "adlb.csv", index=False)
    read(export / "lbhe.csv").drop(columns="DOMAIN").to_csv(export / "lbxx.csv", index=False)
    files, findings = read_all(export, config)
    assert [name for name, _ in files["LB"].source.parts] == ["lbch.csv", "lbhe.csv"]
    assert [(f.file, f.kind) for f in findings.items] == [
        ("adlb.csv", "unknown file ignored"), ("labs_immunology.csv", "unknown file ignored"),
        ("lbxx.csv", "unknown file ignored")]
    assert not any("adlb" in key.lower() for key in files["LB"].inputs)


def test_a_split_export_loads_with_every_file_in_the_manifest(export, config, tmp_path, monkeypatch):
    audit = types.ModuleType("dashboard.audit")
    audit.record = lambda event, **kw: None
    monkeypatch.setitem(sys.modules, "dashboard.audit", audit)
    manifest = load_cut(export, CUT_DATE, "", "alice", config, root=tmp_path / "root")
    lb = cuts.read_clinical_domains(manifest.cut_id, tmp_path / "root")["LB"]
    expected = pd.concat([read(export / f"{name}.csv") for name in PARTS], ignore_index=True)
    assert len(lb) == len(expected) and manifest.domain_rows["LB"] == len(expected)
    inputs = {f.name: f.rows for f in manifest.inputs}
    assert {name: inputs[f"{name}.csv"] for name in PARTS} == {
        name: int(expected["LBTESTCD"].isin(tests).sum()) for name, tests in PARTS.items()}


def test_a_supplemental_part_joins_its_supp_domain_but_suppqual_does_not(export, config):
    supp = read(export / "suppdm.csv")
    supp.iloc[:4].to_csv(export / "suppdmab.csv", index=False)
    supp.iloc[4:].to_csv(export / "suppdm.csv", index=False)
    supp.to_csv(export / "suppqual.csv", index=False)
    files, findings = read_all(export, config)
    assert [name for name, _ in files["SUPPDM"].source.parts] == ["suppdm.csv", "suppdmab.csv"]
    assert files["SUPPDM"].source.table.num_rows == len(supp)
    assert [(f.file, f.kind) for f in findings.items] == [("suppqual.csv", "unknown file ignored")]
