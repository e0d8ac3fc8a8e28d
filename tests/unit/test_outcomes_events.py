"""Events: who had one and when, censoring and competing death, curves, numbers at risk, log-rank, proportions."""

from __future__ import annotations

import inspect
import math

import outcomes_frames as F
import pandas as pd
import pytest

from dashboard.analysis import events as E
from dashboard.analysis import survival as SV

# Freireich et al. 1963 leukaemia remission data as in Kleinbaum & Klein, Survival Analysis (3rd ed.), ch. 2.
SIX_MP = [(6, 1), (6, 1), (6, 1), (6, 0), (7, 1), (9, 0), (10, 1), (10, 0), (11, 0), (13, 1), (16, 1), (17, 0),
          (19, 0), (20, 0), (22, 1), (23, 1), (25, 0), (32, 0), (32, 0), (34, 0), (35, 0)]
PLACEBO = [(t, 1) for t in (1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23)]


def times_frame(pairs: list[tuple[float, int]], prefix: str = "S") -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": [f"{prefix}{i:02d}" for i in range(len(pairs))],
                         "EVENT": [s == 1 for _, s in pairs], "DAY": [float(t) for t, _ in pairs],
                         "STATUS": [s for _, s in pairs]})


@pytest.fixture
def dm() -> pd.DataFrame:
    frame = F.dm([(f"S{i}", "2021-05-01") for i in range(1, 8)] + [("SF", "2021-05-01")],
                 deaths={"S2": "2021-05-05"}, not_randomized=["SF"])
    no_dose = frame["USUBJID"] == "S7"
    frame.loc[no_dose, "RFSTDTC"] = ""
    frame.loc[no_dose, "RFSTDT"] = pd.NaT
    return frame


@pytest.fixture
def pr() -> pd.DataFrame:
    return F.pr([("S1", "INTUBATION", "2021-05-03"), ("S3", "INTUBATION", "2021-04-30"),
                 ("S4", "INTUBATION", "2021-06-05"), ("S6", "INTUBATION", "2021-05"),
                 ("S7", "INTUBATION", "2021-05-02"), ("SF", "INTUBATION", "2021-05-02")])


@pytest.fixture
def ds() -> pd.DataFrame:
    return F.ds([("S5", "WITHDRAWAL BY SUBJECT", "2021-05-10")])


