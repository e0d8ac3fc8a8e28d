"""Meetings page over the real app and its Dash routes, for every role: recording, the open and closed parts,
signing with the password re-entered, immutability of what was written, amendments, action items, the letter."""

from __future__ import annotations

import io
import json

import pypdf
import pytest
from crawl import nav_paths
from dash_client import DashClient, callbacks_by_output, login, open_page_as, respond
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from support import BLINDED_ROLES, DEMO_EXPORTS, ROLES, make_app, make_instance

from dashboard import audit, db
from dashboard.meeting.models import MeetingImmutable, MeetingRecord, MeetingSignature
from layouts import meeting as ids

CLOSED_CANARY = "CLOSEDCANARY arm B had two more SAEs"
CLOSED_ITEM = "CLOSEDITEM recheck the unblinded SAE listing"
OPEN_TEXT = "OPENMINUTES enrolment is complete; data quality good"
OUTPUTS = {"LIST": f"{ids.SELECT}.options", "RECORD": f"{ids.RECORD}.children", "SAVE": f"{ids.SAVE_STATUS}.children",
           "SIGN": f"{ids.SIGN_STATUS}.children", "LETTER": f"{ids.LETTER_DOWNLOAD}.data",
           "FORM": f"{ids.F_DATE}.value", "ITEMS": f"{ids.ITEM_SELECT}.options",
           "RESOLVE": f"{ids.RESOLVE_STATUS}.children"}


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


@pytest.fixture(scope="module")
def inst(tmp_path_factory):
    return make_instance(tmp_path_factory.mktemp("meeting"), [
        (DEMO_EXPORTS / "interim", "2021-05-10", "Interim"), (DEMO_EXPORTS / "final", "2021-07-10", "Final")])


@pytest.fixture(scope="module")
def app(inst):
    return make_app(inst)


def _page(app, inst, role):
    client, props = open_page_as(app, role, inst.passwords[role], "/meetings")
    return client, props, callbacks_by_output(client, OUTPUTS)


def _cut_ids(inst):
    from dashboard import cuts
    return {m.cut_date: m.cut_id for m in cuts.list_cuts(inst.root)}


def _form(inst, **changes):
    values = {(ids.F_DATE, "value"): "2021-07-20", (ids.F_CUTS, "value"): [_cut_ids(inst)["2021-07-10"]],
              (ids.F_RECOMMENDATION, "value"): "continue_unchanged",
              (ids.F_RATIONALE, "value"): "No safety signal in the pooled data.", (ids.F_OPEN, "value"): OPEN_TEXT,
              (ids.F_CLOSED, "value"): CLOSED_CANARY,
              (ids.F_ATTENDANCE, "value"): "dsmb | chair | open and closed\nstatistician | unblinded statistician",
              (ids.F_OPEN_ITEMS, "value"): "Send the query listing to sites | sponsor | 2021-08-01",
              (ids.F_CLOSED_ITEMS, "value"): CLOSED_ITEM, (ids.F_AMENDS, "data"): None, (ids.F_REASON, "value"): "",
              (ids.SAVE_BUTTON, "n_clicks"): 1}
    return values | {(k, "value" if k not in (ids.F_AMENDS,) else "data"): v for k, v in changes.items()}


def _save(client, props, callbacks, values):
    return _json(respond(client, props, callbacks["SAVE"], values))


def _records(inst) -> list[MeetingRecord]:
    with db.session_scope(inst.database_url) as session:
        return list(session.scalars(select(MeetingRecord).order_by(MeetingRecord.id)))


def _sign(client, props, callbacks, record_id, user, password, meaning="approved"):
    return _json(respond(client, props, callbacks["SIGN"], {
        (ids.SHOWN, "data"): record_id, (ids.SIGN_USER, "value"): user, (ids.SIGN_PASSWORD, "value"): password,
        (ids.SIGN_MEANING, "value"): meaning, (ids.SIGN_BUTTON, "n_clicks"): 1}))


@pytest.fixture(scope="module")
def first(app, inst):
    """A record written by the statistician through the page's save callback; its id."""
    client, props, callbacks = _page(app, inst, "statistician")
    assert "Saved as record" in _save(client, props, callbacks, _form(inst))
    return _records(inst)[-1].id


def test_the_page_is_in_every_roles_navigation(app, inst):
    for role in ROLES:
        client = DashClient(login(app.server.test_client(), role, inst.passwords[role]))
        assert "/meetings" in nav_paths(client.layout()), role


