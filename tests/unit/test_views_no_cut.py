"""The one "no cut loaded" answer of every catalogue view (callbacks.views.no_cut_outputs)."""

from __future__ import annotations

import pytest
from dash import no_update

from callbacks.views import NO_CUT, no_cut_outputs
from dashboard.displays import BOTH_FORMS, Control, Display, Out, View
from dashboard.figures.common import stamp_text
from dashboard.permissions import Permission

FIGURE = Display("test.figure", "A figure", "figure", ("AE",), {"graph": Out("g", "figure")}, BOTH_FORMS)
GRID = Display("test.grid", "A table", "table", ("AE",),
               {"rows": Out("t", "rowData"), "columns": Out("t", "columnDefs"), "note": Out("n", "children")})
TILES = Display("test.tiles", "Tiles", "tiles", ("DM",), {"tile": Out("tile", "children")})
VIEW = View("test:view", "/test", Permission.VIEW_SAFETY, lambda data, **_: {}, (FIGURE, GRID, TILES),
            {"x": Control("x", "value")}, state_outputs={"style": Out("card", "style")})


@pytest.mark.parametrize("sees_arms", [False, True])
def test_before_any_cut_figures_carry_the_stamp_of_the_users_session(sees_arms):
    answer = no_cut_outputs(VIEW, sees_arms)
    assert set(answer) == set(VIEW.outputs)
    figure = answer["graph"]
    assert figure.layout.title.text.startswith("A figure") or "A figure" in str(figure.layout.title.text)
    texts = " ".join(str(a.text) for a in figure.layout.annotations) + str(figure.layout)
    assert stamp_text(None, sees_arms) in texts and NO_CUT in texts
    assert stamp_text(None, not sees_arms) not in texts
    assert answer["rows"] == [] and answer["columns"] == []
    assert NO_CUT in str(answer["note"]) and answer["tile"] == "–"
    assert answer["style"] is no_update


def test_a_view_may_answer_for_itself():
    own = View("test:own", "/test", Permission.VIEW_SAFETY, lambda data, **_: {}, (TILES,),
               no_cut=lambda sees: {"tile": f"nothing yet ({sees})"})
    assert no_cut_outputs(own, True) == {"tile": "nothing yet (True)"}
