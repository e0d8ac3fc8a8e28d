"""The coding key (which arm the board sees as which group): validated from coding.csv, never in the configuration
of NCT05019287, and read through `dashboard.blinding` only."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from dashboard import blinding
from dashboard.config import DEFAULT_TRIAL_CONFIG, ConfigError, load_trial_config, parse_trial_config
from dashboard.demo.generator import DEFAULT_SEED, coding_frame
from dashboard.ingest.coding import CODING_FILE, check_coding, coding_path, read_coding
from dashboard.ingest.findings import Findings

CONFIG = load_trial_config()          # NCT05019287: MENSC "MenSC secretome", PBO "Saline placebo" (reference)
SECRETS = ("MENSC", "PBO", "MenSC secretome", "Saline placebo", "Group A", "Group B", "Group Z")


def _key(tmp_path: Path, text: str) -> tuple[object, Findings]:
    path = tmp_path / CODING_FILE
    path.write_text(text, encoding="utf-8")
    findings = Findings()
    return read_coding(path, CONFIG, findings), findings


def _errors(findings: Findings) -> list[tuple[str, int | None, str | None]]:
    return [(f.file, f.row, f.column) for f in findings.errors]


def _quote_nothing(findings: Findings) -> None:
    for finding in findings.items:
        assert not any(secret.lower() in str(finding).lower() for secret in SECRETS), str(finding)


def test_a_valid_key_is_read_with_codes_spelled_as_configured(tmp_path):
    key, findings = _key(tmp_path, "armcd , coded_label\n mensc ,Group B\nPBO, Group A \n")
    assert not findings.items
    assert dict(zip(key.table["ARMCD"], key.table["CODED_LABEL"])) == {"MENSC": "Group B", "PBO": "Group A"}
    assert len(key.sha256) == 64


def test_a_duplicate_coded_label_is_refused_with_file_row_and_column(tmp_path):
    key, findings = _key(tmp_path, "ARMCD,CODED_LABEL\nMENSC,Group A\nPBO,group a\n")
    assert key is None
    assert _errors(findings) == [("coding.csv", 2, "CODED_LABEL")]
    assert "row 1" in findings.errors[0].message
    _quote_nothing(findings)


def test_an_arm_coded_twice_or_not_at_all_and_an_unknown_code_are_refused(tmp_path):
    key, findings = _key(tmp_path, "ARMCD,CODED_LABEL\nMENSC,Group A\nmensc,Group B\nXYZ,Group Z\n")
    assert key is None
    assert _errors(findings) == [("coding.csv", 2, "ARMCD"), ("coding.csv", 3, "ARMCD"), ("coding.csv", None, "ARMCD")]
    assert "configured arm 2" in findings.errors[2].message          # PBO, named by its position only
    _quote_nothing(findings)


def test_a_coded_label_that_names_an_arm_is_refused(tmp_path):
    key, findings = _key(tmp_path, "ARMCD,CODED_LABEL\nMENSC,mensc\nPBO,Saline placebo group\n")
    assert key is None
    assert _errors(findings) == [("coding.csv", 1, "CODED_LABEL"), ("coding.csv", 2, "CODED_LABEL")]
    _quote_nothing(findings)


def test_blank_cells_and_missing_columns_are_refused(tmp_path):
    key, findings = _key(tmp_path, "ARMCD,CODED_LABEL\n,Group A\nPBO,\nMENSC,Group B\n")
    assert key is None and _errors(findings) == [("coding.csv", 1, "ARMCD"), ("coding.csv", 2, "CODED_LABEL")]
    key, findings = _key(tmp_path, "ARMCD,LABEL\nMENSC,Group A\n")
    assert key is None and _errors(findings) == [("coding.csv", None, "CODED_LABEL")]


def test_the_key_file_is_the_one_given_else_coding_csv_in_the_export(tmp_path):
    assert coding_path(tmp_path, None) is None
    (tmp_path / CODING_FILE).write_text("ARMCD,CODED_LABEL\n", encoding="utf-8")
    assert coding_path(tmp_path, None) == tmp_path / CODING_FILE
    assert coding_path(tmp_path, tmp_path / "elsewhere.csv") == tmp_path / "elsewhere.csv"


def test_a_symbolic_link_as_key_is_refused(tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("ARMCD,CODED_LABEL\nMENSC,Group B\nPBO,Group A\n", encoding="utf-8")
    (tmp_path / "link.csv").symlink_to(target)
    findings = Findings()
    assert read_coding(tmp_path / "link.csv", CONFIG, findings) is None and findings.errors


def test_check_coding_keeps_rows_in_order():
    table = pd.DataFrame({"ARMCD": ["PBO", "MENSC"], "CODED_LABEL": ["Group A", "Group B"]}, dtype="str")
    findings = Findings()
    assert check_coding("key.csv", table, CONFIG, findings)["ARMCD"].tolist() == ["PBO", "MENSC"]
    assert not findings.items


def test_the_demo_configuration_holds_no_coding_key():
    assert "coded_label" not in DEFAULT_TRIAL_CONFIG.read_text(encoding="utf-8")
    assert not CONFIG.has_coding and all(arm.coded_label == "" for arm in CONFIG.arms)


def _raw_arms(*arms: dict) -> dict:
    import tomllib
    raw = tomllib.loads(DEFAULT_TRIAL_CONFIG.read_text(encoding="utf-8"))
    raw["arms"] = list(arms)
    return raw


def test_a_configuration_codes_every_arm_or_none():
    partial = _raw_arms({"code": "MENSC", "label": "MenSC secretome", "coded_label": "Group B"},
                        {"code": "PBO", "label": "Saline placebo", "reference": True})
    with pytest.raises(ConfigError, match="every arm or for none"):
        parse_trial_config(partial)
    full = _raw_arms({"code": "MENSC", "label": "MenSC secretome", "coded_label": "Group B"},
                     {"code": "PBO", "label": "Saline placebo", "coded_label": "Group A", "reference": True})
    assert parse_trial_config(full).has_coding


def test_armed_configuration_carries_the_cuts_key_and_the_order_follows_it():
    armed = CONFIG.with_coding({"MENSC": "Group A", "PBO": "Group B"})
    assert armed.arm_label("PBO", coded=True) == "Group B" and armed.arm_label("PBO", coded=False) == "Saline placebo"
    assert blinding.arm_display_order(armed, coded=True) == ("Group A", "Group B")
    assert blinding.arm_display_order(armed, coded=False) == ("MenSC secretome", "Saline placebo")
    assert CONFIG.arms[0].coded_label == ""                   # the configuration itself is untouched


def test_without_any_key_the_statistician_gets_real_names_reference_first_and_the_board_nothing():
    assert blinding.arm_display_order(CONFIG, coded=False) == ("Saline placebo", "MenSC secretome")
    with pytest.raises(blinding.NoCodingKey):
        blinding.arm_display_order(CONFIG, coded=True)
    with pytest.raises(LookupError):
        CONFIG.arm_label("PBO", coded=True)


def test_demo_key_is_drawn_from_its_seed_unless_the_configuration_has_one():
    drawn = coding_frame(CONFIG, DEFAULT_SEED)
    assert dict(zip(drawn["ARMCD"], drawn["CODED_LABEL"])) == {"MENSC": "Group B", "PBO": "Group A"}
    assert sorted(coding_frame(CONFIG, 1)["CODED_LABEL"]) == ["Group A", "Group B"]
    own = dataclasses.replace(CONFIG, arms=tuple(dataclasses.replace(a, coded_label=f"Arm {i}")
                                                 for i, a in enumerate(CONFIG.arms)))
    assert coding_frame(own)["CODED_LABEL"].tolist() == ["Arm 0", "Arm 1"]


def test_discover_leaves_the_coding_key_to_its_reader_without_calling_it_unknown(tmp_path):
    """`trials draft`/`check` and the loader share `readers.discover`: coding.csv is neither a domain nor ignored."""
    from dashboard.ingest.findings import Findings
    from dashboard.ingest.readers import discover

    (tmp_path / "dm.csv").write_text("STUDYID,DOMAIN,USUBJID\nS,DM,S-1\n")
    (tmp_path / "coding.csv").write_text("ARMCD,CODED_LABEL\nA,Group A\n")
    (tmp_path / "notes.txt").write_text("x")
    findings = Findings()
    files = discover(tmp_path, frozenset(), findings)
    assert "CODING" not in files and "DM" in files
    assert [f.file for f in findings.items] == ["notes.txt"]
