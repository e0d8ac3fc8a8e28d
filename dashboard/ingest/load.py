"""Load an export folder as a new immutable data cut: read, validate, seal, write atomically, activate, audit."""

from __future__ import annotations

import datetime as dt
import importlib
import re
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from dashboard import cuts
from dashboard.config import TrialConfig
from dashboard.ingest import identity
from dashboard.ingest.convert import type_table
from dashboard.ingest.findings import AlreadyLoaded, Finding, Findings, IngestError, findings_frame
from dashboard.ingest.readers import RawFile, SourceTable, discover, read_raw, read_table
from dashboard.ingest.seal import seal, split_domain, splits_alone
from dashboard.ingest.validate import flag_dates_after_cut, has_required_columns, validate

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


def read_export(raws: dict[str, RawFile], config: TrialConfig, findings: Findings,
                typed: Callable[[SourceTable], None] | None = None) -> tuple[dict[str, SourceTable], dict[str, int]]:
    """Parse, type and validate every file; returns the typed tables and the data rows of each file.

    `typed`, if given, is called with each typed table as soon as it is ready (before validation).
    """
    tables: dict[str, SourceTable] = {}
    rows: dict[str, int] = {}
    for domain, raw in raws.items():
        source = read_table(raw, findings)
        raw.data = b""                     # the hashing thread holds its own reference until done
        rows[domain] = source.table.num_rows if source else 0
        if source is not None and has_required_columns(source, findings):
            tables[domain] = SourceTable(domain, source.name, type_table(source, findings))
            if typed is not None:
                typed(tables[domain])
    validate(tables, config, findings)
    return tables, rows


# Splits and encodes the clinical part of a domain while the next files are read (pyarrow releases the GIL).
_ENCODING = ThreadPoolExecutor(max_workers=1, thread_name_prefix="encode-domain")


def check_export(path: Path | str, config: TrialConfig) -> Findings:
    """Every finding about an export folder, without writing anything."""
    findings = Findings()
    raws = read_raw(discover(Path(path), frozenset(config.custom_domains), findings))
    read_export(raws, config, findings)
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


def load_cut(path: Path | str, cut_date: str | dt.date, label: str, loaded_by: str, config: TrialConfig,
             root: Path | None = None) -> cuts.CutManifest:
    """Validate the export at `path`, write it as a new cut and make it active.

    Raises IngestError (nothing written) on any error, AlreadyLoaded for input loaded before for the
    same cut date, and cuts.CutError when another load is running.
    """
    record = _audit_recorder()
    cut_date = parse_cut_date(cut_date)
    folder = Path(path)
    with cuts.load_lock(root):
        _remove_leftovers(root)
        findings = Findings()
        raws = read_raw(discover(folder, frozenset(config.custom_domains), findings))
        split: dict[str, Future] = {}          # per domain: its clinical frame and sealed columns
        encoded: dict[str, Future] = {}        # per domain: the parquet bytes of its clinical frame

        def typed(source: SourceTable) -> None:
            if splits_alone(source.domain):
                done = split[source.domain] = _ENCODING.submit(split_domain, source.domain, source.table, config)
                encoded[source.domain] = _ENCODING.submit(lambda: cuts.parquet_bytes(done.result()[0]))

        tables, rows = read_export(raws, config, findings, typed)
        flag_dates_after_cut(tables, cut_date, findings)
        if findings.errors:
            for future in [*encoded.values(), *split.values()]:
                future.cancel()
            record("cut_rejected", username=loaded_by, cut_id=None,
                   detail={"cut_date": cut_date, "source": str(folder), "errors": _count(findings.errors),
                           "warnings": _count(findings.open_warnings())})
            raise IngestError(findings.items)
        export = seal(tables, config, {domain: future.result for domain, future in split.items()})
        del tables
        digest = identity.input_digest(raws)
        try:
            cut_id = identity.new_cut_id(cut_date, identity.open_fingerprints(raws, export), digest, root)
        except AlreadyLoaded as exc:
            record("cut_rejected", username=loaded_by, cut_id=exc.cut_id,
                   detail={"cut_date": cut_date, "source": str(folder), "reason": "already loaded"})
            raise
        open_warnings = findings.open_warnings()
        manifest = cuts.CutManifest(
            cut_id=cut_id, study_id=config.study_id, cut_date=cut_date, label=label,
            loaded_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), loaded_by=loaded_by,
            source=str(folder.resolve()), inputs=identity.public_inputs(raws, rows, export),
            domain_rows={name: len(frame) for name, frame in sorted(export.clinical.items())},
            warning_count=_count(open_warnings), randomized=export.randomized)
        sealed = {**export.sealed, SEALED_INPUTS: identity.sealed_inputs(raws, rows)}
        if findings.sealed_warnings():
            sealed[SEALED_WARNINGS] = findings_frame(findings.sealed_warnings())
        clinical = {domain: encoded.get(domain, frame) for domain, frame in export.clinical.items()}
        written = cuts.write_snapshot(manifest, clinical, sealed, findings_frame(open_warnings), root)
        try:
            record("cut_load", username=loaded_by, cut_id=cut_id,
                   detail={"cut_date": cut_date, "label": label, "source": manifest.source,
                           "files": len(manifest.inputs), "warnings": manifest.warning_count,
                           "randomized": manifest.randomized})
        except BaseException:
            shutil.rmtree(written, ignore_errors=True)
            raise
        identity.register(cut_id, digest, root)
        cuts.activate(cut_id, root)
    return manifest
