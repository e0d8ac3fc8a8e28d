"""Group-sequential boundaries: published constants (Jennison & Turnbull 2000, Tables 2.1 and 2.3) and an
independent simulation of the correlated z path."""

import numpy as np
import pytest
from scipy import stats

from dashboard.monitoring import spending, statistics


@pytest.mark.parametrize("k, shape, published", [
    (5, "pocock", 2.413), (5, "obf", 2.040), (3, "pocock", 2.289), (3, "obf", 2.004)])
def test_classical_constants_match_jennison_turnbull(k, shape, published):
    assert spending.classical_constant(k, 0.05, shape) == pytest.approx(published, abs=0.0015)


def test_spending_functions_spend_alpha_at_full_information_and_nothing_at_zero():
    for kind in spending.SPENDING_FUNCTIONS:
        out = spending.spent(kind, [0.0, 0.5, 1.0], 0.025, gamma=-4.0)
        assert out[0] == 0 and out[-1] == pytest.approx(0.025) and 0 < out[1] < 0.025
    # the formulas, computed here independently
    assert spending.spent("obf", [0.5], 0.05)[0] == pytest.approx(
        2 - 2 * stats.norm.cdf(stats.norm.ppf(0.975) / np.sqrt(0.5)))
    assert spending.spent("pocock", [0.5], 0.05)[0] == pytest.approx(0.05 * np.log(1 + (np.e - 1) * 0.5))
    assert spending.spent("hsd", [0.5], 0.05, gamma=-4)[0] == pytest.approx(
        0.05 * (1 - np.exp(2)) / (1 - np.exp(4)))


def _simulated_crossing(t, upper, lower, draws=200_000, drift=0.0, seed=20261203):
    """Per-look first-exit probabilities from simulated Brownian-motion score paths."""
    rng = np.random.default_rng(seed)
    t = np.asarray(t)
    steps = rng.standard_normal((draws, len(t))) * np.sqrt(np.diff(np.concatenate([[0], t])))
    z = (np.cumsum(steps, axis=1) + drift * t) / np.sqrt(t)
    alive = np.ones(draws, dtype=bool)
    ups, lows = [], []
    for k in range(len(t)):
        up, low = alive & (z[:, k] >= upper[k]), alive & (z[:, k] <= lower[k])
        ups.append(up.mean())
        lows.append(low.mean())
        alive &= ~(up | low)
    return np.array(ups), np.array(lows)


@pytest.mark.parametrize("kind, sides", [("obf", 2), ("pocock", 2), ("hsd", 1)])
def test_spending_boundaries_spend_alpha_as_planned_by_simulation(kind, sides):
    t = [0.3, 0.6, 1.0]
    alpha = 0.05 if sides == 2 else 0.025
    bounds = spending.spending_boundaries(t, alpha, kind, gamma=-4.0, sides=sides)
    lower = -bounds if sides == 2 else np.full(3, -np.inf)
    ups, lows = _simulated_crossing(t, bounds, lower)
    planned = sides * np.diff(np.concatenate([[0], spending.spent(kind, t, alpha / sides, -4.0)]))
    error = 4 * np.sqrt(planned * (1 - planned) / 200_000)      # 4 simulation standard errors
    assert np.all(np.abs(ups + lows - planned) <= error + 1e-5)
    assert (ups + lows).sum() == pytest.approx(alpha, abs=4 * np.sqrt(alpha / 200_000))


def test_lan_demets_obrien_fleming_five_looks_matches_the_usual_table():
    # ldbounds / gsDesign values for five equally spaced looks, two-sided 0.05
    bounds = spending.spending_boundaries([0.2, 0.4, 0.6, 0.8, 1.0], 0.05, "obf")
    assert bounds == pytest.approx([4.877, 3.357, 2.680, 2.290, 2.031], abs=0.002)


def test_futility_bounds_spend_beta_under_the_design_drift_by_simulation():
    t, drift = [0.5, 1.0], 2.8
    upper = spending.spending_boundaries(t, 0.025, "obf", sides=1)
    lower = spending.futility_boundaries(t, upper, 0.2, "hsd", drift, gamma=-2.0)
    _, lows = _simulated_crossing(t, upper, lower, drift=drift)
    planned = np.diff(np.concatenate([[0], spending.spent("hsd", t, 0.2, -2.0)]))
    assert lows[0] == pytest.approx(planned[0], abs=4 * np.sqrt(planned[0] / 200_000))
    assert lower[0] < upper[0] and lower[-1] <= upper[-1]


def test_information_fractions_must_increase_within_zero_and_one():
    for bad in ([0.5, 0.5], [0.0, 1.0], [0.5, 1.2], []):
        with pytest.raises(ValueError):
            spending.spending_boundaries(bad, 0.05, "obf")


def test_conditional_power_against_the_b_value_formula():
    z, t, bound, drift = 1.2, 0.5, 2.0, 2.5
    expected = 1 - stats.norm.cdf((bound - z * np.sqrt(t) - drift * (1 - t)) / np.sqrt(1 - t))
    assert statistics.conditional_power(z, t, bound, drift) == pytest.approx(expected)
    assert statistics.current_trend_drift(z, t) == pytest.approx(z / np.sqrt(t))


def test_boundary_schedule_uses_observed_fractions_then_remaining_planned_looks():
    assert statistics.boundary_schedule([0.2, 0.45, 0.45], (0.5, 1.0)) == [0.2, 0.45, 0.5, 1.0]
    assert statistics.boundary_schedule([0.6], (0.5, 1.0)) == [0.6, 1.0]


def test_observed_z_for_proportions_and_means_computed_independently():
    import pandas as pd

    arm_of = pd.Series({str(i): ("T" if i % 2 else "R") for i in range(20)})
    events = pd.DataFrame({"USUBJID": [str(i) for i in range(20)], "EVENT": [i % 3 == 0 for i in range(20)]})
    got = statistics.proportions_z(events, arm_of, "T", "R")
    by = events.assign(ARM=events["USUBJID"].map(arm_of)).groupby("ARM")["EVENT"].agg(["sum", "count"])
    p_r, p_t = by.loc["R", "sum"] / by.loc["R", "count"], by.loc["T", "sum"] / by.loc["T", "count"]
    p = by["sum"].sum() / by["count"].sum()
    se = np.sqrt(p * (1 - p) * (1 / by.loc["R", "count"] + 1 / by.loc["T", "count"]))
    assert got["Z"] == pytest.approx((p_r - p_t) / se)
    changes = pd.DataFrame({"USUBJID": [str(i) for i in range(20)], "CHG": [float(i * i % 7) for i in range(20)]})
    got = statistics.means_z(changes, arm_of, "T", "R", higher_is_better=False)
    g = changes.assign(ARM=changes["USUBJID"].map(arm_of)).groupby("ARM")["CHG"]
    se = np.sqrt((g.var() / g.count()).sum())
    assert got["Z"] == pytest.approx(-(g.mean()["T"] - g.mean()["R"]) / se)
