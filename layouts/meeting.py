"""Meetings page: the board's records (recommendation, minutes, attendance, action items, signatures), the letter
to the sponsor, and, for the board and the statistician, the form to record, amend, sign and resolve.
No data, no I/O here: the closed minutes arrive only through callbacks that check the reader's access."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.context import ViewContext
from dashboard.meeting.entry import MAX_TEXT, MEANINGS, RECOMMENDATIONS
from dashboard.permissions import Permission
from layouts.common import page_header

# board members read the closed minutes with coded arms: a real arm name written here would reveal the code
CODED_HINT = "Name arms by their coded labels, as the board sees them, never by their real names."

TRIGGER, SELECT, RECORD, SHOWN = "meeting-trigger", "meeting-select", "meeting-record", "meeting-shown"
SAVED, SIGNED, RESOLVED = "meeting-saved", "meeting-signed", "meeting-resolved"
SIGN_USER, SIGN_PASSWORD, SIGN_MEANING = "meeting-sign-user", "meeting-sign-password", "meeting-sign-meaning"
SIGN_BUTTON, SIGN_STATUS = "meeting-sign", "meeting-sign-status"
LETTER_BUTTON, LETTER_DOWNLOAD, LETTER_STATUS = "meeting-letter", "meeting-letter-download", "meeting-letter-status"
F_DATE, F_CUTS, F_RECOMMENDATION, F_RATIONALE = "meeting-f-date", "meeting-f-cuts", "meeting-f-rec", "meeting-f-why"
F_OPEN, F_CLOSED, F_ATTENDANCE = "meeting-f-open", "meeting-f-closed", "meeting-f-attendance"
F_OPEN_ITEMS, F_CLOSED_ITEMS = "meeting-f-open-items", "meeting-f-closed-items"
F_AMENDS, F_REASON, F_MODE = "meeting-f-amends", "meeting-f-reason", "meeting-f-mode"
NEW_BUTTON, AMEND_BUTTON, SAVE_BUTTON, SAVE_STATUS = "meeting-new", "meeting-amend", "meeting-save", "meeting-saved-msg"
ITEM_SELECT, ITEM_TEXT, RESOLVE_BUTTON, RESOLVE_STATUS = ("meeting-item", "meeting-item-text", "meeting-resolve",
                                                          "meeting-resolve-status")
FORM_TEXTS = (F_RATIONALE, F_OPEN, F_CLOSED, F_ATTENDANCE, F_OPEN_ITEMS, F_CLOSED_ITEMS)


def closed_stamp() -> Component:
    """The stamp every closed part carries."""
    return dbc.Badge("CLOSED", color="danger", className="ms-2 align-middle closed-stamp")


def _card(title: Component | str, body: list[Component], closed: bool = False) -> Component:
    header = html.Span([title, closed_stamp()] if closed else [title], className="fw-semibold")
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(body)],
                    className="mb-3 shadow-sm" + (" border-danger" if closed else ""))


def _text(component_id: str, label: str, rows: int, hint: str = "") -> Component:
    return html.Div([dbc.Label(label, html_for=component_id, className="mb-0 fw-semibold"),
                     html.Div(hint, className="small text-muted") if hint else None,
                     dbc.Textarea(id=component_id, rows=rows, maxLength=MAX_TEXT, className="mb-2")])


def _sign_card() -> Component:
    meanings = [{"label": f" {label}", "value": value} for value, label in MEANINGS.items()]
    return _card("Sign the record shown", [
        html.Div("Signing re-enters both parts of your signature, user name and password. The signature shows "
                 "your printed name, the date and time (UTC) and its meaning; it is bound to this exact version.",
                 className="small text-muted mb-2"),
        dbc.Row([dbc.Col(dbc.Input(id=SIGN_USER, placeholder="User name", autoComplete="off"), md=3),
                 dbc.Col(dbc.Input(id=SIGN_PASSWORD, type="password", placeholder="Password",
                                   autoComplete="current-password"), md=3),
                 dbc.Col(dcc.RadioItems(id=SIGN_MEANING, options=meanings, value="approved", inline=True,
                                        inputClassName="me-1", labelClassName="me-3"), md=3),
                 dbc.Col(dbc.Button("Sign", id=SIGN_BUTTON, color="primary"), md=3)], className="g-2"),
        html.Div(id=SIGN_STATUS, className="mt-2")])


def _form_card() -> Component:
    recommendations = [{"label": label, "value": value} for value, label in RECOMMENDATIONS.items()]
    return _card("Record a meeting, or amend the record shown", [
        html.Div([dbc.Button("New record", id=NEW_BUTTON, color="secondary", outline=True, className="me-2"),
                  dbc.Button("Amend the record shown", id=AMEND_BUTTON, color="secondary", outline=True)],
                 className="mb-2"),
        html.Div("New record", id=F_MODE, className="fw-semibold mb-2"), dcc.Store(id=F_AMENDS),
        dbc.Row([dbc.Col([dbc.Label("Meeting date", html_for=F_DATE, className="fw-semibold mb-0"),
                          dbc.Input(id=F_DATE, type="date")], md=3),
                 dbc.Col([dbc.Label("Cuts reviewed", html_for=F_CUTS, className="fw-semibold mb-0"),
                          dcc.Dropdown(id=F_CUTS, multi=True)], md=5),
                 dbc.Col([dbc.Label("Recommendation", html_for=F_RECOMMENDATION, className="fw-semibold mb-0"),
                          dcc.Dropdown(id=F_RECOMMENDATION, options=recommendations)], md=4)], className="mb-2"),
        _text(F_RATIONALE, "Rationale (open: goes to the sponsor)", 3, "No by-arm result here."),
        _text(F_OPEN, "Open session minutes (open: investigators, administrators, the sponsor letter)", 5),
        html.Div([dbc.Label(["Closed session minutes", closed_stamp()], html_for=F_CLOSED, className="fw-semibold"),
                  html.Div(CODED_HINT, className="small text-muted"),
                  dbc.Textarea(id=F_CLOSED, rows=5, maxLength=MAX_TEXT, className="mb-2 border-danger")]),
        _text(F_ATTENDANCE, "Attendance", 3, "One per line: name | capacity | sessions (e.g. open and closed)."),
        _text(F_OPEN_ITEMS, "Open action items", 3, "One per line: action | owner | due (YYYY-MM-DD)."),
        html.Div([dbc.Label(["Closed action items", closed_stamp()], html_for=F_CLOSED_ITEMS, className="fw-semibold"),
                  dbc.Textarea(id=F_CLOSED_ITEMS, rows=2, maxLength=MAX_TEXT, className="mb-2 border-danger")]),
        dbc.Input(id=F_REASON, placeholder="Reason for the amendment (required for an amendment)", className="mb-2"),
        dbc.Button("Save (a saved version is never edited; corrections are amendments)", id=SAVE_BUTTON,
                   color="danger"),
        dcc.Loading(html.Div(id=SAVE_STATUS, className="mt-2"))])


def _resolve_card() -> Component:
    return _card("Resolve an action item of the record shown", [
        dbc.Row([dbc.Col(dcc.Dropdown(id=ITEM_SELECT, placeholder="Action item"), md=4),
                 dbc.Col(dbc.Input(id=ITEM_TEXT, placeholder="How it was resolved"), md=6),
                 dbc.Col(dbc.Button("Record resolution", id=RESOLVE_BUTTON, color="secondary"), md=2)],
                className="g-2"),
        html.Div(id=RESOLVE_STATUS, className="mt-2")])


def layout(ctx: ViewContext) -> Component:
    """Everyone: the records' open part and the sponsor letter. Board and statistician: closed parts, the form."""
    parts = [page_header("Meetings", ctx, "the board's recommendations, minutes and signatures"),
             dcc.Store(id=TRIGGER, data=0), dcc.Store(id=SHOWN), dcc.Store(id=SAVED), dcc.Store(id=SIGNED),
             dcc.Store(id=RESOLVED),
             _card("Meeting records", [dcc.Dropdown(id=SELECT, placeholder="Choose a meeting", clearable=False,
                                                    className="mb-3"),
                                       dcc.Loading(html.Div(id=RECORD), type="dot", delay_show=300)]),
             _card("Letter to the sponsor", [
                 html.Div("The open part only: recommendation, rationale, open minutes, attendance, open action "
                          "items and signatures. Never the closed minutes.", className="small text-muted mb-2"),
                 dbc.Button("Download the letter (PDF)", id=LETTER_BUTTON, color="primary", outline=True),
                 dcc.Download(id=LETTER_DOWNLOAD), dcc.Loading(html.Div(id=LETTER_STATUS, className="mt-2"))])]
    if Permission.SIGN_MEETINGS in ctx.permissions:
        parts.append(_sign_card())
    if Permission.RECORD_MEETINGS in ctx.permissions:
        parts += [_resolve_card(), _form_card()]
    return html.Div(parts)
