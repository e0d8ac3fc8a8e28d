"""`trials` commands: draft a configuration from an export, check a configuration against an export."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from dashboard.config import ConfigError, load_trial_config
from dashboard.ingest.findings import Finding, Findings, Severity
from dashboard.trials.check import check_against_export, check_charter, reconcile_visits
from dashboard.trials.draft import draft_export
from dashboard.trials.export import read_export_tables
from dashboard.trials.render import render


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `trials` group (draft, check) to the top-level parser."""
    group = subparsers.add_parser("trials", help="trial configurations: draft one from an export, check one")
    commands = group.add_subparsers(dest="trials_command", required=True)
    draft = commands.add_parser("draft", help="write a configuration drafted from an export; guesses are marked")
    draft.add_argument("export", help="export folder: <domain>.csv / .xpt files")
    draft.add_argument("--out", required=True, help="TOML file to write (refused if it exists, unless --force)")
    draft.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    draft.set_defaults(handler=_draft)
    check = commands.add_parser("check", help="list every contradiction between a configuration and an export")
    check.add_argument("config", help="trial configuration TOML")
    check.add_argument("export", help="export folder: <domain>.csv / .xpt files")
    check.set_defaults(handler=_check)


def print_all(findings: list[Finding], out: TextIO) -> None:
    """Errors, then warnings, one per line (a check is read by the person who owns the configuration)."""
    for severity, title in ((Severity.ERROR, "error(s)"), (Severity.WARNING, "warning(s)")):
        chosen = [f for f in findings if f.severity is severity]
        if chosen:
            print(f"{len(chosen)} {title}:", file=out)
            for finding in chosen:
                print(f"  {finding}", file=out)


def _draft(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not args.force:
        print(f"not written: {out} exists (use --force to overwrite)", file=sys.stderr)
        return 1
    findings = Findings()
    draft = draft_export(args.export, findings)
    print_all(findings.items, sys.stderr)
    if findings.errors and not draft.all("arms"):
        print("not written: the export could not be read well enough to draft a configuration", file=sys.stderr)
        return 1
    try:
        out.write_text(render(draft), encoding="utf-8")
    except OSError as exc:
        print(f"not written: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {out}: {draft.guessed_count} guessed value(s) marked '# guessed' to review against the protocol; "
          "keep the file from blinded staff (it holds the coding key)")
    return 0


def run_check(config_path: str, export: str) -> Findings:
    """Every finding of `trials check` (configuration problems raise ConfigError)."""
    config = load_trial_config(config_path)
    findings = Findings()
    tables = read_export_tables(export, frozenset(config.custom_domains), findings)
    if tables:
        check_against_export(tables, config, findings)
        check_charter(tables, config, findings)
        reconcile_visits(tables, config, findings)
    return findings


def _check(args: argparse.Namespace) -> int:
    try:
        findings = run_check(args.config, args.export)
    except ConfigError as exc:
        print(f"configuration {exc.path} is not usable:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print_all(findings.items, sys.stdout)
    errors = len(findings.errors)
    print(f"{errors} error(s), {len(findings.warnings)} warning(s): "
          + ("the configuration contradicts the export" if errors else "no contradiction found"))
    return 1 if errors else 0
