"""ADaM reading: SAS dates and datetimes by their format (not their name), character ISO dates, CSV text dates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from dashboard.ingest.adam.read import format_kind, read_frame, sas_to_iso
from dashboard.ingest.findings import Findings
from dashboard.ingest.readers import read_raw


def _raw(path: Path):
    return read_raw({path.stem.upper(): path})[path.stem.upper()]


def test_format_kind_decides_date_or_datetime():
    assert format_kind("DATE9") == "date"
    assert format_kind("DATE9.") == "date"
    assert format_kind("YYMMDD10.") == "date"
    assert format_kind("E8601DA") == "date"
    assert format_kind("DATETIME20") == "datetime"
    assert format_kind("E8601DT19.") == "datetime"
    assert format_kind("TIME8") is None
    assert format_kind("8.2") is None
    assert format_kind(None) is None


def test_sas_numbers_to_iso_text():
    days = pd.Series([0.0, 19725.0, np.nan])
    assert sas_to_iso(days, "date").tolist()[:2] == ["1960-01-01", "2014-01-02"]
    assert pd.isna(sas_to_iso(days, "date").iloc[2])
    seconds = pd.Series([19725 * 86400 + 3600 * 10 + 61.683])
    assert sas_to_iso(seconds, "datetime").tolist() == ["2014-01-02T10:01:01"]


def test_xpt_dates_by_format_not_by_name(tmp_path):
    """TRT01SDT looks like a date name but holds a datetime (random-cdisc-adam): its format decides."""
    frame = pd.DataFrame({"USUBJID": ["S1", "S2"], "TRTSDT": [19725.0, np.nan],
                          "TRT01SDT": [19725 * 86400 + 45.0, 19726 * 86400.0], "AVAL": [19725.0, 3.0],
                          "RFSTDTC": ["2014-01-02", ""]})
    path = tmp_path / "adsl.xpt"
    pyreadstat.write_xport(frame, str(path), file_format_version=5,
                           variable_format={"TRTSDT": "DATE9", "TRT01SDT": "DATETIME20"})
    findings = Findings()
    read = read_frame(_raw(path), findings)
    assert not findings.items
    assert read["TRTSDT"].tolist()[0] == "2014-01-02" and pd.isna(read["TRTSDT"].iloc[1])
    assert read["TRT01SDT"].tolist() == ["2014-01-02T00:00:45", "2014-01-03T00:00:00"]
    assert read["AVAL"].tolist() == [19725.0, 3.0]          # no format: a number, even if it looks like a date
    assert read["RFSTDTC"].tolist()[0] == "2014-01-02" and pd.isna(read["RFSTDTC"].iloc[1])


def test_csv_dates_as_iso_or_sas_text_and_bad_ones_named(tmp_path):
    path = tmp_path / "adsl.csv"
    path.write_text("USUBJID,TRTSDT,TRTSDTM,RANDDT\nS1,2014-01-02,02JAN2014:10:05:00,02JAN2014\n"
                    "S2,,2014-01-03T08:00:00,2014-13-45\n")
    findings = Findings()
    read = read_frame(_raw(path), findings)
    assert read["TRTSDT"].tolist()[0] == "2014-01-02"
    assert read["TRTSDTM"].tolist() == ["2014-01-02T10:05:00", "2014-01-03T08:00:00"]
    assert read["RANDDT"].tolist()[0] == "2014-01-02"
    errors = findings.errors
    assert len(errors) == 1 and errors[0].column == "RANDDT" and errors[0].row == 2
    assert "2014-13-45" in errors[0].message
