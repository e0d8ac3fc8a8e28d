"""ADaM treatment variables: every one is allocation and must reach the sealed part, never the clinical one."""

from __future__ import annotations

from dashboard.ingest.schema import is_sealed_name

# The ADaM treatment names (TRTSEQPN, DOSEA, TRTxxPGy, ...) are in `schema.SEALED_NAMES` / `SEALED_NAME_PATTERN`
# with the SDTM ones, so the seal step moves them to the sealed part like any other.


def is_adam_sealed(column: str) -> bool:
    """Whether an ADaM column names or depends on the treatment a subject was given."""
    return is_sealed_name(column)
