"""Infusion reactions within the window after any infusion; Kaplan-Meier and log-rank against textbook values."""

import pandas as pd
import pytest

from dashboard.analysis import ae_infusion as I
from dashboard.analysis import ae_time as T
from dashboard.analysis import survival as SV
from dashboard.analysis import safety as S
from safety_frames import ae, ex, small_trial

ARM = pd.Series(pd.Categorical(["Group A", "Group B", "Group A"], categories=["Group A", "Group B"]),
                index=["S1", "S2", "S3"])


def _flagged(ae_rows, ex_rows, hours=72):
    pop = pd.DataFrame({"USUBJID": ["A"], "FIRSTDOSE": pd.to_datetime(["2021-05-01"])})
    events = S.adverse_events(ae(ae_rows), pop)
    doses = I.infusions(ex(ex_rows), pop, planned_doses=5, interval_days=1)
    return I.flag_infusion_reactions(events, doses, hours).set_index("AESEQ").sort_index()


def test_events_within_72_hours_of_any_infusion_are_flagged():
    flagged = _flagged(
        [{"USUBJID": "A", "AESEQ": 1, "AEDECOD": "Fever", "AESTDTC": "2021-05-01T12:00"},   # 2 h after #1
         {"USUBJID": "A", "AESEQ": 2, "AEDECOD": "Rash", "AESTDTC": "2021-05-08T09:00"},    # 71 h after #2
         {"USUBJID": "A", "AESEQ": 3, "AEDECOD": "Rash", "AESTDTC": "2021-05-08T11:00"},    # 73 h after #2
         {"USUBJID": "A", "AESEQ": 4, "AEDECOD": "Cough", "AESTDTC": "2021-04-30T11:00"}],  # before dosing
        [("A", "2021-05-01T10:00"), ("A", "2021-05-05T10:00")])
    assert flagged["IR"].tolist() == [True, True, False, False]
    assert flagged.loc[1, "IR_HOURS"] == pytest.approx(2.0)
    assert flagged.loc[2, ["IR_INFUSION", "IR_HOURS"]].tolist() == [5.0, pytest.approx(71.0)]  # planned day 5


def test_untimed_dates_use_the_whole_day():
    flagged = _flagged(
        [{"USUBJID": "A", "AESEQ": 1, "AEDECOD": "Fever", "AESTDTC": "2021-05-04"},   # day 3 after an untimed infusion
         {"USUBJID": "A", "AESEQ": 2, "AEDECOD": "Fever", "AESTDTC": "2021-05-05"}],  # day 4: outside
        [("A", "2021-05-01")])
    assert flagged["IR"].tolist() == [True, False]
    assert flagged["IR_HOURS"].isna().all()


def test_infusion_reaction_summary_counts_subjects_per_infusion():
    d = small_trial()
    pop = S.safety_population(d["DM"], d["EX"])
    doses = I.infusions(d["EX"], pop, 5, 1)
    plan = I.dosing_plan(5, 1)
    events = I.flag_infusion_reactions(S.treatment_emergent(S.adverse_events(d["AE"], pop)), doses, 72)
    pooled = I.infusion_reaction_summary(events, pop, doses, plan).set_index("CATEGORY")
    assert pooled.loc["Any infusion", ["n0", "ev0", "N0"]].tolist() == [2, 2, 3]
    by_arm = I.infusion_reaction_summary_by_arm(events, pop, doses, plan, arm_of=ARM).set_index("CATEGORY")
    assert by_arm.loc["Any infusion", ["n0", "n1", "n2"]].tolist() == [2, 0, 2]


def _missed_second_infusion():
    """A has all five daily infusions; B misses the one planned on day 2. Both react the day after day 3's."""
    pop = pd.DataFrame({"USUBJID": ["A", "B"], "FIRSTDOSE": pd.to_datetime(["2021-05-01", "2021-05-01"])})
    ex_frame = ex([("A", f"2021-05-0{k}T10:00") for k in (1, 2, 3, 4, 5)]
                  + [("B", f"2021-05-0{k}T10:00") for k in (1, 3, 4, 5)])
    reactions = ae([{"USUBJID": s, "AESEQ": 1, "AEDECOD": "Fever", "AESTDTC": "2021-05-03T14:00"} for s in "AB"])
    doses = I.infusions(ex_frame, pop, planned_doses=5, interval_days=1)
    events = I.flag_infusion_reactions(S.adverse_events(reactions, pop), doses, 72)
    return pop, doses, events


