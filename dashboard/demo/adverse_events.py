"""Full-trajectory adverse events (AE) with what a cut needs to show them as known at that date.

Internal columns: `_t` start, `_end` end (NaT if still ongoing at the subject's last contact), `_last`
last contact, `_upd` when the final AESEV / AESER became known, `_sev0` / `_ser0` the values reported
before that, `_fatal`, `_open` the final outcome of an AE never resolved, `_end_month` (end date
recorded as YYYY-MM only), `_day1`, `_subj`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.demo.frames import MINUTE, fmt_times, sdtm_frame, seq_within
from dashboard.demo.timeline import Cohort, study_date, study_day

RESP = "Respiratory, thoracic and mediastinal disorders"
INFECT = "Infections and infestations"
GENERAL = "General disorders and administration site conditions"
INJURY = "Injury, poisoning and procedural complications"
# (AEBODSYS, AEDECOD, verbatim AETERM, weight, major): major events are more often severe and serious.
CATALOG: tuple[tuple[str, str, str, float, bool], ...] = (
    (INFECT, "Pneumonia bacterial", "Bacterial pneumonia", 3, True),
    (INFECT, "Urinary tract infection", "UTI", 3, False),
    (INFECT, "Sepsis", "Sepsis", 1, True),
    (INFECT, "Oral candidiasis", "Oral thrush", 2, False),
    (RESP, "Respiratory failure", "Worsening respiratory failure", 2, True),
    (RESP, "Acute respiratory distress syndrome", "ARDS", 1, True),
    (RESP, "Cough", "Cough", 5, False),
    (RESP, "Dyspnoea", "Shortness of breath", 4, False),
    (RESP, "Pneumothorax", "Pneumothorax", 0.5, True),
    (GENERAL, "Pyrexia", "Fever", 6, False),
    (GENERAL, "Fatigue", "Tiredness", 5, False),
    (GENERAL, "Chills", "Chills", 2, False),
    (GENERAL, "Oedema peripheral", "Leg swelling", 2, False),
    ("Nervous system disorders", "Headache", "Headache", 6, False),
    ("Nervous system disorders", "Dizziness", "Dizziness", 3, False),
    ("Psychiatric disorders", "Insomnia", "Difficulty sleeping", 4, False),
    ("Psychiatric disorders", "Delirium", "Confusion", 1, True),
    ("Cardiac disorders", "Atrial fibrillation", "New-onset atrial fibrillation", 2, True),
    ("Cardiac disorders", "Sinus tachycardia", "Tachycardia", 3, False),
    ("Investigations", "Alanine aminotransferase increased", "ALT raised", 4, False),
    ("Investigations", "Aspartate aminotransferase increased", "AST raised", 3, False),
    ("Gastrointestinal disorders", "Nausea", "Nausea", 5, False),
    ("Gastrointestinal disorders", "Diarrhoea", "Loose stools", 5, False),
    ("Gastrointestinal disorders", "Constipation", "Constipation", 4, False),
    ("Gastrointestinal disorders", "Vomiting", "Vomiting", 2, False),
    ("Skin and subcutaneous tissue disorders", "Rash", "Skin rash", 3, False),
    ("Skin and subcutaneous tissue disorders", "Pruritus", "Itching", 2, False),
    ("Vascular disorders", "Hypotension", "Low blood pressure", 3, True),
    ("Vascular disorders", "Hypertension", "High blood pressure", 3, False),
    ("Vascular disorders", "Deep vein thrombosis", "DVT left leg", 1, True),
    ("Metabolism and nutrition disorders", "Hyperglycaemia", "High blood sugar", 6, False),
    ("Metabolism and nutrition disorders", "Hypokalaemia", "Low potassium", 4, False),
    ("Metabolism and nutrition disorders", "Hyponatraemia", "Low sodium", 2, False),
    ("Renal and urinary disorders", "Acute kidney injury", "Acute kidney injury", 2, True),
    ("Blood and lymphatic system disorders", "Anaemia", "Anaemia", 3, False),
    ("Blood and lymphatic system disorders", "Thrombocytopenia", "Low platelets", 2, False),
    ("Musculoskeletal and connective tissue disorders", "Myalgia", "Muscle pain", 3, False),
    (INJURY, "Infusion related reaction", "Infusion reaction", 0, False),
)
INFUSION_REACTIONS = ("Infusion related reaction", "Chills", "Pyrexia", "Headache", "Rash")
FATAL_TERMS = ("Respiratory failure", "Acute respiratory distress syndrome", "Sepsis")
SEVERITIES = np.array(["MILD", "MODERATE", "SEVERE"], dtype=object)
AE_RATE = {True: 8.5, False: 11.0}            # background AEs per subject, keyed by "active arm"
IRR_RATE = {True: 0.05, False: 0.025}        # infusion reactions per infusion
UPDATE_RATE = 0.2                            # AEs whose severity is upgraded while ongoing
SERIOUS_LATER_RATE = 0.3                     # serious AEs first reported as non-serious
RECOVERED, NOT_RECOVERED, RECOVERING = "RECOVERED/RESOLVED", "NOT RECOVERED/NOT RESOLVED", "RECOVERING/RESOLVING"
COLUMNS = ("AESEQ", "AETERM", "AEDECOD", "AEBODSYS", "AESEV", "AESER", "AEACN", "AEREL", "AEOUT", "AESDTH",
           "EPOCH", "AESTDTC", "AEENDTC", "AESTDY", "AEENDY")


def _term_index(decod: str) -> int:
    return next(i for i, row in enumerate(CATALOG) if row[1] == decod)


def _events(subj, term, start, end, sev, ser, rel, acn, *, with_time=False, fatal=False,
            serious_from=None) -> dict[str, np.ndarray]:
    """A block of AEs as parallel arrays (start / end / serious_from datetime64[m])."""
    n = np.asarray(subj).size
    full = lambda v: np.broadcast_to(np.asarray(v), (n,)).copy()  # noqa: E731
    serious_from = np.full(n, np.datetime64("NaT", "m")) if serious_from is None else serious_from
    return {"subj": np.asarray(subj), "term": full(term), "start": np.asarray(start, "datetime64[m]"),
            "end": np.asarray(end, "datetime64[m]"), "sev": full(sev), "ser": full(ser), "rel": full(rel),
            "acn": full(acn), "with_time": full(with_time), "fatal": full(fatal),
            "serious_from": np.asarray(serious_from, "datetime64[m]")}


def _background(c: Cohort, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """AEs drawn from the catalogue over each subject's observation period."""
    rand = np.flatnonzero(c.randomized)
    span = np.maximum(c.last_day[rand] - 1, 1)
    lam = np.where(c.active[rand], AE_RATE[True], AE_RATE[False]) * np.clip(span / 27, 0.35, 1.0)
    lam *= np.where(np.isnan(c.death_day[rand]), 1.0, 1.4)
    subj = np.repeat(rand, rng.poisson(lam))
    n = subj.size
    weights = np.array([row[3] for row in CATALOG], float)
    term = rng.choice(len(CATALOG), size=n, p=weights / weights.sum())
    major = np.array([row[4] for row in CATALOG])[term]
    start_day = 1 + np.floor(rng.exponential(8.0, n)) % np.maximum(c.last_day[subj] - 1, 1)
    end_day = start_day + rng.geometric(1 / 5.0, n) - 1
    u = rng.random(n)
    sev = np.where(major, np.searchsorted([0.1, 0.5], u), np.searchsorted([0.6, 0.92], u))
    p_serious = np.where(sev == 2, np.where(major, 0.7, 0.25), np.where(major, 0.1, 0.0))
    ser = rng.random(n) < p_serious * np.where(c.active[subj], 0.6, 1.0)
    rel = rng.choice(np.array(["NOT RELATED", "POSSIBLY RELATED", "RELATED"], dtype=object), size=n,
                     p=[0.75, 0.2, 0.05])
    acn = np.where(rng.random(n) < 0.07, "DRUG INTERRUPTED", "DOSE NOT CHANGED").astype(object)
    start = study_date(c.day1[subj], start_day)
    end = study_date(c.day1[subj], end_day)
    return _events(subj, term, start, end, sev, ser, rel, acn)


