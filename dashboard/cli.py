"""Command-line entry: each feature module adds its own sub-commands through `register(subparsers)`."""

from __future__ import annotations

import argparse
import importlib
import sys

COMMAND_MODULES = (
    "dashboard.ingest.cli",   # cuts load / list / show
    "dashboard.auth.cli",     # users add / list / set-role / disable / reset-password
    "dashboard.demo.cli",     # demo generate
    "dashboard.setup_demo",   # setup-demo
    "dashboard.trials.cli",   # trials draft / check
    "dashboard.pack.cli",     # pack build
    "dashboard.displays.docs",  # displays docs
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="DSMB dashboard administration")
    groups = parser.add_subparsers(dest="group", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(groups)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
