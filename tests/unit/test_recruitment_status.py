"""Subject status, filters, headline counts, funnel, screen-failure reasons, enrollment by period and by site."""

from __future__ import annotations

import pandas as pd
import pytest
import recruitment_frames as f

from dashboard.analysis import recruitment as rec

LABELS = {"IN02": "Inclusion: severe COVID pneumonia", "IN03": "Inclusion: age 25 to 75 years"}


@pytest.fixture
def status() -> pd.DataFrame:
    return rec.subject_status(f.dm(), f.ds(), f.ex(), f.CUT, planned_doses=5, interval_days=1)


def by_id(status: pd.DataFrame) -> pd.DataFrame:
    return status.set_index("USUBJID")


def test_every_screened_subject_gets_one_status(status):
    s = by_id(status)
    assert list(s.index) == ["S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08"]
    assert s["STATUS"].to_dict() == {
        "S01": rec.COMPLETED, "S02": rec.SCREEN_FAILURE, "S03": rec.DIED, "S04": rec.WITHDRAWN,
        "S05": rec.SCREEN_FAILURE, "S06": rec.NOT_RANDOMIZED, "S07": rec.IN_DOSING, "S08": rec.SCREEN_FAILURE}


def test_day_one_doses_and_end_of_observation(status):
    s = by_id(status)
    assert s.loc["S07", "DAY1_DT"] == pd.Timestamp("2021-05-28")      # first infusion, not the randomization day
    assert s.loc["S07", "DAY_AT_END"] == 4                            # 28, 29, 30, 31 May
    assert s.loc["S03", "END_DT"] == pd.Timestamp("2021-04-30")       # death ends observation
    assert s.loc["S04", "END_DT"] == pd.Timestamp("2021-05-10")       # so does withdrawal
    assert s.loc["S04", "WITHDRAWAL_REASON"] == "Withdrawal by subject"
    assert s["DOSES"].to_dict() == {"S01": 5, "S02": 0, "S03": 3, "S04": 5, "S05": 0, "S06": 0, "S07": 2, "S08": 0}


def test_a_subject_past_the_dosing_days_is_in_follow_up():
    dm = f.dm()
    status = rec.subject_status(dm, f.ds(), f.ex(), "2021-06-05", planned_doses=5, interval_days=1)
    assert by_id(status).loc["S07", "STATUS"] == rec.IN_FOLLOW_UP    # day 9 > last dose day 5


def test_a_randomized_subject_flagged_as_screen_failure_counts_as_randomized():
    dm = f.dm()
    dm.loc[dm["USUBJID"] == "S01", "SCRNFFL"] = "Y"
    status = by_id(rec.subject_status(dm, f.ds(), f.ex(), f.CUT, planned_doses=5, interval_days=1))
    assert not status.loc["S01", "SCREEN_FAIL"] and status.loc["S01", "RANDOMIZED"]


def test_missing_domains_do_not_break_the_status():
    status = rec.subject_status(f.dm(), pd.DataFrame(), pd.DataFrame(), f.CUT, planned_doses=5, interval_days=1)
    s = by_id(status)
    assert s["DOSES"].sum() == 0
    assert s.loc["S03", "DIED"]                                       # DM.DTHFL alone is enough
    assert s.loc["S02", "SCREEN_FAIL"]                                # DM.SCRNFFL alone is enough


def test_headline_counts(status):
    h = rec.headline_counts(status, 29, f.CUT)
    assert (h["screened"], h["randomized"], h["target"]) == (8, 4, 29)
    assert h["pct_of_target"] == pytest.approx(100 * 4 / 29)
    assert (h["on_treatment"], h["in_follow_up"], h["completed"], h["withdrawn"], h["deaths"]) == (1, 0, 1, 1, 1)
    assert h["first_randomization"] == "2021-04-20"
    assert h["days_since_first"] == 41
    assert h["cut_date"] == "2021-05-31"


def test_headline_with_nobody_randomized(status):
    h = rec.headline_counts(status[~status["RANDOMIZED"]], 29, f.CUT)
    assert h["randomized"] == 0 and h["first_randomization"] is None and h["days_since_first"] is None


def test_filters_by_site_and_screening_date(status):
    assert set(rec.filter_subjects(status, ["02"])["USUBJID"]) == {"S04", "S05", "S06"}
    window = rec.filter_subjects(status, None, "2021-05-02", "2021-05-10")   # both ends inclusive
    assert set(window["USUBJID"]) == {"S04", "S05", "S08"}
    assert len(rec.filter_subjects(status)) == 8
    assert rec.site_options(status) == ["01", "02"]


