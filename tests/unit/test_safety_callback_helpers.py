"""The helpers the Safety views share (dashboard/displays/safety/frames.py): one place decides pooled or by arm
(`data.split(..., basis="safety")`), so a blinded user's view is never given an arm."""

import pandas as pd

from dashboard.blinding import Access, ArmedTrialData, BlindedTrialData
from dashboard.config import load_trial_config
from dashboard.displays.safety import frames as fr

PLANNED = pd.Series(["Group A", "Group B"], index=["S1", "S2"])
TREATED = pd.Series(["Group A", "Group A"], index=["S1", "S2"])


def _data():
    config = load_trial_config()
    blinded = BlindedTrialData(None, config, {}, pd.DataFrame())
    armed = ArmedTrialData(None, config, {}, pd.DataFrame(), PLANNED, ("Group A", "Group B"), Access.CODED, TREATED)
    return blinded, armed


def test_pooled_analyses_never_get_an_arm_and_by_arm_ones_get_the_arm_as_treated():
    """A blinded user's views are computed by the pooled function with no arm at all; the board's by the
    by-arm function with the arm as treated (the safety population's basis), never the planned arm."""
    blinded, armed = _data()

    def pooled(*args, **kwargs):
        return "pooled", args, kwargs

    def by_arm(*args, arm_of, **kwargs):
        return "by arm", args, arm_of, kwargs

    split = {"basis": "safety"}
    assert blinded.split(pooled, by_arm, 1, 2, serious_only=True, **split) == ("pooled", (1, 2), {"serious_only": True})
    kind, args, arm_of, kwargs = armed.split(pooled, by_arm, 1, 2, serious_only=True, **split)
    assert (kind, args, kwargs) == ("by arm", (1, 2), {"serious_only": True}) and arm_of is TREATED
    assert fr.safety_arms(blinded) is None and fr.arm_labels(blinded) == ()
    assert fr.safety_arms(armed) is TREATED and fr.arm_labels(armed) == ("Group A", "Group B")
    assert fr.groups(blinded) == ["All subjects"] and fr.groups(armed) == ["Group A", "Group B", "All subjects"]
    assert fr.comparisons(blinded) == {} and fr.reference(blinded) == 0


def test_listings_get_an_arm_column_only_for_users_who_see_arms():
    blinded, armed = _data()
    frame = pd.DataFrame({"USUBJID": ["S1", "S2"]})
    assert fr.with_arm_column(blinded, frame)[0].columns.tolist() == ["USUBJID"]
    assert fr.with_arm_column(armed, frame)[0]["ARM"].tolist() == ["Group A", "Group A"]
