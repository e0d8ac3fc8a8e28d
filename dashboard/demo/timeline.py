"""Subject-level trajectory of a synthetic trial: who is screened, randomized, treated, and what happens.

Everything here is the *full* trajectory, independent of any cut date; `dashboard.demo.cut` later
keeps only what had happened by a cut date. Days are SDTM study days (day 1 = first infusion, no day 0).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from dashboard.config import TrialConfig

NAT = np.datetime64("NaT", "D")

# Per 29 randomized subjects, as in NCT05019287.
SCREEN_FAILURES_PER_RANDOMIZED = 10 / 29
NOT_ASSIGNED_PER_RANDOMIZED = 1.5 / 29
DAILY_LABS_FROM = 1000            # randomized subjects from which in-hospital daily labs are added
DEATH_RATE = {True: 0.07, False: 0.14}          # keyed by "actual arm is the active arm"
EXTRA_INTUBATION_RATE = {True: 0.07, False: 0.07}
SCREEN_FAILURE_WEIGHTS = {"IN02": 4.0, "EX02": 2.0, "IN03": 1.5}
COMORBIDITIES = ("HYPERTENSION", "DIABETES MELLITUS", "OBESITY", "NONE", "NONE", "ASTHMA",
                 "ISCHAEMIC HEART DISEASE", "CHRONIC KIDNEY DISEASE")


@dataclass(frozen=True)
class Scale:
    """How many subjects of each kind, where, and over how many screening days."""

    randomized: int
    screen_failures: int
    not_assigned: int
    sites: tuple[str, ...]
    screening_days: int
    pause_start: int
    pause_days: int
    daily_labs: bool

    @property
    def screened(self) -> int:
        return self.randomized + self.screen_failures + self.not_assigned


@dataclass
class Cohort:
    """One array entry per screened subject, ordered by USUBJID; NaN / NaT where not applicable."""

    config: TrialConfig
    scale: Scale
    usubjid: np.ndarray
    subjid: np.ndarray
    siteid: np.ndarray
    status: np.ndarray            # "R" randomized, "SF" screen failure, "NA" consented, not assigned
    screen: np.ndarray            # datetime64[D]: consent and screening visit
    sf_date: np.ndarray
    ie_codes: np.ndarray          # object: tuple of failed criteria codes (screen failures)
    age: np.ndarray
    sex: np.ndarray
    race: np.ndarray
    comorb: np.ndarray
    randno: np.ndarray
    rand_date: np.ndarray
    day1: np.ndarray
    armcd: np.ndarray
    actarmcd: np.ndarray
    death_day: np.ndarray
    intub_day: np.ndarray
    extub_day: np.ndarray
    withdraw_day: np.ndarray
    discharge_day: np.ndarray
    admit_date: np.ndarray
    completion_day: np.ndarray
    last_day: np.ndarray          # study day of last contact (completion, death or withdrawal)
    benefit: np.ndarray           # how strongly the subject recovers (negative: deteriorates)
    visit_day: np.ndarray         # (subjects, scheduled visits) study days, NaN if never done
    hys_law: np.ndarray
    spo2_deviation: np.ndarray
    irr_withdrawal_day: np.ndarray  # dose day of an infusion reaction that stopped treatment

    @property
    def randomized(self) -> np.ndarray:
        return self.status == "R"

    @property
    def active(self) -> np.ndarray:
        """Subjects whose actual arm is the first (active) arm of the configuration."""
        return self.actarmcd == self.config.arms[0].code

    @property
    def last_date(self) -> np.ndarray:
        return study_date(self.day1, self.last_day)

    @property
    def dose_days(self) -> np.ndarray:
        c = self.config
        return 1 + c.dose_interval_days * np.arange(c.planned_doses)


def study_date(day1: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Calendar dates of study days (no day 0); NaT where the day or day 1 is missing."""
    day1, day = np.broadcast_arrays(np.asarray(day1, "datetime64[D]"), np.asarray(day, float))
    out = np.full(day.shape, NAT)
    ok = ~np.isnan(day) & ~np.isnat(day1)
    d = day[ok].astype(np.int64)
    out[ok] = day1[ok] + (d - (d >= 1)).astype("timedelta64[D]")
    return out


