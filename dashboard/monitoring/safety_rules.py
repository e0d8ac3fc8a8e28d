"""Safety stopping rules: the Bayesian beta-binomial rule with its "pause if k or more among the first n" table,
and simple count rules. Pure functions: frames in, numbers and frames out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from dashboard.analysis.events import event_records
from dashboard.analysis.outcomes import day_one, randomized_ids, study_day
from dashboard.config import EventSource
from dashboard.config_charter import SafetyRule
from dashboard.ingest.schema import normalized

NEAR = 0.8      # a rule is "near" its threshold at 80 % of the way (probability or count)


def posterior_exceeds(events: int, n: int, p0: float, prior_a: float = 1.0, prior_b: float = 1.0) -> float:
    """P(rate > p0 | events among n) under a Beta(prior_a, prior_b) prior."""
    return float(stats.beta.sf(p0, prior_a + events, prior_b + n - events))


def pause_threshold(n: int, p0: float, probability: float, prior_a: float = 1.0, prior_b: float = 1.0) -> int | None:
    """The smallest k with P(rate > p0 | k among n) > probability, or None when no k <= n reaches it."""
    for k in range(n + 1):
        if posterior_exceeds(k, n, p0, prior_a, prior_b) > probability:
            return k
    return None


def stopping_table(rule: SafetyRule, max_n: int) -> pd.DataFrame:
    """The table a protocol prints: N treated, pause if K or more events (NaN: no pause possible yet)."""
    rows = [(n, pause_threshold(n, rule.p0, rule.probability, rule.prior_a, rule.prior_b))
            for n in range(1, max_n + 1)]
    return pd.DataFrame({"N": [n for n, _ in rows],
                         "PAUSE_AT": pd.array([k for _, k in rows], dtype="Int64")})


def treated_ids(dm: pd.DataFrame, ex: pd.DataFrame) -> pd.Index:
    """Randomized subjects with at least one exposure record (all randomized when EX is empty)."""
    subjects = randomized_ids(dm)
    if ex.empty or "USUBJID" not in ex:
        return subjects
    return subjects[subjects.isin(ex["USUBJID"].astype("str"))]


def _ae_rows(rule: SafetyRule, ae: pd.DataFrame) -> pd.DataFrame:
    """The AE records the rule counts (by preferred or reported term, serious only if so configured)."""
    if ae.empty or "USUBJID" not in ae:
        return ae
    keep = pd.Series(True, index=ae.index)
    if rule.terms:
        by_term = pd.Series(False, index=ae.index)
        for column in ("AEDECOD", "AETERM"):
            if column in ae:
                by_term |= ae[column].map(normalized).isin(rule.terms)
        keep &= by_term
    if rule.serious_only:
        keep &= ae["AESER"].map(normalized).eq("Y") if "AESER" in ae else False
    return ae[keep]


def subjects_with_event(rule: SafetyRule, ae: pd.DataFrame, dm: pd.DataFrame, source: pd.DataFrame,
                        event: EventSource | None) -> pd.Index:
    """Subjects with at least one event the rule counts (within its first `within_days` study days)."""
    if rule.source == "ae":
        rows = _ae_rows(rule, ae)
        ids = rows["USUBJID"].astype("str") if "USUBJID" in rows else pd.Series(dtype="str")
        dates = pd.to_datetime(rows["AESTDT"]) if "AESTDT" in rows else pd.Series(pd.NaT, index=ids.index)
    else:
        records = event_records(event, source) if event is not None else pd.DataFrame(columns=["USUBJID", "DATE"])
        ids, dates = records["USUBJID"].astype("str"), records["DATE"]
    if rule.within_days is not None:
        day = study_day(dates, ids.map(day_one(dm)))
        # an undated event counts: the rule cannot rule it out, and a pause rule errs towards safety
        ids = ids[day.isna() | (day <= rule.within_days)]
    return pd.Index(ids.unique())


@dataclass(frozen=True)
class RuleStatus:
    """A rule's state at one cut, with the numbers behind it."""
    events: int
    n: int
    status: str                     # "pause", "near" or "continue"
    value: float                    # posterior probability (beta-binomial) or the count
    threshold: float                # the probability or count that pauses
    pause_at: int | None            # events that would pause at this n


def rule_status(rule: SafetyRule, events: int, n: int) -> RuleStatus:
    """Whether the rule says pause, is near its threshold, or continue, for `events` among `n` treated."""
    if rule.kind == "count":
        value, threshold, pause_at = float(events), float(rule.max_events), rule.max_events
        crossed, near = events >= rule.max_events, 0 < events >= rule.max_events - 1  # one more pauses
    else:
        value = posterior_exceeds(events, n, rule.p0, rule.prior_a, rule.prior_b) if n else float("nan")
        threshold = rule.probability
        pause_at = pause_threshold(n, rule.p0, rule.probability, rule.prior_a, rule.prior_b) if n else None
        crossed = bool(n) and value > threshold
        near = bool(n) and (value > NEAR * threshold or (pause_at is not None and events >= pause_at - 1))
    status = "pause" if crossed else "near" if near else "continue"
    return RuleStatus(int(events), int(n), status, value, threshold, pause_at)


def status_by_group(rule: SafetyRule, hit: pd.Index, treated: pd.Index,
                    group_of: pd.Series | None = None) -> dict[str, RuleStatus]:
    """The rule's status pooled ("All treated"), or in each group of `group_of` (USUBJID -> label)."""
    if group_of is None:
        return {"All treated": rule_status(rule, int(treated.isin(hit).sum()), len(treated))}
    groups = group_of.reindex(treated)
    out = {}
    for label in sorted(groups.dropna().unique()):
        members = treated[np.asarray(groups == label)]
        out[str(label)] = rule_status(rule, int(members.isin(hit).sum()), len(members))
    return out
