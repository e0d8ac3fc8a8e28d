"""The derived frames every safety view starts from, computed once per cut and access level."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.analysis import adam_flags
from dashboard.analysis.ae_infusion import dosing_plan, flag_infusion_reactions, infusions
from dashboard.analysis.safety import (adverse_events, clinical_events, death_dates, discontinuation_source,
                                       discontinued_for_ae, observation_end, safety_population, treatment_emergent,
                                       with_columns)
from dashboard.config import TrialConfig


@dataclass(frozen=True)
class SafetyFrames:
    """Safety population, all its AE records (flagged), the treatment-emergent ones, doses (numbered by the dosing
    plan), the plan itself (empty unless doses are discrete infusions), clinical events, observation end, deaths,
    and where 'leading to discontinuation' comes from ('AEACN' or 'DS')."""

    population: pd.DataFrame
    events: pd.DataFrame
    teae: pd.DataFrame
    doses: pd.DataFrame
    plan: pd.DataFrame
    clinical: pd.DataFrame
    obs_end: pd.Series
    deaths: pd.Series
    discont_source: str = "AEACN"


def _no_reactions(events: pd.DataFrame) -> pd.DataFrame:
    """Events without infusion-reaction flags: a continuous or cyclic regimen has no infusion window."""
    return events.assign(IR=False, IR_INFUSION=np.nan, IR_HOURS=np.nan)


def safety_frames(domains: dict[str, pd.DataFrame], config: TrialConfig, cut_date: str | None) -> SafetyFrames:
    """Derive the shared safety frames from the clinical domains (DM, EX, AE, DS and the event sources).

    Infusion windows (reactions, the dosing plan) only for discrete infusions (`config.discrete_doses`). For
    every regimen an AE is treatment-emergent from the first EX start day on, with no end window.
    """
    empty = pd.DataFrame()
    dm, ex, ds = domains.get("DM", empty), domains.get("EX", empty), domains.get("DS", empty)
    ae = domains.get("AE", empty)
    vocabulary = config.vocabulary
    population = adam_flags.safety_population(safety_population(dm, ex), dm)      # SAFFL where delivered
    doses = infusions(ex, population, config.planned_doses if config.discrete_doses else 1, config.dose_interval_days)
    events = adam_flags.with_adam_teae(adverse_events(ae, population, vocabulary), ae)   # TRTEMFL where delivered
    source = discontinuation_source(ae, ds, vocabulary)
    if source == "DS":
        events = events.assign(DISCONT=discontinued_for_ae(events, ds, vocabulary))
    if config.discrete_doses:
        events = flag_infusion_reactions(events, doses, config.infusion_reaction_window_hours)
        plan = dosing_plan(config.planned_doses, config.dose_interval_days)
    else:
        events, plan = _no_reactions(events), dosing_plan(0, 1).iloc[0:0]
    return SafetyFrames(
        population=population,
        events=events,
        teae=treatment_emergent(events),
        doses=doses,
        plan=plan,
        clinical=clinical_events(config.events, domains),
        obs_end=observation_end(population, dm, ds, cut_date, config.followup_days, vocabulary),
        deaths=death_dates(dm[dm["RANDFL"] == "Y"] if "RANDFL" in dm else dm),
        discont_source=source,
    )


NEVER_DOSED = "randomized, never dosed"
NOT_IN_SAFETY = "dosed, not in the safety population (SAFFL = N)"
OTHER_ARM = "treated in another arm than randomized"


def population_difference(dm: pd.DataFrame, population: pd.DataFrame, planned: pd.Series | None = None,
                          treated: pd.Series | None = None, *, dosed: pd.Series | None = None) -> pd.DataFrame:
    """Who is in the randomized set and not in the safety population, or in both under different arms.

    Rows USUBJID, REASON (`NEVER_DOSED`; `NOT_IN_SAFETY` for a subject in `dosed` whom the safety population leaves
    out, as ADaM's SAFFL = N does; or `OTHER_ARM`), PLANNED and TREATED (the arms, for users who see arms: pass
    `planned` and `treated`; without them, PLANNED and TREATED stay empty and no arm row appears).
    """
    dm = with_columns(dm, ("USUBJID", "RANDFL"))
    randomized = pd.Index(dm.loc[dm["RANDFL"] == "Y", "USUBJID"].astype(str).unique())
    outside = randomized.difference(pd.Index(population["USUBJID"].astype(str))).sort_values()
    was_dosed = outside.isin(dosed.astype(str)) if dosed is not None else [False] * len(outside)
    rows = pd.DataFrame({"USUBJID": outside, "REASON": [NOT_IN_SAFETY if d else NEVER_DOSED for d in was_dosed]})
    if planned is not None and treated is not None:
        ids = population["USUBJID"].astype(str)
        p, t = ids.map(planned.astype(object)), ids.map(treated.astype(object))
        moved = (p.notna() & t.notna() & (p != t)).to_numpy()
        rows = pd.concat([rows, pd.DataFrame({"USUBJID": ids[moved].to_numpy(), "REASON": OTHER_ARM})],
                         ignore_index=True)
    armed = planned is not None and treated is not None
    rows["PLANNED"] = rows["USUBJID"].map(planned.astype(object)) if armed else None
    rows["TREATED"] = rows["USUBJID"].map(treated.astype(object)) if armed else None
    return rows.reset_index(drop=True)
