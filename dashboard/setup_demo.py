"""`python -m dashboard setup-demo`: load a configured trial's demo cuts and create one demo user per role.

NCT05019287 loads its two synthetic cuts; CDISCPILOT01 loads the public pharmaverse SDTM export (the CDISC
pilot study, ../shared/exports/pharmaverse-sdtm) at two cut dates, as delivered. Refused in production.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from dashboard import cuts
from dashboard.config import PROJECT_ROOT, TrialConfig, load_trial_config

DEMO_EXPORTS = PROJECT_ROOT / "data" / "exports" / "NCT05019287"
PILOT_EXPORT = PROJECT_ROOT.parent / "shared" / "exports" / "pharmaverse-sdtm"
# study id -> (export folder, cut date, label) per demo cut, loaded in date order so the last one is active
DEMO_CUTS: dict[str, tuple[tuple[Path, str, str], ...]] = {
    "NCT05019287": ((DEMO_EXPORTS / "interim", "2021-05-10", "Interim: mid-recruitment"),
                    (DEMO_EXPORTS / "final", "2021-07-10", "Final: all randomized, follow-up complete")),
    "CDISCPILOT01": ((PILOT_EXPORT, "2014-06-30", "Interim: public pilot export cut at 2014-06-30"),
                     (PILOT_EXPORT, "2015-03-31", "Final: public pilot export as delivered")),
}


def load_demo_cuts(config: TrialConfig | None = None) -> list[str]:
    """Load each demo cut of the configured trial whose cut date is not loaded yet."""
    from dashboard.ingest.load import load_cut

    config = config or load_trial_config()
    loaded_dates = {m.cut_date for m in cuts.list_cuts() if not cuts.load_interrupted(m.cut_id)}
    new_ids = []
    for folder, cut_date, label in DEMO_CUTS.get(config.study_id, ()):
        if cut_date in loaded_dates:
            continue
        manifest = load_cut(folder, cut_date, label, f"{getpass.getuser()} (demo setup)", config)
        new_ids.append(manifest.cut_id)
    return new_ids


def run(_args: argparse.Namespace) -> int:
    from dashboard.auth.demo_users import DemoRefused, ensure_demo_users, refuse_in_production
    from dashboard.db import database_url

    try:
        refuse_in_production()
    except DemoRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    config = load_trial_config()
    if config.study_id not in DEMO_CUTS:
        print(f"No demo cuts for {config.study_id}: load its export with 'python -m dashboard cuts load'")
    for cut_id in load_demo_cuts(config):
        print(f"Loaded demo cut {cut_id}")
    print(f"Active cut: {cuts.active_cut_id()}")
    created = ensure_demo_users(database_url())
    if created:
        print("\nDemo users (passwords are shown this once and stored only as hashes):")
        for username, password in created.items():
            print(f"  {username:<13} {password}")
        print()
    else:
        print("Demo users exist already (reset a password with: python -m dashboard users reset-password NAME)")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("setup-demo", help="load the configured trial's demo cuts and create demo users")
    parser.set_defaults(handler=run)
