"""Recruitment page, Overview tab: headline tiles, cumulative accrual against target and plan with the projection,
and the randomization balance over time (by arm only)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.displays.common import stamp
from dashboard.analysis import accrual
from dashboard.analysis import recruitment as rec
from dashboard.blinding import ArmedTrialData, TrialData
from dashboard.displays.model import BY_ARM_ONLY, POOLED_ONLY, Display, Out, View
from dashboard.displays.recruitment.selection import (FILTERS, Key, arm_stamp, filter_key, finished, randomized_at,
                                                      selected, split_allowed, subject_status)
from dashboard.figures import recruitment as figures
from dashboard.figures.common import empty_figure
from dashboard.memo import memoized
from dashboard.permissions import Permission
from layouts import recruitment as ids

PAGE = "/recruitment"
TAB = "overview"
ONLY_ARMS = "Shown only to roles that may see arms."
TILE_OUTPUTS = {tile.removeprefix("rec-tile-").replace("-", "_"): Out(tile, "children") for tile in ids.TILES}


def tiles(data: TrialData, key: Key) -> list[Any]:
    """The headline tiles' contents, in the order of `layouts.recruitment.TILES`."""
    h = memoized(data, "recruitment:headline", lambda: rec.headline_counts(
        selected(data, key), data.config.target_enrollment, data.cut.cut_date), *key)
    pct = "" if pd.isna(h["pct_of_target"]) else f" ({h['pct_of_target']:.0f} %)"
    days = "–" if h["days_since_first"] is None else f"{h['days_since_first']}"
    return [f"{h['screened']}", html.Span([f"{h['randomized']}", html.Small(f" / {h['target']}{pct}",
                                                                            className="text-muted fs-6")]),
            f"{h['on_treatment']}", f"{h['in_follow_up']}", f"{h['completed']}", f"{h['withdrawn']}",
            f"{h['deaths']}", days, h["cut_date"]]


def _accrual_frames(data: TrialData, sites: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """(cumulative randomizations of the chosen sites, the trial's plan, the trial's projection)."""
    config = data.config

    def compute() -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
        status = rec.filter_subjects(subject_status(data), sites)
        dates = status.loc[status["RANDOMIZED"], "RAND_DT"]
        rate = accrual.planned_rate_per_week(config.first_randomization_planned, config.target_enrollment,
                                             config.planned_end, config.planned_rate_per_week)
        projection = accrual.accrual_projection(dates, config.target_enrollment, data.cut.cut_date,
                                                recruitment_open=config.first_randomization_planned,
                                                plan_rate_per_week=rate)
        planned = accrual.planned_accrual(config.first_randomization_planned, config.target_enrollment,
                                          config.planned_end, config.planned_rate_per_week)
        return accrual.cumulative_randomizations(dates), planned, projection

    return memoized(data, "recruitment:accrual", compute, sites)


def accrual_with_note(data: TrialData, key: Key) -> tuple[go.Figure, str]:
    """The accrual figure (every screening date; the range only zooms it) and the projection's note."""
    sites = key[0]
    cumulative, planned, projection = _accrual_frames(data, sites)
    x_range = [key[1], key[2]] if key[1] and key[2] else None
    figure = figures.accrual_figure(cumulative, planned, projection, stamp(data), cut_date=data.cut.cut_date,
                                    show_target=not sites, x_range=x_range)
    note = figures.projection_summary(projection) if not sites else (
        f"{int(cumulative['cumulative'].iloc[-1]) if len(cumulative) else 0} randomized at the chosen sites. "
        "Target, plan and projection are trial-wide and shown without a site filter.")
    return figure, note


def balance_figure(data: TrialData, key: Key) -> go.Figure:
    """Randomizations over time by arm; a notice for blinded roles or where a chosen site is too small."""
    return data.split(lambda: empty_figure(figures.BALANCE_TITLE, stamp(data), ONLY_ARMS),
                      lambda *, arm_of: _balance_by_arm(data, key, arm_of))


def _balance_by_arm(data: ArmedTrialData, key: Key, arm_of: pd.Series) -> go.Figure:
    """The balance by arm (called by `ArmedTrialData.split` only), withheld where a chosen site is too small."""
    if not split_allowed(data, key):
        return empty_figure(figures.BALANCE_TITLE, stamp(data), "Split by arm withheld: a chosen site has fewer "
                                                                f"than {rec.MIN_SITE_SPLIT} randomized subjects.")
    sites = key[0]
    by_arm = memoized(data, "recruitment:balance", lambda: accrual.cumulative_randomizations_by_arm(
        randomized_at(data, sites), arm_of, data.arm_labels), sites)
    figure = figures.randomization_balance_figure(by_arm, data.arm_labels, arm_stamp(data))
    if key[1] and key[2] and len(by_arm):
        figure.update_xaxes(range=[key[1], key[2]])
    return figure


def overview(data: TrialData, sites: Any = None, start: Any = None, end: Any = None) -> dict[str, Any]:
    """Headline tiles, the accrual figure and its note."""
    key = filter_key(sites, start, end)

    def build() -> dict[str, Any]:
        figure, note = accrual_with_note(data, key)
        return {**dict(zip(TILE_OUTPUTS, tiles(data, key))), "accrual": figure, "projection_note": note}

    return finished(data, "overview", build, *key)


def balance(data: TrialData, sites: Any = None, start: Any = None, end: Any = None) -> dict[str, Any]:
    """The randomization balance figure."""
    key = filter_key(sites, start, end)
    return finished(data, "balance", lambda: {"balance": balance_figure(data, key)}, *key)


TILES = Display("recruitment.status", "Study status", "tiles", ("DM", "DS", "EX"), TILE_OUTPUTS, POOLED_ONLY,
                analysis=(rec.subject_status, rec.filter_subjects, rec.headline_counts), builder=tiles,
                fields=("DM.RANDFL", "DM.RFSTDTC", "DS.DSDECOD", "EX.EXSTDTC"), tab=TAB)
ACCRUAL = Display("recruitment.accrual", "Cumulative randomizations", "figure", ("DM",),
                  {"accrual": Out(ids.ACCRUAL_GRAPH, "figure"),
                   "projection_note": Out(ids.PROJECTION_NOTE, "children")},
                  POOLED_ONLY, fields=("DM.RANDDTC",), tab=TAB, builder=figures.accrual_figure,
                  analysis=(accrual.cumulative_randomizations, accrual.planned_accrual, accrual.accrual_projection))
BALANCE = Display("recruitment.balance", "Randomization balance over time", "figure", ("DM",),
                  {"balance": Out(ids.BALANCE_GRAPH, "figure")}, BY_ARM_ONLY, fields=("DM.RANDDTC",), tab=TAB,
                  analysis=(accrual.cumulative_randomizations_by_arm,), builder=figures.randomization_balance_figure)

VIEWS = (
    View("recruitment:overview", PAGE, Permission.VIEW_RECRUITMENT, overview, (TILES, ACCRUAL), FILTERS, tabs=ids.TABS),
    View("recruitment:balance", PAGE, Permission.VIEW_RECRUITMENT, balance, (BALANCE,), FILTERS, tabs=ids.TABS),
)
