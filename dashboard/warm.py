"""Warm a cut's caches in the background of each worker, so the first board member to open a page does not pay.

When a worker first meets an active cut (`dashboard.context.current_cut_id`), one daemon thread computes every
catalogue view's default outputs (the control values its page's layout starts with), and every display's
readiness badge, at each access level:
blinded (as the investigator), coded (as the board) and unblinded (as the statistician). Each result lands in
the trial-data object of that level (`dashboard.memo`, `dashboard.blinding.trial_data`), exactly as a request of
that level would have left it, so nothing crosses access levels. Nothing is shown or sent to anyone: no audit
row is written (the closed-view row is written when a person opens a view, warm or not).

Off unless `DSMB_WARM=1` (environment) or the Flask config `DSMB_WARM` is true, and never under `TESTING`: a
background thread that opens sealed files would make the leak tests' sealed-file accounting meaningless.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask

from dashboard import blinding
from dashboard.blinding import Access
from dashboard.config import TrialConfig
from dashboard.permissions import Permission, Role, role_may

log = logging.getLogger(__name__)
# One role per access level: the layout it gets (its controls' starting values) and the views it may call.
# Each level fills its own trial-data cache; the first look at the sealed part no longer drops the others
# (`blinding._unchanged_since_cached`), so the order only decides which level is ready first.
ROLE_OF_ACCESS = {Access.UNBLINDED: Role.STATISTICIAN, Access.CODED: Role.DSMB, Access.BLINDED: Role.INVESTIGATOR}
_started: set[tuple[str, str, str]] = set()
_lock = threading.Lock()
last_run: dict[str, Any] = {}       # what the latest warm-up did (for the benchmark and the log)


def enabled(app: flask.Flask) -> bool:
    if app.config.get("TESTING"):
        return False
    return bool(app.config.get("DSMB_WARM")) or os.environ.get("DSMB_WARM") == "1"


def ensure_warming(cut_id: str | None) -> None:
    """Start warming `cut_id` in this worker unless already started (cheap: called on every request)."""
    if cut_id is None or not flask.has_app_context():
        return
    app = flask.current_app._get_current_object()
    config, root = app.config["DSMB_TRIAL"], app.config.get("DSMB_DATA_ROOT")
    key = (cut_id, config.study_id, str(root))
    if key in _started or not enabled(app):
        return
    with _lock:
        if key in _started:
            return
        _started.add(key)
    threading.Thread(target=_run, args=(app, cut_id, config, root), name=f"warm-{cut_id}", daemon=True).start()


def start_active(app: flask.Flask) -> None:
    """At worker start (end of `create_app`): warm the active cut at once, without waiting for a request."""
    if enabled(app):
        with app.app_context():
            from dashboard import cuts

            ensure_warming(cuts.active_cut_id(app.config.get("DSMB_DATA_ROOT")))


def _run(app: flask.Flask, cut_id: str, config: TrialConfig, root: Path | None) -> None:
    """Every view at every access level; a view that fails is logged and skipped (a request will show why)."""
    started, done, failed = time.perf_counter(), 0, []
    with app.app_context():
        for access in ROLE_OF_ACCESS:
            try:
                for view, controls in _views_with_defaults(access, cut_id, config, root):
                    try:
                        view.compute(blinding.trial_data(cut_id, access, config, root), **controls)
                        done += 1
                    except Exception as exc:  # noqa: BLE001  (best effort: a request will show why)
                        failed.append(f"{access.value} {view.key}: {type(exc).__name__}")
            except Exception as exc:  # noqa: BLE001  (a page layout or the cut itself failed: next level)
                failed.append(f"{access.value}: {type(exc).__name__}")
            done += _warm_badges(cut_id, access, config, root, failed)
    release_memory()
    last_run.update(cut_id=cut_id, views=done, failed=failed, seconds=round(time.perf_counter() - started, 2))
    log.info("warmed cut %s: %d views in %.1f s, %d failed", cut_id, done, last_run["seconds"], len(failed))


def release_memory() -> None:
    """Hand the memory freed by warming's intermediate frames back to the system (Arrow's pool, then glibc's heap);
    without it a worker keeps their peak (about 150 MB at 5,000 subjects). Nothing cached is touched."""
    import ctypes
    import ctypes.util

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    libc = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(libc), "malloc_trim", None) if libc else None
    if trim is not None:       # glibc only (musl, macOS have none: nothing to do there)
        trim(0)


def _warm_badges(cut_id: str, access: Access, config: TrialConfig, root: Path | None, failed: list[str]) -> int:
    """The readiness badge of every display (the badge callback is not a catalogue view, and at 5,000 subjects it
    was the slowest first call of a page); the same function and cache key as the callback's."""
    from callbacks.readiness import badge   # the app layer's own function, so the cache key cannot drift
    from dashboard.displays import displays

    done = 0
    for display in displays():
        if display.domains:
            try:
                badge(blinding.trial_data(cut_id, access, config, root), display)
                done += 1
            except Exception as exc:  # noqa: BLE001  (best effort, as for the views)
                failed.append(f"{access.value} badge {display.key}: {type(exc).__name__}")
    return done


def _views_with_defaults(access: Access, cut_id: str, config: TrialConfig,
                         root: Path | None) -> Iterator[tuple[Any, dict[str, Any]]]:
    """(view, its controls' starting values) for each trial-data view the level's role may call."""
    from dashboard.displays import views
    from dashboard.pages import all_pages

    role = ROLE_OF_ACCESS[access]
    permissions = frozenset(p for p in Permission if role_may(role, p, board_may_unmask=config.board_may_unmask))
    layouts = {page.path: page.layout for page in all_pages()}
    starting: dict[str, dict[tuple[str, str], Any]] = {}
    for view in views():
        if not view.reads_trial_data or view.prevent_initial_call or view.permission not in permissions:
            continue
        if view.page not in starting:
            starting[view.page] = _layout_values(layouts.get(view.page), access, role, permissions, cut_id,
                                                 config, root)
        values = starting[view.page]
        yield view, {name: values.get((c.component_id, c.prop)) for name, c in view.controls.items()}


def _layout_values(layout, access: Access, role: Role, permissions: frozenset[Permission], cut_id: str,
                   config: TrialConfig, root: Path | None) -> dict[tuple[str, str], Any]:
    """(component id, property) -> starting value, from the page layout as `role` would get it."""
    if layout is None:
        return {}
    from dashboard import cuts
    from dashboard.context import ViewContext

    data = blinding.trial_data(cut_id, access, config, root)
    ctx = ViewContext(username="", role=role.value, access=access, may_unmask=False, study_id=config.study_id,
                      study_title=config.title, target_enrollment=config.target_enrollment, cut_id=cut_id,
                      cut_date=cuts.read_manifest(cut_id, root).cut_date,
                      arm_labels=tuple(getattr(data, "arm_labels", ())), permissions=permissions,
                      coding_notice=getattr(data, "coding_notice", ""), safety_arm_basis=config.safety_arm_basis)
    values: dict[tuple[str, str], Any] = {}
    for component in layout(ctx)._traverse():
        component_id = getattr(component, "id", None)
        if isinstance(component_id, str):
            for prop in component._prop_names:
                values[(component_id, prop)] = getattr(component, prop, None)
    return values
