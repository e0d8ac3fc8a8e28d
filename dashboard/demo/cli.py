"""`demo` commands: write synthetic SDTM exports. `python -m dashboard.demo.cli` rewrites the committed demo cuts."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path

from dashboard.config import load_trial_config
from dashboard.demo.generator import DEFAULT_SEED, generate_export, write_demo_exports
from dashboard.demo.messy import VARIANTS

__all__ = ["register", "run_generate", "write_demo_exports"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `demo` group with its `generate` sub-command."""
    demo = subparsers.add_parser("demo", help="synthetic demonstration data")
    commands = demo.add_subparsers(dest="demo_command", required=True)
    generate = commands.add_parser("generate", help="write one synthetic SDTM export folder for a cut date")
    generate.add_argument("--out", required=True, type=Path, help="export folder to write")
    generate.add_argument("--cut-date", required=True, type=dt.date.fromisoformat, help="YYYY-MM-DD")
    generate.add_argument("--subjects", type=int, help="randomized subjects (default: the configured target)")
    generate.add_argument("--sites", type=int, help="number of sites (default: the configured sites)")
    generate.add_argument("--seed", type=int, default=DEFAULT_SEED)
    generate.add_argument("--xpt", nargs="+", default=[], metavar="DOMAIN", help="domains to write as SAS XPT")
    generate.add_argument("--messy", nargs="*", choices=list(VARIANTS), metavar="VARIANT",
                          help="also write real-export variants to OUT/<VARIANT>/ (all when none is named): "
                               + ", ".join(VARIANTS))
    generate.add_argument("--config", type=Path,
                          help="trial configuration (default: $DSMB_TRIAL_CONFIG or NCT05019287)")
    generate.set_defaults(handler=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    """Handler of `demo generate`: write the export and print its summary as JSON."""
    if any(n is not None and n < 1 for n in (args.subjects, args.sites)):
        raise SystemExit("demo generate: --subjects and --sites must be positive")
    try:
        summary = generate_export(load_trial_config(args.config), args.out, cut_date=args.cut_date,
                                  subjects=args.subjects, sites=args.sites, seed=args.seed,
                                  formats={d.lower(): "xpt" for d in args.xpt},
                                  messy=_messy_names(getattr(args, "messy", None)))
    except ValueError as exc:
        raise SystemExit(f"demo generate: {exc}") from None
    print(json.dumps(summary, indent=2))
    return 0


def _messy_names(chosen: list[str] | None) -> tuple[str, ...]:
    """`--messy` alone means every variant; absent means none."""
    if chosen is None:
        return ()
    return tuple(chosen) or tuple(VARIANTS)


if __name__ == "__main__":
    print(json.dumps(write_demo_exports(), indent=2))
