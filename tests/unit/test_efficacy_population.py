"""The efficacy population of the Outcomes page (`adam_flags.efficacy_population_dm`) and the ADaM records that are
not analysis values (`adam_flags.non_analysis`, `outcomes.outcome_values`): references written out by hand."""

from __future__ import annotations

import pandas as pd

from dashboard.analysis import adam_flags, outcomes
from dashboard.config import Outcome, Visit
from dashboard.config_adam import AdamConfig
from dashboard.figures.outcomes import population_text

DM = pd.DataFrame({"USUBJID": ["A", "B", "C", "D", "E"], "RANDFL": ["Y", "Y", "Y", "Y", ""],
                   "EFFFL": ["Y", "N", "Y", "", "Y"], "FASFL": ["Y", "Y", "Y", "Y", "Y"]})


def test_the_flag_restricts_dm_and_names_the_randomized_subjects_it_leaves_out():
    population = adam_flags.efficacy_population_dm(DM, AdamConfig(configured=True))
    assert population.flag == "EFFFL" and population.absent_flag is None
    assert population.dm["USUBJID"].tolist() == ["A", "C", "E"]          # E is not randomized: randomized_ids drops it
    assert population.left_out == ("B", "D")                               # blank is not Y
    assert outcomes.randomized_ids(population.dm).tolist() == ["A", "C"]


def test_randfl_as_the_flag_and_an_sdtm_cut_keep_every_randomized_subject():
    for adam in (AdamConfig(efficacy_flag="RANDFL", configured=True), AdamConfig()):
        dm = DM.drop(columns="EFFFL") if adam.efficacy_flag == "EFFFL" else DM
        population = adam_flags.efficacy_population_dm(dm, adam)
        assert population.flag is None and population.left_out == () and population.dm is dm
        assert population.absent_flag is None


def test_a_configured_flag_the_cut_lacks_is_named_and_said_on_the_page():
    population = adam_flags.efficacy_population_dm(DM, AdamConfig(efficacy_flag="PPROTFL", configured=True))
    assert population.flag is None and population.absent_flag == "PPROTFL" and population.dm is DM
    text = " ".join(population_text(4, pd.DataFrame({"USUBJID": [], "REASON": []}), efficacy=population))
    assert "The configured efficacy flag PPROTFL is not in this cut's subject-level data" in text
    flagged = adam_flags.efficacy_population_dm(DM, AdamConfig(configured=True))
    text = " ".join(population_text(2, pd.DataFrame({"USUBJID": [], "REASON": []}), efficacy=flagged))
    assert "randomized subjects with EFFFL = Y" in text and "2 randomized subjects have EFFFL other than Y" in text


LB = pd.DataFrame({"USUBJID": ["A"] * 6, "LBTESTCD": ["ALT"] * 6, "LBSTRESN": [10.0, 11, 12, 13, 14, 99],
                   "VISITNUM": [3.0, 4, 5, None, None, None], "VISIT": ["BASELINE", "WEEK 2", "WEEK 4", None, None, None],
                   "LBBLFL": ["Y", "", "", "", "", ""], "LBDY": [1.0, 14, 28, 30, 31, 40],
                   "DTYPE": ["", "", "", "", "", "MAXIMUM"], "ANL01FL": ["", "Y", "Y", "", "", "Y"]})
VISITS = (Visit(3, "BASELINE", 1, 0), Visit(4, "WEEK 2", 14, 2), Visit(5, "WEEK 4", 28, 2))
ALT = Outcome(family="Liver", domain="LB", testcd="ALT", label="ALT", unit="U/L", higher_is_better=False)


def test_non_analysis_masks_keep_the_baseline_and_the_flagged_records():
    derived, outside = adam_flags.non_analysis(LB, "LBBLFL")
    assert derived.tolist() == [False, False, False, False, False, True]
    assert outside.tolist() == [False, False, False, True, True, False]
    plain = LB.drop(columns=["DTYPE", "ANL01FL"])                          # an SDTM cut: every record counts
    assert [m.sum() for m in adam_flags.non_analysis(plain, "LBBLFL")] == [0, 0]


def test_outcome_values_take_the_analysis_records_only_and_count_the_rest():
    dm = DM.drop(columns="EFFFL")
    values = outcomes.outcome_values(LB, ALT, dm, VISITS)
    assert values["VALUE"].tolist() == [10.0, 11.0, 12.0]
    assert values["SCHEDULED"].all()
    assert outcomes.non_analysis_counts(LB, ALT, dm) == (1, 2)
    assert outcomes.left_out_of_visit_plots(values, VISITS) == (0, 0)
