"""ADaM checks before translation: every problem reported, nothing translated when one is an error."""

from __future__ import annotations

import pandas as pd

from dashboard.ingest.adam.validate import check_adam
from dashboard.ingest.findings import Findings


def test_missing_required_variables_named():
    findings = Findings()
    assert not check_adam("ADTTE", pd.DataFrame({"USUBJID": ["S-1"], "AVAL": [1.0]}), "adtte.xpt", findings)
    assert sorted(f.column for f in findings.errors) == ["CNSR", "PARAMCD"]


def test_adsl_needs_an_arm_variable_either_name():
    findings = Findings()
    frame = pd.DataFrame({"STUDYID": ["S"], "USUBJID": ["S-1"], "SITEID": ["1"], "TRT01P": ["X"]})
    assert check_adam("ADSL", frame, "adsl.xpt", findings) and not findings.items
    assert not check_adam("ADSL", frame.drop(columns=["TRT01P"]), "adsl.xpt", findings)
    assert "ARMCD or TRT01P" in findings.errors[0].message


def test_bad_flags_and_censoring_all_reported_with_rows():
    frame = pd.DataFrame({"USUBJID": ["S-1", "S-2", "S-3"], "PARAMCD": ["OS"] * 3, "AVAL": ["1", "x", "3"],
                          "CNSR": ["0", "2", None], "ANL01FL": ["Y", "yes", ""]})
    findings = Findings()
    assert check_adam("ADTTE", frame, "adtte.csv", findings)      # translated; the errors refuse the export
    where = sorted((f.column, f.row) for f in findings.errors)
    assert where == [("ANL01FL", 2), ("AVAL", 2), ("CNSR", 2), ("CNSR", 3)]


def test_randomized_flag_against_arm_code_is_a_warning_without_the_arm():
    frame = pd.DataFrame({"STUDYID": ["S"] * 3, "USUBJID": ["S-1", "S-2", "S-3"], "SITEID": ["1"] * 3,
                          "ARMCD": ["DRUGX", "Scrnfail", "DRUGX"], "ITTFL": ["Y", "Y", "N"]})
    findings = Findings()
    assert check_adam("ADSL", frame, "adsl.xpt", findings)
    assert [(f.row, f.column, f.severity.value) for f in findings.items] == [(2, "ITTFL", "warning"),
                                                                           (3, "ITTFL", "warning")]
    assert not any("DRUGX" in f.message for f in findings.items)
