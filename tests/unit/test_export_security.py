"""CSV downloads neutralize formula prefixes after leading blanks and in full-width and small forms."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.exports import neutralize_cell, neutralize_frame, stamped_csv

RISKY = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "  =HYPERLINK(\"x\")", "\u00a0\u3000+cmd", " \t@x",
         "＝1+1", "＋1", "－1", "＠SUM(A1)", "  ＝cmd", "\u200b=1", "﹦1", "﹢1", "﹣1", "﹫x"]
SAFE = ["plain", "a=b", "x-1", "mail@site", "", "  text", "1", "３＝3"]


@pytest.mark.parametrize("value", RISKY)
def test_risky_cells_get_a_quote(value):
    assert neutralize_cell(value) == "'" + value


@pytest.mark.parametrize("value", SAFE)
def test_safe_cells_are_unchanged(value):
    assert neutralize_cell(value) == value


def test_frames_and_headers_with_string_and_object_columns():
    frame = pd.DataFrame({"text": pd.Series(RISKY + SAFE, dtype="str"), "obj": pd.Series(RISKY + SAFE, dtype=object),
                          "n": range(len(RISKY) + len(SAFE))}).rename(columns={"obj": " ＝head"})
    out = neutralize_frame(frame)
    expected = ["'" + v for v in RISKY] + SAFE
    assert list(out["text"]) == expected and list(out["'" + " ＝head"]) == expected
    assert list(out["n"]) == list(frame["n"])
    assert list(frame["text"]) == RISKY + SAFE  # the caller's frame is not changed


def test_stamped_csv_neutralizes_too():
    text = stamped_csv(pd.DataFrame({"AETERM": ["  ＝cmd|' /C calc'!A0"]}), study_id="S", cut_date="2021-07-10",
                       sees_arms=False, title="t")
    assert "'  ＝cmd" in text
