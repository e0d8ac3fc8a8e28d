"""`trials draft` on an ADaM folder: a configuration that parses, arms from ADSL, dates from RANDDT, ADTTE listed."""

from __future__ import annotations

import random

import pandas as pd
from support import SHARED_EXPORTS

from dashboard.config import parse_trial_config
from dashboard.ingest.findings import Findings
from dashboard.trials.draft import draft_text

try:
    import tomllib
except ModuleNotFoundError:            # pragma: no cover
    import tomli as tomllib


def test_draft_from_random_cdisc_adam():
    folder = SHARED_EXPORTS / "random-cdisc-adam"
    findings = Findings()
    text = draft_text(folder, findings, random.Random(1))
    assert not findings.errors
    adsl = pd.read_sas(folder / "adsl.xpt", format="xport", encoding="utf-8")
    adtte = pd.read_sas(folder / "adtte.xpt", format="xport", encoding="utf-8")
    config = parse_trial_config(tomllib.loads(text), "draft")
    assert config.study_id == "AB12345"
    assert sorted(config.arm_codes) == sorted(adsl["ARMCD"].str.strip().unique())
    randdt = pd.Timestamp("1960-01-01") + pd.to_timedelta(adsl["RANDDT"], unit="D")     # SAS days
    assert config.first_randomization_planned == randdt.min().date()
    assert "earliest ADSL RANDDT" in text
    for code, part in adtte.groupby(adtte["PARAMCD"].str.strip()):
        events = int((part["CNSR"].abs() < 1e-70).sum())      # pandas reads an IBM zero as 5.4e-79
        assert f"#   {code}: " in text and f"{len(part)} records, {events} events (pooled)" in text


def test_draft_writes_the_adam_section():
    """[adam]: the efficacy flag ADSL delivers (else RANDFL), ANL01FL where a BDS dataset has it, one [[adam.tte]]
    per ADTTE PARAMCD labelled by its PARAM; the measures table commented out (the outcomes use PARAMCD)."""
    for folder, flag in (("random-cdisc-adam", "ITTFL"), ("pharmaverse-adam", "RANDFL")):
        text = draft_text(SHARED_EXPORTS / folder, Findings(), random.Random(1))
        adam = parse_trial_config(tomllib.loads(text), "draft").adam
        adtte = pd.read_sas(SHARED_EXPORTS / folder / "adtte.xpt", format="xport", encoding="utf-8")
        params = adtte.assign(PARAMCD=adtte["PARAMCD"].str.strip()).groupby("PARAMCD")["PARAM"].first().str.strip()
        assert adam.configured and adam.efficacy_flag == flag and adam.analysis_flag == "ANL01FL"
        assert [(p.paramcd, p.label) for p in adam.tte] == list(params.items())
        assert adam.measures == () and "# [adam.measures]" in text
