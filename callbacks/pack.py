"""Meeting pack page callbacks: build into a private folder of the user, download through a guarded callback.

The closed pack is written only under `<instance>/packs/<user>/closed/` (mode 0700, never a shared cache or a
static URL) and served only by the download callback, which checks on every request that the user still sees
arms at the access the pack was built with. Every build and every download is an audit event; the checksum of
a closed file is closed detail.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from pathlib import Path

import dash
import flask
from dash import Input, Output, dcc, no_update
from dash.exceptions import PreventUpdate
from flask_login import current_user

from dashboard import audit, cuts, db
from dashboard.blinding import Access
from dashboard.context import NoActiveCut, current_access, current_trial_data, data_root, trial_config
from dashboard.guard import guarded_callback
from dashboard.pack import build
from dashboard.permissions import Permission
from layouts import pack as ids
from layouts.common import notice

log = logging.getLogger(__name__)
RECORD = "built.json"


def private_folder(instance_path: str | Path, username: str, kind: str) -> Path:
    """`<instance>/packs/<user>/<kind>/`, each level readable by the service account only."""
    folder = Path(instance_path) / "packs"
    for part in (re.sub(r"[^A-Za-z0-9_.-]", "_", username), kind):
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)
        folder = folder / part
    folder.mkdir(mode=0o700, exist_ok=True)
    folder.chmod(0o700)
    return folder


def _folder(kind: str) -> Path:
    return private_folder(flask.current_app.instance_path, current_user.username, kind)


def _build(kind: str) -> object:
    """Build the user's pack of the active cut; the closed one only at an access that sees arms."""
    access = current_access() if kind == "closed" else Access.BLINDED
    if kind == "closed" and not access.sees_arms:
        return notice("The closed pack is built only for roles that see arms.", "danger")
    try:
        data = current_trial_data()
    except NoActiveCut:
        return notice("No data cut has been loaded yet.", "secondary")
    folder = _folder(kind)
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
    return notice(f"{kind.capitalize()} pack of cut {data.cut.cut_date} built ({pack.pdf.stat().st_size // 1024} "
                  "kB). Download it with the button above.", "success")


def _download(kind: str) -> tuple[object, object]:
    """The user's own pack, if it exists and (closed) the user still sees arms at the access it was built with."""
    folder = _folder(kind)
    pdf, record = folder / f"{kind}.pdf", folder / RECORD
    if not pdf.exists() or not record.exists():
        return no_update, notice(f"Build the {kind} pack first.", "secondary")
    built = json.loads(record.read_text(encoding="utf-8"))
    if kind == "closed" and (not current_access().sees_arms or built["access"] != current_access().value):
        return no_update, notice("This closed pack was built at another access level; build it again.", "danger")
    content = pdf.read_bytes()
    audit.record("pack_download", username=current_user.username, cut_id=built["cut_id"],
                 detail={"file": pdf.name, "access": built["access"], "sha256": hashlib.sha256(content).hexdigest()})
    name = f"{trial_config().study_id}_{built['cut_date']}_{kind.upper()}_meeting_pack.pdf"
    return dcc.send_bytes(content, filename=name), no_update


def register(app: dash.Dash) -> None:
    @guarded_callback(app, Permission.VIEW_SAFETY, Output(ids.STATUS, "children"),
                      Input(ids.BUILD_OPEN, "n_clicks"), Input(ids.BUILD_CLOSED, "n_clicks"),
                      prevent_initial_call=True, audit_view="pack:build")
    def build_pack(open_clicks, closed_clicks):
        closed = dash.ctx.triggered_id == ids.BUILD_CLOSED
        if not (closed_clicks if closed else open_clicks):     # only a real click builds (never a page render)
            raise PreventUpdate
        return _build("closed" if closed else "open")

    @guarded_callback(app, Permission.VIEW_SAFETY, Output(ids.DOWNLOAD, "data"),
                      Output(ids.STATUS, "children", allow_duplicate=True),
                      Input(ids.DOWNLOAD_OPEN, "n_clicks"), Input(ids.DOWNLOAD_CLOSED, "n_clicks"),
                      prevent_initial_call=True, audit_view="pack:download")
    def download_pack(open_clicks, closed_clicks):
        closed = dash.ctx.triggered_id == ids.DOWNLOAD_CLOSED
        if not (closed_clicks if closed else open_clicks):
            raise PreventUpdate
        return _download("closed" if closed else "open")