def test_infusions_are_numbered_by_the_dosing_plan_not_the_order_received():
    """A board member reads 'infusion 3' as the third planned infusion (study day 3), also for a subject
    who missed the second one."""
    _, doses, events = _missed_second_infusion()
    assert doses[doses["USUBJID"] == "B"]["INFUSION"].tolist() == [1, 3, 4, 5]
    assert doses[doses["USUBJID"] == "B"]["STUDYDAY"].tolist() == [1, 3, 4, 5]
    assert events.set_index("USUBJID")["IR_INFUSION"].to_dict() == {"A": 3.0, "B": 3.0}


def test_a_late_infusion_keeps_the_numbers_of_the_ones_after_it():
    """All five given, the third one day late (days 1, 2, 4, 5, 6): infusions 1 to 5, none merged or skipped;
    four given with the third missed (days 1, 2, 4, 5): 1, 2, 4, 5."""
    pop = pd.DataFrame({"USUBJID": ["L", "M"], "FIRSTDOSE": pd.to_datetime(["2021-05-01", "2021-05-01"])})
    doses = I.infusions(ex([("L", f"2021-05-0{d}") for d in (1, 2, 4, 5, 6)]
                           + [("M", f"2021-05-0{d}") for d in (1, 2, 4, 5)]), pop, planned_doses=5, interval_days=1)
    assert doses.groupby("USUBJID")["INFUSION"].apply(list).to_dict() == {"L": [1, 2, 3, 4, 5], "M": [1, 2, 4, 5]}


def test_per_infusion_rows_divide_by_the_subjects_who_received_that_infusion():
    """'After infusion 2' counts out of the subjects who had infusion 2; 'any infusion' out of all dosed."""
    pop, doses, events = _missed_second_infusion()
    table = I.infusion_reaction_summary(events, pop, doses, I.dosing_plan(5, 1)).set_index("CATEGORY")
    assert table.index.tolist() == ["Any infusion"] + [I.infusion_label(k, k) for k in range(1, 6)]
    assert table["N0"].tolist() == [2, 2, 1, 2, 2, 2]
    assert table.loc[I.infusion_label(3, 3), ["n0", "N0", "pct0"]].tolist() == [2, 2, 100.0]
    assert table.loc[I.infusion_label(2, 2), ["n0", "N0"]].tolist() == [0, 1]


def test_the_dosing_plan_follows_the_configured_interval():
    assert I.dosing_plan(3, 2)["PLANNED_DAY"].tolist() == [1, 3, 5]
    pop = pd.DataFrame({"USUBJID": ["A"], "FIRSTDOSE": pd.to_datetime(["2021-05-01"])})
    doses = I.infusions(ex([("A", "2021-05-01"), ("A", "2021-05-02"), ("A", "2021-05-05"), ("A", "2021-05-12")]),
                        pop, planned_doses=3, interval_days=2)
    assert doses["INFUSION"].tolist() == [1, 2, 3, 3]   # day 2: halfway, the later planned one; day 12: the last


# Freireich et al. (1963) remission times, as in Kleinbaum & Klein, Survival Analysis, chapter 2.
MP6 = [(6, 1), (6, 1), (6, 1), (6, 0), (7, 1), (9, 0), (10, 1), (10, 0), (11, 0), (13, 1), (16, 1), (17, 0),
       (19, 0), (20, 0), (22, 1), (23, 1), (25, 0), (32, 0), (32, 0), (34, 0), (35, 0)]
PLACEBO = [(t, 1) for t in (1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23)]


def test_kaplan_meier_matches_the_textbook_6mp_curve():
    curve = SV.curve(SV.times_frame(range(len(MP6)), [t for t, _ in MP6], [e for _, e in MP6])).set_index("TIME")
    expected = {0: 1.0, 6: 0.857, 7: 0.807, 10: 0.753, 13: 0.690, 16: 0.627, 22: 0.538, 23: 0.448}
    for day, surv in expected.items():
        assert curve.loc[day, "SURV"] == pytest.approx(surv, abs=5e-4)
    assert curve.loc[6, "AT_RISK"] == 21 and curve.loc[6, "EVENTS"] == 3
    assert (curve["LO"] <= curve["SURV"]).all() and (curve["HI"] >= curve["SURV"]).all()


def test_log_rank_matches_the_textbook_chi_square():
    rows = MP6 + PLACEBO
    ids = [f"S{i:02d}" for i in range(len(rows))]
    tte = SV.times_frame(ids, [t for t, _ in rows], [e for _, e in rows])
    arm = pd.Series(pd.Categorical(["6-MP"] * 21 + ["Placebo"] * 21, categories=["6-MP", "Placebo"]), index=ids)
    result = SV.by_arm(tte, [0, 7], arm_of=arm)
    test = result.test.iloc[0]
    assert test["CHI2"] == pytest.approx(16.79, abs=0.01)
    assert test["DF"] == 1 and test["P"] < 0.0001
    assert result.curves["GROUP"].unique().tolist() == ["6-MP", "Placebo"]


