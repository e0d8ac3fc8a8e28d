"""Effects between arms: risk differences for events and the forest plot summary of every outcome.

Differences are always `arm - reference`. Risk differences use the Newcombe hybrid score interval
(statsmodels confint_proportions_2indep, method="newcomb"). Measured outcomes enter the forest plot
as the difference in mean change from baseline (Welch interval, native units) and as Hedges' g
(statsmodels effectsize_smd, normal 95 % interval) so that all outcomes share one axis. Every value is
kept with the sign its label states (arm - reference); which side favours which arm is a matter for the
display, row by row, from `higher_is_better`.

p-values are nominal and unadjusted: Welch's t-test (scipy.stats.ttest_ind, equal_var=False) for measured
outcomes, Fisher's exact test (scipy.stats.fisher_exact, two-sided) for event proportions, pairwise against
the reference arm for any number of arms. No p-value is computed for a comparison with fewer than
`min_events_for_p` events in the two arms together (default 5): NOTE says "too few events".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.meta_analysis import effectsize_smd
from statsmodels.stats.proportion import confint_proportions_2indep

from dashboard.analysis.events import event_proportion_by_arm, logrank
from dashboard.analysis.survival import MIN_EVENTS_FOR_P, TOO_FEW_EVENTS
from dashboard.analysis.outcomes import arm_order, outcome_key, post_baseline_visits, with_arm
from dashboard.analysis.trajectories import welch_difference
from dashboard.config import EventSource, Outcome, TrialConfig, Visit

RISK_COLUMNS = ["ARM", "REFERENCE", "EVENTS_ARM", "N_ARM", "EVENTS_REF", "N_REF", "DIFF", "LOW", "HIGH", "P",
                "P_TEST", "P_NOTE"]
FOREST_COLUMNS = ["KIND", "KEY", "LABEL", "ARM", "REFERENCE", "VISIT", "N_ARM", "N_REF", "ESTIMATE", "LOW",
                  "HIGH", "UNIT", "HIGHER_IS_BETTER", "G", "G_LOW", "G_HIGH", "P", "P_TEST", "P_NOTE"]
Z95 = float(stats.norm.ppf(0.975))
FISHER_TEST = "Fisher's exact"
WELCH_TEST = "Welch t-test"


def fisher_p(events_arm: int, n_arm: int, events_ref: int, n_ref: int,
             min_events: int = MIN_EVENTS_FOR_P) -> tuple[float, str]:
    """Two-sided Fisher's exact p of a 2 x 2 table (scipy.stats.fisher_exact) and why it is missing, if it is."""
    total = events_arm + events_ref
    if n_arm == 0 or n_ref == 0:
        return float("nan"), "an arm has no subjects"
    if total < max(min_events, 1):
        return float("nan"), f"{TOO_FEW_EVENTS} ({total} < {max(min_events, 1)})"
    table = [[events_arm, n_arm - events_arm], [events_ref, n_ref - events_ref]]
    return float(stats.fisher_exact(table, alternative="two-sided").pvalue), ""


def comparison_reference(config: TrialConfig, coded: bool) -> str:
    """The arm differences are taken against, named as this access names it. `config` is the armed trial data's
    (`ArmedTrialData.config`), whose coded labels are the cut's sealed coding key, never the configuration file's.

    With real names: the configured reference arm (`config.reference_arm`). While arms are coded: the first
    coded group ("Group A"), chosen by its coded label alone. Choosing the configured reference there would tell
    the board which coded group is, say, the placebo (a reference is one because of what it really is). When the
    configuration makes the first coded group the reference (NCT05019287 does), the reference and the sign of
    every difference stay the same after the board unmasks.
    """
    if coded:
        return min(config.arms, key=lambda arm: arm.coded_label).coded_label
    return config.reference_arm.label


def event_is_good(event: EventSource) -> bool:
    """Whether more of this event is better (discharge); configurable as `higher_is_better`."""
    return bool(getattr(event, "higher_is_better", event.source == "HO"))


