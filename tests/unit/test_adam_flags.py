"""ADaM flag helpers: the flag is used where delivered, the SDTM derivation stays in charge otherwise."""

from __future__ import annotations

from dashboard.analysis.safety_base import NOT_IN_SAFETY

import numpy as np
import pandas as pd
import pytest

from dashboard.analysis import adam_flags, survival


def test_teae_from_trtemfl_or_fallback():
    ae = pd.DataFrame({"USUBJID": ["A", "A", "B"], "AESEQ": [1.0, 2.0, 1.0], "TRTEMFL": ["Y", None, "y "]})
    assert adam_flags.teae(ae).tolist() == [True, False, True]
    fallback = pd.Series([False, True, False])
    assert adam_flags.teae(ae.drop(columns=["TRTEMFL"]), fallback).tolist() == [False, True, False]
    assert adam_flags.teae(ae.assign(TRTEMFL=None), fallback).tolist() == [False, True, False]   # empty: not delivered


def test_with_adam_teae_matches_events_by_subject_and_sequence():
    ae = pd.DataFrame({"USUBJID": ["A", "A", "B"], "AESEQ": [1.0, 2.0, 1.0], "TRTEMFL": ["Y", "N", "Y"]})
    events = pd.DataFrame({"USUBJID": ["B", "A", "A"], "AESEQ": [1.0, 2.0, 1.0], "TEAE": [False, True, False]})
    assert adam_flags.with_adam_teae(events, ae)["TEAE"].tolist() == [True, False, True]
    assert adam_flags.with_adam_teae(events, ae.drop(columns=["TRTEMFL"]))["TEAE"].tolist() == [False, True, False]


def test_safety_population_and_randomized():
    dm = pd.DataFrame({"USUBJID": ["A", "B", "C"], "SAFFL": ["Y", "N", "Y"], "RANDFL": ["Y", "Y", "N"]})
    population = pd.DataFrame({"USUBJID": ["A", "B"]})
    assert adam_flags.safety_population(population, dm)["USUBJID"].tolist() == ["A"]
    assert adam_flags.safety_population(population, dm.drop(columns=["SAFFL"]))["USUBJID"].tolist() == ["A", "B"]
    assert adam_flags.randomized(dm).tolist() == [True, True, False]
    assert adam_flags.randomized(dm.assign(ITTFL=["N", "Y", "Y"])).tolist() == [False, True, True]


def test_change_from_baseline_leaves_out_baseline_derived_and_non_analysis_records():
    lb = pd.DataFrame({"LBTESTCD": ["ALT"] * 5 + ["AST"], "USUBJID": list("AAAAAA"),
                       "AVISITN": [0, 2, 2, 9998, 4, 2],
                       "AVISIT": ["Baseline", "Week 2", "Week 2", "MAX", "Week 4", "W"],
                       "CHG": [np.nan, 4.0, 8.0, 8.0, -2.0, 100.0], "ABLFL": ["Y", None, None, None, None, None],
                       "DTYPE": [None, None, None, "MAXIMUM", None, None], "ANL01FL": ["Y", "Y", None, "Y", "Y", "Y"]})
    out = adam_flags.change_from_baseline(lb, "LBTESTCD", "ALT")
    assert out["AVISITN"].tolist() == [2, 4] and out["N"].tolist() == [1, 1] and out["MEAN"].tolist() == [4.0, -2.0]


def test_tte_frame_and_median():
    adtte = pd.DataFrame({"USUBJID": list("ABCD"), "PARAMCD": ["OS"] * 4, "AVAL": ["1", "2", "3", "4"],
                          "CNSR": ["0", "0", "1", "0"]})
    tte = adam_flags.tte_frame(adtte, "OS")
    assert tte["EVENT"].tolist() == [1, 1, 0, 1] and tte["TIME"].tolist() == [1.0, 2.0, 3.0, 4.0]
    curve = pd.DataFrame({"TIME": [0, 1, 2, 4], "SURV": [1.0, 0.75, 0.5, 0.0]})
    assert survival.median_time(curve) == 3      # flat at one half from 2 to the drop at 4: the midpoint
    assert np.isnan(survival.median_time(curve.assign(SURV=[1.0, 0.9, 0.8, 0.7])))


def test_disposition_from_dm():
    dm = pd.DataFrame({"USUBJID": ["A", "B", "C", "D", "E"],
                       "EOSSTT": ["COMPLETED", "DISCONTINUED", "DISCONTINUED", None, "ONGOING"],
                       "DCSREAS": [None, "ADVERSE EVENT", None, None, None],
                       "EOSDTC": ["2014-07-02", "2014-03-01", None, None, None], "SCRNFFL": ["N", "N", "N", "Y", "N"]})
    ds = adam_flags.disposition_from_dm(dm)
    assert ds[["USUBJID", "DSDECOD", "DSCAT"]].values.tolist() == [
        ["A", "COMPLETED", "DISPOSITION EVENT"], ["B", "ADVERSE EVENT", "DISPOSITION EVENT"],
        ["C", "DISCONTINUED", "DISPOSITION EVENT"], ["D", "SCREEN FAILURE", "DISPOSITION EVENT"]]
    assert ds["DSSTDT"].iloc[0] == pd.Timestamp("2014-07-02") and pd.isna(ds["DSSTDT"].iloc[2])
    assert ds["DSSEQ"].tolist() == [1.0] * 4


def _saffl_frames():
    """Three randomized, dosed subjects; C has SAFFL = N (e.g. a dosing record later judged invalid)."""
    dm = pd.DataFrame({"USUBJID": ["A", "B", "C"], "RANDFL": ["Y", "Y", "Y"], "SAFFL": ["Y", "Y", "N"],
                       "RFSTDTC": ["2020-01-01"] * 3, "RFSTDT": pd.to_datetime(["2020-01-01"] * 3)})
    ex = pd.DataFrame({"USUBJID": ["A", "B", "C"], "EXSEQ": [1.0, 1.0, 1.0], "EXSTDTC": ["2020-01-01"] * 3,
                       "EXSTDT": pd.to_datetime(["2020-01-01"] * 3)})
    return dm, ex


def test_safety_population_on_adam_is_restricted_by_saffl():
    from dashboard.analysis.safety import safety_population
    dm, ex = _saffl_frames()
    assert adam_flags.safety_population(safety_population(dm, ex), dm)["USUBJID"].tolist() == ["A", "B"]


def test_outcomes_population_difference_lists_a_dosed_subject_with_saffl_n():
    from dashboard.analysis.worst_rank import population_differences
    dm, ex = _saffl_frames()
    rows = population_differences(dm, ex)
    assert rows["USUBJID"].tolist() == ["C"] and rows["REASON"].tolist() == [NOT_IN_SAFETY]


def test_safety_population_statement_names_a_dosed_subject_with_saffl_n_as_such():
    from dashboard.analysis.adam_flags import safety_population as flagged
    from dashboard.analysis.safety import safety_population
    from dashboard.analysis.safety_base import population_difference
    dm, ex = _saffl_frames()
    dosed = safety_population(dm, ex)
    rows = population_difference(dm, flagged(dosed, dm), dosed=dosed["USUBJID"])
    assert rows[["USUBJID", "REASON"]].values.tolist() == [["C", NOT_IN_SAFETY]]
