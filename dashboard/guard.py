"""Server-side authorization of every Dash callback.

`guarded_callback` registers a callback together with the permission it needs. A Flask
`before_request` hook checks that permission for every POST to `/_dash-update-component`
before Dash runs anything; a callback without a declared permission is refused (deny by
default). The wrapper checks again, and records a closed-data view in the audit trail when the
user's access is not blinded: that it happened is open, what was asked is closed detail.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import dash
import flask
from flask_login import current_user

from dashboard import audit
from dashboard.context import current_access, current_cut_id, user_may
from dashboard.permissions import Permission

PERMISSIONS_KEY = "DSMB_CALLBACK_PERMISSIONS"


class Forbidden(PermissionError):
    """The logged-in user may not call this callback."""


def callback_permissions(app: dash.Dash) -> dict[str, Permission]:
    """Output key (as in /_dash-dependencies) -> permission, for every guarded callback."""
    return app.server.config.setdefault(PERMISSIONS_KEY, {})


def guarded_callback(app: dash.Dash, permission: Permission, *args: Any, audit_view: str | None = None,
                     **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`app.callback(*args, **kwargs)` that requires `permission` of the logged-in user.

    `audit_view` names the view for the audit trail; calls by a user who sees arms are logged.
    """

    def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def authorized(*a: Any, **k: Any) -> Any:
            if not current_user.is_authenticated or not user_may(permission):
                raise Forbidden(permission.value)
            if audit_view and current_access().sees_arms:
                record_closed_view(audit_view, a)
            return fn(*a, **k)

        before = set(app.callback_map)
        registered = app.callback(*args, **kwargs)(authorized)
        for key in set(app.callback_map) - before:
            callback_permissions(app)[key] = permission
        return registered

    return decorator


AUDITED_INPUT_CHARS = 2000


def record_closed_view(view: str, args: tuple[Any, ...]) -> None:
    """One `closed_view` row per request, written before the callback runs (so whether a row exists never
    depends on the data: a callback that stops early is recorded as well). Which display, who, when and which
    cut are open; what was asked (search text, filters, rows clicked) is closed detail, read only with
    unblinded access (`dashboard.audit.split_detail`, `permissions.may_read_closed_detail`). A view that
    cannot be recorded is not served."""
    access = current_access().value
    audit.record("closed_view", username=current_user.username, cut_id=current_cut_id(),
                 detail={"view": view, "access": access, "inputs": _inputs_summary(args)}, closed=True)


def _auditable(value: Any) -> Any:
    """What a closed-view request asked for, compact: rows of a listing reduced to their subject id."""
    if isinstance(value, str):
        return value[:200]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, dict):
        return {"USUBJID": value["USUBJID"]} if "USUBJID" in value else "<object>"
    if isinstance(value, (list, tuple)):
        return [_auditable(v) for v in value[:5]] + (["…"] if len(value) > 5 else [])
    return f"<{type(value).__name__}>"


def _inputs_summary(args: tuple[Any, ...]) -> str:
    """The callback's inputs as compact JSON for the closed detail of the audit row, capped in length."""
    text = json.dumps([_auditable(a) for a in args], separators=(",", ":"), ensure_ascii=False)
    return text if len(text) <= AUDITED_INPUT_CHARS else text[:AUDITED_INPUT_CHARS] + "…"


# Bounds of a callback request, far above what any page sends (its largest body, the outcome options, is a few
# KiB; the longest list a site filter) and far below what grows a worker: one 70,000-value filter posted 30
# times grew one by 180 MiB. Refused before Dash parses anything: 413 for the body, 400 for its values.
MAX_CALLBACK_BODY = 256 * 1024      # bytes (the meeting form: five text fields of up to 20,000 characters)
MAX_LIST_ITEMS = 1000               # items of any list (a multi-select's values, selected rows)
MAX_STRING_CHARS = 20_000           # characters of any string (search text, ids, a field of meeting minutes)
MAX_OBJECT_KEYS = 200               # keys of any object (a selected row)
MAX_DEPTH = 12                      # nesting of lists and objects


def input_bounds_problem(value: Any, depth: int = 0) -> str | None:
    """What exceeds the bounds of a callback request in `value` (its parsed JSON body), or None."""
    if depth > MAX_DEPTH:
        return "nested too deeply"
    if isinstance(value, str):
        return f"a text longer than {MAX_STRING_CHARS} characters" if len(value) > MAX_STRING_CHARS else None
    if isinstance(value, list):
        if len(value) > MAX_LIST_ITEMS:
            return f"a list of more than {MAX_LIST_ITEMS} items"
        return next((p for p in (input_bounds_problem(v, depth + 1) for v in value) if p), None)
    if isinstance(value, dict):
        if len(value) > MAX_OBJECT_KEYS:
            return f"an object of more than {MAX_OBJECT_KEYS} keys"
        return next((p for p in (input_bounds_problem(v, depth + 1) for v in (*value.keys(), *value.values()))
                     if p), None)
    return None


def _oversized(request: flask.Request) -> bool:
    """Whether the body is over MAX_CALLBACK_BODY, by its declared length or (chunked) by what arrives."""
    if request.content_length is not None and request.content_length > MAX_CALLBACK_BODY:
        return True
    return len(request.get_data(cache=True)) > MAX_CALLBACK_BODY


def _requested_output(body: dict[str, Any]) -> str | None:
    output = body.get("output")
    return output if isinstance(output, str) else None


def install_callback_authorization(app: dash.Dash) -> None:
    """Refuse `/_dash-update-component` calls the current user may not make (401 / 403)."""
    prefix = app.config.routes_pathname_prefix.rstrip("/")

    @app.server.before_request
    def authorize_dash_callback() -> Any:
        if flask.request.path != f"{prefix}/_dash-update-component":
            return None
        if not current_user.is_authenticated:
            return flask.Response("Log in first.", status=401, mimetype="text/plain")
        if _oversized(flask.request):
            return flask.Response("Callback request too large.", status=413, mimetype="text/plain")
        try:
            body = json.loads(flask.request.get_data(cache=True) or b"{}")
        except ValueError:
            return flask.Response("Malformed callback request.", status=400, mimetype="text/plain")
        problem = input_bounds_problem(body)
        if problem or not isinstance(body, dict):
            return flask.Response(f"Callback request refused: {problem or 'not an object'}.", status=400,
                                  mimetype="text/plain")
        permission = callback_permissions(app).get(_requested_output(body) or "")
        if permission is None or not user_may(permission):
            return flask.Response("Not permitted.", status=403, mimetype="text/plain")
        return None

    @app.server.errorhandler(Forbidden)
    def forbidden(_exc: Forbidden) -> flask.Response:
        return flask.Response("Not permitted.", status=403, mimetype="text/plain")
