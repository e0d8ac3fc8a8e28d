"""p-values (issue 12): two significant digits or "< 0.001", labelled nominal and unadjusted with their test,
Fisher's exact test for event proportions (pairwise against the reference, any number of arms), none below a
configured number of events. Reference p-values are computed here by hand (hypergeometric sums, Welch's t)."""

from __future__ import annotations

import math

import numpy as np
import outcomes_frames as F
import pytest
from scipy import stats

from dashboard.analysis import effects as X
from dashboard.config import load_trial_config
from dashboard.figures import effects as effect_figures
from dashboard.tables import outcomes as event_tables
from dashboard.figures.common import stamp_text
from outcomes_frames import event_counts as event_frame
from test_effects_forest import change_frame

CLOSED = stamp_text("2021-07-10", True)


def fisher_by_hand(a: int, n1: int, c: int, n2: int) -> float:
    """Two-sided Fisher's exact p: the hypergeometric probabilities of every table with the same margins that
    are no more likely than the one observed, added up."""
    events, total = a + c, n1 + n2

    def prob(k: int) -> float:
        return math.comb(n1, k) * math.comb(n2, events - k) / math.comb(total, events)

    observed = prob(a)
    ks = range(max(0, events - n2), min(n1, events) + 1)
    return sum(prob(k) for k in ks if prob(k) <= observed * (1 + 1e-7))


@pytest.mark.parametrize("p, text", [(0.372, "= 0.37"), (0.0456, "= 0.046"), (0.05, "= 0.050"),
                                     (0.001, "= 0.0010"), (0.000999, "< 0.001"), (1e-12, "< 0.001"),
                                     (1.0, "= 1.0"), (0.996, "= 1.0")])
def test_p_values_have_two_significant_digits_or_less_than_one_thousandth(p, text):
    assert effect_figures.format_p(p) == text


def test_p_text_names_the_test_and_says_nominal_unadjusted_or_why_there_is_none():
    assert effect_figures.p_text(0.0198, "Fisher's exact") == "p = 0.020 (Fisher's exact; nominal, unadjusted)"
    assert effect_figures.p_text(float("nan"), "Fisher's exact", "too few events (3 < 5)") == \
        "no p-value: too few events (3 < 5)"


def test_fisher_exact_p_against_the_reference_for_each_arm():
    times, arm_of = event_frame({"Placebo": (1, 10), "Drug low": (7, 10), "Drug high": (4, 9)})
    rows = X.risk_differences(times, arm_of, "Placebo").set_index("ARM")
    assert rows.loc["Drug low", "P"] == pytest.approx(fisher_by_hand(7, 10, 1, 10))
    assert rows.loc["Drug high", "P"] == pytest.approx(fisher_by_hand(4, 9, 1, 10))
    assert set(rows["P_TEST"]) == {"Fisher's exact"} and set(rows["P_NOTE"]) == {""}


def test_no_p_value_below_the_minimum_number_of_events_in_the_two_arms():
    times, arm_of = event_frame({"Group A": (1, 10), "Group B": (2, 10)})
    row = X.risk_differences(times, arm_of, "Group A").iloc[0]
    assert math.isnan(row["P"]) and row["P_NOTE"] == "too few events (3 < 5)"
    assert row["DIFF"] == pytest.approx(0.1)                           # the risk difference is still given
    lower = X.risk_differences(times, arm_of, "Group A", min_events=3).iloc[0]
    assert lower["P"] == pytest.approx(fisher_by_hand(2, 10, 1, 10)) and lower["P_NOTE"] == ""


def test_the_minimum_number_of_events_comes_from_the_configuration_default_five():
    assert load_trial_config().min_events_for_p == 5


def test_event_table_shows_fisher_p_beside_each_risk_difference_and_too_few_events_instead_of_p():
    enough, arm_of = event_frame({"Group A": (1, 10), "Group B": (7, 10)})
    few, _ = event_frame({"Group A": (1, 10), "Group B": (2, 10)})
    summary = X.event_summary_by_arm([F.DEATH, F.INTUBATION], [enough, few], arm_of, "Group A")
    rows, columns = event_tables.event_table_grid(summary, arms=("Group A", "Group B"), reference="Group A")
    headers = {c["field"]: c["headerName"] for c in columns}
    assert "Fisher's exact p (nominal, unadjusted)" in headers["rd_0"]
    assert "nominal, unadjusted" in headers["logrank"]
    p = fisher_by_hand(7, 10, 1, 10)
    assert round(p, 3) == 0.020                                       # so the two digits below are "0.020"
    death, intubation = rows
    assert death["rd_0"] == "60.0 (" + death["rd_0"].split(" (", 1)[1].split(")")[0] + "); p = 0.020"
    assert intubation["rd_0"].endswith("; too few events (3 < 5)") and "p =" not in intubation["rd_0"]
    assert intubation["logrank"] == "too few events (3 < 5)"
    assert "Fisher" in next(c for c in columns if c["field"] == "rd_0")["headerTooltip"]


def test_forest_hover_gives_each_p_value_with_its_test():
    changes = {"Group A": [0.0, 1.0, 2.0, 1.5], "Group B": [2.0, 4.0, 3.0, 5.0]}
    frame, arm_of = change_frame(changes)
    times, t_arm_of = event_frame({"Group A": (1, 10), "Group B": (2, 10)})
    rows = X.forest_rows([X.change_effects(frame, F.SPO2, F.VISITS, arm_of, "Group A")],
                         [X.event_effects(times, F.DEATH, t_arm_of, "Group A")])
    fig = effect_figures.effects_forest_figure(rows, CLOSED, arms=("Group A", "Group B"), reference="Group A")
    a, b = np.array(changes["Group B"]), np.array(changes["Group A"])
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)         # Welch's t and df by hand
    t = (a.mean() - b.mean()) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    p = 2 * stats.t.sf(abs(t), df)
    outcome_hover = next(t for t in fig.data if t.mode == "markers" and t.yaxis == "y").text[0]
    event_hover = next(t for t in fig.data if t.mode == "markers" and t.yaxis == "y2").text[0]
    assert f"p = {p:#.2g} (Welch t-test; nominal, unadjusted)" in outcome_hover
    assert "no p-value: too few events (3 < 5)" in event_hover
    assert any("nominal, unadjusted" in a.text for a in fig.layout.annotations)


def test_summary_has_no_p_value_for_the_reference_row_only():
    times, arm_of = event_frame({"Group A": (3, 10), "Group B": (6, 10)})
    table = X.event_summary_by_arm([F.DEATH], [times], arm_of, "Group A").set_index("ARM")
    assert math.isnan(table.loc["Group A", "FISHER_P"]) and table.loc["Group A", "FISHER_NOTE"] == ""
    assert table.loc["Group B", "FISHER_P"] == pytest.approx(fisher_by_hand(6, 10, 3, 10))
