"""Cross-file checks of an export: subjects, keys, study id, randomization and arm codes.

Every check adds findings and carries on, so one run reports every problem. No message quotes an
allocation value (arm code or label): those findings name the column only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard import cutoff
from dashboard.config import TrialConfig
from dashboard.ingest.armscan import check_arm_values_in_open_columns
from dashboard.ingest.convert import Locator, flagged_rows, is_in, normalized_series, normalized_text
from dashboard.ingest.findings import ROW_FINDINGS_LIMIT, Findings, Severity
from dashboard.ingest.readers import TEXT, SourceTable
from dashboard.ingest.schema import (
    NOT_RANDOMIZED_CODES, NOT_TREATED_CODES, RANDOMIZATION, SEALED_DOMAINS,
    TRIAL_DESIGN_DOMAINS, expected_columns, normalized, required_columns,
    seq_column,
)

WITHHELD = "(value withheld: allocation)"
SCREEN_FAILURE, RANDOMIZED = "SCREEN FAILURE", "RANDOMIZED"      # DS DSDECOD, DM ARM / ARMNRS, normalized


def has_required_columns(source: SourceTable, findings: Findings) -> bool:
    """Error for each required column the file lacks (only SDTMIG Req variables are ever required)."""
    missing = [c for c in required_columns(source.domain) if c not in source.table.column_names]
    for column in missing:
        findings.error(source.name, f"required column {column} is missing", column=column, kind="missing column")
    return not missing


def check_expected_columns(source: SourceTable, findings: Findings) -> None:
    """A warning for each SDTMIG Expected variable the app reads that the file lacks; what cannot be computed
    without it is said where it would be shown. (The absence of a column tells nothing about allocation.)"""
    for column in expected_columns(source.domain):
        if column not in source.table.column_names:
            findings.warning(source.name, f"Expected variable {column} is missing; what needs it cannot be shown",
                             column=column, kind="expected column missing")


@dataclass(frozen=True)
class ExportKeys:
    """What the checks of one file need from the others: DM's subjects, and every arm code and label."""

    dm_ids: pa.Array | None
    arm_values: pa.Array


def export_keys(tables: Mapping[str, SourceTable], config: TrialConfig) -> ExportKeys:
    """From DM and the randomization list, the only files the checks of any other file depend on."""
    dm = tables.get("DM")
    return ExportKeys(dm.table["USUBJID"].combine_chunks() if dm is not None else None,
                      pa.array(sorted(arm_values(tables, config)), type=TEXT))


def validate(tables: dict[str, SourceTable], config: TrialConfig, findings: Findings) -> None:
    """Run every check on typed tables (each already has its required columns)."""
    keys = export_keys(tables, config)
    for source in tables.values():
        check_table(source, keys, config, findings)
    check_across_files(tables, config, findings)
    check_screen_failures(tables, config, findings)


def check_table(source: SourceTable, keys: ExportKeys, config: TrialConfig, findings: Findings) -> None:
    """The checks of one file: study id, subjects known to DM, unique keys, no arm values in open columns."""
    _check_study_id(source, config.study_id, findings)
    _check_domain_column(source, findings)
    if source.domain not in TRIAL_DESIGN_DOMAINS and "USUBJID" in source.table.column_names:
        subject = _check_subjects(source, keys.dm_ids, findings)
        _check_keys(source, findings, subject)
    check_arm_values_in_open_columns(source, keys.arm_values, findings)


def check_across_files(tables: Mapping[str, SourceTable], config: TrialConfig, findings: Findings) -> None:
    """DM's subjects and arm codes, and the randomization list against itself and against DM."""
    dm = tables.get("DM")
    if dm is not None:
        _check_dm(dm, config, findings)
    if RANDOMIZATION in tables:
        _check_randomization(tables[RANDOMIZATION], config, findings)
        if dm is not None:
            _check_dm_against_list(dm, tables[RANDOMIZATION], config, findings)


