"""Time to the first serious adverse event: the Safety page's input to the survival toolkit (`analysis.survival`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.analysis.safety import study_days
from dashboard.analysis.survival import times_frame


def time_to_first_serious(events: pd.DataFrame, population: pd.DataFrame, obs_end: pd.Series) -> pd.DataFrame:
    """Per safety subject: TIME (study day of the first serious TEAE, or of the end of observation), STATUS
    (1 event, 0 censored; the survival toolkit's times frame) and EVENT (the same as 0/1).

    Time is in study days, as on the Outcomes page: an event on the day of the first infusion is at day 1, and
    every curve starts from 100 % at day 0.
    """
    serious = events[events["SERIOUS"] & events["TEAE"]]
    first = serious.groupby("USUBJID")["ADY"].min()
    ids = population["USUBJID"]
    censor = study_days(pd.Series(obs_end.reindex(ids).to_numpy(), index=ids.index), ids, population).to_numpy(float)
    event_day = first.reindex(ids).to_numpy(dtype=float)
    # an event after the subject's end of observation (withdrawal, end of follow-up, cut) is not counted
    has_event = ~np.isnan(event_day) & ~(event_day > censor)
    time = np.where(has_event, event_day, censor)
    frame = times_frame(ids.to_numpy(), np.clip(np.nan_to_num(time, nan=0.0), 0, None), has_event.astype(int))
    return frame.assign(EVENT=has_event.astype(int))
