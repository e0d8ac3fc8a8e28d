"""Meeting pack benchmark (not a test): open + closed pack of one cut, time per stage and PDF sizes.

    python tests/bench/bench_pack.py [--cut CUT_ID] [--config TOML] [--root DATA_ROOT] [--out DIR]

Defaults: the active cut of the instance's data root with the configured trial (the demo: NCT05019287's final
cut). The pilot: --config data/trials/CDISCPILOT01.toml --root instance/pilot/data. Builds go to a temporary
folder (or --out), their audit rows to a throwaway database. Target (issue 14): open + closed at most 10 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cut"), parser.add_argument("--config"), parser.add_argument("--root")
    parser.add_argument("--out")
    args = parser.parse_args()
    work = Path(args.out or tempfile.mkdtemp(prefix="bench-pack-"))
    os.environ["DSMB_DATABASE_URL"] = f"sqlite:///{work / 'audit.sqlite'}"
    from dashboard import cuts
    from dashboard.blinding import Access
    from dashboard.config import load_trial_config
    from dashboard.pack import build, render

    config = load_trial_config(Path(args.config) if args.config else None)
    root = Path(args.root) if args.root else cuts.data_root()
    cut_id = args.cut or cuts.active_cut_id(root)
    packs = [(Access.BLINDED, work / "open"), (Access.CODED, work / "closed")]
    start = time.perf_counter()
    prepared = [build.collect(cut_id, access, config, root) for access, _ in packs]
    collected = time.perf_counter()
    figures = [d for _, shown, _ in prepared for d in shown if d.figure is not None]
    render.figure_svgs(figures)
    drawn = time.perf_counter()
    built = build.build_all(cut_id, packs, config=config, root=root, user="bench")
    total = time.perf_counter()
    print(f"{config.study_id} cut {cut_id}: {len(figures)} figures")
    print(f"  displays (both packs, warm caches after): {collected - start:6.1f} s")
    print(f"  figures as SVG (one Chromium session):     {drawn - collected:6.1f} s")
    print(f"  open + closed end to end (build_all):      {total - drawn:6.1f} s")
    for pack in built:
        pages = len(__import__("pypdf").PdfReader(pack.pdf).pages) if _has_pypdf() else "?"
        print(f"  {pack.kind:6} {pack.pdf.stat().st_size / 1024:8.0f} kB, {pages} pages: {pack.pdf}")
    return 0


def _has_pypdf() -> bool:
    try:
        import pypdf  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
