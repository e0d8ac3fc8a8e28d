"""The load-time safety net against allocation in open columns: arm codes and labels as whole values, and as
whole words inside any text ("Infusion reaction to MenSC secretome").

A column whose values *are* arm codes or labels is one error naming the column (a grouping column, every row
alike). An arm named inside free text is an error per row, naming file, row, subject, sequence number and
column; no finding quotes the value. Codes shorter than `MIN_WORD_CHARS` characters ("A", "B") are looked for
as whole values only: inside text they would match ordinary words and letters ("grade A", "a"). Trial design
domains that describe the trial (TS, TE, TI, TD, TM) are not scanned; TA and TV are sealed whole.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.ingest.convert import Locator, map_columns, normalized_text
from dashboard.ingest.findings import Findings, Severity
from dashboard.ingest.readers import TEXT, SourceTable
from dashboard.ingest.schema import (
    DESCRIPTIVE_DESIGN_DOMAINS, RANDOMIZATION, SEALED_DOMAINS, date_column_of, is_sealed_name,
)

WITHHELD = "(value withheld: allocation)"
MIN_WORD_CHARS = 3
KIND_COLUMN, KIND_TEXT = "arm values in an open column", "arm named in open text"
# Letters, digits and "_" make words; anything else (blank, punctuation, start or end of text) bounds one.
_EDGE_BEFORE, _EDGE_AFTER = r"(?:^|[^\pL\pN_])", r"(?:$|[^\pL\pN_])"


def _literal(text: str) -> str:
    """`text` as an RE2 pattern: letters and digits as they are, blank runs as `\\s+`, all else by code point."""
    parts = []
    for word in text.split():
        parts.append("".join(c if c.isalnum() and c.isascii() else f"\\x{{{ord(c):x}}}" for c in word))
    return r"\s+".join(parts)


def word_pattern(needles: pa.Array) -> str | None:
    """One RE2 pattern matching any arm code (of MIN_WORD_CHARS or more) or label as a whole word; None if none."""
    words = sorted({normalized for normalized in (" ".join(str(v).split()) for v in needles.to_pylist() if v)
                    if len(normalized) >= MIN_WORD_CHARS}, key=lambda w: (-len(w), w))
    if not words:
        return None
    return f"{_EDGE_BEFORE}(?:{'|'.join(_literal(w) for w in words)}){_EDGE_AFTER}"


def names_an_arm(values: pa.ChunkedArray | pa.Array, needles: pa.Array) -> pa.ChunkedArray | pa.Array:
    """Per value: it is an arm code or label (compared normalized) or names one as a whole word; never null."""
    wanted = pc.unique(normalized_text(needles))
    exact = pc.fill_null(pc.is_in(normalized_text(values), value_set=wanted), False)
    pattern = word_pattern(needles)
    if pattern is None:
        return exact
    return pc.or_(exact, pc.fill_null(pc.match_substring_regex(values, pattern, ignore_case=True), False))


def open_text_columns(source: SourceTable) -> list[str]:
    """The text columns of a table that open users can see and the scan looks at."""
    table = source.table
    return [name for name in table.column_names
            if not (is_sealed_name(name) or (source.domain.startswith("SUPP") and name == "QVAL")
                    or table[name].type != TEXT or name in ("STUDYID", "DOMAIN", "USUBJID") or date_column_of(name))]


def _scan_column(column: pa.ChunkedArray, wanted: pa.Array, pattern: str | None) -> tuple[bool, np.ndarray]:
    """Whether the column holds arm values, and the rows whose text names an arm (not as the whole value)."""
    distinct = pc.unique(column)             # the distinct values of a column are few next to its rows
    exact = pc.fill_null(pc.is_in(normalized_text(distinct), value_set=wanted), False)
    holds = pc.any(exact).as_py() or False
    if pattern is None:
        return holds, np.empty(0, dtype=np.int64)
    named = pc.fill_null(pc.and_(pc.match_substring_regex(distinct, pattern, ignore_case=True), pc.invert(exact)),
                         False)
    if not pc.any(named).as_py():
        return holds, np.empty(0, dtype=np.int64)
    hit = pc.fill_null(pc.is_in(column, value_set=distinct.filter(named)), False)
    return holds, np.flatnonzero(hit.to_numpy(zero_copy_only=False))


def check_arm_values_in_open_columns(source: SourceTable, needles: pa.Array, findings: Findings) -> None:
    """Errors for open columns holding arm codes or labels, and for rows whose open text names an arm."""
    if source.domain in SEALED_DOMAINS or source.domain in DESCRIPTIVE_DESIGN_DOMAINS or source.domain == RANDOMIZATION:
        return
    names = open_text_columns(source)
    wanted, pattern = pc.unique(normalized_text(needles)), word_pattern(needles)
    results = map_columns(lambda name: _scan_column(source.table[name], wanted, pattern), names)
    locator = None
    for name, (holds, rows) in zip(names, results):
        if holds:
            findings.error(source.name, f"the column holds arm codes or labels {WITHHELD}; "
                                        "remove it or rename it to a sealed name", column=name, kind=KIND_COLUMN)
        if rows.size:
            locator = locator or Locator(source)
            locator.report(findings, Severity.ERROR, rows, f"the text names an arm code or label {WITHHELD}; "
                                                           "remove the arm from the text", column=name, kind=KIND_TEXT)
