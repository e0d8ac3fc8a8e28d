"""Safety by the arm configured for safety (as treated by default), and every by-arm note says which."""

import dataclasses

import pandas as pd

from dashboard.blinding import Access, ArmedTrialData, BlindedTrialData
from dashboard.config import load_trial_config
from dashboard.displays.safety import frames as fr
from dashboard.displays.safety.overview import km_days

PLANNED = pd.Series(["Group A", "Group B"], index=["S1", "S2"])
TREATED = pd.Series(["Group A", "Group A"], index=["S1", "S2"])


def _armed(basis: str) -> ArmedTrialData:
    config = dataclasses.replace(load_trial_config(), safety_arm_basis=basis)
    return ArmedTrialData(None, config, {}, pd.DataFrame(), PLANNED, ("Group A", "Group B"), Access.CODED, TREATED)


def test_default_basis_is_as_treated_and_the_note_says_so():
    armed = _armed("actual")
    assert fr.safety_arms(armed) is TREATED
    assert "as treated" in fr.basis_note(armed)


def test_planned_basis_when_configured():
    armed = _armed("planned")
    assert fr.safety_arms(armed) is PLANNED
    assert "as randomized" in fr.basis_note(armed)


def test_pooled_views_name_no_basis():
    blinded = BlindedTrialData(None, load_trial_config(), {}, pd.DataFrame())
    assert fr.basis_note(blinded) == "" and fr.safety_arms(blinded) is None


def test_numbers_at_risk_days_follow_the_follow_up():
    assert km_days(28) == (0, 7, 14, 21, 28)                 # NCT05019287 as before
    days = km_days(182)
    # the table runs to the end of follow-up: its last day is at or just beyond day 182
    assert days[0] == 0 and days[-2] < 182 <= days[-1] and len(days) <= 8 and all(d % 7 == 0 for d in days)
