"""Load an export folder as a new immutable data cut: read, validate, seal, write atomically, activate, audit."""

from __future__ import annotations

import datetime as dt
import importlib
import re
import shutil
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from dashboard import blinding, cuts
from dashboard.config import TrialConfig
from dashboard.ingest import identity
from dashboard.ingest.adam.sources import domain_sources
from dashboard.ingest.coding import CODING_TABLE, CodingKey, keyed_digest, read_key
from dashboard.ingest.convert import derive_permissible, type_table
from dashboard.ingest.findings import AlreadyLoaded, Finding, Findings, IngestError, findings_frame
from dashboard.ingest.parts import check_keys_across_parts, merge_parts
from dashboard.ingest.readers import RawFile, SourceTable, discover, read_raw, read_table
from dashboard.ingest.schema import RANDOMIZATION
from dashboard.ingest.seal import SealedExport, seal, split_domain, splits_alone
from dashboard.ingest.steps import LOG, LoaderStepError, LoadState, step
from dashboard.ingest.validate import (
    ExportKeys, check_across_files, check_expected_columns, check_reference_start, check_screen_failures,
    check_table, export_keys, flag_dates_after_cut, has_required_columns,
)
from dashboard.trials.check import check_against_export, reconcile_visits

SEALED_WARNINGS = "_warnings"       # findings about sealed columns
SEALED_INPUTS = "_inputs"           # real checksums of every input file
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_cut_date(value: str | dt.date) -> str:
    """The cut date as YYYY-MM-DD; ValueError when it is not a real date in that form."""
    text = value.isoformat() if isinstance(value, dt.date) else str(value).strip()
    if not _DATE.match(text):
        raise ValueError(f"cut date must be YYYY-MM-DD, got {value!r}")
    dt.date.fromisoformat(text)
    return text


@dataclass
class ReadFile:
    """One domain of an export after reading: its data rows, its typed table (None if unusable), its findings."""

    rows: int
    source: SourceTable | None
    findings: Findings
    extra: object = None                   # what the `each` hook of `read_export` returned for it
    inputs: dict[str, int] = field(default_factory=dict)   # data rows of each of its files, by key of `raws`


Hook = Callable[[SourceTable], object]

# Files are read, typed, checked and (by the hook) split and encoded two at a time; pyarrow, hashlib
# and the Arrow compute kernels release the GIL, so the two cores stay busy.
_FILES = ThreadPoolExecutor(max_workers=2, thread_name_prefix="read-file")
# Encodes the clinical part of a domain while the rest of the export is read, checked and sealed.
_ENCODING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="encode-domain")


def _read_file(raw: RawFile, keys: ExportKeys | None, config: TrialConfig, each: Hook | None) -> ReadFile:
    """Parse and type one file; with `keys`, also run its own checks and the `each` hook."""
    findings = Findings()
    with step("read", raw.name):
        source = read_table(raw, findings)
    raw.data = b""                         # the hashing thread holds its own reference until done
    rows = source.table.num_rows if source else 0
    if source is None or not has_required_columns(source, findings):
        return ReadFile(rows, None, findings)
    check_expected_columns(source, findings)
    with step("type", raw.name):
        typed = derive_permissible(SourceTable(source.domain, source.name, type_table(source, findings)), findings)
    del source
    if keys is None:
        return ReadFile(rows, typed, findings)
    extra = each(typed) if each is not None else None      # first, so encoding overlaps the checks
    with step("check", raw.name):
        check_table(typed, keys, config, findings)
    return ReadFile(rows, typed, findings, extra)


