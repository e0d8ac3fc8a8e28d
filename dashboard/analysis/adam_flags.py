"""ADaM analysis flags on the translated domains of an ADaM cut (docs/adam.md): pure helpers, frames in and out.

Each helper uses the ADaM flag when the column exists and has a value, and otherwise leaves the SDTM-route
derivation in charge (the caller's fallback), so an SDTM cut is unaffected.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.config_adam import AdamConfig, TteParameter

# DSTERM of a derived record whose reason ADSL does not give (no DCSREAS): the pages say so instead of repeating
# the status ("Discontinued · Discontinued") or calling it a criterion
REASON_NOT_RECORDED = "REASON NOT RECORDED"

YES = "Y"


def _flag(frame: pd.DataFrame, name: str) -> pd.Series | None:
    """`name` == 'Y' (blanks and case ignored) when the column exists and is filled somewhere; else None."""
    if name not in frame:
        return None
    values = frame[name].astype("str").str.strip().str.upper()
    if not values.fillna("").ne("").any():
        return None
    return values.eq(YES).fillna(False).astype(bool)


def teae(ae: pd.DataFrame, fallback: pd.Series | None = None) -> pd.Series:
    """Treatment-emergent: TRTEMFL = Y where AE has TRTEMFL; else `fallback` (the SDTM derivation), else False."""
    flag = _flag(ae, "TRTEMFL")
    if flag is not None:
        return flag
    return fallback.astype(bool) if fallback is not None else pd.Series(False, index=ae.index)


def with_adam_teae(events: pd.DataFrame, ae: pd.DataFrame) -> pd.DataFrame:
    """`adverse_events(...)` rows with TEAE from AE TRTEMFL (matched on USUBJID, AESEQ) when AE has TRTEMFL."""
    flag = _flag(ae, "TRTEMFL")
    if flag is None:
        return events
    keyed = pd.Series(flag.to_numpy(), index=pd.MultiIndex.from_arrays(
        [ae["USUBJID"].astype(str), pd.to_numeric(ae["AESEQ"], errors="coerce")]))
    keys = pd.MultiIndex.from_arrays([events["USUBJID"].astype(str), pd.to_numeric(events["AESEQ"], errors="coerce")])
    return events.assign(TEAE=keyed.reindex(keys).fillna(False).astype(bool).to_numpy())


def safety_subjects(dm: pd.DataFrame) -> pd.Index | None:
    """USUBJIDs with SAFFL = Y, or None when DM has no SAFFL (the population is then derived from EX)."""
    flag = _flag(dm, "SAFFL")
    return None if flag is None else pd.Index(dm.loc[flag.to_numpy(), "USUBJID"].astype(str))


def safety_population(population: pd.DataFrame, dm: pd.DataFrame) -> pd.DataFrame:
    """`safety_population(dm, ex)` restricted to SAFFL = Y where DM has SAFFL."""
    subjects = safety_subjects(dm)
    if subjects is None:
        return population
    return population[population["USUBJID"].astype(str).isin(subjects)].reset_index(drop=True)


def randomized(dm: pd.DataFrame) -> pd.Series:
    """Randomized: ADSL RANDFL or ITTFL where delivered (pharmaverse ADaM has neither); else DM RANDFL, which the
    loader derives from a real arm code (ARMCD)."""
    for name in ("ITTFL", "RANDFL"):
        flag = _flag(dm, name)
        if flag is not None:
            return flag
    return pd.Series(False, index=dm.index)


def efficacy_subjects(dm: pd.DataFrame, flag: str = "EFFFL") -> pd.Index | None:
    """USUBJIDs with the configured efficacy flag = Y; None when DM does not carry it."""
    values = _flag(dm, flag)
    return None if values is None else pd.Index(dm.loc[values.to_numpy(), "USUBJID"].astype(str))


def efficacy_population(dm: pd.DataFrame, adam: AdamConfig) -> pd.Index | None:
    """The efficacy population of [adam] efficacy_flag (EFFFL unless configured); None when DM does not carry it
    (the randomized subjects then stand in, as on an SDTM cut)."""
    return efficacy_subjects(dm, adam.efficacy_flag)


@dataclass(frozen=True)
class EfficacyPopulation:
    """The efficacy displays' population: its DM rows, the flag that chose them, and whom the flag leaves out."""
    dm: pd.DataFrame
    flag: str | None = None             # the ADSL flag applied; None when every randomized subject counts
    absent_flag: str | None = None      # the configured [adam] efficacy flag that this cut's DM does not carry
    left_out: tuple[str, ...] = ()      # randomized subjects whose flag is not Y


