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
    assert events.loc[("S3", 1), "ADY"] == 0
    assert events.loc[("S2", 1), "ADY"] == 8        # days from first dose, first-dose day = 0
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
    assert end["S1"] == pd.Timestamp("2021-05-29")   # first dose + 28 days


def test_groups_put_the_total_last():
    pop = pd.DataFrame({"USUBJID": ["A", "B", "C"]})
    arm = pd.Series(pd.Categorical(["Group B", "Group A", "Group B"], categories=["Group A", "Group B"]),
                    index=["A", "B", "C"])
    assert S.group_sizes(pop, arm).to_dict() == {"Group A": 1, "Group B": 2, S.TOTAL: 3}
    assert S.group_sizes(pop, None).to_dict() == {S.TOTAL: 3}


def test_builders_shape():
    assert list(dm([("X", "Y", "2021-01-01", None)])["DTHFL"]) == [None]
    assert ex([("X", "2021-01-01")])["EXSEQ"].tolist() == [1.0]
