"""The [adam] keys of a trial configuration against an ADaM export: the measure mapping applied at load (the
configured test code where PARAMCD differs), and every configured flag or parameter the export lacks, as findings."""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc

from dashboard.config import TrialConfig
from dashboard.config_adam import AdamConfig
from dashboard.ingest.adam.detect import adam_stem
from dashboard.ingest.findings import Findings
from dashboard.ingest.readers import TEXT, SourceTable

BDS_DOMAINS = ("LB", "VS")


def from_adam(source: SourceTable | None) -> bool:
    """Whether a typed table was translated from an ADaM dataset (its file, or its first part's, is one)."""
    if source is None:
        return False
    names = [source.name, *(name for name, _ in source.parts)]
    return any(adam_stem(name) for name in names)


def is_adam_export(tables: Mapping[str, SourceTable]) -> bool:
    """Whether the export's DM was translated from ADSL (the [adam] keys then apply)."""
    return from_adam(tables.get("DM"))


def _distinct(source: SourceTable, column: str) -> set[str]:
    if column not in source.table.column_names:
        return set()
    return {v for v in pc.unique(source.table[column]).to_pylist() if isinstance(v, str)}


def _mapped(source: SourceTable, adam: AdamConfig, findings: Findings | None) -> SourceTable:
    """`source` with --TESTCD set to the configured test code on the rows of each mapped PARAMCD (PARAMCD kept)."""
    testcd = f"{source.domain[:2]}TESTCD"
    names = source.table.column_names
    if "PARAMCD" not in names or testcd not in names:
        return source
    present = _distinct(source, "PARAMCD")
    column, changed = source.table[testcd], False
    for configured, paramcd in adam.measures:
        if configured == paramcd or paramcd not in present:
            continue
        changed = True
        rows = pc.equal(source.table["PARAMCD"], pa.scalar(paramcd, TEXT))
        column = pc.if_else(pc.fill_null(rows, False), pa.scalar(configured, TEXT), column)
        if findings is not None:
            count = pc.sum(pc.cast(pc.fill_null(rows, False), pa.int64())).as_py()
            findings.warning(source.name, f"{count} records of PARAMCD {paramcd!r} read as the configured measure "
                                          f"{configured!r} (adam.measures); PARAMCD stays as delivered",
                             column=testcd, kind="measure mapped")
    if not changed:
        return source
    table = source.table.set_column(names.index(testcd), testcd, column)
    return SourceTable(source.domain, source.name, table, source.parts)


def map_measures(tables: Mapping[str, SourceTable], adam: AdamConfig, findings: Findings | None
                 ) -> dict[str, SourceTable]:
    """Every table; those translated from ADaM BDS datasets with [adam] measures applied (a warning per mapping when
    `findings` is given). A table that changes is a new object, as `reconcile_visits` returns them."""
    out = dict(tables)
    if not adam.measures:
        return out
    for domain in BDS_DOMAINS:
        if from_adam(out.get(domain)):
            out[domain] = _mapped(out[domain], adam, findings)
    return out


def _analysis_visits(source: SourceTable, flag: str, findings: Findings | None) -> SourceTable:
    """`source` with VISITNUM/VISIT cleared on the records the analysis flag leaves out, baseline records (ABLFL = Y)
    apart (AVISIT/AVISITN kept), so a by-visit view takes the analysis record of each visit, as ADaM's CHG does, not
    the mean of every record."""
    names = source.table.column_names
    if flag not in names or "VISITNUM" not in names:
        return source
    values = pc.utf8_upper(pc.utf8_trim_whitespace(source.table[flag]))
    if not pc.any(pc.equal(pc.fill_null(values, ""), "Y")).as_py():
        return source                       # an empty flag column selects nothing: every record counts
    left = pc.and_(pc.not_equal(pc.fill_null(values, ""), "Y"), pc.is_valid(source.table["VISITNUM"]))
    if "ABLFL" in names:        # ANL01FL does not flag the baseline record: it keeps its visit
        ablfl = pc.utf8_trim_whitespace(pc.cast(source.table["ABLFL"], pa.string()))
        baseline = pc.equal(pc.fill_null(pc.utf8_upper(ablfl), ""), "Y")
        left = pc.and_(left, pc.invert(baseline))
    count = pc.sum(pc.cast(left, pa.int64())).as_py()
    if not count:
        return source
    table = source.table
    for column in ("VISITNUM", "VISIT"):
        if column in names:
            empty = pa.scalar(None, table.schema.field(column).type)
            table = table.set_column(names.index(column), column, pc.if_else(left, empty, table[column]))
    if findings is not None:
        findings.warning(source.name, f"{count} records flagged neither {flag} = Y (adam.analysis_flag) nor ABLFL = Y "
                                      "keep AVISIT and AVISITN but no VISITNUM/VISIT: by-visit views use the analysis "
                                      "records",
                         column=flag, kind="not an analysis record")
    return SourceTable(source.domain, source.name, table, source.parts)


