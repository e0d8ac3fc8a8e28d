"""Which part of an audit row's detail is open, and which is closed (read only by unblinded access)."""

from __future__ import annotations

import pytest

from dashboard.audit import split_detail
from dashboard.blinding import Access
from dashboard.permissions import may_read_closed_detail


def test_a_closed_view_keeps_only_display_and_access_open():
    shown, hidden = split_detail("closed_view", {"view": "safety:listings", "access": "unblinded",
                                                 "inputs": '["MenSC"]', "anything_new": 1})
    assert shown == {"view": "safety:listings", "access": "unblinded"}
    assert hidden == {"inputs": '["MenSC"]', "anything_new": 1}


@pytest.mark.parametrize("access", ["coded", "unblinded", None])
def test_an_export_is_closed_unless_made_blinded(access):
    detail = {"file": "sae_listing", "rows": 10} | ({"access": access} if access else {})
    shown, hidden = split_detail("export", detail)
    assert "rows" not in shown and hidden == {"rows": 10} and shown["file"] == "sae_listing"


def test_a_blinded_export_and_account_events_stay_open():
    assert split_detail("export", {"file": "f", "rows": 3, "access": "blinded"}) == (
        {"file": "f", "rows": 3, "access": "blinded"}, None)
    assert split_detail("login", {"role": "dsmb"}) == ({"role": "dsmb"}, None)
    assert split_detail("export", {"file": "audit_trail", "rows": 5}, closed=False) == (
        {"file": "audit_trail", "rows": 5}, None)


def test_an_unmask_reason_is_closed():
    assert split_detail("unmask", {"reason": "Group A deaths"}) == ({}, {"reason": "Group A deaths"})


def test_only_unblinded_access_reads_closed_detail():
    assert [may_read_closed_detail(a) for a in Access] == [a is Access.UNBLINDED for a in Access]
