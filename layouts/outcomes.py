"""Outcomes page: trajectories and change from baseline, events over time, and (closed) the forest plot."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.context import ViewContext
from layouts.common import figure_card, page_header, summary_grid
from layouts.readiness import readiness_badge

OPTIONS = "outcomes-options"
FAMILY = "outcomes-family"
OUTCOME = "outcomes-outcome"
AXIS = "outcomes-axis"
STATISTIC = "outcomes-statistic"
SPAGHETTI = "outcomes-spaghetti"
TRAJECTORY = "outcomes-trajectory"
CHANGE = "outcomes-change"
EVENT = "outcomes-event"
EVENT_CURVE = "outcomes-event-curve"
EVENT_TABLE = "outcomes-event-table"
FOREST_VISIT = "outcomes-forest-visit"
FOREST = "outcomes-forest"
SCALE = "outcomes-scale"
SUBJECTS = "outcomes-subjects"
WORST_RANK = "outcomes-worst-rank"
POPULATION = "outcomes-population"
ADTTE_CARD = "outcomes-adtte-card"
ADTTE_PARAM = "outcomes-adtte-param"
ADTTE_CURVE = "outcomes-adtte-curve"
ADTTE_TABLE = "outcomes-adtte-table"

SPAGHETTI_ON = "show"
ALL_FAMILIES = "*"                # the family selector's "all families" value (families are free text)
AXIS_OPTIONS = [{"label": "Visit", "value": "visit"}, {"label": "Study day", "value": "day"}]
MEDIAN_OPTION = {"label": "Median (IQR)", "value": "median"}
MEAN_OPTION = {"label": "Mean (95% CI)", "value": "mean"}
SCALE_OPTIONS = [{"label": "Absolute", "value": "absolute"}, {"label": "Percent", "value": "percent"},
                 {"label": "Ratio (log-normal)", "value": "ratio"}]


SUBJECTS_NOTE = ("Every randomized subject is counted once per visit after baseline: with a change from baseline, "
                 "died by the visit's planned day without one, visit not yet due at the cut, or alive without a "
                 "value (missed, withdrawn, no baseline). Change from baseline compares survivors with a value "
                 "only; the worst-rank analysis (closed session) keeps the dead.")
WORST_RANK_NOTE = ("Subjects who died by the visit's planned day without a value rank worst, an earlier death worse; "
                   "survivors rank above them by their change from baseline (oriented: a higher rank is better). "
                   "Alive subjects without a value are not ranked and are counted. Each arm is compared with the "
                   "reference by the Wilcoxon rank-sum (Mann-Whitney U) test, two-sided "
                   "(scipy.stats.mannwhitneyu); with three or more arms the Kruskal-Wallis test "
                   "(scipy.stats.kruskal) compares all arms at once. p-values are nominal and not adjusted for "
                   "multiplicity.")


def _titled(title: str, display_key: str) -> list[Component | str]:
    """A display's title with its data-readiness badge beside it."""
    return [title, readiness_badge(display_key)]


def _card(grid_id: str, title: str, display_key: str, *body: Component) -> Component:
    """A summary table in a card under its title and readiness badge."""
    return dbc.Card([dbc.CardHeader(html.Span(_titled(title, display_key), className="fw-semibold")),
                     dbc.CardBody([summary_grid(grid_id), *body])], className="mb-3 shadow-sm")

ADTTE_NOTE = ("Times are ADTTE's AVAL; an event is CNSR = 0, every other record is censored at AVAL. The median is "
              "where the Kaplan-Meier estimate falls below one half, or the middle of a stretch where it is exactly "
              "one half, as R and SAS report it ('not reached' when it never falls that far).")


def _labelled(label: str, control: Component) -> Component:
    return html.Div([dbc.Label(label, className="small text-muted mb-1"), control])


def _controls(ctx: ViewContext) -> Component:
    """Outcome, x axis, statistic and individual-line controls; blinded users get median / IQR only."""
    statistic = (dbc.RadioItems(id=STATISTIC, options=[MEAN_OPTION, MEDIAN_OPTION], value="mean", inline=True)
                 if ctx.sees_arms else
                 dbc.RadioItems(id=STATISTIC, options=[MEDIAN_OPTION], value="median", inline=True))
    return dbc.Card(dbc.CardBody(dbc.Row([
        dbc.Col(_labelled("Family", dcc.Dropdown(id=FAMILY, options=[], value=ALL_FAMILIES, clearable=False,
                                                 placeholder="All families")), lg=2, md=6),
        dbc.Col(_labelled("Outcome", dcc.Dropdown(id=OUTCOME, options=[], value=None, clearable=False,
                                                  placeholder="Choose an outcome")), lg=3, md=6),
        dbc.Col(_labelled("X axis", dbc.RadioItems(id=AXIS, options=AXIS_OPTIONS, value="visit", inline=True)),
                lg=2, md=4),
        dbc.Col(_labelled("Statistic", statistic), lg=2, md=4),
        dbc.Col(_labelled("Change from baseline as", dbc.RadioItems(id=SCALE, options=SCALE_OPTIONS,
                                                                   value="absolute", inline=True)), lg=3, md=6),
        dbc.Col(_labelled("Individual subjects", dbc.Checklist(
            id=SPAGHETTI, options=[{"label": "Show lines", "value": SPAGHETTI_ON}], value=[], switch=True)),
            lg=2, md=4),
    ], className="g-3 align-items-end")), className="mb-3 shadow-sm")


