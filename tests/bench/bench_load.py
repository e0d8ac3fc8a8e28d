"""Load benchmark: N concurrent users replaying the callbacks their browsers send, against the bare Dash floor.

Run: `python tests/bench/bench_load.py [--users 20] [--seconds 60] [--subjects 5000] [--workers 2]
[--database-url postgresql://...] [--instances 2] [--redis]` (or `make bench`). Loopback only; every phase stops by
itself. `--instances 2`: two gunicorn instances (standing in for two hosts) on one data root and one database, each
request of a user to the next instance in turn. `--redis`: a throwaway redis-server holds Flask-Limiter's login
counts for every worker of every instance (a high daily limit: it counts without refusing, and the counts outlive
the run); the report checks that Redis counted every login the benchmark made, wherever it landed.

1. The bare Dash app (`bare_app.py`: one dropdown, one 500-point figure) under gunicorn with the same workers:
   the users post its one callback (`--bare-seconds`).
2. The dashboard under gunicorn on a benchmark installation: half the users log in as the statistician, half
   as the investigator. Each user opens the data pages of its navigation in turn, as its browser does: the page
   router first, then every callback the rendered page fires on load (plain and pattern-matching, recorded
   once per role from the real layout and dependencies), up to `--connections` at a time, then thinks for
   `--think` seconds (random 0.5x-1.5x) before the next page. The first `--warmup` seconds are not counted
   (steady state: each worker has built its caches for the cut; the page benchmark measures cold).
Reports callback latency p50/p95 (as the client sees it, queueing included), whole-page p95 (router to last
callback), errors (any status other than 200/204 or a failed request), the ratio to the bare app's p95, and
the highest resident memory (VmRSS) of each gunicorn worker. Targets (issue 18): callback p95 <= 2x bare, page
p95 <= 0.5 s, 0 errors, <= 600 MB per worker at 5,000 subjects. Writes test-artifacts/bench/load-*.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parent)]

from bench_server import (app_env, bench_instance, gunicorn, login_session, percentile,  # noqa: E402
                          redis_login_count, redis_server, write_json)

DATA_PAGES = ["/recruitment", "/safety", "/outcomes", "/monitoring"]
UPDATE = "/_dash-update-component"


class _Recorder:
    """Stands in for a test client: keeps the JSON body of each POST instead of sending it."""

    def __init__(self) -> None:
        self.bodies: list[str] = []

    def post(self, path: str, data: str = "", **_) -> SimpleNamespace:
        self.bodies.append(data)
        return SimpleNamespace(status_code=204)

    def get_cookie(self, name: str) -> None:
        return None


class _HttpClient:
    """The subset of Flask's test client that `dash_client.DashClient` uses, over a `requests` session."""

    def __init__(self, session, url: str) -> None:
        self.session, self.url = session, url

    def get(self, path: str):
        return _wrap(self.session.get(self.url + path, timeout=120))

    def post(self, path: str, data: str = "", content_type: str = "application/json", headers=None):
        return _wrap(self.session.post(self.url + path, data=data, timeout=120,
                                       headers={**(headers or {}), "Content-Type": content_type}))

    def get_cookie(self, name: str):
        value = self.session.cookies.get(name)
        return SimpleNamespace(value=value) if value else None


def _wrap(response):
    response.get_json = response.json
    response.get_data = lambda as_text=False: response.text if as_text else response.content
    return response


def record_pages(url: str, role: str, password: str, wanted: list[str]) -> dict[str, list[str]]:
    """{page path: [router body, then the body of every callback the page fires on load]} for `role`."""
    from crawl import _on_page, is_pattern_callback, nav_paths, post_pattern_callback
    from dash_client import DashClient, collect_props, page_open_values

    client = DashClient(_HttpClient(login_session(url, role, password), url))
    layout, callbacks = client.layout(), client.dependencies()
    router = client.callback_for("page-content.children")
    pages = {}
    for path in [p for p in nav_paths(layout) if p in wanted]:
        recorder = DashClient(_Recorder())
        recorder.post_callback(router, {("url", "pathname"): path})
        tree = client.open_page(path)
        props, page_ids = collect_props(layout, tree), set(collect_props(tree).by_id)
        for callback in callbacks:
            if callback.prevent_initial_call or callback is router or not _on_page(callback, props, tree):
                continue
            if is_pattern_callback(callback):
                post_pattern_callback(SimpleNamespace(client=recorder.client, csrf_headers=dict), callback, tree)
            elif callback.ids & page_ids:
                recorder.post_callback(callback, page_open_values(callback, props))   # first tab shown, as a browser
        pages[path] = recorder.client.bodies
    return pages


@dataclass
class Tally:
    """What every user saw, gathered under one lock."""

    callbacks: list[float] = field(default_factory=list)
    pages: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: list[float], page: float | None, errors: list[str]) -> None:
        with self.lock:
            self.callbacks += seconds
            if page is not None:
                self.pages.append(page)
            self.errors += errors


