"""Meeting pack page callbacks: builds run in the background (dashboard/pack/jobs.py), the page polls their state.

The open pack is pooled: one per cut, built at the blinded level whoever asks, stored under
`<instance>/open-packs/<cut>/` and served to every role that may open the page. A closed pack is per user (its
watermark names the user): written only under `<instance>/packs/<user>/closed/` (each level mode 0700, never a
shared cache) and served only by `/pack/file/closed`, which reads the logged-in user's own folder and checks on
every request that the user still sees arms at the access the pack was built with. Every build and every download
is an audit event; the checksum of a closed file is closed detail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import shutil
from pathlib import Path

import dash
import flask
from dash import Input, Output, html
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard import audit, db
from dashboard.blinding import Access
from dashboard.context import (NoActiveCut, current_access, current_cut_id, current_trial_data, data_root,
                               trial_config, user_may)
from dashboard.guard import guarded_callback
from dashboard.pack import build, jobs
from dashboard.permissions import Permission
from layouts import pack as ids
from layouts.common import notice

OPEN_PACKS = "open-packs"
INLINE = "DSMB_PACK_INLINE_BUILDS"  # app setting: build within the request (default: only in a TESTING app, so that
                                    # the leak crawls, which click every button, see the same state on both twins)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def pack_folder(instance_path: str | Path, username: str, kind: str) -> Path:
    """`<instance>/packs/<user>/<kind>/`: named from the logged-in user, never from the request."""
    return Path(instance_path) / "packs" / _safe(username) / kind


def open_folder(instance_path: str | Path, cut_id: str) -> Path:
    """`<instance>/open-packs/<cut>/`: the pooled open pack of a cut, the same for every user."""
    return Path(instance_path) / OPEN_PACKS / _safe(cut_id)


def private_folder(folder: Path, levels: int = 3) -> Path:
    """Create `folder` and its `levels - 1` parents, each readable by the service account only."""
    for level in [*reversed(folder.parents[:levels - 1]), folder]:
        level.mkdir(mode=0o700, exist_ok=True)
        level.chmod(0o700)
    return folder


def _target(kind: str, cut_id: str) -> tuple[tuple[str, ...], Path]:
    """The build key and the folder of the pack: the cut's pooled open pack, or the user's closed pack."""
    instance = flask.current_app.instance_path
    if kind == "open":
        return ("open", instance, cut_id), open_folder(instance, cut_id)
    return ("closed", instance, current_user.username), pack_folder(instance, current_user.username, "closed")


def _work(access: Access, cut_id: str, cut_date: str, target: Path):
    """The build as a function for the background thread (everything it needs read here, in the request)."""
    app, config, root = flask.current_app._get_current_object(), trial_config(), data_root()
    user, url = current_user.username, db.database_url()

    def work() -> None:
        with app.app_context():
            staging = jobs.staging_folder(target)
            try:
                build.build_all(cut_id, [(access, staging)], config=config, root=root, user=user, database_url=url)
                jobs.write_record(staging, access=access.value, cut_id=cut_id, cut_date=cut_date, user=user,
                                  built_at=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"))
                jobs.replace_folder(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)      # only left when the build failed

    return work


def _start(kind: str) -> object:
    """Start the build of the open pack of the active cut, or of the user's closed pack; never waits for it."""
    access = current_access() if kind == "closed" else Access.BLINDED
    if kind == "closed" and not access.sees_arms:
        return notice("The closed pack is built only for roles that see arms.", "danger")
    try:
        data = current_trial_data()
    except NoActiveCut:
        return notice("No data cut has been loaded yet.", "secondary")
    key, target = _target(kind, data.cut.cut_id)
    # open-packs/ or packs/ and packs/<user>/: private; the pack's own folder comes from its staging folder
    private_folder(target.parent, levels=len(target.relative_to(flask.current_app.instance_path).parts) - 1)
    app = flask.current_app
    inline = bool(app.config.get(INLINE, app.testing))
    job, started = jobs.JOBS.start(jobs.Job(key, kind, data.cut.cut_id, current_user.username),
                                   _work(access, data.cut.cut_id, data.cut.cut_date, target), inline=inline)
    if inline:
        return notice(job.message, "danger") if job.state == "failed" else notice(
            f"{kind.capitalize()} pack of cut {data.cut.cut_date} built; download it below.", "success")
    if not started:
        return notice(f"The {kind} pack of this cut is already being built (asked by {job.user}); its state is "
                      "shown below.", "info")
    return notice(f"Building the {kind} pack of cut {data.cut.cut_date} (asked at {job.started:%H:%M} UTC); its "
                  "state is shown below.", "info")


