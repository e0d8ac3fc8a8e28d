"""Split a validated export into its clinical part (no allocation, not even indirectly) and its sealed part.

The clinical part is a function of the export with every allocation value removed, so the same
clinical data under a different randomization gives byte-identical clinical files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.config import TrialConfig
from dashboard.ingest.convert import is_in
from dashboard.ingest.findings import ROW_FINDINGS_LIMIT, Findings, Severity
from dashboard.ingest.adam.detect import adam_stem
from dashboard.ingest.armscan import names_an_arm
from dashboard.ingest.readers import TEXT, SourceTable
from dashboard.ingest.schema import (
    ALLOCATION_COLUMNS, EX_SEALED_COLUMNS, RANDOMIZATION, SEALED_DOMAINS, TRIAL_DESIGN_DOMAINS, is_sealed_name,
    normalized, seq_column,
)
from dashboard.ingest.steps import step
from dashboard.ingest.validate import arm_values

ALLOCATION = "allocation"
DERIVED_DM_COLUMNS = ("RANDFL", "RANDDTC", "RANDDT", "SCRNFFL")
SCREEN_FAILURE_CODES = ("SCRNFAIL", "SCREEN FAILURE")     # DM ARMCD, compared normalized


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
    """Clinical table and sealed columns (or None) of a domain for which `splits_alone` holds.

    Trial design domains other than TA / TV (TS, TE, TI, TD, TM) describe the trial, not who got what: they stay
    whole in the clinical part, ETCD and ELEMENT of TE included.
    """
    if domain in TRIAL_DESIGN_DOMAINS:
        return table.combine_chunks(), None
    return _split_ex(table, config.blinded_treatment_label) if domain == "EX" else _split_columns(domain, table)


def seal(tables: dict[str, SourceTable], config: TrialConfig,
         split: Mapping[str, tuple[pa.Table, pa.Table | None]] | None = None,
         findings: Findings | None = None) -> SealedExport:
    """Clinical and sealed tables of a validated export (DM present, required columns present).

    `split` may give, per domain, the result of `split_domain` for that domain's table, computed earlier.
    Warnings (randomization dates taken from elsewhere) go to `findings` when given.
    """
    clinical: dict[str, pa.Table] = {}
    sealed: dict[str, pa.Table] = {}
    needles = pa.array(sorted(arm_values(tables, config)))
    with step("seal", tables["DM"].name):
        dm, allocation, dm_sealed = _split_dm(tables, config, findings)
    for domain, source in tables.items():
        if domain in (RANDOMIZATION, "DM"):
            continue
        if domain in SEALED_DOMAINS:
            sealed[domain] = source.table
            continue
        with step("seal", source.name):
            clinical[domain], rows, columns = _split_other(source, config, split, needles)
        if rows is not None:
            sealed[domain] = rows
        if columns is not None:
            sealed[f"{domain}_COLUMNS" if domain in sealed else domain] = columns
    # One chunk, as in _split_columns: the clinical part's bytes fingerprint the cut (identity.py).
    clinical["DM"] = pa.Table.from_pandas(dm, preserve_index=False).combine_chunks()
    sealed[ALLOCATION] = pa.Table.from_pandas(allocation, preserve_index=False)
    if dm_sealed is not None:
        sealed["DM"] = dm_sealed
    carrying = {d.split("_")[0] for d in sealed if d != ALLOCATION} | ({RANDOMIZATION} & tables.keys())
    # every ADaM dataset repeats ADSL's treatment variables: none shows its real checksum or size
    carrying |= {domain for domain, source in tables.items()
                 if adam_stem(source.name) or any(adam_stem(name) for name, _ in source.parts)}
    if any(is_sealed_name(c) for c in tables["DM"].table.column_names):
        carrying.add("DM")
    return SealedExport(clinical, sealed, int((dm["RANDFL"] == "Y").sum()), carrying)


def _split_other(source: SourceTable, config: TrialConfig, split: Mapping[str, tuple[pa.Table, pa.Table | None]] | None,
                 needles: pa.Array) -> tuple[pa.Table, pa.Table | None, pa.Table | None]:
    """A domain other than DM, the list and those sealed whole: clinical table, sealed SUPP rows, sealed columns."""
    domain = source.domain
    if split is not None and domain in split:
        table, columns = split[domain]
        return table, None, columns
    if splits_alone(domain):
        table, columns = split_domain(domain, source.table, config)
        return table, None, columns
    table, rows = _split_supp(source.table, needles)
    table, columns = _split_columns(domain, table)
    return table, rows if rows.num_rows else None, columns


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
    """Every row of a QNAM that names allocation, or of which any QVAL is an arm code or label (in any case) or
    names one as a word ("reaction to MenSC secretome"), is sealed.

    Sealing by QNAM, not row by row: the rows left behind for one arm would otherwise mark the other.
    """
    qval = names_an_arm(table["QVAL"], needles)
    revealing = set(pc.unique(table.filter(qval)["QNAM"]).to_pylist()) | _sealed_qnams(table)
    hide = pc.fill_null(pc.is_in(table["QNAM"], value_set=pa.array(sorted(q for q in revealing if q),
                                                                   type=table["QNAM"].type)), False)
    return table.filter(pc.invert(hide)).combine_chunks(), table.filter(hide)


def _sealed_qnams(table: pa.Table) -> set[str]:
    return {q for q in pc.unique(table["QNAM"]).to_pylist() if q and is_sealed_name(q)}


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series(pd.NA, index=frame.index, dtype="str")


def _dates(frame: pd.DataFrame, name: str) -> pd.Series:
    """A --DT column (datetime64[ns]); all missing when the frame has none."""
    return pd.to_datetime(frame[name]) if name in frame else pd.Series(pd.NaT, index=frame.index,
                                                                         dtype="datetime64[ns]")


def _lookup(subjects: pd.Series, values: pd.Series) -> pd.Series:
    """`values` (indexed by unique USUBJID) for each subject, keeping their dtype (missing where absent)."""
    return pd.Series(values.reindex(subjects.to_numpy()).to_numpy(), index=subjects.index, dtype=values.dtype)


def _normalized(values: pd.Series) -> pd.Series:
    """`schema.normalized` of every value (missing stays missing), vectorized."""
    return values.astype("str").str.split().str.join(" ").str.upper()


def _configured_codes(armcd: pd.Series, config: TrialConfig) -> pd.Series:
    """Each delivered code as the configured arm code it matches normalized (`pbo` -> `Pbo`); else missing."""
    codes = {normalized(code): code for code in config.arm_codes}
    return _normalized(armcd).map(codes).astype("str")


def allocation_source(dm: SourceTable) -> str:
    """Where the arms come from without a randomization list, by variable name only (never a value): ADSL's
    ARMCD / ACTARMCD on an ADaM cut (the loader fills them from TRT01P / TRT01A where ADSL lacks them), DM's on SDTM."""
    where = "ADSL" if adam_stem(dm.name) or any(adam_stem(name) for name, _ in dm.parts) else "DM"
    return f"{where} ARMCD (as randomized) and ACTARMCD (as treated)"


