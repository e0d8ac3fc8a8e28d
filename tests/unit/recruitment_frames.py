"""A small hand-made trial for the recruitment unit tests: 8 screened, 4 randomized, cut 2021-05-31.

| subject | site | screened | outcome                                                                |
|---------|------|----------|------------------------------------------------------------------------|
| S01     | 01   | 04-19    | randomized 04-20, day 1 04-20, 5 infusions, completed 05-18, age 50 F  |
| S02     | 01   | 04-20    | screen failure: IN03 (age 80)                                          |
| S03     | 01   | 04-22    | randomized 04-23, day 1 04-23, 3 infusions, died 04-30, age 76 M       |
| S04     | 02   | 05-03    | randomized 05-04, day 1 05-04, 5 infusions, withdrew 05-10, age 40 F   |
| S05     | 02   | 05-10    | screen failure: IN02 and ZZ99 (a code not in the protocol list)        |
| S06     | 02   | 05-12    | consented, eligible, not randomized                                    |
| S07     | 01   | 05-26    | randomized 05-27, day 1 05-28, 2 infusions so far (one missed), age 30 |
| S08     | 01   | 05-02    | screen failure, no IE record                                           |
Arms: S01 and S04 "Group A", S03 and S07 "Group B".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CUT = "2021-05-31"
ARM_LABELS = ("Group A", "Group B")


def _dates(values: list[str | None]) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype="object"))


def _text(values: list[str | None]) -> list[str]:
    return ["" if v is None else v for v in values]


def dm() -> pd.DataFrame:
    ids = ["S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08"]
    screen = ["2021-04-19", "2021-04-20", "2021-04-22", "2021-05-03", "2021-05-10", "2021-05-12", "2021-05-26",
              "2021-05-02"]
    rand = ["2021-04-20", None, "2021-04-23", "2021-05-04", None, None, "2021-05-27", None]
    first_dose = ["2021-04-20", None, "2021-04-23", "2021-05-04", None, None, "2021-05-28", None]
    death = [None, None, "2021-04-30", None, None, None, None, None]
    return pd.DataFrame({
        "USUBJID": ids, "SITEID": ["01", "01", "01", "02", "02", "02", "01", "01"],
        "DMDTC": screen, "DMDT": _dates(screen), "RFICDTC": screen, "RFICDT": _dates(screen),
        "RFSTDTC": _text(first_dose), "RFSTDT": _dates(first_dose),
        "RANDDTC": _text(rand), "RANDDT": _dates(rand),
        "RANDFL": ["Y", "N", "Y", "Y", "N", "N", "Y", "N"],
        "SCRNFFL": ["N", "Y", "N", "N", "Y", "N", "N", "Y"],
        "DTHDTC": _text(death), "DTHDT": _dates(death), "DTHFL": ["", "", "Y", "", "", "", "", ""],
        "AGE": [50.0, 80.0, 76.0, 40.0, 45.0, 60.0, 30.0, 33.0],
        "SEX": ["F", "M", "M", "F", "M", "F", "M", "F"],
    })


def ds() -> pd.DataFrame:
    rows = [("S01", "RANDOMIZED", "2021-04-20"), ("S01", "COMPLETED", "2021-05-18"),
            ("S02", "SCREEN FAILURE", "2021-04-20"), ("S03", "RANDOMIZED", "2021-04-23"),
            ("S03", "DEATH", "2021-04-30"), ("S04", "RANDOMIZED", "2021-05-04"),
            ("S04", "WITHDRAWAL BY SUBJECT", "2021-05-10"), ("S05", "SCREEN FAILURE", "2021-05-10"),
            ("S07", "RANDOMIZED", "2021-05-27"), ("S08", "SCREEN FAILURE", "2021-05-02")]
    frame = pd.DataFrame(rows, columns=["USUBJID", "DSDECOD", "DSSTDTC"])
    frame["DSSEQ"] = frame.groupby("USUBJID").cumcount().astype(float) + 1
    frame["DSSTDT"] = pd.to_datetime(frame["DSSTDTC"])
    return frame


def ex() -> pd.DataFrame:
    given = {"S01": ("2021-04-20", [1, 2, 3, 4, 5]), "S03": ("2021-04-23", [1, 2, 3]),
             "S04": ("2021-05-04", [1, 2, 3, 4, 5]), "S07": ("2021-05-28", [1, 2])}
    rows = []
    for subject, (day1, days) in given.items():
        for seq, day in enumerate(days, start=1):
            date = pd.Timestamp(day1) + pd.Timedelta(days=day - 1)
            rows.append((subject, float(seq), date.date().isoformat(), date, float(day)))
    return pd.DataFrame(rows, columns=["USUBJID", "EXSEQ", "EXSTDTC", "EXSTDT", "EXSTDY"])


def ie() -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": ["S02", "S05", "S05"], "IETESTCD": ["IN03", "IN02", "ZZ99"],
                         "IETEST": ["Age 25 to 75 years", "Severe COVID pneumonia", "Mystery criterion"],
                         "IECAT": ["INCLUSION", "INCLUSION", "EXCLUSION"], "IEORRES": ["N", "N", "Y"]})


def vs() -> pd.DataFrame:
    """SpO2 at visits: S01 all 7, S03 visits 1-3, S04 visits 1-4, S07 visits 1-2; baseline SpO2 and RR at visit 1.

    S07 has no baseline flag: its baseline SpO2 is the last value on or before day 1 (93 at day 1)."""
    visits = {"S01": [1, 2, 3, 4, 5, 6, 7], "S03": [1, 2, 3], "S04": [1, 2, 3, 4], "S07": [1, 2]}
    day_of = {1: -1, 2: 1, 3: 3, 4: 5, 5: 7, 6: 14, 7: 28}
    baseline_spo2 = {"S01": 88.0, "S03": 92.0, "S04": 85.0, "S07": 89.0}
    rows = []
    for subject, nums in visits.items():
        for num in nums:
            value = baseline_spo2[subject] if num == 1 else 93.0
            flag = "Y" if num == 1 and subject != "S07" else ""
            rows.append((subject, "OXYSAT", value, float(num), float(day_of[num]), flag))
    rows += [("S01", "RESP", 32.0, 1.0, -1.0, "Y"), ("S03", "RESP", 30.0, 1.0, -1.0, "Y"),
             ("S07", "RESP", 35.0, 1.0, -1.0, ""), ("S07", "RESP", 20.0, 3.0, 3.0, "")]
    frame = pd.DataFrame(rows, columns=["USUBJID", "VSTESTCD", "VSSTRESN", "VISITNUM", "VSDY", "VSBLFL"])
    frame["VSORRES"] = frame["VSSTRESN"].map(lambda v: f"{v:g}")
    frame["VSDT"] = pd.NaT
    return frame


def lb() -> pd.DataFrame:
    rows = [("S01", "CRP", 40.0, 1.0, -1.0, "Y"), ("S03", "CRP", 60.0, 1.0, -1.0, "Y"),
            ("S04", "CRP", np.nan, 1.0, -1.0, "Y"), ("S07", "CRP", 20.0, 1.0, -1.0, "Y"),
            ("S01", "CRP", 10.0, 7.0, 28.0, "")]
    frame = pd.DataFrame(rows, columns=["USUBJID", "LBTESTCD", "LBSTRESN", "VISITNUM", "LBDY", "LBBLFL"])
    frame["LBORRES"] = frame["LBSTRESN"].map(lambda v: "" if pd.isna(v) else f"{v:g}")
    return frame


def arm_of() -> pd.Series:
    series = pd.Series(pd.Categorical(["Group A", "Group B", "Group A", "Group B"], categories=list(ARM_LABELS)),
                       index=pd.Index(["S01", "S03", "S04", "S07"], name="USUBJID"), name="ARM")
    return series


def domains() -> dict[str, pd.DataFrame]:
    return {"DM": dm(), "DS": ds(), "EX": ex(), "IE": ie(), "VS": vs(), "LB": lb()}
