"""Exposure as the dosing regimen defines it: continuous dosing (duration, days covered, compliance), cycles
started, and the Recruitment page's exposure display choosing by the configured regimen."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import recruitment_frames as f

from dashboard.analysis import conduct
from dashboard.analysis import recruitment as rec
from dashboard.blinding import BlindedTrialData
from dashboard.config import load_trial_config
from dashboard.cuts import CutManifest
from dashboard.displays.recruitment import exposure as cb

PLANNED_DAYS = 28
DAY1 = pd.Timestamp("2021-01-01")


def _randomized() -> pd.DataFrame:
    """S1 completed; S2 on day 20 at the cut; S3 withdrew on day 10; S4 never dosed; S5 odd records."""
    end = {"S1": "2021-01-28", "S2": "2021-01-20", "S3": "2021-01-10", "S4": "2021-01-15", "S5": "2021-01-28"}
    status = {"S1": rec.COMPLETED, "S2": rec.IN_DOSING, "S3": rec.WITHDRAWN, "S4": rec.IN_DOSING,
              "S5": rec.IN_DOSING}
    ids = list(end)
    end_dt = pd.to_datetime(pd.Series([end[i] for i in ids]))
    return pd.DataFrame({"USUBJID": ids, "SITEID": "01", "DAY1_DT": DAY1, "END_DT": end_dt,
                         "DAY_AT_END": ((end_dt - DAY1).dt.days + 1).astype(float),
                         "STATUS": [status[i] for i in ids], "DOSES": 0})


def _ex() -> pd.DataFrame:
    rows = [("S1", "2021-01-01", "2021-01-10"), ("S1", "2021-01-11", "2021-01-28"),
            ("S2", "2021-01-01", "2021-01-05"), ("S2", "2021-01-08", "2021-01-30"),      # runs past the cut
            ("S3", "2021-01-01", "2021-01-06"), ("S3", "2021-01-04", "2021-01-08"),      # overlapping records
            ("S5", "2021-01-05", "2021-01-03"), ("S5", "2021-01-07", None)]              # backwards; no end
    frame = pd.DataFrame(rows, columns=["USUBJID", "EXSTDTC", "EXENDTC"])
    frame["EXSTDT"] = pd.to_datetime(frame["EXSTDTC"])
    frame["EXENDT"] = pd.to_datetime(frame["EXENDTC"])
    return frame


def _reference_covered(ex: pd.DataFrame, randomized: pd.DataFrame) -> dict[str, int]:
    """Days covered, counted day by day with Python sets: each record covers its start to its end (its start
    alone when it has no end or ends before it starts), never past the subject's end of observation."""
    stop = dict(zip(randomized["USUBJID"], randomized["END_DT"]))
    days: dict[str, set] = {s: set() for s in randomized["USUBJID"]}
    for s, start, end in zip(ex["USUBJID"], ex["EXSTDT"], ex["EXENDT"]):
        last = start if pd.isna(end) or end < start else min(end, stop[s])
        day = start
        while day <= last:
            days[s].add(day)
            day += pd.Timedelta(days=1)
    return {s: len(d) for s, d in days.items()}


def test_continuous_exposure_counts_days_covered_duration_and_compliance():
    randomized, ex = _randomized(), _ex()
    out = conduct.continuous_exposure(randomized, ex, PLANNED_DAYS).set_index("USUBJID")
    covered = _reference_covered(ex, randomized)
    assert out["days_covered"].to_dict() == covered
    assert covered == {"S1": 28, "S2": 18, "S3": 8, "S4": 0, "S5": 2}
    # expected days: every planned day once completed, else the days on study if fewer than planned
    assert out["days_expected"].to_dict() == {"S1": 28, "S2": 20, "S3": 10, "S4": 15, "S5": 28}
    # S5's second record has no end date: its compliance is not computed (an open end is not a missed dose)
    expected_pct = {s: 100.0 * covered[s] / out.loc[s, "days_expected"] for s in covered if s != "S5"}
    assert out["compliance_pct"].drop("S5").to_dict() == pytest.approx(expected_pct)
    assert np.isnan(out.loc["S5", "compliance_pct"])
    assert out["without_end"].to_dict() == {"S1": 0, "S2": 0, "S3": 0, "S4": 0, "S5": 1}
    assert out["records"].to_dict() == {"S1": 2, "S2": 2, "S3": 2, "S4": 0, "S5": 2}
    assert out["duration_days"].to_dict() == {"S1": 28, "S2": 20, "S3": 8, "S4": 0, "S5": 3}
    assert out["end_before_start"].to_dict() == {"S1": 0, "S2": 0, "S3": 0, "S4": 0, "S5": 1}


