"""Visits of an export against the configured schedule: matched on both VISITNUM and VISIT.

A pair (VISITNUM, VISIT) of an export is one of:
- `exact`: both agree with one configured visit;
- `renumbered`: the name is a configured visit's name, the number is not its number (an export that numbers
  visits by study day, say); it can be mapped to the configured number by name;
- `conflict`: the name is not configured, the number is a configured visit's number, and the name is not an
  unplanned visit's: two names for one number, which only a person can settle;
- `shared`: an unplanned visit (UNSCHEDULED, RETRIEVAL, EARLY TERMINATION...) delivered under a configured
  visit's number; left as delivered, with a warning, since pages keyed on VISITNUM would count it there;
- `unconfigured`: neither the name nor the number is configured; left as delivered, counted in a warning.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from dashboard.config import TrialConfig, Visit
from dashboard.ingest.findings import Findings
from dashboard.ingest.readers import SourceTable
from dashboard.ingest.schema import TRIAL_DESIGN_DOMAINS, normalized

EXPORT_COLUMN = "VISITNUM_EXPORT"       # the delivered VISITNUM, kept beside a remapped one
# Visits no schedule plans a day for: unscheduled, retrieval, early termination or withdrawal.
UNPLANNED = re.compile(r"UNSCHED|UNPLANNED|RETRIEVAL|EARLY\s*TERM|EARLY\s*DISC|PREMATURE|WITHDRAW|^ET$"
                       r"|END OF TREATMENT|^EOT$|^EOS$")
_PLACES = 6                             # VISITNUM compared to 6 decimals (XPT stores IBM floats)


def is_unplanned(name: str) -> bool:
    """Whether a visit name is one of an unplanned visit (no planned study day)."""
    return bool(UNPLANNED.search(normalized(name)))


@dataclass(frozen=True)
class Pair:
    """One distinct (VISITNUM, VISIT) of a domain, its rows, and how it stands against the configuration."""

    num: float
    name: str
    rows: int
    kind: str                             # exact, renumbered, conflict, shared, unconfigured
    configured: Visit | None = None       # the visit it maps to (renumbered) or collides with (conflict, shared)

    def text(self) -> str:
        """The pair as findings quote it: (num, 'name')."""
        return f"({self.num:g}, {self.name!r})"


def _key(num: float) -> float:
    """A VISITNUM as compared (rounded: XPT numbers are IBM floats converted)."""
    return round(float(num), _PLACES)


def visit_domains(tables: Mapping[str, SourceTable]) -> list[str]:
    """Domains whose records carry visits: any table with VISITNUM and VISIT, trial design domains aside."""
    return [domain for domain, source in tables.items()
            if domain not in TRIAL_DESIGN_DOMAINS and {"VISITNUM", "VISIT"} <= set(source.table.column_names)]


def _numbers(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """VISITNUM as float64 (typed tables have it already; a raw CSV column is text)."""
    if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
        return pc.cast(column, pa.float64())
    trimmed = pc.utf8_trim_whitespace(column)
    numeric = pc.match_substring_regex(trimmed, r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
    return pc.cast(pc.if_else(numeric, trimmed, pa.scalar(None, trimmed.type)), pa.float64())


def classify(num: float, name: str, rows: int, config: TrialConfig) -> Pair:
    """How one export pair stands against the configured visits."""
    by_name = {normalized(v.name): v for v in config.visits}
    by_num = {_key(v.num): v for v in config.visits}
    named = by_name.get(normalized(name))
    if named is not None:
        return Pair(num, name, rows, "exact" if _key(named.num) == _key(num) else "renumbered", named)
    numbered = by_num.get(_key(num))
    if numbered is None:
        return Pair(num, name, rows, "unconfigured")
    return Pair(num, name, rows, "shared" if is_unplanned(name) else "conflict", numbered)


def export_pairs(source: SourceTable, config: TrialConfig) -> list[Pair]:
    """The distinct (VISITNUM, VISIT) pairs of a table with their row counts, classified; rows lacking either
    value are left out (a record without a visit is not a visit contradiction)."""
    table = pa.table({"num": _numbers(source.table["VISITNUM"]),
                      "name": pc.cast(source.table["VISIT"], pa.string())})
    counts = table.group_by(["num", "name"]).aggregate([([], "count_all")]).to_pylist()
    pairs = [classify(r["num"], r["name"], r["count_all"], config) for r in counts
             if r["num"] is not None and r["name"] is not None and r["name"].strip()]
    return sorted(pairs, key=lambda p: (p.num, normalized(p.name)))


def _configured(visit: Visit) -> str:
    """A configured visit as findings quote it: (num, 'name')."""
    return f"({visit.num:g}, {visit.name!r})"


def _remapped(source: SourceTable, pairs: list[Pair]) -> SourceTable:
    """The table with each renumbered pair's VISITNUM set to its configured number; the delivered one kept."""
    table = source.table
    delivered = _numbers(table["VISITNUM"])
    names = pc.cast(table["VISIT"], pa.string())
    nums = delivered
    for pair in pairs:                    # pair.num and pair.name are delivered values: compared exactly
        hit = pc.and_(pc.equal(delivered, pair.num), pc.equal(names, pair.name))
        nums = pc.if_else(pc.fill_null(hit, False), pa.scalar(float(pair.configured.num)), nums)
    if EXPORT_COLUMN in table.column_names:       # delivered with the export itself: ours replaces it
        table = table.drop_columns([EXPORT_COLUMN])
    index = table.column_names.index("VISITNUM")
    table = table.set_column(index, "VISITNUM", nums).add_column(index + 1, EXPORT_COLUMN, delivered)
    return SourceTable(source.domain, source.name, table)


