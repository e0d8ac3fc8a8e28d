"""Checks on an ADaM dataset before it is translated: every problem is collected, none stops the others."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.ingest.findings import ROW_FINDINGS_LIMIT, Findings, Severity

# Variables without which a dataset cannot be translated (ADaMIG 1.3 / OCCDS 1.1 Req, as far as the app reads).
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "ADSL": (("STUDYID",), ("USUBJID",), ("SITEID",), ("ARMCD", "TRT01P")),
    "ADAE": (("USUBJID",), ("AEDECOD",), ("ASEQ", "AESEQ")),
    "BDS": (("USUBJID",), ("PARAMCD",), ("AVAL",), ("ASEQ",)),
    "ADTTE": (("USUBJID",), ("PARAMCD",), ("AVAL",), ("CNSR",)),
    "ADEX": (("USUBJID",),),
    "ADCM": (("USUBJID",), ("CMTRT", "CMDECOD"), ("ASEQ", "CMSEQ")),
}
FLAGS = ("SAFFL", "ITTFL", "RANDFL", "EFFFL", "TRTEMFL", "ABLFL", "ANL01FL", "ONTRTFL", "AOCCIFL", "DTHFL")
NUMBERS = ("AVAL", "BASE", "CHG", "PCHG", "AVISITN", "CNSR", "ASEQ", "AGE", "ANRLO", "ANRHI")


def kind_of(stem: str) -> str:
    return "BDS" if stem in ("ADLB", "ADLBC", "ADLBH", "ADVS") else stem


def _subjects(frame: pd.DataFrame, rows: np.ndarray) -> list[str | None] | None:
    if "USUBJID" not in frame:
        return None
    return [None if pd.isna(v) else str(v) for v in frame["USUBJID"].iloc[rows[:ROW_FINDINGS_LIMIT]]]


def check_required(stem: str, frame: pd.DataFrame, file: str, findings: Findings) -> bool:
    """Every required variable present (any one of the alternatives); an error per missing one."""
    ok = True
    for alternatives in REQUIRED.get(kind_of(stem), ()):
        if not any(name in frame for name in alternatives):
            findings.error(file, f"required ADaM variable {' or '.join(alternatives)} is missing",
                           column=alternatives[0], kind="missing column")
            ok = False
    return ok


def check_flags(frame: pd.DataFrame, file: str, findings: Findings) -> None:
    """ADaM flags are Y, N or blank; anything else is an error naming the rows (flags never carry allocation)."""
    for flag in FLAGS:
        if flag not in frame:
            continue
        values = frame[flag].astype("str").str.strip().str.upper()
        bad = np.flatnonzero((values.notna() & ~values.isin(["Y", "N", ""])).to_numpy())
        if len(bad):
            findings.rows(Severity.ERROR, file, bad,
                          [f"flag value {frame[flag].iloc[i]!r} is not Y, N or blank"
                           for i in bad[:ROW_FINDINGS_LIMIT]],
                          usubjid=_subjects(frame, bad), column=flag, kind="bad flag")


def check_numbers(stem: str, frame: pd.DataFrame, file: str, findings: Findings) -> None:
    """Numeric analysis variables hold numbers (a CSV delivers text); CNSR is 0 or 1. Errors name the rows."""
    for name in NUMBERS:
        if name not in frame or frame[name].dtype.kind == "f" and name != "CNSR":
            continue
        values = frame[name]
        numbers = pd.to_numeric(values, errors="coerce")
        bad = values.notna() & numbers.isna()
        if name == "CNSR" and kind_of(stem) == "ADTTE":
            bad |= numbers.notna() & ~numbers.isin([0, 1])
            bad |= values.isna()
        rows = np.flatnonzero(bad.to_numpy())
        if len(rows):
            what = "0 or 1" if name == "CNSR" else "a number"
            findings.rows(Severity.ERROR, file, rows,
                          [f"value {values.iloc[i]!r} is not {what}" for i in rows[:ROW_FINDINGS_LIMIT]],
                          usubjid=_subjects(frame, rows), column=name, kind="bad number")


NOT_RANDOMIZED = ("", "SCRNFAIL", "NOTASSGN", "SCREEN FAILURE", "NOT ASSIGNED")


def check_randomized_flag(adsl: pd.DataFrame, file: str, findings: Findings) -> None:
    """ADSL RANDFL / ITTFL against the arm code: the loader counts a subject as randomized by the arm code (as for
    SDTM), so a flag that says otherwise is a warning naming the rows (never the arm)."""
    arm = pick_first(adsl, "ARMCD", "TRT01P")
    if arm is None:
        return
    has_arm = ~arm.fillna("").astype("str").str.split().str.join(" ").str.upper().isin(NOT_RANDOMIZED)
    for flag in ("RANDFL", "ITTFL"):
        if flag not in adsl:
            continue
        value = adsl[flag].fillna("").astype("str").str.strip().str.upper()
        rows = np.flatnonzero(((value == "N") & has_arm | (value == "Y") & ~has_arm).to_numpy())
        if len(rows):
            findings.rows(Severity.WARNING, file, rows, f"{flag} disagrees with the arm code (value withheld: "
                          "allocation); the subject is counted as randomized by the arm code",
                          usubjid=_subjects(adsl, rows), column=flag, kind="population flag disagrees")


def pick_first(frame: pd.DataFrame, *names: str) -> pd.Series | None:
    return next((frame[name] for name in names if name in frame), None)


def check_adam(stem: str, frame: pd.DataFrame, file: str, findings: Findings) -> bool:
    """All ADaM checks of one dataset; False when it cannot be translated (a required variable is missing).

    A bad flag or number is an error that refuses the export but does not stop the translation, so the checks
    after it (subjects against ADSL, keys, dates) still run and every problem is reported at once.
    """
    if not check_required(stem, frame, file, findings):
        return False
    check_flags(frame, file, findings)
    check_numbers(stem, frame, file, findings)
    if stem == "ADSL":
        check_randomized_flag(frame, file, findings)
    return True
