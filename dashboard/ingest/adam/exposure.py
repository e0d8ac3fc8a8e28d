"""EX of an ADaM cut whose ADEX keeps only summary parameters (random.cdisc.data): the one exposure record per subject
takes its dates from ADSL (DM RFXSTDTC/RFXENDTC, translated from TRTSDT(M)/TRTEDT(M)), the subject-level source,
not from ADEX's copies of the ADSL variables, which a dataset may get wrong (random-cdisc-adam's ADEX ends treatment
36 days after its start for every subject; its ADSL up to 1,095 days after)."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import pyarrow as pa

from dashboard.ingest.adam.configured import from_adam
from dashboard.ingest.adam.translate import EXPOSURE_FROM_DATES
from dashboard.ingest.findings import Findings
from dashboard.ingest.readers import SourceTable

# EX column <- DM column (the --DT columns the loader typed next to each --DTC go with them)
DATES = {"EXSTDTC": "RFXSTDTC", "EXSTDT": "RFXSTDT", "EXENDTC": "RFXENDTC", "EXENDT": "RFXENDT"}


def _built_from_dates(ex: SourceTable, findings: Findings) -> bool:
    """Whether the translation built EX from treatment dates (its warning says so; no column marks it)."""
    return any(f.kind == EXPOSURE_FROM_DATES and f.file == ex.name for f in findings.items)


def _with_adsl_dates(ex: SourceTable, dm: SourceTable) -> tuple[SourceTable, int]:
    """`ex` with each DATES column replaced by the subject's DM value; the number of subjects whose dates changed."""
    columns = [c for c in DATES if c in ex.table.column_names and DATES[c] in dm.table.column_names]
    subjects = ex.table["USUBJID"].to_pandas()
    by_subject = dm.table.select(["USUBJID", *(DATES[c] for c in columns)]).to_pandas().drop_duplicates("USUBJID")
    by_subject = by_subject.set_index("USUBJID")
    table, changed = ex.table, pd.Series(False, index=subjects.index)
    for column in columns:
        old, new = table[column].to_pandas(), subjects.map(by_subject[DATES[column]])
        changed |= ~((old == new) | (old.isna() & new.isna()))
        field = table.schema.field(column)
        array = pa.array(new.astype(object).where(new.notna(), None).tolist(), type=field.type)
        table = table.set_column(table.column_names.index(column), field, array)
    return SourceTable(ex.domain, ex.name, table, ex.parts), int(changed.sum())


def exposure_from_adsl(tables: Mapping[str, SourceTable], findings: Findings | None) -> dict[str, SourceTable]:
    """Every table; an ADaM EX built from treatment dates with ADSL's dates where ADEX's copies differ (a warning
    counts the subjects). A table that changes is a new object, as `reconcile_visits` returns them."""
    out = dict(tables)
    ex, dm = out.get("EX"), out.get("DM")
    if findings is None or ex is None or dm is None or not (from_adam(ex) and from_adam(dm)):
        return out
    if not _built_from_dates(ex, findings):
        return out
    fixed, changed = _with_adsl_dates(ex, dm)
    if changed:
        findings.warning(ex.name, f"the treatment dates ADEX repeats from ADSL differ from {dm.name} for {changed} "
                                  f"subject(s): each exposure record takes {dm.name}'s TRTSDT(M)/TRTEDT(M)",
                         column="EXENDTC", kind="exposure dates from ADSL")
        out["EX"] = fixed
    return out
