"""The one home of the by-arm helpers (dashboard/analysis/arms.py): what a subject without an arm becomes is the
caller's explicit choice, and the sample of individual lines never depends on the arm."""

from __future__ import annotations

import pandas as pd

from dashboard.analysis import arms

ARM_OF = pd.Series(["Group B", "Group A"], index=["S2", "S1"])


def test_analyses_drop_subjects_without_an_arm_listings_keep_them_blank():
    frame = pd.DataFrame({"USUBJID": ["S1", "S9", "S2"], "X": [1, 2, 3]})
    dropped = arms.with_arm(frame, ARM_OF)
    assert dropped["USUBJID"].tolist() == ["S1", "S2"] and list(dropped["ARM"].cat.categories) == ["Group A", "Group B"]
    kept = arms.with_arm(frame, ARM_OF, keep_unarmed=True)
    assert kept.columns.tolist() == ["USUBJID", "ARM", "X"]
    # reference, plain pandas: each subject's arm, blank where it has none
    assert kept["ARM"].tolist() == [ARM_OF.to_dict().get(s, "") for s in frame["USUBJID"]]


def test_arm_order_follows_the_categories_else_sorts():
    assert arms.arm_order(ARM_OF) == ["Group A", "Group B"]
    coded = ARM_OF.astype(pd.CategoricalDtype(["Group B", "Group A"]))
    assert arms.arm_order(coded) == ["Group B", "Group A"]


def test_spaghetti_sample_takes_the_first_subjects_by_id_on_either_day_column():
    rows = pd.DataFrame({"USUBJID": ["S3", "S1", "S2", "S1"], "VISITNUM": [2.0, 3.1, 2.0, 2.0],
                         "LBDY": [1.0, 4.0, 1.0, 1.0]})
    sample, total = arms.spaghetti_sample(rows, 2, day="LBDY")
    assert total == 3 and sample["USUBJID"].tolist() == ["S1", "S1", "S2"]
    assert sample["VISITNUM"].tolist() == [2.0, 3.1, 2.0]         # by study day within a subject
