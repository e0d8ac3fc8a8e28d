"""The bad-input corpus: each bad export is refused with its message and the previous cut stays active.

Every case starts from a good cut already loaded and active, then loads a broken copy of the export.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from support import stub_audit

from dashboard import cuts
from dashboard.config import PROJECT_ROOT, load_trial_config
from dashboard.ingest import IngestError, load_cut
from dashboard.ingest.cli import main
from sample_export import write_sample_export

GOOD_DATE, NEW_DATE = "2021-09-01", "2021-09-15"  # after every date of the sample export

# Runs the CLI with a stand-in audit module; with $HOLD_FILE set, it stops inside write_snapshot (after
# the staging folder is written, before the rename) until that file exists.
CHILD = """
import os, sys, time, types
audit = types.ModuleType("dashboard.audit")
audit.record = lambda event, **kw: None
sys.modules["dashboard.audit"] = audit
hold = os.environ.get("HOLD_FILE")
if hold:
    from dashboard import cuts
    fsync_tree = cuts._fsync_tree
    def held(folder):
        open(hold + ".ready", "w").close()
        while not os.path.exists(hold):
            time.sleep(0.02)
        fsync_tree(folder)
    cuts._fsync_tree = held
from dashboard.ingest.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.fixture(autouse=True)
def audit(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    return stub_audit(monkeypatch)


@pytest.fixture(scope="module")
def config():
    return load_trial_config()


@pytest.fixture
def root(tmp_path, config) -> Path:
    """A data root whose active cut is a good load of the sample export."""
    base = tmp_path / "root"
    load_cut(write_sample_export(tmp_path / "good"), GOOD_DATE, "good", "alice", config, root=base)
    return base


@pytest.fixture
def export(tmp_path) -> Path:
    return write_sample_export(tmp_path / "export", n_subjects=10)


def edit(path: Path, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    change(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)


def refused(export: Path, root: Path, config) -> list[str]:
    """Load the bad export; assert it is refused with the good cut still the only, active one; the messages."""
    active = cuts.active_cut_id(root)
    with pytest.raises(IngestError) as caught:
        load_cut(export, NEW_DATE, "bad", "bob", config, root=root)
    assert cuts.active_cut_id(root) == active
    assert [m.cut_id for m in cuts.list_cuts(root)] == [active]
    return [str(f) for f in caught.value.errors]


def set_cell(name: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    """An edit of one cell (0-based data row) of one file of an export."""
    def change(export: Path) -> None:
        edit(export / name, lambda f: f.assign(**{column: f[column].where(f.index != row, value)}))
    return change


def test_missing_dm(export, root, config, audit):
    (export / "dm.csv").unlink()
    assert "dm: the export has no DM file (dm.csv or dm.xpt); DM is required" in refused(export, root, config)
    assert audit[-1][0] == "cut_rejected" and audit[-1][2]["errors"] >= 1


def test_missing_required_column(export, root, config):
    edit(export / "ae.csv", lambda f: f.drop(columns="AEDECOD"))
    assert refused(export, root, config) == ["ae.csv, column AEDECOD: required column AEDECOD is missing"]


def test_duplicate_usubjid_in_dm(export, root, config):
    edit(export / "dm.csv", lambda f: pd.concat([f, f.iloc[[2]]], ignore_index=True))
    assert refused(export, root, config) == [
        "dm.csv row 3 (USUBJID NCT05019287-01-003), column USUBJID: duplicate USUBJID: rows 3 and 13"]


def test_ae_for_subject_not_in_dm(export, root, config):
    set_cell("ae.csv", 4, "USUBJID", "NCT05019287-01-999")(export)
    assert refused(export, root, config) == [
        "ae.csv row 5 (USUBJID NCT05019287-01-999, AESEQ 2), column USUBJID: record for a subject not in DM"]


def test_unparseable_date(export, root, config):
    set_cell("ae.csv", 13, "AESTDTC", "2021-13-45")(export)
    set_cell("ae.csv", 2, "AEENDTC", "2021-02-30")(export)
    assert refused(export, root, config) == [
        "ae.csv row 14 (USUBJID NCT05019287-01-005, AESEQ 2), column AESTDTC: unparseable date '2021-13-45'",
        "ae.csv row 3 (USUBJID NCT05019287-01-001, AESEQ 3), column AEENDTC: unparseable date '2021-02-30'"]


def test_cp1252_text_warns_and_loads(export, root, config):
    data = (export / "ae.csv").read_bytes()
    (export / "ae.csv").write_bytes(data.replace(b"Headache", b"Mig\xe8ne", 1))
    manifest = load_cut(export, NEW_DATE, "", "bob", config, root=root)
    assert cuts.active_cut_id(root) == manifest.cut_id
    warnings = cuts.read_cut_warnings(manifest.cut_id, root)
    warnings = warnings[warnings["file"] == "ae.csv"].reset_index(drop=True)   # not the configuration's checks
    assert warnings["kind"].tolist() == ["cp1252 fallback"]
    assert warnings["message"][0].startswith("not valid UTF-8 (first at byte offset")
    assert "Mig\u00e8ne" in set(cuts.read_clinical_domains(manifest.cut_id, root)["AE"]["AETERM"])


def test_undecodable_text(export, root, config):
    data = (export / "ae.csv").read_bytes()
    offset = data.index(b"Headache")
    (export / "ae.csv").write_bytes(data[:offset] + b"\x81\x8d" + data[offset + 2:])
    row = data.count(b"\n", 0, offset)
    assert refused(export, root, config) == [
        f"ae.csv: undecodable text at byte offset {offset} (row {row}): neither UTF-8 nor cp1252"]


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n"])
def test_empty_file(export, root, config, content):
    (export / "vs.csv").write_bytes(content)
    assert refused(export, root, config) == ["vs.csv: empty file (no header row)"]


def test_non_numeric_lab_value_warns_and_loads(export, root, config):
    set_cell("lb.csv", 6, "LBSTRESN", "see comment")(export)
    set_cell("lb.csv", 7, "LBORRES", "<0.5")(export)
    manifest = load_cut(export, NEW_DATE, "", "bob", config, root=root)
    warnings = cuts.read_cut_warnings(manifest.cut_id, root)
    assert warnings["message"].tolist() == ["value 'see comment' is not a number; stored as missing"]
    lb = cuts.read_clinical_domains(manifest.cut_id, root)["LB"]
    assert pd.isna(lb.loc[6, "LBSTRESN"]) and lb.loc[7, "LBORRES"] == "<0.5"


def test_randomization_row_for_unknown_subject(export, root, config):
    edit(export / "randomization.csv", lambda f: pd.concat(
        [f, pd.DataFrame([{"USUBJID": "NCT05019287-01-777", "ARMCD": "PBO", "ARM": "Saline placebo",
                           "RANDDTC": "2021-05-01", "RANDNO": "R9999"}])], ignore_index=True))
    assert refused(export, root, config) == ["randomization.csv row 11 (USUBJID NCT05019287-01-777), column USUBJID: "
                                             "randomization row for a subject not in DM"]


def test_subject_randomized_twice(export, root, config):
    def twice(f: pd.DataFrame) -> pd.DataFrame:
        again = f.iloc[[1]].copy()
        again["ARMCD"] = "PBO" if f.loc[1, "ARMCD"] == "MENSC" else "MENSC"
        return pd.concat([f, again], ignore_index=True)
    edit(export / "randomization.csv", twice)
    errors = refused(export, root, config)
    assert "randomization.csv row 2 (USUBJID NCT05019287-01-002), column ARMCD: subject randomized twice to " \
           "different arms: rows 2 and 11" in errors
    assert not any("MENSC" in e or "PBO" in e for e in errors)


def test_dm_armcd_contradicts_randomization_list(export, root, config):
    listed = pd.read_csv(export / "randomization.csv", dtype=str)
    other = "PBO" if listed.loc[3, "ARMCD"] == "MENSC" else "MENSC"
    set_cell("dm.csv", 3, "ARMCD", other)(export)
    errors = refused(export, root, config)
    assert errors == ["dm.csv row 4 (USUBJID NCT05019287-01-004), column ARMCD: DM.ARMCD contradicts the "
                      "randomization list (value withheld: allocation)"]


def test_arm_code_not_in_configuration(export, root, config):
    set_cell("randomization.csv", 0, "ARMCD", "ACTIVE")(export)
    set_cell("dm.csv", 0, "ARMCD", "ACTIVE")(export)
    errors = refused(export, root, config)
    assert "randomization.csv row 1 (USUBJID NCT05019287-01-001), column ARMCD: arm code not in the trial " \
           "configuration (value withheld: allocation)" in errors and not any("ACTIVE" in e for e in errors)


def test_wrong_study_id(export, root, config):
    edit(export / "lb.csv", lambda f: f.assign(STUDYID="NCT99999999"))
    errors = refused(export, root, config)
    assert errors[0] == ("lb.csv row 1 (USUBJID NCT05019287-01-001, LBSEQ 1), column STUDYID: STUDYID "
                         "'NCT99999999' is not the configured study 'NCT05019287'")
    assert errors[-1] == "lb.csv, column STUDYID: 570 more rows with the same problem (wrong STUDYID)"
    assert len(errors) == 201


def test_all_problems_reported_at_once(export, root, config, capsys, monkeypatch):
    monkeypatch.setenv("DSMB_DATA_ROOT", str(root))
    set_cell("ae.csv", 0, "AESTDTC", "yesterday")(export)
    edit(export / "pr.csv", lambda f: f.drop(columns="PRTRT"))
    set_cell("lb.csv", 0, "LBSTRESN", "n/a")(export)
    (export / "notes.txt").write_text("x")
    assert main(["cuts", "load", str(export), "--cut-date", NEW_DATE]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("2 error(s):\n  ae.csv row 1")
    assert "column PRTRT: required column PRTRT is missing" in captured.out
    assert "2 warning(s):" in captured.out and "1 x notes.txt: unknown file ignored" in captured.out
    assert f"the active cut is unchanged ({cuts.active_cut_id(root)})" in captured.err


def _child(args: list[str], root: Path, hold: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "DSMB_DATA_ROOT": str(root), "PYTHONPATH": str(PROJECT_ROOT)}
    if hold:
        env["HOLD_FILE"] = str(hold)
    return subprocess.Popen([sys.executable, "-c", CHILD, "cuts", *args], env=env, cwd=PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(path: Path, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the loader never reached write_snapshot"
        time.sleep(0.02)


def test_loader_killed_half_way(export, root, config, tmp_path):
    good = cuts.active_cut_id(root)
    hold = tmp_path / "hold"
    child = _child(["load", str(export), "--cut-date", NEW_DATE], root, hold)
    _wait_for(Path(f"{hold}.ready"), child)
    assert list(cuts.cuts_dir(root).glob(".staging-*"))
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert cuts.active_cut_id(root) == good
    assert [m.cut_id for m in cuts.list_cuts(root)] == [good]
    manifest = load_cut(export, NEW_DATE, "", "bob", config, root=root)
    assert cuts.active_cut_id(root) == manifest.cut_id
    assert not list(cuts.cuts_dir(root).glob(".staging-*"))


def test_two_loads_at_once(export, root, tmp_path):
    hold = tmp_path / "hold"
    first = _child(["load", str(export), "--cut-date", NEW_DATE], root, hold)
    _wait_for(Path(f"{hold}.ready"), first)
    second = _child(["load", str(export), "--cut-date", "2021-06-02"], root)
    _, err = second.communicate(timeout=60)
    assert second.returncode == 1 and "another cut is being loaded" in err
    hold.touch()
    out, _ = first.communicate(timeout=60)
    assert first.returncode == 0, out
    assert cuts.active_cut_id(root) in out and cuts.active_cut_id(root).startswith(NEW_DATE)
    assert len(cuts.list_cuts(root)) == 2
