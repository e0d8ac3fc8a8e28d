"""What real SDTM exports contain: terminology in any case, SDTMIG core designations, trial design domains,
screen failures also randomized, records after the cut, symbolic links (issue 11)."""

from __future__ import annotations

import os

import pandas as pd
import pyarrow as pa
import pytest

from dashboard.config import load_trial_config
from dashboard.ingest.convert import type_table
from dashboard.ingest.findings import Findings, Severity
from dashboard.ingest.load import check_export
from dashboard.ingest.readers import TEXT, SourceTable, discover, map_file
from sample_export import write_sample_export
from dashboard.ingest.schema import CORE, DERIVED_COLUMNS, RANDOMIZATION, REQUIRED_COLUMNS, Core
from dashboard.ingest.validate import flag_dates_after_cut, validate

STUDY = "NCT05019287"
S1, S2, S3, S4 = (f"{STUDY}-01-00{i}" for i in range(1, 5))


@pytest.fixture(scope="module")
def config():
    return load_trial_config()


def source(domain: str, **columns: list[str | None]) -> SourceTable:
    table = pa.table({k: pa.array(v, type=TEXT) for k, v in columns.items()})
    name = "randomization.csv" if domain == RANDOMIZATION else f"{domain.lower()}.csv"
    return SourceTable(domain, name, type_table(SourceTable(domain, name, table), Findings()))


def dm(armcd: list[str | None], arm: list[str | None] | None = None, **more: list[str | None]) -> SourceTable:
    ids = [S1, S2, S3, S4][:len(armcd)]
    return source("DM", STUDYID=[STUDY] * len(ids), USUBJID=ids, ARMCD=armcd,
                  ARM=arm if arm is not None else [None] * len(ids), **more)


def found(config, *tables: SourceTable, severity: Severity = Severity.ERROR) -> list[tuple]:
    findings = Findings()
    validate({t.domain: t for t in tables}, config, findings)
    return [(f.file, f.row, f.usubjid, f.column, f.kind) for f in findings.items if f.severity is severity]


# 1. Controlled terminology compared normalized; stored values stay as delivered

def test_arm_codes_in_any_case_and_with_blanks_are_known(config):
    """`Scrnfail`, ` NOTASSGN`, `mensc ` are the configuration's and the standard's codes; without normalized
    comparison each would be an 'unknown arm code' error."""
    table = dm(["mensc ", " Scrnfail", "Notassgn", "Pbo"], ACTARMCD=["MENSC", "scrnfail", " Unplan", "notTrt"])
    assert found(config, table) == []
    assert table.table["ARMCD"].to_pylist() == ["mensc ", " Scrnfail", "Notassgn", "Pbo"]     # as delivered


def test_an_unknown_code_is_still_an_error_without_quoting_it(config):
    findings = Findings()
    validate({"DM": dm(["MENSC", "Mensc-X"])}, config, findings)
    assert [(f.row, f.column, f.kind) for f in findings.errors] == [(2, "ARMCD", "unknown arm code")]
    assert "Mensc-X" not in str(findings.errors[0])


def test_randomization_list_compared_normalized_with_dm(config):
    listed = source(RANDOMIZATION, USUBJID=[S1, S2], ARMCD=["pbo", " MENSC"])
    assert found(config, dm(["PBO", "mensc"]), listed) == []
    contradicting = found(config, dm(["MENSC", "mensc"]), listed)
    assert contradicting == [("dm.csv", 1, S1, "ARMCD", "arm contradicts list")]


def test_the_label_of_an_arm_coded_in_another_case_is_still_looked_for_in_open_columns(config):
    """DM codes `mensc` with a label the configuration does not know: the label is the export's name for a
    real arm, so an AE column holding it (in any case) must be refused."""
    tables = (dm(["mensc", "PBO"], ["Stem cell conditioned medium", "Saline placebo"]),
              source("AE", STUDYID=[STUDY] * 2, USUBJID=[S1, S2], AESEQ=["1", "1"], AEDECOD=["Fever", "Rash"],
                     AECOMM=["STEM CELL  conditioned medium", None]))
    assert ("ae.csv", None, None, "AECOMM", "arm values in an open column") in found(config, *tables)


def test_open_column_scan_matches_labels_in_any_case(config):
    tables = (dm(["MENSC", "PBO"]), source("AE", STUDYID=[STUDY] * 2, USUBJID=[S1, S2], AESEQ=["1", "1"],
                                           AEDECOD=["Fever", "Rash"], AECOMM=[" saline PLACEBO", None]))
    assert found(config, *tables) == [("ae.csv", None, None, "AECOMM", "arm values in an open column")]


# 2. Required columns follow the SDTMIG core designations

def test_only_req_variables_are_demanded():
    """Every demanded column of an SDTM domain is a Req variable of the declared SDTMIG table."""
    for domain, columns in REQUIRED_COLUMNS.items():
        if domain != RANDOMIZATION:
            assert all(CORE[domain][c] is Core.REQ for c in columns), domain


