"""Shell callbacks: the page router and the board's unmask action."""

from __future__ import annotations

import logging
import unicodedata

import flask
from dash import Input, Output, State, no_update
from dash.development.base_component import Component
from flask_login import current_user

from dashboard import audit, cuts
from dashboard.auth.views import safe_next
from dashboard.context import (
    UNMASK_SESSION_KEY, NoActiveCut, current_cut_id, current_trial_data, current_view_context, user_may,
)
from dashboard.guard import guarded_callback
from dashboard.pages import page_for
from dashboard.permissions import Permission
from layouts import shell
from layouts.common import notice

MIN_REASON_LENGTH = 10
MAX_REASON_LENGTH = 500  # as the dialog's textarea allows; a longer post is cut, not stored whole
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})
BLANK_LOOKING = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")  # letters and symbols that render blank
REFUSED_SESSION_KEY = "dsmb_refused_cut"
log = logging.getLogger(__name__)


def refused_cut_notice() -> Component | None:
    """None while the active cut reads back exactly as it was written (or none is loaded); otherwise a page-wide
    notice, so a damaged cut shows as refused and never as a page of empty tables ("no SAEs"). Recorded."""
    try:
        current_trial_data()
    except NoActiveCut:
        return None
    except (cuts.CutError, OSError) as exc:        # changed, missing or unreadable files of the active cut
        cut_id = current_cut_id()
        log.error("active cut %s refused: %s", cut_id, exc)
        if flask.session.get(REFUSED_SESSION_KEY) != cut_id:       # one audit row per session and cut
            audit.record("cut_refused", username=current_user.username, cut_id=cut_id, detail={"reason": str(exc)})
            flask.session[REFUSED_SESSION_KEY] = cut_id
        return notice(f"The active data cut is not shown: {cuts.refusal_reason(exc)}. Nothing of it is served "
                      "until the statistician loads the export again as a new cut or makes an earlier cut active again "
                      "(python -m dashboard cuts activate).", "danger")
    return None


def visible_length(text: str) -> int:
    """Characters that show: not blanks, zero-width or other format characters, nor combining marks."""
    return sum(1 for c in text if not c.isspace() and c not in BLANK_LOOKING
               and unicodedata.category(c) not in INVISIBLE_CATEGORIES)


def unmask_target(pathname: object) -> str:
    """Where to go after unmasking: the page the board was on, if it is a same-site path; else '/'."""
    return safe_next(pathname) if isinstance(pathname, str) else "/"


def register(app) -> None:
    @guarded_callback(app, Permission.AUTHENTICATED,
                      Output(shell.PAGE_CONTENT, "children"), Input(shell.URL, "pathname"))
    def route(pathname):
        page = page_for(pathname)
        if page is None:
            return notice("There is no such page.", "secondary")
        if not user_may(page.permission):
            return notice("Your role does not give access to this page.", "danger")
        refused = refused_cut_notice() if page.reads_trial_data else None
        return refused or page.layout(current_view_context())

    @guarded_callback(app, Permission.UNMASK,
                      Output(shell.UNMASK_MODAL, "is_open"), Input(shell.UNMASK_OPEN, "n_clicks"),
                      prevent_initial_call=True)
    def open_unmask_dialog(n_clicks):
        return bool(n_clicks)

    @guarded_callback(app, Permission.UNMASK,
                      Output(shell.UNMASK_FEEDBACK, "children"), Output(shell.UNMASK_REDIRECT, "href"),
                      Input(shell.UNMASK_CONFIRM, "n_clicks"), State(shell.UNMASK_REASON, "value"),
                      State(shell.URL, "pathname"), prevent_initial_call=True)
    def unmask(n_clicks, reason, pathname):
        reason = reason.strip()[:MAX_REASON_LENGTH] if isinstance(reason, str) else ""
        if visible_length(reason) < MIN_REASON_LENGTH:
            return f"Give a reason of at least {MIN_REASON_LENGTH} visible characters.", no_update
        # the audit row first: an unmask that cannot be recorded does not happen. The reason is closed
        # detail (board members cite closed results): the administrator sees only that an unmask happened.
        audit.record("unmask", username=current_user.username, cut_id=current_cut_id(),
                     detail={"reason": reason}, closed=True)
        flask.session[UNMASK_SESSION_KEY] = True
        return "", unmask_target(pathname)
