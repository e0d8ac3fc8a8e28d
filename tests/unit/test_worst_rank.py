"""Survivors and deaths (issue 12): who is behind each by-visit comparison, and the worst-rank sensitivity analysis.

References are computed here, apart from the app: statuses by plain pandas rules, ranks by a composite score fed
straight to scipy.stats.mannwhitneyu / kruskal."""

from __future__ import annotations

from dashboard.analysis.safety_base import NEVER_DOSED, OTHER_ARM

import numpy as np
import outcomes_frames as F
import pandas as pd
import pytest
from scipy import stats

from dashboard.analysis import worst_rank as W
from dashboard.config import Outcome, Visit

VISITS = (Visit(2, "DAY 7", 7, 1), Visit(3, "DAY 14", 14, 2), Visit(4, "DAY 28", 28, 3))
SCORE = Outcome("clinical", "QS", "SCORE", "Score", "points", True)      # higher is better
CRP = Outcome("laboratory", "LB", "CRP", "CRP", "mg/L", False)           # lower is better


def changes(rows: list[tuple[str, float, float]]) -> pd.DataFrame:
    """A visit_values frame from (USUBJID, VISITNUM, CHG)."""
    frame = pd.DataFrame(rows, columns=["USUBJID", "VISITNUM", "CHG"])
    return frame.assign(VALUE=frame["CHG"], BASE=0.0)


def test_death_days_are_study_days_and_an_undated_death_is_dead_by_every_visit():
    dm = F.dm([("S1", "2021-05-01"), ("S2", "2021-05-01"), ("S3", "2021-05-01")],
              deaths={"S1": "2021-05-10", "S2": "2021-05"})
    days = W.death_days(dm, F.ds())
    assert days["S1"] == (pd.Timestamp("2021-05-10") - pd.Timestamp("2021-05-01")).days + 1   # day 10
    assert np.isinf(days["S2"]) and "S3" not in days.index


def test_every_subject_has_one_status_per_visit_value_first_then_death_then_not_due():
    values = changes([("S1", 2, 1.0), ("S2", 2, 2.0), ("S2", 3, 3.0)])
    subjects = pd.Index(["S1", "S2", "S3", "S4", "S5"])
    deaths = pd.Series({"S1": 10.0, "S3": 5.0})
    cut = pd.Series({"S1": 40.0, "S2": 40.0, "S3": 40.0, "S4": 40.0, "S5": 20.0})
    status = W.visit_status(values, subjects, VISITS, deaths, cut).set_index(["USUBJID", "VISITNUM"])["STATUS"]
    # the reference, rule by rule
    expected = {}
    for s in subjects:
        for v in VISITS:
            has = ((values["USUBJID"] == s) & (values["VISITNUM"] == v.num)).any()
            dead = s in deaths.index and deaths[s] <= v.day
            expected[(s, float(v.num))] = ("change" if has else "died" if dead else
                                           "not due" if v.day > cut[s] else "no value")
    assert status.to_dict() == expected
    assert status[("S1", 3.0)] == "died" and status[("S2", 3.0)] == "change" and status[("S5", 4.0)] == "not due"


def test_status_counts_by_arm_add_up_to_the_randomized_subjects_of_each_arm():
    values = changes([("S1", 2, 1.0), ("S3", 2, 2.0)])
    subjects = pd.Index(["S1", "S2", "S3", "S4"])
    arm_of = F.arms({"S1": "Group A", "S2": "Group A", "S3": "Group B", "S4": "Group B"})
    status = W.visit_status(values, subjects, VISITS, pd.Series({"S2": 3.0}))
    counts = W.status_counts(status, arm_of)
    total = counts.groupby(["VISITNUM", "ARM"], observed=True)["N"].sum()
    assert set(total) == {2}
    day7 = counts[counts["VISITNUM"] == 2.0].set_index(["ARM", "STATUS"])["N"]
    assert day7[("Group A", "died")] == 1 and day7[("Group B", "no value")] == 1
    pooled = W.status_counts(status)
    assert "ARM" not in pooled and pooled[pooled["VISITNUM"] == 2.0].set_index("STATUS")["N"]["died"] == 1


def worst_rank_case(outcome: Outcome) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series, dict]:
    """Two arms at DAY 28: deaths on days 3, 20 (A) and 9 (B), survivors with changes, one alive without value."""
    arm = {"A1": "Group A", "A2": "Group A", "A3": "Group A", "A4": "Group A", "A5": "Group A", "A6": "Group A",
           "B1": "Group B", "B2": "Group B", "B3": "Group B", "B4": "Group B", "B5": "Group B", "B6": "Group B"}
    chg = {"A3": -1.0, "A4": 0.5, "A5": 2.0, "B2": 1.0, "B3": 3.0, "B4": 4.0, "B5": 0.5}
    deaths = pd.Series({"A1": 3.0, "A2": 20.0, "B1": 9.0})
    values = changes([(s, 4, c) for s, c in chg.items()])
    status = W.visit_status(values, pd.Index(list(arm)), [VISITS[2]], deaths)
    return values, status, deaths, F.arms(arm), {"chg": chg, "arm": arm}