@pytest.mark.parametrize("domain, variable, core", [
    ("AE", "AESTDTC", Core.EXP), ("AE", "AETERM", Core.REQ), ("AE", "AEDECOD", Core.REQ),
    ("HO", "HOTERM", Core.REQ), ("HO", "HODECOD", Core.PERM), ("DS", "DSCAT", Core.EXP),
    ("DS", "DSDECOD", Core.REQ), ("EX", "EXSTDTC", Core.EXP), ("PR", "PRDECOD", Core.PERM),
    ("PR", "PRTRT", Core.REQ), ("SE", "ELEMENT", Core.PERM), ("SUPP", "IDVAR", Core.EXP),
])
def test_declared_designations_are_the_sdtmig_ones(domain, variable, core):
    assert CORE[domain][variable] is core


def test_derived_permissible_variables_come_from_req_ones():
    for domain, derived in DERIVED_COLUMNS.items():
        for target, origin in derived.items():
            assert CORE[domain][target] is Core.PERM and CORE[domain][origin] is Core.REQ


def _export(tmp_path, **edits) -> tuple:
    export = write_sample_export(tmp_path / "export")
    for name, change in edits.items():
        frame = pd.read_csv(export / f"{name}.csv", dtype=str, keep_default_na=False)
        change(frame).to_csv(export / f"{name}.csv", index=False)
    return export


def test_a_missing_expected_variable_is_a_warning_naming_file_and_column(tmp_path, config):
    export = _export(tmp_path, ae=lambda f: f.drop(columns=["AESTDTC"]), ds=lambda f: f.drop(columns=["DSCAT"]))
    findings = check_export(export, config)
    assert not findings.errors
    assert {(f.file, f.column) for f in findings.warnings if f.kind == "expected column missing"} == {
        ("ae.csv", "AESTDTC"), ("ds.csv", "DSCAT")}


def test_hodecod_missing_is_derived_from_hoterm_with_a_warning(tmp_path, config):
    from dashboard.ingest.load import read_export
    from dashboard.ingest.readers import read_raw

    export = _export(tmp_path, ho=lambda f: f.drop(columns=["HODECOD"]))
    findings = Findings()
    files = read_export(read_raw(discover(export, frozenset(config.custom_domains), findings)), config, findings)
    assert not findings.errors
    ho = files["HO"].source.table
    reported = pd.read_csv(export / "ho.csv", dtype=str)["HOTERM"].tolist()
    assert ho["HODECOD"].to_pylist() == reported
    assert ho.column_names.index("HODECOD") == ho.column_names.index("HOTERM") + 1
    assert [(f.file, f.column, f.kind) for f in findings.warnings] == [("ho.csv", "HODECOD", "derived column")]


def test_a_missing_req_variable_is_still_an_error(tmp_path, config):
    findings = check_export(_export(tmp_path, ho=lambda f: f.drop(columns=["HOTERM"])), config)
    assert [(f.file, f.column, f.kind) for f in findings.errors] == [("ho.csv", "HOTERM", "missing column")]


# 3. Trial design domains are read, never a reason to refuse

@pytest.mark.parametrize("domain, columns", [
    ("TS", {"TSSEQ": ["1", "2"], "TSPARMCD": ["TRT", "COMPTRT"], "TSVAL": ["MenSC secretome", "saline placebo"]}),
    ("TE", {"ETCD": ["E1", "E2"], "TESTRL": ["MenSC secretome", "Saline placebo"]}),
    ("TI", {"IETESTCD": ["IN01", "EX01"], "IETEST": ["MenSC secretome", "Saline placebo"]}),
    ("TD", {"TDORDER": ["1", "2"], "TDANCVAR": ["ANCH", "MENSC"]}),
    ("TM", {"MIDSTYPE": ["A", "B"], "TMDEF": ["Saline placebo given", "MENSC"]}),
])
def test_descriptive_trial_design_text_that_names_the_treatments_is_not_allocation(config, domain, columns):
    assert found(config, dm(["MENSC", "PBO"]), source(domain, STUDYID=[STUDY] * 2, DOMAIN=[domain] * 2,
                                                       **columns)) == []


def test_the_same_text_in_a_subject_domain_is_refused(config):
    """The control: the scan itself still runs on subject-level data."""
    co = source("CO", STUDYID=[STUDY], USUBJID=[S1], COSEQ=["1"], COVAL=["MenSC secretome"])
    assert found(config, dm(["MENSC", "PBO"]), co) == [("co.csv", None, None, "COVAL", "arm values in an open column")]


# 5. A screen failure who also appears as randomized is an error

def _ds(*rows: tuple[str, str]) -> SourceTable:
    return source("DS", STUDYID=[STUDY] * len(rows), USUBJID=[r[0] for r in rows],
                  DSSEQ=[str(i + 1) for i in range(len(rows))], DSDECOD=[r[1] for r in rows])


