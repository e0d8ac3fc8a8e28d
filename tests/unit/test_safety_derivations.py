"""Safety population, treatment-emergent events with conservative partial-date imputation, flags, events."""

import pandas as pd
import pytest

from dashboard.analysis import safety as S
from safety_frames import EVENTS, ae, dm, ex, small_trial


def test_safety_population_is_randomized_and_dosed():
    d = small_trial()
    pop = S.safety_population(d["DM"], d["EX"])
    assert pop["USUBJID"].tolist() == ["S1", "S2", "S3"]  # S4 never dosed, F1 not randomized
    assert pop.set_index("USUBJID").loc["S1", "FIRSTDOSE"] == pd.Timestamp("2021-05-01")
    assert pop.set_index("USUBJID").loc["S1", "LASTDOSE"] == pd.Timestamp("2021-05-02")


def _impute(dtc, first, end=None):
    s = pd.Series([dtc])
    f = pd.Series([pd.Timestamp(first)])
    e = None if end is None else pd.Series([pd.Timestamp(end)])
    return S.impute_start_date(s, f, e).iloc[0]


@pytest.mark.parametrize("dtc, expected", [
    ("2021-05-07", "2021-05-07"),          # complete: as given
    ("2021-05-07T08:00", "2021-05-07"),    # time dropped: day-level comparison
    ("2021-05", "2021-05-10"),             # same month as the first dose: first-dose day
    ("2021-06", "2021-06-01"),             # a later month: its first day
    ("2021-04", "2021-04-01"),             # an earlier month: its first day (before dosing)
    ("2021", "2021-05-10"),                # same year: first-dose day
    ("2020", "2020-01-01"),                # another year: 1 January
    (None, "2021-05-10"),                  # no date at all: first-dose day (counted as emergent)
])
def test_partial_start_dates_are_imputed_conservatively(dtc, expected):
    assert _impute(dtc, "2021-05-10") == pd.Timestamp(expected)


def test_imputed_start_never_after_a_complete_end_date():
    # An event in the month of the first dose that ended before the first dose was not emergent.
    assert _impute("2021-05", "2021-05-10", end="2021-05-03") == pd.Timestamp("2021-05-03")


def test_treatment_emergent_starts_on_or_after_first_dose_day():
    d = small_trial()
    pop = S.safety_population(d["DM"], d["EX"])
    events = S.adverse_events(d["AE"], pop).set_index(["USUBJID", "AESEQ"])
    assert events.loc[("S1", 1), "TEAE"]            # same day as the first infusion
    assert not events.loc[("S2", 2), "TEAE"]        # before the first dose
    assert events.loc[("S3", 1), "TEAE"]            # partial 2021-05 in the first-dose month
    assert events.loc[("S3", 1), "ADY"] == 1        # imputed to the first-dose day: study day 1
    assert events.loc[("S2", 1), "ADY"] == 9        # 8 days after the first dose: study day 9
    assert events.loc[("S2", 2), "ADY"] == -12      # before the first dose: negative, no day 0 in between
    assert "S4" not in events.index.get_level_values(0)  # not in the safety population


def test_flags_follow_the_sdtm_columns():
    frame = ae([{"USUBJID": "S", "AESEQ": 1, "AEDECOD": "A", "AESTDTC": "2021-05-01", "AESEV": "MODERATE",
                 "AETOXGR": 3, "AEREL": "POSSIBLY RELATED", "AEACN": "DRUG WITHDRAWN"},
                {"USUBJID": "S", "AESEQ": 2, "AEDECOD": "B", "AESTDTC": "2021-05-01", "AESDTH": "Y"}])
    flags = S.ae_flags(frame)
    assert flags.loc[0].to_dict() == {"RELATED": True, "SERIOUS": False, "SEVERE": True, "DISCONT": True,
                                      "FATAL": False}
    assert flags.loc[1, "FATAL"] and not flags.loc[1, "SEVERE"]


def test_missing_ae_domain_gives_no_events():
    d = small_trial()
    pop = S.safety_population(d["DM"], d["EX"])
    events = S.adverse_events(pd.DataFrame(), pop)
    assert events.empty and "TEAE" in events


def test_clinical_events_from_configured_sources():
    d = small_trial()
    events = S.clinical_events(EVENTS, d)
    assert set(map(tuple, events[["USUBJID", "EVENT"]].to_numpy())) == {
        ("S1", "discharge"), ("S2", "intubation"), ("S2", "death"), ("S3", "discharge")}