def _check_study_id(source: SourceTable, study_id: str, findings: Findings) -> None:
    if "STUDYID" not in source.table.column_names:
        return
    values = source.table["STUDYID"]
    wrong = flagged_rows(pc.or_kleene(pc.not_equal(values, study_id), pc.is_null(values)))
    if len(wrong):
        shown = values.take(wrong[:ROW_FINDINGS_LIMIT]).to_pylist()
        Locator(source).report(findings, Severity.ERROR, wrong,
                               [f"STUDYID {v!r} is not the configured study {study_id!r}" for v in shown],
                               column="STUDYID", kind="wrong STUDYID")


def _check_domain_column(source: SourceTable, findings: Findings) -> None:
    """DOMAIN (RDOMAIN of a SUPPxx) must name the file's domain on every row: a contradiction is an error."""
    column, domain = ("RDOMAIN", source.domain[4:]) if source.domain.startswith("SUPP") else ("DOMAIN", source.domain)
    if column not in source.table.column_names or source.domain == RANDOMIZATION:
        return
    values = normalized_text(source.table[column])
    wrong = flagged_rows(pc.and_(pc.is_valid(values), pc.not_equal(values, domain)))
    if len(wrong):
        Locator(source).report(findings, Severity.ERROR, wrong,
                               lambda rows: [f"{column} {v!r} contradicts the file, which holds domain {domain}"
                                             for v in source.table[column].take(rows).to_pylist()],
                               column=column, kind="DOMAIN contradicts file name")


def _check_subjects(source: SourceTable, dm_ids: pa.Array | None, findings: Findings) -> np.ndarray | None:
    """USUBJID present and known to DM; returns each row's subject as its position in DM when all are known."""
    where, ids = Locator(source), source.table["USUBJID"]
    missing = flagged_rows(pc.is_null(ids))
    if len(missing):
        where.report(findings, Severity.ERROR, missing, "USUBJID is missing", column="USUBJID", kind="missing USUBJID")
    if dm_ids is None or source.domain == "DM":
        return None
    position = pc.index_in(ids, value_set=dm_ids)
    unknown = flagged_rows(pc.and_(pc.is_valid(ids), pc.is_null(position)))
    if len(unknown):
        message = ("randomization row for a subject not in DM" if source.domain == RANDOMIZATION
                   else "record for a subject not in DM")
        where.report(findings, Severity.ERROR, unknown, message, column="USUBJID", kind="subject not in DM")
        return None
    return pc.fill_null(position, -1).to_numpy()


def _check_keys(source: SourceTable, findings: Findings, subject: np.ndarray | None = None) -> None:
    """--SEQ present and (USUBJID, --SEQ) unique; `subject` numbers each row's USUBJID, if known already."""
    seq = seq_column(source.domain)
    if seq is None or seq not in source.table.column_names:
        return
    where, values = Locator(source), source.table[seq]
    missing = flagged_rows(pc.is_null(values))
    if len(missing):
        where.report(findings, Severity.ERROR, missing, "key value is missing", column=seq, kind="missing key")
    if subject is None:
        ids = source.table["USUBJID"]
        subject = pc.fill_null(pc.index_in(ids, value_set=pc.unique(ids)), -1).to_numpy()
    numbers = values.to_numpy()
    if _all_distinct(subject, numbers):
        return
    keys = pd.DataFrame({"USUBJID": subject, seq: numbers})
    repeated = np.flatnonzero(keys.duplicated(keep="first").to_numpy() & keys[seq].notna().to_numpy())
    if len(repeated):
        where.report(findings, Severity.ERROR, repeated, f"(USUBJID, {seq}) repeats an earlier row", column=seq,
                     kind="duplicate key")


def _all_distinct(subject: np.ndarray, seq: np.ndarray) -> bool:
    """Fast path: (subject index, whole --SEQ below 2**31) pairs packed in one int64 are all different."""
    if len(seq) == 0:
        return True
    whole = np.isfinite(seq) & (seq == np.floor(seq)) & (seq >= 0) & (seq < 2 ** 31)
    if not whole.all():
        return False
    packed = (subject.astype(np.int64) << 32) | seq.astype(np.int64)
    if (np.diff(packed) > 0).all():         # rows in key order, as SDTM files usually are
        return True
    return not pd.Series(packed).duplicated().any()


def _codes_outside(values: pd.Series, allowed: set[str]) -> np.ndarray:
    """Rows whose code, compared normalized (`Scrnfail`, ` NOTASSGN`), is not in `allowed` (normalized codes)."""
    return np.flatnonzero((values.notna() & ~normalized_series(values).isin(allowed)).to_numpy())


