"""Loading good exports: the snapshot, sealing, allocation invariance, XPT, partial dates, the CLI."""

from __future__ import annotations

import hashlib
import sys
import types
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest

from dashboard import blinding, cuts
from dashboard.config import load_trial_config
from dashboard.ingest import AlreadyLoaded, load_cut
from dashboard.ingest.cli import main
from dashboard.ingest.identity import WITHHELD
from sample_export import ARMS, write_sample_export

CUT_DATE = "2021-09-01"  # after every date of the sample export


@pytest.fixture(autouse=True)
def audit(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """A stand-in for dashboard.audit that keeps the recorded events."""
    events: list[tuple] = []
    module = types.ModuleType("dashboard.audit")
    module.record = lambda event, *, username, cut_id=None, detail=None: events.append(
        (event, username, cut_id, detail))
    monkeypatch.setitem(sys.modules, "dashboard.audit", module)
    return events


@pytest.fixture(scope="module")
def config():
    return load_trial_config()


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def clinical_files(root: Path, cut_id: str) -> dict[str, bytes]:
    folder = cuts.cuts_dir(root) / cut_id / cuts.CLINICAL_DIRNAME
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.parquet"))}


def test_load_writes_snapshot_and_activates(tmp_path, config, audit):
    export = write_sample_export(tmp_path / "export")
    manifest = load_cut(export, CUT_DATE, "DSMB 1", "alice", config, root=tmp_path / "root")
    assert cuts.active_cut_id(tmp_path / "root") == manifest.cut_id
    assert manifest.cut_id.startswith(CUT_DATE + "-")
    assert manifest.randomized == 8
    assert {f.name for f in manifest.inputs} >= {"dm.csv", "randomization.csv", "ae.csv", "lb.csv"}
    assert next(f for f in manifest.inputs if f.name == "lb.csv").rows == 8 * 7 * 11
    assert "SE" not in manifest.domain_rows and manifest.domain_rows["SUPPDM"] == 8
    assert audit == [("cut_load_pending", "alice", manifest.cut_id, audit[0][3]),   # before writing (issue 17)
                     ("cut_load", "alice", manifest.cut_id, audit[1][3])]
    assert (audit[0][3]["status"], audit[1][3]["status"]) == ("pending", "completed")
    domains = cuts.read_clinical_domains(manifest.cut_id, tmp_path / "root")
    dm = domains["DM"]
    assert not {"ARM", "ARMCD", "ACTARM", "ACTARMCD"} & set(dm.columns)
    assert list(dm["RANDFL"]) == ["Y"] * 8 + ["N"] * 2 and list(dm["SCRNFFL"]) == ["N"] * 8 + ["Y"] * 2
    assert dm["RANDDT"].dtype == "datetime64[ns]" and dm["AGE"].dtype == "float64"
    assert domains["AE"]["AESTDT"].notna().all() and domains["LB"]["LBSTRESN"].dtype == "float64"
    assert set(domains["EX"]["EXTRT"]) == {config.blinded_treatment_label} and "EXDOSE" not in domains["EX"]
    assert "SE" not in domains


def test_sealed_part_feeds_blinding(tmp_path, config):
    export = write_sample_export(tmp_path / "export")
    # the coding key comes with the randomization list (the configuration holds none)
    (export / "coding.csv").write_text("ARMCD,CODED_LABEL\nMENSC,Group B\nPBO,Group A\n", encoding="utf-8")
    manifest = load_cut(export, CUT_DATE, "", "alice", config, root=tmp_path / "root")
    sealed = cuts.cuts_dir(tmp_path / "root") / manifest.cut_id / cuts.SEALED_DIRNAME
    assert {p.name for p in sealed.iterdir()} == {"allocation.parquet", "EX.parquet", "SE.parquet",
                                                  "SUPPDM.parquet", "_inputs.parquet", "coding.parquet",
                                                  "checksums.json", "checksums.sig"}
    allocation = pd.read_parquet(sealed / "allocation.parquet")
    assert list(allocation.columns) == ["USUBJID", "ARMCD", "ARM", "ACTARMCD", "ACTARM", "RANDNO"]
    listed = read_csv(export / "randomization.csv")
    assert allocation.set_index("USUBJID").loc[listed["USUBJID"], "ARMCD"].tolist() == listed["ARMCD"].tolist()
    assert set(pd.read_parquet(sealed / "SUPPDM.parquet")["QNAM"]) == {"TRT01P"}
    assert list(pd.read_parquet(sealed / "EX.parquet").columns) == ["USUBJID", "EXSEQ", "EXTRT", "EXDOSE"]
    data = blinding.trial_data(manifest.cut_id, blinding.Access.CODED, config, tmp_path / "root")
    assert data.arm_of.value_counts().to_dict() == {"Group A": 4, "Group B": 4}


def test_clinical_part_holds_no_arm_code_or_label(tmp_path, config):
    export = write_sample_export(tmp_path / "export")
    manifest = load_cut(export, CUT_DATE, "", "alice", config, root=tmp_path / "root")
    needles = {v for arm in config.arms for v in (arm.code, arm.label)} | {v[1] for v in ARMS.values()} \
        | set(read_csv(export / "ex.csv")["EXTRT"]) | set(read_csv(export / "se.csv")["ELEMENT"])
    folder = cuts.cuts_dir(tmp_path / "root") / manifest.cut_id / cuts.CLINICAL_DIRNAME
    paths = sorted(folder.glob("*.parquet"))
    assert {"DM.parquet", "EX.parquet", "AE.parquet"} <= {p.name for p in paths}
    for path in paths:
        table = pq.read_table(path)
        for name, column in zip(table.column_names, table.columns):
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
                cells = {v for v in column.to_pylist() if v}
                assert not {c for c in cells for n in needles if n in c}, f"{path.name}.{name} leaks allocation"


def test_clinical_part_does_not_depend_on_allocation(tmp_path, config):
    first = write_sample_export(tmp_path / "a", allocation_seed=7)
    second = write_sample_export(tmp_path / "b", allocation_seed=8)
    assert read_csv(first / "randomization.csv")["ARMCD"].tolist() != \
        read_csv(second / "randomization.csv")["ARMCD"].tolist()
    for name in ("ae.csv", "lb.csv", "vs.csv"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    one = load_cut(first, CUT_DATE, "", "alice", config, root=tmp_path / "root1")
    two = load_cut(second, CUT_DATE, "", "alice", config, root=tmp_path / "root2")
    assert one.cut_id == two.cut_id and one.inputs == two.inputs
    files_one = clinical_files(tmp_path / "root1", one.cut_id)
    files_two = clinical_files(tmp_path / "root2", two.cut_id)
    assert files_one.keys() == files_two.keys() and "DM.parquet" in files_one and "_warnings.parquet" in files_one
    assert files_one == files_two
    assert (one.domain_rows, one.warning_count, one.randomized) == (two.domain_rows, two.warning_count, two.randomized)


def test_manifest_withholds_checksums_of_files_that_carry_allocation(tmp_path, config):
    export = write_sample_export(tmp_path / "export")
    manifest = load_cut(export, CUT_DATE, "", "alice", config, root=tmp_path / "root")
    inputs = {f.name: f for f in manifest.inputs}
    carrying = {"dm.csv", "ex.csv", "se.csv", "randomization.csv", "suppdm.csv"}
    assert {n for n, f in inputs.items() if f.sha256 == WITHHELD} == carrying
    assert all(inputs[n].size == 0 for n in carrying) and inputs["se.csv"].rows == 0 and inputs["dm.csv"].rows == 10
    assert inputs["lb.csv"].sha256 == hashlib.sha256((export / "lb.csv").read_bytes()).hexdigest()
    sealed_part = cuts.cuts_dir(tmp_path / "root") / manifest.cut_id / cuts.SEALED_DIRNAME
    sealed = pd.read_parquet(sealed_part / "_inputs.parquet")
    real = dict(zip(sealed["name"], sealed["sha256"]))
    assert real["dm.csv"] == hashlib.sha256((export / "dm.csv").read_bytes()).hexdigest()


def test_export_differing_only_in_allocation_is_a_new_cut(tmp_path, config):
    root = tmp_path / "root"
    first = load_cut(write_sample_export(tmp_path / "a", allocation_seed=7), CUT_DATE, "", "alice", config, root=root)
    second = load_cut(write_sample_export(tmp_path / "b", allocation_seed=8), CUT_DATE, "", "alice", config,
                      root=root)
    assert second.cut_id != first.cut_id and cuts.active_cut_id(root) == second.cut_id
    for folder, manifest in ((tmp_path / "a", first), (tmp_path / "b", second)):
        with pytest.raises(AlreadyLoaded, match=f"already loaded as {manifest.cut_id}"):
            load_cut(folder, CUT_DATE, "", "alice", config, root=root)


def test_identical_input_is_refused_and_active_cut_kept(tmp_path, config, audit):
    root = tmp_path / "root"
    first = load_cut(write_sample_export(tmp_path / "a"), CUT_DATE, "", "alice", config, root=root)
    later = load_cut(write_sample_export(tmp_path / "b", n_subjects=10), "2021-10-01", "", "alice", config, root=root)
    with pytest.raises(AlreadyLoaded, match=f"already loaded as {first.cut_id}"):
        load_cut(tmp_path / "a", CUT_DATE, "", "bob", config, root=root)
    assert cuts.active_cut_id(root) == later.cut_id
    assert [m.cut_id for m in cuts.list_cuts(root)] == [first.cut_id, later.cut_id]
    assert audit[-1][0] == "cut_rejected" and audit[-1][3]["reason"] == "already loaded"


def test_partial_dates_warn_and_give_nat(tmp_path, config):
    export = write_sample_export(tmp_path / "export")
    ae = read_csv(export / "ae.csv")
    ae.loc[1, "AESTDTC"], ae.loc[4, "AEENDTC"] = "2021-05", "2021"
    ae.to_csv(export / "ae.csv", index=False)
    manifest = load_cut(export, CUT_DATE, "", "alice", config, root=tmp_path / "root")
    assert manifest.warning_count == 2
    warnings = cuts.read_cut_warnings(manifest.cut_id, tmp_path / "root")
    assert set(warnings["kind"]) == {"partial date"}
    assert warnings["row"].tolist() == [2, 5] and warnings["column"].tolist() == ["AESTDTC", "AEENDTC"]
    ae_out = cuts.read_clinical_domains(manifest.cut_id, tmp_path / "root")["AE"]
    assert pd.isna(ae_out.loc[1, "AESTDT"]) and ae_out.loc[1, "AESTDTC"] == "2021-05"
    assert pd.isna(ae_out.loc[4, "AEENDT"]) and ae_out.loc[0, "AESTDT"] == pd.Timestamp(ae.loc[0, "AESTDTC"])


def _write_xpt(frame: pd.DataFrame, path: Path, name: str) -> None:
    typed = frame.copy()
    for column in ("AGE", "AESEQ", "AESTDY", "AEENDY"):
        if column in typed:
            typed[column] = pd.to_numeric(typed[column])
    pyreadstat.write_xport(typed, str(path), table_name=name)


def test_xpt_with_cp1252_text_loads(tmp_path, config):
    export = write_sample_export(tmp_path / "export")
    ae = read_csv(export / "ae.csv")
    ae.loc[0, "AETERM"] = "Caf#marker"
    _write_xpt(ae, export / "AE.XPT", "AE")
    _write_xpt(read_csv(export / "dm.csv"), export / "dm.xpt", "DM")
    (export / "ae.csv").unlink()
    (export / "dm.csv").unlink()
    data = (export / "AE.XPT").read_bytes()
    (export / "AE.XPT").write_bytes(data.replace(b"#marker", b"\xe9marker"))
    manifest = load_cut(export, CUT_DATE, "", "alice", config, root=tmp_path / "root")
    domains = cuts.read_clinical_domains(manifest.cut_id, tmp_path / "root")
    assert domains["AE"].loc[0, "AETERM"] == "Caf\u00e9marker"
    assert domains["DM"]["AGE"].dtype == "float64" and domains["DM"]["RANDFL"].eq("Y").sum() == 8
    warnings = cuts.read_cut_warnings(manifest.cut_id, tmp_path / "root")
    assert warnings["kind"].tolist() == ["cp1252 fallback"] and warnings["file"].tolist() == ["AE.XPT"]


def test_cli_round_trip(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DSMB_DATA_ROOT", str(tmp_path / "root"))
    export = write_sample_export(tmp_path / "export")
    lb = read_csv(export / "lb.csv")
    lb.loc[[3, 9], "LBSTRESN"] = "pending"
    lb.to_csv(export / "lb.csv", index=False)
    assert main(["cuts", "load", str(export), "--cut-date", CUT_DATE, "--label", "DSMB 1", "--loaded-by", "alice"]) == 0
    out = capsys.readouterr().out
    cut_id = cuts.active_cut_id()
    assert f"loaded cut {cut_id}" in out and "2 x lb.csv, column LBSTRESN: non-numeric value" in out
    assert main(["cuts", "list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert listing[0].split()[:3] == ["cut", "id", "cut"]
    assert listing[1].split()[:4] == ["ACTIVE", cut_id, CUT_DATE, "DSMB"] and "alice" in listing[1]
    assert main(["cuts", "show", cut_id]) == 0
    shown = capsys.readouterr().out
    sha = cuts.read_manifest(cut_id).inputs[0].sha256
    assert f"cut {cut_id} (ACTIVE)" in shown and sha in shown and "warnings: 2" in shown
    assert "lb.csv row 4 (USUBJID NCT05019287-01-001, LBSEQ 4), column LBSTRESN: value 'pending' is not a number" \
        in shown
    assert main(["cuts", "load", str(export), "--cut-date", CUT_DATE]) == 1
    assert f"already loaded as {cut_id}" in capsys.readouterr().err
    assert main(["cuts", "show", "2021-01-01-00000000"]) == 1
