"""Structured validation findings (errors and warnings) and the error that carries them."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

ROW_FINDINGS_LIMIT = 200   # per (file, column, kind): more rows are summarised in one finding


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem: where (file, 1-based data row, subject, --SEQ, column) and what."""

    severity: Severity
    file: str
    message: str
    row: int | None = None
    usubjid: str | None = None
    seq_column: str | None = None
    seq: str | None = None
    column: str | None = None
    kind: str = ""
    sealed: bool = False    # concerns a sealed (allocation) column: kept with the sealed part only
    count: int = 1          # rows this finding stands for (a summary of rows past the listing limit)

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        ids = [f"USUBJID {self.usubjid}"] if self.usubjid else []
        if self.seq_column and self.seq:
            ids.append(f"{self.seq_column} {self.seq}")
        if ids:
            where += f" ({', '.join(ids)})"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.message}" if where else self.message


class Findings:
    """Collects every finding of one load, in the order found."""

    def __init__(self) -> None:
        self.items: list[Finding] = []

    def add(self, severity: Severity, file: str, message: str, **where: object) -> None:
        self.items.append(Finding(severity, file, message, **where))  # type: ignore[arg-type]

    def error(self, file: str, message: str, **where: object) -> None:
        self.add(Severity.ERROR, file, message, **where)

    def warning(self, file: str, message: str, **where: object) -> None:
        self.add(Severity.WARNING, file, message, **where)

    def rows(self, severity: Severity, file: str, rows: np.ndarray, message: str | Sequence[str], *,
             usubjid: Sequence[str | None] | None = None, seq_column: str | None = None,
             seq: Sequence[str | None] | None = None, column: str | None = None, kind: str = "",
             sealed: bool = False) -> None:
        """One finding per flagged row (0-based positions), up to ROW_FINDINGS_LIMIT, then one summary."""
        shown = min(len(rows), ROW_FINDINGS_LIMIT)
        for i in range(shown):
            self.items.append(Finding(
                severity, file, message if isinstance(message, str) else message[i], row=int(rows[i]) + 1,
                usubjid=usubjid[i] if usubjid is not None else None, seq_column=seq_column,
                seq=seq[i] if seq is not None else None, column=column, kind=kind, sealed=sealed))
        if len(rows) > shown:
            self.items.append(Finding(severity, file, f"{len(rows) - shown} more rows with the same problem ({kind})",
                                      column=column, kind=kind, sealed=sealed, count=len(rows) - shown))

    def extend(self, other: Iterable[Finding]) -> None:
        self.items.extend(other)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.items if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.items if f.severity is Severity.WARNING]

    def open_warnings(self) -> list[Finding]:
        """Warnings that may be shown to anyone (none concerns a sealed column)."""
        return [f for f in self.warnings if not f.sealed]

    def sealed_warnings(self) -> list[Finding]:
        return [f for f in self.warnings if f.sealed]


def findings_frame(findings: Sequence[Finding]) -> pd.DataFrame:
    """Findings as the `_warnings` table of a cut: file, row, usubjid, seq_column, seq, column, kind, count, message."""
    return pd.DataFrame({
        "file": pd.array([f.file for f in findings], dtype="str"),
        "row": pd.array([f.row for f in findings], dtype="Int64"),
        "usubjid": pd.array([f.usubjid for f in findings], dtype="str"),
        "seq_column": pd.array([f.seq_column for f in findings], dtype="str"),
        "seq": pd.array([f.seq for f in findings], dtype="str"),
        "column": pd.array([f.column for f in findings], dtype="str"),
        "kind": pd.array([f.kind for f in findings], dtype="str"),
        "count": pd.array([f.count for f in findings], dtype="int64"),
        "message": pd.array([f.message for f in findings], dtype="str"),
    })


def summarize(findings: Sequence[Finding]) -> list[str]:
    """One line per (file, column, kind), most frequent first: '3 x lb.csv, column LBSTRESN: non-numeric value'."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for f in findings:
        counts[(f.file, f.column or "", f.kind or f.message)] += f.count
    lines = []
    for (file, column, kind), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        where = f"{file}, column {column}" if column else file
        lines.append(f"{n:>6} x {where}: {kind}")
    return lines


class IngestError(Exception):
    """A data cut that was not loaded; `findings` holds every error and warning found."""

    def __init__(self, findings: Sequence[Finding], headline: str | None = None):
        self.findings = list(findings)
        self.errors = [f for f in self.findings if f.severity is Severity.ERROR]
        self.headline = headline or f"the export has {len(self.errors)} error(s); nothing was loaded"
        first = "; ".join(str(f) for f in self.errors[:3])
        super().__init__(f"{self.headline}: {first}" if first and not headline else self.headline)


class AlreadyLoaded(IngestError):
    """Byte-identical input for the same cut date was loaded before."""

    def __init__(self, cut_id: str):
        self.cut_id = cut_id
        message = (f"already loaded as {cut_id}: the same input files were loaded for cut date {cut_id[:10]}; "
                   "nothing was changed")
        super().__init__([Finding(Severity.ERROR, "", message, kind="already loaded")], message)
