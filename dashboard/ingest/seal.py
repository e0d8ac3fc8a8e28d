"""Split a validated export into its clinical part (no allocation, not even indirectly) and its sealed part.

The clinical part is a function of the export with every allocation value removed, so the same
clinical data under a different randomization gives byte-identical clinical files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.config import TrialConfig
from dashboard.ingest.convert import is_in
from dashboard.ingest.readers import TEXT, SourceTable
from dashboard.ingest.schema import (
    ALLOCATION_COLUMNS, EX_SEALED_COLUMNS, RANDOMIZATION, SEALED_DOMAINS, is_sealed_name, seq_column,
)
from dashboard.ingest.validate import arm_values

ALLOCATION = "allocation"
DERIVED_DM_COLUMNS = ("RANDFL", "RANDDTC", "RANDDT", "SCRNFFL")


@dataclass
class SealedExport:
    clinical: dict[str, pa.Table]
    sealed: dict[str, pa.Table]
    randomized: int
    carries_allocation: set[str]      # domains whose input file holds allocation values or sealed rows


def splits_alone(domain: str) -> bool:
    """Whether a domain's clinical part depends on its own file only (so it can be split before validation)."""
    return domain not in (RANDOMIZATION, "DM") and domain not in SEALED_DOMAINS and not domain.startswith("SUPP")


def split_domain(domain: str, table: pa.Table, config: TrialConfig) -> tuple[pa.Table, pa.Table | None]:
    """Clinical table and sealed columns (or None) of a domain for which `splits_alone` holds."""
    return _split_ex(table, config.blinded_treatment_label) if domain == "EX" else _split_columns(domain, table)


def seal(tables: dict[str, SourceTable], config: TrialConfig,
         split: Mapping[str, tuple[pa.Table, pa.Table | None]] | None = None) -> SealedExport:
    """Clinical and sealed tables of a validated export (DM present, required columns present).

    `split` may give, per domain, the result of `split_domain` for that domain's table, computed earlier.
    """
    clinical: dict[str, pa.Table] = {}
    sealed: dict[str, pa.Table] = {}
    needles = pa.array(sorted(arm_values(tables, config)))
    dm, allocation, dm_sealed = _split_dm(tables, config)
    for domain, source in tables.items():
        if domain in (RANDOMIZATION, "DM"):
            continue
        if domain in SEALED_DOMAINS:
            sealed[domain] = source.table
            continue
        if split is not None and domain in split:
            clinical[domain], columns = split[domain]
        elif splits_alone(domain):
            clinical[domain], columns = split_domain(domain, source.table, config)
        else:
            table, rows = _split_supp(source.table, needles)
            if rows.num_rows:
                sealed[domain] = rows
            clinical[domain], columns = _split_columns(domain, table)
        if columns is not None:
            sealed[f"{domain}_COLUMNS" if domain in sealed else domain] = columns
    # One chunk, as in _split_columns: the clinical part's bytes fingerprint the cut (identity.py).
    clinical["DM"] = pa.Table.from_pandas(dm, preserve_index=False).combine_chunks()
    sealed[ALLOCATION] = pa.Table.from_pandas(allocation, preserve_index=False)
    if dm_sealed is not None:
        sealed["DM"] = dm_sealed
    carrying = {d.split("_")[0] for d in sealed if d != ALLOCATION} | ({RANDOMIZATION} & tables.keys())
    if any(is_sealed_name(c) for c in tables["DM"].table.column_names):
        carrying.add("DM")
    return SealedExport(clinical, sealed, int((dm["RANDFL"] == "Y").sum()), carrying)


def _keys(domain: str, table: pa.Table) -> list[str]:
    seq = seq_column(domain)
    return [c for c in ("USUBJID", seq) if c and c in table.column_names]


def _split_columns(domain: str, table: pa.Table, also: tuple[str, ...] = ()) -> tuple[pa.Table, pa.Table | None]:
    """Move allocation-revealing columns (ARM, TRT01P, ...) to a sealed table keyed by USUBJID and --SEQ."""
    moved = [c for c in table.column_names if is_sealed_name(c) or c in also]
    if not moved:
        return table, None
    keys = [k for k in _keys(domain, table) if k not in moved]
    # One chunk: how the reader cut the file into blocks depends on the bytes of the moved columns too.
    return table.drop_columns(moved).combine_chunks(), table.select(keys + moved)


def _split_ex(table: pa.Table, blinded_label: str) -> tuple[pa.Table, pa.Table | None]:
    """EX: treatment, dose, dose text and lot are sealed always; EXTRT shows the blinded label."""
    open_part, sealed_part = _split_columns("EX", table, also=EX_SEALED_COLUMNS)
    label = pa.array([blinded_label] * table.num_rows, type=TEXT)
    position = table.column_names.index("EXTRT")
    return open_part.add_column(min(position, open_part.num_columns), "EXTRT", label), sealed_part