@pytest.mark.parametrize("outcome", [SCORE, CRP])
def test_worst_rank_ranks_deaths_worst_earlier_worse_and_matches_mann_whitney_on_a_composite_score(outcome):
    values, status, deaths, arm_of, case = worst_rank_case(outcome)
    scores = W.worst_rank_scores(values, status, 4.0, deaths, outcome)
    table = W.worst_rank(scores, status, 4.0, arm_of, "Group A").set_index("ARM")
    # reference: deaths score -1000 + day (earlier = lower = worse); survivors their change, sign by direction
    sign = 1.0 if outcome.higher_is_better else -1.0
    composite = {s: -1000.0 + d for s, d in deaths.items()}
    composite.update({s: sign * c for s, c in case["chg"].items()})
    a = [v for s, v in composite.items() if case["arm"][s] == "Group A"]
    b = [v for s, v in composite.items() if case["arm"][s] == "Group B"]
    expected = stats.mannwhitneyu(b, a, alternative="two-sided")
    row = table.loc["Group B"]
    assert row["P"] == pytest.approx(expected.pvalue) and row["STATISTIC"] == pytest.approx(expected.statistic)
    assert row["WIN"] == pytest.approx(expected.statistic / (len(a) * len(b)))
    # B6 is alive without a value: not ranked
    assert (row["N"], row["RANKED"], row["DEATHS"], row["SURVIVORS"], row["LEFT_OUT"]) == (6, 5, 1, 4, 1)
    assert tuple(table.loc["Group A", ["N", "RANKED", "DEATHS", "LEFT_OUT"]]) == (6, 5, 2, 1)   # A6 not ranked
    ranks = scores.set_index("USUBJID")["RANK"]
    assert ranks["A1"] == 1 and ranks["B1"] == 2 and ranks["A2"] == 3       # earlier death, lower rank
    assert ranks[list(case["chg"])].min() > 3                               # every survivor above every death
    assert "Wilcoxon" in row["TEST"] and table.loc["Group A", "TEST"] == ""


def test_three_arms_add_a_kruskal_wallis_row_equal_to_scipy():
    rng = np.random.default_rng(7)
    arm, rows = {}, []
    for group, shift in (("Group A", 0.0), ("Group B", 1.0), ("Group C", 2.0)):
        for i in range(8):
            s = f"{group[-1]}{i}"
            arm[s] = group
            rows.append((s, 4, shift + rng.normal()))
    deaths = pd.Series({"A0": 5.0, "C1": 12.0})
    values = changes([r for r in rows if r[0] not in deaths.index])
    arm_of = F.arms(arm, order=("Group A", "Group B", "Group C"))
    status = W.visit_status(values, pd.Index(list(arm)), [VISITS[2]], deaths)
    table = W.worst_rank(W.worst_rank_scores(values, status, 4.0, deaths, SCORE), status, 4.0, arm_of, "Group A")
    composite = {s: c for s, _, c in rows if s not in deaths.index}
    composite.update({s: -1000.0 + d for s, d in deaths.items()})
    groups = [[v for s, v in composite.items() if arm[s] == g] for g in ("Group A", "Group B", "Group C")]
    kw = table[table["ARM"] == "All arms"].iloc[0]
    assert kw["TEST"] == W.KRUSKAL and kw["P"] == pytest.approx(stats.kruskal(*groups).pvalue)
    assert table["ARM"].tolist() == ["Group A", "Group B", "Group C", "All arms"]


def test_too_few_subjects_give_no_test():
    values = changes([("A1", 4, 1.0), ("B1", 4, 2.0)])
    status = W.visit_status(values, pd.Index(["A1", "B1"]), [VISITS[2]], pd.Series(dtype=float))
    arm_of = F.arms({"A1": "Group A", "B1": "Group B"})
    table = W.worst_rank(W.worst_rank_scores(values, status, 4.0, pd.Series(dtype=float), SCORE), status, 4.0,
                         arm_of, "Group A")
    assert np.isnan(table.set_index("ARM").loc["Group B", "P"])


@pytest.mark.parametrize("p,text", [(0.0004, "< 0.001"), (0.0372, "0.037"), (0.5, "0.50"), (0.00123, "0.0012"),
                                    (float("nan"), "")])
def test_p_values_have_two_significant_digits(p, text):
    assert W.format_p(p) == text


def test_population_differences_name_the_never_dosed_and_those_dosed_as_another_arm():
    dm = F.dm([("S1", "2021-05-01"), ("S2", "2021-05-01"), ("S3", "2021-05-01"), ("S4", "2021-05-01")],
              not_randomized=["S4"])
    ex = pd.DataFrame({"USUBJID": ["S1", "S2", "S4"], "EXSTDTC": ["2021-05-01"] * 3,
                       "EXSTDT": pd.to_datetime(["2021-05-01"] * 3)})
    planned = F.arms({"S1": "Group A", "S2": "Group B", "S3": "Group B"})
    treated = F.arms({"S1": "Group A", "S2": "Group A", "S3": "Group B"})
    armed = W.population_differences(dm, ex, planned, treated).set_index("USUBJID")
    assert armed.loc["S3", "REASON"] == NEVER_DOSED and armed.loc["S3", "ARM"] == "Group B"
    assert armed.loc["S2", "REASON"] == OTHER_ARM and armed.loc["S2", "TREATED"] == "Group A"
    assert "S1" not in armed.index and "S4" not in armed.index
    pooled = W.population_differences(dm, ex)
    assert pooled["USUBJID"].tolist() == ["S3"] and pooled["ARM"].isna().all()   # nothing by arm when blinded