def test_an_incomplete_form_is_refused_with_every_problem_and_nothing_stored(app, inst, first):
    client, props, callbacks = _page(app, inst, "dsmb")
    before = len(_records(inst))
    answer = _save(client, props, callbacks, _form(inst, **{ids.F_DATE: "20.07.2021", ids.F_RATIONALE: "",
                                                           ids.F_OPEN_ITEMS: "a | b | not-a-date"}))
    assert "Nothing was saved" in answer and "Meeting date" in answer and "Rationale" in answer
    assert "not a date" in answer and len(_records(inst)) == before


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_blinded_roles_see_the_open_part_and_never_the_closed_minutes(app, inst, first, role):
    client, props, callbacks = _page(app, inst, role)
    listing = _json(respond(client, props, callbacks["LIST"]))
    shown = _json(respond(client, props, callbacks["RECORD"], {(ids.SELECT, "value"): first}))
    assert "2021-07-20" in listing and OPEN_TEXT in shown and "No safety signal" in shown
    for answer in (listing, shown):
        assert "CLOSEDCANARY" not in answer and "CLOSEDITEM" not in answer and "SHA-256" not in answer
    assert "for the board and the statistician only" in shown


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_blinded_roles_cannot_call_the_writing_or_closed_callbacks(app, inst, first, role):
    client, props, callbacks = _page(app, inst, role)
    for name in ("SAVE", "SIGN", "FORM", "ITEMS", "RESOLVE"):
        values = {(ids.SHOWN, "data"): first, (ids.AMEND_BUTTON, "n_clicks"): 1, (ids.SAVE_BUTTON, "n_clicks"): 1}
        response = client.post_callback(callbacks[name], values)
        assert response.status_code == 403, (name, response.status_code)
        assert "CLOSEDCANARY" not in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ("dsmb", "statistician"))
def test_the_board_and_the_statistician_read_the_closed_part_with_its_stamp(app, inst, first, role):
    client, props, callbacks = _page(app, inst, role)
    shown = _json(respond(client, props, callbacks["RECORD"], {(ids.SELECT, "value"): first}))
    assert CLOSED_CANARY in shown and CLOSED_ITEM in shown and "CLOSED" in shown and OPEN_TEXT in shown
    rows = audit.events(event="closed_view", username=role, database_url=inst.database_url)
    assert any("meeting:record" in str(d) for d in rows["detail"])


def test_a_signature_with_a_wrong_password_or_user_name_is_refused_and_audited(app, inst, first):
    client, props, callbacks = _page(app, inst, "dsmb")
    answer = _sign(client, props, callbacks, first, "dsmb", "not the password at all")
    assert "Signature refused: wrong password" in answer
    answer = _sign(client, props, callbacks, first, "statistician", inst.passwords["dsmb"])
    assert "not the signed-in user" in answer
    refused = audit.events(event="meeting_sign_refused", username="dsmb", database_url=inst.database_url)
    reasons = [json.loads(d)["reason"] for d in refused["detail"]]
    assert "wrong password" in reasons and "the user name is not the signed-in user's" in reasons
    with db.session_scope(inst.database_url) as session:
        assert session.scalars(select(MeetingSignature).where(MeetingSignature.record_id == first)).all() == []


def test_members_sign_with_name_time_and_meaning(app, inst, first):
    for role, meaning in (("dsmb", "approved"), ("statistician", "reviewed")):
        client, props, callbacks = _page(app, inst, role)
        assert "Signed by" in _sign(client, props, callbacks, first, role.upper() + " ", inst.passwords[role], meaning)
    client, props, callbacks = _page(app, inst, "investigator")
    shown = _json(respond(client, props, callbacks["RECORD"], {(ids.SELECT, "value"): first}))
    assert "dsmb (dsmb) · Approved · 20" in shown and "statistician (statistician) · Reviewed" in shown
    assert "UTC" in shown
    assert {"meeting_recorded", "meeting_signed"} <= set(audit.events(database_url=inst.database_url)["event"])


def test_a_signed_record_cannot_be_changed_by_any_route(app, inst, first):
    test_members_sign_with_name_time_and_meaning(app, inst, first) if not _signed(inst, first) else None
    with db.session_scope(inst.database_url) as session:
        record = session.get(MeetingRecord, first)
        record.closed_minutes = "rewritten"
        with pytest.raises(MeetingImmutable):
            session.flush()
        session.rollback()
    for statement in (f"UPDATE meeting_records SET rationale = 'x' WHERE id = {first}",
                      f"DELETE FROM meeting_records WHERE id = {first}", "DELETE FROM meeting_signatures",
                      "UPDATE meeting_signatures SET meaning = 'reviewed'"):
        with pytest.raises(DBAPIError, match="append-only"):
            with db.engine(inst.database_url).begin() as conn:
                conn.execute(text(statement))
    # the page's own form: an amendment without a reason is refused; with one it is a new version
    client, props, callbacks = _page(app, inst, "dsmb")
    assert "needs its reason" in _save(client, props, callbacks, _form(inst, **{ids.F_AMENDS: first}))
    original = _records(inst)[0].content_sha256
    amended = _form(inst, **{ids.F_AMENDS: first, ids.F_REASON: "the rationale named the wrong cut",
                             ids.F_RATIONALE: "No safety signal at the final cut."})
    assert "Saved as record" in _save(client, props, callbacks, amended)
    new = _records(inst)[-1]
    assert new.amends_id == first and new.version == 2 and new.amendment_reason == "the rationale named the wrong cut"
    assert _records(inst)[0].content_sha256 == original and _signed(inst, first) == 2
    assert "amended already" in _save(client, props, callbacks, amended)
    assert "was amended; sign the newest" in _sign(client, props, callbacks, first, "dsmb", inst.passwords["dsmb"])
    shown = _json(respond(client, props, callbacks["RECORD"], {(ids.SELECT, "value"): new.id}))
    assert "Amendment 1" in shown and "the rationale named the wrong cut" in shown
    assert "Earlier versions (1)" in shown and "No safety signal in the pooled data." in shown   # version 1 kept
    blind, blind_props, blind_callbacks = _page(app, inst, "investigator")
    seen = _json(respond(blind, blind_props, blind_callbacks["RECORD"], {(ids.SELECT, "value"): new.id}))
    assert "Earlier versions (1)" in seen and "CLOSEDCANARY" not in seen and "CLOSEDITEM" not in seen
    assert "meeting_amended" in set(audit.events(database_url=inst.database_url)["event"])


