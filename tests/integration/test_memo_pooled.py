"""Results that never depend on arms are computed once per cut for every access level (`memo.pooled`): from the
cut's blinded trial data, held there, and read by the armed levels, which point at the blinded data (never the
other way round)."""

from __future__ import annotations

import pandas as pd
import pytest
from support import DEMO_EXPORTS

from dashboard import blinding, memo
from dashboard.blinding import Access, ArmedTrialData, BlindedTrialData
from dashboard.config import load_trial_config
from dashboard.ingest.load import load_cut


@pytest.fixture(scope="module")
def cut(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pooled")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DSMB_DATABASE_URL", f"sqlite:///{tmp}/audit.sqlite")
        manifest = load_cut(DEMO_EXPORTS / "interim", "2021-05-10", "Interim", "tester", load_trial_config(),
                            root=tmp / "data")
    return manifest.cut_id, tmp / "data"


@pytest.fixture
def levels(cut):
    cut_id, root = cut
    blinding.clear_caches()
    memo.clear()
    config = load_trial_config()
    yield {access: blinding.trial_data(cut_id, access, config, root) for access in Access}
    blinding.clear_caches()


def test_every_armed_level_points_at_the_blinded_data_of_its_cut(levels):
    blinded = levels[Access.BLINDED]
    assert isinstance(blinded, BlindedTrialData) and blinded.blinded is blinded
    for access in (Access.CODED, Access.UNBLINDED):
        armed = levels[access]
        assert isinstance(armed, ArmedTrialData) and armed.blinded is blinded
        assert all(armed.domain(name) is blinded.domain(name) for name in blinded.domain_names)


def test_a_pooled_result_is_computed_once_from_blinded_data_for_every_level(levels):
    seen: list[object] = []

    def compute(data):
        seen.append(data)
        return len(data.dm)

    answers = {access: memo.pooled(data, "test:pooled", compute) for access, data in levels.items()}
    assert len(seen) == 1 and seen[0] is levels[Access.BLINDED] and not isinstance(seen[0], ArmedTrialData)
    assert set(answers.values()) == {len(levels[Access.BLINDED].dm)}
    assert not any(key[0] == "test:pooled" for data in levels.values() if isinstance(data, ArmedTrialData)
                   for key in data.__dict__.get("_memo", {}))


def _reaches_arms(value: object, depth: int = 0) -> bool:
    """Whether `value` is or holds (through dicts, lists, tuples, attributes) armed data or an arm series."""
    if isinstance(value, ArmedTrialData) or (isinstance(value, pd.Series) and value.name == "ARM"):
        return True
    if depth > 4:
        return False
    if isinstance(value, dict):
        return any(_reaches_arms(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_reaches_arms(v, depth + 1) for v in value)
    if hasattr(value, "__dict__") and not isinstance(value, (pd.DataFrame, pd.Series, type)):
        return any(_reaches_arms(v, depth + 1) for v in vars(value).values())
    return False


def test_the_blinded_data_never_reaches_an_armed_level(levels):
    """Computing pooled results and badges at armed levels leaves nothing armed in the blinded object."""
    from callbacks.readiness import badge
    from dashboard.displays import displays

    for access in (Access.UNBLINDED, Access.CODED):
        for display in (d for d in displays() if d.domains):
            badge(levels[access], display)
    blinded = levels[Access.BLINDED]
    assert _reaches_arms(vars(levels[Access.UNBLINDED]))          # the probe finds arms where they are
    assert blinded.__dict__.get("_memo") and not _reaches_arms(vars(blinded))
    assert not hasattr(blinded, "arm_of") and not hasattr(blinded, "_blinded")
