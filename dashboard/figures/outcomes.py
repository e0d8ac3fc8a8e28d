"""Outcomes page: empty-state figures (no cut, closed-only display, nothing configured) and the population text.
The grids under the figures are built in `dashboard/tables/outcomes.py`."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

from dashboard.analysis.adam_flags import EfficacyPopulation
from dashboard.analysis.safety_base import OTHER_ARM

from dashboard.figures.common import empty_figure, stamp_text
from dashboard.figures.survival import CurveStyle, curve_method

NO_CUT_MESSAGE = "No data cut has been loaded yet."


def no_cut_figure(title: str, sees_arms: bool) -> go.Figure:
    """Empty-state figure before the first data cut is loaded."""
    return empty_figure(title, stamp_text(None, sees_arms), NO_CUT_MESSAGE)


def closed_only_figure(title: str, stamp: str) -> go.Figure:
    """What a blinded user gets for a between-arm display: the same figure whatever the allocation."""
    return empty_figure(title, stamp, "Comparisons between arms are shown in the closed session only.")


def no_outcome_figure(title: str, stamp: str) -> go.Figure:
    """The trial configuration names no measured outcome or no event."""
    return empty_figure(title, stamp, "The trial configuration names nothing to show here.")


def missing_domain_figure(title: str, stamp: str, domain: str, label: str) -> go.Figure:
    """The configured outcome's findings domain is not in this cut: say so rather than show an empty plot."""
    return empty_figure(title, stamp, f"This data cut has no {domain} domain, so {label} cannot be shown "
                                      "(the trial configuration names it).")


MAX_IDS = 20


def _ids(subjects: pd.Series) -> str:
    """Subject ids, at most MAX_IDS of them (then how many more)."""
    shown = ", ".join(subjects.astype("str").head(MAX_IDS))
    return shown + (f" and {len(subjects) - MAX_IDS} more" if len(subjects) > MAX_IDS else "")


def _efficacy_lines(efficacy: EfficacyPopulation | None) -> list[str]:
    """Whom the efficacy flag leaves out, or that the configured flag is not in this cut (never silently)."""
    if efficacy is None:
        return []
    if efficacy.left_out:
        many = len(efficacy.left_out) != 1
        return [f"{len(efficacy.left_out)} randomized {'subjects have' if many else 'subject has'} {efficacy.flag} "
                f"other than Y and {'are' if many else 'is'} left out: {_ids(pd.Series(efficacy.left_out))}."]
    if efficacy.absent_flag:
        return [f"The configured efficacy flag {efficacy.absent_flag} is not in this cut's subject-level data "
                "(DM / ADSL): every randomized subject counts."]
    return []


def population_text(n: int, differences: pd.DataFrame, *, arms: Sequence[str] | None = None,
                    arm_counts: pd.Series | None = None, basis: str = "",
                    efficacy: EfficacyPopulation | None = None) -> list[str]:
    """Lines stating the Outcomes population and N (the configured ADaM efficacy flag's subjects, or all
    randomized), whom the flag leaves out, and who is in it but not in Safety's population (as treated): counts
    per arm and subject ids where arms may be seen; pooled counts and ids otherwise."""
    flag = efficacy.flag if efficacy is not None else None
    who = f"randomized subjects with {flag} = Y (the configured efficacy population)" if flag \
        else "all randomized subjects"
    if arms and arm_counts is not None:
        per_arm = " | ".join(f"{arm} {int(arm_counts.get(arm, 0))}" for arm in arms)
        lines = [f"Population: {who}, {basis}; N = {n} ({per_arm})."]
    else:
        lines = [f"Population: {who}, pooled over arms; N = {n}."]
    lines += _efficacy_lines(efficacy)
    safety = "Safety's population (randomized and dosed at least once"
    safety += ", by the arm received)" if arms else ")"
    if differences.empty:
        return lines + [f"{safety} holds the same subjects" + (" in the same arms." if arms else ".")]
    parts = []
    for reason, rows in differences.groupby("REASON", sort=True):
        counts = ""
        if arms:
            by_arm = rows["ARM"].value_counts()
            counts = " (" + " | ".join(f"{arm} {int(by_arm.get(arm, 0))}" for arm in arms) + ")"
            if reason == OTHER_ARM:
                moved = rows.assign(PAIR=rows["ARM"].astype(str) + " → " + rows["TREATED"].astype(str))
                counts += ": " + "; ".join(f"{pair}: {_ids(g['USUBJID'])}" for pair, g in moved.groupby("PAIR"))
                parts.append(f"{len(rows)} {reason}{counts}")
                continue
        parts.append(f"{len(rows)} {reason}{counts}: {_ids(rows['USUBJID'])}")
    return lines + [f"Differs from {safety}: " + "; ".join(parts) + "."]


def event_style(label: str, competing: bool) -> CurveStyle:
    """How the Outcomes page draws a configured event: cumulative incidence rising from 0, no bands."""
    return CurveStyle(f"Time to {label.lower()}", "Subjects with event", incidence=True, bands=False,
                      what="with the event", method=curve_method(competing),
                      empty=f"No subject with follow-up for {label.lower()} in this cut yet.")


def adtte_style(label: str, paramcd: str, unit: str, event_free: bool) -> CurveStyle:
    """How an ADTTE parameter is drawn: Kaplan-Meier with 95 % bands and the medians; rising when configured so.
    `unit` is ADTTE's AVALU ("" when the table has none: then the axis says so rather than guess days)."""
    unit = unit.strip().lower()
    return CurveStyle(f"{label} ({paramcd}), ADTTE", "Free of the event" if event_free else "Subjects with event",
                      incidence=not event_free, x_title=f"Time ({unit}, AVAL)" if unit else
                      "Time (AVAL; ADTTE has no AVALU)", unit=unit, medians=True,
                      what="free of the event" if event_free else "with the event",
                      method="Kaplan-Meier (AVAL, event = CNSR 0); 95 % log-log band",
                      empty=f"No subject with a time for {paramcd} in this cut.")