def _split_dm(tables: dict[str, SourceTable], config: TrialConfig,
              findings: Findings | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pa.Table | None]:
    """DM without arms plus RANDFL, RANDDTC, RANDDT, SCRNFFL; the allocation list; other sealed DM columns."""
    dm_table = tables["DM"].table
    raw = dm_table.to_pandas()
    open_table, extra = _split_columns("DM", dm_table)
    dm = open_table.drop_columns([c for c in DERIVED_DM_COLUMNS if c in open_table.column_names]).to_pandas()
    extra = extra.drop_columns([c for c in (*ALLOCATION_COLUMNS, "RANDNO") if c in extra.column_names]) \
        if extra is not None else None
    listed = (tables[RANDOMIZATION].table.to_pandas().drop_duplicates("USUBJID").set_index("USUBJID")
              if RANDOMIZATION in tables else pd.DataFrame(index=pd.Index([], dtype="str", name="USUBJID")))
    allocation = _allocation(raw, listed, config)
    if RANDOMIZATION not in tables and findings is not None:
        findings.warning(tables["DM"].name, "no randomization list (randomization.csv) in the export: each subject's "
                         f"arm is taken from {allocation_source(tables['DM'])}", column="ARMCD",
                         kind="allocation from DM")
    real_arm = _configured_codes(allocation["ARMCD"], config).notna()
    ds = tables["DS"].table.to_pandas() if "DS" in tables else pd.DataFrame(columns=["USUBJID", "DSDECOD"])
    decod = _normalized(_column(ds, "DSDECOD"))
    dm["RANDFL"] = pd.Series(real_arm.map({True: "Y", False: "N"}), dtype="str")
    randdtc, randdt = _randomization_dates(raw, listed, ds[decod == "RANDOMIZED"], tables, real_arm,
                                           tables["DM"].name, findings)
    dm["RANDDTC"] = randdtc.astype("str")
    dm["RANDDT"] = pd.to_datetime(randdt).astype("datetime64[ns]")
    screen_failed = set(ds.loc[decod == "SCREEN FAILURE", "USUBJID"])
    scrnfail = _normalized(_column(raw, "ARMCD")).isin(SCREEN_FAILURE_CODES).fillna(False)
    dm["SCRNFFL"] = pd.Series((scrnfail | is_in(raw["USUBJID"], screen_failed)).map({True: "Y", False: "N"}),
                              dtype="str")
    return dm, allocation, extra if extra is not None and extra.num_columns > 1 else None


