"""'Leading to discontinuation' from the DS reason ADVERSE EVENT (no AEACN): subjects only, no event count."""

from __future__ import annotations

import pandas as pd

from dashboard.analysis import ae as ae_tables
from dashboard.analysis.safety import adverse_events, discontinuation_source, discontinued_for_ae, safety_population
from dashboard.tables.safety import NO_COUNT, count_cells
from tests.unit import safety_frames as sf


def _frames():
    dm = sf.dm([("S1", "Y", "2021-05-01", None), ("S2", "Y", "2021-05-01", None)])
    ex = sf.ex([("S1", "2021-05-01"), ("S2", "2021-05-01")])
    ae = sf.ae([{"USUBJID": "S1", "AESEQ": k, "AEDECOD": f"Term {k}", "AESTDTC": f"2021-05-0{k + 1}",
                 "AEACN": None} for k in (1, 2, 3)]
               + [{"USUBJID": "S2", "AESEQ": 1, "AEDECOD": "Term 1", "AESTDTC": "2021-05-02", "AEACN": None}])
    ds = pd.DataFrame({"USUBJID": ["S1"], "DSCAT": ["DISPOSITION EVENT"], "DSDECOD": ["ADVERSE EVENT"],
                       "DSSTDTC": ["2021-05-20"], "DSSTDT": sf.dt(["2021-05-20"])})
    population = safety_population(dm, ex)
    events = adverse_events(ae, population)
    return population, events.assign(DISCONT=discontinued_for_ae(events, ds)), ae, ds


def test_discontinuation_from_ds_counts_subjects_and_no_events():
    population, events, ae, ds = _frames()
    source = discontinuation_source(ae, ds)
    assert source == "DS"
    categories = ae_tables.overview_categories(events, source)
    table = ae_tables.ae_overview(events, population, categories, no_events=ae_tables.subjects_only(source))
    row = table.set_index("CATEGORY").loc["DISCONT"]
    # reference: one subject (S1) of two discontinued for an AE; the DS record names no AE
    assert int(row["n0"]) == ds["USUBJID"].nunique() == 1
    assert pd.isna(row["ev0"])
    cells = count_cells(table, ["CATEGORY"]).set_index("CATEGORY")
    assert cells.loc["DISCONT", "e0"] == NO_COUNT
    # the other rows keep their event counts: any AE = all 4 records
    assert cells.loc["ANY", "e0"] == len(ae)


def test_discontinuation_from_aeacn_keeps_its_event_count():
    assert ae_tables.subjects_only("AEACN") == ()


def test_discontinuation_not_recorded_when_aeacn_is_empty_and_ds_names_no_ae():
    """O8: AEACN empty on every record and no DS reason ADVERSE EVENT (pharmaverse ADaM): 'not recorded', not 0."""
    population, events, ae, _ = _frames()
    ds = pd.DataFrame({"USUBJID": ["S1"], "DSCAT": ["DISPOSITION EVENT"], "DSDECOD": ["DISCONTINUED"],
                       "DSSTDTC": ["2021-05-20"], "DSSTDT": sf.dt(["2021-05-20"])})
    source = discontinuation_source(ae, ds)
    assert ae["AEACN"].isna().all() and source == "AEACN"
    unrecorded = ae_tables.not_recorded(ae, source)
    assert unrecorded == {"DISCONT": "AEACN empty"}          # AESER, AESEV, AEOUT are filled in the frames
    categories = ae_tables.overview_categories(events, source, unrecorded)
    assert dict(categories)["DISCONT"].endswith("not recorded (AEACN empty)")
    table = ae_tables.ae_overview(events, population, categories, unrecorded=tuple(unrecorded))
    cells = count_cells(table, ["CATEGORY"]).set_index("CATEGORY")
    assert cells.loc["DISCONT", "g0"] == "not recorded" and cells.loc["DISCONT", "e0"] == NO_COUNT
    assert cells.loc["ANY", "g0"].startswith(str(ae["USUBJID"].nunique()))
    filled = ae.assign(AEACN=["DOSE NOT CHANGED"] * len(ae))
    assert ae_tables.not_recorded(filled, source) == {} and ae_tables.not_recorded(ae, "DS") == {}
