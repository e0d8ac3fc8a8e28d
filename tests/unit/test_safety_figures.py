"""Figure builders: trace counts, the cut stamp, and no arm anywhere in pooled figures."""

import json

import pandas as pd
import pytest

from dashboard.analysis.arms import spaghetti_sample
from dashboard.analysis import ae as A
from dashboard.analysis import ae_infusion as I
from dashboard.analysis import ae_time as T
from dashboard.analysis import survival as SV
from dashboard.analysis import ae_timelines as TL
from dashboard.analysis import labs as L
from dashboard.analysis import safety as S
from dashboard.config import SafetyLabs
from dashboard.figures import safety as F
from dashboard.figures import safety_labs as FL
from dashboard.figures import safety_timelines as FT
from dashboard.figures.survival import survival_figure
from dashboard.figures.common import stamp_text
from safety_frames import EVENTS, lb, small_trial

OPEN = stamp_text("2021-06-01", False)
CLOSED = stamp_text("2021-06-01", True)
ARMS = ("Group A", "Group B")
ARM = pd.Series(pd.Categorical(["Group A", "Group B", "Group A"], categories=list(ARMS)), index=["S1", "S2", "S3"])


@pytest.fixture(scope="module")
def frames():
    d = small_trial()
    pop = S.safety_population(d["DM"], d["EX"])
    events = I.flag_infusion_reactions(S.adverse_events(d["AE"], pop), I.infusions(d["EX"], pop, 5, 1), 72)
    end = S.observation_end(pop, d["DM"], d["DS"], "2021-06-01", 28)
    return d, pop, events, S.treatment_emergent(events), end


def _text(fig) -> str:
    return json.dumps(fig.to_plotly_json(), default=str)


def _pooled_ok(fig):
    text = _text(fig)
    assert "Data cut 2021-06-01" in text and "OPEN" in text
    assert "Group A" not in text and "Group B" not in text


def test_km_pooled_and_by_arm(frames):
    _, pop, _, teae, end = frames
    tte = T.time_to_first_serious(teae, pop, end)
    pooled = survival_figure(SV.pooled(tte, [0, 7], label=S.TOTAL), F.KM_STYLE, OPEN)
    _pooled_ok(pooled)
    assert len(pooled.data) == 3  # band + curve + the numbers-at-risk row
    assert pooled.layout.xaxis.title.text == "Study day (day 1 = first dose, no day 0)"
    risk = pooled.data[2]
    assert list(risk.x) == [0, 7] and risk.mode == "text" and risk.yaxis == "y2"
    armed = survival_figure(SV.by_arm(tte, [0, 7], arm_of=ARM, min_events=1), F.KM_STYLE, CLOSED)
    assert len(armed.data) == 6 and "Log-rank" in _text(armed) and "CLOSED" in _text(armed)


def test_forest_has_incidence_dots_and_one_difference_per_comparison(frames):
    _, pop, _, teae, _ = frames
    rows = A.forest_rows(A.ae_incidence_by_arm(teae, pop, ARM), 10)
    fig = F.forest_figure(rows, ARMS, CLOSED)
    assert len(fig.data) == 3 and fig.data[2].name == "Group B − Group A"
    assert "Data cut 2021-06-01" in _text(fig)
    assert F.forest_figure(rows.iloc[0:0], ARMS, CLOSED).layout.annotations


def test_max_severity_pooled_has_one_panel(frames):
    _, pop, _, teae, _ = frames
    fig = F.max_severity_figure(A.ae_max_severity(teae, pop), OPEN)
    _pooled_ok(fig)
    assert len(fig.data) == 3  # one stacked trace per severity
    armed = F.max_severity_figure(A.ae_max_severity_by_arm(teae, pop, ARM), CLOSED, arm_labels=ARMS)
    assert len(armed.data) == 6
    titles = [a.text for a in armed.layout.annotations]
    assert "Group A (N=2)" in titles and "Group B (N=1)" in titles   # each panel names its N


def test_swimmer_caps_lanes_and_stays_pooled(frames):
    d, pop, events, _, end = frames
    subjects, total = TL.swimmer_subjects(events, 2)
    assert subjects == ["S1", "S2"] and total == 3
    data = TL.swimmer_data(subjects, events, pop, I.infusions(d["EX"], pop, 5, 1),
                           S.clinical_events(EVENTS, d), end)
    assert data["lanes"]["USUBJID"].tolist() == ["S1", "S2"]
    assert set(data["markers"]["EVENT"]) == {"serious", "intubation", "death", "discharge"}
    fig = FT.swimmer_figure(data, OPEN, shown=2, total=total)
    _pooled_ok(fig)
    assert fig.layout.xaxis.title.text.startswith("Study day (day 1 = first dose")
    infusion = next(t for t in fig.data if t.name == "Infusion")
    assert list(infusion.x) == [1, 2, 1]     # S1 on days 1 and 2, S2 on day 1: markers on their study day
    assert "Showing 2 of 3 subjects" in _text(fig)
    chosen, _ = TL.swimmer_subjects_by_arm(events, 2, ARM)
    assert chosen == ["S1", "S2"]  # one lane per arm, first by id within the arm