def read_export(raws: dict[str, RawFile], config: TrialConfig, findings: Findings,
                each: Hook | None = None) -> dict[str, ReadFile]:
    """Parse, type and check every file of an export; one ReadFile per domain, in the order of `raws`.

    DM and the randomization list come first: every other file's checks need their subjects and arm
    values. The others are then read two at a time, largest first, while DM and the list are checked
    against each other; `each` (if given) is called with each domain's typed table, in the worker that read
    it, so its work overlaps the reading of the rest. The files of a split domain (`RawFile.domain` shared by
    several keys) are read and checked one by one and then merged (`parts.merge_parts`); `each` gets the merge.
    """
    first = [key for key in raws if raws[key].domain in ("DM", RANDOMIZATION)]
    done = {key: _read_file(raws[key], None, config, None) for key in first}
    keys = export_keys({raws[key].domain: r.source for key, r in done.items() if r.source is not None}, config)
    for key in first:
        if done[key].source is not None:
            check_table(done[key].source, keys, config, done[key].findings)
            done[key].extra = each(done[key].source) if each is not None else None
    split = {domain for domain, n in Counter(raw.domain for raw in raws.values()).items() if n > 1}
    rest = sorted((key for key in raws if key not in done), key=lambda key: -raws[key].size)
    running = {key: _FILES.submit(_read_file, raws[key], keys, config, None if raws[key].domain in split else each)
               for key in rest}
    across = Findings()                    # DM against the randomization list, while the other files are read
    check_across_files({raws[key].domain: r.source for key, r in done.items() if r.source is not None}, config,
                       across)
    done.update({key: future.result() for key, future in running.items()})
    ordered = _by_domain(raws, done, each)
    for result in ordered.values():
        findings.extend(result.findings.items)
    findings.extend(across.items)
    check_reference_start(typed_tables(ordered), findings)
    check_screen_failures(typed_tables(ordered), config, findings)
    return ordered


def _by_domain(raws: dict[str, RawFile], done: dict[str, ReadFile], each: Hook | None) -> dict[str, ReadFile]:
    """One ReadFile per domain, in the order of `raws`: the files of a split domain merged into one."""
    groups: dict[str, list[str]] = {}
    for key, raw in raws.items():
        groups.setdefault(raw.domain, []).append(key)
    merged = {}
    for domain, group in groups.items():
        results = [done[key] for key in group]
        if len(group) == 1:
            merged[domain] = results[0]
            merged[domain].inputs = {group[0]: results[0].rows}
            continue
        findings = Findings()
        for result in results:
            findings.extend(result.findings.items)
        usable = [result.source for result in results if result.source is not None]
        source = merge_parts(domain, usable) if usable else None
        if source is not None:
            check_keys_across_parts(source, findings)
        merged[domain] = ReadFile(sum(r.rows for r in results), source, findings,
                                  each(source) if each is not None and source is not None else None,
                                  {key: result.rows for key, result in zip(group, results)})
    return merged


def input_rows(files: dict[str, ReadFile]) -> dict[str, int]:
    """Data rows of every input file, by the key of `raws` (a split domain has several)."""
    return {key: rows for result in files.values() for key, rows in result.inputs.items()}


def typed_tables(files: dict[str, ReadFile]) -> dict[str, SourceTable]:
    """The usable tables of an export's files."""
    return {domain: result.source for domain, result in files.items() if result.source is not None}


def check_export(path: Path | str, config: TrialConfig, coding: Path | str | None = None) -> Findings:
    """Every finding about an export folder (and its coding key, if any), without writing anything."""
    findings = Findings()
    raws = read_raw(discover(Path(path), frozenset(config.custom_domains), findings))
    read_export(raws, config, findings)
    read_key(Path(path), coding, config, findings)
    return findings


def _audit_recorder() -> Callable[..., None]:
    """`dashboard.audit.record`; a cut is never loaded without an audit trail to record it in."""
    try:
        module = importlib.import_module("dashboard.audit")
    except ModuleNotFoundError as exc:
        if exc.name != "dashboard.audit":
            raise
        raise cuts.CutError("the audit trail (dashboard.audit) is not available; cannot load a cut") from None
    return module.record


def _remove_leftovers(root: Path | None) -> None:
    """Staging folders and pointer files left by a loader that was killed (only called under the load lock)."""
    base = root or cuts.data_root()
    leftovers = [*cuts.cuts_dir(root).glob(".staging-*"), *base.glob(".active-*"), *base.glob(".ingest-digests-*")]
    for leftover in leftovers:
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def _count(findings: list[Finding]) -> int:
    return sum(f.count for f in findings)


def _encode(name: str, table: pa.Table) -> cuts.EncodedTable:
    """`cuts.encode_table` as the encode step of the file(s) `name` the table comes from."""
    with step("encode", name):
        return cuts.encode_table(table)


