"""CONSORT-style flow from the cut: assessed, excluded, randomized, treated, followed up (pooled or by arm)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from dashboard.analysis.recruitment import COMPLETED, DIED, NOT_RANDOMIZED, ONGOING, SCREEN_FAILURE, WITHDRAWN

POOLED_GROUP = "All randomized"
FLOW_COLUMNS = ["group", "box", "key", "label", "subjects"]


def _row(group: str, box: str, key: str, label: str, n: int) -> dict:
    return {"group": group, "box": box, "key": key, "label": label, "subjects": int(n)}


def _enrollment_rows(status: pd.DataFrame) -> list[dict]:
    """Boxes before randomization; these never depend on the arm."""
    g = ""
    return [_row(g, "assessed", "screened", "Assessed for eligibility", len(status)),
            _row(g, "excluded", "excluded", "Excluded", int((~status["RANDOMIZED"]).sum())),
            _row(g, "excluded", "screen_failure", "Did not meet the eligibility criteria",
                 int((status["STATUS"] == SCREEN_FAILURE).sum())),
            _row(g, "excluded", "not_randomized", "Eligible, not randomized",
                 int((status["STATUS"] == NOT_RANDOMIZED).sum())),
            _row(g, "randomized", "randomized", "Randomized", int(status["RANDOMIZED"].sum()))]


def _group_rows(group: str, rand: pd.DataFrame, planned_doses: int, discrete: bool = True) -> list[dict]:
    """Allocation and follow-up boxes of one group of randomized subjects.

    "Received all k infusions" only for discrete doses: under a continuous regimen EX records are periods, not
    doses, so their number says nothing about the dose received.
    """
    dose = "infusion" if discrete else "dose"
    rows = [_row(group, "allocation", "allocated", "Allocated", len(rand)),
            _row(group, "allocation", "dosed", f"Received at least one {dose}", int((rand["DOSES"] > 0).sum()))]
    if discrete:
        rows.append(_row(group, "allocation", "all_doses", f"Received all {planned_doses} infusions",
                         int((rand["DOSES"] >= planned_doses).sum())))
    rows += [_row(group, "allocation", "no_dose", f"Received no {dose}", int((rand["DOSES"] == 0).sum())),
             _row(group, "follow_up", "completed", "Completed follow-up", int((rand["STATUS"] == COMPLETED).sum())),
             _row(group, "follow_up", "died", "Died", int((rand["STATUS"] == DIED).sum())),
             _row(group, "follow_up", "withdrawn", "Discontinued", int((rand["STATUS"] == WITHDRAWN).sum()))]
    reasons = rand.loc[rand["STATUS"] == WITHDRAWN, "WITHDRAWAL_REASON"].fillna("Reason not recorded")
    for reason, n in sorted(reasons.value_counts().items()):
        rows.append(_row(group, "follow_up", f"withdrawn:{reason}", f"  {reason}", n))
    rows.append(_row(group, "follow_up", "ongoing", "Still on study", int(rand["STATUS"].isin(ONGOING).sum())))
    return rows


def consort_flow(status: pd.DataFrame, planned_doses: int, discrete: bool = True) -> pd.DataFrame:
    """The pooled flow: one row per line of each box (group '' before randomization, 'All randomized' after)."""
    rand = status.loc[status["RANDOMIZED"]]
    return pd.DataFrame(_enrollment_rows(status) + _group_rows(POOLED_GROUP, rand, planned_doses, discrete),
                        columns=FLOW_COLUMNS)


def consort_flow_by_arm(status: pd.DataFrame, arm_of: pd.Series, arm_labels: Sequence[str],
                        planned_doses: int, discrete: bool = True) -> pd.DataFrame:
    """The flow with allocation and follow-up boxes per arm (planned arm, as randomized), in display order."""
    rand = status.loc[status["RANDOMIZED"]]
    arm = rand["USUBJID"].map(arm_of.astype(object))
    rows = _enrollment_rows(status)
    for label in arm_labels:
        rows += _group_rows(label, rand.loc[(arm == label).to_numpy()], planned_doses, discrete)
    missing = int(arm.isna().sum())
    if missing:
        rows.append(_row("", "randomized", "not_in_list", "Not in the randomization list", missing))
    return pd.DataFrame(rows, columns=FLOW_COLUMNS)
