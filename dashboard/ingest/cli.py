"""`cuts` commands: load an export as a new data cut, list the cuts, show one cut's manifest, re-activate one."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import pandas as pd

from dashboard import cuts
from dashboard.cut_status import cut_status
from dashboard.config import ConfigError, default_instance_path, load_trial_config
from dashboard.ingest.adam.sources import page_kind, sources_text
from dashboard.ingest.coding import coding_path
from dashboard.ingest.identity import shown_counts
from dashboard.ingest.findings import AlreadyLoaded, Finding, IngestError, Severity, summarize
from dashboard.ingest.load import activate_cut, load_cut
from dashboard.ingest.steps import LOG, LoaderStepError

SHOWN_WARNINGS = 50
NO_KEY = ("note: no coding key (coding.csv in the export, or --coding FILE): the board cannot see this cut until it "
          "is loaded again with one; the statistician sees real arm names")
NO_KEY_FALLBACK = ("note: no coding key (coding.csv in the export, or --coding FILE): the board's coded labels are "
                   "taken from the trial configuration, which blinded staff can read")


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `cuts` group (load, list, show, activate) to the top-level parser."""
    group = subparsers.add_parser("cuts", help="data cuts: load an export, list cuts, show or re-activate one")
    commands = group.add_subparsers(dest="cuts_command", required=True)
    load = commands.add_parser("load", help="validate an export folder and load it as the new active cut")
    load.add_argument("path", help="export folder: <domain>.csv / .xpt files and randomization.csv")
    load.add_argument("--cut-date", required=True, help="data cut date, YYYY-MM-DD")
    load.add_argument("--label", default="", help="free text, e.g. 'DSMB meeting 2'")
    load.add_argument("--loaded-by", default=os.environ.get("USER") or _login(), help="who loads (default: $USER)")
    load.add_argument("--config", default=None, help="trial configuration TOML (default: $DSMB_TRIAL_CONFIG)")
    load.add_argument("--coding", default=None, help="the coding key, a CSV with ARMCD,CODED_LABEL: which arm the "
                                                     "board sees as which group (default: coding.csv in the export "
                                                     "folder); stored in the sealed part of the cut")
    load.set_defaults(handler=_load)
    commands.add_parser("list", help="every loaded cut; the active one is marked").set_defaults(handler=_list)
    show = commands.add_parser("show", help="a cut's manifest: inputs with checksums, rows, warnings")
    show.add_argument("cut_id")
    show.set_defaults(handler=_show)
    activate = commands.add_parser("activate", help="make a loaded cut the active one again (checked, audited)")
    activate.add_argument("cut_id")
    activate.add_argument("--reason", required=True, help="why, for the audit trail (at least 10 characters); "
                                                           "the administrator reads it: name no arm")
    activate.add_argument("--by", default=os.environ.get("USER") or _login(), help="who (default: $USER)")
    activate.add_argument("--config", default=None, help="trial configuration TOML (default: $DSMB_TRIAL_CONFIG)")
    activate.set_defaults(handler=_activate)
    sign = commands.add_parser("sign", help="sign the checksums of a cut written before cuts were signed "
                                            "(checked against its checksum files first, audited)")
    sign.add_argument("cut_id")
    sign.add_argument("--reason", required=True, help="why, for the audit trail (at least 10 characters)")
    sign.add_argument("--by", default=os.environ.get("USER") or _login(), help="who (default: $USER)")
    sign.set_defaults(handler=_sign)


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def print_findings(findings: Sequence[Finding], out: TextIO | None = None) -> None:
    """Errors one per line, then the warnings summarised by file, column and kind."""
    out = out or sys.stdout
    errors = [f for f in findings if f.severity is Severity.ERROR]
    warnings = [f for f in findings if f.severity is Severity.WARNING and not f.sealed]
    if errors:
        print(f"{sum(f.count for f in errors)} error(s):", file=out)
        for finding in errors:
            print(f"  {finding}", file=out)
    if warnings:
        print(f"{sum(f.count for f in warnings)} warning(s):", file=out)
        for line in summarize(warnings):
            print(f"  {line}", file=out)


def _server_log() -> Path | None:
    """Send the loader's log (tracebacks of failed steps) to `<instance>/logs/ingest.log`, never to the terminal
    (a traceback can quote data values); None when that file cannot be written."""
    path = default_instance_path() / "logs" / "ingest.log"
    if any(getattr(h, "baseFilename", None) == str(path) for h in LOG.handlers):
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        handler: logging.Handler = logging.FileHandler(path, encoding="utf-8")
    except OSError:
        LOG.addHandler(logging.NullHandler())     # still keeps Python's last-resort handler off the terminal
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    LOG.addHandler(handler)
    return path