def _post(session, urls, body: str) -> tuple[float, str | None]:
    """One callback POST to the next instance of `urls` (an itertools.cycle: round robin, no stickiness)."""
    started = time.perf_counter()
    try:
        response = session.post(next(urls) + UPDATE, data=body, headers={"Content-Type": "application/json"},
                                timeout=120)
        response.content  # noqa: B018  (the whole body, as the browser reads it)
        error = None if response.status_code in (200, 204) else f"HTTP {response.status_code}"
    except Exception as exc:  # noqa: BLE001  (a failed request is a result here, not a crash)
        error = type(exc).__name__
    return time.perf_counter() - started, error


def open_page(session, urls, bodies: list[str], pool: ThreadPoolExecutor, tally: Tally) -> None:
    """The router first, then the page's callbacks `pool`-parallel; one page time from first send to last answer."""
    started = time.perf_counter()
    first = _post(session, urls, bodies[0])
    rest = list(pool.map(lambda body: _post(session, urls, body), bodies[1:]))
    results = [first, *rest]
    tally.add([s for s, _ in results], time.perf_counter() - started, [e for _, e in results if e])


def user(session, urls: list[str], pages: list[list[str]], stop_at: float, think: float, connections: int,
         tally: Tally, seed: int) -> None:
    """Open the pages in turn (starting at a different one per user) until `stop_at`."""
    rng = random.Random(seed)
    index, urls = seed % len(pages), itertools.cycle(urls[seed % len(urls):] + urls[:seed % len(urls)])
    with ThreadPoolExecutor(connections) as pool:
        while time.monotonic() < stop_at:
            open_page(session, urls, pages[index % len(pages)], pool, tally)
            index += 1
            time.sleep(min(max(0.0, stop_at - time.monotonic()), think * rng.uniform(0.5, 1.5)))


def run_users(sessions: list, urls: list[str], pages_of: list[list[list[str]]], args,
              servers: list) -> tuple[Tally, list]:
    """Every user in its own thread for `seconds`; samples worker memory every 2 s meanwhile."""
    tally, stop_at, peaks = Tally(), time.monotonic() + args.seconds_now, {}
    threads = [threading.Thread(target=user, args=(s, urls, p, stop_at, args.think, args.connections, tally, i),
                                daemon=True) for i, (s, p) in enumerate(zip(sessions, pages_of))]
    for thread in threads:
        thread.start()
    while any(t.is_alive() for t in threads):
        for server in servers:
            for pid, rss in zip(server.worker_pids(), server.worker_rss_mb()):
                peaks[pid] = max(peaks.get(pid, 0.0), rss)
        time.sleep(2)
    for thread in threads:
        thread.join()
    return tally, sorted(round(v) for v in peaks.values())


def summary(name: str, tally: Tally, seconds: float) -> dict:
    return {"name": name, "requests": len(tally.callbacks), "pages": len(tally.pages),
            "requests_per_s": round(len(tally.callbacks) / seconds, 1),
            "callback_p50_ms": round(percentile(tally.callbacks, 0.5) * 1000, 1),
            "callback_p95_ms": round(percentile(tally.callbacks, 0.95) * 1000, 1),
            "page_p95_s": round(percentile(tally.pages, 0.95), 3), "errors": len(tally.errors),
            "error_kinds": sorted(set(tally.errors))[:10]}


def bare_phase(args) -> dict:
    """The floor: the same users against the bare Dash app."""
    bodies = [json.dumps({"output": "graph.figure", "outputs": {"id": "graph", "property": "figure"},
                          "inputs": [{"id": "series", "property": "value", "value": value}],
                          "changedPropIds": ["series.value"]}) for value in ("a", "b", "c")]
    import requests

    with gunicorn("bare_app:server", 8075, args.workers) as server:
        sessions = [requests.Session() for _ in range(args.users)]
        args.seconds_now = args.bare_seconds
        tally, rss = run_users(sessions, [server.url], [[[b] for b in bodies]] * args.users, args, [server])
    return {**summary("bare Dash app", tally, args.bare_seconds), "worker_rss_mb": rss}