def _arm_codes(config: TrialConfig) -> set[str]:
    """The configured arm codes, normalized."""
    return {normalized(code) for code in config.arm_codes}


def _check_dm(dm: SourceTable, config: TrialConfig, findings: Findings) -> None:
    frame = dm.table.select([c for c in ("USUBJID", "ARMCD", "ACTARMCD") if c in dm.table.column_names]).to_pandas()
    where = Locator(dm)
    ids = frame["USUBJID"]
    duplicated = ids.notna() & ids.duplicated(keep=False)
    for subject, group in frame[duplicated].groupby("USUBJID", sort=False):
        rows = " and ".join(str(r + 1) for r in group.index)
        findings.error(dm.name, f"duplicate USUBJID: rows {rows}", row=int(group.index[0]) + 1,
                       usubjid=str(subject), column="USUBJID", kind="duplicate USUBJID")
    arms = _arm_codes(config)
    for column, allowed in (("ARMCD", arms | NOT_RANDOMIZED_CODES),
                            ("ACTARMCD", arms | NOT_RANDOMIZED_CODES | NOT_TREATED_CODES)):
        if column in frame:
            bad = _codes_outside(frame[column], allowed)
            if len(bad):
                where.report(findings, Severity.ERROR, bad, f"arm code not in the trial configuration {WITHHELD}",
                             column=column, kind="unknown arm code")
    if dm.table.num_rows == 0:
        findings.warning(dm.name, "DM has no subjects", kind="empty DM")


def _check_randomization(rand: SourceTable, config: TrialConfig, findings: Findings) -> None:
    frame = rand.table.select(["USUBJID", "ARMCD"]).to_pandas()
    where = Locator(rand)
    missing = np.flatnonzero(frame["ARMCD"].isna().to_numpy())
    if len(missing):
        where.report(findings, Severity.ERROR, missing, "arm code is missing", column="ARMCD", kind="missing arm code")
    bad = _codes_outside(frame["ARMCD"], _arm_codes(config) | NOT_RANDOMIZED_CODES)
    if len(bad):
        where.report(findings, Severity.ERROR, bad, f"arm code not in the trial configuration {WITHHELD}",
                     column="ARMCD", kind="unknown arm code")
    listed = frame[frame["USUBJID"].notna() & frame["USUBJID"].duplicated(keep=False)]
    for subject, group in listed.groupby("USUBJID", sort=False):
        rows = " and ".join(str(r + 1) for r in group.index)
        if normalized_series(group["ARMCD"]).nunique(dropna=False) > 1:
            findings.error(rand.name, f"subject randomized twice to different arms: rows {rows}",
                           row=int(group.index[0]) + 1, usubjid=str(subject), column="ARMCD",
                           kind="randomized twice")
        else:
            findings.warning(rand.name, f"subject listed twice with the same arm: rows {rows}; the first row is used",
                             row=int(group.index[0]) + 1, usubjid=str(subject), column="USUBJID",
                             kind="listed twice")


def _check_dm_against_list(dm: SourceTable, rand: SourceTable, config: TrialConfig, findings: Findings) -> None:
    """DM.ARMCD, where given, must agree with the randomization list."""
    if "ARMCD" not in dm.table.column_names:
        return
    frame = dm.table.select(["USUBJID", "ARMCD"]).to_pandas()
    listed = rand.table.select(["USUBJID", "ARMCD"]).to_pandas().drop_duplicates("USUBJID")
    listed_arm = normalized_series(frame["USUBJID"].map(listed.set_index("USUBJID")["ARMCD"]))
    on_list = is_in(frame["USUBJID"], listed["USUBJID"])
    armcd = normalized_series(frame["ARMCD"])
    contradicts = on_list & armcd.notna() & listed_arm.notna() & (armcd != listed_arm)
    unlisted = ~on_list & armcd.isin(_arm_codes(config))
    where = Locator(dm)
    for mask, message in ((contradicts, f"DM.ARMCD contradicts the randomization list {WITHHELD}"),
                          (unlisted, f"DM.ARMCD names an arm but the subject is not on the randomization list "
                                     f"{WITHHELD}")):
        rows = np.flatnonzero(mask.to_numpy())
        if len(rows):
            where.report(findings, Severity.ERROR, rows, message, column="ARMCD", kind="arm contradicts list")