def study_day(date: np.ndarray, day1: np.ndarray) -> np.ndarray:
    """SDTM study days of dates (float, NaN where unknown)."""
    date, day1 = np.broadcast_arrays(np.asarray(date).astype("datetime64[D]"), np.asarray(day1, "datetime64[D]"))
    out = np.full(date.shape, np.nan)
    ok = ~np.isnat(date) & ~np.isnat(day1)
    diff = (date[ok] - day1[ok]).astype(np.int64)
    out[ok] = diff + (diff >= 0)
    return out


def plan_scale(config: TrialConfig, subjects: int | None, sites: int | None) -> Scale:
    """Subject counts and screening period; the period grows with the number of subjects per site."""
    randomized = subjects or config.target_enrollment
    site_ids = (config.sites or ("01",)) if sites is None else tuple(f"{i:02d}" for i in range(1, sites + 1))
    if config.planned_end is not None:
        planned = (config.planned_end - config.first_randomization_planned).days
    else:
        planned = round(7 * config.target_enrollment / (config.planned_rate_per_week or 1.0))
    per_site = randomized / len(site_ids) / (config.target_enrollment / max(len(config.sites), 1))
    days = max(7, round(0.9 * planned * per_site))
    return Scale(randomized=randomized,
                 screen_failures=round(randomized * SCREEN_FAILURES_PER_RANDOMIZED),
                 not_assigned=max(1, round(randomized * NOT_ASSIGNED_PER_RANDOMIZED)),
                 sites=site_ids, screening_days=days, pause_start=round(0.4 * days),
                 pause_days=round(0.2 * days), daily_labs=randomized >= DAILY_LABS_FROM)


