"""Core safety derivations: the safety population, treatment-emergent adverse events, clinical events.

Definitions (treatment-emergent, partial-date imputation, observation end) are written in docs/safety.md.
Day numbers are SDTM study days, as on the Outcomes page (`dashboard.analysis.outcomes.study_day`): day 1 is
the reference day (DM.RFSTDTC, the first infusion), the day before it is day -1, and there is no day 0.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from dashboard.analysis.arms import arm_order  # noqa: F401  (ae_time imports it from here)
from dashboard.analysis.outcomes import day_one, study_day
from dashboard.analysis.recruitment import disposition_events
from dashboard.config import EventSource, Vocabulary
from dashboard.ingest.schema import normalized

TOTAL = "All subjects"
GROUP = "GROUP"
SEVERITIES = ("MILD", "MODERATE", "SEVERE")
SCREEN_FAILURE = "SCREEN FAILURE"
AE_DISCONTINUATION = "ADVERSE EVENT"      # the disposition reason (NCI C41331) when AEACN is not recorded
AE_COLUMNS = ("USUBJID", "AESEQ", "AETERM", "AEDECOD", "AEBODSYS", "AESEV", "AETOXGR", "AESER", "AESDTH",
              "AEREL", "AEACN", "AEOUT", "AESTDTC", "AEENDTC", "AESTDT", "AEENDT")


def with_columns(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """`frame` with every missing column of `columns` added as missing values (a cut may lack a domain)."""
    missing = [c for c in columns if c not in frame.columns]
    if not missing:
        return frame
    extra = {c: pd.Series(pd.NaT if c.endswith("DT") else None, index=frame.index,
                          dtype="datetime64[ns]" if c.endswith("DT") else object) for c in missing}
    return frame.assign(**extra)


def to_day(values: pd.Series) -> pd.Series:
    """Datetimes truncated to the day, as datetime64[ns]."""
    return pd.to_datetime(values, errors="coerce").dt.normalize().astype("datetime64[ns]")


_DATE_TIME = r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)"


def date_times(dtc: pd.Series) -> pd.Series:
    """The date-time of ISO 8601 values that give a complete date and a time of day; NaT for dates alone.

    The loaded --DT columns hold the day only (midnight), so the time of day is read from --DTC here. A UTC
    offset is ignored: an export gives its times in one local clock (SDTMIG 4.4.2).
    """
    parts = dtc.astype("string").str.strip().str.extract(_DATE_TIME)
    clock = parts[1].where(parts[1].str.len() == 8, parts[1] + ":00")       # hh:mm -> hh:mm:00
    text = (parts[0] + " " + clock).where(parts[0].notna())
    return pd.to_datetime(text, format="%Y-%m-%d %H:%M:%S", errors="coerce").astype("datetime64[ns]")


def safety_population(dm: pd.DataFrame, ex: pd.DataFrame) -> pd.DataFrame:
    """Randomized subjects with at least one dose, sorted by USUBJID: USUBJID, FIRSTDOSE and LASTDOSE (days),
    FIRSTDOSETM (date-time of the first dose, NaT when EXSTDTC gives no time) and DAY1, the study's reference day
    (day 1) of each subject, taken as on the Outcomes page."""
    dm = with_columns(dm, ("USUBJID", "RANDFL", "RFSTDT"))
    ex = with_columns(ex, ("USUBJID", "EXSTDT", "EXSTDTC"))
    randomized = dm.loc[dm["RANDFL"] == "Y", ["USUBJID", "RFSTDT"]].drop_duplicates("USUBJID")
    dosed = ex.loc[ex["USUBJID"].isin(randomized["USUBJID"]), ["USUBJID", "EXSTDT", "EXSTDTC"]]
    exday = to_day(dosed["EXSTDT"]).fillna(to_day(dosed["EXSTDTC"].astype(str).str.slice(0, 10)))
    dosed = dosed.assign(DAY=exday, TIME=date_times(dosed["EXSTDTC"].astype("string")))
    doses = dosed.groupby("USUBJID", sort=True)["DAY"].agg(["min", "max"])
    on_first = dosed[dosed["DAY"] == dosed["USUBJID"].map(doses["min"])]
    pop = randomized[randomized["USUBJID"].isin(doses.index)].set_index("USUBJID")
    out = pd.DataFrame({
        "USUBJID": pop.index.astype(str),
        "FIRSTDOSE": doses["min"].reindex(pop.index).fillna(to_day(pop["RFSTDT"])).to_numpy(),
        "LASTDOSE": doses["max"].reindex(pop.index).to_numpy(),
        # the time of the first dose when the export gives one (EXSTDTC with a time), else NaT
        "FIRSTDOSETM": on_first.groupby("USUBJID")["TIME"].min().reindex(pop.index).to_numpy(),
    })
    # the same day 1 as the Outcomes page (RFSTDT, else the randomization date); the first dose if neither
    reference = to_day(pd.Series(day_one(dm).reindex(out["USUBJID"]).to_numpy(), index=out.index))
    out["DAY1"] = reference.fillna(out["FIRSTDOSE"]).astype("datetime64[ns]")
    return out.sort_values("USUBJID", kind="stable").reset_index(drop=True)


def reference_days(population: pd.DataFrame) -> pd.Series:
    """Day 1 of each subject of the safety population (USUBJID -> day): DAY1, or the first dose when not given."""
    day1 = population["DAY1"] if "DAY1" in population else population["FIRSTDOSE"]
    return pd.Series(pd.to_datetime(day1).to_numpy(), index=population["USUBJID"].astype(str).to_numpy(), name="DAY1")


def study_days(dates: pd.Series, subjects: pd.Series, population: pd.DataFrame) -> pd.Series:
    """Study days (float; day 1 = reference day, no day 0) of `dates`, each of the subject on the same row."""
    day1 = pd.Series(subjects.map(reference_days(population)).to_numpy(), index=dates.index)
    return study_day(pd.to_datetime(dates).astype("datetime64[ns]"), day1.astype("datetime64[ns]"))


def _date_parts(dtc: pd.Series) -> pd.DataFrame:
    """Year, month and day of ISO 8601 (possibly partial) date strings; missing parts are NaN."""
    text = dtc.astype("string").fillna("").str.strip()
    parts = text.str.extract(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
    numbers = parts.apply(lambda c: pd.to_numeric(c, errors="coerce").astype("float64"))
    return numbers.set_axis(["Y", "M", "D"], axis=1)


def _first_of_month(year: pd.Series, month: pd.Series) -> pd.Series:
    """The first day of (year, month) where the year is known; NaT elsewhere."""
    ok = year.notna() & month.notna()
    text = pd.Series(None, index=year.index, dtype=object)
    text[ok] = (year[ok].astype("int64").astype(str).str.zfill(4) + "-"
                + month[ok].astype("int64").astype(str).str.zfill(2) + "-01")
    return pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")


def impute_start_date(dtc: pd.Series, first_dose: pd.Series, end: pd.Series | None = None) -> pd.Series:
    """Conservative start-day imputation: a partial date that may fall on or after the first dose takes the first dose day.

    Missing day: first-dose day if same month as the first dose, else the 1st. Missing month: first-dose day
    if same year, else 1 January. Missing date: first-dose day. Never later than a complete end date.
    """
    parts = _date_parts(dtc)
    fd = pd.to_datetime(first_dose).astype("datetime64[ns]")
    fy, fm = fd.dt.year, fd.dt.month
    complete = pd.to_datetime(dtc.astype("string").str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    month_start = _first_of_month(parts["Y"], parts["M"].fillna(1))
    same_month = (parts["Y"] == fy) & (parts["M"] == fm)
    same_year = (parts["Y"] == fy)
    day_missing = parts["D"].isna() & parts["M"].notna()
    month_missing = parts["M"].isna() & parts["Y"].notna()
    imputed = complete.astype("datetime64[ns]").copy()
    imputed = imputed.mask(day_missing, month_start.where(~same_month, fd))
    imputed = imputed.mask(month_missing, month_start.where(~same_year, fd))
    imputed = imputed.mask(parts["Y"].isna(), fd)
    if end is not None:
        end_day = to_day(end)
        imputed = imputed.mask(complete.isna() & end_day.notna() & (imputed > end_day), end_day)
    return imputed.astype("datetime64[ns]")


def impute_end_date(dtc: pd.Series) -> pd.Series:
    """End day of an event: complete dates as given, partial ones at the last day of their month or year."""
    parts = _date_parts(dtc)
    complete = pd.to_datetime(dtc.astype("string").str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
    month_end = _first_of_month(parts["Y"], parts["M"].fillna(12)) + pd.offsets.MonthEnd(0)
    return complete.fillna(month_end).astype("datetime64[ns]")


def terms(values: pd.Series) -> pd.Series:
    """Controlled terminology as compared (`schema.normalized`: upper case, blanks collapsed); '' where missing."""
    return pd.Series([normalized(v) if isinstance(v, str) else "" for v in values], index=values.index, dtype=str)


def ae_flags(ae: pd.DataFrame, vocabulary: Vocabulary | None = None) -> pd.DataFrame:
    """Boolean flags per AE record: RELATED, SERIOUS, SEVERE (severe or grade 3+), DISCONT, FATAL.

    RELATED and DISCONT follow the configured vocabulary (AEREL in `related`, AEACN in `drug_withdrawn`).
    """
    vocabulary = vocabulary or Vocabulary()
    ae = with_columns(ae, ("AEREL", "AESER", "AESEV", "AETOXGR", "AEACN", "AEOUT", "AESDTH"))
    up = {c: terms(ae[c]) for c in ("AEREL", "AESER", "AESEV", "AEACN", "AEOUT", "AESDTH")}
    grade = pd.to_numeric(ae["AETOXGR"], errors="coerce")
    return pd.DataFrame({
        "RELATED": up["AEREL"].isin(vocabulary.related),
        "SERIOUS": (up["AESER"] == "Y").fillna(False),
        "SEVERE": ((up["AESEV"] == "SEVERE").fillna(False) | (grade >= 3)),
        "DISCONT": up["AEACN"].isin(vocabulary.drug_withdrawn),
        "FATAL": ((up["AEOUT"] == "FATAL").fillna(False) | (up["AESDTH"] == "Y").fillna(False)),
    }, index=ae.index).astype(bool)


def causality_not_assessable(ae: pd.DataFrame, vocabulary: Vocabulary | None = None) -> pd.Series:
    """True where AEREL is in neither configured list (missing, or a term the vocabulary does not know): such a
    record is counted as 'causality not assessable', never silently as unrelated."""
    vocabulary = vocabulary or Vocabulary()
    rel = terms(with_columns(ae, ("AEREL",))["AEREL"])
    return ~rel.isin(vocabulary.related) & ~rel.isin(vocabulary.not_related)


def adverse_events(ae: pd.DataFrame, population: pd.DataFrame, vocabulary: Vocabulary | None = None) -> pd.DataFrame:
    """AE records of the safety population with imputed start/end days, their study days (ADY, AENDY), TEAE, flags
    (`ae_flags`) and NOT_ASSESSABLE (`causality_not_assessable`)."""
    ae = with_columns(ae, AE_COLUMNS)
    ae = ae[ae["USUBJID"].isin(population["USUBJID"])]
    first = ae["USUBJID"].map(population.set_index("USUBJID")["FIRSTDOSE"]).astype("datetime64[ns]")
    end = impute_end_date(ae["AEENDTC"]).where(ae["AEENDTC"].notna(), to_day(ae["AEENDT"]))
    start = impute_start_date(ae["AESTDTC"], first, end.where(_date_parts(ae["AEENDTC"])["D"].notna()))
    sev = ae["AESEV"].astype("string").str.strip().str.upper()
    out = pd.DataFrame({
        "USUBJID": ae["USUBJID"].astype(str),
        "AESEQ": pd.to_numeric(ae["AESEQ"], errors="coerce"),
        "AETERM": ae["AETERM"].astype("string").fillna(""),
        "AEDECOD": ae["AEDECOD"].astype("string").fillna(ae["AETERM"].astype("string")).fillna("(uncoded)"),
        "AEBODSYS": ae["AEBODSYS"].astype("string").fillna("(uncoded)"),
        "AESEV": sev.where(sev.isin(SEVERITIES)).fillna("UNKNOWN"),
        "AESTDTC": ae["AESTDTC"].astype("string").fillna(""),
        "AEENDTC": ae["AEENDTC"].astype("string").fillna(""),
        "AEOUT": ae["AEOUT"].astype("string").fillna(""),
        "AEREL": ae["AEREL"].astype("string").fillna(""),
        "AEACN": ae["AEACN"].astype("string").fillna(""),
        "ASTDT": start,
        "AENDT": end,
        "AESTTIME": date_times(ae["AESTDTC"].astype("string")),
        "FIRSTDOSE": first,
    }, index=ae.index)
    day1 = ae["USUBJID"].map(reference_days(population)).astype("datetime64[ns]")
    out["ADY"] = study_day(out["ASTDT"], day1)
    out["AENDY"] = study_day(out["AENDT"], day1)
    first_time = ae["USUBJID"].map(population.set_index("USUBJID")["FIRSTDOSETM"]) if "FIRSTDOSETM" in population \
        else pd.Series(pd.NaT, index=ae.index)
    out["TEAE"], out["TEAE_TIMING"] = emergence(out["ASTDT"], out["AESTTIME"], first,
                                                first_time.astype("datetime64[ns]"))
    partial = (_date_parts(ae["AESTDTC"])["D"].isna() & out["TEAE"]).to_numpy()
    out.loc[partial, "TEAE_TIMING"] = PARTIAL_START      # emergent because the imputation is conservative
    out = pd.concat([out, ae_flags(ae, vocabulary)], axis=1)
    out["NOT_ASSESSABLE"] = causality_not_assessable(ae, vocabulary)
    return out.sort_values(["USUBJID", "ASTDT", "AESEQ"], kind="stable").reset_index(drop=True)


SAME_DAY_UNTIMED = "same day, time unknown"
PARTIAL_START = "start date partial, imputed"


def emergence(start_day: pd.Series, start_time: pd.Series, first_day: pd.Series,
              first_time: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(TEAE, TEAE_TIMING) of AE starts against the first dose.

    After the first dose's day: emergent. On that day: emergent when the AE starts at or after the dose time, both
    times known; when either time is unknown it counts as emergent (conservative) and TEAE_TIMING says
    'same day, time unknown'.
    """
    later = (start_day > first_day).fillna(False)
    same = (start_day == first_day).fillna(False)
    timed = start_time.notna() & first_time.notna()
    teae = later | (same & (~timed | (start_time >= first_time).fillna(False)))
    timing = pd.Series(np.where(same & ~timed, SAME_DAY_UNTIMED, ""), index=start_day.index, dtype=object)
    return teae.astype(bool), timing


