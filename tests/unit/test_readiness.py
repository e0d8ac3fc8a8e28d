"""Readiness of a display's data: warnings in its domains, missing shares per field, late records, newest record.

Every reference number is computed here in plain Python or pandas, independently of `dashboard.analysis.readiness`.
"""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.analysis.readiness import (CAUTION_SHARE, THIN_SHARE, field_missing, file_domains, level, readiness,
                                          warning_counts)

SEVERITIES = ["MILD", "", None, "  ", "SEVERE", "MODERATE", None, "MILD"]
AE = pd.DataFrame({"USUBJID": [f"S{i}" for i in range(8)], "AESEV": pd.array(SEVERITIES, dtype="str"),
                   "AESTDTC": ["2021-05-01", "2021-06-30T10:00", "2021-07", "", None, "2021-06", "2021-05-03", "2021"],
                   "AETOXGR": [1.0, None, 2.0, 3.0, None, None, 1.0, 2.0]})
LB = pd.DataFrame({"USUBJID": ["S1", "S2"], "LBDTC": ["2021-07-05", "2021-04-01"], "LBSTRESN": [1.0, 2.0]})
DM = pd.DataFrame({"USUBJID": ["S1", "S2"], "SEX": ["F", "M"]})
WARNINGS = pd.DataFrame({
    "file": ["ae.csv", "suppae.xpt", "adsl.xpt", "ct.csv, ex.csv, ae.csv", "ae.csv", "lb.csv", "lb.csv", "coding"],
    "kind": ["partial date", "", "", "visit", "records after cut (summary)", "date after cut",
             "records after cut (summary)", "coding key"],
    "count": [1, 1, 1, 1, 1, 40, 1, 1],
    "message": ["partial date '2021-04'", "QNAM unknown", "AGE missing", "visit not in schedule",
                "3 records in AE dated after the cut date; they are excluded from every count",
                "dated 2021-08-01 after the cut date", "12 records in LB dated after the cut date; excluded", "x"],
})
CUT = "2021-07-10"


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and pd.isna(value)) or (isinstance(value, str)
                                                                            and not value.strip())


def test_share_of_missing_values_per_field():
    result = readiness({"AE": AE}, WARNINGS, CUT, ["AE"], ["AE.AESEV", "AE.AETOXGR", "AE.AEOUT"])
    by_field = {m.field: m for m in result.missing}
    expected_sev = sum(_blank(v) for v in SEVERITIES)
    assert expected_sev == 4
    assert (by_field["AE.AESEV"].missing, by_field["AE.AESEV"].rows) == (expected_sev, len(SEVERITIES))
    assert by_field["AE.AESEV"].share == pytest.approx(expected_sev / len(SEVERITIES))
    expected_grade = int(AE["AETOXGR"].isna().sum())
    assert by_field["AE.AETOXGR"].share == pytest.approx(expected_grade / len(AE))
    assert by_field["AE.AEOUT"].present is False and by_field["AE.AEOUT"].share is None


def test_warnings_and_late_records_are_counted_per_declared_domain():
    counts, late = warning_counts(WARNINGS, ["AE", "DM", "LB"])
    # AE: ae.csv partial date, suppae.xpt, and the shared visit warning naming ae.csv; DM: adsl.xpt; LB: 40 rows
    assert counts == {"AE": 3, "DM": 1, "LB": 40}
    assert late == {"AE": 3, "LB": 12}
    counts_ex, _ = warning_counts(WARNINGS, ["EX"])
    assert counts_ex == {"EX": 1}


def test_armed_only_notices_never_count():
    """The coding-key notice is added for armed users only; the badges must be the same for every role."""
    without = WARNINGS[WARNINGS["kind"] != "coding key"]
    assert warning_counts(WARNINGS, ["CODING", "AE"]) == warning_counts(without, ["CODING", "AE"])


def test_file_domains():
    assert file_domains("suppae.xpt") == {"AE"}
    assert file_domains("adlbc.xpt") == {"LB"}
    assert file_domains("lbch.csv") == {"LB"}
    assert file_domains("ct.csv, ex.csv") == {"CT", "EX"}


def test_newest_record_and_its_age_at_the_cut():
    result = readiness({"AE": AE, "LB": LB}, WARNINGS.iloc[0:0], CUT, ["AE", "LB"], [])
    dates = [pd.Timestamp(d) for d in ("2021-05-01", "2021-06-30", "2021-07-01", "2021-06-01", "2021-05-03",
                                       "2021-01-01", "2021-07-05", "2021-04-01")]
    newest = max(dates)
    assert result.newest == newest
    assert result.age_days == (pd.Timestamp(CUT) - newest).days == 5


def test_levels():
    ready = readiness({"DM": DM}, WARNINGS.iloc[0:0], CUT, ["DM"], ["DM.SEX"])
    assert level(ready) == "ready"
    assert level(readiness({"DM": DM}, WARNINGS, CUT, ["DM"], ["DM.SEX"])) == "caution"     # a DM warning
    assert level(readiness({"DM": DM}, WARNINGS.iloc[0:0], CUT, ["AE"], [])) == "thin"  # no AE at all
    assert level(readiness({"DM": DM}, WARNINGS.iloc[0:0], CUT, ["DM", "HO"], [])) == "caution"  # an optional HO
    assert level(readiness({"DM": DM}, WARNINGS.iloc[0:0], CUT, ["DM"], ["DM.RACE"])) == "thin"  # all fields absent
    # one field of two absent (AEACN in the CDISC pilot): worth a look, the display still stands
    assert level(readiness({"DM": DM}, WARNINGS.iloc[0:0], CUT, ["DM"], ["DM.SEX", "DM.RACE"])) == "caution"
    assert 4 / 8 >= THIN_SHARE
    assert level(readiness({"AE": AE}, WARNINGS.iloc[0:0], "2021-07-05", ["AE"], ["AE.AESEV"])) == "thin"
    one_in_five = pd.DataFrame({"USUBJID": list("abcde"), "SEX": ["F", "M", "", "F", "M"]})
    assert CAUTION_SHARE <= 1 / 5 < THIN_SHARE
    assert level(readiness({"DM": one_in_five}, WARNINGS.iloc[0:0], CUT, ["DM"], ["DM.SEX"])) == "caution"


