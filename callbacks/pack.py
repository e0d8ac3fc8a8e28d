"""Meeting pack page callbacks: build into a private folder of the user, download through a guarded callback.

The closed pack is written only under `<instance>/packs/<user>/closed/` (mode 0700, never a shared cache) and
served only by `/pack/file/<kind>`, which reads the logged-in user's own folder and checks on every request that
the user still sees arms at the access the pack was built with. Every build and every download is an audit event; the checksum of
a closed file is closed detail.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from pathlib import Path

import dash
import flask
from dash import Input, Output
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard import audit, cuts, db
from dashboard.blinding import Access
from dashboard.context import (NoActiveCut, current_access, current_trial_data, data_root, trial_config,
                               user_may)
from dashboard.guard import guarded_callback
from dashboard.pack import build
from dashboard.permissions import Permission
from layouts import pack as ids
from layouts.common import notice

log = logging.getLogger(__name__)
RECORD = "built.json"


def pack_folder(instance_path: str | Path, username: str, kind: str) -> Path:
    """`<instance>/packs/<user>/<kind>/`: named from the logged-in user, never from the request."""
    return Path(instance_path) / "packs" / re.sub(r"[^A-Za-z0-9_.-]", "_", username) / kind


def private_folder(folder: Path) -> Path:
    """Create `folder` (and packs/, packs/<user>/), each level readable by the service account only."""
    for level in (folder.parent.parent, folder.parent, folder):
        level.mkdir(mode=0o700, exist_ok=True)
        level.chmod(0o700)
    return folder


def _folder(kind: str) -> Path:
    return pack_folder(flask.current_app.instance_path, current_user.username, kind)


def _build(kind: str) -> object:
    """Build the user's pack of the active cut; the closed one only at an access that sees arms."""
    access = current_access() if kind == "closed" else Access.BLINDED
    if kind == "closed" and not access.sees_arms:
        return notice("The closed pack is built only for roles that see arms.", "danger")
    try:
        data = current_trial_data()
    except NoActiveCut:
        return notice("No data cut has been loaded yet.", "secondary")
    folder = private_folder(_folder(kind))
    # the record goes first and comes back only with a finished build: a failed rebuild (after an unmask, say)
    # can never leave a new PDF under an old record's access level
    (folder / RECORD).unlink(missing_ok=True)
    try:
        [pack] = build.build_all(data.cut.cut_id, [(access, folder)], config=trial_config(), root=data_root(),
                                 user=current_user.username, database_url=db.database_url())
    except cuts.CutError as exc:
        return notice(f"The pack could not be built: {cuts.refusal_reason(exc)}.", "danger")
    except Exception:   # noqa: BLE001 - a failed build (no Chromium, a full disk) is logged, never shown raw
        log.exception("pack build failed")
        return notice("The pack could not be built; the error is in the server log.", "danger")
    (folder / RECORD).write_text(json.dumps({"access": access.value, "cut_id": data.cut.cut_id,
                                             "cut_date": data.cut.cut_date}), encoding="utf-8")
    return notice(f"{kind.capitalize()} pack of cut {data.cut.cut_date} built. Download it with the link above.",
                  "success")


def _refused(status: int, text: str) -> flask.Response:
    return flask.Response(text, status=status, mimetype="text/plain", headers={"Cache-Control": "no-store"})


def serve_pack(kind: str) -> flask.Response:
    """GET /pack/file/<kind>: the user's own pack, authorized on every request; the closed one only while the
    user sees arms at the access it was built with. Every download is an audit event."""
    if kind not in ("open", "closed"):
        return _refused(404, "No such pack.")
    if not current_user.is_authenticated or not user_may(Permission.VIEW_SAFETY):
        return _refused(403, "Not allowed.")
    if kind == "closed" and not current_access().sees_arms:
        return _refused(403, "The closed pack is only for roles that see arms.")
    folder = _folder(kind)
    pdf, record = folder / f"{kind}.pdf", folder / RECORD
    if not pdf.exists() or not record.exists():
        return _refused(404, f"Build the {kind} pack first.")
    try:
        built = json.loads(record.read_text(encoding="utf-8"))
        built_access, cut_id, cut_date = built["access"], built["cut_id"], built["cut_date"]
    except (ValueError, KeyError, TypeError):
        return _refused(404, f"Build the {kind} pack again.")
    if kind == "closed" and built_access != current_access().value:
        return _refused(403, "This closed pack was built at another access level; build it again.")
    content = pdf.read_bytes()
    audit.record("pack_download", username=current_user.username, cut_id=cut_id,
                 detail={"file": pdf.name, "access": built_access, "sha256": hashlib.sha256(content).hexdigest()})
    name = f"{trial_config().study_id}_{cut_date}_{kind.upper()}_meeting_pack.pdf"
    response = flask.send_file(io.BytesIO(content), mimetype="application/pdf", as_attachment=True,
                               download_name=name)
    response.headers["Cache-Control"] = "no-store"
    return response


def register(app: dash.Dash) -> None:
    @guarded_callback(app, Permission.VIEW_SAFETY, Output(ids.STATUS, "children"),
                      Input(ids.BUILD_OPEN, "n_clicks"), Input(ids.BUILD_CLOSED, "n_clicks"),
                      prevent_initial_call=True, audit_view="pack:build")
    def build_pack(open_clicks, closed_clicks):
        closed = dash.ctx.triggered_id == ids.BUILD_CLOSED
        if not (closed_clicks if closed else open_clicks):     # only a real click builds (never a page render)
            raise PreventUpdate
        return _build("closed" if closed else "open")

    app.server.add_url_rule(f"{ids.FILE_ROUTE}/<kind>", "pack_file", serve_pack, methods=["GET"])
