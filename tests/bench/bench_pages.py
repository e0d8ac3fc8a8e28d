"""Benchmark: how long each page and tab takes to be ready in Chromium, cold and warm, at 29 and 5,000 subjects.

Run: `python tests/bench/bench_pages.py [--subjects 29 5000] [--workers 2] [--repeat 2]` (or `make bench`).
The app runs under gunicorn (2 workers) on a loopback port; headless Chromium is logged in as the statistician.
"Ready" = no callback request of the page is still in flight (every `/_dash-update-component` response has
been read), no Dash loading marker is on the page, every visible `dcc.Graph` has been drawn by plotly
(`_fullLayout`), measured on the first animation frame where all of that holds and stays so (no new request
within the quiet window). Cold = first visit after the workers started (a fresh gunicorn per page, the page
opened by URL: a document load, scripts included); warm = the median of `--repeat` later visits, each a click
in the navigation from another page (client-side routing, as a user moves between pages; with 2 workers a
warm visit's callbacks may land on the worker that has not computed them yet). Targets (issue 18): 1.0 s warm
and 2.0 s cold at 5,000 subjects, 0.5 s warm at 29. Writes test-artifacts/bench/pages-<subjects>.json. Not part
of the test suite.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path[:0] = [str(HERE.parent)]

from bench_server import (app_env, bench_instance, gunicorn, login_session,  # noqa: E402
                          write_json)

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ROLE = "statistician"
QUIET_S = 1.5          # ready must hold this long with no new request before it counts
TIMEOUT_S = 120.0
TARGETS = {29: (None, 0.5), 5000: (2.0, 1.0)}   # subjects -> (cold, warm) seconds

# Installed before any page script: counts Dash callback requests in flight and, every animation frame, notes
# the first frame at which the page is ready (reset whenever it is not).
PROBE = r"""
(() => {
  const w = window;
  const b = w.__bench = {pending: 0, started: 0, errors: 0, bytes: 0, readyAt: null, needRequest: true};
  const original = w.fetch.bind(w);
  w.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : (input && input.url) || '';
    if (url.indexOf('_dash-update-component') < 0) return original(input, init);
    b.pending++; b.started++; b.readyAt = null;
    let output = '';
    try { output = JSON.parse(init.body).output; } catch (e) { output = '?'; }
    const call = {output: String(output).slice(0, 80), start: performance.now(), end: null};
    (b.log = b.log || []).push(call);
    return original(input, init).then((response) => {
      if (response.status >= 400) b.errors++;
      response.clone().arrayBuffer().then((body) => { b.bytes += body.byteLength; })
        .finally(() => { b.pending--; call.end = performance.now(); });
      return response;
    }, (error) => { b.pending--; b.errors++; throw error; });
  };
  const drawn = (graph) => {
    const plot = graph.classList.contains('js-plotly-plot') ? graph : graph.querySelector('.js-plotly-plot');
    return Boolean(plot && plot._fullLayout);
  };
  b.ready = () => {
    if (document.readyState !== 'complete' || b.pending > 0 || (b.needRequest && b.started === 0)) return false;
    const content = document.getElementById('page-content');
    if (!content || content.childElementCount === 0) return false;
    if (document.querySelector('._dash-loading, [data-dash-is-loading="true"]')) return false;
    const graphs = Array.from(document.querySelectorAll('.dash-graph')).filter((g) => g.offsetParent !== null);
    return graphs.every(drawn);
  };
  const tick = () => {
    if (!b.ready()) b.readyAt = null; else if (b.readyAt === null) b.readyAt = performance.now();
    w.requestAnimationFrame(tick);
  };
  w.requestAnimationFrame(tick);
})();
"""

STATE = """const b = window.__bench; if (!b) return null;
const calls = performance.getEntriesByType('resource').filter((e) => e.initiatorType === 'fetch'
    && !e.name.endsWith('.js') && e.startTime >= arguments[0]).map((e) => [e.startTime, e.responseEnd]);
