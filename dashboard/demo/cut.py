"""A data cut of a full trajectory: only what had happened, and was known, by the cut date."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from dashboard.demo.adverse_events import NOT_RECOVERED, RECOVERED
from dashboard.demo.frames import fmt_dates, fmt_times
from dashboard.demo.timeline import Cohort, study_date, study_day

# Columns blanked while the internal `_end` date is after the cut.
END_COLUMNS = {"pr": ("PRENDTC", "PRENDY"), "ho": ("HOENDTC", "HOENDY"), "se": ("SEENDTC",)}
NOT_RANDOMIZED_LABELS = {"SCRNFAIL": "Screen Failure", "NOTASSGN": "Not Assigned", "NOTTRT": "Not Treated"}


def cut_end(cut_date: dt.date) -> np.datetime64:
    """The first instant after the cut date (records strictly before it are in the cut)."""
    return np.datetime64(cut_date, "D").astype("datetime64[m]") + np.timedelta64(1, "D")


def cut_domains(cohort: Cohort, full: dict[str, pd.DataFrame], cut_date: dt.date) -> dict[str, pd.DataFrame]:
    """Every domain as exported at `cut_date`: DM first, internal columns removed."""
    end = cut_end(cut_date)
    out: dict[str, pd.DataFrame] = {}
    for name, frame in full.items():
        frame = frame[(frame["_t"] < end).to_numpy()].copy()
        if name == "ae":
            frame = _ae_at_cut(frame, end)
        for column in END_COLUMNS.get(name, ()):
            frame.loc[~(frame["_end"] < end).to_numpy(), column] = np.nan if column.endswith("DY") else ""
        out[name] = frame
    dm = _dm_at_cut(cohort, end, out["ex"])
    public = {"dm": dm} | out
    return {name: f[[col for col in f.columns if not col.startswith("_")]].reset_index(drop=True)
            for name, f in public.items()}


def _ae_at_cut(ae: pd.DataFrame, end: np.datetime64) -> pd.DataFrame:
    """End dates, outcomes and upgraded severity / seriousness only once known."""
    ended = (ae["_end"] < end).to_numpy()
    updated = (ae["_upd"] < end).to_numpy()
    closed = (ae["_last"] < end).to_numpy()
    fatal = ae["_fatal"].to_numpy(bool)
    end_month = ae["_end_month"].to_numpy(bool)
    end_time = ae["_end"].to_numpy("datetime64[m]")
    ae["AESEV"] = np.where(updated, ae["AESEV"].to_numpy(object), ae["_sev0"].to_numpy(object))
    ae["AESER"] = np.where(updated, ae["AESER"].to_numpy(object), ae["_ser0"].to_numpy(object))
    ae["AEOUT"] = np.where(ended, np.where(fatal, "FATAL", RECOVERED),
                           np.where(closed, ae["_open"].to_numpy(object), NOT_RECOVERED))
    ae["AESDTH"] = np.where(ended & fatal, "Y", "N")
    ae["AEENDTC"] = np.where(ended, fmt_times(end_time, False, end_month), "")
    ae["AEENDY"] = np.where(ended & ~end_month, study_day(end_time, ae["_day1"].to_numpy("datetime64[D]")), np.nan)
    return ae


def _dm_at_cut(c: Cohort, end: np.datetime64, ex: pd.DataFrame) -> pd.DataFrame:
    """DM: arm assignment, treatment dates and death only as far as they had happened."""
    end_day = end.astype("datetime64[D]")
    seen = c.screen < end_day
    randomized = c.randomized & (c.rand_date < end_day)
    failed = (c.status == "SF") & (c.sf_date < end_day)
    dosed = randomized & (c.day1 < end_day)
    armcd = np.select([randomized, failed], [c.armcd, "SCRNFAIL"], "NOTASSGN").astype(object)
    actarmcd = np.select([dosed, randomized, failed], [c.actarmcd, "NOTTRT", "SCRNFAIL"], "NOTASSGN").astype(object)
    labels = {a.code: a.label for a in c.config.arms} | NOT_RANDOMIZED_LABELS
    last_dose = ex.groupby("USUBJID")["_t"].max()
    rfend = pd.Series(c.usubjid).map(last_dose).to_numpy("datetime64[D]")
    death = study_date(c.day1, c.death_day)
    died = death < end_day
    n = c.usubjid.size
    frame = pd.DataFrame({
        "STUDYID": np.full(n, c.config.study_id, dtype=object), "DOMAIN": np.full(n, "DM", dtype=object),
        "USUBJID": c.usubjid, "SUBJID": c.subjid,
        "RFSTDTC": np.where(dosed, fmt_dates(c.day1), ""), "RFENDTC": fmt_dates(rfend),
        "RFICDTC": fmt_dates(c.screen), "DTHDTC": np.where(died, fmt_dates(death), ""),
        "DTHFL": np.where(died, "Y", ""), "SITEID": c.siteid, "AGE": c.age.astype(float),
        "AGEU": np.full(n, "YEARS", dtype=object), "SEX": c.sex, "RACE": c.race,
        "ETHNIC": np.full(n, "NOT HISPANIC OR LATINO", dtype=object),
        "ARMCD": armcd, "ARM": np.array([labels[a] for a in armcd], dtype=object),
        "ACTARMCD": actarmcd, "ACTARM": np.array([labels[a] for a in actarmcd], dtype=object),
        "COUNTRY": np.full(n, "IRN", dtype=object), "DMDTC": fmt_dates(c.screen),
    })
    return frame[seen].reset_index(drop=True)