def treatment_emergent(events: pd.DataFrame) -> pd.DataFrame:
    """The treatment-emergent rows of `adverse_events(...)`."""
    return events[events["TEAE"]].reset_index(drop=True)


def clinical_events(sources: Sequence[EventSource], domains: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Dated clinical events (intubation, discharge, death...) from the configured sources: USUBJID, EVENT, LABEL, DATE."""
    frames = []
    for src in sources:
        frame = domains.get(src.source, pd.DataFrame())
        if src.source == "DM":
            deaths = death_dates(frame)
            rows = pd.DataFrame({"USUBJID": deaths.index.astype(str), "DATE": deaths.to_numpy()})
        elif src.source == "HO":
            frame = with_columns(frame, ("USUBJID", "HODECOD", "HOTERM", "HOENDT"))
            rows = frame[(frame["HODECOD"] == src.term) | (frame["HOTERM"] == src.term)].assign(
                DATE=lambda f: to_day(f["HOENDT"]))
        else:
            p = src.source[:2]
            frame = with_columns(frame, ("USUBJID", f"{p}DECOD", f"{p}TRT", f"{p}TERM", f"{p}STDT"))
            hit = (frame[f"{p}DECOD"] == src.term) | (frame[f"{p}TRT"] == src.term) | (frame[f"{p}TERM"] == src.term)
            rows = frame[hit.fillna(False)].assign(DATE=lambda f: to_day(f[f"{p}STDT"]))
        rows = rows.loc[rows["DATE"].notna(), ["USUBJID", "DATE"]]
        frames.append(rows.assign(EVENT=src.name, LABEL=src.label))
    if not frames:
        return pd.DataFrame({"USUBJID": pd.Series(dtype=str), "DATE": pd.Series(dtype="datetime64[ns]"),
                             "EVENT": pd.Series(dtype=str), "LABEL": pd.Series(dtype=str)})
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["USUBJID", "DATE", "EVENT"], kind="stable").drop_duplicates(["USUBJID", "EVENT"])
    return out[["USUBJID", "EVENT", "LABEL", "DATE"]].reset_index(drop=True)


def death_dates(dm: pd.DataFrame) -> pd.Series:
    """Death day per subject (DM.DTHDTC, or any date when DTHFL is Y without a complete date): USUBJID -> day."""
    dm = with_columns(dm, ("USUBJID", "DTHDT", "DTHDTC", "DTHFL"))
    day = to_day(dm["DTHDT"]).fillna(impute_start_date(dm["DTHDTC"], pd.Series(pd.NaT, index=dm.index)))
    dead = day.notna() | (dm["DTHFL"] == "Y").fillna(False)
    return pd.Series(day[dead].to_numpy(), index=dm.loc[dead, "USUBJID"].astype(str).to_numpy(), name="DTHDT")


def observation_end(population: pd.DataFrame, dm: pd.DataFrame, ds: pd.DataFrame, cut_date: str | None,
                    followup_days: int, vocabulary: Vocabulary | None = None) -> pd.Series:
    """Last day each subject was under observation (USUBJID -> day).

    The earliest of the cut date, death, the subject's leaving the study (any disposition event other than
    completion and screen failure: withdrawal, loss to follow-up, adverse event, ...; an end-of-treatment event,
    EPOCH = TREATMENT, does not end observation) and the end of follow-up: the subject's last completion date
    when there is one (an export may complete each epoch: treatment, then follow-up), else the planned end, study
    day `followup_days`. Disposition events as `recruitment.disposition_events` tells them (DSCAT = the configured
    category). Never before the first dose, never after the cut date.
    """
    vocabulary = vocabulary or Vocabulary()
    ds = with_columns(ds, ("USUBJID", "DSDECOD", "DSSTDT", "EPOCH"))
    ds = ds[disposition_events(ds, vocabulary).to_numpy()]
    decod, epoch = terms(ds["DSDECOD"]), terms(ds["EPOCH"])
    days = to_day(ds["DSSTDT"])
    leaving = (decod != vocabulary.completed) & (decod != SCREEN_FAILURE) & (epoch != "TREATMENT")
    left = days[leaving.to_numpy()].groupby(ds.loc[leaving.to_numpy(), "USUBJID"]).min()
    done = (decod == vocabulary.completed).to_numpy()
    completed = days[done].groupby(ds.loc[done, "USUBJID"]).max()
    ids = population["USUBJID"]
    day1 = reference_days(population).reindex(ids)
    planned = (day1 + pd.to_timedelta(max(int(followup_days), 1) - 1, unit="D")).to_numpy()
    candidates = pd.DataFrame({
        "followup": completed.reindex(ids).fillna(pd.Series(planned, index=ids.to_numpy())).to_numpy(),
        "death": death_dates(dm).reindex(ids).to_numpy(),
        "left": left.reindex(ids).to_numpy(),
    }, index=ids.to_numpy()).astype("datetime64[ns]")
    if cut_date:
        candidates["cut"] = pd.Timestamp(cut_date)
    end = candidates.min(axis=1).astype("datetime64[ns]")
    return end.clip(lower=pd.Series(population["FIRSTDOSE"].to_numpy(), index=end.index)).rename("OBSEND")


def discontinuation_source(ae: pd.DataFrame, ds: pd.DataFrame, vocabulary: Vocabulary | None = None) -> str:
    """Where 'leading to discontinuation' comes from: 'AEACN' when the study records AEACN on any AE, else 'DS'
    (the disposition reason ADVERSE EVENT) when DS has such a disposition event, else 'AEACN' (none found)."""
    vocabulary = vocabulary or Vocabulary()
    if terms(with_columns(ae, ("AEACN",))["AEACN"]).ne("").any():
        return "AEACN"
    ds = with_columns(ds, ("USUBJID", "DSDECOD"))
    by_ae = disposition_events(ds, vocabulary) & (terms(ds["DSDECOD"]) == AE_DISCONTINUATION)
    return "DS" if by_ae.any() else "AEACN"


def discontinued_for_ae(events: pd.DataFrame, ds: pd.DataFrame, vocabulary: Vocabulary | None = None) -> pd.Series:
    """DISCONT from DS (AEACN not recorded): the events of a subject whose disposition reason is ADVERSE EVENT that
    started on or before that disposition date (any of the subject's events when the date is unknown)."""
    vocabulary = vocabulary or Vocabulary()
    ds = with_columns(ds, ("USUBJID", "DSDECOD", "DSSTDT"))
    hit = (disposition_events(ds, vocabulary) & (terms(ds["DSDECOD"]) == AE_DISCONTINUATION)).to_numpy()
    when = to_day(ds.loc[hit, "DSSTDT"]).groupby(ds.loc[hit, "USUBJID"].astype(str)).max()
    subject = events["USUBJID"].isin(when.index)
    date = events["USUBJID"].map(when).astype("datetime64[ns]")
    return (subject & (date.isna() | (events["ASTDT"] <= date))).fillna(False).astype(bool)


def group_labels(arm_labels: Sequence[str] | None) -> list[str]:
    """Groups of a table: the arms in display order then the total, or the total alone when pooled."""
    return [*(arm_labels or ()), TOTAL]


def assign_groups(frame: pd.DataFrame, arm_of: pd.Series | None) -> pd.DataFrame:
    """Rows once with GROUP = TOTAL, plus (by arm) once more with GROUP = the subject's arm."""
    total = frame.assign(**{GROUP: TOTAL})
    if arm_of is None:
        return total
    arms = frame["USUBJID"].map(arm_of.astype(object))
    by_arm = frame.assign(**{GROUP: arms})[arms.notna().to_numpy()]
    return pd.concat([by_arm, total], ignore_index=True)


def group_sizes(population: pd.DataFrame, arm_of: pd.Series | None) -> pd.Series:
    """Subjects per group (arms in display order, then the total)."""
    labels = group_labels(arm_order(arm_of) if arm_of is not None else None)
    counts = assign_groups(population[["USUBJID"]], arm_of).groupby(GROUP).size()
    return counts.reindex(labels, fill_value=0).astype(int)


def percent(n: pd.Series | np.ndarray, total: pd.Series | np.ndarray) -> np.ndarray:
    """100 * n / total, NaN where the total is zero."""
    n = np.asarray(n, dtype=float)
    total = np.asarray(total, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, 100.0 * n / np.where(total > 0, total, 1), np.nan)
