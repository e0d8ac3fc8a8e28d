"""The pack's protocol deviation log (SDTM DV, when the cut has one) and the safety swimmer plot (the Timelines
tab's figure). The log lists every record; the summary counts randomized subjects and occurrences per category,
pooled in the open pack and per arm as randomized (with the arm N) in the closed pack."""

from __future__ import annotations

import pandas as pd

from dashboard.analysis import deviations as dv_analysis
from dashboard.analysis.safety import GROUP
from dashboard.blinding import TrialData
from dashboard.pack.content import ALL_SUBJECTS, Display

CONDUCT, SAFETY = "Study conduct", "Safety"
NO_DV = "No deviation log (DV) in this cut: the deviations the data show are counted above."
LOG_HEADERS = {"USUBJID": "Subject", "ARM": "Arm", "DVSEQ": "Seq", "DVCAT": "Category", "DVTERM": "Term",
               "DVDECOD": "Decoded term", "DVSTDTC": "Start date"}
BASIS = "randomized"        # deviations are counted against the arm randomized to (as recruitment's displays)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _percent(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.1f}%)" if whole else str(part)


def _summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """Category rows; per group 'subjects (%)' and occurrences, the group's N in the header."""
    groups = list(dict.fromkeys(summary[GROUP]))
    table = pd.DataFrame({"Category": list(dict.fromkeys(summary["DVCAT"]))})
    for group in groups:
        part = summary[summary[GROUP] == group].set_index("DVCAT").reindex(table["Category"])
        head = f"{group} (N={int(part['N'].iloc[0])})"
        table[f"{head} · Subjects"] = [_percent(int(s), int(n)) for s, n in zip(part["SUBJECTS"], part["N"])]
        table[f"{head} · Occurrences"] = part["OCCURRENCES"].astype(int).to_list()
    return table


def deviation_log(data: TrialData) -> list[Display]:
    """The DV domain as a summary by category and a listing; a labelled note when the cut has no DV domain."""
    from dashboard.displays.recruitment import selection

    if not data.has_domain("DV"):
        return [Display(CONDUCT, "deviation_log", "Protocol deviation log (DV)", note=NO_DV)]
    dv = data.domain("DV")
    randomized = selection.randomized(data, ALL_SUBJECTS)[["USUBJID"]]
    summary = data.split(dv_analysis.deviation_summary, dv_analysis.deviation_summary_by_arm, dv, randomized,
                         basis=BASIS)
    log = dv_analysis.deviation_log(dv)
    others = log[~log["USUBJID"].isin(randomized["USUBJID"])]
    listed = data.split(lambda frame: frame, lambda frame, *, arm_of: _with_arm(frame, arm_of), log, basis=BASIS)
    listed = listed.assign(DVSEQ=listed["DVSEQ"].map(lambda v: "" if pd.isna(v) else f"{v:g}"))
    listing = listed[[c for c in LOG_HEADERS if c in listed]].rename(columns=LOG_HEADERS)
    note = ("Subjects (% of the group's randomized subjects) and occurrences (records) per category (DVCAT). "
            + (f"{_count(len(others), 'record')} of {_count(others['USUBJID'].nunique(), 'subject')} not "
               "randomized: in the log below, not counted here." if len(others) else "")
            + (" Arms as randomized." if data.access.sees_arms else ""))
    return [Display(CONDUCT, "deviation_log_by_category", "Protocol deviation log (DV): subjects and occurrences "
                    "by category", _summary_table(summary), note=note.strip()),
            Display(CONDUCT, "deviation_log", "Protocol deviation log (DV)", listing.astype(object).where(
                listing.notna(), ""))]


def _with_arm(frame: pd.DataFrame, arm_of: pd.Series) -> pd.DataFrame:
    from dashboard.analysis.arms import with_arm

    return with_arm(frame, arm_of, keep_unarmed=True)


def swimmer(data: TrialData) -> list[Display]:
    """The Timelines tab's swimmer plot of subjects with treatment-emergent events, as the tab first shows it."""
    from dashboard.displays.safety import timelines

    figure = timelines.swimmer(data, None)["swimmer"]
    return [Display(SAFETY, "swimmer", "Swimmer plot: subjects with treatment-emergent adverse events", figure=figure,
                    note=f"At most {timelines.MAX_SWIMMER_LANES} subjects (lanes), chosen as on the Timelines tab; the "
                         "figure says how many of how many.")]


