"""Visits without a planned day (unscheduled, retrieval, early termination): every use of the planned day copes,
by-visit plots place visits by planned day and leave the undated ones out, saying how many records that is."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import outcomes_frames as F
import recruitment_frames as f

from dashboard.displays.outcomes import common as ocommon
from dashboard.displays.outcomes import trajectories as otraj
from dashboard.analysis import conduct, effects, outcomes, trajectories
from dashboard.analysis import recruitment as rec
from dashboard.config import Visit, load_trial_config
from dashboard.figures import trajectories as trajectory_figures

# VISITNUM order is not planned-day order here (a late-added day 2 visit), and two visits have no day
VISITS = (Visit(1, "SCREENING", -1, 1), Visit(2, "DAY 1", 1, 0), Visit(3, "DAY 7", 7, 1), Visit(4, "DAY 2", 2, 0),
          Visit(90, "UNSCHEDULED", None, 0), Visit(99, "EARLY TERMINATION", None, 0))


def _values() -> pd.DataFrame:
    dm = F.dm([("S1", "2021-05-01"), ("S2", "2021-05-01")])
    vs = F.findings("VS", [("S1", "OXYSAT", 1, -1, 90, "Y"), ("S2", "OXYSAT", 1, -1, 88, "Y"),
                           ("S1", "OXYSAT", 4, 2, 92, ""), ("S2", "OXYSAT", 4, 2, 91, ""),
                           ("S1", "OXYSAT", 3, 7, 95, ""), ("S2", "OXYSAT", 3, 7, 96, ""),
                           ("S1", "OXYSAT", 90, 5, 93, ""), ("S2", "OXYSAT", 99, 9, 97, ""),
                           ("S1", "OXYSAT", 3.1, 8, 94, "")])
    return outcomes.outcome_values(vs, F.SPO2, dm, VISITS)


def test_planned_visits_leave_out_undated_ones_and_follow_the_planned_day():
    planned = outcomes.planned_visits(VISITS)
    assert [v.name for v in planned] == ["SCREENING", "DAY 1", "DAY 2", "DAY 7"]
    assert [v.name for v in outcomes.post_baseline_visits(VISITS)] == ["DAY 2", "DAY 7"]
    assert [outcomes.visit_label(v) for v in VISITS[-2:]] == ["UNSCHEDULED", "EARLY TERMINATION"]


def test_summaries_place_visits_by_planned_day_and_count_what_they_leave_out():
    values = _values()
    per_visit = outcomes.visit_values(values)
    summary = trajectories.pooled_summary(per_visit, outcomes.planned_visits(VISITS))
    assert summary["VISIT"].tolist() == ["SCREENING", "DAY 1", "DAY 2", "DAY 7"]
    assert summary["POSITION"].tolist() == [1.0, 2.0, 3.0, 4.0]                  # DAY 2 before DAY 7
    by_visit = summary.set_index("VISIT")
    assert by_visit.loc["DAY 7", "CENTER"] == np.median([95, 96]) and by_visit.loc["DAY 7", "N"] == 2
    # one record at each visit without a day (90, 99), one at a visit not configured at all (3.1)
    at_undated = int(values["VISITNUM"].isin([90, 99]).sum())
    unplanned = int((~values["VISITNUM"].isin([v.num for v in VISITS])).sum())
    assert outcomes.left_out_of_visit_plots(values, VISITS) == (at_undated, unplanned) == (2, 1)
    config = dataclasses.replace(load_trial_config(), visits=VISITS)
    assert otraj.left_out_note(values, config) == ("<br>Left out of the by-visit summary: 2 records at visits "
                                                  "without a planned day, 1 at unscheduled visits")
    # even the whole schedule, undated visits included, summarizes without error (their day is missing)
    whole = trajectories.pooled_summary(per_visit, VISITS)
    assert whole.set_index("VISIT")["DAY"].isna().to_dict()["UNSCHEDULED"]


def test_the_visit_axis_places_points_and_lines_by_planned_day():
    values = _values()
    summary = trajectories.pooled_summary(outcomes.visit_values(values), outcomes.planned_visits(VISITS))
    figure = trajectory_figures.trajectory_figure(summary, F.SPO2, "visit", "median", "stamp", spaghetti=values,
                                                  spaghetti_total=2)
    assert list(figure.layout.xaxis.tickvals) == [1.0, 2.0, 3.0, 4.0]
    assert [t.split("<br>")[0] for t in figure.layout.xaxis.ticktext] == ["SCREENING", "DAY 1", "DAY 2", "DAY 7"]
    positions = trajectory_figures.spaghetti_positions(values, summary)
    place = dict(zip(values["VISITNUM"], positions))
    assert place[4.0] == 3.0 and place[3.0] == 4.0            # VISITNUM 4 (day 2) stands before VISITNUM 3 (day 7)
    assert np.isnan(place[99.0])                              # beyond the planned visits: no place on this axis


def test_change_differences_and_effects_cope_with_undated_visits():
    values = _values()
    per_visit = outcomes.visit_values(values)
    arm_of = F.arms({"S1": "Group A", "S2": "Group B"})
    later = outcomes.post_baseline_visits(VISITS)
    diffs = trajectories.change_differences(per_visit, later, arm_of, "Group A")
    # positions count within the visits plotted (the change figure's own), as its summary's do
    change = trajectories.summary_by_arm(per_visit, later, arm_of, "CHG")
    assert diffs["VISIT"].tolist() == ["DAY 2", "DAY 7"] and diffs["POSITION"].tolist() == [1.0, 2.0]
    assert dict(zip(change["VISIT"], change["POSITION"])) == {"DAY 2": 1.0, "DAY 7": 2.0}
    rows = effects.change_effects(per_visit, F.SPO2, VISITS, arm_of, "Group A")
    assert rows["VISIT"].tolist() == [""]                     # one subject per arm: no visit has enough


def test_visit_options_name_the_day_only_when_there_is_one():
    config = dataclasses.replace(load_trial_config(), visits=VISITS)
    visit_options = ocommon.choices(config)[4]
    assert [o["label"] for o in visit_options] == ["DAY 2 (day 2)", "DAY 7 (day 7)"]


def test_completeness_never_expects_a_visit_without_a_planned_day():
    status = rec.subject_status(f.dm(), f.ds(), f.ex(), f.CUT, planned_doses=5, interval_days=1)
    randomized = status[status["RANDOMIZED"]]
    expected = conduct.expected_visits(randomized, VISITS)
    assert not expected[90].any() and not expected[99].any()
    completed = randomized.loc[randomized["STATUS"] == rec.COMPLETED, "USUBJID"]
    assert expected.loc[completed, 3].all()                   # a completed subject was due at every dated visit
    table = conduct.visit_completeness(expected, conduct.visit_presence([f.vs()], VISITS), VISITS)
    undated = table[table["planned_day"].isna()]
    assert undated["expected"].tolist() == [0, 0] and undated["pct_received"].isna().all()


def test_records_are_matched_to_visits_on_their_name_as_safety_does():
    """An export numbering visits by study day (VISITNUM 7 for 'Day 7') still puts each record under the visit its
    VISIT names, the label Safety's views (keyed on VISIT) show; a VISITNUM of another configured visit with an
    unknown name is not relabelled but left out and counted."""
    dm = F.dm([("S1", "2021-05-01")])
    vs = F.findings("VS", [("S1", "OXYSAT", 1, 1, 90, "Y"), ("S1", "OXYSAT", 7, 7, 95, ""),
                           ("S1", "OXYSAT", 4, 4, 93, ""), ("S1", "OXYSAT", 3, 3, 92, ""),
                           ("S1", "OXYSAT", 5.1, 6, 94, "")])
    vs["VISIT"] = ["day 1", " DAY 7 ", "DAY 2", "", "UNSCHEDULED 5.1"]
    values = outcomes.outcome_values(vs, F.SPO2, dm, VISITS)
    by_name = {v.name: float(v.num) for v in VISITS}
    expected = {1.0: by_name["DAY 1"], 7.0: by_name["DAY 7"], 4.0: by_name["DAY 2"], 3.0: 3.0, 6.0: 5.1}
    assert dict(zip(values["DY"], values["VISITNUM"])) == expected           # no VISIT: its VISITNUM (3) kept
    clash = vs.iloc[[2]].assign(VISIT="WEEK 2")                  # VISITNUM 4 is DAY 2's, the name is not
    matched = outcomes.visit_numbers(clash, VISITS)
    assert matched.isna().all()
    assert outcomes.left_out_of_visit_plots(outcomes.outcome_values(clash, F.SPO2, dm, VISITS), VISITS) == (0, 1)