def test_time_to_first_serious_event_is_censored_at_the_end_of_observation():
    d = small_trial()
    pop = S.safety_population(d["DM"], d["EX"])
    teae = S.treatment_emergent(S.adverse_events(d["AE"], pop))
    end = S.observation_end(pop, d["DM"], d["DS"], "2021-05-25", 28)
    tte = T.time_to_first_serious(teae, pop, end).set_index("USUBJID")
    assert tte.loc["S2", ["TIME", "EVENT"]].tolist() == [9, 1]     # 2021-05-10, first dose 2021-05-02: day 9
    assert tte.loc["S1", ["TIME", "EVENT"]].tolist() == [25, 0]    # censored at the cut, study day 25
    assert SV.by_arm(tte.reset_index(), [0], arm_of=ARM).test is not None
    pooled = SV.pooled(tte.reset_index(), [0], label=S.TOTAL).curves
    assert pooled["GROUP"].unique().tolist() == [S.TOTAL]


def test_no_serious_events_gives_a_flat_curve_and_no_test():
    tte = SV.times_frame(["S1", "S2"], [28.0, 28.0], [0, 0])
    assert set(SV.pooled(tte, [0]).curves["SURV"]) == {1.0}
    test = SV.by_arm(tte, [0], arm_of=ARM).test.iloc[0]
    assert pd.isna(test["P"]) and test["NOTE"] == "too few events (0 < 5)"      # no test without events
    assert SV.pooled(tte, [0, 28]).at_risk["AT_RISK"].tolist() == [2, 2]


def test_a_serious_event_after_the_end_of_observation_is_not_counted():
    """A subject withdrawn on day 10 whose serious event is recorded on day 20 is censored at day 10."""
    events = pd.DataFrame({"USUBJID": ["W1"], "SERIOUS": [True], "TEAE": [True], "ADY": [20.0]})
    population = pd.DataFrame({"USUBJID": ["W1"], "FIRSTDOSE": [pd.Timestamp("2021-05-01")]})
    end = pd.Series([pd.Timestamp("2021-05-10")], index=["W1"])
    tte = T.time_to_first_serious(events, population, end)
    assert tte[["TIME", "EVENT"]].values.tolist() == [[10.0, 0]]


def test_a_completer_is_censored_at_the_completion_study_day():
    """Time to first serious event: a subject who completed the study on study day 31 without one is
    followed to day 31, not to first dose + 28 days."""
    d = small_trial()
    pop = S.safety_population(d["DM"], d["EX"])
    ds = pd.concat([d["DS"], pd.DataFrame({"USUBJID": ["S1"], "DSDECOD": ["COMPLETED"], "DSSTDTC": ["2021-05-31"],
                                           "DSSTDT": pd.to_datetime(["2021-05-31"])})], ignore_index=True)
    end = S.observation_end(pop, d["DM"], ds, "2021-07-01", 28)
    tte = T.time_to_first_serious(S.treatment_emergent(S.adverse_events(d["AE"], pop)), pop, end)
    times = tte.set_index("USUBJID")["TIME"]
    assert times["S1"] == 31                       # completed 2021-05-31, first dose 2021-05-01
    assert times["S3"] == 28                       # no disposition record: the planned end, study day 28


def test_an_event_on_the_first_dose_day_is_at_study_day_1():
    d = small_trial()
    pop = S.safety_population(d["DM"], d["EX"])
    frame = ae([{"USUBJID": "S1", "AESEQ": 1, "AEDECOD": "Sepsis", "AESTDTC": "2021-05-01T15:00", "AESER": "Y"}])
    end = S.observation_end(pop, d["DM"], d["DS"], "2021-07-01", 28)
    tte = T.time_to_first_serious(S.treatment_emergent(S.adverse_events(frame, pop)), pop, end)
    assert tte.set_index("USUBJID").loc["S1", ["TIME", "EVENT"]].tolist() == [1, 1]


def test_a_curve_with_events_on_day_0_starts_at_100_percent_and_runs_to_the_last_follow_up():
    steps = SV.curve(SV.times_frame(range(5), [0, 0, 5, 28, 28], [1, 1, 1, 0, 0]))
    assert steps[["TIME", "SURV"]].iloc[0].tolist() == [0.0, 1.0]
    assert steps["SURV"].iloc[1] == pytest.approx(0.6)          # the drop at day 0 follows the start
    assert steps["TIME"].iloc[-1] == 28.0 and steps["SURV"].iloc[-1] == pytest.approx(0.4)
