"""Translate validated ADaM frames into the SDTM-shaped domains the analyses read (see docs/adam.md).

Only the columns named here reach the translated table, plus every column `schema.is_sealed_name` recognizes
(ARM, TRT01P, TRTA, ...), which the seal step then moves to the sealed part. Every other ADaM column (the
repeated ADSL variables, strata, dose variables that differ by arm such as DOSEA) is left behind, so nothing
about allocation reaches the clinical part by a name the seal step does not know.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard.config_adam import ANALYSIS_FLAG, POPULATION_FLAG
from dashboard.ingest.findings import Findings
from dashboard.ingest.readers import TEXT
from dashboard.ingest.schema import is_sealed_name

# Offsets that keep --SEQ unique when a lab domain comes in parts (ADLBC, ADLBH each number ASEQ from 1).
SEQ_OFFSETS = {"ADLB": 0, "ADLBC": 1_000_000, "ADLBH": 2_000_000}
_UNIT_IN_PARAM = re.compile(r"\(([^()]+)\)\s*$")
EXPOSURE_FROM_DATES = "exposure from treatment dates"      # the kind of the fallback's warning (exposure.py)


def pick(frame: pd.DataFrame, *names: str) -> pd.Series | None:
    """The first of `names` the frame has, filled row by row from the next ones; None when it has none of them
    (the translated column is then left out, so a missing variable is reported as missing, not as empty)."""
    present = [name for name in names if name in frame]
    if not present:
        return None
    out = pd.Series(None, index=frame.index, dtype="object")
    for name in present:
        out = out.where(out.notna(), frame[name])
    return out


def _fill(first: pd.Series | None, second: pd.Series | None) -> pd.Series | None:
    """`first` with its gaps filled from `second` (either may be absent)."""
    if first is None or second is None:
        return second if first is None else first
    return first.where(first.notna(), second)


def _present(columns: dict[str, pd.Series | None]) -> dict[str, pd.Series]:
    return {name: values for name, values in columns.items() if values is not None}


def const(frame: pd.DataFrame, value: str) -> pd.Series:
    return pd.Series(value, index=frame.index, dtype="str")


def text(values: pd.Series | None) -> pd.Series | None:
    """Values as text; numbers written without a trailing '.0'; missing stays missing."""
    if values is None:
        return None

    def one(value: object) -> str | None:
        if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)
    return values.map(one).astype("str")


def number(values: pd.Series | None) -> pd.Series | None:
    return None if values is None else pd.to_numeric(values, errors="coerce").astype("float64")


def analysis_flags(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """The analysis record flags (ANL01FL, ANL02FL...) as delivered: a configuration may name any of them."""
    return {name: text(frame[name]) for name in frame.columns if ANALYSIS_FLAG.match(name)}


def _extras(frame: pd.DataFrame, taken: set[str]) -> dict[str, pd.Series]:
    """The columns the seal step will move to the sealed part (kept as delivered)."""
    return {name: frame[name] for name in frame.columns if name not in taken and is_sealed_name(name)}


def adsl_to_dm(adsl: pd.DataFrame) -> pd.DataFrame:
    """ADSL -> DM: identity, demography, reference dates, arms (sealed later) and the ADaM population flags."""
    columns = {
        "STUDYID": text(pick(adsl, "STUDYID")), "DOMAIN": const(adsl, "DM"),
        "USUBJID": text(pick(adsl, "USUBJID")), "SUBJID": text(pick(adsl, "SUBJID")),
        "SITEID": text(pick(adsl, "SITEID")), "COUNTRY": text(pick(adsl, "COUNTRY")),
        "AGE": number(pick(adsl, "AGE")), "AGEU": text(pick(adsl, "AGEU")), "SEX": text(pick(adsl, "SEX")),
        "RACE": text(pick(adsl, "RACE")), "ETHNIC": text(pick(adsl, "ETHNIC")),
        "RFSTDTC": text(pick(adsl, "TRTSDT", "TRTSDTM", "TRT01SDT", "RFSTDTC")),
        "RFENDTC": text(pick(adsl, "TRTEDT", "TRTEDTM", "TRT01EDT", "RFENDTC")),
        "RFXSTDTC": text(pick(adsl, "TRTSDT", "TRTSDTM", "TRT01SDT", "RFXSTDTC")),
        "RFXENDTC": text(pick(adsl, "TRTEDT", "TRTEDTM", "TRT01EDT", "RFXENDTC")),
        "RANDDTC": text(pick(adsl, "RANDDT")), "RFICDTC": text(pick(adsl, "RFICDT", "RFICDTC")),
        "DTHFL": text(pick(adsl, "DTHFL")), "DTHDTC": text(pick(adsl, "DTHDT", "DTHDTC")),
        "ARMCD": text(pick(adsl, "ARMCD", "TRT01P")), "ARM": text(pick(adsl, "ARM", "TRT01P")),
        "ACTARMCD": text(pick(adsl, "ACTARMCD", "TRT01A")), "ACTARM": text(pick(adsl, "ACTARM", "TRT01A")),
    }
    # the population flags a configuration may name ([adam] efficacy_flag); RANDFL is the seal step's (arm code)
    flags = [name for name in adsl.columns if POPULATION_FLAG.match(name) and name != "RANDFL"]
    for flag in (*flags, "EOSSTT", "DCSREAS"):
        if flag in adsl:
            columns[flag] = text(adsl[flag])
    if "EOSDT" in adsl:
        columns["EOSDTC"] = text(adsl["EOSDT"])
    return pd.DataFrame({**_present(columns), **_extras(adsl, set(columns))}, index=adsl.index)


def _seq(frame: pd.DataFrame, own: str, offset: int = 0) -> pd.Series:
    """ASEQ (the analysis record number), else the SDTM --SEQ the dataset carries."""
    seq = number(pick(frame, "ASEQ", own))
    return None if seq is None else seq + offset


def adae_to_ae(adae: pd.DataFrame) -> pd.DataFrame:
    """ADAE -> AE: coded terms, seriousness, severity, causality, action, outcome, analysis dates, TRTEMFL."""
    columns = {
        "STUDYID": text(pick(adae, "STUDYID")), "DOMAIN": const(adae, "AE"),
        "USUBJID": text(pick(adae, "USUBJID")), "AESEQ": _seq(adae, "AESEQ"),
        "AETERM": text(pick(adae, "AETERM", "AEDECOD")), "AEDECOD": text(pick(adae, "AEDECOD")),
        "AEBODSYS": text(pick(adae, "AEBODSYS", "AESOC")), "AESEV": text(pick(adae, "AESEV", "ASEV")),
        "AESER": text(pick(adae, "AESER")), "AEREL": text(pick(adae, "AEREL", "AREL")),
        "AEACN": text(pick(adae, "AEACN")), "AEOUT": text(pick(adae, "AEOUT")),
        "AESDTH": text(pick(adae, "AESDTH")), "AETOXGR": text(pick(adae, "AETOXGR", "ATOXGR")),
        "AESTDTC": text(pick(adae, "ASTDT", "ASTDTM", "AESTDTC")),
        "AEENDTC": text(pick(adae, "AENDT", "AENDTM", "AEENDTC")),
        # ADaM's analysis study days (ASTDY/AENDY: no day 0, day 1 = TRTSDT, which is DM RFSTDTC here)
        "AESTDY": number(pick(adae, "ASTDY", "AESTDY")), "AEENDY": number(pick(adae, "AENDY", "AEENDY")),
    }
    for flag in ("TRTEMFL", "AOCCIFL"):
        if flag in adae:
            columns[flag] = text(adae[flag])
    columns.update(analysis_flags(adae))
    return pd.DataFrame({**_present(columns), **_extras(adae, set(columns))}, index=adae.index)


def unit_of(frame: pd.DataFrame) -> pd.Series:
    """AVALU, else the unit PARAM ends with in parentheses ('Alanine Aminotransferase (U/L)' -> 'U/L')."""
    param = pick(frame, "PARAM")
    from_param = None if param is None else param.map(
        lambda p: (m.group(1).strip() if (m := _UNIT_IN_PARAM.search(p)) else None) if isinstance(p, str) else None)
    return text(_fill(pick(frame, "AVALU"), from_param))


def test_name(frame: pd.DataFrame) -> pd.Series | None:
    """PARAM without the unit it ends with ('Alanine Aminotransferase (U/L)' -> 'Alanine Aminotransferase'): the
    pages add the unit (--STRESU) to the name themselves."""
    param = text(pick(frame, "PARAM"))
    return None if param is None else param.str.replace(_UNIT_IN_PARAM, "", regex=True).str.strip()


def bds_to_findings(bds: pd.DataFrame, prefix: str, offset: int = 0) -> pd.DataFrame:
    """ADLB / ADVS -> LB / VS: PARAMCD, AVAL, units, analysis visits (derived DTYPE records keep AVISIT/AVISITN
    but no VISITNUM: they are not visits), baseline flag, and BASE, CHG, PCHG, ANL01FL, DTYPE as extra columns."""
    derived = pick(bds, "DTYPE").notna() if "DTYPE" in bds else pd.Series(False, index=bds.index)
    aval = number(pick(bds, "AVAL"))
    visitnum, visit = number(pick(bds, "AVISITN")), text(pick(bds, "AVISIT"))
    columns = {
        "STUDYID": text(pick(bds, "STUDYID")), "DOMAIN": const(bds, prefix),
        "USUBJID": text(pick(bds, "USUBJID")), f"{prefix}SEQ": _seq(bds, f"{prefix}SEQ", offset),
        f"{prefix}TESTCD": text(pick(bds, "PARAMCD")), f"{prefix}TEST": test_name(bds),
        f"{prefix}CAT": text(pick(bds, "PARCAT1", f"{prefix}CAT")),
        f"{prefix}STRESC": text(_fill(pick(bds, "AVALC"), aval)),
        f"{prefix}STRESN": aval, f"{prefix}STRESU": unit_of(bds),
        f"{prefix}STNRLO": number(pick(bds, "ANRLO")), f"{prefix}STNRHI": number(pick(bds, "ANRHI")),
        f"{prefix}NRIND": text(pick(bds, "ANRIND")), f"{prefix}BLFL": text(pick(bds, "ABLFL")),
        f"{prefix}DTC": text(pick(bds, "ADTM", "ADT")), f"{prefix}DY": number(pick(bds, "ADY", f"{prefix}DY")),
        "VISITNUM": None if visitnum is None else visitnum.where(~derived),
        "VISIT": None if visit is None else visit.where(~derived), "AVISITN": visitnum, "AVISIT": visit,
        "PARAMCD": text(pick(bds, "PARAMCD")), "BASE": number(pick(bds, "BASE")),
        "CHG": number(pick(bds, "CHG")), "PCHG": number(pick(bds, "PCHG")),
        "ABLFL": text(pick(bds, "ABLFL")), "DTYPE": text(pick(bds, "DTYPE")), **analysis_flags(bds),
    }
    if "ATPT" in bds:
        columns["ATPT"] = text(bds["ATPT"])
    return pd.DataFrame({**_present(columns), **_extras(bds, set(columns))}, index=bds.index)


def _dated(adex: pd.DataFrame) -> pd.Series:
    dates = [pick(adex, "ASTDT", "ASTDTM", "EXSTDTC"), pick(adex, "AENDT", "AENDTM", "EXENDTC")]
    return pd.concat([d.notna() for d in dates if d is not None] + [pd.Series(False, index=adex.index)],
                     axis=1).any(axis=1)


def adex_to_ex(adex: pd.DataFrame, findings: Findings, file: str) -> pd.DataFrame:
    """ADEX -> EX: the exposure records (rows from an EX record, EXSEQ present, that are dated). When no row is
    dated (summary parameters only), one record per subject spanning the treatment dates ADEX repeats from ADSL,
    with a warning. AVAL of summary parameters (total dose...) differs by arm and never reaches EX."""
    records = adex[adex["EXSEQ"].notna() & _dated(adex)] if "EXSEQ" in adex else adex[_dated(adex)]
    if len(records):
        start, end = pick(records, "ASTDT", "ASTDTM", "EXSTDTC"), pick(records, "AENDT", "AENDTM", "EXENDTC")
        seq = number(pick(records, "EXSEQ", "ASEQ"))
        days = (number(pick(records, "ASTDY", "EXSTDY")), number(pick(records, "AENDY", "EXENDY")))
    else:
        records = adex.drop_duplicates("USUBJID")
        start = pick(records, "TRTSDT", "TRTSDTM", "TRT01SDT")
        end = pick(records, "TRTEDT", "TRTEDTM", "TRT01EDT")
        seq = pd.Series(1.0, index=records.index)
        days = (None, None)       # ADEX's ASTDY/AENDY of summary parameters are not exposure days
        findings.warning(file, "no dated exposure record (only summary parameters): one exposure record per "
                               "subject from the treatment start and end dates (TRTSDT/TRTSDTM, TRTEDT/TRTEDTM)",
                         kind=EXPOSURE_FROM_DATES)
    columns = {
        "STUDYID": text(pick(records, "STUDYID")), "DOMAIN": const(records, "EX"),
        "USUBJID": text(pick(records, "USUBJID")), "EXSEQ": seq,
        "EXTRT": text(pick(records, "EXTRT", "TRTA", "TRT01A")), "EXDOSE": number(pick(records, "EXDOSE")),
        "EXDOSU": text(pick(records, "EXDOSU")), "EXDOSFRQ": text(pick(records, "EXDOSFRQ")),
        "EXROUTE": text(pick(records, "EXROUTE")), "EXSTDTC": text(start), "EXENDTC": text(end),
        "EXSTDY": days[0], "EXENDY": days[1],
    }
    return pd.DataFrame({**_present(columns), **_extras(records, set(columns))}, index=records.index)


def adtte_to_tte(adtte: pd.DataFrame) -> pd.DataFrame:
    """ADTTE kept as its own table: PARAMCD, AVAL, CNSR, EVNTDESC, STARTDTC/ADTC (dates typed by the loader)."""
    columns = {
        "STUDYID": text(pick(adtte, "STUDYID")), "USUBJID": text(pick(adtte, "USUBJID")),
        "ADSEQ": _fill(number(pick(adtte, "ASEQ", "TTESEQ")),
                       pd.Series(np.arange(1, len(adtte) + 1), index=adtte.index, dtype="float64")),
        "PARAMCD": text(pick(adtte, "PARAMCD")), "PARAM": text(pick(adtte, "PARAM")),
        "AVAL": number(pick(adtte, "AVAL")), "AVALU": text(pick(adtte, "AVALU")),
        "CNSR": number(pick(adtte, "CNSR")), "EVNTDESC": text(pick(adtte, "EVNTDESC")),
        "CNSDTDSC": text(pick(adtte, "CNSDTDSC")),
        "STARTDTC": text(pick(adtte, "STARTDT", "RANDDT")), "ADTC": text(pick(adtte, "ADT", "ADTM")),
    }
    return pd.DataFrame({**_present(columns), **_extras(adtte, set(columns))}, index=adtte.index)


def adcm_to_cm(adcm: pd.DataFrame) -> pd.DataFrame:
    """ADCM -> CM: treatment names, class and analysis dates."""
    columns = {
        "STUDYID": text(pick(adcm, "STUDYID")), "DOMAIN": const(adcm, "CM"),
        "USUBJID": text(pick(adcm, "USUBJID")), "CMSEQ": _seq(adcm, "CMSEQ"),
        "CMTRT": text(pick(adcm, "CMTRT", "CMDECOD")), "CMDECOD": text(pick(adcm, "CMDECOD")),
        "CMCLAS": text(pick(adcm, "CMCLAS", "ATC1")), "CMINDC": text(pick(adcm, "CMINDC")),
        "CMSTDTC": text(pick(adcm, "ASTDT", "ASTDTM", "CMSTDTC")),
        "CMENDTC": text(pick(adcm, "AENDT", "AENDTM", "CMENDTC")),
        "CMSTDY": number(pick(adcm, "ASTDY", "CMSTDY")), "CMENDY": number(pick(adcm, "AENDY", "CMENDY")),
    }
    if "ONTRTFL" in adcm:
        columns["ONTRTFL"] = text(adcm["ONTRTFL"])
    columns.update(analysis_flags(adcm))
    return pd.DataFrame({**_present(columns), **_extras(adcm, set(columns))}, index=adcm.index)


def translate(stem: str, frame: pd.DataFrame, findings: Findings, file: str) -> pd.DataFrame:
    """The SDTM-shaped frame of one validated ADaM dataset (row order kept, so findings name the ADaM row)."""
    if stem == "ADSL":
        return adsl_to_dm(frame)
    if stem == "ADAE":
        return adae_to_ae(frame)
    if stem in SEQ_OFFSETS:
        return bds_to_findings(frame, "LB", SEQ_OFFSETS[stem])
    if stem == "ADVS":
        return bds_to_findings(frame, "VS")
    if stem == "ADEX":
        return adex_to_ex(frame, findings, file)
    if stem == "ADTTE":
        return adtte_to_tte(frame)
    return adcm_to_cm(frame)


def to_table(frame: pd.DataFrame) -> pa.Table:
    """Arrow table as the readers give it: float64 numbers, text (missing, never '') for everything else."""
    columns = {}
    for name in frame.columns:
        values = frame[name]
        if values.dtype.kind == "f":
            columns[name] = pa.array(values.to_numpy(dtype="float64"), type=pa.float64(), from_pandas=True)
        else:
            cleaned = text(values).replace("", None)
            columns[name] = pa.array(cleaned.astype("object").where(cleaned.notna(), None).tolist(), type=TEXT)
    return pa.table(columns).combine_chunks()
