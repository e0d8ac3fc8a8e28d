"""Meeting pack benchmark (not a test): open + closed pack of one cut, time per stage and PDF sizes.

    python tests/bench/bench_pack.py [--cut CUT_ID] [--config TOML] [--root DATA_ROOT] [--out DIR] [--sequential]
    python tests/bench/bench_pack.py --subjects 5000 [--keep DIR]

Defaults: the active cut of the instance's data root with the configured trial (the demo: NCT05019287's final
cut). The pilot: --config data/trials/CDISCPILOT01.toml --root instance/pilot/data. --subjects N: the synthetic
cut of the page benchmarks (bench_server.bench_instance, kept in --keep, default $TMPDIR/dsmb-bench/s<N>, and
reused: generating 5,000 subjects takes minutes); target 60 s. Builds go to a temporary
folder (or --out), their audit rows to a throwaway database. Target (issue 14): open + closed at most 10 s.
Three runs: cold (a new process: data loaded, Chromium started; the closed pack collected in a forked process
meanwhile, as the command line does; --sequential: in this one), then with the Chromium session kept (as in the
app) but the figure cache emptied, then the same cut again (figures from the cache, displays from the memo); these
two in one process, as the app's builds run.
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
    parser.add_argument("--subjects", type=int, help="the synthetic cut of this many subjects (bench_server)")
    parser.add_argument("--keep", type=Path, help="where the synthetic installation is kept and reused")
    parser.add_argument("--sequential", action="store_true",
                        help="cold run without the forked second process (as before, for comparison)")
    args = parser.parse_args()
    work = Path(args.out or tempfile.mkdtemp(prefix="bench-pack-"))
    os.environ["DSMB_DATABASE_URL"] = f"sqlite:///{work / 'audit.sqlite'}"
    from dashboard import blinding, cuts
    from dashboard.blinding import Access
    from dashboard.config import load_trial_config
    from dashboard.pack import build
    from dashboard.pack.figures import SESSION

    config = load_trial_config(Path(args.config) if args.config else None)
    root = Path(args.root) if args.root else _synthetic(args) if args.subjects else cuts.data_root()
    cut_id = args.cut or cuts.active_cut_id(root)
    closed = Access.CODED
    if not blinding.cut_coding(cut_id, root, config)[0]:    # read from the sealed key only: the cut's data
        closed = Access.UNBLINDED                            # are read within the timed build, as on the command line
        print("  (this cut has no coding key: the closed pack is built unblinded, as for the statistician)")
    packs = [(Access.BLINDED, work / "open"), (closed, work / "closed")]
    print(f"{config.study_id} cut {cut_id}: open + closed (machine shared with other work; times vary)")
    runs = (("cold: new process, Chromium starts (the command line)", False, not args.sequential),
            ("warm Chromium session, new figures (the app, another cut)", True, False),
            ("warm session, same figures (the app, the same cut again)", False, False))
    print(f"  load average before: {_load()}")
    for label, clear_figures, parallel in runs:
        if clear_figures:
            SESSION._cache.clear()          # noqa: SLF001 - a benchmark of the drawing, not of the cache
        timings: dict[str, float] = {}
        start = time.perf_counter()
        cpu = time.process_time()
        built = build.build_all(cut_id, packs, config=config, root=root, user="bench", timings=timings,
                                parallel=parallel)
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
        stages = ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())
        mode = "second pack in a forked process" if parallel else "one process"
        print(f"  {label}, {mode}: {total:5.1f} s ({stages}; this process's CPU {cpu:.1f} s; load {_load()})")
    for pack in built:
        pages = len(__import__("pypdf").PdfReader(pack.pdf).pages) if _has_pypdf() else "?"
        print(f"  {pack.kind:6} {pack.pdf.stat().st_size / 1024:8.0f} kB, {pages} pages, {len(pack.figures)} "
              f"figures: {pack.pdf}")
    return 0


def _synthetic(args: argparse.Namespace) -> Path:
    """The data root of the page benchmarks' synthetic installation of --subjects (made once, then reused)."""
    sys.path[:0] = [str(PROJECT_ROOT / "tests"), str(PROJECT_ROOT / "tests" / "bench")]
    import bench_server

    os.environ["DSMB_SECRET_KEY"] = bench_server.BENCH_SECRET     # its cuts are signed with the bench key
    keep = args.keep or Path(tempfile.gettempdir()) / "dsmb-bench" / f"s{args.subjects}"
    return bench_server.bench_instance(args.subjects, keep).root


def _load() -> str:
    """The 1-minute load average (the machine is shared: every time is read next to it)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def _has_pypdf() -> bool:
    try:
        import pypdf  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
