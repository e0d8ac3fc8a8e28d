"""Views of the Outcomes page: the choices, trajectories and change from baseline, the configured events, the
ADTTE parameters, the effects forest and worst rank (closed), and the population statement."""

from __future__ import annotations

from dashboard.displays.model import POOLED_ONLY, Control, Display, Out, View
from dashboard.displays.outcomes import common, effects, events, trajectories
from dashboard.permissions import Permission
from layouts import outcomes as ids

CHOICES = Display(
    "outcomes.choices", "Families, outcomes, events and visits", "choice", (),
    {"outcome_options": Out(ids.OUTCOME, "options"), "outcome": Out(ids.OUTCOME, "value"),
     "event_options": Out(ids.EVENT, "options"), "event": Out(ids.EVENT, "value"),
     "visit_options": Out(ids.FOREST_VISIT, "options"), "visit": Out(ids.FOREST_VISIT, "value"),
     "family_options": Out(ids.FAMILY, "options")}, POOLED_ONLY, analysis=(common.choices,), in_pack=False)

VIEWS: tuple[View, ...] = (
    View("outcomes:options", common.PAGE, Permission.VIEW_OUTCOMES, common.page_choices, (CHOICES,),
         controls={"_store": Control(ids.OPTIONS, "data"), "family": Control(ids.FAMILY, "value")},
         reads_trial_data=False),
    trajectories.VIEW,
    *events.VIEWS,
    *effects.VIEWS,
)