def by_subject(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.set_index("USUBJID")


def test_intubation_times_censoring_and_competing_death(dm, pr, ds):
    t = by_subject(E.event_times(F.INTUBATION, pr, dm, ds, "2021-06-15", 28))
    assert "SF" not in t.index  # not randomized
    assert (t.loc["S1", "DAY"], t.loc["S1", "STATUS"], t.loc["S1", "EVENT"]) == (3.0, E.EVENT, True)
    assert (t.loc["S2", "DAY"], t.loc["S2", "STATUS"]) == (5.0, E.COMPETING)  # died first, never intubated
    assert (t.loc["S3", "DAY"], t.loc["S3", "STATUS"]) == (28.0, E.CENSORED)  # intubated before day 1 only
    assert (t.loc["S4", "DAY"], t.loc["S4", "STATUS"]) == (28.0, E.CENSORED)  # after the 28-day follow-up
    assert (t.loc["S5", "DAY"], t.loc["S5", "STATUS"]) == (10.0, E.CENSORED)  # withdrew on day 10
    assert t.loc["S7", "DAY"] == 2.0  # no dose: day 1 is the randomization date


def test_an_event_with_an_unknown_date_counts_but_has_no_time(dm, pr, ds):
    t = by_subject(E.event_times(F.INTUBATION, pr, dm, ds, "2021-06-15", 28))
    assert bool(t.loc["S6", "EVENT"]) and math.isnan(t.loc["S6", "DAY"])
    summary = E.event_summary([F.INTUBATION], [t.reset_index()])
    assert summary.loc[0, ["EVENTS", "N", "UNKNOWN_DAY"]].tolist() == [3, 7, 1]


def test_follow_up_ends_at_the_cut_date(dm, pr, ds):
    t = by_subject(E.event_times(F.INTUBATION, pr, dm, ds, "2021-05-08", 28))
    assert t.loc["S3", "DAY"] == 8.0  # the cut is on day 8
    assert t.loc["S1", "STATUS"] == E.EVENT


def test_death_is_the_event_itself_not_a_competing_one(dm, ds):
    t = by_subject(E.event_times(F.DEATH, dm, dm, ds, "2021-06-15", 28))
    assert (t.loc["S2", "DAY"], t.loc["S2", "STATUS"]) == (5.0, E.EVENT)
    assert not (t["STATUS"] == E.COMPETING).any()


def test_death_recorded_only_in_ds_competes_too(dm):
    ds = F.ds([("S3", "DEATH", "2021-05-09")])
    t = by_subject(E.event_times(F.INTUBATION, F.pr([]), dm, ds, "2021-06-15", 28))
    assert (t.loc["S3", "DAY"], t.loc["S3", "STATUS"]) == (9.0, E.COMPETING)


def test_discharge_is_the_end_of_the_hospital_stay(dm, ds):
    ho = F.ho([("S1", "HOSPITAL", "2021-04-30", "2021-05-12"), ("S2", "HOSPITAL", "2021-04-30", ""),
               ("S3", "HOSPITAL", "2021-04-30", "2021-05-20")])
    t = by_subject(E.event_times(F.DISCHARGE, ho, dm, ds, "2021-06-15", 28))
    assert (t.loc["S1", "DAY"], t.loc["S1", "STATUS"]) == (12.0, E.EVENT)
    assert (t.loc["S2", "DAY"], t.loc["S2", "STATUS"]) == (5.0, E.COMPETING)  # died in hospital
    assert (t.loc["S3", "DAY"], t.loc["S3", "STATUS"]) == (20.0, E.EVENT)
    assert t.loc["S4", "STATUS"] == E.CENSORED  # no record: still in hospital


def test_no_events_yet_gives_a_flat_curve_and_no_test(dm, ds):
    t = E.event_times(F.INTUBATION, F.pr([]), dm, ds, "2021-06-15", 28)
    curve = SV.curve(E.survival_times(t))
    assert curve["INCIDENCE"].tolist() == [0.0, 0.0]
    arm_of = F.arms({f"S{i}": "Group A" if i % 2 else "Group B" for i in range(1, 8)})
    assert math.isnan(E.logrank(t, arm_of).loc[0, "P"])


def test_kaplan_meier_matches_the_textbook_six_mp_group():
    curve = SV.curve(E.survival_times(times_frame(SIX_MP)))
    steps = curve[curve["EVENTS"] > 0]
    assert steps["TIME"].tolist() == [6, 7, 10, 13, 16, 22, 23]
    survival = (1 - steps["INCIDENCE"]).round(3).tolist()
    assert survival == [0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448]
    assert steps["AT_RISK"].tolist() == [21, 17, 15, 12, 11, 7, 6]
    assert curve[["TIME", "INCIDENCE", "AT_RISK", "EVENTS"]].iloc[0].tolist() == [0.0, 0.0, 21, 0]
    assert curve["TIME"].iloc[-1] == 35


def test_log_rank_matches_the_textbook_chi_square():
    """Kleinbaum & Klein: log-rank chi-square 16.79 on 1 df for 6-MP vs placebo."""
    times = pd.concat([times_frame(SIX_MP, "M"), times_frame(PLACEBO, "P")], ignore_index=True)
    arm_of = F.arms({u: "Group A" if u.startswith("M") else "Group B" for u in times["USUBJID"]})
    test = E.logrank(times, arm_of).iloc[0]
    assert test["CHI2"] == pytest.approx(16.79, abs=0.01)
    assert test["P"] < 1e-4 and test["DF"] == 1 and test["EVENTS"] == 30


def test_cumulative_incidence_with_competing_death_matches_a_hand_computation():
    """Aalen-Johansen by hand: 1/6 at day 1, + (4/6)(1/3) at day 4, + (2/9) at day 6."""
    times = times_frame([(1, 1), (2, 2), (3, 0), (4, 1), (5, 2), (6, 1)])
    curve = SV.curve(E.survival_times(times))
    steps = curve[curve["EVENTS"] > 0].set_index("TIME")["INCIDENCE"]
    assert steps.to_dict() == pytest.approx({1.0: 1 / 6, 4.0: 1 / 6 + 2 / 9, 6.0: 1 / 6 + 4 / 9})


def test_numbers_at_risk_count_subjects_followed_to_each_day():
    times = times_frame([(3, 1), (7, 0), (10, 2), (28, 0)]).assign(DAY=[3.0, 7.0, 10.0, 28.0])
    assert SV.at_risk(E.survival_times(times), [0, 7, 14, 28])["AT_RISK"].tolist() == [4, 3, 1, 1]
    assert SV.risk_table_days(28) == [0, 7, 14, 21, 28]


def test_curves_and_numbers_at_risk_by_arm_follow_display_order():
    times = pd.concat([times_frame(SIX_MP, "M"), times_frame(PLACEBO, "P")], ignore_index=True)
    arm_of = F.arms({u: "Group B" if u.startswith("M") else "Group A" for u in times["USUBJID"]})
    result = SV.by_arm(E.survival_times(times), [0, 7], arm_of=arm_of)
    assert result.curves["GROUP"].unique().tolist() == ["Group A", "Group B"]
    assert result.at_risk["AT_RISK"].tolist() == [21, 12, 21, 17]


def test_wilson_interval_matches_newcombe_1998():
    """Newcombe (1998a), example 81/263: Wilson score interval 0.2553 to 0.3662."""
    row = E.event_proportion(times_frame([(1, 1)] * 81 + [(28, 0)] * 182)).iloc[0]
    assert row["PROPORTION"] == pytest.approx(81 / 263)
    assert (row["LOW"], row["HIGH"]) == pytest.approx((0.2553, 0.3662), abs=1e-4)


def test_proportions_by_arm_and_empty_arms():
    times = times_frame([(1, 1), (28, 0), (2, 1)])
    arm_of = F.arms({"S00": "Group A", "S01": "Group A", "S02": "Group A"})
    table = E.event_proportion_by_arm(times, arm_of).set_index("ARM")
    assert table.loc["Group A", ["N", "EVENTS"]].tolist() == [3, 2]
    assert table.loc["Group B", "N"] == 0 and math.isnan(table.loc["Group B", "PROPORTION"])


def test_pooled_event_functions_never_take_the_allocation():
    for fn in (E.event_times, E.event_proportion, SV.curve, SV.at_risk, SV.pooled, E.event_summary):
        assert "arm_of" not in inspect.signature(fn).parameters, fn.__name__
