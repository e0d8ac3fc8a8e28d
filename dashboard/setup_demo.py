"""`python -m dashboard setup-demo`: load the two demo cuts and create one demo user per role."""

from __future__ import annotations

import argparse
import getpass

from dashboard import cuts
from dashboard.config import PROJECT_ROOT, load_trial_config

DEMO_EXPORTS = PROJECT_ROOT / "data" / "exports" / "NCT05019287"
DEMO_CUTS = (
    ("interim", "2021-05-10", "Interim: mid-recruitment"),
    ("final", "2021-07-10", "Final: all randomized, follow-up complete"),
)


def load_demo_cuts() -> list[str]:
    """Load each demo cut whose cut date is not loaded yet (in date order, so the final one is active)."""
    from dashboard.ingest.load import load_cut

    config = load_trial_config()
    loaded_dates = {m.cut_date for m in cuts.list_cuts()}
    new_ids = []
    for folder, cut_date, label in DEMO_CUTS:
        if cut_date in loaded_dates:
            continue
        manifest = load_cut(DEMO_EXPORTS / folder, cut_date, label, f"{getpass.getuser()} (demo setup)", config)
        new_ids.append(manifest.cut_id)
    return new_ids


def run(_args: argparse.Namespace) -> int:
    from dashboard.db import database_url
    from dashboard.auth.demo_users import ensure_demo_users

    for cut_id in load_demo_cuts():
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
    parser = subparsers.add_parser("setup-demo", help="load the demo cuts and create demo users")
    parser.set_defaults(handler=run)
