"""Ingest benchmark: `load_cut` of a 5,000-subject export against a bare `pyarrow.csv.read_csv` of its files.

    python tests/bench/bench_ingest.py [--subjects 5000] [--synthetic] [--repeat 3] [--keep DIR | --export DIR]

The export comes from `dashboard.demo.generator.generate_export` when it exists, else from
`dashboard.ingest.sample` (about 1M LB rows, 50k AE rows at 5,000 subjects). Each measurement runs in
its own subprocess, so its peak RSS is its own; the best of `--repeat` runs is reported, page cache warm.
Targets: ingest at most 2x the bare read, peak RSS at most 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_ROOT))

TIME_LIMIT_RATIO = 2.0
MEMORY_LIMIT_MB = 2048

# Child programs print one JSON line: seconds of the measured call and peak RSS (MB) of the process, from
# VmHWM (ru_maxrss would include the RSS of the parent at fork time).
PEAK_RSS = "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) / 1024"
LOAD_CHILD = """
import json, sys, time, types
audit = types.ModuleType("dashboard.audit")
audit.record = lambda event, **kw: None          # the benchmark measures ingest, not the audit database
sys.modules["dashboard.audit"] = audit
from dashboard.config import load_trial_config
from dashboard.ingest.load import load_cut
config = load_trial_config()
start = time.perf_counter()
manifest = load_cut(sys.argv[1], sys.argv[2], "bench", "bench", config, root=__import__("pathlib").Path(sys.argv[3]))
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mb": PEAK_RSS, "warnings": manifest.warning_count,
                  "randomized": manifest.randomized}))
""".replace("PEAK_RSS", PEAK_RSS)
BARE_CHILD = """
import json, sys, time
from pathlib import Path
import pyarrow.csv as pcsv
files = sorted(Path(sys.argv[1]).glob("*.csv"))
start = time.perf_counter()
rows = sum(pcsv.read_csv(f).num_rows for f in files)
seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "peak_mb": PEAK_RSS, "rows": rows}))
""".replace("PEAK_RSS", PEAK_RSS)


def make_export(folder: Path, subjects: int, synthetic: bool) -> tuple[str, str]:
    """Write the export; returns (its cut date, which generator wrote it)."""
    try:
        if synthetic:
            raise ImportError
        from dashboard.demo.generator import generate_export
    except ImportError:
        from dashboard.ingest.sample import write_sample_export
        write_sample_export(folder, subjects, subjects // 3, lab_tests=29, aes_per_subject=10)
        return "2021-12-31", "dashboard.ingest.sample"
    from dashboard.config import load_trial_config
    cut_date = "2022-12-31"
    generate_export(load_trial_config(), folder, cut_date=cut_date, subjects=subjects, sites=max(1, subjects // 100))
    return cut_date, "dashboard.demo.generator"


def run_child(program: str, *args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", program, *args], cwd=PROJECT_ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    if done.returncode:
        raise SystemExit(f"benchmark child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def best(runs: list[dict]) -> dict:
    """Fastest time, highest peak memory."""
    return {**runs[0], "seconds": min(r["seconds"] for r in runs), "peak_mb": max(r["peak_mb"] for r in runs)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=5000)
    parser.add_argument("--synthetic", action="store_true", help="use dashboard.ingest.sample, not the demo generator")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the export here and keep it")
    parser.add_argument("--export", type=Path, help="benchmark this existing export instead of writing one")
    parser.add_argument("--cut-date", default="2022-12-31", help="cut date for --export")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        export = args.export or args.keep or Path(tmp) / "export"
        started = time.perf_counter()
        cut_date, source = ((args.cut_date, str(export)) if args.export
                            else make_export(export, args.subjects, args.synthetic))
        size = sum(p.stat().st_size for p in export.iterdir()) / 1e6
        lb_rows = sum(1 for _ in (export / "lb.csv").open("rb")) - 1 if (export / "lb.csv").exists() else 0
        print(f"export: {args.subjects} subjects by {source} in {time.perf_counter() - started:.1f} s, "
              f"{size:.0f} MB, {lb_rows} LB rows")
        run_child(BARE_CHILD, str(export))                     # warm the page cache
        bare_runs, load_runs = [], []
        for i in range(args.repeat):                           # interleaved: a busy machine slows both alike
            bare_runs.append(run_child(BARE_CHILD, str(export)))
            load_runs.append(run_child(LOAD_CHILD, str(export), cut_date, str(Path(tmp) / f"root{i}")))
        bare, load = best(bare_runs), best(load_runs)
    ratio = load["seconds"] / bare["seconds"]
    pairs = ", ".join(f"{l['seconds']:.2f}/{b['seconds']:.2f}" for b, l in zip(bare_runs, load_runs))
    print(f"every run, load/bare seconds: {pairs}")
    ratios = [l["seconds"] / b["seconds"] for b, l in zip(bare_runs, load_runs)]
    print(f"median of the per-run ratios: {statistics.median(ratios):.2f}")
    print(f"{'':28}{'seconds':>10}{'peak RSS MB':>14}")
    print(f"{'bare pyarrow.csv.read_csv':28}{bare['seconds']:>10.2f}{bare['peak_mb']:>14.0f}")
    print(f"{'load_cut (ingest)':28}{load['seconds']:>10.2f}{load['peak_mb']:>14.0f}")
    print(f"{'ratio ingest / bare':28}{ratio:>10.2f}")
    print(f"randomized {load['randomized']}, warnings {load['warnings']}, rows read (bare) {bare['rows']}")
    met = ratio <= TIME_LIMIT_RATIO and load["peak_mb"] <= MEMORY_LIMIT_MB
    print(f"targets (<= {TIME_LIMIT_RATIO:g}x, <= {MEMORY_LIMIT_MB} MB): {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