return {readyAt: b.readyAt, started: b.started, errors: b.errors, bytes: b.bytes, now: performance.now(),
        graphs: document.querySelectorAll('.dash-graph').length, calls: calls,
        log: (b.log || []).filter((c) => c.start >= arguments[0] && c.end !== null)
          .map((c) => [c.output, Math.round(c.start - arguments[0]), Math.round(c.end - c.start)])};"""


def browser():
    """Headless Chromium with the options of the browser tests, the probe installed on every new document."""
    os.environ.setdefault("SE_AVOID_STATS", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="dsmb-bench-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1440,1000", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(TIMEOUT_S)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
    return driver, profile


def log_in(driver, url: str, password: str) -> None:
    """Log in through the real form (lands on the start page)."""
    from selenium.webdriver.common.by import By

    driver.get(url + "/login")
    driver.find_element(By.NAME, "username").send_keys(ROLE)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_ready(driver, 0.0)


def wait_ready(driver, started_at: float) -> dict:
    """Seconds from `started_at` (page clock, ms) to ready, with the callbacks and bytes seen; None on timeout."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        state = driver.execute_script(STATE, started_at)
        if state and state["readyAt"] is not None and state["now"] - state["readyAt"] >= QUIET_S * 1000:
            last_answer = max([end for _, end in state["calls"] if end <= state["readyAt"]], default=started_at)
            return {"seconds": round(max(0.0, state["readyAt"] - started_at) / 1000, 3), "callbacks": state["started"],
                    "errors": state["errors"], "kb": round(state["bytes"] / 1000, 1), "graphs": state["graphs"],
                    # where the time went: until the last callback answer, then drawing after it
                    "last_answer_s": round(max(0.0, last_answer - started_at) / 1000, 3),
                    "slowest_call_s": round(max([e - b for b, e in state["calls"]], default=0.0) / 1000, 3),
                    "calls_ms": sorted(state["log"], key=lambda c: -c[2])[:12]}   # (output, start, duration)
        time.sleep(0.05)
    return {"seconds": None, "callbacks": None, "errors": None, "kb": None, "graphs": None, "last_answer_s": None}


def open_page(driver, url: str, path: str) -> dict:
    """Navigate to `path` (a new document: the clock starts at navigation) and wait until ready."""
    driver.get(url + path)
    return wait_ready(driver, 0.0)


