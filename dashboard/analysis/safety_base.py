"""The derived frames every safety view starts from, computed once per cut and access level."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.analysis.ae_infusion import dosing_plan, flag_infusion_reactions, infusions
from dashboard.analysis.safety import (adverse_events, clinical_events, death_dates, observation_end,
                                       safety_population, treatment_emergent)
from dashboard.config import TrialConfig


@dataclass(frozen=True)
class SafetyFrames:
    """Safety population, all its AE records (flagged), the treatment-emergent ones, doses (numbered by the dosing
    plan), the plan itself, clinical events, observation end and deaths."""

    population: pd.DataFrame
    events: pd.DataFrame
    teae: pd.DataFrame
    doses: pd.DataFrame
    plan: pd.DataFrame
    clinical: pd.DataFrame
    obs_end: pd.Series
    deaths: pd.Series


def safety_frames(domains: dict[str, pd.DataFrame], config: TrialConfig, cut_date: str | None) -> SafetyFrames:
    """Derive the shared safety frames from the clinical domains (DM, EX, AE, DS and the event sources)."""
    empty = pd.DataFrame()
    dm, ex = domains.get("DM", empty), domains.get("EX", empty)
    population = safety_population(dm, ex)
    doses = infusions(ex, population, config.planned_doses, config.dose_interval_days)
    events = flag_infusion_reactions(adverse_events(domains.get("AE", empty), population), doses,
                                     config.infusion_reaction_window_hours)
    return SafetyFrames(
        population=population,
        events=events,
        teae=treatment_emergent(events),
        doses=doses,
        plan=dosing_plan(config.planned_doses, config.dose_interval_days),
        clinical=clinical_events(config.events, domains),
        obs_end=observation_end(population, dm, domains.get("DS", empty), cut_date, config.followup_days),
        deaths=death_dates(dm[dm["RANDFL"] == "Y"] if "RANDFL" in dm else dm),
    )
