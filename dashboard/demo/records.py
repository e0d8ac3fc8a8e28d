"""Full-trajectory frames of the event and intervention domains: EX, DS, IE, PR, HO, SE, SUPPDM, randomization.

Each frame carries `_t` (when the record comes into existence; a cut keeps rows with `_t` on or before
it) and, where a value becomes known later, `_end` (that value is blanked while `_end` is after the cut).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.demo.frames import MINUTE, fmt_dates, fmt_times, sdtm_frame, seq_within
from dashboard.demo.timeline import NAT, Cohort, study_date, study_day

PRODUCTS = {"MENSC": "MenSC secretome", "PBO": "Saline 0.9%"}
MISSED_DOSE_RATE = 0.03
INFUSION_MINUTES = (20, 45)


def _arm_labels(c: Cohort) -> dict[str, str]:
    return {a.code: a.label for a in c.config.arms}


def dose_schedule(c: Cohort, rng: np.random.Generator) -> pd.DataFrame:
    """Infusions given: subject index, dose day, start and end time. Missed infusions have no row."""
    rand = np.flatnonzero(c.randomized)
    days = c.dose_days
    subj = np.repeat(rand, days.size)
    day = np.tile(days, rand.size).astype(float)
    start_minute = rng.integers(8 * 60, 12 * 60, subj.size)
    duration = rng.integers(*INFUSION_MINUTES, size=subj.size)
    missed = (rng.random(subj.size) < MISSED_DOSE_RATE) & (day > 1) & (day != c.irr_withdrawal_day[subj])
    given = (day < c.last_day[subj]) & ~(day > c.irr_withdrawal_day[subj]) & ~missed
    subj, day, start_minute, duration = subj[given], day[given], start_minute[given], duration[given]
    start = study_date(c.day1[subj], day).astype("datetime64[m]") + start_minute * MINUTE
    return pd.DataFrame({"subj": subj, "day": day, "start": start, "end": start + duration * MINUTE})


def ex_frame(c: Cohort, doses: pd.DataFrame) -> pd.DataFrame:
    """EX: one record per infusion given."""
    subj, day = doses["subj"].to_numpy(), doses["day"].to_numpy()
    start, end = doses["start"].to_numpy("datetime64[m]"), doses["end"].to_numpy("datetime64[m]")
    visit_of_day = {v.day: v for v in c.config.visits}
    labels = _arm_labels(c)
    product = {code: PRODUCTS.get(code, labels[code]) for code in c.config.arm_codes}
    n = subj.size
    return sdtm_frame(c.config.study_id, "EX", c.usubjid[subj], {
        "EXSEQ": seq_within(subj),
        "EXTRT": np.array([product[a] for a in c.actarmcd[subj]], dtype=object),
        "EXDOSE": np.full(n, 5.0), "EXDOSU": np.full(n, "mL", dtype=object),
        "EXDOSFRM": np.full(n, "SOLUTION", dtype=object), "EXROUTE": np.full(n, "INTRAVENOUS", dtype=object),
        "VISITNUM": np.array([visit_of_day[d].num if d in visit_of_day else np.nan for d in day]),
        "VISIT": np.array([visit_of_day[d].name if d in visit_of_day else "" for d in day], dtype=object),
        "EPOCH": np.full(n, "TREATMENT", dtype=object),
        "EXSTDTC": fmt_times(start), "EXENDTC": fmt_times(end),
        "EXSTDY": day, "EXENDY": day,
    }, {"_t": start})


def _epoch(c: Cohort, day: np.ndarray) -> np.ndarray:
    """SCREENING before day 1, TREATMENT up to the last planned dose day, FOLLOW-UP after."""
    last_dose = float(c.dose_days[-1])
    return np.where(np.isnan(day), "SCREENING", np.where(day <= last_dose, "TREATMENT", "FOLLOW-UP")).astype(object)


def ds_frame(c: Cohort) -> pd.DataFrame:
    """DS: consent, randomization and screen-failure milestones; completion, death, withdrawal."""
    everyone = np.arange(c.usubjid.size)
    rand, sf = np.flatnonzero(c.randomized), np.flatnonzero(c.status == "SF")
    ended = {"COMPLETED": c.completion_day, "DEATH": c.death_day, "WITHDRAWAL BY SUBJECT": c.withdraw_day}
    parts = [(everyone, c.screen, "INFORMED CONSENT OBTAINED", "PROTOCOL MILESTONE", 0),
             (rand, c.rand_date, "RANDOMIZED", "PROTOCOL MILESTONE", 1),
             (sf, c.sf_date, "SCREEN FAILURE", "DISPOSITION EVENT", 2)]
    for k, (decod, day) in enumerate(ended.items()):
        who = np.flatnonzero(~np.isnan(day))
        parts.append((who, study_date(c.day1, day), decod, "DISPOSITION EVENT", 3 + k))
    subj = np.concatenate([p[0] for p in parts])
    date = np.concatenate([p[1][p[0]] for p in parts]).astype("datetime64[D]")
    decod = np.concatenate([np.full(p[0].size, p[2], dtype=object) for p in parts])
    cat = np.concatenate([np.full(p[0].size, p[3], dtype=object) for p in parts])
    rank = np.concatenate([np.full(p[0].size, p[4]) for p in parts])
    order = np.lexsort((rank, date, subj))
    subj, date, decod, cat = subj[order], date[order], decod[order], cat[order]
    dy = study_day(date, c.day1[subj])
    milestone = cat == "PROTOCOL MILESTONE"
    epoch = np.where(milestone | (decod == "SCREEN FAILURE"), "SCREENING", _epoch(c, dy)).astype(object)
    return sdtm_frame(c.config.study_id, "DS", c.usubjid[subj], {
        "DSSEQ": seq_within(subj), "DSTERM": decod, "DSDECOD": decod, "DSCAT": cat, "EPOCH": epoch,
        "DSSTDTC": fmt_dates(date), "DSSTDY": dy,
    }, {"_t": date})


def _criterion_text(text: str) -> tuple[str, str]:
    """(IECAT, IETEST) from a configuration text like 'Exclusion: pregnancy or lactation'."""
    head, _, rest = text.partition(":")
    cat = head.strip().upper() if rest else ""
    test = (rest or text).strip()
    return cat, test[:1].upper() + test[1:]


def ie_frame(c: Cohort) -> pd.DataFrame:
    """IE: the criteria each screen failure did not meet."""
    counts = np.array([len(codes) for codes in c.ie_codes])
    subj = np.repeat(np.arange(c.usubjid.size), counts)
    codes = np.array([code for codes in c.ie_codes for code in codes], dtype=object)
    texts = {code: _criterion_text(text) for code, text in c.config.screen_failure_reasons.items()}
    cat = np.array([texts.get(k, ("", k))[0] or ("INCLUSION" if k.startswith("IN") else "EXCLUSION")
                    for k in codes], dtype=object)
    result = np.where(cat == "INCLUSION", "N", "Y").astype(object)
    date = c.screen[subj]
    return sdtm_frame(c.config.study_id, "IE", c.usubjid[subj], {
        "IESEQ": seq_within(subj), "IETESTCD": codes,
        "IETEST": np.array([texts.get(k, ("", k))[1] for k in codes], dtype=object),
        "IECAT": cat, "IEORRES": result, "IESTRESC": result,
        "VISITNUM": np.full(subj.size, c.config.visits[0].num if c.config.visits else 1.0),
        "VISIT": np.full(subj.size, c.config.visits[0].name if c.config.visits else "SCREENING", dtype=object),
        "IEDTC": fmt_dates(date),
    }, {"_t": date})


def pr_frame(c: Cohort) -> pd.DataFrame:
    """PR: intubations; the end (extubation) is empty for subjects who died intubated."""
    subj = np.flatnonzero(~np.isnan(c.intub_day))
    start, end = study_date(c.day1[subj], c.intub_day[subj]), study_date(c.day1[subj], c.extub_day[subj])
    term = np.full(subj.size, "INTUBATION", dtype=object)
    return sdtm_frame(c.config.study_id, "PR", c.usubjid[subj], {
        "PRSEQ": seq_within(subj), "PRTRT": term, "PRDECOD": term,
        "PRCAT": np.full(subj.size, "RESPIRATORY SUPPORT", dtype=object),
        "PRSTDTC": fmt_dates(start), "PRENDTC": fmt_dates(end),
        "PRSTDY": c.intub_day[subj], "PRENDY": c.extub_day[subj],
    }, {"_t": start, "_end": end})


def ho_frame(c: Cohort) -> pd.DataFrame:
    """HO: the hospital stay of each randomized subject (admitted before screening)."""
    subj = np.flatnonzero(c.randomized)
    admit = c.admit_date[subj]
    discharge = study_date(c.day1[subj], c.discharge_day[subj])
    term = np.full(subj.size, "HOSPITAL", dtype=object)
    return sdtm_frame(c.config.study_id, "HO", c.usubjid[subj], {
        "HOSEQ": seq_within(subj), "HOTERM": term, "HODECOD": term,
        "HOSTDTC": fmt_dates(admit), "HOENDTC": fmt_dates(discharge),
        "HOSTDY": study_day(admit, c.day1[subj]), "HOENDY": c.discharge_day[subj],
    }, {"_t": c.rand_date[subj], "_end": discharge})


def se_frame(c: Cohort, doses: pd.DataFrame) -> pd.DataFrame:
    """SE: screening, treatment (actual arm) and follow-up elements."""
    m = c.usubjid.size
    last_dose = np.full(m, NAT)
    grouped = doses.groupby("subj")["start"].max()
    last_dose[grouped.index.to_numpy()] = grouped.to_numpy().astype("datetime64[D]")
    last_contact = c.last_date
    treat_end = np.fmin(last_dose + np.timedelta64(1, "D"), last_contact)
    screen_end = np.where(c.randomized, c.day1, c.sf_date)
    labels = _arm_labels(c)
    everyone = np.arange(m)
    treated = np.flatnonzero(~np.isnat(last_dose))
    followed = treated[treat_end[treated] < last_contact[treated]]
    parts = [(everyone, np.full(m, "SCRN", dtype=object), np.full(m, "Screening", dtype=object),
              c.screen, screen_end),
             (treated, c.actarmcd[treated], np.array([labels[a] for a in c.actarmcd[treated]], dtype=object),
              c.day1[treated], treat_end[treated]),
             (followed, np.full(followed.size, "FU", dtype=object), np.full(followed.size, "Follow-up", dtype=object),
              treat_end[followed], last_contact[followed])]
    subj = np.concatenate([p[0] for p in parts])
    etcd = np.concatenate([p[1] for p in parts])
    element = np.concatenate([p[2] for p in parts])
    start = np.concatenate([p[3] for p in parts]).astype("datetime64[D]")
    end = np.concatenate([p[4] for p in parts]).astype("datetime64[D]")
    order = np.lexsort((start, subj))
    subj, etcd, element, start, end = subj[order], etcd[order], element[order], start[order], end[order]
    return sdtm_frame(c.config.study_id, "SE", c.usubjid[subj], {
        "SESEQ": seq_within(subj), "ETCD": etcd, "ELEMENT": element,
        "SESTDTC": fmt_dates(start), "SEENDTC": fmt_dates(end),
    }, {"_t": start, "_end": end})


def suppdm_frame(c: Cohort) -> pd.DataFrame:
    """SUPPDM: RANDNO (reveals allocation through the list) and COMORB (harmless)."""
    rand = np.flatnonzero(c.randomized)
    everyone = np.arange(c.usubjid.size)
    subj = np.concatenate([everyone, rand])
    qnam = np.concatenate([np.full(everyone.size, "COMORB", dtype=object), np.full(rand.size, "RANDNO", dtype=object)])
    qlabel = np.where(qnam == "RANDNO", "Randomization Number", "Main Comorbidity").astype(object)
    qval = np.concatenate([c.comorb, c.randno[rand]])
    when = np.concatenate([c.screen, c.rand_date[rand]])
    order = np.lexsort((qnam, subj))
    subj, qnam, qlabel, qval, when = subj[order], qnam[order], qlabel[order], qval[order], when[order]
    frame = sdtm_frame(c.config.study_id, "SUPPDM", c.usubjid[subj], {
        "RDOMAIN": np.full(subj.size, "DM", dtype=object), "IDVAR": np.full(subj.size, "", dtype=object),
        "IDVARVAL": np.full(subj.size, "", dtype=object), "QNAM": qnam, "QLABEL": qlabel, "QVAL": qval,
        "QORIG": np.full(subj.size, "CRF", dtype=object), "QEVAL": np.full(subj.size, "", dtype=object),
    }, {"_t": when})
    return frame.drop(columns=["DOMAIN"])


def randomization_frame(c: Cohort) -> pd.DataFrame:
    """The randomization list: planned arm of each randomized subject."""
    subj = np.flatnonzero(c.randomized)
    labels = _arm_labels(c)
    return pd.DataFrame({"USUBJID": c.usubjid[subj], "RANDNO": c.randno[subj],
                         "RANDDTC": fmt_dates(c.rand_date[subj]), "ARMCD": c.armcd[subj],
                         "ARM": np.array([labels[a] for a in c.armcd[subj]], dtype=object),
                         "_t": c.rand_date[subj]})
