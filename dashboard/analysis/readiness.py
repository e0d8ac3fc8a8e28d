"""How much a display's numbers can be trusted at this cut, from what it reads (pure: frames in, a result out).

For the domains and fields a catalogue entry declares: the cut's load warnings in those domains, the share of
missing values in each field, the records dated after the cut that every page leaves out (counted per domain by
the load warnings, `dashboard.ingest.validate.flag_dates_after_cut`) and how old the newest record is at the cut
date. Only clinical data and open warnings are read, so the answer never depends on allocation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import PurePath

import pandas as pd

from dashboard import cutoff
from dashboard.ingest.adam.detect import ADAM_DOMAINS
from dashboard.ingest.schema import named_domain

AFTER_CUT_KIND = "records after cut (summary)"     # the loader's per-domain count of late records
ARMED_ONLY_KINDS = frozenset({"coding key"})        # notices added for armed users: never counted (same for all)
LEADING_COUNT = re.compile(r"^\s*(\d+)\b")
# Fields filled only where a flag says the event happened: counted among those rows ("DM.DTHDTC" among DTHFL = Y).
ONLY_WHERE_FLAGGED = {"DM.DTHDTC": "DTHFL", "DM.DTHDT": "DTHFL"}
CAUTION_SHARE = 0.10    # a field missing this share or more is worth a look
THIN_SHARE = 0.50       # a field missing this share or more carries little


@dataclass(frozen=True)
class FieldMissing:
    """Missing values of one field: `share` is None when the field or its domain has no rows to count."""

    field: str
    missing: int
    rows: int
    present: bool           # the column exists in the cut

    @property
    def share(self) -> float | None:
        """Missing / rows, or None when there is nothing to count."""
        return self.missing / self.rows if self.present and self.rows else None


@dataclass(frozen=True)
class Readiness:
    """What a display stands on at this cut."""

    warnings: dict[str, int]          # domain -> load warnings (rows they stand for)
    missing: tuple[FieldMissing, ...]
    after_cut: dict[str, int]         # domain -> records after the cut left out
    newest: pd.Timestamp | None       # newest record date in the display's domains
    age_days: int | None              # days from the newest record to the cut date
    empty_domains: tuple[str, ...]    # declared domains with no record in the cut
    domains: tuple[str, ...] = ()     # the declared domains


def file_domains(file: str) -> set[str]:
    """The domains a warning's file names ('ae.csv', 'suppae.xpt' -> AE, 'adsl.xpt' -> DM, 'ct.csv, ex.csv')."""
    found = set()
    for name in str(file).split(","):
        stem = PurePath(name.strip()).stem.upper()
        domain = ADAM_DOMAINS.get(stem) or named_domain(stem, frozenset()) or stem
        found.add(domain[4:] if domain.startswith("SUPP") and len(domain) > 4 else domain)
    return found - {""}


def warning_counts(warnings: pd.DataFrame, domains: Iterable[str]) -> tuple[dict[str, int], dict[str, int]]:
    """(domain -> load warnings, domain -> records after the cut) for `domains`, from a cut's warnings frame."""
    wanted = set(domains)
    counts: dict[str, int] = {}
    late: dict[str, int] = {}
    if warnings.empty or "file" not in warnings:
        return counts, late
    weights = warnings["count"] if "count" in warnings else pd.Series(1, index=warnings.index)
    kinds = warnings["kind"] if "kind" in warnings else pd.Series("", index=warnings.index)
    for file, kind, weight, message in zip(warnings["file"], kinds, weights, warnings["message"]):
        if kind in ARMED_ONLY_KINDS:
            continue
        for domain in file_domains(file) & wanted:
            if kind == AFTER_CUT_KIND:
                match = LEADING_COUNT.match(str(message))
                late[domain] = late.get(domain, 0) + (int(match.group(1)) if match else 1)
            else:
                counts[domain] = counts.get(domain, 0) + (1 if pd.isna(weight) else int(weight))
    return counts, late


def _blank_count(values: pd.Series) -> int:
    """Empty, blank or null values of one column. Text is judged once per distinct value (`pd.factorize`): a
    column of 970,000 lab rows holds a few hundred distinct values, so this is a lookup, not a pass over strings."""
    if not (values.dtype == object or pd.api.types.is_string_dtype(values)):
        return int(values.isna().sum())
    codes, uniques = pd.factorize(values, use_na_sentinel=True)       # null -> -1
    blank = pd.Series(uniques, dtype=object).astype("string").str.strip().fillna("").eq("").to_numpy(dtype=bool)
    present = codes[codes >= 0]
    return int(len(codes) - len(present) + blank[present].sum())


