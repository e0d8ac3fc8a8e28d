"""Exposure (infusions received against planned, missed doses) and data completeness by visit."""

from __future__ import annotations

import pandas as pd
import pytest
import recruitment_frames as f

from dashboard.analysis import conduct
from dashboard.analysis import recruitment as rec
from dashboard.config import load_trial_config

CONFIG = load_trial_config()


@pytest.fixture
def randomized() -> pd.DataFrame:
    status = rec.subject_status(f.dm(), f.ds(), f.ex(), f.CUT, planned_doses=5, interval_days=1)
    return status[status["RANDOMIZED"]]


@pytest.fixture
def exposure(randomized) -> pd.DataFrame:
    return conduct.exposure_per_subject(randomized, 5, 1)


def test_doses_due_stop_at_death_withdrawal_and_the_cut(exposure):
    e = exposure.set_index("USUBJID")
    assert e["received"].to_dict() == {"S01": 5, "S03": 3, "S04": 5, "S07": 2}
    # S03 died on day 8: all 5 were due. S07 is on day 4 at the cut: days 1-3 were due, 2 given.
    assert e["due"].to_dict() == {"S01": 5, "S03": 5, "S04": 5, "S07": 3}
    assert e["missed"].to_dict() == {"S01": 0, "S03": 2, "S04": 0, "S07": 1}


def test_a_subject_who_stops_on_day_three_was_due_two_doses(randomized):
    r = randomized.assign(DAY_AT_END=3.0, STATUS=rec.WITHDRAWN)
    assert conduct.exposure_per_subject(r, 5, 1)["due"].tolist() == [2, 2, 2, 2]
    every_other_day = conduct.exposure_per_subject(randomized.assign(DAY_AT_END=4.0, STATUS=rec.IN_DOSING), 5, 2)
    assert every_other_day["due"].tolist() == [2, 2, 2, 2]            # doses on days 1 and 3


def test_distribution_of_infusions_received(exposure):
    dist = conduct.exposure_distribution(exposure, 5)
    assert dist["infusions"].tolist() == [0, 1, 2, 3, 4, 5]
    assert dist["subjects"].tolist() == [0, 0, 1, 1, 0, 2]
    assert dist["pct"].tolist() == pytest.approx([0, 0, 25, 25, 0, 50])
    assert conduct.exposure_distribution(exposure.iloc[0:0], 5)["subjects"].sum() == 0


def test_distribution_by_arm(exposure):
    dist = conduct.exposure_distribution_by_arm(exposure, f.arm_of(), f.ARM_LABELS, 5)
    a = dist[dist["arm"] == "Group A"].set_index("infusions")
    b = dist[dist["arm"] == "Group B"].set_index("infusions")
    assert a.loc[5, "subjects"] == 2 and a.loc[5, "pct"] == 100 and a["arm_n"].iloc[0] == 2
    assert b.loc[2, "subjects"] == 1 and b.loc[3, "subjects"] == 1 and b.loc[5, "subjects"] == 0


def test_totals(exposure):
    t = conduct.exposure_totals(exposure, 5)
    assert (t["subjects"], t["given"], t["due"], t["missed"], t["all_planned"], t["with_missed"]) == \
        (4, 15, 18, 3, 2, 2)


def test_missed_dose_listing(exposure):
    listing = conduct.missed_dose_listing(exposure, f.ex())
    assert listing["USUBJID"].tolist() == ["S03", "S07"]
    assert listing["infusion_days"].tolist() == ["1, 2, 3", "1, 2"]
    assert listing["missed"].tolist() == [2, 1]
    assert listing["day1"].astype(str).tolist() == ["2021-04-23", "2021-05-28"]


def test_missed_dose_listing_falls_back_on_dates_and_handles_nobody(exposure):
    ex = f.ex().drop(columns=["EXSTDY"])
    assert conduct.missed_dose_listing(exposure, ex)["infusion_days"].tolist() == ["1, 2, 3", "1, 2"]
    assert conduct.missed_dose_listing(exposure[exposure["missed"] == 0], ex).empty


def test_expected_visits_follow_day_one_death_withdrawal_and_completion(randomized):
    expected = conduct.expected_visits(randomized, CONFIG.visits)
    # days since day 1 at the end of observation: S03 7 (died 30 Apr), S04 6 (withdrew 10 May), S07 3 (cut)
    assert expected.sum(axis=1).to_dict() == {"S01": 7, "S03": 5, "S04": 4, "S07": 3}


def test_visit_completeness_worked_by_hand(randomized):
    expected = conduct.expected_visits(randomized, CONFIG.visits)
    presence = conduct.visit_presence([f.vs(), f.lb()], CONFIG.visits)
    table = conduct.visit_completeness(expected, presence, CONFIG.visits).set_index("visit")
    assert table["expected"].tolist() == [4, 4, 4, 3, 2, 1, 1]
    assert table["received"].tolist() == [4, 4, 4, 2, 1, 1, 1]      # S07 has RESP at visit 3
    assert table.loc["DAY 5", "missing"] == 1 and table.loc["DAY 7", "pct_received"] == pytest.approx(50)


def test_a_record_at_an_unexpected_visit_is_not_counted(randomized):
    expected = conduct.expected_visits(randomized, CONFIG.visits)
    extra = pd.DataFrame({"USUBJID": ["S07"], "VISITNUM": [7.0]})            # day 28 visit on day 4: not due
    presence = conduct.visit_presence([f.vs(), extra], CONFIG.visits)
    assert conduct.visit_completeness(expected, presence, CONFIG.visits)["received"].iloc[-1] == 1


def test_measurement_completeness(randomized):
    expected = conduct.expected_visits(randomized, CONFIG.visits)
    measures = conduct.completeness_measures(CONFIG)
    presence = conduct.measurement_presence(f.domains(), measures, CONFIG.visits)
    table = conduct.measurement_completeness(expected, presence, measures, CONFIG.visits)
    row = table.set_index(["visit", "testcd"])
    assert (row.loc[("DAY 3", "OXYSAT"), "expected"], row.loc[("DAY 3", "OXYSAT"), "received"]) == (4, 3)
    assert row.loc[("SCREENING", "CRP"), "received"] == 3                   # S04's CRP has no result
    assert row.loc[("SCREENING", "CRP"), "pct_received"] == pytest.approx(75)
    assert not row.loc[("DAY 3", "CRP"), "scheduled"]                       # never collected at DAY 3
    assert pd.isna(row.loc[("DAY 3", "CRP"), "pct_received"])
    assert len(table) == len(CONFIG.visits) * len(measures)


def test_completeness_measures_cover_outcomes_and_safety_labs():
    codes = [m.testcd for m in conduct.completeness_measures(CONFIG)]
    assert "PULMINV" in codes and "ALT" in codes and len(codes) == len(set(codes))
