"""A stored cut is served only while its files are exactly what was written."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
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
    target = cuts.cut_dir(cut_id, root) / cuts.CLINICAL_DIRNAME / "AE.arrow"
    os.chmod(target, 0o644)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(cuts.CutIntegrityError, match="AE.arrow has changed"):
        blinding.trial_data(cut_id, Access.BLINDED, load_trial_config(), root)


def test_an_added_clinical_file_is_refused(loaded):
    root, cut_id = loaded
    folder = cuts.cut_dir(cut_id, root) / cuts.CLINICAL_DIRNAME
    (folder / "XX.arrow").write_bytes((folder / "AE.arrow").read_bytes())
    with pytest.raises(cuts.CutIntegrityError, match="added or removed"):
        cuts.read_clinical_domains(cut_id, root)


def test_a_changed_allocation_file_is_refused(loaded):
    root, cut_id = loaded
    target = cuts.cut_dir(cut_id, root) / cuts.SEALED_DIRNAME / "allocation.arrow"
    os.chmod(target, 0o644)
    target.write_bytes(target.read_bytes() + b"\0")
    with pytest.raises(cuts.CutIntegrityError):
        blinding.trial_data(cut_id, Access.UNBLINDED, load_trial_config(), root)


def _rewrite_as_parquet(folder) -> None:
    """Turn one part of a cut into the parquet files (and checksums) that cuts were written in before Arrow IPC."""
    checksums = {}
    for name in cuts.read_checksums(folder):
        source = folder / name
        target = source.with_suffix(cuts.PARQUET_SUFFIX)
        pq.write_table(pa.ipc.open_file(source).read_all(), target)
        os.chmod(source, 0o644)
        source.unlink()
        checksums[target.name] = hashlib.sha256(target.read_bytes()).hexdigest()
    os.chmod(folder / cuts.CHECKSUMS_FILE, 0o644)
    (folder / cuts.CHECKSUMS_FILE).write_text(json.dumps(checksums), encoding="utf-8")


def test_a_cut_written_as_parquet_is_still_served_and_verified(loaded):
    root, cut_id = loaded
    before = {access: blinding.trial_data(cut_id, access, load_trial_config(), root) for access in Access}
    expected = {access: (data.domain("AE"), getattr(data, "arm_of", None)) for access, data in before.items()}
    blinding.clear_caches()
    for part in (cuts.CLINICAL_DIRNAME, cuts.SEALED_DIRNAME):
        _rewrite_as_parquet(cuts.cut_dir(cut_id, root) / part)
    for access in Access:
        data = blinding.trial_data(cut_id, access, load_trial_config(), root)
        pd.testing.assert_frame_equal(data.domain("AE"), expected[access][0])
        if expected[access][1] is not None:
            pd.testing.assert_series_equal(data.arm_of, expected[access][1])
    blinding.clear_caches()
    target = cuts.cut_dir(cut_id, root) / cuts.CLINICAL_DIRNAME / "AE.parquet"
    target.write_bytes(target.read_bytes() + b"\0")
    with pytest.raises(cuts.CutIntegrityError, match="AE.parquet has changed"):
        blinding.trial_data(cut_id, Access.BLINDED, load_trial_config(), root)
