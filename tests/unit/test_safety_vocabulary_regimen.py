"""Relatedness and action taken follow the configured vocabulary; 'leading to discontinuation' names its source;
infusion windows only for discrete doses; observation ends at any disposition event that ends participation."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from dashboard.analysis import ae as A
from dashboard.analysis import safety as S
from dashboard.analysis.safety_base import safety_frames
from dashboard.config import Vocabulary, load_trial_config
from safety_frames import ae, dm, dt, ex


@pytest.fixture(scope="module")
def config():
    return load_trial_config()


def _trial(aerel: list[str | None], aeacn: list[str | None]) -> dict[str, pd.DataFrame]:
    """Three dosed subjects, one AE each (S1, S2, S3) plus a second AE of S3, with the given AEREL / AEACN."""
    subjects = ["S1", "S2", "S3", "S3"]
    rows = [{"USUBJID": s, "AESEQ": i + 1, "AEDECOD": f"T{i}", "AESTDTC": f"2021-05-{10 + i:02d}",
             "AEREL": rel, "AEACN": acn} for i, (s, rel, acn) in enumerate(zip(subjects, aerel, aeacn))]
    return {"DM": dm([("S1", "Y", "2021-05-01", None), ("S2", "Y", "2021-05-01", None),
                      ("S3", "Y", "2021-05-01", None)]),
            "EX": ex([("S1", "2021-05-01"), ("S2", "2021-05-01"), ("S3", "2021-05-01")]),
            "AE": ae(rows)}


def _overview(frames) -> pd.DataFrame:
    categories = A.overview_categories(frames.teae, frames.discont_source)
    return A.ae_overview(frames.teae, frames.population, categories).set_index("CATEGORY")


def test_probable_and_possible_count_as_related(config):
    domains = _trial(["PROBABLE", "Possible ", "REMOTE", "NONE"], [None] * 4)
    table = _overview(safety_frames(domains, config, "2021-12-31"))
    # independent reference: subjects with AEREL in the default related list
    rel = domains["AE"]["AEREL"].str.strip().str.upper()
    expected = domains["AE"].loc[rel.isin(["PROBABLE", "POSSIBLE"]), "USUBJID"].nunique()
    assert table.loc["RELATED", "n0"] == expected == 2
    assert "NOT_ASSESSABLE" not in table.index      # every value is in one of the lists


def test_values_in_neither_list_are_counted_as_not_assessable(config):
    domains = _trial(["RELATED", None, "UNKNOWN", "NOT RELATED"], [None] * 4)
    table = _overview(safety_frames(domains, config, "2021-12-31"))
    assert table.loc["RELATED", "n0"] == 1
    assert table.loc["NOT_ASSESSABLE", ["n0", "ev0"]].tolist() == [2, 2]     # S2 (missing), S3 (UNKNOWN)
    assert "not assessable" in table.loc["NOT_ASSESSABLE", "LABEL"]


def test_configured_vocabulary_decides_related_and_withdrawn(config):
    custom = dataclasses.replace(config, vocabulary=Vocabulary(related=("YES",), not_related=("NO",),
                                                               drug_withdrawn=("STOPPED",)))
    domains = _trial(["Yes", "NO", "RELATED", "NO"], ["STOPPED", "DRUG WITHDRAWN", None, None])
    frames = safety_frames(domains, custom, "2021-12-31")
    table = _overview(frames)
    assert table.loc["RELATED", "n0"] == 1 and table.loc["NOT_ASSESSABLE", "n0"] == 1
    assert table.loc["DISCONT", "n0"] == 1 and frames.discont_source == "AEACN"
    assert "AEACN" in table.loc["DISCONT", "LABEL"]


def test_discontinuation_from_ds_when_aeacn_is_empty_for_the_whole_study(config):
    domains = _trial(["NONE"] * 4, [None, "", None, None])
    domains["DS"] = pd.DataFrame({"USUBJID": ["S3", "S1", "S2"], "DSCAT": ["DISPOSITION EVENT", "DISPOSITION EVENT",
                                                                          "OTHER EVENT"],
                                  "DSDECOD": ["ADVERSE EVENT", "COMPLETED", "ADVERSE EVENT"],
                                  "DSSTDTC": ["2021-05-12", "2021-06-01", "2021-05-12"]})
    domains["DS"]["DSSTDT"] = dt(list(domains["DS"]["DSSTDTC"]))
    frames = safety_frames(domains, config, "2021-12-31")
    table = _overview(frames)
    assert frames.discont_source == "DS"
    # S3's events on 2021-05-12 and 2021-05-13: the first started on or before the disposition date
    assert table.loc["DISCONT", ["n0", "ev0"]].tolist() == [1, 1]
    assert "disposition reason ADVERSE EVENT" in table.loc["DISCONT", "LABEL"]


def test_aeacn_recorded_anywhere_keeps_aeacn_as_the_source(config):
    domains = _trial(["NONE"] * 4, ["DOSE NOT CHANGED", None, None, None])
    domains["DS"] = pd.DataFrame({"USUBJID": ["S3"], "DSCAT": ["DISPOSITION EVENT"], "DSDECOD": ["ADVERSE EVENT"],
                                  "DSSTDTC": ["2021-05-12"], "DSSTDT": dt(["2021-05-12"])})
    frames = safety_frames(domains, config, "2021-12-31")
    assert frames.discont_source == "AEACN" and _overview(frames).loc["DISCONT", "n0"] == 0


def _daily(config, days: int = 182):
    """A continuous regimen: one subject on a daily patch, EX as two periods, AEs on days 1, 40 and 150."""
    continuous = dataclasses.replace(config, regimen="continuous", planned_doses=days, dose_interval_days=1,
                                     planned_duration_days=days)
    domains = {"DM": dm([("S1", "Y", "2021-01-01", None)]),
               "EX": ex([("S1", "2021-01-01"), ("S1", "2021-02-15")]),
               "AE": ae([{"USUBJID": "S1", "AESEQ": i + 1, "AEDECOD": f"T{i}", "AESTDTC": d}
                         for i, d in enumerate(["2020-12-30", "2021-01-01", "2021-02-09", "2021-05-30"])])}
    return continuous, domains


def test_continuous_regimen_has_no_infusion_plan_or_reactions(config):
    continuous, domains = _daily(config)
    frames = safety_frames(domains, continuous, "2021-12-31")
    assert frames.plan.empty                                    # no 182-row "after infusion k" table
    assert not frames.events["IR"].any()
    discrete = safety_frames(domains, dataclasses.replace(continuous, regimen="infusions"), "2021-12-31")
    assert len(discrete.plan) == 182                            # what the old page built


def test_continuous_treatment_emergence_from_first_ex_start_with_no_end(config):
    continuous, domains = _daily(config)
    teae = safety_frames(domains, continuous, "2021-12-31").teae
    first = domains["EX"]["EXSTDT"].min()
    starts = pd.to_datetime(domains["AE"]["AESTDTC"])
    assert sorted(teae["AESEQ"]) == sorted(domains["AE"].loc[starts >= first, "AESEQ"])
    assert 4.0 in set(teae["AESEQ"])                            # long after the last EX start: still emergent


def test_observation_ends_at_a_disposition_event_other_than_withdrawal_by_subject():
    population = pd.DataFrame({"USUBJID": ["S1", "S2"], "FIRSTDOSE": pd.to_datetime(["2021-01-01"] * 2),
                               "DAY1": pd.to_datetime(["2021-01-01"] * 2)})
    ds = pd.DataFrame({"USUBJID": ["S1", "S2", "S2"], "DSCAT": ["DISPOSITION EVENT", "OTHER EVENT",
                                                               "PROTOCOL MILESTONE"],
                       "DSDECOD": ["ADVERSE EVENT", "FINAL LAB VISIT", "RANDOMIZED"],
                       "DSSTDT": pd.to_datetime(["2021-02-01", "2021-02-01", "2021-01-01"])})
    end = S.observation_end(population, pd.DataFrame({"USUBJID": ["S1", "S2"]}), ds, "2021-12-31", 182)
    assert end["S1"] == pd.Timestamp("2021-02-01")
    assert end["S2"] == pd.Timestamp("2021-01-01") + pd.Timedelta(days=181)   # planned end, day 182
