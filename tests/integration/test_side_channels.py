"""Side channels around the data path: what the blinded administrator can read about closed actions.

Twin method: the same clinical export loaded into two installations, the second with the arms of every
other randomized subject swapped. A statistician searches the SAE listing by arm names in several spellings,
exports, opens a profile and downloads the deviations; the board unmasks. Then every response the admin can
get (the audit page, its filters and its CSV download included) must be identical between the twins.
"""

from __future__ import annotations

import json

import pytest
from crawl import crawl
from dash_client import DashClient, login
from support import make_app
from coding_key_support import coded_demo_config
from test_allocation_invariance import fresh_caches, twin_installations

from dashboard import audit
from layouts import recruitment as rec_ids
from layouts import safety as safety_ids

UNMASK_REASON = "Group A deaths exceed the charter boundary, MenSC secretome suspected"


def search_spellings() -> list[str]:
    """Arm names as a user would type them: labels in any case, codes, coded names with words around."""
    spellings = []
    for arm in coded_demo_config().arms:
        spellings += [arm.label, arm.label.lower(), arm.label.upper(), arm.label.split()[0], arm.code.lower(),
                      f"{arm.coded_label} deaths"]
    return spellings


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    """Two installations differing only in allocation, loaded from the same folder path."""
    final = (("final", "2021-07-10", "Final"),)
    return [(instance, make_app(instance))
            for instance in twin_installations(tmp_path_factory.mktemp("side-twins"), final)]


def _client(instance, app, role: str) -> DashClient:
    return DashClient(login(app.server.test_client(), role, instance.passwords[role]))


def statistician_session(instance, app) -> list[int]:
    """Search by arm names, export the listing, open a profile, download deviations; the SAE counts seen."""
    stat = _client(instance, app, "statistician")
    stat.open_page("/safety")
    listings = stat.callback_for(f"..{safety_ids.SAE_GRID}.rowData")
    download = stat.callback_for(f"..{safety_ids.SAE_DOWNLOAD}.data")
    profile = stat.callback_for(f"..{safety_ids.PROFILE_MODAL}.is_open")
    counts = []
    for text in search_spellings():
        body = stat.call(listings, {(safety_ids.LISTING_SEARCH, "value"): text})
        rows = body["response"][safety_ids.SAE_GRID]["rowData"]
        counts.append(len(rows))
        stat.call(download, {(safety_ids.SAE_CSV, "n_clicks"): 1, (safety_ids.LISTING_SEARCH, "value"): text})
        if rows:  # a profile opened from the filtered listing
            stat.post_callback(profile, {(safety_ids.SAE_GRID, "selectedRows"): rows[:1]},
                               changed=[f"{safety_ids.SAE_GRID}.selectedRows"])
    swimmer = stat.callback_for("safety-swimmer-graph.figure")
    for choice in ("serious", "any"):
        stat.call(swimmer, {("safety-swimmer-filter", "value"): choice})
    stat.open_page("/recruitment")
    deviations = stat.callback_for(f"{rec_ids.DOWNLOAD}.data")
    stat.post_callback(deviations, {(rec_ids.CSV_DEVIATIONS, "n_clicks"): 1},
                       changed=[f"{rec_ids.CSV_DEVIATIONS}.n_clicks"])
    return counts


def board_unmasks(instance, app) -> None:
    board = _client(instance, app, "dsmb")
    confirm = board.callback_for("..unmask-feedback.children")
    body = board.call(confirm, {("unmask-confirm", "n_clicks"): 1, ("unmask-reason", "value"): UNMASK_REASON,
                                ("url", "pathname"): "/safety"})
    assert body["response"]["unmask-redirect"]["href"] == "/safety"


@pytest.fixture(scope="module")
def sessions(twins):
    """The same closed session on both twins; returns what the statistician saw on each."""
    seen = []
    for instance, app in twins:
        fresh_caches()
        seen.append(statistician_session(instance, app))
        board_unmasks(instance, app)
    return seen


def test_the_statisticians_session_really_depends_on_allocation(twins, sessions):
    """Guard against a test that cannot fail: the closed detail of the two twins differs."""
    assert sessions[0] != sessions[1], "searching by arm name found the same rows in both twins"
    closed = [audit.events(database_url=i.database_url, closed_detail=True) for i, _ in twins]
    details = [sorted(c["closed_detail"].dropna()) for c in closed]
    assert details[0] != details[1]


def test_every_admin_response_is_identical_between_twins(twins, sessions):
    """The audit page, its filters, its chain status and the audit CSV: nothing differs for the admin."""
    crawls = []
    for instance, app in twins:
        fresh_caches()
        crawls.append(crawl(_client(instance, app, "admin")))
    a, b = crawls
    assert [e.request for e in a] == [e.request for e in b]
    assert any("audit-download-file" in e.request for e in a), "the audit CSV download was not reached"
    assert any("audit-table" in e.request for e in a)
    for ea, eb in zip(a, b):
        assert (ea.status, ea.body) == (eb.status, eb.body), f"admin response to '{ea.request}' differs"


def test_admin_sees_that_closed_actions_happened_but_nothing_chosen_within_them(twins, sessions):
    instance, app = twins[0]
    bodies = "\n".join(e.body for e in crawl(_client(instance, app, "admin")) if "audit" in e.request)
    assert "safety:listings" in bodies and "safety:profile" in bodies and "unmask" in bodies
    for text in search_spellings() + [UNMASK_REASON, "Group A deaths", "NCT05019287-"]:
        assert text not in bodies, f"the admin's audit page shows {text!r}"
    for row in audit.events(database_url=instance.database_url).to_dict("records"):
        if row["event"] in ("closed_view", "unmask") or '"coded"' in (row["detail"] or "") \
                or '"unblinded"' in (row["detail"] or ""):
            assert set(json.loads(row["detail"] or "{}")) <= {"view", "file", "access"}, row


def test_closed_detail_is_kept_for_readers_who_see_arms(twins, sessions):
    instance, _ = twins[0]
    closed = audit.events(database_url=instance.database_url, closed_detail=True)
    text = "\n".join(closed["closed_detail"].dropna())
    assert UNMASK_REASON in text and "MenSC" in text and '"rows"' in text and "NCT05019287-" in text
