"""Every id a callback names exists in some layout (with suppress_callback_exceptions on, Dash won't tell)."""

from __future__ import annotations

import itertools
import json

from dash.development.base_component import Component

from dashboard.blinding import Access
from dashboard.context import ViewContext
from dashboard.pages import all_pages
from dashboard.permissions import Permission
from layouts.shell import shell_layout


def _contexts() -> list[ViewContext]:
    contexts = []
    for access, may_unmask in itertools.product(Access, (False, True)):
        contexts.append(ViewContext(
            username="someone", role="dsmb", access=access, may_unmask=may_unmask, study_id="NCT05019287",
            study_title="Menstrual Blood Stem Cells in Severe Covid-19", target_enrollment=29,
            cut_id="2021-07-10-00000000", cut_date="2021-07-10",
            arm_labels=("Group A", "Group B") if access.sees_arms else (), permissions=frozenset(Permission)))
    return contexts


def _ids(component: Component) -> set[str]:
    found = set()
    for node in component._traverse():  # noqa: SLF001 - Dash's own tree walk
        node_id = getattr(node, "id", None)
        if isinstance(node_id, str):
            found.add(node_id)
        elif isinstance(node_id, dict):  # a pattern-matching id, as Dash writes it (sorted keys, compact)
            found.add(json.dumps(node_id, sort_keys=True, separators=(",", ":")))
    root_id = getattr(component, "id", None)
    if isinstance(root_id, str):
        found.add(root_id)
    return found


def layout_ids() -> set[str]:
    ids: set[str] = set()
    pages = [(p.path, p.title) for p in all_pages()]
    for ctx in _contexts():
        ids |= _ids(shell_layout(ctx, pages))
        for page in all_pages():
            ids |= _ids(page.layout(ctx))
    return ids


def _pattern_found(name: str, known: set[str]) -> bool:
    """Whether a pattern-matching id ({"type": "readiness", "display": ["ALL"]}) matches an id of some layout."""
    if not name.startswith("{"):
        return False
    fixed = {k: v for k, v in json.loads(name).items() if not isinstance(v, list)}
    return any(k.startswith("{") and fixed.items() <= json.loads(k).items() for k in known)


def test_every_callback_id_exists_in_some_layout(tmp_path):
    from dashboard.app_factory import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "INSTANCE_PATH": str(tmp_path),
                      "DSMB_DATA_ROOT": tmp_path / "data", "DSMB_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite"})
    known = layout_ids()
    missing = {}
    assert len(app.callback_map) >= 5
    for key, spec in app.callback_map.items():
        names = {d["id"] for d in spec["inputs"] + spec["state"]}
        names |= {part.rsplit(".", 1)[0] for part in key.strip(".").split("...")}
        absent = {n for n in names if isinstance(n, str) and n not in known and not _pattern_found(n, known)}
        if absent:
            missing[key] = sorted(absent)
    assert not missing, f"callbacks name ids that no layout has: {missing}"


def test_layouts_are_pure_functions_of_the_context():
    """The same context gives the same tree: no data, no clock, no randomness in layouts."""
    ctx = _contexts()[0]
    for page in all_pages():
        assert repr(page.layout(ctx)) == repr(page.layout(ctx)), page.path


def test_no_grid_guesses_column_types_from_its_first_row():
    """AG Grid would make a column of 2021-05-10 a date column and then show partial dates (2021-05) as empty."""
    import dash_ag_grid as dag

    pages = [(p.path, p.title) for p in all_pages()]
    grids = []
    for ctx in _contexts():
        for tree in [shell_layout(ctx, pages), *(page.layout(ctx) for page in all_pages())]:
            grids += [node for node in tree._traverse() if isinstance(node, dag.AgGrid)]  # noqa: SLF001
    assert len(grids) >= 10
    assert all(grid.defaultColDef.get("cellDataType") is False for grid in grids)
