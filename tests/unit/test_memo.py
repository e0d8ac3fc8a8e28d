"""Cached analysis results stay with the trial data they were computed from."""

from __future__ import annotations

import pandas as pd

from dashboard import memo
from dashboard.blinding import Access, ArmedTrialData, BlindedTrialData
from dashboard.config import load_trial_config
from dashboard.cuts import CutManifest

MANIFEST = CutManifest("2021-07-10-0123abcd", "NCT05019287", "2021-07-10", "Final", "2021-07-11T09:00:00+00:00",
                       "stat", "/exports/final", ())


def _blinded() -> BlindedTrialData:
    return BlindedTrialData(MANIFEST, load_trial_config(), {}, pd.DataFrame())


def _armed() -> ArmedTrialData:
    arms = pd.Series(["Group A"], index=pd.Index(["S1"], name="USUBJID"))
    return ArmedTrialData(MANIFEST, load_trial_config(), {}, pd.DataFrame(), arms, ("Group A", "Group B"),
                          Access.CODED)


def test_a_result_is_computed_once_per_trial_data_and_key():
    data, calls = _blinded(), []
    for _ in range(3):
        assert memo.memoized(data, "count", lambda: calls.append(1) or len(calls), "site 01") == 1
    assert memo.memoized(data, "count", lambda: calls.append(1) or len(calls), "site 02") == 2


def test_an_armed_result_never_answers_a_blinded_request_for_the_same_cut():
    armed, blinded = _armed(), _blinded()
    assert memo.memoized(armed, "table", lambda: "by arm") == "by arm"
    assert memo.memoized(blinded, "table", lambda: "pooled") == "pooled"


def test_two_installations_with_the_same_cut_id_do_not_share_results():
    """Same cut id, different data (another data root in the same process): each computes its own."""
    first, second = _blinded(), _blinded()
    assert memo.memoized(first, "listing", lambda: "first export") == "first export"
    assert memo.memoized(second, "listing", lambda: "second export") == "second export"


def test_clear_forgets_every_result():
    data = _blinded()
    memo.memoized(data, "listing", lambda: "old")
    memo.clear()
    assert memo.memoized(data, "listing", lambda: "new") == "new"
