"""The committed ADaM configurations against the delivered datasets: the configured visits are the analysis visits
(AVISIT) the ADaM datasets carry, computed here in plain pandas from the xpt files."""

from __future__ import annotations

import pandas as pd
import pyreadstat
import pytest
from support import SHARED_EXPORTS

from dashboard.config import PROJECT_ROOT, load_trial_config

CASES = [("CDISCPILOT01-ADAM.toml", "pharmaverse-adam"), ("AB12345.toml", "random-cdisc-adam")]


def _analysis_visits(folder: str) -> set[str]:
    """Upper-case AVISIT of the scheduled analysis records (ANL01FL or ABLFL = Y, not derived) of ADLB and ADVS."""
    names: set[str] = set()
    for name in ("adlb", "advs"):
        frame, _ = pyreadstat.read_xport(SHARED_EXPORTS / folder / f"{name}.xpt")
        flags = [frame[f].eq("Y") for f in ("ANL01FL", "ABLFL") if f in frame]
        analysed = pd.concat(flags, axis=1).any(axis=1) if "ANL01FL" in frame else pd.Series(True, frame.index)
        scheduled = frame["DTYPE"].fillna("").eq("") & ~frame["AVISIT"].str.upper().str.startswith("UNSCHEDULED")
        names |= set(frame.loc[analysed & scheduled & frame["AVISIT"].ne(""), "AVISIT"].str.upper())
    return names


@pytest.mark.parametrize(("config", "folder"), CASES)
def test_every_configured_visit_is_an_analysis_visit_of_the_export(config, folder):
    """A configured visit no ADaM dataset carries is counted as missed by every subject (data completeness)."""
    visits = {v.name.upper() for v in load_trial_config(PROJECT_ROOT / "data" / "trials" / config).visits}
    delivered = _analysis_visits(folder)
    assert visits <= delivered, sorted(visits - delivered)
    assert "BASELINE" in visits


def test_both_routes_of_the_pilot_share_one_charter():
    """The Monitoring page applies the same (illustrative) charter to the pilot's SDTM and ADaM cuts."""
    trials = PROJECT_ROOT / "data" / "trials"
    adam, sdtm = load_trial_config(trials / "CDISCPILOT01-ADAM.toml"), load_trial_config(trials / "CDISCPILOT01.toml")
    assert adam.charter is not None and adam.charter == sdtm.charter
    assert adam.charter.primary.name in {o.testcd for o in adam.outcomes}
    assert adam.charter.primary.visit in {v.num for v in adam.visits}
