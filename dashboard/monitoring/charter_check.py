"""`trials check` for the charter: what the charter names that the export does not have (yet)."""

from __future__ import annotations

import pandas as pd

from dashboard.config import TrialConfig
from dashboard.ingest.schema import normalized


def charter_warnings(config: TrialConfig, ae: pd.DataFrame) -> list[tuple[str, str]]:
    """(domain, message) for each safety-rule term with no AE record, and a primary visit not configured."""
    charter = config.charter
    if charter is None:
        return []
    out = []
    primary = charter.primary
    if primary is not None and primary.kind == "outcome" and primary.visit is not None \
            and primary.visit not in {v.num for v in config.visits}:
        out.append(("config", f"charter primary comparison: visit {primary.visit:g} is not a configured visit"))
    delivered: set[str] = set()
    for column in ("AEDECOD", "AETERM"):
        if column in ae:
            delivered |= set(ae[column].dropna().map(normalized))
    for rule in charter.safety_rules:
        for term in rule.terms:
            if term not in delivered:
                out.append(("AE", f"safety rule {rule.name!r}: no AE record with term {term!r} yet"))
    return out