def test_patient_profile_has_no_arm(frames):
    d, pop, events, _, end = frames
    key_labs = L.split_by_test(lb([("S1", "ALT", 2, 50, 0, 40, "", "2021-05-03")]), pop["USUBJID"])
    profile = TL.subject_profile("S1", events, pop, I.infusions(d["EX"], pop, 5, 1),
                                 S.clinical_events(EVENTS, d), end, key_labs, d["VS"])
    assert profile["doses"]["DAY"].tolist() == [1, 2]                  # study days: first infusion on day 1
    assert profile["labs"][["DAY", "ULN"]].values.tolist() == [[3, 1.25]]
    assert len(profile["vitals"]) == 2 and profile["events"]["AEDECOD"].tolist() == ["Headache", "Dizziness"]
    fig = FT.profile_figure(profile, OPEN, "Patient profile S1")
    _pooled_ok(fig)
    alt = next(t for t in fig.data if t.name == "ALT")
    assert list(alt.customdata[0]) == [50, "U/L"] and "%{customdata[1]}" in alt.hovertemplate   # value with unit


def test_lab_figures(frames):
    _, pop, _, _, _ = frames
    index = L.split_by_test(lb([(s, t, v, x, 0, 40, "Y" if v == 1 else "", "2021-05-03")
                                for s in ("S1", "S2", "S3") for t in ("ALT", "AST", "BILI") for v, x in ((1, 20), (2, 90))]),
                            pop["USUBJID"])
    box = FL.lab_box_figure(L.lab_visit_summary(index["ALT"]), "ALT", "U/L", OPEN)
    _pooled_ok(box)
    assert len(box.data) == 2  # box + n labels
    sample, total = spaghetti_sample(index["ALT"], 2, day="LBDY")
    lines = FL.lab_spaghetti_figure(sample, total, "ALT", "U/L", OPEN)
    _pooled_ok(lines)
    assert "showing 2 of 3 subjects" in _text(lines)
    points = L.edish_points(index, SafetyLabs())
    edish = FL.edish_figure(points, OPEN)
    _pooled_ok(edish)
    assert len(edish.data) == 1 and "Potential Hy" in _text(edish)
    armed = FL.edish_figure(points, CLOSED, subject_arm=ARM, arm_labels=ARMS)
    assert [t.name for t in armed.data] == ["Group A", "Group B"]
    bands = L.creatinine_bands(L.creatinine_rise(index["ALT"], pop), pop)
    _pooled_ok(FL.band_figure(bands, "BAND", "Creatinine", OPEN))


def test_continuous_regimen_marks_dosing_records_not_infusions():
    doses = pd.DataFrame({"USUBJID": ["S1"], "DAY": [1.0], "INFUSION": [1]})
    assert FT._dose_trace(doses, pd.Series({"S1": "S1"}), discrete=False).name == "Dosing record start"
    assert FT._dose_trace(doses, pd.Series({"S1": "S1"}), discrete=True).name == "Infusion"


def test_lab_box_keeps_room_for_the_last_visit_name():
    """O12: the last rotated visit name (random-cdisc-adam: WEEK 5 DAY 36) runs right of its tick; with the house
    margin of 20 px plotly hid it ('hide past div'). The figure keeps it and makes room."""
    visits = ["BASELINE", "WEEK 1 DAY 8", "WEEK 2 DAY 15", "WEEK 3 DAY 22", "WEEK 4 DAY 29", "WEEK 5 DAY 36"]
    summary = pd.DataFrame({S.GROUP: S.TOTAL, "VISITNUM": [float(i) for i in range(6)], "VISIT": visits,
                            "Q1": 10.0, "MEDIAN": 18.0, "Q3": 25.0, "MEAN": 18.0, "LOWERFENCE": 0.0,
                            "UPPERFENCE": 45.0, "N": 400})
    fig = FL.lab_box_figure(summary, "ALT", "U/L", OPEN)
    assert list(fig.layout.xaxis.ticktext) == visits
    assert fig.layout.xaxis.ticklabeloverflow == "allow" and fig.layout.xaxis.automargin
    assert fig.layout.margin.r >= 6 * len(visits[-1])