def efficacy_population_dm(dm: pd.DataFrame, adam: AdamConfig) -> EfficacyPopulation:
    """DM restricted to the configured efficacy population where DM carries its flag; all of DM otherwise (an SDTM
    cut, or an ADSL without the flag: then `absent_flag` names it when [adam] was configured, so the page says so).
    RANDFL as the flag is the randomized set itself."""
    subjects = efficacy_population(dm, adam)
    if subjects is None:
        return EfficacyPopulation(dm, absent_flag=adam.efficacy_flag if adam.configured else None)
    if adam.efficacy_flag == "RANDFL":
        return EfficacyPopulation(dm)
    ids = dm["USUBJID"].astype("str")
    randomized = dm["RANDFL"].astype("str").eq(YES).fillna(False) if "RANDFL" in dm else pd.Series(True, dm.index)
    inside = ids.isin(subjects)
    left_out = tuple(sorted(ids[randomized.to_numpy(bool) & ~inside.to_numpy(bool)].unique()))
    return EfficacyPopulation(dm[inside.to_numpy(bool)], adam.efficacy_flag, left_out=left_out)


def analysis_records(rows: pd.DataFrame, flag: str = "ANL01FL") -> pd.DataFrame:
    """Rows with the analysis flag = Y where the column is delivered; all rows otherwise."""
    values = _flag(rows, flag)
    return rows if values is None else rows[values.to_numpy()]


def non_analysis(rows: pd.DataFrame, baseline_column: str, flag: str = "ANL01FL") -> tuple[pd.Series, pd.Series]:
    """(derived, outside) masks of ADaM records that are not analysis values: derived records (DTYPE filled: LOV,
    MAXIMUM... repeat real records) and records the analysis flag leaves out, baseline records (`baseline_column`
    = Y, which ANL01FL does not flag) apart. Both all False where the columns are not delivered (an SDTM cut)."""
    none = pd.Series(False, index=rows.index)
    derived = rows["DTYPE"].astype("str").fillna("").str.strip().ne("") if "DTYPE" in rows else none
    flagged = _flag(rows, flag)
    if flagged is None:
        return derived, none
    baseline = rows[baseline_column].astype("str").str.upper().eq(YES).fillna(False) if baseline_column in rows \
        else none
    return derived, ~(flagged | baseline | derived)


def change_from_baseline(rows: pd.DataFrame, testcd_column: str, testcd: str,
                         flag: str = "ANL01FL") -> pd.DataFrame:
    """Post-baseline analysis records of one parameter by analysis visit: AVISITN, AVISIT, N, MEAN, SD of CHG.

    Baseline records (ABLFL = Y) and derived records (DTYPE filled) are left out; the analysis flag (`flag`, the
    configured [adam] analysis_flag) applies if delivered.
    """
    part = rows[rows[testcd_column].astype(str) == testcd]
    part = analysis_records(part, flag)
    none = pd.Series(False, index=part.index)        # a plain False would make ~(derived | base) the integer -1
    derived = part["DTYPE"].astype("str").fillna("").str.strip().ne("") if "DTYPE" in part else none
    base = part["ABLFL"].astype("str").fillna("").str.strip().str.upper().eq(YES) if "ABLFL" in part else none
    part = part[~(derived | base)].assign(CHG=lambda f: pd.to_numeric(f["CHG"], errors="coerce"),
                                          AVISITN=lambda f: pd.to_numeric(f["AVISITN"], errors="coerce"))
    part = part[part["CHG"].notna() & part["AVISITN"].notna()]
    g = part.groupby("AVISITN", sort=True)
    return pd.DataFrame({"AVISIT": g["AVISIT"].first(), "N": g["CHG"].size(), "MEAN": g["CHG"].mean(),
                         "SD": g["CHG"].std()}).reset_index()


