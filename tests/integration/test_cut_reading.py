"""Serving a cut reads its clinical part once: the signature over the manifest and the checksum file is checked
once per cache miss (it was checked three times: manifest, domains, warnings), and the pieces are the same."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from test_cut_integrity import loaded  # noqa: F401  (the interim demo cut in a fresh data root)

from dashboard import blinding, cut_signing, cuts
from dashboard.blinding import Access
from dashboard.config import load_trial_config


def test_a_cache_miss_checks_the_clinical_signature_once(loaded, monkeypatch):
    root, cut_id = loaded
    checked: list[str] = []
    real = cut_signing.is_valid

    def counting(text, key, cut, part, *rest):
        checked.append(part)
        return real(text, key, cut, part, *rest)

    monkeypatch.setattr(cut_signing, "is_valid", counting)
    blinding.trial_data(cut_id, Access.BLINDED, load_trial_config(), root)
    assert checked == [cuts.CLINICAL_DIRNAME]
    blinding.trial_data(cut_id, Access.BLINDED, load_trial_config(), root)      # cached: nothing read again
    assert checked == [cuts.CLINICAL_DIRNAME]


def test_the_clinical_part_is_what_its_pieces_are(loaded):
    root, cut_id = loaded
    manifest, domains, warnings = cuts.read_clinical_part(cut_id, root)
    assert manifest == cuts.verified_manifest(cut_id, root)
    part = cuts.read_verified_part(cuts.cut_dir(cut_id, root) / cuts.CLINICAL_DIRNAME)
    assert sorted(domains) == sorted(name for name in part if not name.startswith("_")) and "DM" in domains
    for name, frame in domains.items():
        pd.testing.assert_frame_equal(frame, part[name])
    pd.testing.assert_frame_equal(warnings, cuts.read_cut_warnings(cut_id, root))


def test_a_changed_manifest_is_refused(loaded):
    root, cut_id = loaded
    target = cuts.cut_dir(cut_id, root) / cuts.MANIFEST_FILE
    os.chmod(target, 0o644)
    target.write_text(target.read_text().replace('"Interim"', '"Final"'))
    with pytest.raises(cuts.CutIntegrityError, match="manifest"):
        cuts.read_clinical_part(cut_id, root)