def _report_outside(source: SourceTable, pairs: list[Pair], findings: Findings) -> None:
    """Warnings about visits left as delivered: those not configured, and unplanned ones on a configured number."""
    outside = [p for p in pairs if p.kind == "unconfigured"]
    if outside:
        names = ", ".join(p.text() for p in outside)
        findings.warning(source.name, f"{sum(p.rows for p in outside)} rows at {len(outside)} visit(s) not in the "
                                      f"configured schedule, left as delivered: {names}", column="VISITNUM",
                         kind="visit not configured")
    for pair in (p for p in pairs if p.kind == "shared"):
        findings.warning(source.name, f"{pair.rows} rows of unplanned visit {pair.text()} carry the number of "
                                      f"configured visit {_configured(pair.configured)}; left as delivered "
                                      "(views by VISITNUM would count them at that visit)",
                         column="VISITNUM", kind="unplanned visit on a configured number")


def reconcile_table(source: SourceTable, config: TrialConfig, findings: Findings) -> SourceTable:
    """One table's visits against the schedule: mapped by name (warning), refused (error), or left as is."""
    pairs = export_pairs(source, config)
    _report_outside(source, pairs, findings)
    renumbered = [p for p in pairs if p.kind == "renumbered"]
    conflicts = [p for p in pairs if p.kind == "conflict"]
    if conflicts:
        listed = "; ".join(f"{p.text()} -> configured {_configured(p.configured)}" for p in conflicts + renumbered)
        findings.error(source.name, "VISITNUM/VISIT pairs contradict the configured visits, and not every visit "
                                    f"name is a configured one, so they cannot be mapped by name: {listed}",
                       column="VISITNUM", kind="visits contradict the configuration")
        return source
    if not renumbered:
        return source
    listed = "; ".join(f"{p.text()} -> {_configured(p.configured)}" for p in renumbered)
    findings.warning(source.name, f"VISITNUM differs from the configured number for {len(renumbered)} visit(s); "
                                  f"mapped by visit name ({sum(p.rows for p in renumbered)} rows), delivered "
                                  f"number kept in {EXPORT_COLUMN}: {listed}", column="VISITNUM",
                     kind="visits mapped by name")
    return _remapped(source, renumbered)


def reconcile_visits(tables: dict[str, SourceTable], config: TrialConfig, findings: Findings
                     ) -> dict[str, SourceTable]:
    """Every table of `tables`, with VISITNUM remapped to the configured number where an export's visits differ
    from the schedule only in number (names agree); contradictions are errors, unplanned visits warnings.

    Returns a new dict holding all the given tables (the unchanged ones as given). A domain with an error is
    returned unchanged: the error stops the load.
    """
    out = dict(tables)
    if not config.visits:
        return out
    for domain in visit_domains(tables):
        out[domain] = reconcile_table(tables[domain], config, findings)
    return out
