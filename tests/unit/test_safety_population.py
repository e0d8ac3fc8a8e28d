"""Issue 12, Denominators: the Safety page states its population and N, and who is randomized but not in it (or
in it under another arm), with counts per arm and subject ids; never an arm for blinded roles."""

from __future__ import annotations

import pandas as pd

from dashboard.analysis.safety import group_sizes, safety_population
from dashboard.analysis.safety_base import NEVER_DOSED, OTHER_ARM, population_difference
from dashboard.tables.safety import population_lines
from tests.unit import safety_frames as sf

ARMS = ["Placebo", "Low Dose", "High Dose"]


def _trial():
    dm = sf.dm([("S1", "Y", "2021-05-01", None), ("S2", "Y", "2021-05-01", None), ("S3", "Y", None, None),
                ("S4", "Y", "2021-05-01", None), ("S5", "Y", None, None), ("F1", "N", None, None)])
    ex = sf.ex([("S1", "2021-05-01"), ("S2", "2021-05-01"), ("S4", "2021-05-01")])
    planned = pd.Series({"S1": "Placebo", "S2": "Low Dose", "S3": "High Dose", "S4": "Low Dose", "S5": "Placebo"},
                        dtype=pd.CategoricalDtype(ARMS))
    treated = planned.copy()
    treated["S4"] = "High Dose"
    return dm, safety_population(dm, ex), planned, treated


def test_blinded_statement_names_the_never_dosed_without_arms():
    dm, population, planned, _ = _trial()
    difference = population_difference(dm, population)
    # reference: randomized (RANDFL Y) minus those with an EX record
    never = sorted(set(dm.loc[dm["RANDFL"] == "Y", "USUBJID"]) - {"S1", "S2", "S4"})
    assert difference["USUBJID"].tolist() == never == ["S3", "S5"]
    assert set(difference["REASON"]) == {NEVER_DOSED} and difference["PLANNED"].isna().all()
    lines = population_lines(group_sizes(population, None), 5, difference, "as treated")
    text = " ".join(lines)
    assert "N = 3" in text and "Randomized: N = 5" in text and "never dosed" in text and "S3, S5" in text
    assert not any(arm in text for arm in ARMS)


def test_closed_statement_counts_per_arm_and_names_arm_changes():
    dm, population, planned, treated = _trial()
    difference = population_difference(dm, population, planned, treated)
    assert difference.set_index("USUBJID")["REASON"].to_dict() == {"S3": NEVER_DOSED, "S5": NEVER_DOSED,
                                                                  "S4": OTHER_ARM}
    sizes = group_sizes(population, treated)
    lines = population_lines(sizes, 5, difference, "as treated", ARMS)
    assert "(Placebo 1 · Low Dose 1 · High Dose 1)" in lines[0]
    assert "2 (Placebo 1 · High Dose 1, as randomized): S3, S5" in lines[1]
    assert "randomized Low Dose, treated High Dose: 1" in lines[2] and lines[2].endswith("S4.")


def test_same_sets_say_so():
    dm = sf.dm([("S1", "Y", "2021-05-01", None)])
    population = safety_population(dm, sf.ex([("S1", "2021-05-01")]))
    lines = population_lines(group_sizes(population, None), 1, population_difference(dm, population), "as treated")
    assert lines == ["Safety population (as treated): randomized subjects with at least one dose, N = 1. "
                     "Randomized: N = 1. The two sets are the same subjects."]


def test_statement_names_saffl_when_it_restricted_the_population():
    """O4: on an ADaM cut whose ADSL gives SAFFL the definition names it (the population is dosed and SAFFL = Y)."""
    dm = sf.dm([("S1", "Y", "2021-05-01", None)])
    population = safety_population(dm, sf.ex([("S1", "2021-05-01")]))
    sizes, difference = group_sizes(population, None), population_difference(dm, population)
    assert "SAFFL" not in population_lines(sizes, 1, difference, "as treated")[0]
    assert "at least one dose and SAFFL = Y (ADSL), N = 1" in population_lines(sizes, 1, difference, "as treated",
                                                                               saffl=True)[0]


def test_overview_note_names_trtemfl_when_delivered():
    """O4: the TEAE sentence says TRTEMFL when the flag decided, the dosing-date derivation otherwise."""
    from types import SimpleNamespace

    from dashboard.displays.safety.overview import flag_delivered, teae_rule
    config = SimpleNamespace(discrete_doses=False)
    flagged = SimpleNamespace(ae=pd.DataFrame({"USUBJID": ["S1"], "TRTEMFL": ["Y"]}), config=config)
    sdtm = SimpleNamespace(ae=pd.DataFrame({"USUBJID": ["S1"]}), config=config)
    blank = SimpleNamespace(ae=pd.DataFrame({"USUBJID": ["S1"], "TRTEMFL": pd.Series([None], dtype="str")}),
                            config=config)
    assert "TRTEMFL = Y" in teae_rule(flagged) and "first EX start" not in teae_rule(flagged)
    assert "first EX start" in teae_rule(sdtm) and "TRTEMFL" not in teae_rule(sdtm)
    assert not flag_delivered(blank.ae, "TRTEMFL") and "first EX start" in teae_rule(blank)


def test_lab_baseline_table_uses_one_rounding_per_test():
    """O13: every number of a test's baseline table has the same decimals (three significant digits of the typical
    baseline), not four significant digits each ('8.967 (1.312 to 16.9)')."""
    from dashboard.analysis.safety import GROUP, TOTAL
    from dashboard.tables.safety import baseline_rows
    summary = pd.DataFrame({"STAT": ["BASE", "CHG"], "LABEL": ["Baseline", "Change"], GROUP: TOTAL,
                            "MEDIAN": [17.96, 8.967], "Q1": [11.68, 1.312], "Q3": [25.35, 16.9], "N": [400, 400]})
    rows = baseline_rows(summary, [TOTAL], "U/L")
    assert rows == [["Baseline (U/L)", "18.0 (11.7 to 25.4), n=400"], ["Change (U/L)", "9.0 (1.3 to 16.9), n=400"]]
    small = summary.assign(MEDIAN=[0.52, 0.013], Q1=[0.4, -0.1], Q3=[0.7, 0.2])
    assert baseline_rows(small, [TOTAL], "mg/dL")[1][1] == "0.013 (-0.100 to 0.200), n=400"