def analysis_visits(tables: Mapping[str, SourceTable], adam: AdamConfig, findings: Findings | None
                    ) -> dict[str, SourceTable]:
    """Every table; ADaM BDS ones with the visits of records outside the analysis flag cleared (`_analysis_visits`)."""
    out = dict(tables)
    for domain in BDS_DOMAINS:
        if from_adam(out.get(domain)):
            out[domain] = _analysis_visits(out[domain], adam.analysis_flag, findings)
    return out


def _warn(findings: Findings, file: str, message: str, column: str | None = None) -> None:
    findings.warning(file, message, column=column, kind="configured ADaM key absent")


def _check_flags(tables: Mapping[str, SourceTable], adam: AdamConfig, findings: Findings) -> None:
    dm = tables["DM"]
    if adam.efficacy_flag not in dm.table.column_names and adam.efficacy_flag != "RANDFL":
        _warn(findings, dm.name, f"efficacy population flag {adam.efficacy_flag} (adam.efficacy_flag) is not in "
                                 "ADSL: efficacy views count every randomized subject", adam.efficacy_flag)
    for domain in BDS_DOMAINS:
        source = tables.get(domain)
        if from_adam(source) and adam.analysis_flag not in source.table.column_names:
            _warn(findings, source.name, f"analysis record flag {adam.analysis_flag} (adam.analysis_flag) is not "
                                         "delivered: every record counts", adam.analysis_flag)


def _check_measures(tables: Mapping[str, SourceTable], config: TrialConfig, findings: Findings) -> None:
    outcome_domains = {o.testcd: o.domain for o in config.outcomes}
    for configured, paramcd in config.adam.measures:
        source = tables.get(outcome_domains.get(configured, "LB"))     # a safety lab code otherwise
        if from_adam(source) and paramcd not in _distinct(source, "PARAMCD"):
            _warn(findings, source.name, f"adam.measures maps {configured!r} to PARAMCD {paramcd!r}, which has no "
                                         "record", "PARAMCD")


def _check_tte(tables: Mapping[str, SourceTable], adam: AdamConfig, findings: Findings) -> None:
    source = tables.get("ADTTE")
    if source is None:
        if adam.tte:
            _warn(findings, "adtte", f"adam.tte names {len(adam.tte)} parameter(s) but the export has no ADTTE")
        return
    present = _distinct(source, "PARAMCD")
    for i, param in enumerate(adam.tte):
        if param.paramcd not in present:
            _warn(findings, source.name, f"adam.tte[{i}]: PARAMCD {param.paramcd!r} has no record "
                                         f"(ADTTE has {', '.join(sorted(present)) or 'none'})", "PARAMCD")


def check_adam_config(tables: Mapping[str, SourceTable], config: TrialConfig, findings: Findings) -> None:
    """Warnings for every [adam] key the export cannot honour; one warning when [adam] is given for an SDTM export."""
    if not is_adam_export(tables):
        if config.adam.configured and "DM" in tables:
            _warn(findings, tables["DM"].name, "the configuration has an [adam] section but the export is SDTM (no "
                                               "ADSL): its keys are not used")
        return
    _check_flags(tables, config.adam, findings)
    _check_measures(tables, config, findings)
    _check_tte(tables, config.adam, findings)
