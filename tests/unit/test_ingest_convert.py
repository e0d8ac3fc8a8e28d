"""Typing of export columns: dates (full, partial, unparseable), numbers, and the column rules."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from dashboard.ingest.convert import to_date, to_float, type_table
from dashboard.ingest.findings import Findings, Severity
from dashboard.ingest.readers import TEXT, SourceTable
from dashboard.ingest.schema import date_column_of, is_numeric_column, is_sealed_name, seq_column


def text(*values: str | None) -> pa.ChunkedArray:
    return pa.chunked_array([pa.array(values, type=TEXT)])


def test_full_dates_with_or_without_time_parse_to_midnight():
    dates, partial, bad = to_date(text("2021-05-03", "2021-05-03T14:20", "2021-05-03T14:20:59.5", "2020-02-29",
                                       "2021-05-03T08:00+03:30", None))
    assert dates.to_pylist()[:4] == [pd.Timestamp("2021-05-03")] * 3 + [pd.Timestamp("2020-02-29")]
    assert dates.to_pylist()[5] is None
    assert len(partial) == 0 and len(bad) == 0


@pytest.mark.parametrize("value", ["2021", "2021-05", "2021---15", "2021-05--T10:00", "-----T07:15"])
def test_partial_dates_are_flagged_and_left_empty(value):
    dates, partial, bad = to_date(text("2021-05-03", value))
    assert dates.to_pylist()[1] is None and list(partial) == [1] and len(bad) == 0


@pytest.mark.parametrize("value", ["2021-13-45", "2021-02-30", "2021-04-31", "03/05/2021", "2021-05-03T25:00",
                                   "yesterday", "2021-5-3", "2021-13"])
def test_unparseable_dates_are_flagged(value):
    dates, partial, bad = to_date(text(value, "2021-05-03"))
    assert list(bad) == [0] and len(partial) == 0 and dates.to_pylist()[0] is None


def test_numbers_parse_and_text_is_flagged():
    values, bad = to_float(text("1", " 2.5 ", "-3e2", ".5", None, "<0.5", "n/a"))
    assert values.to_pylist() == [1.0, 2.5, -300.0, 0.5, None, None, None]
    assert list(bad) == [5, 6]


def test_numbers_from_xpt_stay_numbers():
    values, bad = to_float(pa.chunked_array([[1.0, None]]))
    assert values.type == pa.float64() and len(bad) == 0


def test_column_rules():
    assert all(map(is_numeric_column, ["AGE", "AESEQ", "VISITNUM", "LBDY", "AESTDY", "LBSTRESN", "EXDOSE",
                                       "LBSTNRLO", "LBSTNRHI"]))
    assert not any(map(is_numeric_column, ["LBORRES", "LBORNRLO", "LBSTRESC", "STUDYID", "USUBJID", "IDVARVAL"]))
    assert date_column_of("AESTDTC") == "AESTDT" and date_column_of("AETERM") is None
    assert all(map(is_sealed_name, ["ARM", "ACTARMCD", "TRT01P", "TRT02AN", "TRTA", "EXTRT", "ETCD", "RANDNO"]))
    assert not any(map(is_sealed_name, ["ARMNRS", "TRTEMFL", "AETERM", "EXDOSU"]))
    assert seq_column("AE") == "AESEQ" and seq_column("DM") is None and seq_column("SUPPAE") is None


def test_type_table_adds_dates_after_their_dtc_and_reports_rows():
    table = pa.table({"USUBJID": pa.array(["S-1", "S-2", "S-3"], type=TEXT),
                      "AESEQ": pa.array(["1", "2", "x"], type=TEXT),
                      "AESTDTC": pa.array(["2021-05-03", "2021-05", "2021-99-01"], type=TEXT),
                      "AETERM": pa.array(["a", "b", "c"], type=TEXT)})
    findings = Findings()
    typed = type_table(SourceTable("AE", "ae.csv", table), findings)
    assert typed.column_names == ["USUBJID", "AESEQ", "AESTDTC", "AESTDT", "AETERM"]
    assert typed["AESEQ"].type == pa.float64() and typed["AESTDT"].type == pa.timestamp("ns")
    errors = [str(f) for f in findings.errors]
    assert errors == ["ae.csv row 3 (USUBJID S-3, AESEQ x), column AESEQ: key value 'x' is not a number",
                      "ae.csv row 3 (USUBJID S-3, AESEQ x), column AESTDTC: unparseable date '2021-99-01'"]
    assert [str(f) for f in findings.warnings] == [
        "ae.csv row 2 (USUBJID S-2, AESEQ 2), column AESTDTC: partial date '2021-05'; AESTDT left empty"]
    assert findings.warnings[0].severity is Severity.WARNING and findings.warnings[0].kind == "partial date"


def test_warnings_about_sealed_columns_never_quote_the_value():
    table = pa.table({"USUBJID": pa.array(["S-1"], type=TEXT), "EXSEQ": pa.array(["1"], type=TEXT),
                      "EXDOSE": pa.array(["5 mL of active"], type=TEXT)})
    findings = Findings()
    type_table(SourceTable("EX", "ex.csv", table), findings)
    (warning,) = findings.warnings
    assert warning.sealed and "active" not in str(warning) and warning.column == "EXDOSE"


PLAIN_DATE_CASES = ["2021-02-30", "2021-02-29", "2020-02-29", "2021-00-10", "2021-13-01", "2021-01-00", "2021-01-32",
                    "+021-01-01", "2021-W01-1", "20210515  ", "2021-05-1T", "2021/05/15", "0000-01-01", "1600-01-01",
                    "1677-09-21", "1677-09-22", "2262-04-11", "2262-04-12", "2021-04-31", "2021 05 15", " 2021-05-1",
                    "2021-05-15", "1900-02-29", "2000-02-29"]


@pytest.mark.parametrize("value", PLAIN_DATE_CASES)
def test_plain_date_fast_path_agrees_with_the_general_path(value):
    """A column of 10-byte values takes the cast fast path when it can; the answer is the general path's."""
    fast = to_date(text(value, "2021-05-03", None))
    general = to_date(text(value, "2021-05-03", None, "2021"))          # a partial date forces the general path
    assert fast[0].to_pylist() == general[0].to_pylist()[:3]
    assert list(fast[1]) == [] and list(fast[2]) == list(general[2])
