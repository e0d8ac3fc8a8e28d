"""What every Safety view shares: the derived safety frames of a cut, the safety arms (the one pooled-or-by-arm
decision, `data.split(..., basis="safety")`), group headers, the previous cut's changes and listing headers."""

from __future__ import annotations

import logging
from typing import NamedTuple

import pandas as pd

from dashboard import blinding, cuts
from dashboard.analysis import arms, changes, labs
from dashboard.analysis.effects import comparison_reference
from dashboard.analysis.safety import group_labels, group_sizes
from dashboard.analysis.safety_base import SafetyFrames, safety_frames
from dashboard.blinding import Access, TrialData
from dashboard.context import data_root
from dashboard.figures.common import stamp_text
from dashboard.memo import memoized, pooled
from dashboard.tables import safety as safety_tables

PAGE = "/safety"
MAX_LISTING_ROWS = 500
log = logging.getLogger(__name__)
SAE_LABELS = {"USUBJID": "Subject", "ARM": "Arm", "AESEQ": "Seq", "AEBODSYS": "System organ class",
              "AEDECOD": "Preferred term", "AETERM": "Reported term", "AESEV": "Severity", "AEREL": "Relationship",
              "AEACN": "Action taken", "AEOUT": "Outcome", "AESTDTC": "Start", "AEENDTC": "End",
              "ADY": "Study day", "TEAE": "Treatment-emergent",
              "FATAL": "Fatal", "CHANGE": "Since previous cut", "DTHDTC": "Date of death",
              "DTHDY": "Study day of death", "CAUSE": "Fatal adverse events",
              "CHANGED_COLUMNS": "Changed columns", "AESER": "Serious"}
SAFETY_DOMAINS = ("DM", "EX", "AE", "DS", "PR", "HO")


def stamp(data: TrialData) -> str:
    """The cut date and OPEN / CLOSED line of the figures."""
    return stamp_text(data.cut.cut_date, data.access.sees_arms)


def listing_labels(data: TrialData, **extra: str) -> dict[str, str]:
    """Listing headers, the infusion-reaction column naming the trial's configured window."""
    return {**SAE_LABELS, "IR": f"Within {data.config.infusion_reaction_window_hours} h of infusion", **extra}


def frames(data: TrialData) -> SafetyFrames:
    """The safety population, events, doses and observation ends of the cut (computed once per cut and access)."""
    # the same at every access level (no arm): computed once per cut from its blinded data (memo.pooled)
    return pooled(data, "safety:frames", lambda blinded: safety_frames(
        {name: blinded.domain(name) for name in SAFETY_DOMAINS}, blinded.config, blinded.cut.cut_date))


def configured_units(data: TrialData) -> dict[str, str]:
    return {o.testcd: o.unit for o in data.config.outcomes if o.domain == "LB" and o.unit}


def lab_index(data: TrialData) -> dict[str, pd.DataFrame]:
    """Laboratory rows of the safety population, by test code."""
    return pooled(data, "safety:lab-index", lambda blinded: labs.split_by_test(  # once per cut (memo.pooled)
        blinded.lb, frames(blinded).population["USUBJID"], configured_units(blinded)))


def _no_arms() -> None:
    return None


def _the_arms(*, arm_of: pd.Series) -> pd.Series:
    return arm_of


def safety_arms(data: TrialData) -> pd.Series | None:
    """USUBJID -> arm on the safety basis (as treated unless configured 'planned'); None for pooled data."""
    return data.split(_no_arms, _the_arms, basis="safety")


def arm_labels(data: TrialData) -> tuple[str, ...]:
    """The arm labels a by-arm display shows, in display order; () for pooled data."""
    return data.split(tuple, lambda *, arm_of: tuple(data.arm_labels), basis="safety")


def groups(data: TrialData) -> list[str]:
    """The groups of a summary table: the arms then the total, or the total alone."""
    return group_labels(arm_labels(data) or None)


def headers(data: TrialData) -> list[str]:
    """Column headers of the group tables, each with its number of subjects: 'Group A (N=14)', 'All subjects (N=29)'."""
    population = frames(data).population
    return memoized(data, "safety:headers", lambda: safety_tables.group_headers(
        group_sizes(population, safety_arms(data))))


def basis_words(data: TrialData) -> str:
    planned = data.config.safety_arm_basis == "planned"
    return "as randomized (planned arm)" if planned else "as treated (the arm actually received)"


def basis_note(data: TrialData) -> str:
    """What a by-arm display groups by, said on each; nothing for pooled displays."""
    return f" Arms {basis_words(data)}." if data.access.sees_arms else ""


def _reference_position(data: TrialData) -> int:
    name = comparison_reference(data.config, data.access == Access.CODED)
    return list(data.arm_labels).index(name) if name in data.arm_labels else 0


def reference(data: TrialData) -> int:
    """Position of the arm risk differences are taken against, as the Outcomes page takes them
    (`effects.comparison_reference`: the configured reference arm; the first coded group while arms are coded)."""
    return data.split(lambda: 0, lambda *, arm_of: _reference_position(data), basis="safety")


def comparisons(data: TrialData) -> dict[int, str]:
    """Risk-difference columns: arm position -> 'arm − reference arm'; none for pooled data."""
    def by_arm(*, arm_of: pd.Series) -> dict[int, str]:
        ref = _reference_position(data)
        return {i: f"{label} − {data.arm_labels[ref]}" for i, label in enumerate(data.arm_labels) if i != ref}

    return data.split(dict, by_arm, basis="safety")


def with_arm_column(data: TrialData, *listings: pd.DataFrame) -> list[pd.DataFrame]:
    """Listings with the subject's safety arm as a column for users who see arms (every row kept); unchanged else."""
    def by_arm(*frames_: pd.DataFrame, arm_of: pd.Series) -> list[pd.DataFrame]:
        return [arms.with_arm(frame, arm_of, keep_unarmed=True) for frame in frames_]

    return data.split(lambda *frames_: list(frames_), by_arm, *listings, basis="safety")


class PreviousCut(NamedTuple):
    """The cut before the active one as the change views need it: its date (None when there is no earlier cut or it
    cannot be read), the AE record and death changes against it, and why it could not be read."""

    cut_date: str | None
    ae_changed: pd.DataFrame
    deaths_changed: pd.DataFrame
    problem: str | None = None


def _compare_with_previous(data: TrialData) -> PreviousCut:
    root = data_root()
    empty = (changes.ae_changes(data.ae, data.ae.iloc[0:0]).iloc[0:0], changes.death_changes(data.dm, data.dm).iloc[0:0])
    try:
        previous_id = cuts.previous_cut_id(data.cut.cut_id, root)
        previous = blinding.trial_data(previous_id, data.access, data.config, root) if previous_id else None
    except (cuts.CutError, OSError) as exc:
        log.error("previous cut of %s refused: %s", data.cut.cut_id, exc)
        return PreviousCut(None, *empty, problem=cuts.refusal_reason(exc))
    if previous is None:
        return PreviousCut(None, *empty)
    return PreviousCut(previous.cut.cut_date, changes.ae_changes(data.ae, previous.ae),
                       changes.death_changes(data.dm, previous.dm))


def previous_changes(data: TrialData) -> PreviousCut:
    """Changes against the cut before the active one; a previous cut that fails its checks is named, not hidden."""
    return memoized(data, "safety:changes", lambda: _compare_with_previous(data))
