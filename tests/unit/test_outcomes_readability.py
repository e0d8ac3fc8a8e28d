"""Outcomes readability with many visits and 2-4 arms (issues 11 and 12), survivors and deaths beside every
by-visit comparison, and the page's population: through the page's own callback helpers on hand-made trials."""

from __future__ import annotations

import dataclasses

import outcomes_frames as F
import pandas as pd
import pytest

from dashboard.displays.outcomes import effects as oeff
from dashboard.displays.outcomes import trajectories as otraj
from dashboard.analysis import outcomes
from dashboard.blinding import Access, ArmedTrialData, BlindedTrialData
from dashboard.config import Arm, Visit, load_trial_config
from dashboard.cuts import CutManifest
from dashboard.figures import trajectories as trajectory_figures

MANIFEST = CutManifest("2021-07-10-0123abcd", "NCT05019287", "2021-07-10", "Final", "2021-07-11T09:00:00+00:00",
                       "stat", "/exports/final", ())
# 19 configured visits (as the CDISC pilot), of which the outcome is measured at three
VISITS19 = tuple(Visit(i, "BASELINE" if i == 1 else f"WEEK {i - 1}", 1 if i == 1 else 7 * (i - 1), 2)
                 for i in range(1, 20))
MEASURED = (1.0, 3.0, 5.0)
NAMES = ("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose", "Fourth arm with a long name")
SUBJECTS = [f"S{i:02d}" for i in range(1, 17)]
DEATHS = {"S01": "2021-05-05", "S02": "2021-05-20"}       # day 5 and day 20: dead by WEEK 2 / WEEK 4 visits


def trial(n_arms: int, access: Access = Access.UNBLINDED):
    arms = tuple(Arm(f"A{i}", NAMES[i], f"Group {'ABCD'[i]}", reference=i == 0) for i in range(n_arms))
    config = dataclasses.replace(load_trial_config(), arms=arms, outcomes=(F.SPO2,), visits=VISITS19)
    dm = F.dm([(s, "2021-05-01") for s in SUBJECTS], deaths=DEATHS)
    rows = []
    for i, s in enumerate(SUBJECTS):
        for v in MEASURED:
            day = VISITS19[int(v) - 1].day
            if s in DEATHS and v > 1:
                continue                                    # the dead have no later value
            if v == 5.0 and i % 4 == 3:
                continue                                    # alive, missed the visit
            rows.append((s, "OXYSAT", v, day, 90.0 + i + v, "Y" if v == 1 else ""))
    domains = {"DM": dm, "VS": F.findings("VS", rows), "DS": F.ds()}
    labels = tuple(a.label for a in arms)
    arm_of = pd.Series(pd.Categorical([labels[i % n_arms] for i in range(len(SUBJECTS))], categories=labels),
                       index=pd.Index(SUBJECTS, name="USUBJID"), name="ARM")
    if access is Access.BLINDED:
        return BlindedTrialData(MANIFEST, config, domains, pd.DataFrame()), arm_of, domains
    return ArmedTrialData(MANIFEST, config, domains, pd.DataFrame(), arm_of, labels, access, arm_of), arm_of, domains


def test_only_visits_with_records_are_kept():
    values = pd.DataFrame({"VISITNUM": [1.0, 3.0, 3.0, 5.0, 5.1]})
    assert [v.num for v in outcomes.visits_with_records(values, VISITS19)] == [1, 3, 5]


@pytest.mark.parametrize("n_arms", [2, 3, 4])
def test_the_axes_show_only_measured_visits_the_legend_is_clear_and_n_is_in_a_table(n_arms):
    data, arm_of, domains = trial(n_arms)
    trajectory, change, rows, columns = otraj.trajectory_outputs(data, "VS.OXYSAT", "visit", "mean", [], "absolute")
    names = [VISITS19[int(v) - 1].name for v in MEASURED]
    assert list(trajectory["layout"]["xaxis"]["ticktext"]) == names            # 3 ticks, not 19
    assert list(change["layout"]["xaxis2"]["ticktext"]) == names[1:]            # after baseline
    assert not any("<br>" in t for t in trajectory["layout"]["xaxis"]["ticktext"])   # no stacked n labels
    for figure in (trajectory, change):
        legend = figure["layout"]["legend"]
        assert legend["yref"] == "container" and legend["yanchor"] == "bottom"  # under ticks and title
        assert figure["layout"]["margin"]["b"] >= trajectory_figures.BOTTOM
        shown = [t["name"] for t in figure["data"] if t.get("showlegend", True)]
        assert shown == list(NAMES[:n_arms])                                     # one legend entry per arm
    # the table: one column per measured visit; its "with a value" counts recomputed from the VS rows
    assert [c["headerName"] for c in columns[2:]] == names
    vs = domains["VS"].assign(ARM=domains["VS"]["USUBJID"].map(arm_of.astype(str)))
    expected = vs.groupby(["ARM", "VISITNUM"])["USUBJID"].nunique()
    arm = None
    for row in rows:
        arm = row["group"].rsplit(" (N", 1)[0] if row["group"] else arm
        if row["what"] == "with a value":
            assert [row[f"v{i}"] for i in range(3)] == [int(expected.get((arm, v), 0)) for v in MEASURED]


