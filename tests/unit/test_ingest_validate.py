"""Checks of one export file against DM: subjects known, (USUBJID, --SEQ) unique, reported by row."""

from __future__ import annotations

import pyarrow as pa
import pytest

from dashboard.config import load_trial_config
from dashboard.ingest.convert import type_table
from dashboard.ingest.findings import Findings, Severity
from dashboard.ingest.readers import TEXT, SourceTable
from dashboard.ingest.validate import validate

S1, S2, S3 = (f"NCT05019287-01-00{i}" for i in range(1, 4))


@pytest.fixture(scope="module")
def config():
    return load_trial_config()


def source(domain: str, **columns: list[str | None]) -> SourceTable:
    table = pa.table({k: pa.array(v, type=TEXT) for k, v in columns.items()})
    return SourceTable(domain, f"{domain.lower()}.csv", type_table(SourceTable(domain, "", table), Findings()))


def dm() -> SourceTable:
    return source("DM", STUDYID=["NCT05019287"] * 3, USUBJID=[S1, S2, S3], ARMCD=["MENSC", "PBO", "MENSC"])


def ae(subjects: list[str], seqs: list[str]) -> SourceTable:
    return source("AE", STUDYID=["NCT05019287"] * len(subjects), USUBJID=subjects, AESEQ=seqs,
                  AETERM=["Headache"] * len(subjects))


def errors(config, *tables: SourceTable) -> list[tuple[str, int | None, str | None, str | None, str]]:
    findings = Findings()
    validate({t.domain: t for t in tables}, config, findings)
    return [(f.file, f.row, f.usubjid, f.column, f.kind) for f in findings.items if f.severity is Severity.ERROR]


def test_the_same_sequence_number_for_different_subjects_is_no_error(config):
    assert errors(config, dm(), ae([S1, S2, S3], ["1", "1", "1"])) == []


@pytest.mark.parametrize("subjects", [[S1, S2, S1], [S3, S1, S3], [S2, S2, S1]])
def test_a_repeated_subject_and_sequence_number_names_the_later_row_whatever_the_file_order(config, subjects):
    """Rows in another order than DM's must not hide a duplicate key (nor invent one)."""
    seqs = ["4", "4", "4"] if subjects[0] == subjects[2] else ["4", "4", "5"]
    repeated_row = 3 if subjects[0] == subjects[2] else 2
    assert errors(config, dm(), ae(subjects, seqs)) == [("ae.csv", repeated_row, subjects[repeated_row - 1], "AESEQ",
                                                         "duplicate key")]


def test_a_subject_missing_from_dm_is_named_and_keys_are_still_checked(config):
    stranger = "NCT05019287-09-999"
    found = errors(config, dm(), ae([S1, stranger, stranger], ["1", "2", "2"]))
    assert ("ae.csv", 2, stranger, "USUBJID", "subject not in DM") in found
    assert ("ae.csv", 3, stranger, "USUBJID", "subject not in DM") in found
    assert ("ae.csv", 3, stranger, "AESEQ", "duplicate key") in found
    assert len(found) == 3


def test_a_reference_start_that_is_not_the_first_dose_is_a_warning_naming_row_subject_and_dates():
    """Study days count from RFSTDTC, treatment-emergence from the first EX record: where they differ the
    statistician is told, by row and subject, before the board reads day numbers."""
    from dashboard.ingest.validate import check_reference_start

    tables = {"DM": source("DM", USUBJID=[S1, S2, S3], RFSTDTC=["2021-05-01", "2021-05-03", None]),
              "EX": source("EX", USUBJID=[S1, S1, S2, S3], EXSEQ=["1", "2", "1", "1"],
                           EXSTDTC=["2021-05-01T10:00", "2021-05-02", "2021-05-02", "2021-05-04"])}
    findings = Findings()
    check_reference_start(tables, findings)
    found = [(f.row, f.usubjid, f.column, f.severity, f.message) for f in findings.items]
    assert found == [
        (2, S2, "RFSTDTC", Severity.WARNING, "RFSTDTC '2021-05-03' is not the first EX date 2021-05-02; study days "
         "count from RFSTDTC (the randomization date when it is not a full date), treatment-emergence from the "
         "first EX date"),
        (3, S3, "RFSTDTC", Severity.WARNING,
         "RFSTDTC is empty although EX starts on 2021-05-04; study days count from the randomization date"),
    ]