def _load(args: argparse.Namespace) -> int:
    try:
        log = _server_log()
        config = load_trial_config(args.config)
        manifest = load_cut(args.path, args.cut_date, args.label, args.loaded_by, config, coding=args.coding)
    except AlreadyLoaded as exc:
        print(f"not loaded: {exc.headline}", file=sys.stderr)
        return 1
    except LoaderStepError as exc:
        print(f"not loaded: {exc.headline}; the active cut is unchanged ({cuts.active_cut_id() or 'none'})"
              + (f"; the details are in the server log ({log})" if log else ""), file=sys.stderr)
        return 1
    except IngestError as exc:
        print_findings(exc.findings)
        print(f"not loaded: {exc.headline}; the active cut is unchanged ({cuts.active_cut_id() or 'none'})",
              file=sys.stderr)
        return 1
    except (cuts.CutError, ConfigError, ValueError, OSError) as exc:
        print(f"not loaded: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:      # never a traceback on the terminal: it could quote data values
        LOG.error("cuts load failed", exc_info=exc)
        print(f"not loaded: {type(exc).__name__}; the active cut is unchanged; see the server log", file=sys.stderr)
        return 1
    warnings = cuts.read_cut_warnings(manifest.cut_id)
    if len(warnings):
        print(f"{manifest.warning_count} warning(s):")
        for line in _warning_lines(warnings):
            print(f"  {line}")
    print(f"loaded cut {manifest.cut_id} ({manifest.randomized} randomized); it is now the active cut")
    if coding_path(Path(args.path), args.coding) is None:
        print(NO_KEY_FALLBACK if config.has_coding else NO_KEY)
    return 0


def _activate(args: argparse.Namespace) -> int:
    try:
        previous = activate_cut(args.cut_id, args.reason, args.by, load_trial_config(args.config))
    except (cuts.CutError, ConfigError, ValueError, OSError) as exc:
        print(f"not activated: {exc}; the active cut is unchanged ({cuts.active_cut_id() or 'none'})",
              file=sys.stderr)
        return 1
    print(f"cut {args.cut_id} is now the active cut (was {previous or 'none'})")
    return 0


def _sign(args: argparse.Namespace) -> int:
    """Sign a cut loaded before signing existed; the audit row comes first (no row, no signature)."""
    from dashboard import audit, blinding

    if len(args.reason.strip()) < 10:
        print("not signed: give a reason of at least 10 characters", file=sys.stderr)
        return 1
    try:
        with cuts.load_lock():
            audit.record("cut_signed", username=args.by, cut_id=args.cut_id,
                         detail={"reason": args.reason.strip(), "what": "checksums of a cut written unsigned"})
            try:
                blinding.sign_unsigned_cut(args.cut_id)
            except (cuts.CutError, OSError, ValueError) as exc:
                # the request was recorded first (nothing is signed unaudited); its refusal is recorded too
                audit.record("cut_sign_refused", username=args.by, cut_id=args.cut_id,
                             detail={"refused_because": cuts.refusal_reason(exc)})
                raise
    except (cuts.CutError, OSError, ValueError) as exc:
        print(f"not signed: {cuts.refusal_reason(exc)}", file=sys.stderr)
        return 1
    print(f"cut {args.cut_id} is signed")
    return 0


def _warning_lines(warnings: pd.DataFrame) -> list[str]:
    grouped = warnings.groupby(["file", "column", "kind"], dropna=False, sort=True)["count"].sum()
    return [f"{n:>6} x {file}{f', column {column}' if isinstance(column, str) else ''}: {kind}"
            for (file, column, kind), n in grouped.sort_values(ascending=False, kind="stable").items()]


def _list(args: argparse.Namespace) -> int:
    manifests = cuts.list_cuts()
    if not manifests:
        print("no cuts loaded")
        return 0
    active = cuts.active_cut_id()
    header = ("", "cut id", "cut date", "label", "loaded at", "loaded by", "randomized", "warnings", "data")
    rows = [(cut_status(m.cut_id, active), m.cut_id, m.cut_date, m.label, m.loaded_at, m.loaded_by,
             str(m.randomized), str(m.warning_count), page_kind(m.sources)) for m in manifests]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return 0


def _show(args: argparse.Namespace) -> int:
    try:
        m = cuts.read_manifest(args.cut_id)
    except cuts.CutError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    marker = " (ACTIVE)" if cuts.active_cut_id() == m.cut_id else ""
    print(f"cut {m.cut_id}{marker}\n  study      {m.study_id}\n  cut date   {m.cut_date}\n  label      {m.label}\n"
          f"  loaded     {m.loaded_at} by {m.loaded_by}\n  source     {m.source}\n  randomized {m.randomized}")
    print("inputs:")
    for f in m.inputs:
        rows, size = shown_counts(f)
        print(f"  {f.name:<22} {rows:>9} rows {size:>11} bytes  sha256 {f.sha256}")
    print("clinical domains: " + ", ".join(f"{d} {n}" for d, n in m.domain_rows.items()))
    if m.sources:
        print("sources: " + sources_text(m.sources))
    warnings = cuts.read_cut_warnings(m.cut_id)
    print(f"warnings: {m.warning_count}")
    for line in _warning_lines(warnings) if len(warnings) else []:
        print(f"  {line}")
    for row in warnings.head(SHOWN_WARNINGS).to_dict("records"):
        print(f"  - {_warning_text(row)}")
    if len(warnings) > SHOWN_WARNINGS:
        print(f"  ... {len(warnings) - SHOWN_WARNINGS} more (clinical/_warnings.parquet)")
    return 0


def _warning_text(row: dict) -> str:
    """A stored warning as a finding prints: file row N (USUBJID x, AESEQ n), column C: message."""
    known = {k: v for k, v in row.items() if not pd.isna(v)}
    return str(Finding(Severity.WARNING, known.get("file", ""), known.get("message", ""), row=known.get("row"),
                       usubjid=known.get("usubjid"), seq_column=known.get("seq_column"), seq=known.get("seq"),
                       column=known.get("column")))


def main(argv: list[str] | None = None) -> int:
    """`python -m dashboard.ingest cuts ...`: the cuts commands alone."""
    parser = argparse.ArgumentParser(prog="python -m dashboard.ingest")
    register(parser.add_subparsers(dest="group", required=True))
    args = parser.parse_args(argv)
    return int(args.handler(args) or 0)
