"""Ingest benchmark: `load_cut` of a 5,000-subject export against a bare `pyarrow.csv.read_csv` of its files.

    python tests/bench/bench_ingest.py [--subjects 5000] [--synthetic] [--repeat 3] [--keep DIR | --export DIR]

The export comes from `dashboard.demo.generator.generate_export` when it exists, else from
`tests/sample_export.py` (about 1M LB rows, 50k AE rows at 5,000 subjects). Each measurement runs in
its own subprocess, so its peak RSS is its own; the best of `--repeat` runs is reported, page cache warm.
Each subprocess then repeats its call (`--warm` times): the first call is what `cuts load` meets in a fresh
process, the later ones show the same work once the process's memory has been touched (on a virtual
machine, first touches of fresh memory can cost more than the work itself). CPU seconds (user + system)
are given beside wall time. Targets: ingest at most 2x the bare read, peak RSS at most 2 GB.
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
sys.path[:0] = [str(PROJECT_ROOT), str(PROJECT_ROOT / "tests")]  # tests/: the synthetic export (sample_export)

TIME_LIMIT_RATIO = 2.0
MEMORY_LIMIT_MB = 2048

# Child programs print one JSON line: per call, wall and CPU (user, system) seconds and the peak RSS (MB) of the
# process so far, from VmHWM (ru_maxrss would include the RSS of the parent at fork time).
PEAK_RSS = "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]) / 1024"
TIMED = """
import os, time
def timed(call):
    before, start = os.times(), time.perf_counter()
    result = call()
    after, seconds = os.times(), time.perf_counter() - start
    return result, {"seconds": seconds, "cpu": after.user - before.user + after.system - before.system,
                    "system": after.system - before.system, "peak_mb": PEAK_RSS}
""".replace("PEAK_RSS", PEAK_RSS)
LOAD_CHILD = TIMED + """
import json, pathlib, sys, types
audit = types.ModuleType("dashboard.audit")
audit.record = lambda event, **kw: None          # the benchmark measures ingest, not the audit database
sys.modules["dashboard.audit"] = audit
from dashboard.config import load_trial_config
from dashboard.ingest.load import load_cut
config = load_trial_config()
calls = []
for i in range(int(sys.argv[4])):
    root = pathlib.Path(sys.argv[3]) / f"call{i}"
    manifest, call = timed(lambda: load_cut(sys.argv[1], sys.argv[2], "bench", "bench", config, root=root))
    calls.append(call)
print(json.dumps({"calls": calls, "warnings": manifest.warning_count, "randomized": manifest.randomized}))
"""
BARE_CHILD = TIMED + """
import json, sys
from pathlib import Path
import pyarrow.csv as pcsv
files = sorted(Path(sys.argv[1]).glob("*.csv"))
calls = []
for i in range(int(sys.argv[2])):
    rows, call = timed(lambda: sum(pcsv.read_csv(f).num_rows for f in files))
    calls.append(call)
print(json.dumps({"calls": calls, "rows": rows}))
"""


def make_export(folder: Path, subjects: int, synthetic: bool) -> tuple[str, str]:
    """Write the export; returns (its cut date, which generator wrote it)."""
    try:
        if synthetic:
            raise ImportError
        from dashboard.demo.generator import generate_export
    except ImportError:
        from sample_export import write_sample_export
        write_sample_export(folder, subjects, subjects // 3, lab_tests=29, aes_per_subject=10)
        return "2021-12-31", "tests/sample_export.py"
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


def summary(bare_runs: list[dict], load_runs: list[dict], which: slice) -> tuple[dict, dict]:
    """Over the calls `which` of every run, of bare reads and of loads: the least wall, CPU and system seconds
    (each its own minimum, not necessarily of one call) and the highest peak RSS of the process so far."""
    def best_of(runs: list[dict]) -> dict:
        calls = [call for run in runs for call in run["calls"][which]]
        return {"seconds": min(c["seconds"] for c in calls), "cpu": min(c["cpu"] for c in calls),
                "system": min(c["system"] for c in calls), "peak_mb": max(c["peak_mb"] for c in calls)}
    return best_of(bare_runs), best_of(load_runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=5000)
    parser.add_argument("--synthetic", action="store_true", help="use tests/sample_export.py, not the demo generator")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes of each kind")
    parser.add_argument("--warm", type=int, default=2, help="further calls in each process after its first")
    parser.add_argument("--keep", type=Path, help="write the export here and keep it")
    parser.add_argument("--export", type=Path, help="benchmark this existing export instead of writing one")
    parser.add_argument("--cut-date", default="2022-12-31", help="cut date for --export")
    args = parser.parse_args(argv)
    calls = str(1 + args.warm)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        export = args.export or args.keep or Path(tmp) / "export"
        started = time.perf_counter()
        cut_date, source = ((args.cut_date, str(export)) if args.export
                            else make_export(export, args.subjects, args.synthetic))
        size = sum(p.stat().st_size for p in export.iterdir()) / 1e6
        lb_rows = sum(1 for _ in (export / "lb.csv").open("rb")) - 1 if (export / "lb.csv").exists() else 0
        print(f"export: {args.subjects} subjects by {source} in {time.perf_counter() - started:.1f} s, "
              f"{size:.0f} MB, {lb_rows} LB rows")
        run_child(BARE_CHILD, str(export), "1")                # warm the page cache
        bare_runs, load_runs = [], []
        for i in range(args.repeat):                           # interleaved: a busy machine slows both alike
            bare_runs.append(run_child(BARE_CHILD, str(export), calls))
            load_runs.append(run_child(LOAD_CHILD, str(export), cut_date, str(Path(tmp) / f"root{i}"), calls))
    pairs = ", ".join(f"{l['calls'][0]['seconds']:.2f}/{b['calls'][0]['seconds']:.2f}"
                      for b, l in zip(bare_runs, load_runs))
    print(f"first call of every process, load/bare seconds: {pairs}")
    ratios = [l["calls"][0]["seconds"] / b["calls"][0]["seconds"] for b, l in zip(bare_runs, load_runs)]
    print(f"median of their ratios: {statistics.median(ratios):.2f}")
    print("seconds: the least of each column over all runs; peak RSS: the highest")
    print(f"{'':28}{'wall s':>8}{'CPU s':>8}{'sys s':>8}{'peak RSS MB':>13}")
    met, peak = True, 0.0
    for title, which in (("first call (fresh process)", slice(0, 1)), ("later calls (warm process)", slice(1, None))):
        if which.start == 1 and not args.warm:
            continue
        bare, load = summary(bare_runs, load_runs, which)
        ratio = load["seconds"] / bare["seconds"]
        print(title)
        for name, row in (("  bare pyarrow.csv.read_csv", bare), ("  load_cut (ingest)", load)):
            print(f"{name:28}{row['seconds']:>8.2f}{row['cpu']:>8.2f}{row['system']:>8.2f}{row['peak_mb']:>13.0f}")
        print(f"{'  ratio ingest / bare':28}{ratio:>8.2f}{load['cpu'] / bare['cpu']:>8.2f}")
        met, peak = met and ratio <= TIME_LIMIT_RATIO, max(peak, load["peak_mb"])
    load = load_runs[0]
    print(f"randomized {load['randomized']}, warnings {load['warnings']}, rows read (bare) {bare_runs[0]['rows']}")
    met = met and peak <= MEMORY_LIMIT_MB
    print(f"targets (<= {TIME_LIMIT_RATIO:g}x wall, first and later calls; <= {MEMORY_LIMIT_MB} MB): "
          f"{'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
