"""Small hand-made clinical frames for the Outcomes page unit tests (same columns as a loaded cut)."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from dashboard.config import EventSource, Outcome, Visit

VISITS = (Visit(1, "SCREENING", -1, 1), Visit(2, "DAY 1", 1, 0), Visit(3, "DAY 3", 3, 0),
          Visit(4, "DAY 5", 5, 0), Visit(5, "DAY 7", 7, 1))
SPO2 = Outcome("clinical", "VS", "OXYSAT", "SpO2", "%", True)
CRP = Outcome("laboratory", "LB", "CRP", "C-reactive protein", "mg/L", False)
INTUBATION = EventSource("intubation", "Intubation", "PR", "INTUBATION")
DEATH = EventSource("death", "Death", "DM", "DTHDTC")
DISCHARGE = EventSource("discharge", "Discharge from hospital", "HO", "HOSPITAL")


def _date(text: str | None) -> pd.Timestamp:
    return pd.Timestamp(text) if text and len(text) >= 10 else pd.NaT


def dm(subjects: Iterable[tuple[str, str | None]], *, deaths: dict[str, str] | None = None,
       not_randomized: Iterable[str] = ()) -> pd.DataFrame:
    """DM from (USUBJID, first dose date); `deaths` maps USUBJID -> DTHDTC (may be partial)."""
    deaths = deaths or {}
    skip = set(not_randomized)
    rows = []
    for usubjid, start in subjects:
        death = deaths.get(usubjid, "")
        rows.append({"USUBJID": usubjid, "RANDFL": "N" if usubjid in skip else "Y",
                     "RFSTDTC": start or "", "RFSTDT": _date(start), "RANDDTC": start or "",
                     "RANDDT": _date(start), "DTHDTC": death, "DTHDT": _date(death),
                     "DTHFL": "Y" if death else ""})
    frame = pd.DataFrame(rows)
    for column in ("RFSTDT", "RANDDT", "DTHDT"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def findings(domain: str, rows: Iterable[tuple[str, str, float, float, float | None, str]]) -> pd.DataFrame:
    """A findings domain from (USUBJID, TESTCD, VISITNUM, study day, value, baseline flag)."""
    records = [{"USUBJID": u, f"{domain}TESTCD": t, "VISITNUM": v, f"{domain}DY": d, f"{domain}STRESN": x,
                f"{domain}BLFL": b} for u, t, v, d, x, b in rows]
    frame = pd.DataFrame(records, columns=["USUBJID", f"{domain}TESTCD", "VISITNUM", f"{domain}DY",
                                           f"{domain}STRESN", f"{domain}BLFL"])
    for column in ("VISITNUM", f"{domain}DY", f"{domain}STRESN"):
        frame[column] = frame[column].astype("float64")
    return frame


def pr(rows: Iterable[tuple[str, str, str]]) -> pd.DataFrame:
    """PR from (USUBJID, PRDECOD, PRSTDTC)."""
    frame = pd.DataFrame([{"USUBJID": u, "PRDECOD": t, "PRTRT": t, "PRSTDTC": d, "PRSTDT": _date(d)}
                          for u, t, d in rows], columns=["USUBJID", "PRDECOD", "PRTRT", "PRSTDTC", "PRSTDT"])
    frame["PRSTDT"] = pd.to_datetime(frame["PRSTDT"])
    return frame


def ho(rows: Iterable[tuple[str, str, str, str]]) -> pd.DataFrame:
    """HO from (USUBJID, HODECOD, HOSTDTC, HOENDTC); an empty HOENDTC means still in hospital."""
    frame = pd.DataFrame([{"USUBJID": u, "HOTERM": t, "HODECOD": t, "HOSTDTC": s, "HOSTDT": _date(s),
                           "HOENDTC": e, "HOENDT": _date(e)} for u, t, s, e in rows],
                         columns=["USUBJID", "HOTERM", "HODECOD", "HOSTDTC", "HOSTDT", "HOENDTC", "HOENDT"])
    for column in ("HOSTDT", "HOENDT"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def ds(rows: Iterable[tuple[str, str, str]] = ()) -> pd.DataFrame:
    """DS from (USUBJID, DSDECOD, DSSTDTC)."""
    frame = pd.DataFrame([{"USUBJID": u, "DSDECOD": t, "DSSTDTC": d, "DSSTDT": _date(d)} for u, t, d in rows],
                         columns=["USUBJID", "DSDECOD", "DSSTDTC", "DSSTDT"])
    frame["DSSTDT"] = pd.to_datetime(frame["DSSTDT"])
    return frame


def arms(mapping: dict[str, str], order: tuple[str, ...] = ("Group A", "Group B")) -> pd.Series:
    """An `arm_of` series as ArmedTrialData holds it: categorical labels in display order."""
    series = pd.Series(pd.Categorical(list(mapping.values()), categories=order), index=list(mapping), name="ARM")
    series.index.name = "USUBJID"
    return series


def event_counts(counts: dict[str, tuple[int, int]]) -> tuple[pd.DataFrame, pd.Series]:
    """An event_times frame and arm_of from {arm: (events, subjects)}: events on day 3, the others censored at 28."""
    rows, arm_of = [], {}
    for arm, (events, n) in counts.items():
        for i in range(n):
            usubjid = f"{arm[-1]}{i:03d}"          # the last letter of the arm: the ids change_frame gives too
            rows.append({"USUBJID": usubjid, "EVENT": i < events, "DAY": 3.0 if i < events else 28.0,
                         "STATUS": int(i < events)})
            arm_of[usubjid] = arm
    return pd.DataFrame(rows), arms(arm_of, order=tuple(counts))