def test_observation_ends_at_the_earliest_of_cut_death_withdrawal_and_follow_up():
    d = small_trial()
    pop = S.safety_population(d["DM"], d["EX"])
    end = S.observation_end(pop, d["DM"], d["DS"], "2021-05-25", 28)
    assert end["S1"] == pd.Timestamp("2021-05-25")   # cut date before day 28
    assert end["S2"] == pd.Timestamp("2021-05-20")   # death
    end = S.observation_end(pop, d["DM"], d["DS"], "2021-07-01", 28)
    assert end["S1"] == pd.Timestamp("2021-05-28")   # no disposition: planned end, study day 28


def _completed(rows):
    """DS with a COMPLETED record per (subject, date)."""
    return pd.DataFrame({"USUBJID": [s for s, _ in rows], "DSDECOD": "COMPLETED", "DSSTDTC": [d for _, d in rows],
                         "DSSTDT": pd.to_datetime([d for _, d in rows])})


def test_a_completed_subject_is_followed_to_the_completion_date_never_past_the_cut():
    """A board member reads a completer's follow-up as ending at the DS COMPLETED date, whether the final
    visit came before or after the planned day 28, and never beyond the data cut."""
    d = small_trial()
    pop = S.safety_population(d["DM"], d["EX"])
    ds = pd.concat([d["DS"], _completed([("S1", "2021-05-24"), ("S3", "2021-06-02")])], ignore_index=True)
    end = S.observation_end(pop, d["DM"], ds, "2021-07-01", 28)
    assert end["S1"] == pd.Timestamp("2021-05-24")   # completed on study day 24
    assert end["S3"] == pd.Timestamp("2021-06-02")   # completed on study day 31, after the planned day 28
    assert end["S2"] == pd.Timestamp("2021-05-20")   # death still ends it
    end = S.observation_end(pop, d["DM"], ds, "2021-05-30", 28)
    assert end["S3"] == pd.Timestamp("2021-05-30")   # completion after the cut: the cut


def test_follow_up_ends_at_the_last_completion_not_at_the_end_of_treatment():
    """An export that completes each epoch (treatment on day 5, follow-up on day 28) ends observation at
    the study's completion; a protocol milestone named COMPLETED is no disposition event."""
    d = small_trial()
    pop = S.safety_population(d["DM"], d["EX"])
    epochs = _completed([("S1", "2021-05-05"), ("S1", "2021-05-24"), ("S3", "2021-05-06")]).assign(
        DSCAT=["DISPOSITION EVENT", "DISPOSITION EVENT", "PROTOCOL MILESTONE"])
    end = S.observation_end(pop, d["DM"], pd.concat([d["DS"], epochs], ignore_index=True), "2021-07-01", 28)
    assert end["S1"] == pd.Timestamp("2021-05-24")
    assert end["S3"] == S.observation_end(pop, d["DM"], d["DS"], "2021-07-01", 28)["S3"]   # the milestone: ignored


def test_safety_study_days_are_the_outcomes_study_days():
    """An event shows the same day number on the Safety and the Outcomes page: day 1 is the first-dose
    (reference) day, the day before it is day -1, there is no day 0."""
    from dashboard.analysis.outcomes import day_one, study_day

    dates = ["2021-04-29", "2021-04-30", "2021-05-01", "2021-05-02", "2021-05-29"]
    d = small_trial()
    frame = ae([{"USUBJID": "S1", "AESEQ": i + 1, "AEDECOD": "Cough", "AESTDTC": day, "AEENDTC": day}
                for i, day in enumerate(dates)])
    pop = S.safety_population(d["DM"], d["EX"])
    events = S.adverse_events(frame, pop).sort_values("AESEQ")
    outcomes = study_day(pd.Series(pd.to_datetime(dates)), pd.Series(day_one(d["DM"])["S1"], index=range(5)))
    assert events["ADY"].tolist() == outcomes.tolist() == [-2, -1, 1, 2, 29]
    assert events["AENDY"].tolist() == [-2, -1, 1, 2, 29]


def test_groups_put_the_total_last():
    pop = pd.DataFrame({"USUBJID": ["A", "B", "C"]})
    arm = pd.Series(pd.Categorical(["Group B", "Group A", "Group B"], categories=["Group A", "Group B"]),
                    index=["A", "B", "C"])
    assert S.group_sizes(pop, arm).to_dict() == {"Group A": 1, "Group B": 2, S.TOTAL: 3}
    assert S.group_sizes(pop, None).to_dict() == {S.TOTAL: 3}


def test_builders_shape():
    assert list(dm([("X", "Y", "2021-01-01", None)])["DTHFL"]) == [None]
    assert ex([("X", "2021-01-01")])["EXSEQ"].tolist() == [1.0]
