"""The coding key of a cut: which arm the board sees as which coded group ("Group A"), delivered with the allocation.

The key is a small CSV with one row per arm, `ARMCD,CODED_LABEL`: `coding.csv` in the export folder, or any file
named with `cuts load --coding FILE` (kept apart from the export, e.g. by the unblinded statistician). It is
validated here, stored in the sealed part of the cut (table `coding`) and read back only by `dashboard.blinding`.
Findings name the file, row and column, never an arm code, an arm label or a coded label.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from dashboard.config import TrialConfig
from dashboard.ingest.armscan import names_an_arm
from dashboard.ingest.findings import Findings
from dashboard.ingest.readers import CODING_FILE
from dashboard.ingest.schema import normalized

CODING_TABLE = "coding"             # the sealed table: ARMCD (as configured), CODED_LABEL
COLUMNS = ("ARMCD", "CODED_LABEL")
MAX_BYTES = 64 * 1024               # one row per arm: anything bigger is not a coding key


@dataclass(frozen=True)
class CodingKey:
    """A validated key: the sealed table and the SHA-256 of the file it was read from (for re-load detection)."""

    table: pd.DataFrame
    sha256: str


def coding_path(export: Path, given: Path | str | None) -> Path | None:
    """The coding file of a load: the one named with --coding, else `coding.csv` in the export folder, else None."""
    if given is not None:
        return Path(given)
    path = Path(export) / CODING_FILE
    return path if path.is_file() and not path.is_symlink() else None


def read_coding(path: Path, config: TrialConfig, findings: Findings) -> CodingKey | None:
    """The key in `path`, checked against the configured arms; None (with errors in `findings`) when unusable."""
    name = path.name
    if path.is_symlink() or not path.is_file():
        findings.error(name, "coding key file not found (or a symbolic link, which is refused)", kind="coding key")
        return None
    data = path.read_bytes()
    if len(data) > MAX_BYTES:
        findings.error(name, f"larger than {MAX_BYTES} bytes: a coding key has one row per arm", kind="coding key")
        return None
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    except (UnicodeDecodeError, csv.Error):
        findings.error(name, "not a UTF-8 CSV file", kind="coding key")
        return None
    table = _rows(name, rows, findings)
    if table is None:
        return None
    before = len(findings.errors)
    table = check_coding(name, table, config, findings)
    return CodingKey(table, hashlib.sha256(data).hexdigest()) if len(findings.errors) == before else None


def _rows(name: str, rows: list[list[str]], findings: Findings) -> pd.DataFrame | None:
    """The data rows as a frame of ARMCD and CODED_LABEL (blanks trimmed); None when a column is missing."""
    header = [cell.strip().upper() for cell in rows[0]] if rows else []
    missing = [column for column in COLUMNS if column not in header]
    for column in missing:
        findings.error(name, "the coding key needs the columns ARMCD and CODED_LABEL", column=column,
                       kind="coding key")
    if missing:
        return None
    at = [header.index(column) for column in COLUMNS]
    values = [[row[i].strip() if i < len(row) else "" for i in at] for row in rows[1:] if any(c.strip() for c in row)]
    return pd.DataFrame(values, columns=list(COLUMNS), dtype="str")


def check_coding(name: str, table: pd.DataFrame, config: TrialConfig, findings: Findings) -> pd.DataFrame:
    """Every configured arm coded exactly once, coded labels distinct and naming no arm; returns the key with each
    code spelled as configured. Rows are 1-based data rows (the header is not counted)."""
    configured = {normalized(code): code for code in config.arm_codes}
    needles = pa.array(sorted({*config.arm_codes, *(arm.label for arm in config.arms)}))
    seen_code: dict[str, int] = {}
    seen_label: dict[str, int] = {}
    names_arm = names_an_arm(pa.array(table["CODED_LABEL"].tolist(), type=pa.string()), needles).to_pylist() \
        if len(table) else []
    for i, (code, label) in enumerate(zip(table["ARMCD"], table["CODED_LABEL"])):
        row, key = i + 1, normalized(code)
        if not code:
            findings.error(name, "no arm code", row=row, column="ARMCD", kind="coding key")
        elif key not in configured:
            findings.error(name, "the arm code is not one of the configured arms ([[arms]] code)", row=row,
                           column="ARMCD", kind="coding key")
        elif key in seen_code:
            findings.error(name, f"this arm is coded twice (also row {seen_code[key]})", row=row, column="ARMCD",
                           kind="coding key")
        else:
            seen_code[key] = row
        _check_label(name, row, label, names_arm[i], seen_label, findings)
    for position, code in enumerate(config.arm_codes, start=1):
        if normalized(code) not in seen_code:
            findings.error(name, f"configured arm {position} (in the order of [[arms]]) has no row", column="ARMCD",
                           kind="coding key")
    codes = table["ARMCD"].map(lambda code: configured.get(normalized(code)))
    return pd.DataFrame({"ARMCD": codes, "CODED_LABEL": table["CODED_LABEL"]}, dtype="str")


def _check_label(name: str, row: int, label: str, names_arm: bool, seen: dict[str, int], findings: Findings) -> None:
    """One coded label: present, not the name of an arm (nor containing one), not used for another arm."""
    key = normalized(label)
    if not label:
        findings.error(name, "no coded label", row=row, column="CODED_LABEL", kind="coding key")
    elif names_arm:
        findings.error(name, "the coded label is, or contains, an arm's code or label: it would unmask the board",
                       row=row, column="CODED_LABEL", kind="coding key")
    elif key in seen:
        findings.error(name, f"the same coded label as row {seen[key]}: each arm needs its own", row=row,
                       column="CODED_LABEL", kind="coding key")
    else:
        seen[key] = row


def read_key(export: Path, given: Path | str | None, config: TrialConfig, findings: Findings) -> CodingKey | None:
    """The validated key of a load (errors in `findings`), or None when none is given nor in the export."""
    path = coding_path(export, given)
    return read_coding(path, config, findings) if path is not None else None


def keyed_digest(digest: str, key: CodingKey | None) -> str:
    """The input digest of a load with its key: the same export with another key (or a key added) is new input,
    loaded as a new cut (a stored cut is never rewritten)."""
    return digest if key is None else hashlib.sha256(f"{digest}\ncoding {key.sha256}".encode()).hexdigest()