def _infusion_reactions(c: Cohort, doses: pd.DataFrame, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Reactions starting 1 to 60 hours after an infusion, and the ones that stopped treatment."""
    subj, day = doses["subj"].to_numpy(), doses["day"].to_numpy()
    dose_start = doses["start"].to_numpy("datetime64[m]")
    stop = day == c.irr_withdrawal_day[subj]
    react = (rng.random(subj.size) < np.where(c.active[subj], IRR_RATE[True], IRR_RATE[False])) | stop
    delay = np.where(stop, 30, rng.integers(60, 60 * 60, subj.size))
    start = dose_start + delay * MINUTE
    ends = start.astype("datetime64[D]") + rng.integers(0, 3, subj.size).astype("timedelta64[D]")
    keep = react & (study_day(start, c.day1[subj]) < c.last_day[subj])
    choices = np.array([_term_index(t) for t in INFUSION_REACTIONS])
    term = np.where(stop, _term_index("Infusion related reaction"), rng.choice(choices, size=subj.size))
    sev = np.where(stop, 2, np.searchsorted([0.55, 1.0], rng.random(subj.size)))
    rel = np.where(rng.random(subj.size) < 0.5, "RELATED", "POSSIBLY RELATED").astype(object)
    acn = np.where(stop, "DRUG WITHDRAWN", "DOSE NOT CHANGED").astype(object)
    return _events(subj[keep], term[keep], start[keep], ends[keep], sev[keep], False, rel[keep], acn[keep],
                   with_time=True)


def _clinical_course(c: Cohort, rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
    """Fatal AEs of deaths, respiratory failure of intubated survivors, liver injury of Hy's-law subjects.

    The respiratory AEs start up to 3 days before intubation and are reported serious from intubation on.
    """
    dead = np.flatnonzero(~np.isnan(c.death_day))
    fatal_term = rng.choice([_term_index(t) for t in FATAL_TERMS], size=dead.size, p=[0.5, 0.3, 0.2])
    intub = np.flatnonzero(~np.isnan(c.extub_day))
    onset = np.maximum(1, c.intub_day - rng.integers(0, 4, c.usubjid.size))
    intubation = study_date(c.day1, c.intub_day)
    hy = np.flatnonzero(c.hys_law)
    hy_end = c.visit_day[hy, -2] + rng.integers(3, 9, hy.size)
    return [
        _events(dead, fatal_term, study_date(c.day1[dead], onset[dead]), study_date(c.day1[dead], c.death_day[dead]),
                2, True, "NOT RELATED", "DOSE NOT CHANGED", fatal=True, serious_from=intubation[dead]),
        _events(intub, _term_index("Respiratory failure"), study_date(c.day1[intub], onset[intub]),
                study_date(c.day1[intub], c.extub_day[intub]), 2, True, "NOT RELATED", "DOSE NOT CHANGED",
                serious_from=intubation[intub]),
        _events(hy, _term_index("Alanine aminotransferase increased"), study_date(c.day1[hy], c.visit_day[hy, -3]),
                study_date(c.day1[hy], hy_end), 2, False, "POSSIBLY RELATED", "DOSE NOT CHANGED"),
    ]


def ae_frame(c: Cohort, doses: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """AE: every adverse event of the full trajectory, sorted and numbered per subject."""
    blocks = [_background(c, rng), _infusion_reactions(c, doses, rng), *_clinical_course(c, rng)]
    ev = {k: np.concatenate([b[k] for b in blocks]) for k in blocks[0]}
    order = np.lexsort((ev["term"], ev["start"], ev["subj"]))
    ev = {k: v[order] for k, v in ev.items()}
    subj, n = ev["subj"], ev["subj"].size
    last = c.last_date[subj].astype("datetime64[m]")
    ends_in_study = ev["end"].astype("datetime64[D]") <= last.astype("datetime64[D]")
    end = np.where(ends_in_study, ev["end"], np.datetime64("NaT", "m"))
    sev1 = ev["sev"].astype(np.int64)
    ser1 = ev["ser"].astype(bool)
    sev0, ser0, upd = _first_reports(rng, ev, end, sev1, ser1)
    catalog = np.array(CATALOG, dtype=object)
    decod, bodsys, verbatim = catalog[ev["term"], 1], catalog[ev["term"], 0], catalog[ev["term"], 2].copy()
    start_month, end_month = _partial_dates(rng, n, ev, end)
    _mark_verbatim(verbatim, decod)
    dead = ~np.isnan(c.death_day[subj])
    open_outcome = np.where(dead, NOT_RECOVERED, np.where(rng.random(n) < 0.7, RECOVERING, NOT_RECOVERED))
    day1 = c.day1[subj]
    last_dose = float(c.dose_days[-1])
    stdy = np.where(start_month, np.nan, study_day(ev["start"], day1))
    acn = np.where(study_day(ev["start"], day1) > last_dose, "NOT APPLICABLE", ev["acn"]).astype(object)
    return sdtm_frame(c.config.study_id, "AE", c.usubjid[subj], {
        "AESEQ": seq_within(subj), "AETERM": verbatim, "AEDECOD": decod, "AEBODSYS": bodsys,
        "AESEV": SEVERITIES[sev1], "AESER": np.where(ser1, "Y", "N").astype(object), "AEACN": acn,
        "AEREL": ev["rel"].astype(object), "AEOUT": np.full(n, "", dtype=object),
        "AESDTH": np.full(n, "N", dtype=object),
        "EPOCH": np.where(study_day(ev["start"], day1) <= last_dose, "TREATMENT", "FOLLOW-UP").astype(object),
        "AESTDTC": fmt_times(ev["start"], ev["with_time"], start_month), "AEENDTC": np.full(n, "", dtype=object),
        "AESTDY": stdy, "AEENDY": np.full(n, np.nan),
    }, {"_subj": subj, "_t": ev["start"], "_end": end, "_last": last, "_upd": upd, "_fatal": ev["fatal"],
        "_sev0": SEVERITIES[sev0], "_ser0": np.where(ser0, "Y", "N"),
        "_open": open_outcome.astype(object), "_end_month": end_month, "_day1": day1})


def _first_reports(rng: np.random.Generator, ev: dict[str, np.ndarray], end: np.ndarray, sev: np.ndarray,
                   serious: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Severity and seriousness as first reported, and when the final values became known.

    Some AEs are upgraded one severity grade part-way through; some serious AEs are first reported
    as non-serious and become serious when they end or a week after onset, whichever comes first;
    respiratory AEs leading to intubation become serious on the intubation date (`serious_from`).
    """
    n = sev.size
    start = ev["start"].astype("datetime64[D]")
    duration = (end.astype("datetime64[D]") - start).astype(float)
    duration[np.isnat(end)] = 20.0
    upgraded = (rng.random(n) < UPDATE_RATE) & (duration >= 3) & (sev > 0) & ~ev["fatal"]
    made_serious = serious & (rng.random(n) < SERIOUS_LATER_RATE) & (duration >= 2) & np.isnat(ev["serious_from"])
    upgrade_day = np.floor(rng.random(n) * (np.maximum(duration, 1) - 1)).astype(np.int64) + 1
    known_day = np.where(made_serious, np.minimum(duration, 7), upgrade_day).astype(np.int64)
    upd = np.where(upgraded | made_serious, start + known_day.astype("timedelta64[D]"), np.datetime64("NaT", "D"))
    upd = upd.astype("datetime64[m]")
    serious_later = ev["serious_from"] > ev["start"]
    upd = np.where(serious_later, ev["serious_from"], upd)
    return np.where(upgraded, sev - 1, sev), serious & ~made_serious & ~serious_later, upd


def _partial_dates(rng: np.random.Generator, n: int, ev: dict[str, np.ndarray], end: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Masks of the (ordinary, untimed) AEs whose start or end is recorded as YYYY-MM only."""
    plain = ~ev["with_time"] & ~ev["fatal"]
    start_month = np.zeros(n, bool)
    start_month[rng.permutation(np.flatnonzero(plain))[: max(2, round(n * 0.002))]] = True
    end_month = np.zeros(n, bool)
    candidates = np.flatnonzero(plain & ~start_month & ~np.isnat(end))
    end_month[rng.permutation(candidates)[: max(1, round(n * 0.001))]] = True
    return start_month, end_month


def _mark_verbatim(verbatim: np.ndarray, decod: np.ndarray) -> None:
    """One verbatim term in French with a non-ASCII character, as sites sometimes enter them."""
    pyrexia = np.flatnonzero(decod == "Pyrexia")
    if pyrexia.size:
        verbatim[pyrexia[0]] = "Fièvre"