def _state(kind: str, cut_id: str) -> tuple[list, bool]:
    """What the page shows of one pack (state, facts, download link) and whether its build is running."""
    key, target = _target(kind, cut_id)
    job, record = jobs.JOBS.get(key), jobs.read_record(target)
    running = job is not None and job.state == "running"
    shown: list = [html.H6(f"{kind.capitalize()} pack", className="mt-2")]
    if running:
        shown.append(notice(f"Being built (asked by {job.user} at {job.started:%H:%M} UTC) …", "info"))
    elif job is not None and job.state == "failed":
        shown.append(notice(job.message, "danger"))
    if record is None:
        if not running:
            shown.append(html.P("Not built yet for this cut.", className="text-muted"))
        return shown, running
    other_cut = "" if record["cut_id"] == cut_id else " (not the active cut)"
    shown += [html.P(f"Cut {record['cut_date']}{other_cut}, built {record.get('built_at', '')} (asked by "
                     f"{record.get('user', '')}).", className="mb-1"),
              html.A(f"Download {kind} pack", href=f"{ids.FILE_ROUTE}/{kind}",
                     className=f"btn btn-outline-{'danger' if kind == 'closed' else 'secondary'} mb-2")]
    return shown, running


def _states() -> tuple[list, bool]:
    """The open pack's state, and the closed one's for a user who sees arms."""
    cut_id = current_cut_id()
    if cut_id is None:
        return [notice("No data cut has been loaded yet.", "secondary")], False
    shown, running = _state("open", cut_id)
    if current_access().sees_arms:
        closed, closed_running = _state("closed", cut_id)
        shown, running = shown + closed, running or closed_running
    return shown, running


def _refused(status: int, text: str) -> flask.Response:
    return flask.Response(text, status=status, mimetype="text/plain", headers={"Cache-Control": "no-store"})


def _pack_to_serve(kind: str) -> tuple[Path, dict[str, str]] | flask.Response:
    """The PDF and record this user may download now, or the refusal."""
    if kind not in ("open", "closed"):
        return _refused(404, "No such pack.")
    if not current_user.is_authenticated or not user_may(Permission.VIEW_SAFETY):
        return _refused(403, "Not allowed.")
    if kind == "closed" and not current_access().sees_arms:
        return _refused(403, "The closed pack is only for roles that see arms.")
    cut_id = current_cut_id()
    if cut_id is None:
        return _refused(404, "No data cut has been loaded yet.")
    _, folder = _target(kind, cut_id)
    record = jobs.read_record(folder)
    if record is None or not (folder / f"{kind}.pdf").exists():
        return _refused(404, f"Build the {kind} pack first.")
    expected = current_access().value if kind == "closed" else Access.BLINDED.value
    if record["access"] != expected:
        return _refused(403, "This pack was built at another access level; build it again.")
    return folder / f"{kind}.pdf", record


def serve_pack(kind: str) -> flask.Response:
    """GET /pack/file/<kind>: the active cut's open pack, or the user's own closed pack while the user sees arms
    at the access it was built with; authorized on every request, every download an audit event."""
    found = _pack_to_serve(kind)
    if isinstance(found, flask.Response):
        return found
    pdf, record = found
    content = pdf.read_bytes()
    audit.record("pack_download", username=current_user.username, cut_id=record["cut_id"],
                 detail={"file": pdf.name, "access": record["access"],
                         "sha256": hashlib.sha256(content).hexdigest()})
    name = f"{trial_config().study_id}_{record['cut_date']}_{kind.upper()}_meeting_pack.pdf"
    response = flask.send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True,
                               download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app: dash.Dash) -> None:
    @guarded_callback(app, Permission.VIEW_SAFETY, Output(ids.NOTE, "children"),
                      Output(ids.POLL, "disabled", allow_duplicate=True),
                      Input(ids.BUILD_OPEN, "n_clicks"), Input(ids.BUILD_CLOSED, "n_clicks"),
                      prevent_initial_call=True, audit_view="pack:build")
    def build_pack(open_clicks, closed_clicks):
        closed = dash.ctx.triggered_id == ids.BUILD_CLOSED
        if not (closed_clicks if closed else open_clicks):     # only a real click builds (never a page render)
            raise PreventUpdate
        return _start("closed" if closed else "open"), False

    @guarded_callback(app, Permission.VIEW_SAFETY, Output(ids.STATUS, "children"), Output(ids.POLL, "disabled"),
                      Input(ids.POLL, "n_intervals"))
    def pack_state(_ticks):
        shown, running = _states()
        return shown, not running

    app.server.add_url_rule(f"{ids.FILE_ROUTE}/<kind>", "pack_file", serve_pack, methods=["GET"])
