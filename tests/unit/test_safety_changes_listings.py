"""Changes between cuts, SAE / death listings, search, caps, JSON rows and grid shaping."""

import numpy as np
import pandas as pd

from dashboard.analysis.arms import with_arm
from dashboard.analysis import ae_listings as LI
from dashboard.analysis import changes as C
from dashboard.analysis import safety as S
from dashboard.tables import safety as ST
from safety_frames import ae, dm, small_trial


def _two_cuts():
    before = ae([{"USUBJID": "A", "AESEQ": 1, "AEDECOD": "Rash", "AESTDTC": "2021-05-02"},
                 {"USUBJID": "A", "AESEQ": 2, "AEDECOD": "Fever", "AESTDTC": "2021-05-03"},
                 {"USUBJID": "B", "AESEQ": 1, "AEDECOD": "Cough", "AESTDTC": "2021-05-03"}])
    after = ae([{"USUBJID": "A", "AESEQ": 1, "AEDECOD": "Rash", "AESTDTC": "2021-05-02"},
                {"USUBJID": "A", "AESEQ": 2, "AEDECOD": "Fever", "AESTDTC": "2021-05-03", "AESER": "Y",
                 "AEENDTC": "2021-05-09"},
                {"USUBJID": "C", "AESEQ": 1, "AEDECOD": "Pneumonia", "AESTDTC": "2021-05-10", "AESER": "Y"}])
    return before, after


def test_changes_are_new_changed_or_removed_by_subject_and_sequence():
    before, after = _two_cuts()
    changes = C.ae_changes(after, before).set_index(["USUBJID", "AESEQ"])
    assert changes["CHANGE"].to_dict() == {("A", 2.0): "CHANGED", ("B", 1.0): "REMOVED", ("C", 1.0): "NEW"}
    assert changes.loc[("A", 2.0), "CHANGED_COLUMNS"] == "AESER, AEENDTC"
    assert changes.loc[("B", 1.0), "AEDECOD"] == "Cough"   # removed records keep their previous content


def test_derived_date_columns_do_not_count_as_changes():
    before, _ = _two_cuts()
    after = before.assign(AESTDT=pd.NaT)
    assert C.ae_changes(after, before).empty


def test_change_summary_counts_new_and_newly_serious_events_and_new_deaths():
    before, after = _two_cuts()
    deaths = C.death_changes(dm([("C", "Y", "2021-05-01", "2021-05-20"), ("A", "Y", "2021-05-01", None)]),
                             dm([("C", "Y", "2021-05-01", None), ("A", "Y", "2021-05-01", None)]))
    assert deaths[["USUBJID", "CHANGE"]].values.tolist() == [["C", "NEW"]]
    summary = C.change_summary(C.ae_changes(after, before), deaths).set_index("KEY")["COUNT"].to_dict()
    assert summary == {"new_events": 1, "new_serious": 2, "changed": 1, "removed": 1, "new_deaths": 1}


def test_first_cut_has_no_changes():
    _, after = _two_cuts()
    assert (C.ae_changes(after, after)["CHANGE"] == "").sum() == 0
    assert C.ae_changes(after, after).empty


def _events():
    d = small_trial()
    pop = S.safety_population(d["DM"], d["EX"])
    return d, pop, S.adverse_events(d["AE"], pop)


def test_sae_listing_flags_new_records_and_gives_the_study_day():
    d, pop, events = _events()
    changes = pd.DataFrame({"USUBJID": ["S2"], "AESEQ": [1.0], "CHANGE": ["NEW"]})
    listing = LI.sae_listing(events, changes)
    assert listing[["USUBJID", "AEDECOD", "ADY", "TEAE", "FATAL", "CHANGE"]].values.tolist() == [
        ["S2", "Pneumonia", 9, "Y", "Y", "NEW"]]   # 2021-05-10, first dose 2021-05-02: study day 9


def test_death_listing_names_the_fatal_events():
    d, pop, events = _events()
    listing = LI.death_listing(d["DM"], pop, events)
    assert listing[["USUBJID", "DTHDTC", "DTHDY", "CAUSE"]].values.tolist() == [
        ["S2", "2021-05-20", 19, "Pneumonia"]]   # first dose 2021-05-02 is day 1


def test_listings_without_events_are_empty_but_shaped():
    d, pop, _ = _events()
    events = S.adverse_events(pd.DataFrame(), pop)
    assert LI.sae_listing(events).columns.tolist() == LI.SAE_COLUMNS
    assert LI.death_listing(d["DM"].assign(DTHDTC=None, DTHDT=pd.NaT, DTHFL=None), pop, events).empty


def test_with_arm_search_cap_and_json_rows():
    frame = pd.DataFrame({"USUBJID": ["A", "B"], "TERM": ["Rash", "Fever"], "DAY": [1.0, np.nan],
                          "WHEN": pd.to_datetime(["2021-05-01", None])})
    armed = with_arm(frame, pd.Series(["Group A"], index=["A"]), keep_unarmed=True)
    assert armed.columns.tolist()[:2] == ["USUBJID", "ARM"] and armed["ARM"].tolist() == ["Group A", ""]
    assert LI.search_rows(frame, "fev")["USUBJID"].tolist() == ["B"]
    assert len(LI.search_rows(frame, "")) == 2
    shown, total = LI.cap_rows(frame, 1)
    assert len(shown) == 1 and total == 2
    assert LI.json_records(frame) == [{"USUBJID": "A", "TERM": "Rash", "DAY": 1, "WHEN": "2021-05-01"},
                                      {"USUBJID": "B", "TERM": "Fever", "DAY": None, "WHEN": None}]


def test_grid_cells_and_expansion():
    assert ST.n_pct(pd.Series([0, 3]), pd.Series([0.0, 37.5])) == ["0", "3 (37.5%)"]
    assert ST.fraction_cells(pd.Series([0, 2]), pd.Series([1, 3]), pd.Series([0.0, 200 / 3])) == ["0/1", "2/3 (66.7%)"]
    assert ST.risk_cell(0.125, -0.031, 0.27) == "+12.5 (-3.1, 27.0)"
    assert ST.risk_cell(np.nan, np.nan, np.nan) == "–"
    assert ST.clicked_class({"colId": "SOC", "value": "▸ Skin"}) == "Skin"
    assert ST.clicked_class({"colId": "PT", "value": "Rash"}) is None
    assert ST.clicked_class(None) is None
    assert ST.toggle(["Skin"], "Skin") == [] and ST.toggle(["b"], "a") == ["a", "b"]