def tab_labels(driver) -> list[str]:
    """The tab labels of the page shown (Bootstrap nav tabs inside the page content)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('#page-content .nav-tabs .nav-link')).map(a => a.textContent);")


def open_tab(driver, index: int) -> dict:
    """Click the `index`-th tab (from the page) and wait until ready; the clock starts at the click."""
    started = driver.execute_script("""const b = window.__bench; b.needRequest = false; b.readyAt = null;
        b.started = 0; b.bytes = 0; const t = performance.now();
        document.querySelectorAll('#page-content .nav-tabs .nav-link')[arguments[0]].click(); return t;""", index)
    return wait_ready(driver, started)


def navigate(driver, path: str) -> dict:
    """Click the navigation link to `path` (client-side routing, as a user moves between pages); clock at the click."""
    started = driver.execute_script("""const b = window.__bench; b.needRequest = true; b.readyAt = null;
        b.started = 0; b.bytes = 0; const t = performance.now();
        document.querySelector('a.nav-link[href="' + arguments[0] + '"]').click(); return t;""", path)
    return wait_ready(driver, started)


def visit(driver, url: str, path: str, in_app: bool = False) -> dict[str, dict]:
    """The page (a fresh document load, or with `in_app` a click in the navigation from another page), then each
    of its tabs but the first (shown with the page), in order."""
    if in_app:
        elsewhere = next(p for p in ("/cuts", "/recruitment", "/safety") if p != path)
        navigate(driver, elsewhere)
        results = {path: navigate(driver, path)}
    else:
        results = {path: open_page(driver, url, path)}
    labels = tab_labels(driver)
    for index, label in enumerate(labels[1:], start=1):
        results[f"{path} > {label.strip()}"] = open_tab(driver, index)
    return results


def nav_paths(url: str, password: str) -> list[str]:
    """The pages the navigation offers the statistician."""
    from crawl import nav_paths as paths_in

    session = login_session(url, ROLE, password)
    return [p for p in paths_in(session.get(url + "/_dash-layout", timeout=60).json()) if p != "/"]


def measure(instance, workers: int, repeat: int, pages: list[str] | None, extra_env: dict[str, str],
            settle: float = 0.0) -> dict:
    """{page or tab: {"cold": result, "warm": result}} for one installation."""
    driver, profile = browser()
    env = app_env(instance, extra_env)
    results: dict[str, dict] = {}
    try:
        with gunicorn("bench_server:wsgi()", 8070, workers, env) as server:
            log_in(driver, server.url, instance.passwords[ROLE])
            paths = pages or nav_paths(server.url, instance.passwords[ROLE])
        for path in paths:
            with gunicorn("bench_server:wsgi()", 8070, workers, env) as server:   # fresh workers: cold
                if settle < 0:   # until every worker has warmed the cut (DSMB_WARM=1)
                    print(f"  (workers warmed in {server.wait_warmed(workers, 1800):.0f} s)", flush=True)
                else:
                    time.sleep(settle)   # time the workers have to themselves first
                for name, result in visit(driver, server.url, path).items():
                    results[name] = {"cold": result}
                warm_runs = [visit(driver, server.url, path, in_app=True) for _ in range(repeat)]
            for name in results:
                if name.split(" > ")[0] == path:
                    results[name]["warm"] = _median(run.get(name) for run in warm_runs)
            _print_page(results, path)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    return results


def _median(runs) -> dict:
    runs = [r for r in runs if r and r["seconds"] is not None]
    if not runs:
        return {"seconds": None}
    middle = sorted(runs, key=lambda r: r["seconds"])[len(runs) // 2]
    return {**middle, "seconds": round(statistics.median(r["seconds"] for r in runs), 3),
            "all": [r["seconds"] for r in runs]}


def _fmt(value) -> str:
    return f"{value:7.2f}" if isinstance(value, (int, float)) else f"{'-':>7}"


def _print_page(results: dict, path: str) -> None:
    for name, result in results.items():
        if name.split(" > ")[0] == path:
            cold, warm = result.get("cold", {}), result.get("warm", {})
            print(f"  {name:<48} {_fmt(cold.get('seconds'))} {_fmt(warm.get('seconds'))} "
                  f"{_fmt(warm.get('last_answer_s'))} {_fmt(warm.get('slowest_call_s'))} "
                  f"{cold.get('callbacks') or 0:>5} {warm.get('kb') or 0:>9} {cold.get('errors') or 0:>4}", flush=True)


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # so that gunicorn and Chromium are stopped too
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, nargs="*", default=[29, 5000])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2, help="warm visits per page (median reported)")
    parser.add_argument("--pages", nargs="*", help="only these paths (default: every page in the navigation)")
    parser.add_argument("--keep", type=Path, default=Path(tempfile.gettempdir()) / "dsmb-bench",
                        help="where the installations are kept between runs")
    parser.add_argument("--env", nargs="*", default=[], help="extra NAME=VALUE for the app (e.g. DSMB_WARM=0)")
    parser.add_argument("--settle", type=float, default=0.0,
                        help="seconds between a fresh server's start and the cold visit; -1: until warmed")
    parser.add_argument("--tag", default="", help="suffix of the JSON file name")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.env)
    for subjects in args.subjects:
        instance = bench_instance(subjects, args.keep / f"s{subjects}")
        cold_target, warm_target = TARGETS.get(subjects, (None, None))
        print(f"\n{subjects} subjects, {args.workers} workers, {ROLE}; targets cold {cold_target} s, warm "
              f"{warm_target} s")
        print(f"  {'page / tab':<48} {'cold s':>7} {'warm s':>7} {'answer':>7} {'slowest':>7} {'calls':>5} "
              f"{'warm KB':>9} {'err':>4}   (answer: warm, last callback answered; slowest: warm, one callback)")
        results = measure(instance, args.workers, args.repeat, args.pages, extra, args.settle)
        path = write_json(f"pages-{subjects}{args.tag}.json", {
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "subjects": subjects,
            "workers": args.workers, "role": ROLE, "repeat": args.repeat, "env": extra, "settle_s": args.settle,
            "load_average": os.getloadavg(), "targets": {"cold_s": cold_target, "warm_s": warm_target},
            "results": results})
        print(f"  -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
