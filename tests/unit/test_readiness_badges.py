"""The badge callback's shared parts: each domain's newest record and missing counts are computed once per trial-data
object (cut and access level) for every display, and give the badges the same answer as counting alone."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from callbacks import readiness as badges
from dashboard import memo
from dashboard.analysis import readiness
from dashboard.blinding import BlindedTrialData
from dashboard.config import load_trial_config
from dashboard.displays import displays


def _data() -> BlindedTrialData:
    ae = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"], "AESTDTC": ["2021-05-01", "2021-06", None],
                       "AESEV": pd.array(["MILD", " ", None], dtype="str"), "AEDECOD": ["A", "B", ""]})
    dm = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"], "RANDFL": ["Y", "Y", None], "SEX": ["F", None, "M"]})
    warnings = pd.DataFrame(columns=["file", "row", "usubjid", "column", "message"])
    return BlindedTrialData(SimpleNamespace(cut_date="2021-07-10"), load_trial_config(), {"AE": ae, "DM": dm},
                            warnings)


def test_each_domain_is_counted_once_for_all_displays(monkeypatch):
    calls: list[str] = []
    counted = readiness.missing_counts

    def counting(frame, domain, columns):
        calls.append(domain)
        return counted(frame, domain, columns)

    monkeypatch.setattr(badges, "missing_counts", counting)
    data = _data()
    memo.clear()
    shown = [d for d in displays() if d.domains and set(d.domains) & {"AE", "DM"}]
    assert len(shown) > 2
    for display in shown:
        badges.badge(data, display)
    assert sorted(calls) == sorted(set(calls)), "a domain was counted again for another display"


def test_shared_counts_give_every_badge_the_answer_of_counting_alone():
    data = _data()
    memo.clear()
    for display in (d for d in displays() if d.domains):
        domains = {name.upper(): data.domain(name) for name in display.domains}
        alone = readiness.readiness(domains, data.warnings, "2021-07-10", display.domains, display.fields)
        badges.badge(data, display)
        assert memo.pooled(data, "readiness", lambda _: None, display.key) == alone, display.key
