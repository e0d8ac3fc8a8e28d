"""The helpers callbacks/safety.py shares between its callbacks: one place decides pooled or by arm."""

import pandas as pd

from callbacks import safety as cb
from dashboard.blinding import Access, ArmedTrialData, BlindedTrialData
from dashboard.config import load_trial_config

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

    assert cb._split(blinded, pooled, by_arm, 1, 2, serious_only=True) == ("pooled", (1, 2), {"serious_only": True})
    kind, args, arm_of, kwargs = cb._split(armed, pooled, by_arm, 1, 2, serious_only=True)
    assert (kind, args, kwargs) == ("by arm", (1, 2), {"serious_only": True}) and arm_of is TREATED
    assert cb._arm_of(blinded) is None and cb._arm_labels(blinded) == ()
    assert cb._arm_of(armed) is TREATED and cb._arm_labels(armed) == ("Group A", "Group B")


def test_listings_get_an_arm_column_only_for_users_who_see_arms():
    blinded, armed = _data()
    frame = pd.DataFrame({"USUBJID": ["S1", "S2"]})
    assert cb._with_arm(blinded, frame)[0].columns.tolist() == ["USUBJID"]
    assert cb._with_arm(armed, frame)[0]["ARM"].tolist() == ["Group A", "Group A"]
    assert [o.component_property for o in cb._grid_outputs("g")] == ["rowData", "columnDefs"]