def pick(rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
    """A boolean mask choosing `n` (at most all) of the True entries of `pool`."""
    idx = np.flatnonzero(pool)
    mask = np.zeros(pool.shape, bool)
    mask[rng.choice(idx, size=min(n, idx.size), replace=False)] = True
    return mask


def permuted_blocks(rng: np.random.Generator, n: int, codes: tuple[str, ...]) -> np.ndarray:
    """Arm codes for `n` subjects in shuffled blocks of 2k or k; a remainder takes arms in order."""
    k = len(codes)
    out: list[str] = []
    while n - len(out) >= k:
        size = 2 * k if n - len(out) >= 2 * k and rng.random() < 0.6 else k
        out.extend(rng.permutation(np.repeat(codes, size // k)).tolist())
    out.extend(codes[: n - len(out)])
    return np.array(out, dtype=object)


def _screening_dates(rng: np.random.Generator, config: TrialConfig, scale: Scale) -> np.ndarray:
    """Sorted screening dates, uniform over the period with a pause in the middle."""
    active_days = scale.screening_days - scale.pause_days
    day = np.sort(np.floor(rng.uniform(0, active_days, scale.screened))).astype(np.int64)
    day += np.where(day >= scale.pause_start, scale.pause_days, 0)
    start = np.datetime64(config.first_randomization_planned, "D")
    return start + day.astype("timedelta64[D]")


def _subject_ids(rng: np.random.Generator, config: TrialConfig, scale: Scale) -> tuple[np.ndarray, ...]:
    """SITEID, SUBJID and USUBJID, numbered within site in screening order."""
    weights = rng.gamma(3.0, size=len(scale.sites))
    site = rng.choice(len(scale.sites), size=scale.screened, p=weights / weights.sum())
    order = np.argsort(site, kind="stable")
    number = np.empty(scale.screened, np.int64)
    counts = np.bincount(site, minlength=len(scale.sites))
    number[order] = np.arange(scale.screened) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    width = max(3, len(str(number.max())))
    siteid = np.array(scale.sites, dtype=object)[site]
    subjid = np.array([f"{s}-{n:0{width}d}" for s, n in zip(siteid, number)], dtype=object)
    usubjid = np.array([f"{config.study_id}-{s}" for s in subjid], dtype=object)
    return siteid, subjid, usubjid


def _screen_failure_reasons(rng: np.random.Generator, config: TrialConfig, n: int) -> np.ndarray:
    """One failed criterion per screen failure, a second one for about one in six."""
    codes = np.array(list(config.screen_failure_reasons) or ["IN02"], dtype=object)
    w = np.array([SCREEN_FAILURE_WEIGHTS.get(c, 1.0) for c in codes])
    first = rng.choice(codes.size, size=n, p=w / w.sum())
    second = (first + rng.integers(1, max(codes.size, 2), size=n)) % codes.size
    two = (rng.random(n) < 0.17) & (codes.size > 1)
    out = np.empty(n, dtype=object)
    out[:] = [tuple(sorted({codes[a], codes[b]})) if t else (codes[a],) for a, b, t in zip(first, second, two)]
    return out


def build_cohort(config: TrialConfig, scale: Scale, rng: np.random.Generator) -> Cohort:
    """The full trajectory of every screened subject."""
    m = scale.screened
    screen = _screening_dates(rng, config, scale)
    siteid, subjid, usubjid = _subject_ids(rng, config, scale)
    status = rng.permutation(np.repeat(np.array(["R", "SF", "NA"], dtype=object),
                                       [scale.randomized, scale.screen_failures, scale.not_assigned]))
    rand = status == "R"
    sf = status == "SF"
    # Demographics.
    age = np.clip(np.round(rng.normal(52, 12, m)), 25, 75).astype(np.int64)
    sex = np.where(rng.random(m) < 0.6, "M", "F").astype(object)
    race = rng.choice(np.array(["WHITE", "ASIAN", "OTHER"], dtype=object), size=m, p=[0.9, 0.06, 0.04])
    comorb = rng.choice(np.array(COMORBIDITIES, dtype=object), size=m)
    ie_codes = np.empty(m, dtype=object)
    ie_codes[:] = [()] * m
    ie_codes[sf] = _screen_failure_reasons(rng, config, int(sf.sum()))
    pregnant = np.array(["EX14" in c for c in ie_codes])
    sex[pregnant] = "F"
    age[pregnant] = rng.integers(25, 42, size=int(pregnant.sum()))
    age_fail = sf & np.array(["IN03" in c for c in ie_codes])
    age[age_fail] = np.where(pregnant[age_fail], rng.integers(21, 25, size=int(age_fail.sum())),
                             rng.choice([21, 22, 23, 24, 77, 79, 81], size=int(age_fail.sum())))
    sf_date = np.where(sf, screen + rng.integers(0, 2, m).astype("timedelta64[D]"), NAT)
    # Randomization, in screening order.
    rank = np.cumsum(rand) - 1
    width = max(3, len(str(scale.randomized)))
    randno = np.where(rand, [f"R{r + 1:0{width}d}" for r in rank], "").astype(object)
    arms = permuted_blocks(rng, scale.randomized, config.arm_codes)
    armcd = np.full(m, "", dtype=object)
    armcd[rand] = arms
    rand_date = np.where(rand, screen + np.timedelta64(1, "D"), NAT)
    day1 = np.where(rand, rand_date + rng.integers(0, 2, m).astype("timedelta64[D]"), NAT)
    actarmcd = armcd.copy()
    swapped = pick(rng, rand, max(1, round(scale.randomized / 500)))
    other = {a: b for a, b in zip(config.arm_codes, config.arm_codes[1:] + config.arm_codes[:1])}
    actarmcd[swapped] = [other[a] for a in armcd[swapped]]
    cohort = Cohort(config=config, scale=scale, usubjid=usubjid, subjid=subjid, siteid=siteid, status=status,
                    screen=screen, sf_date=sf_date, ie_codes=ie_codes, age=age, sex=sex, race=race,
                    comorb=comorb, randno=randno, rand_date=rand_date, day1=day1, armcd=armcd,
                    actarmcd=actarmcd, **_empty_fates(m, len(config.visits)))
    _add_fates(cohort, rng)
    _add_special_cases(cohort, rng)
    return _sorted_by_usubjid(cohort)


def _empty_fates(m: int, n_visits: int) -> dict[str, np.ndarray]:
    nan = np.full(m, np.nan)
    return dict(death_day=nan.copy(), intub_day=nan.copy(), extub_day=nan.copy(), withdraw_day=nan.copy(),
                discharge_day=nan.copy(), admit_date=np.full(m, NAT), completion_day=nan.copy(),
                last_day=nan.copy(), benefit=np.zeros(m), visit_day=np.full((m, n_visits), np.nan),
                hys_law=np.zeros(m, bool), spo2_deviation=np.zeros(m, bool), irr_withdrawal_day=nan.copy())


def _per_arm_pick(c: Cohort, rng: np.random.Generator, pool: np.ndarray, rates: dict[bool, float]) -> np.ndarray:
    """Choose round(rate x arm size) subjects of `pool` in each actual arm."""
    mask = np.zeros(pool.shape, bool)
    for code in c.config.arm_codes:
        in_arm = c.actarmcd == code
        n = round(rates[code == c.config.arms[0].code] * int((in_arm & c.randomized).sum()))
        mask |= pick(rng, pool & in_arm, n)
    return mask


def _add_fates(c: Cohort, rng: np.random.Generator) -> None:
    """Deaths, intubations, withdrawals, visit days, discharge and recovery strength."""
    m, rand, active = c.usubjid.size, c.randomized, c.active
    dies = _per_arm_pick(c, rng, rand, DEATH_RATE)
    c.death_day[dies] = rng.integers(4, 24, size=int(dies.sum()))
    c.intub_day[dies] = np.maximum(2, c.death_day[dies] - rng.integers(2, 7, size=int(dies.sum())))
    intubated = _per_arm_pick(c, rng, rand & ~dies, EXTRA_INTUBATION_RATE)
    c.intub_day[intubated] = rng.integers(2, 10, size=int(intubated.sum()))
    c.extub_day[intubated] = c.intub_day[intubated] + rng.integers(4, 13, size=int(intubated.sum()))
    withdraws = pick(rng, rand & np.isnan(c.intub_day), max(1, round(c.scale.randomized / 100)))
    c.withdraw_day[withdraws] = rng.integers(3, 11, size=int(withdraws.sum()))
    for j, visit in enumerate(c.config.visits):
        if visit.day < 1:
            c.visit_day[:, j] = study_day(c.screen, c.day1)
        else:
            c.visit_day[rand, j] = visit.day + rng.integers(-visit.window, visit.window + 1, size=int(rand.sum()))
    c.visit_day[~rand, 0] = -1.0
    completes = rand & ~dies & ~withdraws
    c.completion_day[completes] = c.visit_day[completes, -1]
    c.last_day[:] = np.fmin(np.fmin(c.death_day, c.withdraw_day), c.completion_day)
    stay = 5 + rng.gamma(2.0, 3.5, m) * np.where(active, 0.8, 1.0)
    discharge = np.where(np.isnan(c.extub_day), np.round(stay), c.extub_day + rng.integers(3, 9, m))
    c.discharge_day[:] = np.where(rand & ~dies & (discharge < c.last_day), discharge, np.nan)
    c.admit_date[:] = np.where(rand, c.screen - rng.integers(1, 6, m).astype("timedelta64[D]"), NAT)
    base = np.where(active, 1.35, 1.0) * np.where(np.isnan(c.intub_day), 1.0, 0.6)
    c.benefit[:] = np.where(rand, np.where(dies, -0.6, base) * rng.normal(1.0, 0.2, m), 0.0)
    c.visit_day[rand] = np.where(_visit_done(c)[rand], c.visit_day[rand], np.nan)


def _visit_done(c: Cohort) -> np.ndarray:
    """Whether each scheduled visit happened: before death / withdrawal, up to completion."""
    before_death = np.isnan(c.death_day)[:, None] | (c.visit_day < c.death_day[:, None])
    before_withdrawal = np.isnan(c.withdraw_day)[:, None] | (c.visit_day < c.withdraw_day[:, None])
    return before_death & before_withdrawal


def _add_special_cases(c: Cohort, rng: np.random.Generator) -> None:
    """Eligibility deviations (age 76, SpO2 91), Hy's-law subjects, infusion-reaction withdrawals."""
    rand, n = c.randomized, max(1, round(c.scale.randomized / 500))
    completes = ~np.isnan(c.completion_day)
    old = pick(rng, rand, n)
    c.age[old] = 76
    c.spo2_deviation[:] = pick(rng, rand & ~old, n)
    c.hys_law[:] = pick(rng, completes & np.isnan(c.intub_day), n)
    stops = pick(rng, completes & ~c.hys_law, max(1, round(c.scale.randomized / 200)))
    c.irr_withdrawal_day[stops] = rng.choice(c.dose_days[1:-1], size=int(stops.sum()))


def _sorted_by_usubjid(c: Cohort) -> Cohort:
    """The cohort with every per-subject array reordered by USUBJID."""
    order = np.argsort(c.usubjid, kind="stable")
    for name, value in vars(c).items():
        if isinstance(value, np.ndarray):
            setattr(c, name, value[order])
    return c


def as_date(value: dt.date | str) -> dt.date:
    """A date from a date or an ISO string."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
