"""CONSORT flow: pooled boxes and by-arm boxes from the small trial."""

from __future__ import annotations

import pandas as pd
import pytest
import recruitment_frames as f

from dashboard.analysis import consort
from dashboard.analysis import recruitment as rec


@pytest.fixture
def status() -> pd.DataFrame:
    return rec.subject_status(f.dm(), f.ds(), f.ex(), f.CUT, planned_doses=5, interval_days=1)


def counts(flow: pd.DataFrame, group: str) -> dict[str, int]:
    return flow[flow["group"] == group].set_index("key")["subjects"].to_dict()


def test_pooled_flow_adds_up(status):
    flow = consort.consort_flow(status, 5)
    before = counts(flow, "")
    assert before == {"screened": 8, "excluded": 4, "screen_failure": 3, "not_randomized": 1, "randomized": 4}
    after = counts(flow, consort.POOLED_GROUP)
    assert after["allocated"] == 4 and after["dosed"] == 4 and after["all_doses"] == 2 and after["no_dose"] == 0
    assert (after["completed"], after["died"], after["withdrawn"], after["ongoing"]) == (1, 1, 1, 1)
    assert after["withdrawn:Withdrawal by subject"] == 1
    assert after["completed"] + after["died"] + after["withdrawn"] + after["ongoing"] == after["allocated"]


def test_pooled_flow_never_names_an_arm(status):
    flow = consort.consort_flow(status, 5)
    assert set(flow["group"]) == {"", consort.POOLED_GROUP}


def test_flow_by_arm_splits_allocation_and_follow_up(status):
    flow = consort.consort_flow_by_arm(status, f.arm_of(), f.ARM_LABELS, 5)
    a, b = counts(flow, "Group A"), counts(flow, "Group B")
    assert (a["allocated"], a["all_doses"], a["completed"], a["withdrawn"], a["died"]) == (2, 2, 1, 1, 0)
    assert (b["allocated"], b["all_doses"], b["died"], b["ongoing"]) == (2, 0, 1, 1)
    assert "withdrawn:Withdrawal by subject" not in b
    assert counts(flow, "") == counts(consort.consort_flow(status, 5), "")       # pre-randomization boxes: pooled


def test_flow_by_arm_reports_subjects_missing_from_the_randomization_list(status):
    arm_of = f.arm_of().drop("S07")
    flow = consort.consort_flow_by_arm(status, arm_of, f.ARM_LABELS, 5)
    assert counts(flow, "")["not_in_list"] == 1


def test_empty_selection(status):
    flow = consort.consort_flow(status.iloc[0:0], 5)
    assert counts(flow, "")["screened"] == 0 and counts(flow, consort.POOLED_GROUP)["allocated"] == 0
