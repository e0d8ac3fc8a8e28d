"""Lan-DeMets boundaries (dashboard.monitoring.spending) against published numbers and an independent integration.

Sources, looked up:
- ldbounds 2.0 (R, the ld98 algorithm of Reboussin, DeMets, Kim & Lan, Controlled Clinical Trials 2000;21:190-207),
  `bounds(c(0.10, 0.33, 1), iuse = c(1, 1), alpha = c(0.025, 0.025))`, output as printed in "Output of bounds
  function, ldbounds package", r-help, March 2020 (https://thr3ads.net/r-help/2020/03/3271445-output-of-bounds-
  function-ldbounds-package): upper bounds 6.9913, 3.7308, 1.9605; cumulative exit probabilities 2.7227e-12,
  1.9097e-04, 5.0000e-02.
- The spending functions as gsDesign documents them (sfLDOF, sfLDPocock; https://rdrr.io/rforge/gsDesign/man/
  sfLDPocock.html): f(t) = 2 - 2 Phi(Phi^-1(1 - alpha/2) / sqrt(t)) and f(t) = alpha log(1 + (e - 1) t).
- Five equally spaced looks, two-sided alpha 0.05: O'Brien-Fleming type 4.877, 3.357, 2.680, 2.290, 2.031 and Pocock
  type 2.438, 2.427, 2.410, 2.397, 2.386, as ldbounds / gsDesign print them (the O'Brien-Fleming row is also the
  reference in the tests of the R package RTSA). These are checked here, and independently of the recursion by
  integrating the joint normal distribution of (Z_1..Z_5), corr sqrt(t_i / t_j), with scipy's multivariate normal.
The classical (not spending) constants of Jennison & Turnbull 2000, Tables 2.1 / 2.3, are in test_spending.py.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from dashboard.monitoring import spending

FIVE = np.arange(1, 6) / 5
PUBLISHED_FIVE = {"obf": [4.877, 3.357, 2.680, 2.290, 2.031], "pocock": [2.438, 2.427, 2.410, 2.397, 2.386]}


def test_unequal_looks_match_the_printed_ldbounds_output():
    bounds = spending.spending_boundaries([0.10, 0.33, 1.0], 0.05, "obf")
    # ld98 / ldbounds integrate on a coarser grid than ours: the printed 4 decimals agree within 2e-4
    assert bounds == pytest.approx([6.9913, 3.7308, 1.9605], abs=2e-4)
    upper, lower = spending.crossing_probabilities([0.10, 0.33, 1.0], bounds, -bounds)
    cumulative = np.cumsum(upper + lower)
    assert cumulative[1] == pytest.approx(1.9097e-04, rel=2e-3) and cumulative[2] == pytest.approx(0.05, abs=1e-6)
    assert cumulative[0] == pytest.approx(2.7227e-12, rel=0.05)


@pytest.mark.parametrize("kind", ["obf", "pocock"])
def test_five_equally_spaced_looks_match_the_published_bounds(kind):
    bounds = spending.spending_boundaries(FIVE, 0.05, kind)
    assert bounds == pytest.approx(PUBLISHED_FIVE[kind], abs=6e-4)   # published to 3 decimals


def _spending_function(kind: str, t: np.ndarray, alpha: float) -> np.ndarray:
    """The published formulas, written here again (not the module's)."""
    if kind == "obf":
        return 2 - 2 * stats.norm.cdf(stats.norm.ppf(1 - alpha / 2) / np.sqrt(t))
    return alpha * np.log(1 + (np.e - 1) * t)


@pytest.mark.parametrize("kind", ["obf", "pocock"])
def test_the_bounds_spend_alpha_as_the_function_says_by_direct_integration(kind):
    """P(the path has left the region by look k) under H0, by Genz's integration of the joint normal, equals
    the spending function at t_k: an answer that shares nothing with the recursion but the model."""
    bounds = spending.spending_boundaries(FIVE, 0.05, kind)
    correlation = np.sqrt(np.minimum.outer(FIVE, FIVE) / np.maximum.outer(FIVE, FIVE))
    for k in range(1, 6):
        joint = stats.multivariate_normal(mean=np.zeros(k), cov=correlation[:k, :k], abseps=1e-7, maxpts=200_000)
        left = 1 - joint.cdf(bounds[:k], lower_limit=-bounds[:k])
        # two-sided symmetric: each side spends the function at alpha / 2 (ldbounds' alpha = c(0.025, 0.025), whose
        # printed output the first test reproduces; with the O'Brien-Fleming type this is not f(t; alpha) in total)
        each_side = _spending_function(kind, FIVE[k - 1], 0.025)
        assert left == pytest.approx(2 * each_side, abs=2e-5), (kind, k)
