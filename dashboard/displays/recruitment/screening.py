"""Recruitment page, Screening and flow tab: the screening funnel, screen-failure reasons and the CONSORT flow
(by arm as randomized for roles that see arms, where the small-site rule allows)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
from dash import html
from dash.development.base_component import Component

from dashboard.displays.common import stamp
from dashboard.analysis import consort
from dashboard.analysis import recruitment as rec
from dashboard.blinding import ArmedTrialData, TrialData
from dashboard.displays.model import BOTH_FORMS, POOLED_ONLY, Display, Out, View
from dashboard.displays.recruitment.selection import (FILTERS, Key, arm_stamp, by_arm_where_allowed, filter_key,
                                                      finished, selected, split_allowed)
from dashboard.figures import conduct as conduct_figures
from dashboard.figures import recruitment as figures
from dashboard.ingest.adam.sources import ADSL_DISPOSITION, derived_from_adsl
from dashboard.memo import memoized
from dashboard.permissions import Permission
from layouts import recruitment as ids

PAGE = "/recruitment"
TAB = "screening"


def adsl_disposition(data: TrialData) -> tuple[str, ...]:
    """The ADSL variables DS was derived from on an ADaM cut (EOSSTT, DCSREAS), () when DS was delivered."""
    if not derived_from_adsl(data.cut.sources, "DS"):
        return ()
    return tuple(name for name in ADSL_DISPOSITION if name in data.dm)


def failure_reasons(data: TrialData, key: Key) -> pd.DataFrame:
    """Screen-failure reasons of the selection (IE criteria as the protocol names them; DS where IE is silent)."""
    return rec.screen_failure_reasons(selected(data, key), data.ie, data.config.screen_failure_reasons, data.ds)


def screening_figures(data: TrialData, key: Key) -> tuple[go.Figure, go.Figure]:
    """(the screening funnel, the screen-failure reasons) of the selection."""
    funnel, reasons = memoized(data, "recruitment:screening",
                               lambda: (rec.screening_funnel(selected(data, key)), failure_reasons(data, key)), *key)
    return figures.funnel_figure(funnel, stamp(data)), figures.screen_failure_figure(reasons, stamp(data))


def consort_with_note(data: TrialData, key: Key) -> tuple[go.Figure, Component]:
    """The CONSORT flow (by arm where shown) and the note under the filters: where disposition comes from, and
    why the flow is pooled for a role that sees arms when a chosen site is too small."""
    doses, discrete = data.config.planned_doses, data.config.discrete_doses

    def pooled() -> go.Figure:
        flow = memoized(data, "recruitment:consort", lambda: consort.consort_flow(selected(data, key), doses,
                                                                                   discrete), *key)
        return conduct_figures.consort_figure(flow, [consort.POOLED_GROUP], stamp(data))

    figure = by_arm_where_allowed(data, key, pooled, lambda *, arm_of: _consort_by_arm(data, key, arm_of))
    source = html.Div(rec.disposition_source(data.ds, data.config.vocabulary, adsl_disposition(data)),
                      className="text-muted small")
    if not data.access.sees_arms or split_allowed(data, key):
        return figure, source
    return figure, html.Div([html.Div(f"By-arm displays are withheld for this selection: a chosen site has fewer "
                                      f"than {rec.MIN_SITE_SPLIT} randomized subjects, so the page shows pooled "
                                      "figures.", className="alert alert-secondary small py-2"), source])


def _consort_by_arm(data: ArmedTrialData, key: Key, arm_of: pd.Series) -> go.Figure:
    """The flow with one allocation and follow-up column per arm (called by `ArmedTrialData.split` only)."""
    doses, discrete = data.config.planned_doses, data.config.discrete_doses
    flow = memoized(data, "recruitment:consort-arm", lambda: consort.consort_flow_by_arm(
        selected(data, key), arm_of, data.arm_labels, doses, discrete), *key)
    return conduct_figures.consort_figure(flow, data.arm_labels, arm_stamp(data))


def screening(data: TrialData, sites: Any = None, start: Any = None, end: Any = None) -> dict[str, Any]:
    """The funnel and the screen-failure reasons."""
    key = filter_key(sites, start, end)
    return finished(data, "screening", lambda: dict(zip(("funnel", "failures"), screening_figures(data, key))),
                    *key)


def flow(data: TrialData, sites: Any = None, start: Any = None, end: Any = None) -> dict[str, Any]:
    """The CONSORT flow and its note."""
    key = filter_key(sites, start, end)
    return finished(data, "consort", lambda: dict(zip(("consort", "arm_note"), consort_with_note(data, key))), *key)


FUNNEL = Display("recruitment.funnel", "Screening funnel", "figure", ("DM", "DS", "EX"),
                 {"funnel": Out(ids.FUNNEL_GRAPH, "figure")}, POOLED_ONLY, tab=TAB,
                 analysis=(rec.screening_funnel,), builder=figures.funnel_figure,
                 fields=("DM.RFICDTC", "DM.RANDFL", "EX.EXSTDTC", "DS.DSDECOD"))
FAILURES = Display("recruitment.screen_failures", "Screen-failure reasons", "figure", ("DM", "IE", "DS"),
                   {"failures": Out(ids.FAILURES_GRAPH, "figure")}, POOLED_ONLY, tab=TAB,
                   analysis=(rec.screen_failure_reasons,), builder=figures.screen_failure_figure,
                   fields=("IE.IETESTCD", "DS.DSDECOD"))
CONSORT = Display("recruitment.consort", "CONSORT flow diagram", "figure", ("DM", "DS", "EX"),
                  {"consort": Out(ids.CONSORT_GRAPH, "figure"), "arm_note": Out(ids.ARM_NOTE, "children")},
                  BOTH_FORMS, tab=TAB, analysis=(consort.consort_flow, consort.consort_flow_by_arm),
                  builder=conduct_figures.consort_figure, fields=("DS.DSDECOD", "DS.DSSTDTC", "EX.EXSTDTC"))

VIEWS = (
    View("recruitment:screening", PAGE, Permission.VIEW_RECRUITMENT, screening, (FUNNEL, FAILURES), FILTERS,
         tabs=ids.TABS),
    View("recruitment:consort", PAGE, Permission.VIEW_RECRUITMENT, flow, (CONSORT,), FILTERS, tabs=ids.TABS),
)
