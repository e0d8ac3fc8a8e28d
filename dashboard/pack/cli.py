"""`python -m dashboard pack build --cut CUT_ID [--previous CUT_ID] --out DIR [--access open|closed|both] [--user NAME]`.

The open pack needs no account; a closed pack is built for a named user whose role sees arms (the board: coded
arms, the statistician: real names), carries that user's name in its watermark and is written to a folder only
the operating-system user running the command can read (mode 0700).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from dashboard import audit, cuts
from dashboard.auth.cli import os_actor
from dashboard.auth.users import get_user
from dashboard.blinding import Access
from dashboard.config import load_trial_config
from dashboard.pack import build
from dashboard.permissions import access_for_role

KINDS = {"open": ("open",), "closed": ("closed",), "both": ("open", "closed")}


def closed_access(username: str | None) -> Access | str:
    """The access a closed pack is built at for `username`, or why none can be built."""
    if not username:
        return "a closed pack is built for a named user: give --user NAME"
    user = get_user(username)
    if user is None or not user.is_active:
        return f"no active user {username!r}"
    access = access_for_role(user.role)
    if not access.sees_arms:
        return f"user {username!r} has a blinded role ({user.role.value}): only the open pack can be built"
    return access


def _private(folder: Path) -> Path:
    """A folder only the owner can enter (the closed pack must not be readable by anyone else on the machine)."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def _build(args: argparse.Namespace) -> int:
    root = cuts.data_root()
    known = {m.cut_id for m in cuts.list_cuts(root)}
    for cut in filter(None, (args.cut, args.previous)):
        if cut not in known:
            print(f"no cut {cut!r} (python -m dashboard cuts list)", file=sys.stderr)
            return 1
    packs = []
    for kind in KINDS[args.access]:
        if kind == "open":
            packs.append((Access.BLINDED, Path(args.out) / "open"))
            continue
        access = closed_access(args.user)
        if isinstance(access, str):
            print(f"not built: {access}", file=sys.stderr)
            return 1
        packs.append((access, _private(Path(args.out) / "closed")))
    user = args.user or os_actor()
    try:
        # a fresh single-threaded process: the second pack may be collected in a forked one meanwhile
        built = build.build_all(args.cut, packs, config=load_trial_config(), root=root, user=user,
                                previous_id=args.previous, parallel=True)
    except (cuts.CutError, OSError) as exc:
        print(f"not built: {cuts.refusal_reason(exc)}", file=sys.stderr)
        return 1
    except RuntimeError as exc:        # no Chromium for the figures, or it failed twice
        print(f"not built: {exc}", file=sys.stderr)
        return 1
    for pack, (access, _) in zip(built, packs):
        # the command line hands the file over by writing it: recorded with the file's checksum like a download
        audit.record("pack_export", username=user, cut_id=args.cut,
                     detail={"file": str(pack.pdf), "access": access.value, "sha256": pack.file_checksum})
        print(f"{pack.kind}: {pack.pdf} (sha256 {pack.file_checksum}); tables: {pack.tables}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `pack` group (build) to the top-level parser."""
    group = subparsers.add_parser("pack", help="the DSMB meeting pack: open and closed PDF reports of one cut")
    commands = group.add_subparsers(dest="pack_command", required=True)
    b = commands.add_parser("build", help="build the open and/or closed pack of a cut with its tables as CSV")
    b.add_argument("--cut", required=True, help="cut id (python -m dashboard cuts list)")
    b.add_argument("--previous", help="cut to list changes against (default: the cut before --cut)")
    b.add_argument("--out", required=True, help="folder; the packs go to OUT/open/ and OUT/closed/")
    b.add_argument("--access", choices=sorted(KINDS), default="open", help="which pack(s) to build")
    b.add_argument("--user", help="the user a closed pack is built for (its role decides coded or real arms)")
    b.set_defaults(handler=_build)
