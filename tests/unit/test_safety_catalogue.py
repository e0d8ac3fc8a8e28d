"""The Safety page's catalogue entries: every display's component ids and its readiness badge are in the layout
(the closed-only forest only for users who see arms), every view key is an audit name of the page, and no view
returns positional values (each compute answers exactly its declared outputs)."""

from __future__ import annotations

import inspect

from dashboard.blinding import Access
from dashboard.displays import BY_ARM_ONLY, views_on
from layouts import safety as ids
from tests.unit.test_safety_layout import _ctx, layout_ids

AUDIT_NAMES = {"safety:overview", "safety:incidence", "safety:severity", "safety:forest", "safety:listings",
               "safety:export", "safety:profile", "safety:timelines", "safety:labs", "safety:lab-test",
               "safety:changes"}


def test_every_view_key_is_one_of_the_page_audit_names():
    assert {v.key for v in views_on("/safety")} == AUDIT_NAMES


def test_every_display_id_and_badge_is_in_the_layout_closed_only_parts_only_closed():
    shown = [d for v in views_on("/safety") for d in v.displays if d.kind != "download"]
    for access, labels in ((Access.BLINDED, ()), (Access.CODED, ("Group A", "Group B"))):
        found, badges = layout_ids(ids.layout(_ctx(access, labels)))
        for view in views_on("/safety"):
            controls = {c.component_id for c in view.controls.values()}
            outputs = {o.component_id for o in view.outputs.values()}
            closed_only = all(d.forms == BY_ARM_ONLY for d in view.displays)
            if closed_only and not access.sees_arms:
                assert not (controls | outputs) & found, view.key
                continue
            assert controls | outputs <= found, (view.key, (controls | outputs) - found)
        expected = {d.key for d in shown if access.sees_arms or d.forms != BY_ARM_ONLY}
        expected -= {d.key for d in shown if d.kind == "modal"}          # the modal has no title bar of its own
        assert expected <= badges, expected - badges


def test_every_display_declares_its_pieces_and_every_compute_names_its_controls():
    for view in views_on("/safety"):
        for display in view.displays:
            assert display.domains and display.analysis and display.fields and display.tab, display.key
            assert display.builder is not None and display.forms, display.key
        parameters = inspect.signature(view.compute).parameters
        takes_any = any(p.kind is p.VAR_KEYWORD for p in parameters.values())
        assert takes_any or set(view.controls) <= set(parameters), view.key