def _split_supp(table: pa.Table, needles: pa.Array) -> tuple[pa.Table, pa.Table]:
    """Every row of a QNAM that names allocation, or of which any QVAL is an arm code or label, is sealed.

    Sealing by QNAM, not row by row: the rows left behind for one arm would otherwise mark the other.
    """
    qval = pc.fill_null(pc.is_in(table["QVAL"], value_set=needles), False)
    revealing = set(pc.unique(table.filter(qval)["QNAM"]).to_pylist()) | _sealed_qnams(table)
    hide = pc.fill_null(pc.is_in(table["QNAM"], value_set=pa.array(sorted(q for q in revealing if q),
                                                                   type=table["QNAM"].type)), False)
    return table.filter(pc.invert(hide)).combine_chunks(), table.filter(hide)


def _sealed_qnams(table: pa.Table) -> set[str]:
    return {q for q in pc.unique(table["QNAM"]).to_pylist() if q and is_sealed_name(q)}


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series(pd.NA, index=frame.index, dtype="str")


def _split_dm(tables: dict[str, SourceTable], config: TrialConfig) -> tuple[pd.DataFrame, pd.DataFrame,
                                                                             pa.Table | None]:
    """DM without arms plus RANDFL, RANDDTC, RANDDT, SCRNFFL; the allocation list; other sealed DM columns."""
    dm_table = tables["DM"].table
    raw = dm_table.to_pandas()
    open_table, extra = _split_columns("DM", dm_table)
    dm = open_table.drop_columns([c for c in DERIVED_DM_COLUMNS if c in open_table.column_names]).to_pandas()
    extra = extra.drop_columns([c for c in (*ALLOCATION_COLUMNS, "RANDNO") if c in extra.column_names]) \
        if extra is not None else None
    listed = (tables[RANDOMIZATION].table.to_pandas().drop_duplicates("USUBJID").set_index("USUBJID")
              if RANDOMIZATION in tables else pd.DataFrame(index=pd.Index([], dtype="str", name="USUBJID")))
    subjects = raw["USUBJID"]
    from_list = {c: subjects.map(_column(listed, c)).astype("str") for c in ("ARMCD", "ARM", "RANDNO", "RANDDTC")}
    from_list["RANDDT"] = subjects.map(_column(listed, "RANDDT"))

    armcd = from_list["ARMCD"].fillna(_column(raw, "ARMCD")).astype("str")
    real_arm = armcd.isin(config.arm_codes)
    labels = armcd.map({a.code: a.label for a in config.arms})
    allocation = pd.DataFrame({
        "USUBJID": subjects.astype("str"),
        "ARMCD": armcd,
        "ARM": from_list["ARM"].where(is_in(subjects, listed.index), _column(raw, "ARM")).fillna(labels).astype("str"),
        "ACTARMCD": _column(raw, "ACTARMCD").astype("str"),
        "ACTARM": _column(raw, "ACTARM").astype("str"),
        "RANDNO": from_list["RANDNO"].fillna(_column(raw, "RANDNO")).astype("str"),
    })

    ds = tables["DS"].table.to_pandas() if "DS" in tables else pd.DataFrame(columns=["USUBJID", "DSDECOD"])
    randomized_ds = ds[ds["DSDECOD"] == "RANDOMIZED"].drop_duplicates("USUBJID").set_index("USUBJID")
    screen_failed = set(ds.loc[ds["DSDECOD"] == "SCREEN FAILURE", "USUBJID"])
    randdtc = from_list["RANDDTC"].fillna(_column(raw, "RANDDTC")).fillna(
        subjects.map(_column(randomized_ds, "DSSTDTC")).astype("str"))
    randdt = pd.to_datetime(from_list["RANDDT"])
    if "RANDDT" in raw:
        randdt = randdt.fillna(pd.to_datetime(raw["RANDDT"]))
    if "DSSTDT" in randomized_ds:
        randdt = randdt.fillna(pd.to_datetime(subjects.map(randomized_ds["DSSTDT"])))
    dm["RANDFL"] = pd.Series(real_arm.map({True: "Y", False: "N"}), dtype="str")
    dm["RANDDTC"] = randdtc.astype("str")
    dm["RANDDT"] = pd.to_datetime(randdt).astype("datetime64[ns]")
    scrnfail = (_column(raw, "ARMCD") == "SCRNFAIL").fillna(False) | is_in(subjects, screen_failed)
    dm["SCRNFFL"] = pd.Series(scrnfail.map({True: "Y", False: "N"}), dtype="str")
    return dm, allocation, extra if extra is not None and extra.num_columns > 1 else None