def _event_picker() -> Component:
    return dbc.Row([
        dbc.Col(dbc.Label("Event", html_for=EVENT, className="small text-muted mb-0"), width="auto"),
        dbc.Col(dcc.Dropdown(id=EVENT, options=[], value=None, clearable=False, placeholder="Choose an event")),
    ], className="g-2 align-items-center mb-2")


def _adtte_section() -> Component:
    """Time-to-event parameters of the cut's ADTTE table; hidden until the server finds one in the cut."""
    picker = dbc.Row([
        dbc.Col(dbc.Label("Parameter", html_for=ADTTE_PARAM, className="small text-muted mb-0"), width="auto"),
        dbc.Col(dcc.Dropdown(id=ADTTE_PARAM, options=[], value=None, clearable=False,
                             placeholder="Choose a parameter"), md=5),
    ], className="g-2 align-items-center mb-2")
    return html.Div([
        html.H3(_titled("Time to event from the analysis datasets (ADTTE)", "outcomes.adtte_parameters"),
                className="h5 mt-2"),
        figure_card(ADTTE_CURVE, _titled("Kaplan-Meier curve with the numbers at risk", "outcomes.adtte_curve"),
                    height=480, extra=picker),
        _card(ADTTE_TABLE, "Median time to event", "outcomes.adtte_medians",
              html.P(ADTTE_NOTE, className="small text-muted mt-2 mb-0")),
    ], id=ADTTE_CARD, style={"display": "none"})


def _forest_section(ctx: ViewContext) -> Component:
    """The forest plot; kept in every layout (hidden when blinded) so its callback answers the same way."""
    visit_picker = dbc.Row([
        dbc.Col(dbc.Label("Change from baseline at", html_for=FOREST_VISIT, className="small text-muted mb-0"),
                width="auto"),
        dbc.Col(dcc.Dropdown(id=FOREST_VISIT, options=[], value=None, clearable=False,
                             placeholder="Last scheduled visit"), md=4),
    ], className="g-2 align-items-center mb-2")
    return html.Div([
        html.H3("Effects at a glance", className="h5 mt-2"),
        figure_card(FOREST, _titled("Forest plot: measured outcomes (Hedges' g) and events (risk difference)",
                                    "outcomes.forest"), height=640, extra=visit_picker),
        _card(WORST_RANK, "Sensitivity analysis keeping the dead: worst rank at the visit chosen above",
              "outcomes.worst_rank", html.P(WORST_RANK_NOTE, className="small text-muted mt-2 mb-0")),
    ], hidden=not ctx.sees_arms)


def _methods(ctx: ViewContext) -> Component:
    comparison = (" Each arm is compared with a reference arm, named on every display ('B vs A'): while arms are "
                  "coded, the first coded group (chosen by its coded label alone, so the reference does not reveal "
                  "an arm); with real names, the configured reference arm. Efficacy is by the arm the configuration "
                  "names (as randomized unless configured otherwise), said on each figure. Intervals are 95 %: "
                  "Welch for mean differences, Newcombe for risk differences; the log-rank test compares arms."
                  if ctx.sees_arms else " All displays are pooled over arms; the arm plays no part in them.")
    return html.P(
        "Summaries use scheduled visits placed by their planned study day; visits without a planned day "
        "(unscheduled, early termination) appear only as individual lines, and each figure "
        "says how many records that leaves out. Baseline is the "
        "flagged value, else the last value on or before day 1. Event curves start at day 1 and end at the "
        "configured follow-up, the data cut or withdrawal; death competes with the other events." + comparison,
        className="small text-muted mt-2")


def layout(ctx: ViewContext) -> Component:
    subtitle = ("by arm: trajectories, change from baseline, events, effects" if ctx.sees_arms
                else "pooled over all arms: trajectories, events")
    return html.Div([
        dcc.Store(id=OPTIONS, data=None),
        page_header("Outcomes", ctx, subtitle),
        html.Div(id=POPULATION, className="small mb-3 border-start border-3 ps-2"),
        _controls(ctx),
        dbc.Row([
            dbc.Col(figure_card(TRAJECTORY, _titled("Trajectory over time", "outcomes.trajectory"), height=480),
                    lg=6),
            dbc.Col(figure_card(CHANGE, _titled("Change from baseline", "outcomes.change"), height=480), lg=6),
        ], className="g-3"),
        _card(SUBJECTS, "Subjects behind each point: survivors, deaths and missing values by visit",
              "outcomes.subjects", html.P(SUBJECTS_NOTE, className="small text-muted mt-2 mb-0")),
        html.H3("Events", className="h5 mt-2"),
        # the table under the curve, full width: by arm it has a column per arm, the risk differences and p
        figure_card(EVENT_CURVE, _titled("Time to event", "outcomes.event_curve"), height=460,
                    extra=_event_picker()),
        _card(EVENT_TABLE, "Event proportions by the end of follow-up", "outcomes.event_table"),
        _adtte_section(),
        _forest_section(ctx),
        _methods(ctx),
    ])