class _Load(LoadState):
    """One load under the lock: its steps in order (what to undo when it stops: `LoadState`)."""

    def __init__(self, folder: Path, cut_date: str, label: str, loaded_by: str, config: TrialConfig,
                 root: Path | None, record: Callable[..., None], coding: Path | str | None = None):
        super().__init__(folder, cut_date, loaded_by, root, record)
        self.label, self.config, self.coding = label, config, coding
        self.key: CodingKey | None = None

    def encode(self, name: str, table: pa.Table) -> Future:
        future = _ENCODING.submit(_encode, name, table)
        self.pending.append(future)
        return future

    def run(self) -> cuts.CutManifest:
        """Every step of the load; returns the manifest of the new active cut."""
        findings = Findings()
        with self.at("discover"):
            self.previous = cuts.active_cut_id(self.root)
            found = discover(self.folder, frozenset(self.config.custom_domains), findings)
        with self.at("check"):             # the coding key: its errors refuse the load with the export's
            self.key = read_key(self.folder, self.coding, self.config, findings)
        with self.at("read"):
            raws = read_raw(found)
        tables, rows, split, encoded = self.read_and_check(raws, findings)
        with self.at("seal"):
            export = seal(tables, self.config, split, findings)
        del tables
        names = identity.file_names(raws)
        clinical = {domain: encoded[domain] if domain in encoded else self.encode(names.get(domain, domain), frame)
                    for domain, frame in export.clinical.items()}
        with self.at("identify"):
            digest = keyed_digest(identity.input_digest(raws), self.key)
            fingerprints = identity.open_fingerprints(raws, export.carries_allocation, clinical)
            self.cut_id = identity.new_cut_id(self.cut_date, fingerprints, digest, self.root)
            manifest, sealed, warnings = self.snapshot(raws, rows, export, findings)
        self.write_audited(manifest, clinical, sealed, warnings,   # pending row, write, completed row
                           {"cut_date": self.cut_date, "label": self.label, "source": manifest.source,
                            "files": len(manifest.inputs), "warnings": manifest.warning_count,
                            "randomized": manifest.randomized})
        with self.at("activate"):
            cuts.activate(self.cut_id, self.root)
        with self.at("write"):             # last: a stopped load leaves no entry for a cut it removed
            identity.register(self.cut_id, digest, self.root)
        return manifest

    def read_and_check(self, raws: dict[str, RawFile], findings: Findings) -> tuple[
            dict[str, SourceTable], dict[str, int], dict[str, tuple[pa.Table, pa.Table | None]], dict[str, Future]]:
        """Typed tables, data rows per file, and the parts (and encodings) of the domains that split alone.

        Visits are reconciled with the configured schedule: a domain whose VISITNUM was remapped is split and
        encoded again later from the remapped table. Any error refuses the export (IngestError).
        """
        def split_and_encode(source: SourceTable) -> tuple[tuple[pa.Table, pa.Table | None], Future] | None:
            """A domain that splits alone: its clinical and sealed parts, and the clinical part being encoded."""
            if not splits_alone(source.domain):
                return None
            with step("seal", source.name):
                parts = split_domain(source.domain, source.table, self.config)
            return parts, self.encode(source.name, parts[0])

        with self.at("check"):
            files = read_export(raws, self.config, findings, split_and_encode)
        tables = typed_tables(files)
        rows = input_rows(files)
        split = {key: result.extra[0] for key, result in files.items() if result.extra is not None}
        encoded = {key: result.extra[1] for key, result in files.items() if result.extra is not None}
        del files
        with self.at("check"):
            for domain, table in reconcile_visits(tables, self.config, findings).items():
                if table is not tables.get(domain):        # VISITNUM remapped: split and encode it again
                    tables[domain] = table
                    split.pop(domain, None)
                    if domain in encoded:
                        encoded.pop(domain).cancel()
            _check_against_config(tables, {raw.domain for raw in raws.values()}, self.config, findings)
            flag_dates_after_cut(tables, self.cut_date, findings)
        if findings.errors:
            self.refused(None, errors=_count(findings.errors), warnings=_count(findings.open_warnings()))
            raise IngestError(findings.items)
        return tables, rows, split, encoded

    def snapshot(self, raws: dict[str, RawFile], rows: dict[str, int], export: SealedExport,
                 findings: Findings) -> tuple[cuts.CutManifest, dict[str, object], pd.DataFrame]:
        """The manifest, the sealed tables and the open warnings of the new cut."""
        open_warnings = findings.open_warnings()
        manifest = cuts.CutManifest(
            cut_id=self.cut_id, study_id=self.config.study_id, cut_date=self.cut_date, label=self.label,
            loaded_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), loaded_by=self.loaded_by,
            source=str(self.folder.resolve()), inputs=identity.public_inputs(raws, rows, export),
            domain_rows={name: len(frame) for name, frame in sorted(export.clinical.items())},
            warning_count=_count(open_warnings), randomized=export.randomized,
            sources=domain_sources(raws, export.clinical["DM"].column_names if "DM" in export.clinical else ()))
        sealed = {**export.sealed, SEALED_INPUTS: identity.sealed_inputs(raws, rows)}
        if self.key is not None:
            sealed[CODING_TABLE] = self.key.table
        if findings.sealed_warnings():
            sealed[SEALED_WARNINGS] = findings_frame(findings.sealed_warnings())
        return manifest, sealed, findings_frame(open_warnings)


