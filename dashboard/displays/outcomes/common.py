"""What every Outcomes view shares: the outcome values and event times of a cut (computed once per cut and
access), the stamps, the reference arm, and the page's choices (families, outcomes, events, visits)."""

from __future__ import annotations

from typing import Any

import dash

from dashboard.displays import common as page_common
from dashboard.analysis import effects, events, outcomes, worst_rank
from dashboard.analysis.adam_flags import EfficacyPopulation, efficacy_population_dm
from dashboard.blinding import Access, TrialData
from dashboard.config import TrialConfig
from dashboard.context import trial_config
from dashboard.memo import pooled
from layouts import outcomes as ids

PAGE = "/outcomes"
MAX_SPAGHETTI_SUBJECTS = 60
TRAJECTORY_TITLE = "Trajectory over time"
CHANGE_TITLE = "Change from baseline"
EVENT_TITLE = "Time to event"

stamp = page_common.stamp                     # the cut date and OPEN / CLOSED
efficacy_stamp = page_common.efficacy_stamp   # plus the arm basis when by arm


def population(data: TrialData) -> EfficacyPopulation:
    """The efficacy displays' population: the configured ADaM efficacy flag's subjects where DM carries it, else
    every randomized subject (an SDTM cut). Every Outcomes display reads its DM from here."""
    return pooled(data, "outcomes:efficacy-population",
                  lambda blinded: efficacy_population_dm(blinded.dm, blinded.config.adam))


def all_values(data: TrialData) -> dict[str, Any]:
    """Every configured outcome's values and per-visit values, filtered from its domain once per cut and access."""
    def compute(blinded: TrialData) -> dict[str, Any]:
        config = blinded.config
        values = outcomes.all_outcome_values({o.domain: blinded.domain(o.domain) for o in config.outcomes},
                                             config.outcomes, population(blinded).dm, config.visits,
                                             config.adam.analysis_flag)
        return {key: (frame, outcomes.visit_values(frame)) for key, frame in values.items()}

    return pooled(data, "outcomes:values", compute)   # the same at every access level: once per cut


def non_analysis_counts(data: TrialData) -> dict[str, tuple[int, int]]:
    """Per outcome: ADaM records that are not values (derived, outside the analysis flag), said on the figures."""
    return pooled(data, "outcomes:non-analysis", lambda blinded: outcomes.all_non_analysis_counts(
        {o.domain: blinded.domain(o.domain) for o in blinded.config.outcomes}, blinded.config.outcomes,
        population(blinded).dm, blinded.config.adam.analysis_flag))


def event_times(data: TrialData) -> list[Any]:
    """event_times of every configured event, in configuration order (no arm: once per cut)."""
    def compute(blinded: TrialData) -> list[Any]:
        dm = population(blinded).dm
        return [events.event_times(e, blinded.domain(e.source), dm, blinded.ds, blinded.cut.cut_date,
                                   blinded.config.followup_days) for e in blinded.config.events]

    return pooled(data, "outcomes:event-times", compute)


def survival_inputs(data: TrialData) -> tuple[Any, Any, Any]:
    """Subjects of the population, day of death of those who died, and the study day of the cut, once per cut."""
    def compute(blinded: TrialData) -> tuple[Any, Any, Any]:
        dm = population(blinded).dm
        return (outcomes.randomized_ids(dm), worst_rank.death_days(dm, blinded.ds),
                worst_rank.cut_days(dm, blinded.cut.cut_date))

    return pooled(data, "outcomes:survival", compute)


def plain(*figures: Any) -> Any:
    """Figures as plain dicts, so a cached answer is only serialized, never copied again."""
    shown = tuple(f.to_plotly_json() for f in figures)
    return shown if len(shown) > 1 else shown[0]


def reference(data: TrialData) -> str:
    """The arm differences are taken against (only ever called for data that holds arms)."""
    return effects.comparison_reference(data.config, coded=data.access is Access.CODED)


def choices(config: TrialConfig, family: Any = ids.ALL_FAMILIES) -> tuple:
    """Families as configured (free text, in configuration order), the outcomes of the chosen one (all for
    anything unknown), the events, and the post-baseline visits with a planned day."""
    families = list(dict.fromkeys(o.family for o in config.outcomes))
    family_options = [{"label": "All families", "value": ids.ALL_FAMILIES}] + [
        {"label": name, "value": name} for name in families]
    shown = [o for o in config.outcomes if family in families and o.family == family] or list(config.outcomes)
    outcome_options = [{"label": f"{o.label} ({o.family})", "value": outcomes.outcome_key(o)} for o in shown]
    event_options = [{"label": e.label, "value": e.name} for e in config.events]
    visits = outcomes.post_baseline_visits(config.visits)
    visit_options = [{"label": outcomes.visit_label(v), "value": float(v.num)} for v in visits]
    return (outcome_options, outcome_options[0]["value"] if outcome_options else None,
            event_options, event_options[0]["value"] if event_options else None,
            visit_options, visit_options[-1]["value"] if visit_options else None, family_options)


CHOICE_NAMES = ("outcome_options", "outcome", "event_options", "event", "visit_options", "visit", "family_options")


def page_choices(_store: Any = None, family: Any = ids.ALL_FAMILIES) -> dict[str, Any]:
    """The configured families, outcomes, events and visits: the same choices for every role. Choosing a family
    changes the outcome choices only: the chosen event and forest visit stay as they are."""
    answer = dict(zip(CHOICE_NAMES, choices(trial_config(), family)))
    if dash.ctx.triggered_id == ids.FAMILY:
        return {k: (v if k in ("outcome_options", "outcome") else dash.no_update) for k, v in answer.items()}
    return answer
