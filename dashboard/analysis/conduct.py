"""Trial conduct: exposure as the dosing regimen defines it, and data completeness by visit.

Discrete infusions and cycles are counted against the number planned (`exposure_per_subject`); a continuous
regimen (EX records spanning EXSTDTC to EXENDTC) is described by its duration, the days it covered and the
compliance those days make of the days expected (`continuous_exposure`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from dashboard.analysis.baseline_characteristics import Measure, baseline_measures
from dashboard.analysis.outcomes import study_day, visit_numbers
from dashboard.analysis.recruitment import COMPLETED, column
from dashboard.config import TrialConfig, Visit

EXPOSURE_COLUMNS = ["USUBJID", "SITEID", "DAY1_DT", "received", "due", "missed", "STATUS"]


def exposure_per_subject(randomized: pd.DataFrame, planned_doses: int, interval_days: int,
                         received: pd.Series | None = None) -> pd.DataFrame:
    """Infusions (or cycles) received and due per randomized subject; a dose is due once its day has passed.

    Dose k falls on study day 1 + (k - 1) x interval. Up to the end of observation (the cut, or death or
    withdrawal) the doses on earlier days are due; a completed subject was due every planned dose.
    `received` (USUBJID -> count, e.g. `cycles_started`) replaces the EX record count DOSES.
    """
    interval = max(int(interval_days), 1)
    day_at_end = randomized["DAY_AT_END"].to_numpy(float)
    due = np.ceil((day_at_end - 1) / interval)
    due = np.where(np.isnan(due), planned_doses, np.clip(due, 0, planned_doses))
    due = np.where(randomized["STATUS"].to_numpy() == COMPLETED, planned_doses, due).astype(int)
    out = randomized[["USUBJID", "SITEID", "DAY1_DT"]].reset_index(drop=True)
    given = randomized["DOSES"] if received is None else randomized["USUBJID"].map(received).fillna(0)
    out["received"] = given.to_numpy().astype(int)
    out["due"] = due
    out["missed"] = np.maximum(due - out["received"].to_numpy(), 0)
    out["STATUS"] = randomized["STATUS"].to_numpy()
    return out[EXPOSURE_COLUMNS]


def exposure_distribution(exposure: pd.DataFrame, planned_doses: int) -> pd.DataFrame:
    """Subjects by number of infusions received, 0 to planned (more, if any subject got more), with %."""
    top = max(planned_doses, int(exposure["received"].max()) if len(exposure) else 0)
    counts = exposure["received"].value_counts().reindex(range(top + 1), fill_value=0)
    n = len(exposure)
    return pd.DataFrame({"infusions": counts.index.astype(int), "subjects": counts.to_numpy().astype(int),
                         "pct": 100.0 * counts.to_numpy() / n if n else np.nan})


def exposure_distribution_by_arm(exposure: pd.DataFrame, arm_of: pd.Series, arm_labels: Sequence[str],
                                 planned_doses: int) -> pd.DataFrame:
    """`exposure_distribution` within each arm: arm, arm_n, infusions, subjects, pct of the arm."""
    arm = exposure["USUBJID"].map(arm_of.astype(object))
    top = max(planned_doses, int(exposure["received"].max()) if len(exposure) else 0)
    parts = []
    for label in arm_labels:
        part = exposure_distribution(exposure.loc[(arm == label).to_numpy()], top)
        parts.append(part.assign(arm=label, arm_n=int((arm == label).sum())))
    out = pd.concat(parts, ignore_index=True)
    return out[["arm", "arm_n", "infusions", "subjects", "pct"]]


def exposure_totals(exposure: pd.DataFrame, planned_doses: int) -> pd.Series:
    """Infusions given and due, subjects with every planned infusion, subjects with a missed one."""
    return pd.Series({"subjects": int(len(exposure)), "given": int(exposure["received"].sum()),
                      "due": int(exposure["due"].sum()), "missed": int(exposure["missed"].sum()),
                      "all_planned": int((exposure["received"] >= planned_doses).sum()),
                      "with_missed": int((exposure["missed"] > 0).sum())}, dtype=object)


def missed_dose_listing(exposure: pd.DataFrame, ex: pd.DataFrame) -> pd.DataFrame:
    """Subjects with a missed infusion: received, due, missed and the study days infusions were given."""
    rows = exposure.loc[exposure["missed"] > 0].sort_values("USUBJID", kind="stable")
    columns = ["USUBJID", "SITEID", "day1", "received", "due", "missed", "infusion_days", "status"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    given = ex.loc[ex["USUBJID"].isin(rows["USUBJID"])] if "USUBJID" in ex else pd.DataFrame(columns=["USUBJID"])
    day = pd.to_numeric(column(given, "EXSTDY", "float"), errors="coerce")
    day1 = given["USUBJID"].map(rows.set_index("USUBJID")["DAY1_DT"])
    from_dates = (column(given, "EXSTDT", "date").dt.normalize() - day1).dt.days + 1
    day = day.fillna(from_dates)
    days = (pd.DataFrame({"USUBJID": given["USUBJID"].to_numpy(), "day": day.to_numpy()}).dropna()
            .drop_duplicates().sort_values(["USUBJID", "day"]))
    text = days.assign(day=days["day"].astype(int).astype(str)).groupby("USUBJID")["day"].agg(", ".join)
    return pd.DataFrame({"USUBJID": rows["USUBJID"].to_numpy(), "SITEID": rows["SITEID"].to_numpy(),
                         "day1": rows["DAY1_DT"].dt.date.to_numpy(), "received": rows["received"].to_numpy(),
                         "due": rows["due"].to_numpy(), "missed": rows["missed"].to_numpy(),
                         "infusion_days": rows["USUBJID"].map(text).fillna("none").to_numpy(),
                         "status": rows["STATUS"].to_numpy()}, columns=columns)


def cycles_started(randomized: pd.DataFrame, ex: pd.DataFrame, interval_days: int) -> pd.Series:
    """USUBJID -> cycles started: cycle k spans study days 1 + (k - 1) x interval to k x interval, and a cycle
    counts once whatever the number of EX records in it (daily dosing within a cycle)."""
    interval = max(int(interval_days), 1)
    rows = ex.loc[ex["USUBJID"].isin(randomized["USUBJID"])] if "USUBJID" in ex else ex.iloc[0:0]
    day1 = rows["USUBJID"].map(randomized.set_index("USUBJID")["DAY1_DT"]) if len(rows) else pd.Series(dtype=float)
    day = pd.to_numeric(column(rows, "EXSTDY", "float"), errors="coerce")
    day = day.fillna(study_day(column(rows, "EXSTDT", "date").dt.normalize(), day1))   # no day 0
    cycle = np.floor((day.to_numpy(float) - 1) / interval) + 1
    frame = pd.DataFrame({"USUBJID": rows["USUBJID"].to_numpy(), "cycle": cycle}).dropna()
    frame = frame[frame["cycle"] >= 1]          # a dose before day 1 starts no cycle
    return frame.drop_duplicates().groupby("USUBJID")["cycle"].size().rename("cycles")


CONTINUOUS_COLUMNS = ["USUBJID", "SITEID", "DAY1_DT", "records", "first_dose", "last_dose", "duration_days",
                      "days_covered", "days_expected", "compliance_pct", "end_before_start", "without_end", "STATUS"]


def _covered_days(rows: pd.DataFrame) -> pd.DataFrame:
    """USUBJID, start, end (dates) of EX records -> USUBJID, days covered by their union (overlaps once)."""
    length = ((rows["end"] - rows["start"]).dt.days + 1).to_numpy(int)
    subject = np.repeat(rows["USUBJID"].to_numpy(), length)
    offset = np.arange(length.sum()) - np.repeat(np.cumsum(length) - length, length)
    day = np.repeat(rows["start"].to_numpy(), length) + offset.astype("timedelta64[D]")
    days = pd.DataFrame({"USUBJID": subject, "day": day}).drop_duplicates()
    return days.groupby("USUBJID").size().rename("days_covered")


def continuous_exposure(randomized: pd.DataFrame, ex: pd.DataFrame, planned_duration_days: int) -> pd.DataFrame:
    """Per randomized subject on a continuous regimen (CONTINUOUS_COLUMNS): EX records, first and last day on
    treatment, duration (first EXSTDTC to last EXENDTC, days), days covered by the records, and compliance =
    days covered / days expected, where days expected are the planned days, or fewer when the subject's time on
    study (day 1 to the cut, death or withdrawal) is shorter; a completed subject was expected every planned day.

    A record without EXENDTC covers its start day and is counted in `without_end`: the subject's compliance is then
    not computed (NaN; an ongoing or unrecorded end is not a missed dose). One ending after the end of observation
    is cut there; one ending before it starts covers its start day and is counted in `end_before_start`, never
    dropped."""
    ids = randomized["USUBJID"]
    rows = ex.loc[ex["USUBJID"].isin(ids)] if "USUBJID" in ex else ex.iloc[0:0]
    start = column(rows, "EXSTDT", "date").dt.normalize()
    end = column(rows, "EXENDT", "date").dt.normalize()
    open_ended = (end.isna() & start.notna()).to_numpy()
    end = end.fillna(start)
    backwards = (end < start).to_numpy()
    end = end.where(~backwards, start)
    stop = rows["USUBJID"].map(randomized.set_index("USUBJID")["END_DT"]) if len(rows) else end
    end = end.where(~(end > stop), np.maximum(start, stop))
    spans = pd.DataFrame({"USUBJID": rows["USUBJID"].to_numpy(), "start": start.to_numpy(), "end": end.to_numpy(),
                          "backwards": backwards, "open": open_ended}).dropna(subset=["start"])
    by = spans.groupby("USUBJID")
    out = randomized[["USUBJID", "SITEID", "DAY1_DT"]].reset_index(drop=True)
    out["records"] = ids.map(rows.groupby("USUBJID").size()).fillna(0).astype(int).to_numpy()
    out["first_dose"] = ids.map(by["start"].min()).to_numpy()
    out["last_dose"] = ids.map(by["end"].max()).to_numpy()
    out["duration_days"] = ((out["last_dose"] - out["first_dose"]).dt.days + 1).fillna(0).astype(int)
    covered = _covered_days(spans) if len(spans) else pd.Series(dtype=int)
    out["days_covered"] = ids.map(covered).fillna(0).astype(int).to_numpy()
    on_study = randomized["DAY_AT_END"].to_numpy(float)
    expected = np.fmin(float(planned_duration_days), np.where(np.isnan(on_study), np.inf, np.maximum(on_study, 0)))
    expected = np.where(randomized["STATUS"].to_numpy() == COMPLETED, planned_duration_days, expected).astype(int)
    out["days_expected"] = expected
    out["without_end"] = ids.map(by["open"].sum()).fillna(0).astype(int).to_numpy()
    known = (expected > 0) & (out["without_end"].to_numpy() == 0)
    out["compliance_pct"] = np.where(known, 100.0 * out["days_covered"] / np.maximum(expected, 1), np.nan)
    out["end_before_start"] = ids.map(by["backwards"].sum()).fillna(0).astype(int).to_numpy()
    out["STATUS"] = randomized["STATUS"].to_numpy()
    return out[CONTINUOUS_COLUMNS]


COMPLIANCE_BANDS = ("not dosed", "< 50 %", "50 to < 80 %", "80 to 100 %", "> 100 %", "no day expected yet",
                    "end date missing")


def compliance_band(exposure: pd.DataFrame) -> pd.Series:
    """The COMPLIANCE_BANDS band of each subject of a `continuous_exposure` frame; a subject with no day expected
    yet (dosed, but on study for no full day at the cut), or with an EX record without an end date, has no
    compliance and says so."""
    pct = exposure["compliance_pct"].to_numpy(float)
    bands = np.select([exposure["days_covered"].to_numpy() == 0, exposure["without_end"].to_numpy() > 0,
                       np.isnan(pct), pct < 50, pct < 80, pct <= 100],
                      [COMPLIANCE_BANDS[0], COMPLIANCE_BANDS[6], COMPLIANCE_BANDS[5], *COMPLIANCE_BANDS[1:4]],
                      COMPLIANCE_BANDS[4])
    return pd.Series(bands, index=exposure.index, name="band")


def compliance_distribution(exposure: pd.DataFrame) -> pd.DataFrame:
    """Subjects per compliance band (every band listed), with % of the subjects given."""
    counts = compliance_band(exposure).value_counts().reindex(list(COMPLIANCE_BANDS), fill_value=0)
    n = len(exposure)
    return pd.DataFrame({"band": list(COMPLIANCE_BANDS), "subjects": counts.to_numpy().astype(int),
                         "pct": 100.0 * counts.to_numpy() / n if n else np.nan})


def compliance_distribution_by_arm(exposure: pd.DataFrame, arm_of: pd.Series,
                                   arm_labels: Sequence[str]) -> pd.DataFrame:
    """`compliance_distribution` within each arm: arm, arm_n, band, subjects, pct of the arm."""
    arm = exposure["USUBJID"].map(arm_of.astype(object))
    parts = [compliance_distribution(exposure.loc[(arm == label).to_numpy()])
             .assign(arm=label, arm_n=int((arm == label).sum())) for label in arm_labels]
    return pd.concat(parts, ignore_index=True)[["arm", "arm_n", "band", "subjects", "pct"]]


def continuous_totals(exposure: pd.DataFrame) -> pd.Series:
    """Subjects, dosed, median duration and compliance (dosed subjects), subjects under 80 % compliance."""
    dosed = exposure.loc[exposure["days_covered"] > 0]
    return pd.Series({"subjects": int(len(exposure)), "dosed": int(len(dosed)),
                      "median_duration": float(dosed["duration_days"].median()) if len(dosed) else np.nan,
                      "median_compliance": float(dosed["compliance_pct"].median()) if len(dosed) else np.nan,
                      "below_80": int((exposure["compliance_pct"] < 80).sum()),
                      "end_before_start": int(exposure["end_before_start"].sum()),
                      "without_end": int((exposure["without_end"] > 0).sum())}, dtype=object)


def completeness_measures(config: TrialConfig) -> tuple[Measure, ...]:
    """Measurements followed by visit: every configured outcome, then the safety labs."""
    measures = {}
    for m in [Measure(o.domain, o.testcd, o.label, o.unit) for o in config.outcomes] + list(baseline_measures(config)):
        measures.setdefault(m.testcd, m)
    return tuple(measures.values())


def expected_visits(randomized: pd.DataFrame, visits: Sequence[Visit]) -> pd.DataFrame:
    """USUBJID x VISITNUM: True where a visit was due, i.e. its planned day <= days since day 1 at the end of
    observation (the cut, or death or withdrawal if earlier); a completed subject was due at every visit.
    A visit without a planned day (unscheduled, early termination) is never due: nobody can be expected at it."""
    days = (randomized["END_DT"] - randomized["DAY1_DT"]).dt.days.to_numpy(float)
    done = (randomized["STATUS"] == COMPLETED).to_numpy()
    planned = np.array([np.nan if v.day is None else v.day for v in visits], float)
    due = ((planned[None, :] <= days[:, None]) | done[:, None]) & ~np.isnan(planned)[None, :]
    return pd.DataFrame(due, index=pd.Index(randomized["USUBJID"].to_numpy(), name="USUBJID"),
                        columns=[v.num for v in visits])


def _presence_matrix(parts: Sequence[tuple[pd.Series, np.ndarray]], columns: pd.Index) -> pd.DataFrame:
    """Boolean USUBJID x `columns` matrix from (subject ids, column positions) parts; vectorized, no Python loop
    over rows (ids are factorized once per part, so arrow-backed strings are never materialized)."""
    factorized = [(pd.factorize(ids), positions) for ids, positions in parts]
    subjects = pd.Index(sorted(set().union(*[set(uniques) for (_, uniques), _ in factorized])), dtype=object)
    matrix = np.zeros((len(subjects), len(columns)), dtype=bool)
    for (codes, uniques), positions in factorized:
        rows = subjects.get_indexer(uniques)[codes]
        ok = positions >= 0
        matrix[rows[ok], positions[ok]] = True
    return pd.DataFrame(matrix, index=subjects.rename("USUBJID"), columns=columns)


def visit_presence(domains: Sequence[pd.DataFrame], visits: Sequence[Visit]) -> pd.DataFrame:
    """USUBJID x VISITNUM: True where any record of the given domains carries that scheduled visit."""
    columns = pd.Index([float(v.num) for v in visits], dtype="float64")
    parts = []
    for d in domains:
        if "USUBJID" not in d or d.empty:
            continue
        position = columns.get_indexer(visit_numbers(d, visits))     # on VISITNUM and VISIT, as Outcomes
        keep = position >= 0
        parts.append((d["USUBJID"][keep], position[keep]))
    return _presence_matrix(parts, columns)


def measurement_presence(domains: Mapping[str, pd.DataFrame], measures: Sequence[Measure],
                         visits: Sequence[Visit]) -> pd.DataFrame:
    """USUBJID x (VISITNUM, TESTCD): True where the measurement has a result at that scheduled visit."""
    nums = pd.Index([float(v.num) for v in visits], dtype="float64")
    codes = pd.Index([m.testcd for m in measures])
    columns = pd.MultiIndex.from_product([nums, codes], names=["VISITNUM", "TESTCD"])
    parts = []
    for domain in sorted({m.domain for m in measures}):
        frame = domains.get(domain, pd.DataFrame())
        if frame.empty or "USUBJID" not in frame:
            continue
        p = domain.upper()
        visit = nums.get_indexer(visit_numbers(frame, visits))
        test = codes.get_indexer(column(frame, f"{p}TESTCD"))
        keep = (visit >= 0) & (test >= 0)
        rows = frame[[c for c in ("USUBJID", f"{p}STRESN", f"{p}ORRES") if c in frame]].loc[keep]
        result = recorded_result(rows, p)
        parts.append((rows["USUBJID"][result], (visit[keep] * len(codes) + test[keep])[result]))
    return _presence_matrix(parts, columns)


def recorded_result(frame: pd.DataFrame, prefix: str) -> np.ndarray:
    """True where a findings record has a numeric or a character result."""
    numeric = pd.to_numeric(column(frame, f"{prefix}STRESN", "float"), errors="coerce").notna().to_numpy()
    text = column(frame, f"{prefix}ORRES").fillna("").astype(str).str.strip().ne("").to_numpy()
    return numeric | text


def visit_completeness(expected: pd.DataFrame, presence: pd.DataFrame, visits: Sequence[Visit]) -> pd.DataFrame:
    """Per scheduled visit: subjects due, with a record, missing, and % received."""
    got = presence.reindex(index=expected.index, columns=expected.columns, fill_value=False).to_numpy(bool)
    due = expected.to_numpy(bool)
    n_due = due.sum(axis=0)
    n_got = (due & got).sum(axis=0)
    return pd.DataFrame({"visit": [v.name for v in visits], "visitnum": [v.num for v in visits],
                         "planned_day": [v.day for v in visits], "expected": n_due.astype(int),
                         "received": n_got.astype(int), "missing": (n_due - n_got).astype(int),
                         "pct_received": np.where(n_due > 0, 100.0 * n_got / np.maximum(n_due, 1), np.nan)})


def measurement_completeness(expected: pd.DataFrame, presence: pd.DataFrame, measures: Sequence[Measure],
                             visits: Sequence[Visit]) -> pd.DataFrame:
    """Per visit and measurement: subjects due, with a result, and %; a measurement never recorded at a visit
    anywhere in `presence` counts as not scheduled there (pct is NaN)."""
    ids = expected.index
    got = presence.reindex(index=ids, fill_value=False)
    scheduled = presence.any(axis=0) if len(presence) else pd.Series(False, index=presence.columns)
    rows = []
    for j, visit in enumerate(visits):
        due = expected.iloc[:, j].to_numpy(bool)
        for m in measures:
            key = (visit.num, m.testcd)
            received = int((due & got[key].to_numpy(bool)).sum()) if key in got else 0
            on_schedule = bool(scheduled.get(key, False))
            n_due = int(due.sum())
            rows.append({"visit": visit.name, "visitnum": visit.num, "measure": m.label, "testcd": m.testcd,
                         "scheduled": on_schedule, "expected": n_due, "received": received,
                         "pct_received": 100.0 * received / n_due if on_schedule and n_due else np.nan})
    return pd.DataFrame(rows)
