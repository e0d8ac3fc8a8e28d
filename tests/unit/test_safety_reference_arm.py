"""Issue 12: risk differences on the Safety page are taken against the configured reference arm, for any number
of arms and wherever the reference stands in the display order."""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep

from dashboard.analysis import ae as A
from dashboard.analysis.safety import adverse_events, safety_population
from dashboard.figures import safety as F
from dashboard.tables import safety as tables
from tests.unit import safety_frames as sf

ARMS = ["Group A", "Group B", "Group C"]


def _trial():
    subjects = [f"S{i}" for i in range(9)]
    dm = sf.dm([(s, "Y", "2021-05-01", None) for s in subjects])
    ex = sf.ex([(s, "2021-05-01") for s in subjects])
    ae = sf.ae([{"USUBJID": s, "AESEQ": 1, "AEDECOD": "Headache", "AESTDTC": "2021-05-02"}
                for s in ("S0", "S1", "S3", "S6", "S7", "S8")])
    arm_of = pd.Series({s: ARMS[i // 3] for i, s in enumerate(subjects)}, dtype=pd.CategoricalDtype(ARMS))
    population = safety_population(dm, ex)
    return adverse_events(ae, population), population, arm_of


def test_differences_against_a_reference_that_is_not_first():
    events, population, arm_of = _trial()
    table = A.ae_incidence_by_arm(events, population, arm_of, reference=2)
    row = table[table["LEVEL"] == "PT"].iloc[0]
    assert "rd2" not in table and {"rd0", "rd1"} <= set(table.columns)
    # reference, plain pandas: proportion with Headache per arm, minus Group C's
    has = events.groupby("USUBJID").size().reindex(arm_of.index, fill_value=0) > 0
    p = has.groupby(arm_of, observed=True).mean()
    assert np.isclose(row["rd0"], p["Group A"] - p["Group C"])
    assert np.isclose(row["rd1"], p["Group B"] - p["Group C"])
    low, high = confint_proportions_2indep(int(has[arm_of == "Group A"].sum()), 3, int(has[arm_of == "Group C"].sum()),
                                           3, method="newcomb", compare="diff")
    assert np.isclose(row["lo0"], low) and np.isclose(row["hi0"], high)


def test_forest_and_grid_name_the_reference():
    events, population, arm_of = _trial()
    rows = A.forest_rows(A.ae_incidence_by_arm(events, population, arm_of, reference=2), 10)
    fig = F.forest_figure(rows, ARMS, "stamp", reference=2)
    names = [t.name for t in fig.data if t.marker.symbol == "diamond"]
    assert names == ["Group A − Group C", "Group B − Group C"]
    columns = tables.incidence_columns([*ARMS, "All"], {0: "Group A − Group C", 1: "Group B − Group C"}, False)
    assert [c["field"] for c in columns if c.get("field", "").startswith("rd")] == ["rd0", "rd1"]


def test_severity_figure_names_every_class():
    events, population, arm_of = _trial()
    fig = F.max_severity_figure(A.ae_max_severity_by_arm(events, population, arm_of), "stamp", arm_labels=ARMS)
    assert fig.layout.yaxis.tickmode == "linear" and fig.layout.yaxis.dtick == 1