def _check_against_config(tables: dict[str, SourceTable], delivered: set[str], config: TrialConfig,
                          findings: Findings) -> None:
    """`trials check`'s contradictions between the configuration and the export. A domain whose file was
    delivered but is unusable has its own error already: it is not also reported absent."""
    checked = Findings()
    check_against_export(tables, config, checked)
    findings.extend(f for f in checked.items if not (f.kind == "configured domain absent"
                                                      and f.file.upper() in delivered - tables.keys()))


def load_cut(path: Path | str, cut_date: str | dt.date, label: str, loaded_by: str, config: TrialConfig,
             root: Path | None = None, coding: Path | str | None = None) -> cuts.CutManifest:
    """Validate the export at `path` (and its coding key: `coding`, else `coding.csv` in the folder, if any), write
    it as a new cut and make it active.

    Raises IngestError (nothing written) on any error, AlreadyLoaded for input loaded before for the same
    cut date, and cuts.CutError when another load is running. An unexpected exception in any step becomes
    one LoaderStepError (an IngestError naming the step and the file, never the exception's text; the
    traceback goes to the log): nothing is written, the active cut stays, and the refusal is recorded.
    """
    record = _audit_recorder()
    cut_date = parse_cut_date(cut_date)
    with cuts.load_lock(root):
        _remove_leftovers(root)
        load = _Load(Path(path), cut_date, label, loaded_by, config, root, record, coding)
        try:
            return load.run()
        except AlreadyLoaded as exc:
            load.undo(_remove_leftovers)
            load.refused(exc.cut_id, reason="already loaded")
            raise
        except LoaderStepError as exc:
            load.undo(_remove_leftovers)
            load.refused(load.cut_id, step=exc.step, **({"file": exc.file} if exc.file else {}),
                         error=exc.error_class)
            raise
        except IngestError:
            load.undo(_remove_leftovers)    # the export's errors, recorded with their count
            raise
        except Exception as exc:            # a CutError, or a fault between steps
            load.undo(_remove_leftovers)
            load.refused(load.cut_id, step=load.step, error=type(exc).__name__)
            if isinstance(exc, cuts.CutError):
                raise
            LOG.error("loader step %r failed", load.step, exc_info=exc)
            raise LoaderStepError(load.step, None, exc) from exc
        except BaseException:
            load.undo(_remove_leftovers)
            raise


def activate_cut(cut_id: str, reason: str, activated_by: str, config: TrialConfig,
                 root: Path | None = None) -> str | None:
    """Make an already loaded cut the active one again (after a damaged or mistaken load); returns the cut it
    replaces. Every file of both parts is read back against its checksum first. The switch and a refusal are
    both in the audit trail; a switch that cannot be recorded is undone."""
    record = _audit_recorder()
    with cuts.load_lock(root):
        previous = cuts.active_cut_id(root)
        try:
            if len(reason.strip()) < 10:
                raise ValueError("give a reason of at least 10 characters")
            blinding.verify_cut(cut_id, root)
        except (cuts.CutError, OSError, ValueError) as exc:
            record("cut_activation_refused", username=activated_by, cut_id=cut_id,
                   detail={"reason": reason.strip(), "refused_because": str(exc), "active": previous})
            raise
        cuts.activate(cut_id, root)
        try:
            record("cut_activated", username=activated_by, cut_id=cut_id,
                   detail={"reason": reason.strip(), "previous": previous})
        except BaseException:
            if previous is None:
                cuts.deactivate(root)
            else:
                cuts.activate(previous, root)
            raise
    return previous
