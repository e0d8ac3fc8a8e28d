"""The primary comparison at a cut: observed z, information fraction, and conditional power.

z is oriented so that a positive value favours the compared arm (fewer events; a change in the better
direction). Information fraction = subjects with the primary outcome in the two compared arms / the charter's
planned subjects. Conditional power uses the B-value: B(t) = z sqrt(t), drift theta = E[Z(1)].
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from dashboard.analysis.events import COMPETING
from dashboard.config_charter import Charter, PrimaryComparison


def design_drift(primary: PrimaryComparison, planned_subjects: int, higher_is_better: bool = True) -> float:
    """E[Z at full information] under the design assumption, the planned subjects split equally."""
    per_arm = planned_subjects / 2
    if primary.kind == "event":
        p_ref, p_trt = primary.design_reference, primary.design_treatment
        p_bar = (p_ref + p_trt) / 2
        return (p_ref - p_trt) / math.sqrt(p_bar * (1 - p_bar) * 2 / per_arm)
    sign = 1.0 if higher_is_better else -1.0
    sd = primary.design_sd or 1.0
    return sign * (primary.design_treatment - primary.design_reference) / (sd * math.sqrt(2 / per_arm))


def event_outcomes(times: pd.DataFrame, followup_days: int) -> pd.DataFrame:
    """USUBJID and EVENT for subjects whose primary outcome is known: the event, a competing death (counted
    as known, without the event), or follow-up complete."""
    known = times["EVENT"] | times["STATUS"].eq(COMPETING) | (times["DAY"] >= followup_days)
    return times.loc[known, ["USUBJID", "EVENT"]].reset_index(drop=True)


def proportions_z(outcomes: pd.DataFrame, arm_of: pd.Series, arm: str, reference: str) -> dict[str, float]:
    """Pooled-variance z for reference rate minus arm rate (positive: fewer events in the compared arm)."""
    groups = outcomes.assign(ARM=outcomes["USUBJID"].map(arm_of))
    ref, trt = groups[groups["ARM"] == reference]["EVENT"], groups[groups["ARM"] == arm]["EVENT"]
    n_ref, n_trt = len(ref), len(trt)
    out = {"N": float(n_ref + n_trt), "N_REF": float(n_ref), "N_ARM": float(n_trt),
           "EST_REF": float(ref.mean()) if n_ref else np.nan, "EST_ARM": float(trt.mean()) if n_trt else np.nan}
    p_bar = (ref.sum() + trt.sum()) / (n_ref + n_trt) if n_ref and n_trt else np.nan
    se = math.sqrt(p_bar * (1 - p_bar) * (1 / n_ref + 1 / n_trt)) if n_ref and n_trt else 0.0
    out["Z"] = (out["EST_REF"] - out["EST_ARM"]) / se if se > 0 else np.nan
    return out


def means_z(changes: pd.DataFrame, arm_of: pd.Series, arm: str, reference: str,
            higher_is_better: bool) -> dict[str, float]:
    """Welch z for the difference in mean change (arm minus reference), oriented by `higher_is_better`."""
    groups = changes.assign(ARM=changes["USUBJID"].map(arm_of))
    ref, trt = groups[groups["ARM"] == reference]["CHG"], groups[groups["ARM"] == arm]["CHG"]
    out = {"N": float(len(ref) + len(trt)), "N_REF": float(len(ref)), "N_ARM": float(len(trt)),
           "EST_REF": float(ref.mean()) if len(ref) else np.nan, "EST_ARM": float(trt.mean()) if len(trt) else np.nan}
    se = math.sqrt(ref.var(ddof=1) / len(ref) + trt.var(ddof=1) / len(trt)) if min(len(ref), len(trt)) > 1 else 0.0
    sign = 1.0 if higher_is_better else -1.0
    out["Z"] = sign * (out["EST_ARM"] - out["EST_REF"]) / se if se > 0 else np.nan
    return out


def information_fraction(n_with_outcome: int, charter: Charter) -> float:
    """Subjects with the primary outcome over the planned number (capped at 1)."""
    return min(n_with_outcome / charter.planned_subjects, 1.0) if charter.planned_subjects else float("nan")


def conditional_power(z: float, t: float, final_bound: float, drift: float) -> float:
    """P(Z(1) > final_bound | Z(t) = z) when E[Z(1)] = drift (B-value method)."""
    if not 0 < t < 1 or not np.isfinite(z):
        return float("nan")
    b = z * math.sqrt(t)
    return float(stats.norm.sf((final_bound - b - drift * (1 - t)) / math.sqrt(1 - t)))


def current_trend_drift(z: float, t: float) -> float:
    """The drift the data so far estimate: z / sqrt(t)."""
    return z / math.sqrt(t) if t > 0 else float("nan")


def boundary_schedule(observed: list[float], planned: tuple[float, ...]) -> list[float]:
    """Look fractions for the boundary: the observed fractions of past cuts (increasing), then the planned
    looks beyond the last of them, ending at 1 (Lan-DeMets: boundaries follow the information actually seen)."""
    past: list[float] = []
    for f in observed:
        if np.isfinite(f) and 0 < f < 1 and (not past or f > past[-1] + 1e-9):
            past.append(float(f))
    last = past[-1] if past else 0.0
    return past + [f for f in planned if f > last + 1e-9]
