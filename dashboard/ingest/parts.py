"""Domains split over several files (SDTMIG 4.1.7: lbch.xpt, lbhe.xpt, lbur.xpt, all with DOMAIN = LB).

Each file is read, typed and checked on its own, so every finding names its own file and row; the parts are then
merged by their DOMAIN column into one table that remembers which rows came from which file (SourceTable.parts).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard.ingest.convert import Locator, as_text
from dashboard.ingest.findings import Findings, Severity
from dashboard.ingest.readers import TEXT, SourceTable
from dashboard.ingest.schema import seq_column


def merge_parts(domain: str, sources: list[SourceTable]) -> SourceTable:
    """One typed table of a domain split over several files, in the given order: columns united in order of first
    appearance (missing in a file: empty), a column typed differently in two files (number and text) as text."""
    names = list(dict.fromkeys(name for source in sources for name in source.table.column_names))
    types = {}
    for name in names:
        seen = {source.table[name].type for source in sources if name in source.table.column_names}
        types[name] = seen.pop() if len(seen) == 1 else TEXT
    tables = []
    for source in sources:
        table = source.table
        columns = [(as_text(table[name]) if types[name] == TEXT else table[name]) if name in table.column_names
                   else pa.chunked_array([pa.nulls(table.num_rows, types[name])]) for name in names]
        tables.append(pa.table(dict(zip(names, columns))))
    return SourceTable(domain, " + ".join(source.name for source in sources), pa.concat_tables(tables),
                       tuple((source.name, source.table.num_rows) for source in sources))


def check_keys_across_parts(source: SourceTable, findings: Findings) -> None:
    """(USUBJID, --SEQ) unique per subject across the files of a split domain: a repeat names both files and rows
    (repeats within one file are reported when that file is checked)."""
    seq = seq_column(source.domain)
    if len(source.parts) < 2 or seq is None or not {"USUBJID", seq} <= set(source.table.column_names):
        return
    keys = pd.DataFrame({"USUBJID": source.table["USUBJID"].to_numpy(zero_copy_only=False),
                         seq: source.table[seq].to_numpy(zero_copy_only=False)})
    keys["part"] = np.repeat(np.arange(len(source.parts)), [count for _, count in source.parts])
    keys = keys[keys["USUBJID"].notna() & keys[seq].notna()].drop_duplicates(["USUBJID", seq, "part"])
    first = keys.drop_duplicates(["USUBJID", seq]).reset_index().set_index(["USUBJID", seq])["index"]
    repeated = keys[keys.duplicated(["USUBJID", seq])]
    if repeated.empty:
        return
    where = Locator(source)
    earlier = first.reindex(pd.MultiIndex.from_frame(repeated[["USUBJID", seq]])).to_numpy()
    texts = dict(zip(repeated.index, (f"(USUBJID, {seq}) repeats {where.place(int(e))}: --SEQ must be unique per "
                                      f"subject across the files of {source.domain}" for e in earlier)))
    where.report(findings, Severity.ERROR, repeated.index.to_numpy(), lambda rows: [texts[r] for r in rows],
                 column=seq, kind="duplicate key across files")
