"""The charter applied to loaded cuts: the primary comparison per cut, the boundaries at the information seen,
and every safety rule's status. Blinded trial data yield pooled numbers only (nothing reads allocation)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dashboard.analysis import events, outcomes
from dashboard.analysis.adam_flags import efficacy_population_dm
from dashboard.blinding import Access, ArmedTrialData, TrialData
from dashboard.config import TrialConfig
from dashboard.config_charter import Charter, SafetyRule
from dashboard.monitoring import safety_rules, spending, statistics


def primary_outcomes(data: TrialData) -> pd.DataFrame:
    """USUBJID and VALUE (event: had it; outcome: change from baseline) of subjects whose outcome is known."""
    config, primary = data.config, data.config.charter.primary
    dm = efficacy_population_dm(data.dm, config.adam).dm       # the Outcomes page's population
    if primary.kind == "event":
        event = next(e for e in config.events if e.name == primary.name)
        times = events.event_times(event, data.domain(event.source), dm, data.ds, data.cut.cut_date,
                                   config.followup_days)
        known = statistics.event_outcomes(times, config.followup_days)
        return known.rename(columns={"EVENT": "VALUE"})
    outcome = config.outcome(primary.name)
    values = outcomes.outcome_values(data.domain(outcome.domain), outcome, dm, config.visits,
                                    config.adam.analysis_flag)
    per_visit = outcomes.visit_values(values)
    rows = per_visit[(per_visit["VISITNUM"] == primary.visit) & per_visit["CHG"].notna()]
    return pd.DataFrame({"USUBJID": rows["USUBJID"].astype("str"), "VALUE": rows["CHG"].astype("float64")})


def compared_labels(data: ArmedTrialData) -> tuple[str, str]:
    """The compared arm's and the reference arm's labels, coded or real as the access allows."""
    coded = data.access is Access.CODED
    config = data.config
    return (config.arm_label(config.charter.primary.arm, coded), config.arm_label(config.reference_arm.code, coded))


def closed_statistic(data: ArmedTrialData) -> dict[str, float]:
    """z, subjects and estimates per compared arm, and the information fraction at this cut."""
    config, charter = data.config, data.config.charter
    known = primary_outcomes(data)
    arm, reference = compared_labels(data)
    if charter.primary.kind == "event":
        out = statistics.proportions_z(known.rename(columns={"VALUE": "EVENT"}), data.efficacy_arm_of, arm, reference)
    else:
        better = config.outcome(charter.primary.name).higher_is_better
        out = statistics.means_z(known.rename(columns={"VALUE": "CHG"}), data.efficacy_arm_of, arm, reference, better)
    out["FRACTION"] = statistics.information_fraction(int(out["N"]), charter)
    return out


def open_fraction(data: TrialData) -> tuple[int, float]:
    """Subjects with the primary outcome in all arms pooled, and the fraction of the planned number in all
    arms (the charter's planned subjects scaled to every arm by design, equal allocation): no allocation read."""
    charter = data.config.charter
    n = len(primary_outcomes(data))
    planned_all = charter.planned_subjects * len(data.config.arms) / 2
    return n, min(n / planned_all, 1.0) if planned_all else float("nan")


@dataclass
class Boundaries:
    fractions: list[float]
    efficacy: list[float]
    futility: list[float] = field(default_factory=list)
    planned_fractions: list[float] = field(default_factory=list)   # the charter's looks, as planned
    planned_efficacy: list[float] = field(default_factory=list)


def boundaries(charter: Charter, observed: Sequence[float], drift: float) -> Boundaries:
    """Efficacy (and beta-spending futility) bounds at the observed fractions, then the remaining looks."""
    schedule = statistics.boundary_schedule(list(observed), charter.fractions)
    efficacy = spending.spending_boundaries(schedule, charter.alpha, charter.spending, gamma=charter.gamma,
                                            sides=charter.sides)
    futility: list[float] = []
    if charter.futility is not None and charter.futility.kind == "beta_spending":
        one_sided = spending.spending_boundaries(schedule, charter.alpha / charter.sides, charter.spending,
                                                 gamma=charter.gamma, sides=1)
        futility = list(spending.futility_boundaries(schedule, one_sided, charter.futility.beta,
                                                     charter.futility.spending, drift, gamma=charter.futility.gamma))
        futility = futility[:-1]   # at the final analysis only the efficacy bound decides
    planned = spending.spending_boundaries(charter.fractions, charter.alpha, charter.spending, gamma=charter.gamma,
                                           sides=charter.sides)
    return Boundaries(schedule, list(efficacy), futility, list(charter.fractions), list(planned))


def effect_at(z: float, fraction: float, config: TrialConfig) -> float:
    """The effect (difference in rates or in mean change) a z corresponds to at this information, with the
    design's variance: what the boundary means on the scale of the outcome."""
    charter = config.charter
    primary, n = charter.primary, max(charter.planned_subjects * fraction, 2.0)
    if primary.kind == "event":
        p_bar = (primary.design_reference + primary.design_treatment) / 2
        return z * math.sqrt(p_bar * (1 - p_bar) * 4 / n)
    return z * (primary.design_sd or 1.0) * math.sqrt(4 / n)


def design_drift(config: TrialConfig) -> float:
    charter = config.charter
    better = True if charter.primary.kind == "event" else config.outcome(charter.primary.name).higher_is_better
    return statistics.design_drift(charter.primary, charter.planned_subjects, better)


def rule_hits(data: TrialData, rule: SafetyRule) -> tuple[pd.Index, pd.Index]:
    """Subjects with the rule's event, and the treated subjects (clinical data only)."""
    event = next((e for e in data.config.events if e.name == rule.event), None)
    source = data.domain(event.source) if event is not None else pd.DataFrame()
    hit = safety_rules.subjects_with_event(rule, data.ae, data.dm, source, event)
    return hit, safety_rules.treated_ids(data.dm, data.ex)


def safety_status(data: TrialData, rule: SafetyRule) -> dict[str, safety_rules.RuleStatus]:
    """Pooled status for a pooled rule; by arm (as treated) for a rule applied within arms, closed only."""
    hit, treated = rule_hits(data, rule)
    if rule.pooled:
        return safety_rules.status_by_group(rule, hit, treated)
    if not isinstance(data, ArmedTrialData):
        return {}
    return safety_rules.status_by_group(rule, hit, treated, data.treated_arm_of)


def looks_done(charter: Charter, fraction: float) -> tuple[int, float | None]:
    """Planned looks reached at this information fraction, and the fraction of the next one."""
    planned = charter.fractions
    done = sum(1 for f in planned if f <= fraction + 1e-9)
    return done, planned[done] if done < len(planned) else None


def finite(value: float) -> bool:
    return value is not None and bool(np.isfinite(value))
