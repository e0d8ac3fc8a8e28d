"""Benchmark: every callback of every page at scale, p95 server time and response size, per role.

Run: `python tests/bench/bench_callbacks.py [--subjects 5000] [--repeat 20]` (or `make bench`).
Targets (issues 4-6): p95 <= 100 ms; response <= 500 KB (safety pages: 1 MB).
Not part of the test suite: timings belong here, never in assertions.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parents[2]), str(HERE.parents[1])]

from crawl import input_variants, merge_outputs, nav_paths  # noqa: E402
from dash_client import DashClient, collect_props, initial_values, login  # noqa: E402

TARGET_MS = 100.0
SIZE_LIMIT = {"/safety": 1_000_000}
DEFAULT_SIZE_LIMIT = 500_000


def build_instance(subjects: int, sites: int, workdir: Path):
    from support import make_instance

    from dashboard.config import load_trial_config
    from dashboard.demo.generator import generate_export

    export = workdir / "export"
    started = time.perf_counter()
    generate_export(load_trial_config(), export, cut_date="2023-12-31", subjects=subjects, sites=sites)
    print(f"generated {subjects} subjects in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    instance = make_instance(workdir / "instance", [(export, "2023-12-31", "Benchmark")])
    print(f"loaded the cut in {time.perf_counter() - started:.1f} s")
    return instance


def measure(client: DashClient, repeat: int) -> list[tuple[str, str, float, float, int]]:
    """(page, callback, p50 ms, p95 ms, largest response bytes) for every callback and input variant."""
    rows = []
    layout = client.layout()
    callbacks = client.dependencies()
    for path in nav_paths(layout):
        page = client.open_page(path)
        props = collect_props(layout, page)
        page_callbacks = [c for c in callbacks
                          if not c.output.startswith("page-content.") and c.ids <= set(props.by_id)]
        for callback in page_callbacks:  # as the page renders: fills options that callbacks provide
            response = client.post_callback(callback, initial_values(callback, props))
            if response.status_code == 200:
                merge_outputs(props, response.get_json())
        for callback in page_callbacks:
            for label, values, changed in input_variants(callback, props, initial_values(callback, props)):
                client.post_callback(callback, values, changed)  # warm the per-cut caches once
                times, size = [], 0
                for _ in range(repeat):
                    started = time.perf_counter()
                    response = client.post_callback(callback, values, changed)
                    times.append((time.perf_counter() - started) * 1000)
                    size = max(size, len(response.get_data()))
                times.sort()
                p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
                rows.append((path, f"{callback.output[:60]} [{label}]"[:90], statistics.median(times), p95, size))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=5000)
    parser.add_argument("--sites", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--roles", nargs="*", default=["investigator", "statistician"])
    args = parser.parse_args()
    from support import make_app

    with tempfile.TemporaryDirectory(prefix="dsmb-bench-") as tmp:
        instance = build_instance(args.subjects, args.sites, Path(tmp))
        app = make_app(instance)
        failures = 0
        for role in args.roles:
            client = DashClient(login(app.server.test_client(), role, instance.passwords[role]))
            print(f"\n{role}: {'page':<14} {'callback':<90} {'p50 ms':>8} {'p95 ms':>8} {'KB':>8}")
            for path, name, p50, p95, size in measure(client, args.repeat):
                limit = SIZE_LIMIT.get(path, DEFAULT_SIZE_LIMIT)
                flag = "" if p95 <= TARGET_MS and size <= limit else "  << over target"
                failures += bool(flag)
                print(f"{'':>{len(role) + 1}} {path:<14} {name:<90} {p50:8.1f} {p95:8.1f} {size / 1000:8.1f}{flag}")
        print(f"\n{failures} callback variants over target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
