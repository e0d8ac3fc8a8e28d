"""An ADaM EX built from treatment dates (ADEX with summary parameters only) takes ADSL's dates, not ADEX's copies."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from dashboard.ingest.adam.exposure import exposure_from_adsl
from dashboard.ingest.adam.translate import EXPOSURE_FROM_DATES
from dashboard.ingest.findings import Findings
from dashboard.ingest.readers import SourceTable


def _table(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


def _tables():
    dm = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "RFXSTDTC": ["2020-01-01", "2020-02-01"],
                       "RFXENDTC": ["2022-12-31", "2020-03-01"]})
    dm["RFXSTDT"], dm["RFXENDT"] = pd.to_datetime(dm["RFXSTDTC"]), pd.to_datetime(dm["RFXENDTC"])
    ex = pd.DataFrame({"USUBJID": ["S-1", "S-2"], "EXSEQ": [1.0, 1.0], "EXSTDTC": ["2020-01-01", "2020-02-01"],
                       "EXENDTC": ["2020-02-06", "2020-03-01"]})      # S-1's copy ends 36 days after its start
    ex["EXSTDT"], ex["EXENDT"] = pd.to_datetime(ex["EXSTDTC"]), pd.to_datetime(ex["EXENDTC"])
    return dm, {"DM": SourceTable("DM", "adsl.xpt", _table(dm)), "EX": SourceTable("EX", "adex.xpt", _table(ex))}


def test_exposure_built_from_dates_takes_adsl_dates_with_a_warning():
    dm, tables = _tables()
    findings = Findings()
    findings.warning("adex.xpt", "one record per subject", kind=EXPOSURE_FROM_DATES)
    out = exposure_from_adsl(tables, findings)
    ex = out["EX"].table.to_pandas()
    assert ex["EXENDTC"].tolist() == dm["RFXENDTC"].tolist() and ex["EXSTDTC"].tolist() == dm["RFXSTDTC"].tolist()
    assert ex["EXENDT"].tolist() == dm["RFXENDT"].tolist()
    assert out["EX"] is not tables["EX"] and out["DM"] is tables["DM"]
    [warning] = [f for f in findings.items if f.kind == "exposure dates from ADSL"]
    assert "for 1 subject" in warning.message and warning.file == "adex.xpt"


def test_dated_exposure_records_are_left_as_delivered():
    _, tables = _tables()
    out = exposure_from_adsl(tables, Findings())          # no fallback warning: ADEX had dated exposure records
    assert out["EX"] is tables["EX"]
    sdtm = {**tables, "EX": SourceTable("EX", "ex.xpt", tables["EX"].table)}
    findings = Findings()
    findings.warning("ex.xpt", "x", kind=EXPOSURE_FROM_DATES)
    assert exposure_from_adsl(sdtm, findings)["EX"] is sdtm["EX"]      # an SDTM EX is never touched
