"""The test beside an event curve answers the curve's question or says which one it answers (issue 12): with
competing deaths the log-rank is named "cause-specific log-rank: competing events censored"; no p-value below
the configured number of events; the p-value nominal and unadjusted. The log-rank reference is computed by hand."""

from __future__ import annotations

import math

import numpy as np
import outcomes_frames as F
import pandas as pd
import pytest
from scipy import stats

from dashboard.analysis import effects as X
from dashboard.analysis import events as E
from dashboard.analysis import survival as SV
from dashboard.figures.outcomes import event_style
from dashboard.figures.survival import survival_figure
from dashboard.tables import outcomes as event_tables
from dashboard.figures.common import stamp_text

CLOSED = stamp_text("2021-07-10", True)
ARMS = ("Group A", "Group B")
# (day, status) per subject; status 0 censored, 1 event, 2 competing death
GROUP_A = [(2, 1), (3, 1), (4, 2), (5, 1), (6, 0), (8, 1), (9, 2), (10, 0), (12, 1), (28, 0)]
GROUP_B = [(3, 2), (6, 1), (9, 0), (11, 1), (14, 0), (20, 2), (28, 0), (28, 0), (28, 0), (28, 0)]


def frame(a=GROUP_A, b=GROUP_B) -> tuple[pd.DataFrame, pd.Series]:
    rows, arms = [], {}
    for arm, pairs in zip(ARMS, (a, b)):
        for i, (day, status) in enumerate(pairs):
            usubjid = f"{arm[-1]}{i:02d}"
            rows.append({"USUBJID": usubjid, "EVENT": status == 1, "DAY": float(day), "STATUS": status})
            arms[usubjid] = arm
    return pd.DataFrame(rows), F.arms(arms)


def _figure(times: pd.DataFrame, arm_of: pd.Series, label: str):
    """The Outcomes page's event curve by arm (the survival figure with an incidence style)."""
    result = SV.by_arm(E.survival_times(times), [0, 7], arm_of=arm_of)
    return survival_figure(result, event_style(label, result.competing), CLOSED)


def logrank_by_hand(a, b) -> float:
    """Two-group log-rank chi-square (1 df) with everything but status 1 censored: sum of O - E over
    the distinct event days, squared, over the hypergeometric variance."""
    data = [(d, s == 1, 0) for d, s in a] + [(d, s == 1, 1) for d, s in b]
    o_minus_e = variance = 0.0
    for day in sorted({d for d, event, _ in data if event}):
        at_risk = [(g, event and d == day) for d, event, g in data if d >= day]
        n, n1 = len(at_risk), sum(1 for g, _ in at_risk if g == 0)
        deaths = sum(1 for _, e in at_risk if e)
        d1 = sum(1 for g, e in at_risk if e and g == 0)
        o_minus_e += d1 - deaths * n1 / n
        if n > 1:
            variance += deaths * (n1 / n) * (1 - n1 / n) * (n - deaths) / (n - 1)
    return o_minus_e ** 2 / variance


def test_with_competing_deaths_the_test_is_named_cause_specific_and_censors_them():
    times, arm_of = frame()
    row = E.logrank(times, arm_of).iloc[0]
    assert row["TEST"] == "cause-specific log-rank: competing events censored" and row["NOTE"] == ""
    chi2 = logrank_by_hand(GROUP_A, GROUP_B)
    assert row["CHI2"] == pytest.approx(chi2) and row["P"] == pytest.approx(stats.chi2.sf(chi2, 1))
    assert row["EVENTS"] == 7


def test_without_competing_deaths_it_is_the_plain_log_rank():
    plain_a = [(d, 0 if s == 2 else s) for d, s in GROUP_A]
    plain_b = [(d, 0 if s == 2 else s) for d, s in GROUP_B]
    times, arm_of = frame(plain_a, plain_b)
    row = E.logrank(times, arm_of).iloc[0]
    assert row["TEST"] == "log-rank"
    assert row["CHI2"] == pytest.approx(logrank_by_hand(plain_a, plain_b))


def test_no_statistic_below_the_minimum_number_of_events():
    few_a = [(2, 1), (5, 1), (10, 0), (28, 0)]
    few_b = [(6, 1), (9, 0), (28, 0), (28, 0)]
    times, arm_of = frame(few_a, few_b)
    row = E.logrank(times, arm_of).iloc[0]
    assert math.isnan(row["P"]) and math.isnan(row["CHI2"]) and row["NOTE"] == "too few events (3 < 5)"
    allowed = E.logrank(times, arm_of, min_events=3).iloc[0]
    assert allowed["P"] == pytest.approx(stats.chi2.sf(logrank_by_hand(few_a, few_b), 1))


def test_the_curve_names_its_test_and_says_it_is_not_a_test_of_the_incidence_drawn():
    times, arm_of = frame()
    fig = _figure(times, arm_of, "Intubation")
    text = " ".join(a.text for a in fig.layout.annotations)
    p = stats.chi2.sf(logrank_by_hand(GROUP_A, GROUP_B), 1)
    assert "Cause-specific log-rank: competing events censored" in text
    assert f"p = {p:#.2g} (nominal, unadjusted)" in text
    assert "not the cumulative incidence drawn" in text and "Aalen-Johansen" in text


def test_the_curve_says_too_few_events_instead_of_a_p_value():
    times, arm_of = frame([(2, 1), (28, 0)], [(6, 1), (28, 0)])
    fig = _figure(times, arm_of, "Death")
    text = " ".join(a.text for a in fig.layout.annotations)
    assert "Log-rank: no p-value, too few events (2 < 5)" in text and "p =" not in text


def test_the_table_names_the_log_rank_it_gives():
    times, arm_of = frame()
    summary = X.event_summary_by_arm([F.INTUBATION], [times], arm_of, "Group A")
    rows, columns = event_tables.event_table_grid(summary, arms=ARMS, reference="Group A")
    p = stats.chi2.sf(logrank_by_hand(GROUP_A, GROUP_B), 1)
    assert rows[0]["logrank"] == f"p = {p:#.2g} (cause-specific log-rank: competing events censored)"
    assert rows[0]["logrank_test"].endswith("nominal, unadjusted)")
    assert np.isfinite(summary["P"]).all()
