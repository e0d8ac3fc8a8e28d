"""Figures the Outcomes page shows when there is nothing to compute: no cut yet, or a closed-only display."""

from __future__ import annotations

import plotly.graph_objects as go

from dashboard.figures.common import empty_figure, stamp_text

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
