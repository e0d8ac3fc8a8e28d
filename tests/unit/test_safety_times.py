"""Issue 12, 'Time, not just days': treatment-emergence and the infusion window use the time of day when the
export gives one; a cut's --DT columns hold the day only (midnight), as ingest writes them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analysis.ae_infusion import flag_infusion_reactions, infusions
from dashboard.analysis.ae_listings import sae_listing
from dashboard.analysis.safety import SAME_DAY_UNTIMED, adverse_events, safety_population
from tests.unit import safety_frames as sf


def _midnight(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """--DT at midnight of the date, as the loader stores it (the time stays in --DTC)."""
    return frame.assign(**{c: frame[c].dt.normalize() for c in columns})


def _trial(ex_rows: list[tuple], ae_rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    dm = sf.dm([("S1", "Y", "2021-05-01", None)])
    ex = _midnight(sf.ex(ex_rows), "EXSTDT")
    ae = _midnight(sf.ae(ae_rows), "AESTDT", "AEENDT")
    population = safety_population(dm, ex)
    return population, ex, adverse_events(ae, population)


def test_an_ae_hours_before_the_first_dose_on_its_day_is_not_emergent():
    population, _, events = _trial([("S1", "2021-05-01T14:00")], [
        {"USUBJID": "S1", "AESEQ": 1, "AEDECOD": "Headache", "AESTDTC": "2021-05-01T09:30"},
        {"USUBJID": "S1", "AESEQ": 2, "AEDECOD": "Nausea", "AESTDTC": "2021-05-01T14:00"},
        {"USUBJID": "S1", "AESEQ": 3, "AEDECOD": "Rash", "AESTDTC": "2021-05-01"}])
    by_seq = events.set_index("AESEQ")
    # the reference: plain comparisons of the date-times written above
    assert pd.Timestamp("2021-05-01T09:30") < pd.Timestamp("2021-05-01T14:00")
    assert not by_seq.loc[1, "TEAE"]
    assert by_seq.loc[2, "TEAE"] and by_seq.loc[2, "TEAE_TIMING"] == ""
    # date alone on the day of the first dose: emergent (conservative), and said so
    assert by_seq.loc[3, "TEAE"] and by_seq.loc[3, "TEAE_TIMING"] == SAME_DAY_UNTIMED
    assert population["FIRSTDOSETM"].iloc[0] == pd.Timestamp("2021-05-01T14:00")


def test_an_untimed_first_dose_makes_a_same_day_ae_emergent_and_flagged_in_the_listing():
    _, _, events = _trial([("S1", "2021-05-01")], [
        {"USUBJID": "S1", "AESEQ": 1, "AEDECOD": "Headache", "AESTDTC": "2021-05-01T06:00", "AESER": "Y"},
        {"USUBJID": "S1", "AESEQ": 2, "AEDECOD": "Nausea", "AESTDTC": "2021-05-02", "AESER": "Y"}])
    listing = sae_listing(events).set_index("AESEQ")
    assert listing.loc[1, "TEAE"] == f"Y ({SAME_DAY_UNTIMED})"
    assert listing.loc[2, "TEAE"] == "Y"


def test_a_death_on_day_6_is_not_within_72_h_of_infusions_whose_times_are_known_earlier():
    """Infusions on days 1 to 3 at 08:00; 72 h after the last one is day 6 08:00."""
    ex_rows = [("S1", f"2021-05-0{d}T08:00") for d in (1, 2, 3)]
    ae_rows = [{"USUBJID": "S1", "AESEQ": 1, "AEDECOD": "Death", "AESTDTC": "2021-05-06T23:00", "AESER": "Y",
                "AEOUT": "FATAL"},
               {"USUBJID": "S1", "AESEQ": 2, "AEDECOD": "Fever", "AESTDTC": "2021-05-06T07:00"}]
    population, ex, events = _trial(ex_rows, ae_rows)
    doses = infusions(ex, population, 5, 1)
    flagged = flag_infusion_reactions(events, doses, 72).set_index("AESEQ")
    hours = (pd.Timestamp("2021-05-06T23:00") - pd.Timestamp("2021-05-03T08:00")).total_seconds() / 3600
    assert hours > 72
    assert not flagged.loc[1, "IR"]
    assert flagged.loc[2, "IR"]
    assert np.isclose(flagged.loc[2, "IR_HOURS"], (pd.Timestamp("2021-05-06T07:00")
                                                   - pd.Timestamp("2021-05-03T08:00")).total_seconds() / 3600)
    assert sae_listing(flagged.reset_index()).set_index("AESEQ").loc[1, "IR"] == "N"


def test_a_day_6_event_is_within_72_h_of_a_day_5_infusion_and_marked_date_only_when_untimed():
    ex_rows = [("S1", f"2021-05-0{d}T10:00") for d in (1, 2, 3, 4, 5)]
    population, ex, events = _trial(ex_rows, [
        {"USUBJID": "S1", "AESEQ": 1, "AEDECOD": "Death", "AESTDTC": "2021-05-06", "AESER": "Y"}])
    flagged = flag_infusion_reactions(events, infusions(ex, population, 5, 1), 72)
    assert flagged["IR"].iloc[0] and flagged["IR_INFUSION"].iloc[0] == 5
    assert sae_listing(flagged)["IR"].iloc[0] == "Y (date only)"


def test_a_partial_start_imputed_to_the_first_dose_day_says_so_not_same_day():
    from dashboard.analysis.safety import PARTIAL_START
    _, _, events = _trial([("S1", "2021-05-01T10:00")], [
        {"USUBJID": "S1", "AESEQ": 1, "AEDECOD": "Rash", "AESTDTC": "2021-05"}])
    assert events["TEAE"].iloc[0] and events["TEAE_TIMING"].iloc[0] == PARTIAL_START
    assert sae_listing(events.assign(SERIOUS=True))["TEAE"].iloc[0] == f"Y ({PARTIAL_START})"
