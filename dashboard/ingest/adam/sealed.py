"""ADaM treatment variables: every one is allocation and must reach the sealed part, never the clinical one."""

from __future__ import annotations

import re

from dashboard.ingest.schema import is_sealed_name

# ADaM names that reveal allocation beyond `schema.SEALED_NAMES` / `SEALED_NAME_PATTERN`: the N versions of
# TRTSEQP/A, per-period and per-record dose variables that differ by arm (ADaMIG 1.3 DOSExxP/A, DOSEP/DOSEA,
# DOSCUMA), and the treatment group variables (TRTxxPGy/AGy, TRTPGy/TRTAGy and their N versions).
ADAM_SEALED_NAMES = frozenset({"TRTSEQPN", "TRTSEQAN", "DOSEP", "DOSEA", "DOSEPU", "DOSEAU", "DOSCUMA", "DOSCUMP"})
ADAM_SEALED_PATTERN = re.compile(r"^(TRT\d\d[PA]G\d+N?|TRT[PA]G\d+N?|DOSE\d\d[PA]U?)$")


def is_adam_sealed(column: str) -> bool:
    """Whether an ADaM column names or depends on the treatment a subject was given."""
    return is_sealed_name(column) or column in ADAM_SEALED_NAMES or bool(ADAM_SEALED_PATTERN.match(column))
