"""Small hand-made clinical frames for the safety unit tests, shaped like a loaded cut's clinical domains."""

from __future__ import annotations

import pandas as pd

from dashboard.config import EventSource


def dt(values: list[str | None]) -> pd.Series:
    """The --DT column of --DTC values: complete dates (with or without time) parse, partial ones are NaT."""
    out = []
    for v in values:
        complete = isinstance(v, str) and len(v) >= 10
        out.append(pd.Timestamp(v) if complete else pd.NaT)
    return pd.Series(out, dtype="datetime64[ns]")


def dm(rows: list[tuple]) -> pd.DataFrame:
    """rows: (USUBJID, RANDFL, RFSTDTC, DTHDTC or None)."""
    frame = pd.DataFrame(rows, columns=["USUBJID", "RANDFL", "RFSTDTC", "DTHDTC"])
    frame["DTHFL"] = frame["DTHDTC"].map(lambda v: "Y" if isinstance(v, str) else None)
    frame["RFSTDT"] = dt(list(frame["RFSTDTC"]))
    frame["DTHDT"] = dt(list(frame["DTHDTC"]))
    frame["AGE"] = 50.0
    frame["SEX"] = "F"
    return frame


def ex(rows: list[tuple]) -> pd.DataFrame:
    """rows: (USUBJID, EXSTDTC)."""
    frame = pd.DataFrame(rows, columns=["USUBJID", "EXSTDTC"])
    frame["EXSEQ"] = frame.groupby("USUBJID").cumcount().astype(float) + 1
    frame["EXSTDT"] = dt(list(frame["EXSTDTC"]))
    frame["EXTRT"] = "Study infusion (blinded)"
    return frame


AE_DEFAULTS = {"AESEV": "MILD", "AESER": "N", "AEREL": "NOT RELATED", "AEACN": "DOSE NOT CHANGED",
               "AEOUT": "RECOVERED/RESOLVED", "AESDTH": "N", "AEENDTC": None, "AEBODSYS": "Infections",
               "AETOXGR": None}


def ae(rows: list[dict]) -> pd.DataFrame:
    """rows: dicts with USUBJID, AESEQ, AEDECOD, AESTDTC and any other AE column (defaults above)."""
    frame = pd.DataFrame([{**AE_DEFAULTS, **r} for r in rows])
    frame["AETERM"] = frame["AEDECOD"].str.lower()
    frame["AESEQ"] = frame["AESEQ"].astype(float)
    frame["AESTDT"] = dt(list(frame["AESTDTC"]))
    frame["AEENDT"] = dt(list(frame["AEENDTC"]))
    return frame


def lb(rows: list[tuple]) -> pd.DataFrame:
    """rows: (USUBJID, LBTESTCD, VISITNUM, value, low, high, baseline flag 'Y' or '', LBDTC)."""
    frame = pd.DataFrame(rows, columns=["USUBJID", "LBTESTCD", "VISITNUM", "LBSTRESN", "LBSTNRLO", "LBSTNRHI",
                                        "LBBLFL", "LBDTC"])
    frame["LBTEST"] = frame["LBTESTCD"]
    frame["LBSTRESU"] = "U/L"
    frame["VISITNUM"] = frame["VISITNUM"].astype(float)
    frame["VISIT"] = frame["VISITNUM"].map(lambda v: f"VISIT {v:g}")
    frame["LBDT"] = dt(list(frame["LBDTC"]))
    frame["LBDY"] = frame["VISITNUM"]
    frame["LBNRIND"] = None
    frame["LBBLFL"] = frame["LBBLFL"].replace("", None)
    return frame


def empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


EVENTS = (EventSource("intubation", "Intubation", "PR", "INTUBATION"),
          EventSource("death", "Death", "DM", "DTHDTC"),
          EventSource("discharge", "Discharge from hospital", "HO", "HOSPITAL"))


def small_trial() -> dict[str, pd.DataFrame]:
    """Four randomized subjects (S4 never dosed) and one screen failure; a handful of events and labs."""
    dm_frame = dm([("S1", "Y", "2021-05-01", None), ("S2", "Y", "2021-05-02", "2021-05-20"),
                   ("S3", "Y", "2021-05-03", None), ("S4", "Y", None, None), ("F1", "N", None, None)])
    ex_frame = ex([("S1", "2021-05-01T10:00"), ("S1", "2021-05-02T10:00"), ("S2", "2021-05-02"),
                   ("S3", "2021-05-03T09:00")])
    ae_frame = ae([
        {"USUBJID": "S1", "AESEQ": 1, "AEDECOD": "Headache", "AEBODSYS": "Nervous system", "AESTDTC": "2021-05-01T12:00",
         "AEENDTC": "2021-05-02"},
        {"USUBJID": "S1", "AESEQ": 2, "AEDECOD": "Dizziness", "AEBODSYS": "Nervous system", "AESTDTC": "2021-05-10",
         "AESEV": "MODERATE", "AEREL": "POSSIBLY RELATED"},
        {"USUBJID": "S2", "AESEQ": 1, "AEDECOD": "Pneumonia", "AESTDTC": "2021-05-10", "AESEV": "SEVERE",
         "AESER": "Y", "AEOUT": "FATAL", "AESDTH": "Y", "AEENDTC": "2021-05-20"},
        {"USUBJID": "S2", "AESEQ": 2, "AEDECOD": "Headache", "AEBODSYS": "Nervous system", "AESTDTC": "2021-04-20",
         "AEENDTC": "2021-04-25"},
        {"USUBJID": "S3", "AESEQ": 1, "AEDECOD": "Rash", "AEBODSYS": "Skin", "AESTDTC": "2021-05",
         "AEACN": "DRUG WITHDRAWN"},
        {"USUBJID": "S4", "AESEQ": 1, "AEDECOD": "Rash", "AEBODSYS": "Skin", "AESTDTC": "2021-05-05"},
    ])
    pr = pd.DataFrame({"USUBJID": ["S2"], "PRTRT": ["Intubation"], "PRDECOD": ["INTUBATION"],
                       "PRSTDTC": ["2021-05-12"], "PRSTDT": dt(["2021-05-12"])})
    ho = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"], "HODECOD": ["HOSPITAL"] * 3, "HOTERM": ["Hospital"] * 3,
                       "HOENDTC": ["2021-05-15", None, "2021-05-12"], "HOENDT": dt(["2021-05-15", None, "2021-05-12"])})
    ds = pd.DataFrame({"USUBJID": ["S2"], "DSDECOD": ["DEATH"], "DSSTDTC": ["2021-05-20"],
                       "DSSTDT": dt(["2021-05-20"])})
    vs = pd.DataFrame({"USUBJID": ["S1", "S1"], "VSTESTCD": ["OXYSAT", "OXYSAT"], "VSSTRESN": [88.0, 95.0],
                       "VSDTC": ["2021-05-01", "2021-05-05"], "VSDT": dt(["2021-05-01", "2021-05-05"])})
    return {"DM": dm_frame, "EX": ex_frame, "AE": ae_frame, "PR": pr, "HO": ho, "DS": ds, "VS": vs}
