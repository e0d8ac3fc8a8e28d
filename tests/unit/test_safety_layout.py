"""The safety layout: pure, ids present, closed-only parts only for users who see arms."""

from dashboard.blinding import Access
from dashboard.context import ViewContext
from dashboard.tables import safety as tables
from layouts import safety as ids
from layouts.readiness import READINESS


def _ctx(access: Access, labels=()) -> ViewContext:
    return ViewContext(username="u", role="r", access=access, may_unmask=False, study_id="NCT", study_title="T",
                       target_enrollment=29, cut_id="2021-07-10-abcdef12", cut_date="2021-07-10", arm_labels=labels)


def layout_ids(tree) -> tuple[set[str], set[str]]:
    """Component ids and readiness-badge display keys of a layout."""
    found, badges = set(), set()

    def walk(node):
        if hasattr(node, "to_plotly_json"):
            props = node.to_plotly_json()["props"]
            node_id = props.get("id")
            if isinstance(node_id, str):
                found.add(node_id)
            elif isinstance(node_id, dict) and node_id.get("type") == READINESS:
                badges.add(node_id["display"])
            for value in props.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item)

    walk(tree)
    return found, badges


def _ids(tree) -> set[str]:
    return layout_ids(tree)[0]


def test_pooled_layout_has_every_view_but_no_forest_and_no_arm_names():
    tree = ids.layout(_ctx(Access.BLINDED))
    found = _ids(tree)
    for name in (ids.OVERVIEW_GRID, ids.SOC_GRID, ids.SAE_GRID, ids.DEATH_GRID, ids.PROFILE_MODAL, ids.SWIMMER_GRAPH,
                 ids.LAB_TEST, ids.EDISH_GRAPH, ids.CHANGES_GRID, ids.KM_GRAPH, ids.SEVERITY_GRAPH):
        assert name in found
    assert ids.FOREST_GRAPH not in found and ids.FOREST_TOP not in found
    assert "Group A" not in str(tree.to_plotly_json())


def test_closed_layout_adds_the_forest_plot():
    found = _ids(ids.layout(_ctx(Access.CODED, ("Group A", "Group B"))))
    assert {ids.FOREST_GRAPH, ids.FOREST_TOP} <= found


def test_column_builders():
    cols = tables.incidence_columns(["Group A", "Group B", "All subjects"], ["Group B − Group A"], severity=False)
    assert [c.get("field") or c["headerName"] for c in cols] == ["SOC", "PT", "Group A", "Group B", "All subjects",
                                                                 "rd1"]
    sev = tables.incidence_columns(["All subjects"], [], severity=True)
    assert [ch["field"] for ch in sev[2]["children"]] == ["g0_MILD", "g0_MODERATE", "g0_SEVERE"]
    assert tables.overview_columns(["All subjects"])[1]["children"][0]["field"] == "g0"