def test_deaths_and_missing_values_stand_beside_each_by_visit_comparison():
    data, arm_of, domains = trial(2)
    _, change, rows, _ = otraj.trajectory_outputs(data, "VS.OXYSAT", "visit", "mean", [], "absolute")
    placebo_died = next(r for r in rows if r["what"].startswith("died"))
    # Placebo holds S01 and S03...: S01 died on day 5 (before WEEK 2, day 14) -> dead at both later visits
    dead_placebo = [s for s in DEATHS if arm_of[s] == "Placebo"]
    assert placebo_died["v1"] == len(dead_placebo) and placebo_died["v0"] == "–"
    panel = [t for t in change["data"] if t.get("yaxis") == "y2"]
    assert panel and all("died by then" in t["hovertemplate"] for t in panel)
    arms_traces = [t for t in change["data"] if t.get("yaxis", "y") == "y"]
    assert all("died by then" in row[4] for t in arms_traces for row in t["customdata"])


def test_blinded_roles_get_pooled_counts_and_no_worst_rank():
    data, _, _ = trial(3, Access.BLINDED)
    trajectory, change, rows, columns = otraj.trajectory_outputs(data, "VS.OXYSAT", "visit", "median", [], "absolute")
    assert {r["group"] for r in rows} <= {"All (N 16)", ""}
    text = str((trajectory, change, rows, columns))
    assert not any(name in text for name in NAMES) and "Group" not in text
    assert oeff.worst_rank_view(data, 5.0) == ([], [])


def test_the_worst_rank_table_covers_every_outcome_at_the_chosen_visit():
    data, _, _ = trial(3)
    rows, columns = oeff.worst_rank_view(data, 5.0)
    assert [r["arm"] for r in rows] == ["Placebo (reference)", "Xanomeline Low Dose", "Xanomeline High Dose",
                                        "All arms"]
    assert rows[0]["visit"] == "WEEK 4" and "p (nominal, unadjusted)" in [c["headerName"] for c in columns]
    assert rows[0]["ranked"].startswith("1 + ")          # S01 (Placebo) died before WEEK 4: ranked worst


def test_the_population_and_its_difference_from_safety_are_stated():
    data, arm_of, domains = trial(2)
    ex = pd.DataFrame({"USUBJID": SUBJECTS[1:], "EXSTDTC": "2021-05-01",
                       "EXSTDT": pd.to_datetime(["2021-05-01"] * (len(SUBJECTS) - 1))})
    treated = arm_of.copy()
    treated["S02"] = "Placebo"                                   # S02 randomized to the second arm
    armed = ArmedTrialData(MANIFEST, data.config, {**domains, "EX": ex}, pd.DataFrame(), arm_of, data.arm_labels,
                           Access.UNBLINDED, treated)
    lines = oeff.population(armed)
    counts = arm_of.value_counts()
    assert lines[0].endswith(f"N = {len(SUBJECTS)} (Placebo {counts['Placebo']} | Xanomeline Low Dose "
                             f"{counts['Xanomeline Low Dose']}).")
    assert "1 randomized, never dosed (Placebo 1 | Xanomeline Low Dose 0): S01" in lines[1]
    assert "Xanomeline Low Dose → Placebo: S02" in lines[1]
    blinded = BlindedTrialData(MANIFEST, data.config, {**domains, "EX": ex}, pd.DataFrame())
    pooled = oeff.population(blinded)
    assert "never dosed: S01" in pooled[1] and "Placebo" not in " ".join(pooled) and "another arm" not in pooled[1]


def test_individual_lines_by_arm_keep_one_legend_entry_per_arm_and_long_names_get_legend_rows():
    data, _, _ = trial(4)
    trajectory = otraj.trajectory_outputs(data, "VS.OXYSAT", "visit", "mean", ["show"], "absolute")[0]
    shown = [t["name"] for t in trajectory["data"] if t.get("showlegend", True)]
    assert shown == list(NAMES)
    assert "Individual lines (thin, arm colour)" in trajectory["layout"]["title"]["text"]
    # four arm names: 40 px + 7 px a character each, packed into rows of 560 px as plotly wraps them
    widths = [40 + 7 * len(n) for n in NAMES]
    rows, used = 1, 0
    for w in widths:
        if used and used + w > trajectory_figures.LEGEND_WIDTH:
            rows, used = rows + 1, 0
        used += w
    assert rows == 2 and trajectory["layout"]["margin"]["b"] == trajectory_figures.BOTTOM + 20
