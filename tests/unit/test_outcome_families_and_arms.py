"""Outcome families named by the configuration, efficacy by the configured arm basis, comparisons against the
configured reference arm (coded: the first coded group), and by-arm tables with three arms."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from dashboard.displays import common
from dashboard.displays.outcomes import common as ocommon
from dashboard.analysis import conduct, effects, trajectories
from dashboard.blinding import Access, ArmedTrialData, BlindedTrialData
from dashboard.config import Arm, Outcome, Visit, load_trial_config
from dashboard.cuts import CutManifest
from layouts import outcomes as ids

QUESTIONNAIRE = Outcome("Patient-reported", "QS", "HAMD17", "HAM-D 17 total", "points", False)
ECG = Outcome("ECG", "EG", "QTCF", "QTcF", "ms", False)
ARMS3 = (Arm("HIGH", "High dose", "Group B"), Arm("LOW", "Low dose", "Group A"),
         Arm("PBO", "Placebo", "Group C", reference=True))


def _config(**changes):
    return dataclasses.replace(load_trial_config(), **changes)


def test_the_family_selector_lists_the_configured_families_and_filters_the_outcomes():
    base = load_trial_config().outcomes
    config = _config(outcomes=(QUESTIONNAIRE, base[0], ECG, base[2]))
    *_, families = ocommon.choices(config)
    assert [o["value"] for o in families] == [ids.ALL_FAMILIES, "Patient-reported", base[0].family, "ECG",
                                              base[2].family]
    every = ocommon.choices(config)[0]
    assert [o["value"] for o in every] == ["QS.HAMD17", f"VS.{base[0].testcd}", "EG.QTCF", f"LB.{base[2].testcd}"]
    chosen, value = ocommon.choices(config, "ECG")[:2]
    assert [o["value"] for o in chosen] == ["EG.QTCF"] and value == "EG.QTCF"
    assert ocommon.choices(config, "no such family")[0] == every        # anything unknown: every outcome


def test_the_reference_is_the_configured_arm_with_real_names_and_the_first_coded_group_while_coded():
    config = _config(arms=ARMS3)
    assert effects.comparison_reference(config, coded=False) == "Placebo"
    # coded: "Group A", chosen by its label alone; "Group C" (the placebo) would reveal what it is
    assert effects.comparison_reference(config, coded=True) == "Group A"
    nct = load_trial_config()
    assert effects.comparison_reference(nct, coded=False) == nct.reference_arm.label == "Saline placebo"


PLANNED = pd.Series(["Group A", "Group B", "Group C"], index=["S1", "S2", "S3"])
TREATED = pd.Series(["Group A", "Group A", "Group C"], index=["S1", "S2", "S3"])


MANIFEST = CutManifest("2021-07-10-0123abcd", "NCT05019287", "2021-07-10", "Final", "2021-07-11T09:00:00+00:00",
                       "stat", "/exports/final", ())


@pytest.mark.parametrize("basis,expected,said", [("planned", PLANNED, "arms as randomized"),
                                                 ("actual", TREATED, "arms as treated")])
def test_efficacy_follows_the_configured_arm_basis_and_says_which(basis, expected, said):
    config = _config(arms=ARMS3, efficacy_arm_basis=basis)
    armed = ArmedTrialData(MANIFEST, config, {}, pd.DataFrame(), PLANNED, ("Group A", "Group B", "Group C"),
                           Access.CODED, TREATED)
    assert armed.efficacy_arm_of is expected
    assert common.efficacy_stamp(armed) == f"{common.stamp(armed)} · {common.arm_basis_text(basis)}"
    assert said in common.efficacy_stamp(armed)
    blinded = BlindedTrialData(MANIFEST, config, {}, pd.DataFrame())
    assert common.efficacy_stamp(blinded) == common.stamp(blinded)      # pooled: no arm, no basis


def test_each_arm_is_compared_with_the_reference_at_every_visit():
    rng = np.random.default_rng(3)
    arms = {"Group A": 1.0, "Group B": 3.0, "Group C": 0.0}
    rows, arm_of = [], {}
    for arm, shift in arms.items():
        for i in range(6):
            subject = f"{arm[-1]}{i}"
            arm_of[subject] = arm
            rows.append({"USUBJID": subject, "VISITNUM": 2.0, "VALUE": 0.0, "BASE": 0.0,
                         "CHG": shift + rng.normal()})
    frame = pd.DataFrame(rows)
    series = pd.Series(pd.Categorical(list(arm_of.values()), categories=list(arms)), index=list(arm_of))
    diffs = trajectories.change_differences(frame, [Visit(2, "DAY 7", 7, 1)], series, "Group C")
    assert diffs["ARM"].tolist() == ["Group A", "Group B"] and set(diffs["REFERENCE"]) == {"Group C"}
    mean = frame.assign(ARM=frame["USUBJID"].map(arm_of)).groupby("ARM")["CHG"].mean()
    assert diffs["DIFF"].tolist() == pytest.approx([mean["Group A"] - mean["Group C"],
                                                    mean["Group B"] - mean["Group C"]])


def test_exposure_tables_by_arm_hold_every_arm():
    exposure = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"], "received": [5, 3, 5], "days_covered": [28, 10, 0],
                             "compliance_pct": [100.0, 50.0, 0.0], "without_end": [0, 0, 0]})
    labels = ("Group A", "Group B", "Group C")
    doses = conduct.exposure_distribution_by_arm(exposure, PLANNED, labels, 5)
    assert doses.groupby("arm")["subjects"].sum().to_dict() == {"Group A": 1, "Group B": 1, "Group C": 1}
    bands = conduct.compliance_distribution_by_arm(exposure, PLANNED, labels).set_index(["arm", "band"])
    assert bands.loc[("Group B", "50 to < 80 %"), "subjects"] == 1
    assert bands.loc[("Group C", "not dosed"), "subjects"] == 1


def test_outcomes_come_from_any_findings_domain():
    """A questionnaire (QS) and an ECG (EG) outcome are read like VS and LB: by their domain's --TESTCD and
    --STRESN, baseline from --BLFL; a configured domain the cut lacks is said, not drawn empty."""
    import outcomes_frames as F

    from dashboard.analysis import outcomes
    from dashboard.figures import outcomes as outcome_figures

    dm = F.dm([("S1", "2021-05-01"), ("S2", "2021-05-01")])
    visits = (Visit(1, "BASELINE", 1, 0), Visit(2, "WEEK 4", 29, 3))
    qs = F.findings("QS", [("S1", "HAMD17", 1, 1, 24, "Y"), ("S1", "HAMD17", 2, 29, 12, ""),
                           ("S2", "HAMD17", 1, 1, 20, "Y"), ("S2", "HAMD17", 2, 29, 18, ""),
                           ("S2", "HAMD21", 2, 29, 99, "")])
    eg = F.findings("EG", [("S1", "QTCF", 1, 1, 410, "Y"), ("S1", "QTCF", 2, 29, 430, "")])
    values = outcomes.all_outcome_values({"QS": qs, "EG": eg}, (QUESTIONNAIRE, ECG), dm, visits)
    change = outcomes.visit_values(values["QS.HAMD17"]).set_index(["USUBJID", "VISITNUM"])["CHG"]
    reference = qs[qs["QSTESTCD"] == "HAMD17"].pivot(index="USUBJID", columns="VISITNUM", values="QSSTRESN")
    assert change.xs(2.0, level="VISITNUM").to_dict() == (reference[2.0] - reference[1.0]).to_dict()
    ecg = outcomes.visit_values(values["EG.QTCF"])
    assert ecg.loc[ecg["VISITNUM"] == 2.0, "CHG"].tolist() == [430.0 - 410.0]
    figure = outcome_figures.missing_domain_figure("Trajectory over time", "stamp", "QS", "HAM-D 17 total")
    assert "no QS domain" in figure.layout.annotations[0].text


def test_a_long_follow_up_keeps_the_numbers_at_risk_readable():
    from dashboard.analysis import survival

    assert survival.risk_table_days(28) == [0, 7, 14, 21, 28]                    # NCT05019287: every week
    days = survival.risk_table_days(182)                                          # 26 weeks: every 3 weeks
    assert len(days) <= survival.MAX_RISK_COLUMNS and days[0] == 0 and days[-1] >= 182 - 21
    assert all(b - a == days[1] - days[0] and (b - a) % 7 == 0 for a, b in zip(days, days[1:]))


def test_event_curve_with_three_long_arm_names_keeps_them_whole_and_the_legend_below():
    from dashboard.analysis import survival
    from dashboard.figures.outcomes import event_style
    from dashboard.figures.survival import survival_figure

    names = ("Placebo", "Xanomeline Low Dose", "Xanomeline High Dose")
    arm_of = pd.Series(pd.Categorical(["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"] * 2,
                                      categories=list(names)), index=[f"S{i}" for i in range(6)])
    times = survival.times_frame(arm_of.index, [3.0, 50.0, 70.0, 182.0, 90.0, 182.0], [1, 0, 1, 0, 1, 0])
    days = survival.risk_table_days(182)
    fig = survival_figure(survival.by_arm(times, days, arm_of=arm_of), event_style("Death", False), "stamp")
    assert fig.layout.yaxis2.automargin is True                   # the at-risk rows are labelled in full
    assert fig.layout.xaxis.dtick == days[1] - days[0]             # ticks where the numbers at risk stand
    assert fig.layout.legend.yanchor == "top" and fig.layout.legend.y < 0   # below the plot, growing down
