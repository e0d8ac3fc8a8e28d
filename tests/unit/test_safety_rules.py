"""Safety stopping rules: the beta-binomial table against scipy.stats.beta computed here, and count rules."""

import pandas as pd
import pytest
from scipy import stats

from dashboard.config_charter import SafetyRule
from dashboard.monitoring import safety_rules as sr

RULE = SafetyRule("sir", "Serious infusion reactions", "beta_binomial", "ae", terms=("INFUSION RELATED REACTION",),
                  serious_only=True, p0=0.1, probability=0.8, prior_a=0.5, prior_b=4.5)


def test_table_matches_scipy_beta():
    table = sr.stopping_table(RULE, 29)
    for n, k in zip(table["N"], table["PAUSE_AT"]):
        probs = [1 - stats.beta.cdf(0.1, 0.5 + e, 4.5 + n - e) for e in range(n + 1)]
        expected = next((e for e, p in enumerate(probs) if p > 0.8), None)
        assert (None if pd.isna(k) else int(k)) == expected, n


def test_rule_pauses_at_the_table_threshold_and_not_below():
    k = sr.pause_threshold(20, 0.1, 0.8, 0.5, 4.5)
    assert sr.rule_status(RULE, k, 20).status == "pause"
    assert sr.rule_status(RULE, k - 1, 20).status in ("near", "continue")
    assert sr.rule_status(RULE, k, 20).value == pytest.approx(1 - stats.beta.cdf(0.1, 0.5 + k, 4.5 + 20 - k))


def test_count_rule():
    rule = SafetyRule("d", "Deaths", "count", "event", event="death", max_events=3)
    assert [sr.rule_status(rule, e, 10).status for e in (0, 2, 3)] == ["continue", "near", "pause"]


def test_ae_rule_counts_serious_matching_terms_only_within_days():
    dm = pd.DataFrame({"USUBJID": ["1", "2", "3"], "RANDFL": ["Y"] * 3, "RFSTDTC": ["2021-01-01"] * 3,
                       "RFSTDT": pd.to_datetime(["2021-01-01"] * 3)})
    ae = pd.DataFrame({"USUBJID": ["1", "2", "3"], "AEDECOD": ["Infusion related reaction", "Infusion  related "
                       "reaction", "Headache"], "AETERM": ["x", "y", "z"], "AESER": ["Y", "N", "Y"],
                       "AESTDT": pd.to_datetime(["2021-01-02", "2021-01-02", "2021-01-02"])})
    hit = sr.subjects_with_event(RULE, ae, dm, ae, None)
    assert list(hit) == ["1"]
    late = SafetyRule(**{**RULE.__dict__, "within_days": 1})
    ae_late = ae.assign(AESTDT=pd.to_datetime(["2021-01-20"] * 3))
    assert list(sr.subjects_with_event(late, ae_late, dm, ae_late, None)) == []


def test_status_by_group_pools_or_splits():
    treated = pd.Index(["1", "2", "3", "4"])
    hit = pd.Index(["1", "3"])
    pooled = sr.status_by_group(RULE, hit, treated)
    assert (pooled["All treated"].events, pooled["All treated"].n) == (2, 4)
    split = sr.status_by_group(RULE, hit, treated, pd.Series({"1": "A", "2": "A", "3": "B", "4": "B"}))
    assert {k: (v.events, v.n) for k, v in split.items()} == {"A": (1, 2), "B": (1, 2)}