def _signed(inst, record_id) -> int:
    with db.session_scope(inst.database_url) as session:
        return len(session.scalars(select(MeetingSignature).where(MeetingSignature.record_id == record_id)).all())


def test_the_sponsor_letter_has_the_open_part_only(app, inst, first):
    client, props, callbacks = _page(app, inst, "dsmb")       # even when a closed reader downloads it
    payload = respond(client, props, callbacks["LETTER"], {(ids.SHOWN, "data"): first,
                                                           (ids.LETTER_BUTTON, "n_clicks"): 1})
    download = payload[ids.LETTER_DOWNLOAD]["data"]
    import base64
    pdf = base64.b64decode(download["content"])
    words = " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert "OPENMINUTES" in words and "CONTINUE UNCHANGED" in words and "Send the query listing" in words
    assert "CLOSEDCANARY" not in words and "CLOSEDITEM" not in words and "OPEN" in words
    letters = audit.events(event="meeting_letter", database_url=inst.database_url)
    assert len(letters) >= 1 and json.loads(letters["detail"].iloc[0])["record"] == first


def test_action_items_are_resolved_later_and_closed_resolutions_stay_closed(app, inst, first):
    client, props, callbacks = _page(app, inst, "statistician")
    newest = _records(inst)[-1].id
    options = respond(client, props, callbacks["ITEMS"], {(ids.SHOWN, "data"): newest})[ids.ITEM_SELECT]["options"]
    keys = {o["value"].split(":")[1]: o["value"] for o in options}
    assert set(keys) == {"O1", "C1"}
    for key, how in (("O1", "listing sent on 2021-07-28"), ("C1", "CLOSEDRESOLUTION listing rechecked")):
        answer = _json(respond(client, props, callbacks["RESOLVE"], {
            (ids.ITEM_SELECT, "value"): keys[key], (ids.ITEM_TEXT, "value"): how, (ids.RESOLVE_BUTTON, "n_clicks"): 1}))
        assert f"Action item {key} resolved" in answer
    again = _json(respond(client, props, callbacks["RESOLVE"], {
        (ids.ITEM_SELECT, "value"): keys["O1"], (ids.ITEM_TEXT, "value"): "twice",
        (ids.RESOLVE_BUTTON, "n_clicks"): 1}))
    assert "resolved already" in again
    board, board_props, board_callbacks = _page(app, inst, "dsmb")
    closed = _json(respond(board, board_props, board_callbacks["RECORD"], {(ids.SELECT, "value"): newest}))
    assert "listing sent on 2021-07-28" in closed and "CLOSEDRESOLUTION" in closed
    blind, blind_props, blind_callbacks = _page(app, inst, "investigator")
    shown = _json(respond(blind, blind_props, blind_callbacks["RECORD"], {(ids.SELECT, "value"): newest}))
    assert "listing sent on 2021-07-28" in shown and "CLOSEDRESOLUTION" not in shown and "C1" not in shown


def test_repeated_refused_signatures_make_the_signer_wait(app, inst, first):
    client, props, callbacks = _page(app, inst, "statistician")
    newest = _records(inst)[-1].id
    for _ in range(5):
        _sign(client, props, callbacks, newest, "statistician", "wrong password again")
    answer = _sign(client, props, callbacks, newest, "statistician", inst.passwords["statistician"])
    assert "too many refused signatures" in answer and _signed(inst, newest) == 0


@pytest.mark.parametrize("role", ROLES)
def test_each_role_is_refused_exactly_the_meeting_callbacks_it_lacks_and_empty_posts_do_not_fail(app, inst, role):
    from dashboard.guard import callback_permissions
    from dashboard.permissions import Role, role_may

    client = DashClient(login(app.server.test_client(), role, inst.passwords[role]))
    declared = callback_permissions(app)
    mine = [c for c in client.dependencies() if "meeting-" in c.output]
    assert len(mine) == 9
    for callback in mine:
        response = client.post_callback(callback, {})
        expected = {200, 204} if role_may(Role(role), declared[callback.output]) else {403}
        assert response.status_code in expected, (role, callback.output, response.status_code)
