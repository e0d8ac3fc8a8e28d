"""What every page's displays share: the figure stamp, the arm-basis wording, and audited CSV downloads."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import dcc
from flask_login import current_user

from dashboard import audit
from dashboard.blinding import TrialData
from dashboard.exports import stamped_csv
from dashboard.figures.common import stamp_text

NO_CUT = "No data cut has been loaded yet."
ARM_BASIS_TEXT = {"planned": "arms as randomized (planned arm)", "actual": "arms as treated (actual arm)"}


def stamp(data: TrialData) -> str:
    """The cut date and OPEN / CLOSED line for figures of this trial data."""
    return stamp_text(data.cut.cut_date, data.access.sees_arms)


def arm_basis_text(basis: str) -> str:
    """How subjects are assigned to arms in a by-arm display, said the same way on every page."""
    return ARM_BASIS_TEXT.get(basis, ARM_BASIS_TEXT["planned"])


def efficacy_stamp(data: TrialData) -> str:
    """The figure stamp, plus the arm basis when the display is by arm."""
    if data.access.sees_arms:
        return f"{stamp(data)} · {arm_basis_text(data.config.efficacy_arm_basis)}"
    return stamp(data)


def send_csv(frame: pd.DataFrame, data: TrialData, *, title: str, filename: str) -> dict[str, Any]:
    """A dcc.Download payload: stamped, formula-safe CSV; the export is recorded in the audit trail."""
    text = stamped_csv(frame, study_id=data.config.study_id, cut_date=data.cut.cut_date,
                       sees_arms=data.access.sees_arms, title=title)
    audit.record("export", username=current_user.username, cut_id=data.cut.cut_id,
                 detail={"file": filename, "rows": int(len(frame)), "access": data.access.value})
    stem = f"{data.config.study_id}_{data.cut.cut_date}_{'CLOSED' if data.access.sees_arms else 'OPEN'}_{filename}"
    return dcc.send_string(text, filename=f"{stem}.csv")
