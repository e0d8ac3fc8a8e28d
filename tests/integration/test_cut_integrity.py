"""A stored cut is served only while its files are exactly what was written."""

from __future__ import annotations

import os
import stat

import pytest
from support import DEMO_EXPORTS

from dashboard import blinding, cuts
from dashboard.blinding import Access
from dashboard.config import load_trial_config
from dashboard.ingest.load import load_cut


@pytest.fixture
def loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("DSMB_DATABASE_URL", f"sqlite:///{tmp_path}/audit.sqlite")
    root = tmp_path / "data"
    manifest = load_cut(DEMO_EXPORTS / "interim", "2021-05-10", "Interim", "tester", load_trial_config(), root=root)
    blinding.clear_caches()
    yield root, manifest.cut_id
    blinding.clear_caches()


def test_snapshot_files_are_read_only(loaded):
    root, cut_id = loaded
    folder = cuts.cut_dir(cut_id, root)
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files and all(not (p.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)) for p in files)


def test_a_changed_clinical_file_is_refused(loaded):
    root, cut_id = loaded
    target = cuts.cut_dir(cut_id, root) / cuts.CLINICAL_DIRNAME / "AE.parquet"
    os.chmod(target, 0o644)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(cuts.CutIntegrityError, match="AE.parquet has changed"):
        blinding.trial_data(cut_id, Access.BLINDED, load_trial_config(), root)


def test_an_added_clinical_file_is_refused(loaded):
    root, cut_id = loaded
    folder = cuts.cut_dir(cut_id, root) / cuts.CLINICAL_DIRNAME
    (folder / "XX.parquet").write_bytes((folder / "AE.parquet").read_bytes())
    with pytest.raises(cuts.CutIntegrityError, match="added or removed"):
        cuts.read_clinical_domains(cut_id, root)


def test_a_changed_allocation_file_is_refused(loaded):
    root, cut_id = loaded
    target = cuts.cut_dir(cut_id, root) / cuts.SEALED_DIRNAME / "allocation.parquet"
    os.chmod(target, 0o644)
    target.write_bytes(target.read_bytes() + b"\0")
    with pytest.raises(cuts.CutIntegrityError):
        blinding.trial_data(cut_id, Access.UNBLINDED, load_trial_config(), root)
