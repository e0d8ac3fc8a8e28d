"""docs/displays.md is generated from the display catalogue and must match it (run `make docs` after a change)."""

from __future__ import annotations

from dashboard.displays import displays, views
from dashboard.displays.docs import DOC_PATH, main_check, render


def test_displays_doc_is_up_to_date():
    assert DOC_PATH.exists(), "docs/displays.md is missing: run make docs"
    assert DOC_PATH.read_text(encoding="utf-8") == render(), "docs/displays.md is stale: run make docs"


def test_the_doc_names_every_display_and_view_of_the_catalogue():
    """Guard: the rendering covers the whole catalogue (a stale check of an empty file would prove nothing)."""
    text = render()
    assert all(f"`{d.key}`" in text for d in displays())
    assert all(f"`{v.key}`" in text for v in views())
    assert all(f"`{v.compute.__module__}." in text for v in views())


def test_check_command_says_stale(tmp_path, capsys):
    stale = tmp_path / "displays.md"
    stale.write_text("old\n", encoding="utf-8")
    assert main_check(stale) == 1
    stale.write_text(render(), encoding="utf-8")
    assert main_check(stale) == 0