def risk_difference(events_arm: int, n_arm: int, events_ref: int, n_ref: int) -> tuple[float, float, float]:
    """Difference in proportions (arm - reference) with the Newcombe 95 % CI; NaN when a group is empty."""
    if n_arm == 0 or n_ref == 0:
        return float("nan"), float("nan"), float("nan")
    low, high = confint_proportions_2indep(events_arm, n_arm, events_ref, n_ref, method="newcomb", compare="diff")
    return events_arm / n_arm - events_ref / n_ref, float(low), float(high)


def risk_differences(times: pd.DataFrame, arm_of: pd.Series, reference: str,
                     min_events: int = MIN_EVENTS_FOR_P) -> pd.DataFrame:
    """One row per arm other than `reference` (RISK_COLUMNS) from an event_times frame, with Fisher's p."""
    armed = with_arm(times, arm_of)
    counts = armed.groupby("ARM", observed=False)["EVENT"].agg(["sum", "count"])
    ref_events, ref_n = (int(counts.loc[reference, "sum"]), int(counts.loc[reference, "count"])) \
        if reference in counts.index else (0, 0)
    rows = []
    for arm in arm_order(arm_of):
        if arm == reference:
            continue
        events, n = int(counts.loc[arm, "sum"]), int(counts.loc[arm, "count"])
        diff, low, high = risk_difference(events, n, ref_events, ref_n)
        p, note = fisher_p(events, n, ref_events, ref_n, min_events)
        rows.append({"ARM": arm, "REFERENCE": reference, "EVENTS_ARM": events, "N_ARM": n,
                     "EVENTS_REF": ref_events, "N_REF": ref_n, "DIFF": diff, "LOW": low, "HIGH": high,
                     "P": p, "P_TEST": FISHER_TEST, "P_NOTE": note})
    return pd.DataFrame(rows, columns=RISK_COLUMNS)


def _effect_visit(groups: Mapping[tuple[str, float], np.ndarray], arms: Sequence[str],
                  candidates: Sequence[Visit]) -> Visit | None:
    """The latest candidate visit where every arm has at least two changes from baseline."""
    for visit in reversed(candidates):
        if all(len(groups.get((arm, float(visit.num)), ())) >= 2 for arm in arms):
            return visit
    return None


def _measured_effect(a: np.ndarray, b: np.ndarray) -> dict[str, float | int | str]:
    """Welch difference (arm - reference) with its p, and Hedges' g with a normal 95 % interval, same sign."""
    diff, low, high, p = welch_difference(a, b)
    out: dict[str, float | int | str] = {"N_ARM": len(a), "N_REF": len(b), "ESTIMATE": diff, "LOW": low,
                                         "HIGH": high, "P": p, "P_NOTE": "" if np.isfinite(p) else "no variation"}
    if a.std(ddof=1) + b.std(ddof=1) > 0:
        g, var = effectsize_smd(a.mean(), a.std(ddof=1), len(a), b.mean(), b.std(ddof=1), len(b))
        half = Z95 * float(np.sqrt(var))
        out.update(G=float(g), G_LOW=float(g) - half, G_HIGH=float(g) + half)
    return out


def change_effects(visit_values: pd.DataFrame, outcome: Outcome, visits: Sequence[Visit], arm_of: pd.Series,
                   reference: str, visit_num: float | None = None) -> pd.DataFrame:
    """Forest rows for one measured outcome at `visit_num` (default: the last scheduled visit).

    When that visit has fewer than two subjects in an arm, the latest earlier visit that has them is used.
    """
    arms = arm_order(arm_of)
    candidates = [v for v in post_baseline_visits(visits) if visit_num is None or v.num <= visit_num]
    armed = with_arm(visit_values[visit_values["CHG"].notna()], arm_of)
    groups = {key: g["CHG"].to_numpy(dtype=float) for key, g in armed.groupby(["ARM", "VISITNUM"], observed=True)}
    visit = _effect_visit(groups, arms, candidates)
    rows = []
    for arm in arms:
        if arm == reference:
            continue
        row = {"KIND": "outcome", "KEY": outcome_key(outcome), "LABEL": outcome.label, "ARM": arm,
               "REFERENCE": reference, "VISIT": visit.name if visit else "", "N_ARM": 0, "N_REF": 0,
               "ESTIMATE": np.nan, "LOW": np.nan, "HIGH": np.nan, "UNIT": outcome.unit,
               "HIGHER_IS_BETTER": outcome.higher_is_better, "G": np.nan, "G_LOW": np.nan, "G_HIGH": np.nan,
               "P": np.nan, "P_TEST": WELCH_TEST, "P_NOTE": "" if visit else "not enough data"}
        if visit is not None:
            a, b = groups[(arm, float(visit.num))], groups[(reference, float(visit.num))]
            row.update(_measured_effect(a, b))
        rows.append(row)
    return pd.DataFrame(rows, columns=FOREST_COLUMNS)


