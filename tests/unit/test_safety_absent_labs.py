"""A configured safety lab absent from the cut is said, not drawn as if every subject lacked a later value."""

from __future__ import annotations

import pandas as pd

from dashboard.analysis import labs
from dashboard.analysis.safety import safety_population
from dashboard.config import SafetyLabs
from dashboard.figures import safety_labs as fig_labs
from tests.unit import safety_frames as sf


def _index_without(*absent: str):
    rows = [(s, code, v, value, 0.0, 40.0, "Y" if v == 1 else "", f"2021-05-0{v}")
            for s in ("S1", "S2") for code in ("ALT", "AST", "BILI", "CREAT") for v, value in ((1, 20.0), (2, 30.0))
            if code not in absent]
    return labs.split_by_test(sf.lb(rows), sf.dm([("S1", "Y", "2021-05-01", None), ("S2", "Y", "2021-05-01", None)])
                              ["USUBJID"])


def _texts(fig) -> str:
    layout = fig.to_plotly_json()["layout"]
    return " ".join([layout["title"]["text"], *(a.get("text", "") for a in layout.get("annotations", []))])


def test_absent_creatinine_says_so_instead_of_no_baseline_for_everyone():
    index = _index_without("CREAT")
    population = safety_population(sf.dm([("S1", "Y", "2021-05-01", None), ("S2", "Y", "2021-05-01", None)]),
                                   sf.ex([("S1", "2021-05-01"), ("S2", "2021-05-01")]))
    rise = labs.creatinine_rise(index.get("CREAT", sf.empty(list(labs.LAB_COLUMNS))), population)
    bands = labs.creatinine_bands(rise, population)
    fig = fig_labs.creatinine_figure(bands, "stamp", code="CREAT", present="CREAT" in index)
    assert "No CREAT records in this cut." in _texts(fig)
    assert not [t for t in fig.data if t.type == "bar"]
    present = fig_labs.creatinine_figure(bands, "stamp", code="CREAT", present=True)
    assert [t for t in present.data if t.type == "bar"]


def test_edish_says_when_ast_is_absent_and_plots_alt_alone():
    index = _index_without("AST")
    caveat, axis = labs.edish_caveat(index, SafetyLabs())
    assert caveat == "no AST records in this cut (ALT only)"
    assert axis == "Peak ALT (x ULN)"
    fig = fig_labs.edish_figure(labs.edish_points(index, SafetyLabs()), "stamp", caveat=caveat, x_title=axis)
    assert "no AST records in this cut" in _texts(fig)
    assert fig.layout.xaxis.title.text == "Peak ALT (x ULN)"
    assert "not measured" in str(fig.data[0].customdata.tolist())


def test_edish_without_bilirubin_cannot_be_drawn_and_says_why():
    caveat, _ = labs.edish_caveat(_index_without("BILI"), SafetyLabs())
    assert caveat == "no BILI records in this cut: eDISH cannot be drawn"
    assert labs.edish_caveat(_index_without(), SafetyLabs()) == ("", "Peak ALT or AST (x ULN)")


def test_edish_empty_message_keeps_the_test_codes_case():
    """O6: the empty eDISH says 'No AST records ...; eDISH cannot be drawn', not 'No ast ...; edish ...'."""
    caveat, _ = labs.edish_caveat(_index_without("AST", "BILI"), SafetyLabs())
    fig = fig_labs.edish_figure(labs.edish_points(_index_without("AST", "BILI"), SafetyLabs()).iloc[0:0], "stamp",
                                caveat=caveat)
    text = _texts(fig)
    assert "No AST records in this cut; no BILI records in this cut: eDISH cannot be drawn" in text
    assert "ast" not in text.replace("last", "").replace("AST", "")


def test_lab_baseline_note_names_ablfl_on_an_adam_cut():
    """O5: the baseline of an ADaM cut is ADLB's ABLFL; the note says so (LBBLFL on an SDTM cut)."""
    from types import SimpleNamespace

    from dashboard.displays.safety.labs import baseline_flag
    lb = pd.DataFrame({"USUBJID": ["S1"], "LBBLFL": ["Y"]})
    adam = SimpleNamespace(cut=SimpleNamespace(sources={"LB": "ADaM adlb.xpt"}), lb=lb)
    sdtm = SimpleNamespace(cut=SimpleNamespace(sources={"LB": "SDTM lb.xpt"}), lb=lb)
    old = SimpleNamespace(cut=SimpleNamespace(sources={}), lb=lb.assign(ABLFL=["Y"]))   # loaded before sources
    assert (baseline_flag(adam), baseline_flag(sdtm), baseline_flag(old)) == ("ABLFL", "LBBLFL", "ABLFL")