def app_phase(args, instance) -> dict:
    """The dashboard: half statisticians, half investigators, each replaying its role's pages; with `--instances`
    2, two gunicorn instances (one data root, one database) and every request to the next one in turn; with
    `--redis`, the login limit of every worker counted in one Redis."""
    roles = ["statistician" if i % 2 == 0 else "investigator" for i in range(args.users)]
    with ExitStack() as stack:
        extra = {}
        if args.redis:
            redis_url = stack.enter_context(redis_server(instance.base / "redis"))
            extra = {"DSMB_RATELIMIT_STORAGE_URI": redis_url, "BENCH_LOGIN_LIMIT": "1000000 per day"}
        servers = [stack.enter_context(gunicorn("bench_server:wsgi()", 8070 + 2 * i, args.workers,
                                                app_env(instance, extra)))
                   for i in range(args.instances)]
        urls = [server.url for server in servers]
        recorded = {role: record_pages(urls[0], role, instance.passwords[role], args.pages) for role in set(roles)}
        sessions = [login_session(urls[i % len(urls)], role, instance.passwords[role]) for i, role in enumerate(roles)]
        pages_of = [list(recorded[r].values()) for r in roles]
        if args.warmup > 0:   # untimed: every worker builds its caches for the cut first (steady state)
            args.seconds_now = args.warmup
            run_users(sessions, urls, pages_of, args, servers)
        args.seconds_now = args.seconds
        tally, rss = run_users(sessions, urls, pages_of, args, servers)
        logins = {"made": len(recorded) + len(sessions),   # one per recorded role, one per user
                  "counted_in_redis": redis_login_count(redis_url)} if args.redis else None
    calls = {role: {path: len(bodies) for path, bodies in pages.items()} for role, pages in recorded.items()}
    return {**summary("dashboard", tally, args.seconds), "worker_rss_mb": rss, "callbacks_per_page": calls,
            "logins": logins}


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # so that the gunicorn instances are stopped too
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the dashboard phase")
    parser.add_argument("--bare-seconds", type=float, default=20.0, help="length of the bare-app phase")
    parser.add_argument("--warmup", type=float, default=20.0, help="untimed seconds of the same load first")
    parser.add_argument("--think", type=float, default=2.0, help="mean seconds between two pages of a user")
    parser.add_argument("--connections", type=int, default=4, help="parallel requests per user (a browser: 6)")
    parser.add_argument("--subjects", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--instances", type=int, default=1, help="gunicorn instances sharing data root and database")
    parser.add_argument("--database-url", help="users and audit in this database (default: SQLite in the installation)")
    parser.add_argument("--redis", action="store_true", help="the login limit of every worker counted in a throwaway "
                        "redis-server (DSMB_RATELIMIT_STORAGE_URI), as across two hosts")
    parser.add_argument("--pages", nargs="*", default=DATA_PAGES)
    parser.add_argument("--keep", type=Path, default=Path(tempfile.gettempdir()) / "dsmb-bench")
    args = parser.parse_args()
    if (args.database_url or "").startswith("postgresql://"):   # the installed driver is psycopg 3
        args.database_url = "postgresql+psycopg://" + args.database_url.removeprefix("postgresql://")
    instance = bench_instance(args.subjects, args.keep / f"s{args.subjects}", args.database_url)
    bare = bare_phase(args)
    app = app_phase(args, instance)
    ratio = app["callback_p95_ms"] / bare["callback_p95_ms"] if bare["callback_p95_ms"] else float("inf")
    database = "postgresql" if (args.database_url or "").startswith("postgres") else "sqlite"
    print(f"\n{args.users} users, {args.instances} x {args.workers} workers, {args.subjects} subjects, {database}, "
          f"think {args.think} s")
    print(f"  {'':<14} {'requests':>8} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'page p95 s':>10} {'errors':>6}"
          f"  worker RSS MB")
    for row in (bare, app):
        print(f"  {row['name']:<14} {row['requests']:>8} {row['requests_per_s']:>6} {row['callback_p50_ms']:>7} "
              f"{row['callback_p95_ms']:>7} {row['page_p95_s']:>10} {row['errors']:>6}  {row['worker_rss_mb']}")
    print(f"  callback p95 ratio dashboard / bare: {ratio:.1f} (target <= 2); page p95 target <= 0.5 s; "
          f"RSS target <= 600 MB")
    shared = _redis_verdict(app["logins"])
    path = write_json(f"load-{args.subjects}-{database}-{args.instances}x{args.workers}w"
                      f"{'-redis' if args.redis else ''}.json", {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "users": args.users, "instances": args.instances,
        "workers": args.workers, "redis": args.redis,
        "subjects": args.subjects, "database": database, "think_s": args.think, "warmup_s": args.warmup,
        "connections": args.connections, "load_average": os.getloadavg(), "bare": bare, "dashboard": app,
        "p95_ratio": round(ratio, 2)})
    print(f"  -> {path}")
    return 0 if shared else 1


def _redis_verdict(logins: dict | None) -> bool:
    """Print whether Redis counted every login the benchmark made (on any instance and worker); True when it did or
    when Redis was not used."""
    if logins is None:
        return True
    shared = logins["counted_in_redis"] == logins["made"]
    print(f"  login limit in Redis: {logins['counted_in_redis']} of {logins['made']} logins counted"
          + ("" if shared else "  <- NOT SHARED: some worker counted on its own"))
    return shared


if __name__ == "__main__":
    sys.exit(main())
