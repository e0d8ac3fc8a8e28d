"""Accrual: cumulative counts, the planned line, and the Poisson-gamma projection with its edge cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import recruitment_frames as f
from scipy import stats

from dashboard.analysis import accrual
from dashboard.analysis import recruitment as rec

OPEN = dt.date(2021, 4, 17)


def dates(*values: str | None) -> pd.Series:
    return pd.to_datetime(pd.Series(list(values), dtype="object"))


def test_cumulative_counts_subjects_per_day():
    table = accrual.cumulative_randomizations(dates("2021-05-02", "2021-05-01", "2021-05-02", None))
    assert table["date"].dt.date.astype(str).tolist() == ["2021-05-01", "2021-05-02"]
    assert table["new"].tolist() == [1, 2] and table["cumulative"].tolist() == [1, 3]
    assert accrual.cumulative_randomizations(dates()).empty


def test_cumulative_by_arm_has_every_arm_on_every_date():
    status = rec.subject_status(f.dm(), f.ds(), f.ex(), f.CUT, planned_doses=5, interval_days=1)
    table = accrual.cumulative_randomizations_by_arm(status[status["RANDOMIZED"]], f.arm_of(), f.ARM_LABELS)
    a = table[table["arm"] == "Group A"]
    b = table[table["arm"] == "Group B"]
    assert len(a) == len(b) == 4
    assert a["cumulative"].tolist() == [1, 1, 2, 2] and b["cumulative"].tolist() == [0, 1, 1, 2]


def test_planned_line_between_the_two_dates():
    line = accrual.planned_accrual(OPEN, 29, dt.date(2021, 6, 9))
    assert line["date"].dt.date.astype(str).tolist() == ["2021-04-17", "2021-06-09"]
    assert line["planned"].tolist() == [0.0, 29.0]
    assert accrual.planned_rate_per_week(OPEN, 29, dt.date(2021, 6, 9)) == pytest.approx(29 * 7 / 53)


def test_a_planned_rate_wins_over_the_end_date():
    line = accrual.planned_accrual(OPEN, 28, dt.date(2021, 6, 9), rate_per_week=7.0)
    assert line["date"].iloc[-1] == pd.Timestamp("2021-05-15")        # 28 subjects at 7 a week: 4 weeks
    assert accrual.planned_rate_per_week(OPEN, 28, None, 7.0) == 7.0
    assert accrual.planned_accrual(OPEN, 28).empty


def test_one_remaining_subject_matches_the_closed_form():
    """R = 1: T x betaprime(1, a) is a Lomax variable, quantile T((1 - q)^(-1/a) - 1)."""
    days = accrual.waiting_time_quantiles(1, 1, 28.0, quantiles=(0.1, 0.5, 0.9))
    a = 1.5
    expected = [28.0 * ((1 - q) ** (-1 / a) - 1) for q in (0.1, 0.5, 0.9)]
    assert days == pytest.approx(expected)
    assert days[1] == pytest.approx(16.4472, abs=1e-3)               # 28 x (2^(2/3) - 1)


def test_waiting_time_is_an_f_distribution_in_disguise():
    """T x betaprime(R, a) = T x (R / a) x F(2R, 2a): the textbook Poisson-gamma predictive."""
    r, n, t = 13, 9, 28.0
    a = n + 0.5
    q = np.array([0.025, 0.5, 0.975])
    expected = t * r / a * stats.f.ppf(q, 2 * r, 2 * a)
    assert accrual.waiting_time_quantiles(r, n, t, quantiles=q) == pytest.approx(expected)


def test_with_a_well_known_rate_the_band_is_the_erlang_waiting_time():
    """Many arrivals observed: the rate is known, and the waiting time for R arrivals is Gamma(R, 1 / rate)."""
    rate, t = 2.0, 10_000.0
    days = accrual.waiting_time_quantiles(5, int(rate * t), t, quantiles=(0.1, 0.5, 0.9))
    assert days == pytest.approx(stats.gamma.ppf([0.1, 0.5, 0.9], 5, scale=1 / rate), rel=0.01)


def test_projection_from_the_last_four_weeks():
    # 2 randomizations in the 28 days to the cut (4 and 27 May); 25 remaining to 29.
    status = rec.subject_status(f.dm(), f.ds(), f.ex(), f.CUT, planned_doses=5, interval_days=1)
    p = accrual.accrual_projection(status.loc[status["RANDOMIZED"], "RAND_DT"], 29, f.CUT, recruitment_open=OPEN,
                                   plan_rate_per_week=3.5)
    assert p["status"] == "projected"
    assert (p["window_start"], p["window_days"], p["window_events"]) == ("2021-05-04", 28.0, 2)
    assert p["rate_per_week"] == pytest.approx(0.5)
    days = accrual.waiting_time_quantiles(25, 2, 28.0)
    cut = pd.Timestamp(f.CUT)
    assert p["median_date"] == (cut + pd.Timedelta(days=float(np.ceil(days[1])))).date().isoformat()
    assert p["low_date"] < p["median_date"] < p["high_date"]
    assert p["plan_rate_date"] == (cut + pd.Timedelta(days=50)).date().isoformat()   # 25 at 3.5 a week


def test_projection_when_nobody_is_randomized():
    p = accrual.accrual_projection(dates(), 29, "2021-05-01", recruitment_open=OPEN, plan_rate_per_week=3.5)
    assert p["status"] == "none" and p["remaining"] == 29 and p["median_date"] is None
    assert p["plan_rate_date"] is not None


def test_projection_when_the_target_is_reached():
    p = accrual.accrual_projection(dates("2021-05-01", "2021-05-03", "2021-05-09"), 2, "2021-05-31")
    assert p["status"] == "reached" and p["reached_date"] == "2021-05-03" and p["remaining"] == 0
    assert p["plan_rate_date"] is None


def test_projection_with_one_subject_randomized_on_the_cut_date():
    p = accrual.accrual_projection(dates("2021-05-31"), 29, "2021-05-31")
    assert p["status"] == "projected" and p["window_days"] == 1.0 and p["window_events"] == 1
    assert p["low_date"] is not None and p["low_date"] < p["median_date"]


def test_a_short_recruitment_uses_the_time_since_it_opened():
    p = accrual.accrual_projection(dates("2021-04-20", "2021-04-25"), 29, "2021-04-30", recruitment_open=OPEN)
    assert (p["window_start"], p["window_days"], p["window_events"]) == ("2021-04-17", 14.0, 2)


def test_a_pause_gives_no_projection_from_the_recent_rate():
    p = accrual.accrual_projection(dates("2021-04-20", "2021-04-21"), 29, "2021-06-30", recruitment_open=OPEN,
                                   plan_rate_per_week=3.5)
    assert p["status"] == "paused" and p["window_events"] == 0 and p["median_date"] is None
    assert p["last_randomization"] == "2021-04-21"


def test_a_hopeless_rate_gives_no_date_beyond_ten_years():
    p = accrual.accrual_projection(dates("2021-05-30"), 5000, "2021-05-31", recruitment_open=dt.date(2020, 1, 1))
    assert p["status"] == "projected" and p["median_date"] is None and p["high_date"] is None
