"""The shared "no cut loaded" branch of every page's callbacks (callbacks.common.with_active_cut)."""

from __future__ import annotations

import pytest

from callbacks import common
from dashboard.blinding import Access
from dashboard.context import NoActiveCut


def _no_cut_loaded(access: Access):
    def fetch():
        raise NoActiveCut("No data cut has been loaded yet.")
    return fetch, lambda: access


@pytest.mark.parametrize("access,sees", [(Access.BLINDED, False), (Access.CODED, True), (Access.UNBLINDED, True)])
def test_without_a_cut_the_empty_state_is_built_for_the_users_access(monkeypatch, access, sees):
    fetch, current = _no_cut_loaded(access)
    monkeypatch.setattr(common, "current_trial_data", fetch)
    monkeypatch.setattr(common, "current_access", current)
    computed = []
    answer = common.with_active_cut(computed.append, lambda sees_arms: ("empty", sees_arms))
    assert answer == ("empty", sees) and computed == []


def test_with_a_cut_the_display_is_computed_on_its_trial_data(monkeypatch):
    data = object()
    monkeypatch.setattr(common, "current_trial_data", lambda: data)
    monkeypatch.setattr(common, "current_access", lambda: pytest.fail("access is not needed when a cut exists"))
    assert common.with_active_cut(lambda d: ("shown", d), lambda sees: pytest.fail("no empty state")) == ("shown", data)


def test_other_errors_are_not_taken_for_a_missing_cut(monkeypatch):
    def broken():
        raise ValueError("integrity")
    monkeypatch.setattr(common, "current_trial_data", broken)
    with pytest.raises(ValueError):
        common.with_active_cut(lambda d: d, lambda sees: "empty")