def arm_values(tables: Mapping[str, SourceTable], config: TrialConfig) -> set[str]:
    """Arm codes and labels of the configuration, and the export's labels of real arms (DM, randomization list)."""
    values = {v for arm in config.arms for v in (arm.code, arm.label)}
    codes = pa.array(sorted(_arm_codes(config)), type=TEXT)
    for domain in ("DM", RANDOMIZATION):
        table = tables[domain].table if domain in tables else pa.table({})
        for code_column, label_column in (("ARMCD", "ARM"), ("ACTARMCD", "ACTARM")):
            if code_column in table.column_names and label_column in table.column_names:
                real = pc.fill_null(pc.is_in(normalized_text(table[code_column]), value_set=codes), False)
                values.update(v for v in pc.unique(table[label_column].filter(real)).to_pylist() if v)
    return values


def flag_dates_after_cut(tables: dict[str, SourceTable], cut_date: str, findings: Findings) -> None:
    """A warning for every record dated after the cut date (a data-entry error or a mislabelled cut), and one per
    domain counting the records the pages leave out by the rule of `dashboard.cutoff`."""
    limit = pa.scalar(pd.Timestamp(cut_date) + pd.Timedelta(days=1), type=pa.timestamp("ns"))
    for source in tables.values():
        locator = None
        for name in source.table.column_names:
            column = source.table[name]
            if not (name.endswith("DT") and pa.types.is_timestamp(column.type)):
                continue
            late = pc.fill_null(pc.greater_equal(pc.cast(column, pa.timestamp("ns")), limit), False)
            rows = np.flatnonzero(late.to_numpy(zero_copy_only=False))
            if rows.size:
                locator = locator or Locator(source)
                value = source.table[f"{name}C"] if f"{name}C" in source.table.column_names else column
                locator.report(findings, Severity.WARNING, rows,
                               lambda taken, value=value: [f"dated {d} after the cut date {cut_date}"
                                                           for d in value.take(pa.array(taken)).to_pylist()],
                               column=f"{name}C", kind="date after cut", sealed=source.domain in SEALED_DOMAINS)
        _summarize_after_cut(source, cut_date, findings)


def _summarize_after_cut(source: SourceTable, cut_date: str, findings: Findings) -> None:
    """'N records in AE dated after the cut date; ...': the records `cutoff.within_cut` removes from every page
    (for DM, which is never filtered, the deaths it treats as not yet known)."""
    names = source.table.column_names
    if source.domain in cutoff.NEVER_FILTERED:
        if "DTHDTC" not in names:
            return
        late = cutoff.earliest_day(source.table["DTHDTC"].to_pandas()) > pd.Timestamp(cut_date).normalize()
        what = "death{s} in DM dated after the cut date; not counted (not yet known at the cut)"
    else:
        column = cutoff.record_date_column(pd.DataFrame(columns=names), source.domain)
        if column is None:
            return
        late = cutoff.after_cut(source.table.select([column]).to_pandas(), source.domain, cut_date)
        what = f"record{{s}} in {source.domain} dated after the cut date; they are excluded from every count"
    count = int(late.fillna(False).sum())
    if count:
        findings.warning(source.name, f"{count} {what.format(s='' if count == 1 else 's')}",
                         kind="records after cut (summary)",
                         sealed=source.domain in SEALED_DOMAINS)


