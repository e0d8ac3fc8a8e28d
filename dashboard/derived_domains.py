"""Domains a cut lacks but its subject-level data imply: DS from ADSL's end-of-study variables (an ADaM cut).

Applied once where the clinical domains are read (`blinding._clinical`), before the cut-date filter, so every
page sees the same disposition records whichever route the cut came by.
"""

from __future__ import annotations

import pandas as pd

from dashboard.analysis.adam_flags import disposition_from_dm

ADSL_DISPOSITION = ("EOSSTT", "DCSREAS")


def with_derived_domains(domains: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """`domains`, plus DS derived from DM's ADSL variables (EOSSTT, DCSREAS) when the cut has no DS."""
    dm = domains.get("DM")
    if "DS" in domains or dm is None or not any(c in dm for c in ADSL_DISPOSITION):
        return domains
    return {**domains, "DS": disposition_from_dm(dm)}
