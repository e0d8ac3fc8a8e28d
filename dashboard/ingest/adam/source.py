"""One ADaM file read, checked and translated into the SDTM-shaped table the rest of the loader works on."""

from __future__ import annotations

from pathlib import Path

from dashboard.ingest.adam.detect import adam_stem
from dashboard.ingest.adam.read import read_frame
from dashboard.ingest.adam.translate import to_table, translate
from dashboard.ingest.adam.validate import check_adam
from dashboard.ingest.findings import Findings
from dashboard.ingest.readers import RawFile, SourceTable


def is_adam(raw: RawFile) -> bool:
    """Whether a file the loader was given is an ADaM dataset (discover only gives one when ADSL is present)."""
    return adam_stem(raw.name) is not None


def read_adam(raw: RawFile, findings: Findings) -> SourceTable | None:
    """The translated table of one ADaM file; None when it cannot be read or fails its ADaM checks (errors)."""
    stem = adam_stem(raw.name) or Path(raw.name).stem.upper()
    frame = read_frame(raw, findings)
    if frame is None or not check_adam(stem, frame, raw.name, findings):
        return None
    return SourceTable(raw.domain, raw.name, to_table(translate(stem, frame, findings, raw.name)))