def _allocation(raw: pd.DataFrame, listed: pd.DataFrame, config: TrialConfig) -> pd.DataFrame:
    """One row per DM subject: codes and labels as delivered (the list's, else DM's); ARM falls back to the
    configured label of the arm the code matches normalized."""
    subjects = raw["USUBJID"]
    from_list = {c: subjects.map(_column(listed, c)).astype("str") for c in ("ARMCD", "ARM", "RANDNO")}
    armcd = from_list["ARMCD"].fillna(_column(raw, "ARMCD")).astype("str")
    labels = _configured_codes(armcd, config).map({a.code: a.label for a in config.arms})
    arm = from_list["ARM"].where(is_in(subjects, listed.index), _column(raw, "ARM"))
    return pd.DataFrame({
        "USUBJID": subjects.astype("str"),
        "ARMCD": armcd,
        "ARM": arm.fillna(labels).astype("str"),
        "ACTARMCD": _column(raw, "ACTARMCD").astype("str"),
        "ACTARM": _column(raw, "ACTARM").astype("str"),
        "RANDNO": from_list["RANDNO"].fillna(_column(raw, "RANDNO")).astype("str"),
    })


def _fallback_dates(raw: pd.DataFrame, randomized_ds: pd.DataFrame,
                    tables: dict[str, SourceTable]) -> list[tuple[str, pd.Series, pd.Series]]:
    """Per DM subject, in order of preference: (source named for users, --DTC, --DT) of each date that may stand
    in for a randomization date none of the export gives."""
    subjects = raw["USUBJID"]
    first_ds = randomized_ds.sort_values("DSSTDT", kind="stable") if "DSSTDT" in randomized_ds else randomized_ds
    first_ds = first_ds.drop_duplicates("USUBJID").set_index("USUBJID")
    ex = tables["EX"].table.select(["USUBJID", "EXSTDTC", "EXSTDT"]).to_pandas() \
        if "EX" in tables and "EXSTDT" in tables["EX"].table.column_names else pd.DataFrame(
            {"USUBJID": pd.Series(dtype="str"), "EXSTDTC": pd.Series(dtype="str"),
             "EXSTDT": pd.Series(dtype="datetime64[ns]")})
    first_ex = ex.dropna(subset=["EXSTDT"]).sort_values("EXSTDT", kind="stable").drop_duplicates("USUBJID")
    first_ex = first_ex.set_index("USUBJID")
    return [
        ("DS RANDOMIZED DSSTDTC", _lookup(subjects, _column(first_ds, "DSSTDTC")),
         _lookup(subjects, _dates(first_ds, "DSSTDT"))),
        ("DM RFSTDTC", _column(raw, "RFSTDTC"), _dates(raw, "RFSTDT")),
        ("DM RFXSTDTC", _column(raw, "RFXSTDTC"), _dates(raw, "RFXSTDT")),
        ("the first EX EXSTDTC", _lookup(subjects, first_ex["EXSTDTC"]), _lookup(subjects, first_ex["EXSTDT"])),
    ]


def _randomization_dates(raw: pd.DataFrame, listed: pd.DataFrame, randomized_ds: pd.DataFrame,
                         tables: dict[str, SourceTable], randomized: pd.Series, dm_file: str,
                         findings: Findings | None) -> tuple[pd.Series, pd.Series]:
    """RANDDTC and RANDDT: the list's, else DM's own RANDDTC; for a subject with neither, the first complete
    date of `_fallback_dates` (DS RANDOMIZED for any subject, the others for randomized subjects only).

    Using a stand-in is a warning naming it; a randomized subject left with no date is named (never the arm).
    """
    subjects = raw["USUBJID"]
    randdtc = subjects.map(_column(listed, "RANDDTC")).astype("str").fillna(_column(raw, "RANDDTC"))
    randdt = pd.to_datetime(subjects.map(_column(listed, "RANDDT"))).fillna(_dates(raw, "RANDDT"))
    given = randdtc.notna()
    randdtc, randdt = randdtc.astype("str"), randdt.astype("datetime64[ns]")
    used: dict[str, int] = {}
    for position, (name, dtc, date) in enumerate(_fallback_dates(raw, randomized_ds, tables)):
        take = ~given & randdt.isna() & date.notna() & (randomized if position else True)
        if take.any():
            used[name] = int(take.sum())
            randdtc, randdt = randdtc.where(~take, dtc.astype("str")), randdt.where(~take, date)
    if findings is not None:
        _report_dates(findings, dm_file, used, subjects, randomized & randdt.isna())
    return randdtc, randdt


def _report_dates(findings: Findings, dm_file: str, used: dict[str, int], subjects: pd.Series,
                  undated: pd.Series) -> None:
    """One warning naming the stand-ins used, and one per randomized subject left without a date."""
    if used:
        counts = ", ".join(f"{name} for {n} subject(s)" for name, n in used.items())
        findings.warning(dm_file, "no randomization date in the export (no randomization list RANDDTC, no DM "
                         f"RANDDTC): used instead {counts}", column="RANDDTC", kind="randomization date stand-in")
    rows = np.flatnonzero(undated.to_numpy())
    if len(rows):
        findings.rows(Severity.WARNING, dm_file, rows, "randomized subject with no randomization date and no "
                      "stand-in (DS RANDOMIZED DSSTDTC, DM RFSTDTC, DM RFXSTDTC, first EX EXSTDTC)",
                      usubjid=subjects.iloc[rows[:ROW_FINDINGS_LIMIT]].tolist(), column="RANDDTC",
                      kind="no randomization date")