def missing_counts(frame: pd.DataFrame, domain: str, columns: Iterable[str]) -> dict[str, FieldMissing]:
    """`field_missing` of every column of `columns` ("AESEV", not "AE.AESEV") of one domain's frame, keyed by
    "DOMAIN.COLUMN": one pass per column, the row filters (randomized DM subjects, flagged rows) taken once."""
    domain = domain.upper()
    if domain == "DM" and "RANDFL" in frame.columns:
        frame = frame[frame["RANDFL"].eq("Y").fillna(False).astype(bool)]
    flagged: dict[str, pd.DataFrame] = {}
    out: dict[str, FieldMissing] = {}
    for column in dict.fromkeys(columns):
        field = f"{domain}.{column}"
        if column not in frame.columns:
            out[field] = FieldMissing(field, 0, len(frame), present=False)
            continue
        if column.endswith("FL"):
            out[field] = FieldMissing(field, 0, 0, present=True)
            continue
        rows = frame
        flag = ONLY_WHERE_FLAGGED.get(field)
        if flag in frame.columns:
            if flag not in flagged:
                flagged[flag] = frame[frame[flag].eq("Y").fillna(False).astype(bool)]
            rows = flagged[flag]
        out[field] = FieldMissing(field, _blank_count(rows[column]), len(rows), present=True)
    return out


def field_missing(domains: Mapping[str, pd.DataFrame], field: str) -> FieldMissing:
    """Missing values (empty, blank or null) of "DOMAIN.COLUMN" among that domain's records; in DM among the
    randomized subjects when DM says who they are (a screen failure has no treatment date by design), and a date
    that only exists where a flag is set (ONLY_WHERE_FLAGGED) among those rows. A flag (--FL) is blank for "no",
    so it has no missing values to count (rows 0: no share)."""
    domain, _, column = field.partition(".")
    (counted,) = missing_counts(domains.get(domain.upper(), pd.DataFrame()), domain, [column]).values()
    return replace(counted, field=field)


def newest_record(domains: Mapping[str, pd.DataFrame], names: Iterable[str]) -> pd.Timestamp | None:
    """The latest record date (--STDTC, else --DTC; earliest possible day of a partial date) over `names`."""
    newest = None
    for name in names:
        frame = domains.get(name.upper(), pd.DataFrame())
        column = cutoff.record_date_column(frame, name)
        if column is None or frame.empty:
            continue
        # the latest of the distinct dates (a few hundred among 970,000 lab rows): the same maximum, far fewer parses
        latest = cutoff.earliest_day(pd.Series(frame[column].dropna().unique())).max()
        if pd.notna(latest) and (newest is None or latest > newest):
            newest = latest
    return newest


def readiness(domains: Mapping[str, pd.DataFrame], warnings: pd.DataFrame, cut_date: str,
              display_domains: Iterable[str], fields: Iterable[str], *,
              newest_of: Callable[[str], pd.Timestamp | None] | None = None,
              missing_of: Callable[[str], FieldMissing] | None = None) -> Readiness:
    """Everything the readiness badge of one display says, for the domains and fields it declares.

    `newest_of(domain)` and `missing_of(field)` may be given to share those parts between displays (a page's
    displays read the same domains; at 5,000 subjects one domain's dates take seconds): same results, computed once.
    """
    names = tuple(dict.fromkeys(d.upper() for d in display_domains))
    newest_of = newest_of or (lambda name: newest_record(domains, [name]))
    missing_of = missing_of or (lambda field: field_missing(domains, field))
    counts, late = warning_counts(warnings, names)
    dates = [day for day in (newest_of(name) for name in names) if day is not None]
    newest = max(dates) if dates else None
    age = None if newest is None else int((pd.Timestamp(cut_date).normalize() - newest).days)
    empty = tuple(n for n in names if domains.get(n, pd.DataFrame()).empty)
    return Readiness(counts, tuple(missing_of(f) for f in fields), late, newest, age, empty, names)


def level(result: Readiness) -> str:
    """'thin' (no records in any declared domain, every declared field absent, or a field mostly missing),
    'caution' (a domain or field absent while others are there, such as an optional PR or HO; warnings, late
    records or missing values worth a look) or 'ready'.
    The newest record's age is told, not judged: a trial whose dosing ended has no new EX record, and that says
    nothing about the data's quality."""
    shares = [m.share for m in result.missing if m.share is not None]
    absent = [m for m in result.missing if not m.present]
    every_domain_empty = bool(result.empty_domains) and len(result.empty_domains) == len(result.domains)
    if every_domain_empty or any(s >= THIN_SHARE for s in shares) or (absent and len(absent) == len(result.missing)):
        return "thin"
    if (absent or result.empty_domains or sum(result.warnings.values()) or sum(result.after_cut.values())
            or any(s >= CAUTION_SHARE for s in shares)):
        return "caution"
    return "ready"