def check_reference_start(tables: Mapping[str, SourceTable], findings: Findings) -> None:
    """A warning for every dosed subject whose DM.RFSTDTC is not the day of their first EX record.

    Study days count from RFSTDTC (the randomization date when it is empty) and treatment-emergence from the
    first EX record: where the two differ, a day number and the treatment-emergent flag can disagree.
    """
    dm, ex = tables.get("DM"), tables.get("EX")
    if dm is None or ex is None or "EXSTDT" not in ex.table.column_names or "RFSTDTC" not in dm.table.column_names:
        return
    doses = ex.table.select(["USUBJID", "EXSTDT"]).to_pandas()
    first = doses.dropna().groupby("USUBJID")["EXSTDT"].min().dt.normalize()
    frame = dm.table.select([c for c in ("USUBJID", "RFSTDTC", "RFSTDT") if c in dm.table.column_names]).to_pandas()
    reference = pd.to_datetime(frame["RFSTDT"]) if "RFSTDT" in frame else pd.Series(pd.NaT, index=frame.index)
    first_dose = frame["USUBJID"].map(first)
    off = first_dose.notna() & (reference.isna() | (reference.dt.normalize() != first_dose))
    rows = np.flatnonzero(off.to_numpy())
    if not len(rows):
        return
    messages = []
    for i in rows[:ROW_FINDINGS_LIMIT]:
        given, dosed = frame["RFSTDTC"].iloc[i], f"{first_dose.iloc[i]:%Y-%m-%d}"
        messages.append(f"RFSTDTC {given!r} is not the first EX date {dosed}; study days count from RFSTDTC (the "
                        "randomization date when it is not a full date), treatment-emergence from the first EX date"
                        if isinstance(given, str) else
                        f"RFSTDTC is empty although EX starts on {dosed}; study days count from the randomization date")
    Locator(dm).report(findings, Severity.WARNING, rows, messages,
                       column="RFSTDTC", kind="reference start is not the first dose")


def check_screen_failures(tables: Mapping[str, SourceTable], config: TrialConfig, findings: Findings) -> None:
    """An error for every subject recorded as a screen failure (DS DSDECOD, DM ARMCD / ARM / ARMNRS) who also
    appears as randomized (a configured arm in DM or on the randomization list, a DS RANDOMIZED record).

    Terms are compared normalized; the message names where each record is, never the arm.
    """
    dm = tables.get("DM")
    if dm is None:
        return
    failed: dict[str, list[str]] = {}
    randomized: dict[str, list[str]] = {}
    frame = dm.table.select([c for c in ("USUBJID", "ARMCD", "ARM", "ARMNRS") if c in dm.table.column_names])
    frame, arms = frame.to_pandas(), _arm_codes(config)
    for column, term in (("ARMCD", "SCRNFAIL"), ("ARM", SCREEN_FAILURE), ("ARMNRS", SCREEN_FAILURE)):
        if column in frame:
            _note(failed, frame, normalized_series(frame[column]) == term, Locator(dm), f"DM {column}")
    if "ARMCD" in frame:
        _note(randomized, frame, normalized_series(frame["ARMCD"]).isin(arms), Locator(dm), "DM ARMCD (an arm)")
    if RANDOMIZATION in tables:
        listed = tables[RANDOMIZATION]
        rows = listed.table.select(["USUBJID", "ARMCD"]).to_pandas()
        _note(randomized, rows, normalized_series(rows["ARMCD"]).isin(arms), Locator(listed), "an arm")
    if "DS" in tables and "DSDECOD" in tables["DS"].table.column_names:
        ds = tables["DS"]
        rows = ds.table.select(["USUBJID", "DSDECOD"]).to_pandas()
        decod = normalized_series(rows["DSDECOD"])
        _note(failed, rows, decod == SCREEN_FAILURE, Locator(ds), "DSDECOD")
        _note(randomized, rows, decod == RANDOMIZED, Locator(ds), "DSDECOD")
    both = frame.index[frame["USUBJID"].isin([s for s in failed if s in randomized])].to_numpy()
    Locator(dm).report(findings, Severity.ERROR, both, lambda rows: [
        f"recorded as a screen failure ({'; '.join(failed[s])}) and as randomized ({'; '.join(randomized[s])})"
        for s in frame["USUBJID"].take(rows)], column="USUBJID", kind="screen failure randomized")


def _note(notes: dict[str, list[str]], rows: pd.DataFrame, mask: pd.Series, where: Locator, what: str) -> None:
    """Record, per subject, where a flagged row is ('ds.xpt row 12 DSDECOD')."""
    for i in np.flatnonzero(mask.fillna(False).to_numpy()):
        subject = rows["USUBJID"].iloc[i]
        if isinstance(subject, str):
            notes.setdefault(subject, []).append(f"{where.place(int(i))} {what}")