def event_effects(times: pd.DataFrame, event: EventSource, arm_of: pd.Series, reference: str,
                  min_events: int = MIN_EVENTS_FOR_P) -> pd.DataFrame:
    """Forest rows for one event: the risk difference (arm - reference) as it is, with Fisher's p."""
    good = event_is_good(event)
    rows = []
    for r in risk_differences(times, arm_of, reference, min_events).itertuples(index=False):
        rows.append({"KIND": "event", "KEY": event.name, "LABEL": event.label, "ARM": r.ARM,
                     "REFERENCE": reference, "VISIT": "", "N_ARM": r.N_ARM, "N_REF": r.N_REF,
                     "ESTIMATE": r.DIFF, "LOW": r.LOW, "HIGH": r.HIGH, "UNIT": "risk difference",
                     "HIGHER_IS_BETTER": good, "G": np.nan, "G_LOW": np.nan, "G_HIGH": np.nan,
                     "P": r.P, "P_TEST": r.P_TEST, "P_NOTE": r.P_NOTE})
    return pd.DataFrame(rows, columns=FOREST_COLUMNS)


def forest_rows(outcome_frames: Sequence[pd.DataFrame], event_frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """All forest rows in configuration order: measured outcomes first, then events."""
    frames = [f for f in [*outcome_frames, *event_frames] if not f.empty]
    if not frames:
        return pd.DataFrame(columns=FOREST_COLUMNS)
    return pd.concat(frames, ignore_index=True)[FOREST_COLUMNS]


SUMMARY_COLUMNS = ["NAME", "LABEL", "ARM", "N", "EVENTS", "PROPORTION", "LOW", "HIGH", "DIFF", "DIFF_LOW",
                   "DIFF_HIGH", "FISHER_P", "FISHER_NOTE", "P", "P_TEST", "P_NOTE"]


def event_summary_by_arm(events: Sequence[EventSource], times: Sequence[pd.DataFrame], arm_of: pd.Series,
                         reference: str, min_events: int = MIN_EVENTS_FOR_P) -> pd.DataFrame:
    """One row per event and arm (SUMMARY_COLUMNS): proportion with Wilson CI; for each arm but `reference`
    the risk difference and Fisher's exact p against it; the log-rank test across arms on every row."""
    frames = []
    for event, frame in zip(events, times):
        table = event_proportion_by_arm(frame, arm_of)
        rd = risk_differences(frame, arm_of, reference, min_events).set_index("ARM")
        for column, source in (("DIFF", "DIFF"), ("DIFF_LOW", "LOW"), ("DIFF_HIGH", "HIGH"), ("FISHER_P", "P")):
            table[column] = table["ARM"].map(rd[source]).astype("float64")
        table["FISHER_NOTE"] = table["ARM"].map(rd["P_NOTE"]).fillna("").astype("str")
        test = logrank(frame, arm_of, min_events).iloc[0]
        table = table.assign(P=float(test["P"]), P_TEST=str(test["TEST"]), P_NOTE=str(test["NOTE"]))
        frames.append(table.assign(NAME=event.name, LABEL=event.label))
    columns = SUMMARY_COLUMNS
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