def test_compliance_bands_and_totals():
    exposure = conduct.continuous_exposure(_randomized(), _ex(), PLANNED_DAYS)
    dist = conduct.compliance_distribution(exposure).set_index("band")["subjects"]
    # S1 100 %, S2 90 %, S3 80 %: 80 to 100; S4 not dosed; S5 has a record without an end date
    assert dist.to_dict() == {"not dosed": 1, "< 50 %": 0, "50 to < 80 %": 0, "80 to 100 %": 3, "> 100 %": 0,
                              "no day expected yet": 0, "end date missing": 1}
    totals = conduct.continuous_totals(exposure)
    assert (totals["subjects"], totals["dosed"], totals["below_80"], totals["end_before_start"],
            totals["without_end"]) == (5, 4, 1, 1, 1)
    assert totals["median_duration"] == pd.Series([28, 20, 8, 3]).median()


def test_cycles_started_count_each_cycle_once_whatever_its_records():
    randomized = _randomized().iloc[:2]
    ex = pd.DataFrame({"USUBJID": ["S1"] * 6 + ["S2"] * 2, "EXSTDY": [1.0, 2, 3, 22, 43, 44, 1, 43]})
    started = conduct.cycles_started(randomized, ex, 21)
    assert started.to_dict() == {"S1": 3, "S2": 2}
    exposure = conduct.exposure_per_subject(randomized.assign(DAY_AT_END=50.0, STATUS=rec.IN_DOSING), 6, 21,
                                            started)
    # cycles 1-3 start on days 1, 22 and 43, all passed by day 50: S2 missed cycle 2
    assert exposure.set_index("USUBJID")[["received", "due", "missed"]].to_dict("index") == {
        "S1": {"received": 3, "due": 3, "missed": 0}, "S2": {"received": 2, "due": 3, "missed": 1}}


MANIFEST = CutManifest("2021-05-31-0123abcd", "NCT05019287", f.CUT, "Test", "2021-06-01T09:00:00+00:00", "stat",
                       "/exports/test", ())


def _data(**changes) -> BlindedTrialData:
    config = dataclasses.replace(load_trial_config(), **changes)
    ex = f.ex()
    ex["EXENDT"] = ex["EXSTDT"]
    return BlindedTrialData(MANIFEST, config, {**f.domains(), "EX": ex}, pd.DataFrame())


def test_the_exposure_display_follows_the_configured_regimen():
    key = ((), "", "")
    figure, note, rows, defs, title = cb.exposure_outputs(_data(), key)
    assert "Infusions received" in figure.layout.title.text and title == "Subjects with a missed infusion"
    assert "infusions given of" in note
    figure, note, rows, defs, title = cb.exposure_outputs(_data(regimen="continuous", planned_duration_days=5), key)
    assert "Compliance" in figure.layout.title.text and "continuous" in title
    assert "compliance" in note and "infusions" not in note
    assert "Compliance %" in [d["headerName"] for d in defs] and len(rows) == 4     # every randomized subject
    figure, note, rows, defs, title = cb.exposure_outputs(_data(regimen="cycles"), key)
    assert "Cycles started" in figure.layout.title.text and "cycles started of" in note
    assert title == "Subjects with a missed cycle"


def test_a_dose_before_day_one_starts_no_cycle_and_study_days_have_no_day_zero():
    from dashboard.analysis.conduct import cycles_started

    randomized = pd.DataFrame({"USUBJID": ["S1"], "DAY1_DT": [pd.Timestamp("2021-01-10")]})
    ex = pd.DataFrame({"USUBJID": ["S1", "S1"], "EXSTDT": pd.to_datetime(["2021-01-09", "2021-01-10"])})
    # the day before day 1 is day -1 (no day 0): not a cycle; day 1 opens cycle 1 only
    assert cycles_started(randomized, ex, 7).to_dict() == {"S1": 1}


def test_no_day_expected_yet_is_its_own_compliance_band_not_above_100():
    from dashboard.analysis.conduct import compliance_band

    exposure = pd.DataFrame({"days_covered": [3, 0, 5, 4], "compliance_pct": [float("nan"), float("nan"), 120.0,
                                                                            float("nan")],
                             "without_end": [0, 0, 0, 2]})
    assert compliance_band(exposure).tolist() == ["no day expected yet", "not dosed", "> 100 %", "end date missing"]
