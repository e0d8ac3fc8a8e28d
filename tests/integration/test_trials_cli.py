"""`python -m dashboard trials draft / check` on the public pharmaverse SDTM export and on the demo export."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
from support import PILOT_SDTM

from dashboard.cli import main
from dashboard.config import PROJECT_ROOT, load_trial_config
from dashboard.demo import generate_export

PILOT = PILOT_SDTM
PILOT_CONFIG = PROJECT_ROOT / "data" / "trials" / "CDISCPILOT01.toml"
DEMO = PROJECT_ROOT / "data" / "exports" / "NCT05019287" / "final"
DEMO_CONFIG = PROJECT_ROOT / "data" / "trials" / "NCT05019287.toml"



def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def pilot(name: str) -> pd.DataFrame:
    return pyreadstat.read_xport(str(PILOT / f"{name}.xpt"))[0]


def test_draft_of_the_pilot_export_is_accepted_and_checks_clean(tmp_path, capsys):
    out = tmp_path / "pilot.toml"
    code, printed, _ = run(capsys, "trials", "draft", str(PILOT), "--out", str(out))
    assert code == 0 and "guessed value(s)" in printed
    config = load_trial_config(out)
    dm, ts = pilot("dm"), pilot("ts")
    real = dm[~dm["ARMCD"].str.strip().str.upper().isin(["SCRNFAIL", "NOTASSGN"])]
    assert sorted(config.arm_codes) == sorted(real["ARMCD"].unique())
    assert [a.coded_label for a in config.arms] == ["", "", ""]   # the coding key comes with each cut, sealed
    assert "coded_label =" not in out.read_text(encoding="utf-8")
    assert config.reference_arm.label == "Placebo"
    assert config.target_enrollment == int(ts.loc[ts["TSPARMCD"] == "PLANSUB", "TSVAL"].iloc[0])
    assert config.sites == tuple(sorted(dm["SITEID"].unique()))
    assert config.first_randomization_planned.isoformat() == real["RFSTDTC"].min()
    assert config.regimen == "continuous" and config.planned_duration_days == 26 * 7
    sv = pilot("sv")
    scheduled = sv[~sv["VISIT"].str.upper().str.contains("UNSCHED")].drop_duplicates("VISITNUM")
    assert [v.num for v in config.visits] == sorted(scheduled["VISITNUM"])
    text = out.read_text()
    assert not any(subject in text for subject in dm["USUBJID"])        # design only, never allocation
    assert "kept from blinded staff" in text and "# guessed:" in text
    code, printed, _ = run(capsys, "trials", "check", str(out), str(PILOT))
    assert code == 0 and "0 error(s)" in printed


def test_the_reviewed_pilot_configuration_checks_without_errors(capsys):
    code, printed, _ = run(capsys, "trials", "check", str(PILOT_CONFIG), str(PILOT))
    assert code == 0, printed
    assert "safety lab test code 'AST' has no record" in printed
    assert "(9.1, 'UNSCHEDULED 9.1') carry the number of configured visit (9.1, 'WEEK 14 (T)')" in printed


def test_check_refuses_a_configuration_whose_arms_and_units_contradict_the_pilot(tmp_path, capsys):
    text = PILOT_CONFIG.read_text(encoding="utf-8")
    text = text.replace('code = "Xan_Hi"', 'code = "Xan_Mid"').replace('unit = "umol/L"', 'unit = "mg/dL"')
    changed = tmp_path / "changed.toml"
    changed.write_text(text, encoding="utf-8")
    code, printed, _ = run(capsys, "trials", "check", str(changed), str(PILOT))
    assert code == 1
    assert "1 arm code(s) not in the configuration (value withheld: allocation)" in printed
    assert "configured arm 'Xan_Mid' has no subject in ARMCD" in printed
    lb = pilot("lb")
    bili = (lb["LBTESTCD"] == "BILI") & lb["LBSTRESN"].notna()
    assert f"{int(bili.sum())} in 'umol/L'" in printed
    assert not re.search(r"'Xan_Hi'", printed)                          # a delivered code is never quoted


def test_demo_export_checks_without_errors_and_a_draft_of_it_loads(tmp_path, capsys):
    code, printed, _ = run(capsys, "trials", "check", str(DEMO_CONFIG), str(DEMO))
    assert code == 0 and "0 error(s)" in printed
    out = tmp_path / "demo.toml"
    assert run(capsys, "trials", "draft", str(DEMO), "--out", str(out))[0] == 0
    drafted = load_trial_config(out)
    configured = load_trial_config(DEMO_CONFIG)
    assert set(drafted.arm_codes) == set(configured.arm_codes) and drafted.regimen == "infusions"
    assert [(v.num, v.name) for v in drafted.visits] == [(v.num, v.name) for v in configured.visits]
    assert "CT" in drafted.custom_domains
    code, _, err = run(capsys, "trials", "draft", str(DEMO), "--out", str(out))
    assert code == 1 and "exists" in err                                # never overwritten silently


def test_demo_variants_visits_by_day_map_by_name_and_contradictions_are_refused(tmp_path, capsys):
    config = load_trial_config(DEMO_CONFIG)
    generate_export(config, tmp_path, cut_date="2021-06-30", messy=("visitnum-days", "contradictory"))
    code, printed, _ = run(capsys, "trials", "check", str(DEMO_CONFIG), str(tmp_path / "visitnum-days"))
    assert code == 0 and "mapped by visit name" in printed
    code, printed, _ = run(capsys, "trials", "check", str(DEMO_CONFIG), str(tmp_path / "contradictory"))
    assert code == 1 and "cannot be mapped by name" in printed


def test_check_of_an_unusable_configuration_says_why(tmp_path, capsys):
    broken = tmp_path / "broken.toml"
    shutil.copy(DEMO_CONFIG, broken)
    broken.write_text(broken.read_text().replace("target = 29", "target = -1"))
    code, _, err = run(capsys, "trials", "check", str(broken), str(DEMO))
    assert code == 1 and "enrollment.target" in err