def tte_frame(adtte: pd.DataFrame, paramcd: str) -> pd.DataFrame:
    """One ADTTE parameter as the Kaplan-Meier functions take it: USUBJID, TIME (AVAL), EVENT (1 - CNSR)."""
    part = adtte[adtte["PARAMCD"].astype(str) == paramcd]
    time = pd.to_numeric(part["AVAL"], errors="coerce")
    cnsr = pd.to_numeric(part["CNSR"], errors="coerce")
    keep = (time.notna() & cnsr.notna()).to_numpy()
    return pd.DataFrame({"USUBJID": part["USUBJID"].astype(str).to_numpy()[keep],
                         "TIME": time.to_numpy(float)[keep],
                         "EVENT": (cnsr.to_numpy(float)[keep] == 0).astype(int)})


def tte_parameters(adtte: pd.DataFrame, adam: AdamConfig) -> tuple[TteParameter, ...]:
    """The ADTTE parameters to show: [[adam.tte]] as configured (in its order), else every PARAMCD of ADTTE, labelled
    by its PARAM and drawn event-free (as `displays.outcomes.events.adtte_parameters` draws them)."""
    if adam.tte:
        return adam.tte
    if adtte.empty or "PARAMCD" not in adtte:
        return ()
    labels = adtte["PARAM"].astype("str") if "PARAM" in adtte else adtte["PARAMCD"].astype("str")
    first = labels.groupby(adtte["PARAMCD"].astype("str"), sort=True).first()
    return tuple(TteParameter(str(code), str(label) if pd.notna(label) else str(code)) for code, label in first.items())


def curve_values(curve: pd.DataFrame, parameter: TteParameter) -> pd.Series:
    """What the curve of a parameter plots: the event-free probability (SURV) or the proportion with the event."""
    return curve["SURV"] if parameter.event_free else 1.0 - curve["SURV"]


def disposition_from_dm(dm: pd.DataFrame) -> pd.DataFrame:
    """DS-shaped disposition records from the ADSL variables an ADaM cut keeps in DM (EOSSTT, DCSREAS, EOSDTC/EOSDT),
    for the pages that read DS when the cut has none: one DISPOSITION EVENT per subject with an end-of-study status
    (DSDECOD COMPLETED, else the reason DCSREAS, else DISCONTINUED), and SCREEN FAILURE for SCRNFFL = Y; DSTERM is
    the reason, REASON NOT RECORDED where ADSL gives none."""
    missing = pd.Series(pd.NA, index=dm.index, dtype="str")
    status = dm["EOSSTT"].astype("str").str.strip().str.upper() if "EOSSTT" in dm else missing
    reason = dm["DCSREAS"].astype("str").str.strip().str.upper() if "DCSREAS" in dm else missing
    decod = status.where(status == "COMPLETED", reason.where(reason.fillna("").ne(""), "DISCONTINUED"))
    ended = status.fillna("").isin(["COMPLETED", "DISCONTINUED"])
    screen = _flag(dm, "SCRNFFL")
    failed = screen if screen is not None else pd.Series(False, index=dm.index)
    dtc = dm["EOSDTC"].astype("str") if "EOSDTC" in dm else pd.Series(pd.NA, index=dm.index, dtype="str")
    records = pd.concat([
        pd.DataFrame({"USUBJID": dm.loc[ended, "USUBJID"], "DSCAT": "DISPOSITION EVENT", "DSDECOD": decod[ended],
                      "DSSTDTC": dtc[ended]}),
        pd.DataFrame({"USUBJID": dm.loc[failed.to_numpy() & ~ended.to_numpy(), "USUBJID"],
                      "DSCAT": "DISPOSITION EVENT", "DSDECOD": "SCREEN FAILURE", "DSSTDTC": pd.NA}),
    ], ignore_index=True)
    records = records.astype({"USUBJID": "str", "DSCAT": "str", "DSDECOD": "str", "DSSTDTC": "str"})
    no_reason = records["DSDECOD"].isin(["DISCONTINUED", "SCREEN FAILURE"])
    records["DSTERM"] = records["DSDECOD"].where(~no_reason, REASON_NOT_RECORDED)
    records["DSSTDT"] = pd.to_datetime(records["DSSTDTC"].str.slice(0, 10), errors="coerce").astype("datetime64[ns]")
    records["DSSEQ"] = records.groupby("USUBJID").cumcount().astype("float64") + 1
    return records.sort_values(["USUBJID", "DSSEQ"], kind="stable").reset_index(drop=True)
