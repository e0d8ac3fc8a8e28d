"""Leak tests: a blinded user's responses must not change when only the randomization changes.

The same clinical export is loaded twice, the second time with the arms of every other
randomized subject swapped (in the randomization list and consistently in DM, EX, SE). Each
blinded role then fetches every page, layout and callback it may call; every response must be
identical between the two installations. Canaries: no arm code or label reaches a blinded
user, and the board sees only coded names until it unmasks.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from support import BLINDED_ROLES, DEMO_EXPORTS, make_app, make_instance
from coding_key_support import coded_demo_config
from crawl import crawl, nav_paths, uncalled_views
from dash_client import DashClient, login

from dashboard import blinding, memo
from dashboard.displays import views
from dashboard.config import load_trial_config
from dashboard.permissions import ROLE_PERMISSIONS, Role

ARM_COLUMNS = {"dm": ("ARMCD", "ARM", "ACTARMCD", "ACTARM"), "ex": ("EXTRT", "EXDOSE"),
               "se": ("ETCD", "ELEMENT"), "randomization": ("ARMCD", "ARM")}


def _arm_by_subject(export: Path) -> pd.Series:
    randomization = pd.read_csv(export / "randomization.csv", dtype=str, keep_default_na=False)
    return randomization.set_index("USUBJID")["ARMCD"]


def _swap_values(frame: pd.DataFrame, arm: pd.Series, swapped: set[str], columns: tuple[str, ...]) -> pd.DataFrame:
    """For swapped subjects, give each arm column the value the other arm's subjects have."""
    frame = frame.copy()
    codes = sorted(set(arm))
    other = {codes[0]: codes[1], codes[1]: codes[0]}
    subject_arm = frame["USUBJID"].map(arm)
    for column in columns:
        if column not in frame:
            continue
        typical = (frame[subject_arm.notna()].groupby(subject_arm[subject_arm.notna()])[column]
                   .agg(lambda s: s.mode().iloc[0] if len(s.mode()) else ""))
        rows = frame["USUBJID"].isin(swapped) & subject_arm.isin(codes)
        if column in ("ETCD", "ELEMENT"):
            # only the arm element of the subject changes; screening / follow-up elements stay
            arm_values = {typical.get(c) for c in codes}
            rows &= frame[column].isin(arm_values)
        frame.loc[rows, column] = subject_arm[rows].map(lambda c: typical.get(other[c], ""))
    return frame


def swapped_export(source: Path, target: Path) -> set[str]:
    """Copy `source` to `target` with the arms of every other randomized subject swapped."""
    shutil.copytree(source, target)
    arm = _arm_by_subject(source)
    swapped = set(sorted(arm.index)[::2])
    for stem, columns in ARM_COLUMNS.items():
        path = target / f"{stem}.csv"
        if not path.exists():
            continue
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        _swap_values(frame, arm, swapped, columns).to_csv(path, index=False)
    return swapped


DEMO_CUTS = (("interim", "2021-05-10", "Interim"), ("final", "2021-07-10", "Final"))


def twin_installations(base: Path, cuts: tuple[tuple[str, str, str], ...] = DEMO_CUTS) -> list:
    """Two installations (A: the demo export, B: every other randomized subject's arms swapped) of the demo cuts
    named in `cuts`, loaded from the same folder path (the manifest records it): the same clinical data under two
    randomizations, so every response a blinded role can get must be the same from both."""
    swapped_root = base / "swapped-exports"
    for folder, _, _ in cuts:
        swapped_export(DEMO_EXPORTS / folder, swapped_root / folder)
    exports = base / "exports"
    instances = []
    for name, source in (("a", DEMO_EXPORTS), ("b", swapped_root)):
        shutil.rmtree(exports, ignore_errors=True)
        for folder, _, _ in cuts:
            shutil.copytree(source / folder, exports / folder)
        instances.append(make_instance(base / name, [(exports / folder, date, label) for folder, date, label in cuts]))
    return instances


@pytest.fixture(scope="module")
def twin_instances(tmp_path_factory):
    """The twin installations of both demo cuts, each with its app."""
    return [(instance, make_app(instance)) for instance in twin_installations(tmp_path_factory.mktemp("twins"))]


def fresh_caches() -> None:
    """Forget every cut and result cached in this process."""
    blinding.clear_caches()
    memo.clear()


def _client(instance, app, role: str) -> DashClient:
    return DashClient(login(app.server.test_client(), role, instance.passwords[role]))


def assert_every_view_called(client: DashClient, exchanges, sees_arms: bool, role: str) -> None:
    """The crawl reached every view of the display catalogue: from its page when the role may open it."""
    problems = uncalled_views(exchanges, client.dependencies(), views(), set(nav_paths(client.layout())), sees_arms,
                              ROLE_PERMISSIONS[Role(role)])
    assert not problems, f"the crawl missed catalogue views: {problems}"