def test_funnel_counts_each_stage(status):
    funnel = rec.screening_funnel(status).set_index("stage")
    assert funnel["subjects"].to_dict() == {"Screened": 8, "Eligible": 5, "Consented": 5, "Randomized": 4,
                                            "Dosed": 4, "Completed": 1}
    assert funnel.loc["Randomized", "pct_of_previous"] == pytest.approx(80.0)
    assert funnel.loc["Completed", "pct_of_screened"] == pytest.approx(12.5)


def test_screen_failure_reasons_ranked_and_tied_to_the_protocol(status):
    reasons = rec.screen_failure_reasons(status, f.ie(), LABELS)
    assert reasons["code"].tolist() == ["IN02", "IN03", "ZZ99", ""]          # ties by code, unrecorded last
    assert reasons["subjects"].tolist() == [1, 1, 1, 1]
    assert reasons["pct_of_failures"].tolist() == pytest.approx([100 / 3] * 4)
    listed = reasons.set_index("code")
    assert listed.loc["IN03", "reason"] == "Inclusion: age 25 to 75 years"
    assert not listed.loc["ZZ99", "in_protocol_list"]
    assert listed.loc["ZZ99", "reason"] == "Exclusion: Mystery criterion (ZZ99, not in the protocol list)"
    assert listed.loc["", "reason"] == "Reason not recorded"


def test_a_subject_with_the_same_criterion_twice_counts_once(status):
    ie = pd.concat([f.ie(), f.ie().iloc[[0]]], ignore_index=True)
    reasons = rec.screen_failure_reasons(status, ie, LABELS).set_index("code")
    assert reasons.loc["IN03", "subjects"] == 1


def test_screen_failure_reasons_ignore_randomized_subjects_and_handle_none(status):
    ie = pd.concat([f.ie(), pd.DataFrame({"USUBJID": ["S01"], "IETESTCD": ["IN02"], "IETEST": ["x"],
                                          "IECAT": ["INCLUSION"]})], ignore_index=True)
    assert rec.screen_failure_reasons(status, ie, LABELS).set_index("code").loc["IN02", "subjects"] == 1
    assert rec.screen_failure_reasons(status[status["RANDOMIZED"]], f.ie(), LABELS).empty


def test_enrollment_by_week_keeps_empty_weeks(status):
    weeks = rec.enrollment_by_period(status, "week")
    assert weeks["period_start"].dt.date.astype(str).tolist() == [
        "2021-04-19", "2021-04-26", "2021-05-03", "2021-05-10", "2021-05-17", "2021-05-24"]
    assert weeks["screened"].tolist() == [3, 1, 1, 2, 0, 1]
    assert weeks["randomized"].tolist() == [2, 0, 1, 0, 0, 1]
    assert weeks["cumulative_randomized"].tolist() == [2, 2, 3, 3, 3, 4]


def test_enrollment_by_month(status):
    months = rec.enrollment_by_period(status, "month")
    assert months["screened"].tolist() == [3, 5] and months["randomized"].tolist() == [2, 2]
    assert rec.enrollment_by_period(status.iloc[0:0], "month").empty


def test_enrollment_by_site(status):
    sites = rec.enrollment_by_site(status).set_index("SITEID")
    assert sites.loc["01", ["screened", "screen_failures", "randomized", "dosed", "completed"]].tolist() == \
        [5, 2, 3, 3, 1]
    assert sites.loc["02", "randomized"] == 1 and sites.loc["02", "pct_of_randomized"] == pytest.approx(25.0)
    assert sites.loc["01", "first_randomization"] == pd.Timestamp("2021-04-20")


def test_a_site_below_the_minimum_never_shows_a_split_by_arm(status):
    table = rec.enrollment_by_site_by_arm(status, f.arm_of(), f.ARM_LABELS, minimum=3).set_index("SITEID")
    assert table.loc["01", "Group A"] == 1 and table.loc["01", "Group B"] == 2
    assert table.loc["02", "Group A"] is None and table.loc["02", "Group B"] is None
    assert table.loc["02", "split_by_arm"].startswith("no")
    default = rec.enrollment_by_site_by_arm(status, f.arm_of(), f.ARM_LABELS)   # minimum 5: nobody split
    assert default[list(f.ARM_LABELS)].isna().all().all()


def test_by_arm_views_need_every_chosen_site_at_the_minimum(status):
    assert rec.arm_split_allowed(status, None)
    assert rec.arm_split_allowed(status, ["01"], minimum=3)
    assert not rec.arm_split_allowed(status, ["01", "02"], minimum=3)
    assert not rec.arm_split_allowed(status, ["01"])                            # 3 < 5
    assert rec.sites_allowing_split(status, minimum=1) == {"01", "02"}
