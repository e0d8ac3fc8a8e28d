"""Outcome values: which records count, the baseline, one value per subject and visit, the spaghetti sample."""

from __future__ import annotations

import math

import outcomes_frames as F
import pandas as pd
import pytest

from dashboard.analysis import outcomes as O


@pytest.fixture
def dm() -> pd.DataFrame:
    return F.dm([("S1", "2021-05-01"), ("S2", "2021-05-01"), ("S3", "2021-05-02"), ("SF", "2021-05-01")],
                not_randomized=["SF"])


def test_only_randomized_subjects_and_the_chosen_test_count(dm):
    vs = F.findings("VS", [("S1", "OXYSAT", 2, 1, 88, "Y"), ("SF", "OXYSAT", 1, -1, 80, ""),
                           ("S1", "RESP", 2, 1, 31, "Y"), ("S2", "OXYSAT", 2, 1, None, "Y")])
    values = O.outcome_values(vs, F.SPO2, dm, F.VISITS)
    assert values["USUBJID"].tolist() == ["S1"]  # screen failure, other test and missing value left out
    assert values["VALUE"].tolist() == [88.0]


def test_unscheduled_visits_are_kept_but_marked(dm):
    vs = F.findings("VS", [("S1", "OXYSAT", 2, 1, 88, "Y"), ("S1", "OXYSAT", 3.1, 4, 93, "")])
    values = O.outcome_values(vs, F.SPO2, dm, F.VISITS)
    assert values["SCHEDULED"].tolist() == [True, False]
    assert O.visit_values(values)["VISITNUM"].tolist() == [2.0]


def test_study_day_is_derived_from_the_date_when_dy_is_missing(dm):
    vs = F.findings("VS", [("S3", "OXYSAT", 3, None, 90, "")]).assign(VSDT=pd.to_datetime(["2021-05-04"]))
    values = O.outcome_values(vs, F.SPO2, dm, F.VISITS)
    assert values["DY"].tolist() == [3.0]  # day 1 is 2021-05-02, so 2021-05-04 is day 3


def test_study_day_has_no_day_zero():
    day1 = pd.Series(pd.to_datetime(["2021-05-02"] * 3))
    assert O.study_day(pd.Series(pd.to_datetime(["2021-05-01", "2021-05-02", "2021-05-03"])), day1).tolist() == \
        [-1.0, 1.0, 2.0]


def test_baseline_prefers_the_flag_then_the_last_value_on_or_before_day_one(dm):
    vs = F.findings("VS", [
        ("S1", "OXYSAT", 1, -1, 80, ""), ("S1", "OXYSAT", 2, 1, 85, "Y"), ("S1", "OXYSAT", 3, 3, 90, "Y"),
        ("S2", "OXYSAT", 1, -1, 82, ""), ("S2", "OXYSAT", 2, 1, 84, ""), ("S2", "OXYSAT", 3, 3, 95, ""),
        ("S3", "OXYSAT", 3, 3, 91, ""),
    ])
    base = O.baseline_values(O.outcome_values(vs, F.SPO2, dm, F.VISITS))
    assert base["S1"] == 90.0  # the last flagged record wins, even after day 1
    assert base["S2"] == 84.0  # no flag: last value on or before day 1
    assert "S3" not in base.index  # nothing before day 1: no baseline


def test_repeats_at_a_visit_count_once_as_their_mean_and_change_uses_baseline(dm):
    vs = F.findings("VS", [("S1", "OXYSAT", 2, 1, 88, "Y"), ("S1", "OXYSAT", 3, 3, 90, ""),
                           ("S1", "OXYSAT", 3, 3, 94, ""), ("S3", "OXYSAT", 3, 3, 91, "")])
    per_visit = O.visit_values(O.outcome_values(vs, F.SPO2, dm, F.VISITS))
    day3 = per_visit[per_visit["VISITNUM"] == 3.0].set_index("USUBJID")
    assert day3.loc["S1", "VALUE"] == 92.0 and day3.loc["S1", "CHG"] == 4.0
    assert math.isnan(day3.loc["S3", "CHG"])  # no baseline, no change


def test_an_outcome_with_no_data_gives_empty_frames(dm):
    assert O.outcome_values(pd.DataFrame(), F.SPO2, dm, F.VISITS).empty
    empty = O.outcome_values(F.findings("VS", []), F.SPO2, dm, F.VISITS)
    assert empty.empty and O.visit_values(empty).empty


def test_spaghetti_takes_the_first_subjects_by_id_whatever_else():
    values = pd.DataFrame({"USUBJID": ["S3", "S1", "S2", "S1"], "VISITNUM": [2.0, 2.0, 2.0, 3.1],
                           "DY": [1.0, 1.0, 1.0, 4.0], "VALUE": [1.0, 2.0, 3.0, 4.0]})
    sample, total = O.spaghetti_sample(values, 2)
    assert total == 3
    assert sample["USUBJID"].tolist() == ["S1", "S1", "S2"]  # unscheduled 3.1 included


def test_all_outcome_values_reads_each_domain_once_and_keys_by_domain_and_code(dm):
    vs = F.findings("VS", [("S1", "OXYSAT", 2, 1, 88, "Y")])
    lb = F.findings("LB", [("S1", "CRP", 2, 1, 40, "Y"), ("S1", "ALT", 2, 1, 30, "Y")])
    values = O.all_outcome_values({"VS": vs, "LB": lb}, [F.SPO2, F.CRP], dm, F.VISITS)
    assert set(values) == {"VS.OXYSAT", "LB.CRP"}
    assert values["LB.CRP"]["VALUE"].tolist() == [40.0]
    assert O.find_outcome([F.SPO2, F.CRP], "LB.CRP") is F.CRP
    assert O.find_outcome([F.SPO2], ["not", "a", "key"]) is None


def test_with_arm_keeps_display_order_and_drops_subjects_without_an_arm():
    frame = pd.DataFrame({"USUBJID": ["S1", "S2", "S9"]})
    armed = O.with_arm(frame, F.arms({"S2": "Group B", "S1": "Group A"}))
    assert armed["USUBJID"].tolist() == ["S1", "S2"]
    assert list(armed["ARM"].cat.categories) == ["Group A", "Group B"]
