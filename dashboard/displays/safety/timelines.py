"""Safety 'Timelines' tab: the swimmer plot of subjects with treatment-emergent (or serious) events."""

from __future__ import annotations

from typing import Any

from dashboard.analysis import ae_timelines
from dashboard.blinding import TrialData
from dashboard.displays.model import Control, Display, Out, View
from dashboard.displays.safety import frames as fr
from dashboard.figures import safety_timelines as fig_tl
from dashboard.memo import memoized
from dashboard.permissions import Permission
from layouts import safety as ids

MAX_SWIMMER_LANES = 60


def swimmer_figure(data: TrialData, serious: bool) -> Any:
    """Lanes of the first subjects by id (an equal share of each arm, by arm), doses, events and vital signs."""
    f = fr.frames(data)
    subjects, total = data.split(ae_timelines.swimmer_subjects, ae_timelines.swimmer_subjects_by_arm, f.events,
                                 MAX_SWIMMER_LANES, serious_only=serious, basis="safety")
    lanes = ae_timelines.swimmer_data(subjects, f.events, f.population, f.doses, f.clinical, f.obs_end)
    return fig_tl.swimmer_figure(lanes, fr.stamp(data), shown=len(subjects), total=total,
                                 lane_arm=fr.safety_arms(data), discrete=data.config.discrete_doses)


def swimmer(data: TrialData, choice: Any = None) -> dict[str, Any]:
    serious = choice == "serious"
    return {"swimmer": memoized(data, "safety:swimmer", lambda: swimmer_figure(data, serious), serious)}


SWIMMER = Display(
    "safety.swimmer", "Swimmer plot", "figure", ("DM", "EX", "AE", "DS", "VS"), {"swimmer": Out(ids.SWIMMER_GRAPH, "figure")},
    analysis=(ae_timelines.swimmer_subjects, ae_timelines.swimmer_subjects_by_arm, ae_timelines.swimmer_data),
    builder=fig_tl.swimmer_figure, fields=("AE.AESTDTC", "AE.AEENDTC", "AE.AESEV", "EX.EXSTDTC"), tab="timelines")

VIEWS = (View("safety:timelines", fr.PAGE, Permission.VIEW_SAFETY, swimmer, (SWIMMER,),
              controls={"choice": Control(ids.SWIMMER_FILTER, "value")}, tabs=ids.TABS),)
