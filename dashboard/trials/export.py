"""Read an export folder the way the loader does (same readers, same typing), for drafting and checking."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.ingest.convert import type_table
from dashboard.ingest.findings import Findings
from dashboard.ingest.parts import merge_parts
from dashboard.ingest.readers import SUFFIXES, SourceTable, discover, read_raw, read_table
from dashboard.ingest.schema import NOT_RANDOMIZED_CODES, normalized

# Kinds of reading findings worth showing beside a check: a file that could not be read, or was ignored.
_KEPT_WARNINGS = frozenset({"unknown file ignored", "duplicate domain file"})


def unknown_stems(folder: Path) -> frozenset[str]:
    """Upper-case stems of the data files the loader would ignore (no SDTMIG domain by name or by their
    DOMAIN column): candidate custom domains."""
    scratch = Findings()
    discover(folder, frozenset(), scratch)
    ignored = {f.file for f in scratch.items if f.kind == "unknown file ignored"}
    return frozenset(Path(name).stem.upper() for name in ignored if Path(name).suffix.lower() in SUFFIXES)


def read_export_tables(folder: Path | str, custom_domains: frozenset[str], findings: Findings
                       ) -> dict[str, SourceTable]:
    """Every readable domain of an export, typed as the loader types it (numbers float64, a --DT per --DTC);
    a domain split over several files (lbch.xpt, lbhe.xpt) merged into one table as the loader merges it.

    Errors that stop a file from being read go to `findings`; data-level findings of the typing (partial
    dates, non-numeric values) are the loader's business and are dropped here.
    """
    found = Findings()
    parts: dict[str, list[SourceTable]] = {}
    for raw in read_raw(discover(Path(folder), custom_domains, found)).values():
        source = read_table(raw, found)
        if source is not None:
            typed = SourceTable(source.domain, source.name, type_table(source, Findings()))
            parts.setdefault(raw.domain, []).append(typed)
    findings.extend(f for f in found.items if f.severity == "error" or f.kind in _KEPT_WARNINGS)
    return {domain: group[0] if len(group) == 1 else merge_parts(domain, group) for domain, group in parts.items()}


def frame(tables: Mapping[str, SourceTable], domain: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A domain as a pandas frame (empty when the export lacks it); only `columns` it has, when given (a large
    LB is not converted whole to look at three of its columns)."""
    source = tables.get(domain)
    if source is None:
        return pd.DataFrame()
    table = source.table if columns is None else source.table.select(
        [c for c in dict.fromkeys(columns) if c in source.table.column_names])
    return table.to_pandas()


def distinct(tables: Mapping[str, SourceTable], domain: str, column: str) -> set[object]:
    """The distinct present values of a column (text stripped; blanks left out), by Arrow's hash kernel: a large
    findings domain has millions of rows but few distinct test codes or visits."""
    source = tables.get(domain)
    if source is None or column not in source.table.column_names:
        return set()
    values = pc.unique(source.table[column])
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        values = pc.utf8_trim_whitespace(values)
    return {v for v in values.to_pylist() if v is not None and v != ""}


def file_name(tables: Mapping[str, SourceTable], domain: str) -> str:
    """The file a domain was read from, for findings (the lower-case domain when absent)."""
    source = tables.get(domain)
    return source.name if source is not None else domain.lower()


def text(values: pd.Series) -> pd.Series:
    """Values as stripped text; missing and blank values as NA."""
    out = values.astype("string").str.strip()
    return out.mask(out.eq(""))


def norm(values: pd.Series) -> pd.Series:
    """Controlled terminology as compared (`schema.normalized`), missing kept missing."""
    # Each distinct value normalized once: a findings domain has millions of rows but few distinct terms.
    mapping = {v: normalized(v) for v in pd.unique(values.dropna()) if isinstance(v, str)}
    return values.astype(object).map(mapping)


def not_randomized(codes: pd.Series) -> pd.Series:
    """Rows whose arm code says the subject was not randomized (SCRNFAIL, NOTASSGN in any case) or is empty."""
    return norm(codes).isin(NOT_RANDOMIZED_CODES) | codes.isna()


def study_days(dates: pd.Series, usubjid: pd.Series, dm: pd.DataFrame) -> pd.Series:
    """SDTM study day of each date from the subject's RFSTDTC (day 1 is RFSTDTC; no day 0)."""
    if dm.empty or "RFSTDT" not in dm or "USUBJID" not in dm:
        return pd.Series(np.nan, index=dates.index)
    day1 = pd.to_datetime(dm.drop_duplicates("USUBJID").set_index("USUBJID")["RFSTDT"])
    start = pd.to_datetime(usubjid.map(day1))
    delta = (pd.to_datetime(dates) - start).dt.days.astype("float64")
    return delta.where(delta < 0, delta + 1)

