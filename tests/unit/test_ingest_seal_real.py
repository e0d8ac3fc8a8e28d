"""Sealing exports as real trials deliver them: no randomization date, terminology in any case, trial design."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from dashboard import blinding
from dashboard.config import load_trial_config
from dashboard.ingest.convert import type_table
from dashboard.ingest.findings import Findings
from dashboard.ingest.readers import TEXT, SourceTable
from dashboard.ingest.seal import seal

S1, S2, S3, S4, S5, S6 = (f"NCT05019287-01-00{i}" for i in range(1, 7))
ARM_VALUES = ("MENSC", "PBO", "MenSC secretome", "Saline placebo", "mensc", "pbo")


@pytest.fixture(scope="module")
def config():
    return load_trial_config()


def source(domain: str, **columns: list[str | None]) -> SourceTable:
    table = pa.table({k: pa.array(v, type=TEXT) for k, v in columns.items()})
    return SourceTable(domain, f"{domain.lower()}.xpt", type_table(SourceTable(domain, "", table), Findings()))


def dm(armcd: list[str | None], **extra: list[str | None]) -> SourceTable:
    n = len(armcd)
    return source("DM", STUDYID=["NCT05019287"] * n, USUBJID=[S1, S2, S3, S4, S5, S6][:n], SITEID=["01"] * n,
                  ARMCD=armcd, **extra)


def sealed(tables: dict[str, SourceTable], config) -> tuple[pd.DataFrame, pd.DataFrame, Findings]:
    findings = Findings()
    export = seal(tables, config, findings=findings)
    return export.clinical["DM"].to_pandas(), export.sealed["allocation"].to_pandas(), findings


def assert_quotes_no_arm(findings: Findings) -> None:
    for finding in findings.items:
        assert not any(value in str(finding) for value in ARM_VALUES), str(finding)


@pytest.mark.parametrize("with_ds", [True, False])
def test_allocation_only_in_dm_without_randomized_rows_loads_with_dates_from_rfstdtc(config, with_ds):
    """No randomization list, no DS RANDOMIZED row: this crashed in _split_dm (mapping an empty date series)."""
    tables = {"DM": dm(["MENSC", "PBO", "SCRNFAIL"], RFSTDTC=["2021-04-20", "2021-04-22", None])}
    if with_ds:
        tables["DS"] = source("DS", USUBJID=[S1, S3], DSSEQ=["1", "1"], DSDECOD=["COMPLETED", "SCREEN FAILURE"],
                              DSSTDTC=["2021-09-01", "2021-04-01"])
    frame, allocation, findings = sealed(tables, config)
    assert frame["RANDDTC"].tolist()[:2] == ["2021-04-20", "2021-04-22"] and pd.isna(frame["RANDDTC"].iloc[2])
    assert frame["RANDDT"].tolist()[:2] == [pd.Timestamp("2021-04-20"), pd.Timestamp("2021-04-22")]
    assert allocation["ARMCD"].tolist() == ["MENSC", "PBO", "SCRNFAIL"]
    assert [f.message for f in findings.warnings if f.kind != "allocation from DM"] == [
        "no randomization date in the export (no randomization list RANDDTC, no DM RANDDTC): used instead "
        "DM RFSTDTC for 2 subject(s)"]


def test_stand_in_dates_follow_ds_rfstdtc_rfxstdtc_first_ex_and_undated_subjects_are_named(config):
    tables = {
        "DM": dm(["MENSC", "PBO", "MENSC", "PBO", "MENSC", "SCRNFAIL"],
                 RFSTDTC=["2021-05-01", "2021-05-02", None, None, None, None],
                 RFXSTDTC=["2021-06-01", "2021-06-02", "2021-06-03", None, None, None]),
        "DS": source("DS", USUBJID=[S1, S6], DSSEQ=["1", "1"], DSDECOD=["Randomized", "SCREEN FAILURE"],
                     DSSTDTC=["2021-04-20", "2021-04-19"]),
        "EX": source("EX", USUBJID=[S4, S4, S6], EXSEQ=["2", "1", "1"], EXTRT=["X", "X", "X"],
                     EXSTDTC=["2021-07-09", "2021-07-04", "2021-07-01"]),
    }
    frame, _, findings = sealed(tables, config)
    expected = ["2021-04-20", "2021-05-02", "2021-06-03", "2021-07-04", None, None]
    assert [None if pd.isna(v) else v for v in frame["RANDDTC"]] == expected
    assert frame["RANDDT"].tolist()[:4] == [pd.Timestamp(v) for v in expected[:4]]
    messages = [(f.message, f.usubjid) for f in findings.warnings if f.kind != "allocation from DM"]
    assert messages[0] == (
        "no randomization date in the export (no randomization list RANDDTC, no DM RANDDTC): used instead "
        "DS RANDOMIZED DSSTDTC for 1 subject(s), DM RFSTDTC for 1 subject(s), DM RFXSTDTC for 1 subject(s), "
        "the first EX EXSTDTC for 1 subject(s)", None)
    # Only the randomized subject with no date is named: the screen failure needs none.
    dated = [f for f in findings.warnings if f.kind != "allocation from DM"]
    assert [(f.usubjid, f.row) for f in dated[1:]] == [(S5, 5)]
    assert_quotes_no_arm(findings)


def test_a_randomization_list_date_needs_no_stand_in(config):
    listing = source("RANDOMIZATION", USUBJID=[S1, S2], ARMCD=["MENSC", "PBO"], RANDDTC=["2021-04-20", None])
    frame, _, findings = sealed({"DM": dm(["MENSC", "PBO"], RFSTDTC=["2021-05-01", "2021-05-02"]),
                                 "RANDOMIZATION": listing}, config)
    assert frame["RANDDTC"].tolist() == ["2021-04-20", "2021-05-02"]
    assert [f.message.split(": ")[-1] for f in findings.warnings] == ["used instead DM RFSTDTC for 1 subject(s)"]


def test_terminology_in_any_case_is_matched_normalized_and_stored_as_delivered(config):
    tables = {"DM": dm(["mensc", " Pbo ", "Scrnfail", "NotAssgn", "SCREEN FAILURE"],
                       RFSTDTC=["2021-04-20", "2021-04-21", None, None, None]),
              "DS": source("DS", USUBJID=[S4], DSSEQ=["1"], DSDECOD=[" screen  failure"])}
    frame, allocation, findings = sealed(tables, config)
    assert frame["RANDFL"].tolist() == ["Y", "Y", "N", "N", "N"]
    assert frame["SCRNFFL"].tolist() == ["N", "N", "Y", "Y", "Y"]
    assert allocation["ARMCD"].tolist() == ["mensc", " Pbo ", "Scrnfail", "NotAssgn", "SCREEN FAILURE"]
    # No ARM delivered: the label of the configured arm the code matches.
    assert allocation["ARM"].tolist()[:2] == ["MenSC secretome", "Saline placebo"]
    assert allocation["ARM"].isna().tolist()[2:] == [True] * 3
    assert_quotes_no_arm(findings)


def test_blinding_maps_a_code_in_any_case_to_the_configured_arm(config, monkeypatch):
    allocation = pd.DataFrame({"USUBJID": [S1, S2, S3, S4], "ARMCD": ["mensc", " Pbo", "Scrnfail", "PBO"],
                               "ACTARMCD": ["Pbo ", "pbo", None, "notTrt"]}, dtype="str")
    monkeypatch.setattr(blinding, "_allocation", lambda cut_id, root: allocation)
    planned = blinding._arm_of("cut", None, config, coded=False)
    assert planned.to_dict() == {S1: "MenSC secretome", S2: "Saline placebo", S4: "Saline placebo"}
    from coding_key_support import coded_demo_config      # the board's labels come with the cut (coding.csv)

    actual = blinding._arm_of("cut", None, coded_demo_config(), coded=True, actual=True)
    assert actual.to_dict() == {S1: "Group A", S2: "Group A", S4: "Group A"}


def test_trial_design_domains_other_than_ta_tv_stay_whole_in_the_clinical_part(config):
    ts = source("TS", STUDYID=["NCT05019287"] * 2, TSPARMCD=["TRT", "COMPTRT"], TSVAL=["SECRETOME", "SALINE"])
    te = source("TE", STUDYID=["NCT05019287"] * 2, ETCD=["SCRN", "TRT"], ELEMENT=["Screening", "Secretome"])
    ta = source("TA", STUDYID=["NCT05019287"], ARMCD=["MENSC"], ARM=["MenSC secretome"], ETCD=["TRT"])
    ti = source("TI", STUDYID=["NCT05019287"], IETESTCD=["IN01"], IETEST=["Age 18 or over"])
    export = seal({"DM": dm(["MENSC"], RFSTDTC=["2021-04-20"]), "TS": ts, "TE": te, "TA": ta, "TI": ti}, config)
    for domain, table in (("TS", ts), ("TE", te), ("TI", ti)):
        assert export.clinical[domain].equals(table.table), domain
        assert domain not in export.sealed and domain not in export.carries_allocation
    assert export.sealed["TA"].equals(ta.table) and "TA" not in export.clinical


def test_a_supp_qnam_whose_values_name_an_arm_in_any_case_or_inside_text_is_sealed():
    import pyarrow as pa

    from dashboard.ingest.seal import _split_supp

    supp = pa.table({"RDOMAIN": ["AE"] * 4, "USUBJID": [S1, S2, S1, S2], "QNAM": ["AETRT", "AETRT", "AENOTE", "AENOTE"],
                     "QVAL": [" saline placebo", "MENSC SECRETOME", "reaction to MenSC secretome", "none"]})
    needles = pa.array(["MENSC", "PBO", "MenSC secretome", "Saline placebo"])
    open_part, sealed_part = _split_supp(supp, needles)
    assert open_part.num_rows == 0 and sealed_part.num_rows == 4   # whole QNAMs: the rows left would mark the arm
    plain = pa.table({"RDOMAIN": ["AE"], "USUBJID": [S1], "QNAM": ["AENOTE"], "QVAL": ["headache resolved"]})
    assert _split_supp(plain, needles)[0].num_rows == 1