def test_swapped_export_really_changes_allocation(tmp_path):
    """Guard against a test that cannot fail: the twin export must differ in allocation."""
    swapped = swapped_export(DEMO_EXPORTS / "final", tmp_path / "final")
    before, after = _arm_by_subject(DEMO_EXPORTS / "final"), _arm_by_subject(tmp_path / "final")
    assert len(swapped) >= 10
    assert (before[sorted(swapped)] != after[sorted(swapped)]).all()
    assert (before.drop(sorted(swapped)) == after.drop(sorted(swapped))).all()


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_blinded_responses_do_not_depend_on_allocation(twin_instances, role):
    (a, app_a), (b, app_b) = twin_instances
    fresh_caches()
    client_a = _client(a, app_a, role)
    seen_a = crawl(client_a)
    assert_every_view_called(client_a, seen_a, sees_arms=False, role=role)
    fresh_caches()               # nothing computed for A may answer B: both cuts have the same id
    seen_b = crawl(_client(b, app_b, role))
    assert [e.request for e in seen_a] == [e.request for e in seen_b]
    assert len(seen_a) > 20, "the crawl reached too little of the app to mean anything"
    for ea, eb in zip(seen_a, seen_b):
        assert ea.status == eb.status, ea.request
        assert ea.body == eb.body, f"{role}: response to '{ea.request}' changes with the randomization"


def test_caches_warmed_by_armed_users_and_by_the_twin_change_nothing_for_a_blinded_user(twin_instances):
    """No clearing between crawls: A's caches hold the investigator's results, B's are filled by the
    statistician and the board first (same cut ids in both). The investigator on B must still get exactly
    what a cold crawl of A gave."""
    (a, app_a), (b, app_b) = twin_instances
    fresh_caches()
    cold = crawl(_client(a, app_a, "investigator"))
    crawl(_client(b, app_b, "statistician"))
    crawl(_client(b, app_b, "dsmb"))
    warm = crawl(_client(b, app_b, "investigator"))
    assert [e.request for e in cold] == [e.request for e in warm] and len(cold) > 20
    for ec, ew in zip(cold, warm):
        assert (ec.status, ec.body) == (ew.status, ew.body), f"warm caches changed '{ec.request}'"


def _canaries(real: bool, coded: bool) -> list[re.Pattern]:
    config = coded_demo_config()
    words = []
    if real:
        words += [a.code for a in config.arms] + [a.label for a in config.arms]
        extrt = pd.read_csv(DEMO_EXPORTS / "final" / "ex.csv", dtype=str)["EXTRT"].dropna().unique()
        words += list(extrt)
    if coded:
        words += [a.coded_label for a in config.arms]
    return [re.compile(rf"(?<![A-Za-z0-9+/]){re.escape(w)}(?![A-Za-z0-9+/])") for w in words]


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_no_arm_name_reaches_a_blinded_user(twin_instances, role):
    (a, app_a), _ = twin_instances
    patterns = _canaries(real=True, coded=True)
    for exchange in crawl(_client(a, app_a, role)):
        for pattern in patterns:
            assert not pattern.search(exchange.body), f"{role} received {pattern.pattern} in {exchange.request}"


def test_board_sees_coded_names_only_until_it_unmasks(twin_instances):
    (a, app_a), _ = twin_instances
    exchanges = crawl(_client(a, app_a, "dsmb"))
    bodies = "\n".join(e.body for e in exchanges)
    for pattern in _canaries(real=True, coded=False):
        assert not pattern.search(bodies), f"dsmb received the real arm name {pattern.pattern} before unmasking"
    assert any(p.search(bodies) for p in _canaries(real=False, coded=True)), "dsmb should see Group A / Group B"


def test_statistician_sees_real_arm_names(twin_instances):
    """The canaries can fire: the unblinded statistician does receive real names."""
    (a, app_a), _ = twin_instances
    client = _client(a, app_a, "statistician")
    exchanges = crawl(client)
    assert_every_view_called(client, exchanges, sees_arms=True, role="statistician")
    bodies = "\n".join(e.body for e in exchanges)
    config = load_trial_config()
    assert any(arm.label in bodies for arm in config.arms)


def test_audit_trail_read_by_the_admin_carries_no_allocation(twin_instances):
    """Closed views by the board and the statistician are audited; the admin reads those rows."""
    (a, app_a), _ = twin_instances
    crawl(_client(a, app_a, "statistician"))
    crawl(_client(a, app_a, "dsmb"))
    admin = _client(a, app_a, "admin")
    audit_page = "\n".join(e.body for e in crawl(admin) if "audit" in e.request)
    assert "closed_view" in audit_page and "safety:profile" in audit_page
    for pattern in _canaries(real=True, coded=True):
        assert not pattern.search(audit_page), f"the admin's audit page shows {pattern.pattern}"