def test_screen_failure_in_ds_with_a_real_arm_in_dm(config):
    errors = Findings()
    validate({"DM": dm(["MENSC", "PBO"]), "DS": _ds((S2, "RANDOMIZED"), (S1, " Screen  failure"))}, config, errors)
    wrong = [f for f in errors.errors if f.kind == "screen failure randomized"]
    assert [(f.file, f.row, f.usubjid) for f in wrong] == [("dm.csv", 1, S1)]
    assert wrong[0].message == "recorded as a screen failure (ds.csv row 2 DSDECOD) and as randomized (dm.csv row 1 " \
                               "DM ARMCD (an arm))"
    assert "MENSC" not in str(wrong[0]) and "MenSC" not in str(wrong[0])


@pytest.mark.parametrize("dm_table, others", [
    (lambda: dm(["Scrnfail", "PBO"]), lambda: [_ds((S1, "randomized"))]),
    (lambda: dm([None, "PBO"], ARMNRS=["SCREEN FAILURE", None]),
     lambda: [source(RANDOMIZATION, USUBJID=[S1, S2], ARMCD=["MENSC", "PBO"])]),
    (lambda: dm(["MENSC", "PBO"], ["screen failure", "Saline placebo"]), list),
])
def test_screen_failure_in_dm_who_is_randomized_elsewhere(config, dm_table, others):
    tables = [dm_table(), *others()]
    assert [(row, subject) for _, row, subject, _, kind in found(config, *tables)
            if kind == "screen failure randomized"] == [(1, S1)]


def test_consistent_screen_failures_are_no_error(config):
    tables = (dm(["SCRNFAIL", "PBO"], ARMNRS=["SCREEN FAILURE", None]),
              _ds((S1, "SCREEN FAILURE"), (S2, "RANDOMIZED")),
              source(RANDOMIZATION, USUBJID=[S2], ARMCD=["PBO"]))
    assert found(config, *tables) == []


# 6. Records dated after the cut date: one summary warning per domain

def test_one_summary_per_domain_counts_the_records_the_pages_leave_out():
    starts = ["2021-05-01", "2021-06-02", "2021-06", "2021-07", None, "2021-06-01T23:00"]
    ae = source("AE", USUBJID=[S1] * 6, AESEQ=[str(i) for i in range(1, 7)], AESTDTC=starts,
                AEENDTC=["2021-07-01"] * 6)
    findings = Findings()
    flag_dates_after_cut({"AE": ae}, "2021-06-01", findings)
    # reference: a record is late when its start's earliest possible day is after the cut
    earliest = pd.to_datetime(pd.Series(starts).str.slice(0, 10).map(
        lambda v: v if not isinstance(v, str) or len(v) == 10 else (v + "-01")[:10] if len(v) == 7 else v + "-01-01"))
    late = int((earliest > pd.Timestamp("2021-06-01")).sum())
    summaries = [f for f in findings.warnings if f.kind == "records after cut (summary)"]
    assert late == 2
    assert [(f.file, f.message) for f in summaries] == [
        ("ae.csv", "2 records in AE dated after the cut date; they are excluded from every count")]


def test_per_row_warnings_of_a_late_date_keep_their_value_in_the_message():
    ae = source("AE", USUBJID=[S1, S1], AESEQ=["1", "2"], AESTDTC=["2021-05-01", "2021-06-02T10:00"])
    findings = Findings()
    flag_dates_after_cut({"AE": ae}, "2021-06-01", findings)
    assert [(f.row, f.message) for f in findings.warnings if f.kind == "date after cut"] == [
        (2, "dated 2021-06-02T10:00 after the cut date 2021-06-01")]


def test_a_death_after_the_cut_is_summarised_for_dm():
    findings = Findings()
    flag_dates_after_cut({"DM": dm(["MENSC", "PBO"], DTHDTC=["2021-06-05", "2021-05-30"])}, "2021-06-01", findings)
    assert [f.message for f in findings.warnings if f.kind == "records after cut (summary)"] == [
        "1 death in DM dated after the cut date; not counted (not yet known at the cut)"]


# 7. Symbolic links inside the export folder are refused, never followed

def test_a_symbolic_link_is_an_error_naming_the_file(tmp_path):
    outside = tmp_path / "secret.csv"
    outside.write_text("USUBJID,AESEQ,AEDECOD\nS,1,X\n")
    export = tmp_path / "export"
    export.mkdir()
    (export / "dm.csv").write_text("STUDYID,USUBJID,SITEID\nX,S,1\n")
    (export / "ae.csv").symlink_to(outside)
    findings = Findings()
    files = discover(export, frozenset(), findings)
    assert list(files) == ["DM"]
    assert [(f.file, f.kind) for f in findings.errors] == [("ae.csv", "symbolic link")]
    with pytest.raises(OSError):            # a file swapped for a link after discovery is not followed either
        map_file(export / "ae.csv")
    assert os.path.islink(export / "ae.csv")
