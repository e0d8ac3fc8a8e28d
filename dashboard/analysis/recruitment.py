"""Recruitment: one status row per screened subject, filters, headline counts, funnel, screen failures, sites.

Every function here is pooled (the arm plays no part) except `enrollment_by_site_by_arm`, which takes
`arm_of` explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from dashboard.analysis.adam_flags import REASON_NOT_RECORDED
from dashboard.config import Vocabulary
from dashboard.ingest.schema import normalized

SCREEN_FAILURE = "Screen failure"
NOT_RANDOMIZED = "Eligible, not randomized"
COMPLETED = "Completed"
DIED = "Died"
WITHDRAWN = "Withdrawn"
IN_DOSING = "In dosing period"
IN_FOLLOW_UP = "In follow-up"
ONGOING = (IN_DOSING, IN_FOLLOW_UP)
NO_SITE = "(no site)"
MIN_SITE_SPLIT = 5
# Protocol milestones and other events an export may record in DS (CDISC NCI C114118 and the usual "other
# events"): never a reason for discontinuation. Only used for DS rows without DSCAT; with DSCAT, the
# configured disposition category alone decides.
MILESTONES = frozenset({"INFORMED CONSENT OBTAINED", "RANDOMIZED", "ELIGIBILITY CRITERIA MET", "ENROLLED",
                        "STUDY TREATMENT STARTED", "FIRST DOSE", "FINAL LAB VISIT", "FINAL RETRIEVAL VISIT",
                        "STUDY VISIT", "PROTOCOL MILESTONE", "OTHER EVENT"})
# disposition events that end participation without being a discontinuation reason
NOT_DISCONTINUATION = frozenset({*MILESTONES, "SCREEN FAILURE", "COMPLETED", "DEATH"})
# a term that only repeats the status (ADSL EOSSTT without DCSREAS): no reason, so the flow says none was recorded
UNSPECIFIC_REASONS = frozenset({"DISCONTINUED"})


def column(frame: pd.DataFrame, name: str, kind: str = "str") -> pd.Series:
    """`frame[name]`, or an all-missing column of the right kind when the export lacks it."""
    if name in frame:
        return frame[name]
    if kind == "date":
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    if kind == "float":
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    return pd.Series("", index=frame.index, dtype="object")


def recorded(values: pd.Series) -> pd.Series:
    """True where a text value is present (not missing, not blank)."""
    return values.fillna("").astype(str).str.strip() != ""


def lookup(keys: pd.Series, values: pd.Series) -> pd.Series:
    """`values[key]` for every key, indexed like `keys` (missing where absent); safe for empty and date values."""
    return pd.Series(values.reindex(pd.Index(keys.to_numpy())).to_numpy(), index=keys.index)


def _by_subject(ids: pd.Series, values: pd.Series, how: str) -> pd.Series:
    frame = pd.DataFrame({"USUBJID": ids.to_numpy(), "v": values.to_numpy()})
    return frame.groupby("USUBJID")["v"].agg(how)


def _ds_first(ds: pd.DataFrame, mask: pd.Series) -> tuple[pd.Index, pd.Series]:
    """Subjects with a DS record matching `mask`, and the earliest DSSTDT of those records."""
    sub = ds.loc[mask]
    return pd.Index(sub["USUBJID"].unique()), _by_subject(sub["USUBJID"], column(sub, "DSSTDT", "date"), "min")


def _terms(frame: pd.DataFrame, name: str) -> pd.Series:
    """Controlled terminology of a column as compared (`schema.normalized`); '' where missing."""
    return pd.Series([normalized(v) if isinstance(v, str) else "" for v in column(frame, name)],
                     index=frame.index, dtype=str)


def has_disposition_category(ds: pd.DataFrame) -> bool:
    """Whether DS gives DSCAT on any row (else disposition events are told from milestones by their term)."""
    return bool(recorded(column(ds, "DSCAT")).any())


def disposition_events(ds: pd.DataFrame, vocabulary: Vocabulary) -> pd.Series:
    """DS rows that are disposition events: DSCAT = the configured category; a row without DSCAT, any term that is
    not a known milestone (RANDOMIZED, INFORMED CONSENT OBTAINED, ...)."""
    category, decod = _terms(ds, "DSCAT"), _terms(ds, "DSDECOD")
    uncategorized = (category == "") & (decod != "") & ~decod.isin(MILESTONES)
    return (category == vocabulary.disposition_category) | uncategorized


def disposition_source(ds: pd.DataFrame, vocabulary: Vocabulary, adsl: Sequence[str] = ()) -> str:
    """Where completion and discontinuation reasons come from, as the display says it; `adsl` names the ADSL
    variables DS was derived from on an ADaM cut (EOSSTT, DCSREAS), which are then what the display says."""
    if adsl:
        reason = ("DCSREAS (reason for discontinuation)" if "DCSREAS" in adsl
                  else "no DCSREAS in this cut, so discontinuations have no reason recorded")
        return (f"Completion and reasons for discontinuation: ADSL EOSSTT (end-of-study status) and {reason}; "
                "screen failures from ADSL.")
    if has_disposition_category(ds):
        return (f"Completion and reasons for discontinuation: DS records with DSCAT = "
                f"{vocabulary.disposition_category} (protocol milestones and other events are not reasons).")
    return ("The export's DS has no DSCAT: completion and reasons for discontinuation are taken from DSDECOD, "
            "every term other than known milestones (" + ", ".join(sorted(MILESTONES)[:3]) + ", ...).")


def _dm_basics(dm: pd.DataFrame) -> pd.DataFrame:
    """Per DM subject (one row each): site, screening and randomization dates, randomized flag, age and sex."""
    out = pd.DataFrame({"USUBJID": dm["USUBJID"].astype(str).to_numpy()})
    site = column(dm, "SITEID").fillna("").astype(str).str.strip()
    out["SITEID"] = site.where(site != "", NO_SITE).to_numpy()
    rand_dt = column(dm, "RANDDT", "date")
    out["SCREEN_DT"] = column(dm, "DMDT", "date").fillna(column(dm, "RFICDT", "date")).fillna(rand_dt).to_numpy()
    out["RANDOMIZED"] = (column(dm, "RANDFL") == "Y").to_numpy()
    out["RAND_DT"] = rand_dt.where(out["RANDOMIZED"].to_numpy()).to_numpy()
    out["AGE"] = pd.to_numeric(column(dm, "AGE", "float"), errors="coerce").to_numpy()
    out["SEX"] = column(dm, "SEX").fillna("").astype(str).to_numpy()
    return out


def subject_status(dm: pd.DataFrame, ds: pd.DataFrame, ex: pd.DataFrame, cut_date: str, *,
                   planned_doses: int, interval_days: int, vocabulary: Vocabulary | None = None) -> pd.DataFrame:
    """One row per screened subject (DM): site, key dates, flags, doses received and status at the cut.

    Completed: the configured completion event (DSDECOD, default COMPLETED) among disposition events, whatever its
    study day. Withdrawn: any other disposition event of a randomized subject except death and screen failure,
    its reason the earliest such DSDECOD (`disposition_events`).
    """
    vocabulary = vocabulary or Vocabulary()
    cut = pd.Timestamp(cut_date)
    dm = dm.drop_duplicates("USUBJID")
    out = _dm_basics(dm)
    ds = ds if "USUBJID" in ds else pd.DataFrame({"USUBJID": pd.Series(dtype="object")})
    decod = _terms(ds, "DSDECOD")
    disposition = disposition_events(ds, vocabulary)
    consent_ids, consent_dt = _ds_first(ds, decod == "INFORMED CONSENT OBTAINED")
    sf_ids, _ = _ds_first(ds, decod == "SCREEN FAILURE")
    done_ids, done_dt = _ds_first(ds, disposition & (decod == vocabulary.completed))
    death_ids, death_dt = _ds_first(ds, decod == "DEATH")
    stop_mask = disposition & ~decod.isin(NOT_DISCONTINUATION | {vocabulary.completed})
    stop_ids, stop_dt = _ds_first(ds, stop_mask)

    out["CONSENT_DT"] = column(dm, "RFICDT", "date").to_numpy()
    out["CONSENT_DT"] = out["CONSENT_DT"].fillna(lookup(out["USUBJID"], consent_dt))
    out["CONSENTED"] = (recorded(column(dm, "RFICDTC")).to_numpy() | out["USUBJID"].isin(consent_ids)
                        | out["CONSENT_DT"].notna())
    flagged_sf = (column(dm, "SCRNFFL") == "Y").to_numpy() | out["USUBJID"].isin(sf_ids)
    out["SCREEN_FAIL"] = flagged_sf & ~out["RANDOMIZED"]

    ex = ex if "USUBJID" in ex else pd.DataFrame({"USUBJID": pd.Series(dtype="object")})
    doses = ex.groupby("USUBJID").size()
    first_dose = _by_subject(ex["USUBJID"], column(ex, "EXSTDT", "date"), "min")
    out["DOSES"] = lookup(out["USUBJID"], doses).fillna(0).astype(int)
    rfst = column(dm, "RFSTDT", "date").to_numpy()
    out["DAY1_DT"] = pd.Series(rfst).fillna(lookup(out["USUBJID"], first_dose)).fillna(out["RAND_DT"])
    out["DAY1_DT"] = out["DAY1_DT"].where(out["RANDOMIZED"])

    dm_death = (column(dm, "DTHFL") == "Y").to_numpy() | recorded(column(dm, "DTHDTC")).to_numpy()
    out["DIED"] = out["RANDOMIZED"] & (dm_death | out["USUBJID"].isin(death_ids))
    out["DEATH_DT"] = pd.Series(column(dm, "DTHDT", "date").to_numpy()).fillna(lookup(out["USUBJID"], death_dt))
    out["DEATH_DT"] = out["DEATH_DT"].where(out["DIED"])
    out["COMPLETED"] = out["RANDOMIZED"] & out["USUBJID"].isin(done_ids)
    out["COMPLETED_DT"] = lookup(out["USUBJID"], done_dt).where(out["COMPLETED"])
    out["WITHDRAWN"] = out["RANDOMIZED"] & out["USUBJID"].isin(stop_ids) & ~out["COMPLETED"] & ~out["DIED"]
    out["WITHDRAWN_DT"] = lookup(out["USUBJID"], stop_dt).where(out["WITHDRAWN"])
    out["WITHDRAWAL_REASON"] = lookup(out["USUBJID"], _first_reason(ds, stop_mask)).where(out["WITHDRAWN"])

    ended_dt = out["DEATH_DT"].where(~out["COMPLETED"]).fillna(out["WITHDRAWN_DT"])
    out["END_DT"] = ended_dt.where(ended_dt <= cut, cut).where(out["RANDOMIZED"])
    out["DAY_AT_END"] = ((out["END_DT"] - out["DAY1_DT"]).dt.days + 1).astype("float64")
    last_dose_day = 1 + (max(planned_doses, 1) - 1) * max(interval_days, 1)
    ongoing = out["RANDOMIZED"] & ~out["COMPLETED"] & ~out["DIED"] & ~out["WITHDRAWN"]
    in_dosing = ongoing & ~(out["DAY_AT_END"] > last_dose_day)
    out["STATUS"] = np.select(
        [out["SCREEN_FAIL"], ~out["RANDOMIZED"], out["COMPLETED"], out["DIED"], out["WITHDRAWN"], in_dosing],
        [SCREEN_FAILURE, NOT_RANDOMIZED, COMPLETED, DIED, WITHDRAWN, IN_DOSING], default=IN_FOLLOW_UP)
    # a subject first seen after the cut (DMDTC, else consent, else randomization) was not yet screened at it
    out = out[~(out["SCREEN_DT"] > cut).to_numpy()]
    return out.sort_values("USUBJID", kind="stable").reset_index(drop=True)


def _first_reason(ds: pd.DataFrame, mask: pd.Series) -> pd.Series:
    """USUBJID -> the earliest discontinuation term, in sentence case."""
    sub = ds.loc[mask, ["USUBJID"]].assign(
        DT=column(ds, "DSSTDT", "date")[mask], SEQ=column(ds, "DSSEQ", "float")[mask],
        TERM=column(ds, "DSDECOD")[mask].fillna("").astype(str).str.strip().str.capitalize())
    sub = sub.sort_values(["USUBJID", "DT", "SEQ"], na_position="last", kind="stable")
    term = sub.drop_duplicates("USUBJID").set_index("USUBJID")["TERM"]
    return term.where(~term.map(normalized).isin(UNSPECIFIC_REASONS))


def filter_subjects(status: pd.DataFrame, sites: Sequence[str] | None = None, start: str | None = None,
                    end: str | None = None) -> pd.DataFrame:
    """Subjects of the chosen sites whose screening date falls in [start, end] (both optional, inclusive)."""
    keep = pd.Series(True, index=status.index)
    if sites:
        keep &= status["SITEID"].isin(list(sites))
    if start:
        keep &= status["SCREEN_DT"] >= pd.Timestamp(start).normalize()
    if end:
        keep &= status["SCREEN_DT"] < pd.Timestamp(end).normalize() + pd.Timedelta(days=1)
    return status.loc[keep]


def site_options(status: pd.DataFrame) -> list[str]:
    """Site ids in sorted order (open information)."""
    return sorted(status["SITEID"].unique().tolist())


def headline_counts(status: pd.DataFrame, target: int, cut_date: str) -> pd.Series:
    """Screened, randomized (and % of target), on treatment, in follow-up, completed, withdrawn, deaths, days."""
    randomized = status[status["RANDOMIZED"]]
    first = randomized["RAND_DT"].min()
    cut = pd.Timestamp(cut_date)
    n_rand = int(len(randomized))
    return pd.Series({
        "screened": int(len(status)),
        "screen_failures": int(status["SCREEN_FAIL"].sum()),
        "randomized": n_rand,
        "target": int(target),
        "pct_of_target": 100.0 * n_rand / target if target else np.nan,
        "on_treatment": int((randomized["STATUS"] == IN_DOSING).sum()),
        "in_follow_up": int((randomized["STATUS"] == IN_FOLLOW_UP).sum()),
        "completed": int((randomized["STATUS"] == COMPLETED).sum()),
        "withdrawn": int((randomized["STATUS"] == WITHDRAWN).sum()),
        "deaths": int(randomized["DIED"].sum()),
        "first_randomization": None if pd.isna(first) else first.date().isoformat(),
        "days_since_first": None if pd.isna(first) else int((cut - first).days),
        "cut_date": cut.date().isoformat(),
    }, dtype=object)


def screening_funnel(status: pd.DataFrame) -> pd.DataFrame:
    """Screened, eligible, consented, randomized, dosed, completed: n, % of screened, % of the stage before."""
    eligible = ~status["SCREEN_FAIL"]
    stages = [
        ("Screened", len(status)),
        ("Eligible", int(eligible.sum())),
        ("Consented", int((eligible & status["CONSENTED"]).sum())),
        ("Randomized", int(status["RANDOMIZED"].sum())),
        ("Dosed", int((status["RANDOMIZED"] & (status["DOSES"] > 0)).sum())),
        ("Completed", int((status["STATUS"] == COMPLETED).sum())),
    ]
    frame = pd.DataFrame(stages, columns=["stage", "subjects"])
    previous = frame["subjects"].shift(1)
    frame["pct_of_screened"] = 100.0 * frame["subjects"] / frame["subjects"].iloc[0] if len(status) else np.nan
    frame["pct_of_previous"] = (100.0 * frame["subjects"] / previous.where(previous > 0))
    return frame


def _ds_screen_failure_reasons(failures: pd.Series, ds: pd.DataFrame | None) -> pd.DataFrame:
    """USUBJID and the reason of the DS SCREEN FAILURE record of each of `failures` that has one (DSTERM when it
    says more than the decoded term, else DSDECOD), the first record by DSSEQ."""
    if ds is None or "USUBJID" not in ds:
        return pd.DataFrame({"USUBJID": pd.Series(dtype=str), "reason": pd.Series(dtype=str)})
    rows = ds.loc[(_terms(ds, "DSDECOD") == "SCREEN FAILURE").to_numpy() & ds["USUBJID"].isin(failures).to_numpy()]
    rows = rows.assign(_seq=column(rows, "DSSEQ", "float")).sort_values(["USUBJID", "_seq"], kind="stable")
    rows = rows.loc[(_terms(rows, "DSTERM") != REASON_NOT_RECORDED).to_numpy()]   # counted as not recorded
    term, decod = column(rows, "DSTERM").fillna("").astype(str).str.strip(), _terms(rows, "DSDECOD")
    says_more = (term != "") & (term.map(normalized) != decod)
    reason = term.where(says_more, "no criterion given").str.capitalize()
    return pd.DataFrame({"USUBJID": rows["USUBJID"].to_numpy(),
                         "reason": ("Screen failure (DS): " + reason).to_numpy()}).drop_duplicates("USUBJID")


def screen_failure_reasons(status: pd.DataFrame, ie: pd.DataFrame, labels: Mapping[str, str],
                           ds: pd.DataFrame | None = None) -> pd.DataFrame:
    """Failed criteria of screen failures, ranked: subjects per criterion (a subject counts once per criterion).

    A screen failure without IE records takes the reason of their DS SCREEN FAILURE record (code 'DS'); one
    with neither is counted as 'Reason not recorded'.
    """
    failures = status.loc[status["SCREEN_FAIL"], "USUBJID"]
    columns = ["code", "category", "reason", "in_protocol_list", "subjects", "pct_of_failures"]
    if failures.empty:
        return pd.DataFrame(columns=columns)
    ie = ie if "USUBJID" in ie else pd.DataFrame({"USUBJID": pd.Series(dtype="object")})
    rows = ie.loc[ie["USUBJID"].isin(failures)]
    rows = pd.DataFrame({"USUBJID": rows["USUBJID"].to_numpy(),
                         "code": column(rows, "IETESTCD").fillna("").astype(str).str.strip().to_numpy(),
                         "test": column(rows, "IETEST").fillna("").astype(str).str.strip().to_numpy(),
                         "category": column(rows, "IECAT").fillna("").astype(str).str.strip().str.upper().to_numpy()})
    rows = rows.drop_duplicates(["USUBJID", "code"])
    counts = (rows.groupby("code", sort=True)
              .agg(subjects=("USUBJID", "nunique"), test=("test", "first"), category=("category", "first"))
              .reset_index())
    counts["in_protocol_list"] = counts["code"].isin(list(labels))
    counts["reason"] = [labels.get(code) or _unlisted_reason(code, test, cat)
                        for code, test, cat in zip(counts["code"], counts["test"], counts["category"])]
    from_ds = _ds_screen_failure_reasons(failures[~failures.isin(rows["USUBJID"])], ds)
    if len(from_ds):
        ds_counts = from_ds.groupby("reason", sort=True).size().rename("subjects").reset_index()
        counts = pd.concat([counts, ds_counts.assign(code="DS", category="DS", in_protocol_list=False)],
                           ignore_index=True)
    unrecorded = int((~failures.isin(rows["USUBJID"]) & ~failures.isin(from_ds["USUBJID"])).sum())
    if unrecorded:
        counts = pd.concat([counts, pd.DataFrame([{"code": "", "category": "", "reason": "Reason not recorded",
                                                   "in_protocol_list": False, "subjects": unrecorded}])],
                           ignore_index=True)
    counts["pct_of_failures"] = 100.0 * counts["subjects"] / len(failures)
    counts = counts.assign(_unrecorded=counts["code"] == "").sort_values(
        ["subjects", "_unrecorded", "code"], ascending=[False, True, True], kind="stable")
    return counts[columns].reset_index(drop=True)


def _unlisted_reason(code: str, test: str, category: str) -> str:
    kind = category.capitalize() if category else "Criterion"
    return f"{kind}: {test or code} ({code}, not in the protocol list)"


def enrollment_by_period(status: pd.DataFrame, period: str = "week") -> pd.DataFrame:
    """Screened and randomized per calendar week (Monday start) or month, empty periods kept as zeros."""
    freq = "M" if period == "month" else "W-SUN"
    columns = ["period_start", "screened", "randomized", "cumulative_randomized"]
    screened = status["SCREEN_DT"].dropna().dt.to_period(freq)
    randomized = status.loc[status["RANDOMIZED"], "RAND_DT"].dropna().dt.to_period(freq)
    if screened.empty and randomized.empty:
        return pd.DataFrame(columns=columns)
    both = pd.concat([screened, randomized])
    periods = pd.period_range(both.min(), both.max(), freq=freq)
    frame = pd.DataFrame({"period_start": periods.start_time.normalize(),
                          "screened": screened.value_counts().reindex(periods, fill_value=0).to_numpy(),
                          "randomized": randomized.value_counts().reindex(periods, fill_value=0).to_numpy()})
    frame["cumulative_randomized"] = frame["randomized"].cumsum()
    return frame[columns]


def enrollment_by_site(status: pd.DataFrame) -> pd.DataFrame:
    """Per site: screened, screen failures, randomized (and share), dosed, completed, first and last randomization."""
    rand = status["RANDOMIZED"]
    frame = status.assign(_sf=status["SCREEN_FAIL"], _rand=rand, _dosed=rand & (status["DOSES"] > 0),
                          _done=status["STATUS"] == COMPLETED)
    table = frame.groupby("SITEID", sort=True).agg(
        screened=("USUBJID", "size"), screen_failures=("_sf", "sum"), randomized=("_rand", "sum"),
        dosed=("_dosed", "sum"), completed=("_done", "sum"),
        first_randomization=("RAND_DT", "min"), last_randomization=("RAND_DT", "max")).reset_index()
    total = int(rand.sum())
    table["pct_of_randomized"] = 100.0 * table["randomized"] / total if total else np.nan
    order = ["SITEID", "screened", "screen_failures", "randomized", "pct_of_randomized", "dosed", "completed",
             "first_randomization", "last_randomization"]
    return table[order]


def sites_allowing_split(status: pd.DataFrame, minimum: int = MIN_SITE_SPLIT) -> set[str]:
    """Sites with at least `minimum` randomized subjects among `status`: only these may be split by arm."""
    counts = status.loc[status["RANDOMIZED"]].groupby("SITEID").size()
    return set(counts[counts >= minimum].index)


def arm_split_allowed(status: pd.DataFrame, sites: Sequence[str] | None, minimum: int = MIN_SITE_SPLIT) -> bool:
    """With a site filter, a by-arm view is shown only if every chosen site has >= `minimum` randomized."""
    if not sites:
        return True
    return set(sites) <= sites_allowing_split(status, minimum)


def enrollment_by_site_by_arm(status: pd.DataFrame, arm_of: pd.Series, arm_labels: Sequence[str],
                              minimum: int = MIN_SITE_SPLIT) -> pd.DataFrame:
    """`enrollment_by_site` plus randomized per arm; sites with fewer than `minimum` randomized get no split."""
    table = enrollment_by_site(status)
    rand = status.loc[status["RANDOMIZED"]]
    arm = rand["USUBJID"].map(arm_of.astype(object))
    counts = pd.crosstab(rand["SITEID"], arm).reindex(columns=list(arm_labels), fill_value=0)
    split = table["randomized"] >= minimum
    for label in arm_labels:
        values = table["SITEID"].map(counts[label]).fillna(0).astype(int)
        table[label] = values.astype(object).where(split, None)
    table["split_by_arm"] = np.where(split, "yes", f"no (< {minimum} randomized)")
    return table