def test_age_of_the_newest_record_is_told_not_judged():
    """No new EX record after dosing ended says nothing about data quality: the colour stays."""
    lb = LB.assign(LBDTC=["2021-01-01", "2021-01-02"])
    result = readiness({"LB": lb}, WARNINGS.iloc[0:0], CUT, ["LB"], [])
    assert result.age_days == (pd.Timestamp(CUT) - pd.Timestamp("2021-01-02")).days
    assert level(result) == "ready"


def test_dm_fields_count_randomized_subjects_and_flags_have_no_missing_values():
    dm = pd.DataFrame({"USUBJID": list("abcdef"), "RANDFL": ["Y", "Y", "Y", "Y", None, ""],
                       "RFSTDTC": ["2021-05-01", "", "2021-05-02", "2021-05-03", None, None],
                       "DTHFL": ["Y", None, None, None, None, None]})
    randomized = dm[dm["RANDFL"] == "Y"]
    expected = sum(_blank(v) for v in randomized["RFSTDTC"])
    start = field_missing({"DM": dm}, "DM.RFSTDTC")
    assert (start.missing, start.rows) == (expected, len(randomized)) == (1, 4)
    assert field_missing({"DM": dm}, "DM.DTHFL").share is None
    died = dm.assign(DTHDTC=["2021-06-01", None, None, None, None, None])   # one death (DTHFL Y), dated
    dated = field_missing({"DM": died}, "DM.DTHDTC")
    assert (dated.missing, dated.rows) == (0, int((dm["DTHFL"] == "Y").sum())) == (0, 1)
    assert level(readiness({"DM": dm}, WARNINGS.iloc[0:0], CUT, ["DM"], ["DM.DTHFL"])) == "ready"


def test_shared_parts_give_the_same_answer():
    """The callback shares per-domain and per-field results between displays; the answer must not change."""
    from dashboard.analysis.readiness import newest_record

    domains = {"AE": AE, "LB": LB}
    calls: list[str] = []

    def newest_of(name):
        calls.append(name)
        return newest_record(domains, [name])

    plain = readiness(domains, WARNINGS, CUT, ["AE", "LB"], ["AE.AESEV", "LB.LBSTRESN"])
    shared = readiness(domains, WARNINGS, CUT, ["AE", "LB"], ["AE.AESEV", "LB.LBSTRESN"], newest_of=newest_of,
                       missing_of=lambda field: field_missing(domains, field))
    assert shared == plain and calls == ["AE", "LB"]


def test_missing_counts_of_a_domain_match_a_plain_count_per_field():
    """The badges count every declared field of a domain in one vectorised pass (distinct values judged once);
    each count must equal a plain per-value count, whatever mix of nulls, blanks and whitespace a column holds."""
    from dashboard.analysis.readiness import missing_counts

    ae = AE.assign(AETERM=pd.array(["x", " ", "\t", None, "y", "x", "", " x "], dtype="str"),
                   AEOUT=pd.Series(["R", None, float("nan"), "  ", "R", 1.0, "R", ""], dtype=object))
    counted = missing_counts(ae, "ae", ["AESEV", "AETERM", "AEOUT", "AETOXGR", "AESTDTC", "AEACN", "AESERFL"])
    for column in ("AESEV", "AETERM", "AEOUT", "AESTDTC"):
        assert counted[f"AE.{column}"].missing == sum(_blank(v) for v in ae[column].tolist()), column
        assert counted[f"AE.{column}"].rows == len(ae)
    assert counted["AE.AETOXGR"].missing == int(ae["AETOXGR"].isna().sum())
    assert counted["AE.AEACN"].present is False and counted["AE.AESERFL"].share is None
    assert {m.field: m for m in (field_missing({"AE": ae}, f) for f in counted)} == counted


def test_missing_counts_take_the_dm_filters_once_for_every_field():
    from dashboard.analysis.readiness import missing_counts

    dm = pd.DataFrame({"USUBJID": list("abcde"), "RANDFL": ["Y", "Y", "Y", None, "Y"],
                       "SEX": ["F", "", None, "M", "M"], "DTHFL": ["Y", None, "Y", "Y", None],
                       "DTHDTC": ["2021-06-01", None, "", None, None]})
    randomized = dm[dm["RANDFL"] == "Y"]
    dead = randomized[randomized["DTHFL"] == "Y"]
    counted = missing_counts(dm, "DM", ["SEX", "DTHDTC"])
    assert (counted["DM.SEX"].missing, counted["DM.SEX"].rows) == (2, len(randomized)) == (2, 4)
    assert (counted["DM.DTHDTC"].missing, counted["DM.DTHDTC"].rows) == (1, len(dead)) == (1, 2)
