"""Drafting the schedule of a configuration: visits (TV, else SV or the findings), dosing (EX), follow-up."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from dashboard.ingest.readers import SourceTable
from dashboard.trials.export import frame, study_days, text
from dashboard.trials.render import Field, Section, guessed, sections
from dashboard.trials.visits import is_unplanned, visit_domains

_UNSCHEDULED = re.compile(r"UNSCHED|UNPLANNED")     # numbered per occurrence: never part of a schedule
_LENGTH = re.compile(r"^\s*P?(\d+(?:\.\d+)?)\s*([DWMY]|DAYS?|WEEKS?|MONTHS?|YEARS?)\s*$", re.IGNORECASE)
_UNIT_DAYS = {"D": 1, "W": 7, "M": 30.4375, "Y": 365.25}


def ts_value(ts: pd.DataFrame, code: str) -> str | None:
    """The first TSVAL of a TS parameter (by TSSEQ), or None."""
    if ts.empty or not {"TSPARMCD", "TSVAL"} <= set(ts.columns):
        return None
    rows = ts[text(ts["TSPARMCD"]).str.upper().eq(code).fillna(False)]
    if "TSSEQ" in rows:
        rows = rows.sort_values("TSSEQ", kind="stable")
    values = text(rows["TSVAL"]).dropna()
    return str(values.iloc[0]) if len(values) else None


def length_days(value: str | None) -> int | None:
    """A duration in days from TS LENGTH ('26 weeks', 'P26W', '182 days'), else None."""
    match = _LENGTH.match(value or "")
    if not match:
        return None
    return round(float(match.group(1)) * _UNIT_DAYS[match.group(2)[0].upper()])


def _record_days(source: pd.DataFrame, domain: str, dm: pd.DataFrame) -> pd.Series:
    """Study day of each record: --DY / --STDY as delivered, else its date against DM RFSTDTC."""
    p = domain[:2]
    for column in (f"{p}DY", f"{p}STDY"):
        if column in source and source[column].notna().any():
            return pd.to_numeric(source[column], errors="coerce")
    for column in (f"{p}STDT", f"{p}DT"):
        if column in source and "USUBJID" in source:
            return study_days(source[column], source["USUBJID"], dm)
    return pd.Series(np.nan, index=source.index)


def _visit_records(tables: Mapping[str, SourceTable], dm: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """NUM, NAME, VISITDY (planned, when delivered) and DAY (actual study day) of every visit record, and
    which domain(s) they come from: SV when the export has it, else every domain with visits."""
    domains = ["SV"] if "SV" in tables else visit_domains(tables)
    parts = []
    for domain in domains:
        source = frame(tables, domain)
        if not {"VISITNUM", "VISIT"} <= set(source.columns):
            continue
        planned = source["VISITDY"] if "VISITDY" in source else pd.Series(np.nan, index=source.index)
        parts.append(pd.DataFrame({"NUM": pd.to_numeric(source["VISITNUM"], errors="coerce"),
                                   "NAME": text(source["VISIT"]), "VISITDY": pd.to_numeric(planned, errors="coerce"),
                                   "DAY": _record_days(source, domain, dm)}))
    records = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["NUM", "NAME", "VISITDY", "DAY"])
    return records.dropna(subset=["NUM", "NAME"]), "/".join(domains)


def _one_name_per_number(pairs: pd.DataFrame) -> tuple[pd.DataFrame, dict[float, str]]:
    """Where one VISITNUM carries several names, the scheduled name with most records; the others noted."""
    pairs = pairs.assign(UNPLANNED=pairs["NAME"].map(is_unplanned))
    pairs = pairs.sort_values(["NUM", "UNPLANNED", "ROWS"], ascending=[True, True, False], kind="stable")
    others = {num: ", ".join(repr(n) for n in group["NAME"].iloc[1:])
              for num, group in pairs.groupby("NUM") if len(group) > 1}
    return pairs.drop_duplicates("NUM"), others


def _window(days: pd.Series, planned: float) -> int:
    """Days either side of the planned day that hold 90 % of the actual visits (a guess at the window)."""
    off = (days.dropna() - planned).abs()
    return int(math.ceil(off.quantile(0.9))) if len(off) else 0


def _visit_fields(num: float, name: str, records: pd.DataFrame, source: str, other_names: str) -> list[Field]:
    """The keys of one drafted visit."""
    note = f"; the same VISITNUM also names {other_names}" if other_names else ""
    fields = [Field("num", num, f"from {source}{note}" if not note else f"guessed: scheduled name kept{note}"),
              Field("name", name)]
    if is_unplanned(name):
        return [*fields, Field("day", None, "unplanned visit: no planned study day")]
    delivered = records["VISITDY"].dropna()
    if len(delivered):
        day = int(delivered.median())
        fields.append(Field("day", day, f"from {source} VISITDY"))
    elif records["DAY"].notna().any():
        day = int(round(records["DAY"].median()))
        spread = _window(records["DAY"], day)
        if spread > max(7, abs(day) // 2):       # days all over the place: a visit driven by events, not a plan
            return [*fields, guessed("day", None, f"no VISITDY; study days spread from {records['DAY'].min():g} to "
                                                  f"{records['DAY'].max():g}: an event-driven visit")]
        fields.append(guessed("day", day, f"median study day of {records['DAY'].notna().sum()} records "
                                          "(no VISITDY delivered)"))
    else:
        return [*fields, guessed("day", None, "no VISITDY and no dated record: no planned day")]
    window = _window(records["DAY"], day)
    return [*fields, guessed("window", window, "days either side of the planned day holding 90 % of the actual "
                                               "visits; set it from the protocol")]


def visits_from_tv(tv: pd.DataFrame) -> list[Section]:
    """The schedule as the trial design domain TV gives it."""
    rows = []
    tv = tv.assign(NUM=pd.to_numeric(tv["VISITNUM"], errors="coerce"), NAME=text(tv["VISIT"])).dropna(
        subset=["NUM", "NAME"]).drop_duplicates("NUM").sort_values("NUM")
    for _, visit in tv.iterrows():
        planned = visit.get("VISITDY")
        fields = [Field("num", float(visit["NUM"]), "from TV"), Field("name", str(visit["NAME"]))]
        if is_unplanned(visit["NAME"]) or planned is None or pd.isna(planned):
            fields.append(Field("day", None, "TV gives no planned study day"))
        else:
            fields += [Field("day", int(planned), "from TV VISITDY"),
                       guessed("window", 0, "TV gives no window here; set it from the protocol")]
        rows.append(fields)
    return sections("visits", rows, ("Scheduled visits: VISITNUM, name, planned study day, window in days "
                                     "either side (from the trial design domain TV).",))


def draft_visits(tables: Mapping[str, SourceTable], dm: pd.DataFrame) -> list[Section]:
    """Visits from TV, else the distinct VISITNUM/VISIT pairs of SV (else of the findings and events)."""
    tv = frame(tables, "TV")
    if not tv.empty and {"VISITNUM", "VISIT"} <= set(tv.columns):
        return visits_from_tv(tv)
    records, source = _visit_records(tables, dm)
    records = records[~records["NAME"].str.upper().str.contains(_UNSCHEDULED)]
    if records.empty:
        return []
    pairs = records.groupby(["NUM", "NAME"], as_index=False).size().rename(columns={"size": "ROWS"})
    pairs, others = _one_name_per_number(pairs)
    pairs = pairs.sort_values("ROWS", ascending=False, kind="stable").drop_duplicates("NAME").sort_values("NUM")
    rows = [_visit_fields(float(p.NUM), str(p.NAME), records[(records["NUM"] == p.NUM) & (records["NAME"] == p.NAME)],
                          source, others.get(p.NUM, "")) for p in pairs.itertuples()]
    comment = (f"Visits drafted from the distinct VISITNUM/VISIT pairs of {source} (the export has no TV);",
               "unscheduled visits are left out: the loader warns about them and leaves them as delivered.")
    return sections("visits", rows, comment)


def _exposure(ex: pd.DataFrame) -> pd.DataFrame:
    """USUBJID, START, END (END = START when EXENDTC is missing) of every dated EX record, by subject and date."""
    start = pd.to_datetime(ex.get("EXSTDT", pd.Series(pd.NaT, index=ex.index)))
    end = pd.to_datetime(ex.get("EXENDT", pd.Series(pd.NaT, index=ex.index))).fillna(start)
    records = pd.DataFrame({"USUBJID": ex["USUBJID"], "START": start, "END": end}).dropna(subset=["START"])
    return records.sort_values(["USUBJID", "START"], kind="stable")


def _regimen(records: pd.DataFrame) -> tuple[str, str]:
    """continuous (records spanning days, back to back), cycles (spanning, with gaps) or infusions (same-day)."""
    spanning = (records["END"] > records["START"]).mean()
    gaps = (records.groupby("USUBJID")["START"].shift(-1) - records["END"]).dt.days.dropna()
    if spanning < 0.5:
        return "infusions", f"{1 - spanning:.0%} of EX records start and end on the same day"
    if len(gaps) == 0 or gaps.median() <= 1:
        return "continuous", (f"{spanning:.0%} of EX records span several days (EXENDTC after EXSTDTC), "
                              f"{records.groupby('USUBJID').size().median():g} records per subject (median), "
                              "back to back")
    return "cycles", f"{spanning:.0%} of EX records span several days, {gaps.median():g} days between them (median)"


def draft_dosing(ex: pd.DataFrame, ts: pd.DataFrame) -> Section:
    """Regimen, planned doses, interval and duration, estimated from EX (and TS LENGTH)."""
    comment = ("Dosing: regimen 'infusions' (discrete doses; infusion-window displays apply), 'continuous' "
               "(daily over a period) or 'cycles'.",)
    if ex.empty or "USUBJID" not in ex:
        return Section("dosing", (guessed("regimen", "infusions", "the export has no EX: set the regimen"),
                                  guessed("planned_doses", 1, "the export has no EX"),
                                  guessed("interval_days", 1, "the export has no EX")), comment=comment)
    records = _exposure(ex)
    regimen, why = _regimen(records)
    per_subject = records.groupby("USUBJID").size()
    starts = records.drop_duplicates(["USUBJID", "START"])
    interval = (starts.groupby("USUBJID")["START"].diff().dt.days.dropna())
    fields = [guessed("regimen", regimen, why)]
    if regimen == "continuous":
        fields += _continuous(records, ts)
    else:
        doses = int(per_subject.value_counts().sort_index(ascending=False).idxmax()) if len(per_subject) else 1
        fields += [guessed("planned_doses", doses, f"the most common number of EX records per subject "
                                                   f"(range {per_subject.min()}-{per_subject.max()})"),
                   guessed("interval_days", max(int(interval.median()), 1) if len(interval) else 1,
                           "median days between a subject's consecutive doses")]
        if regimen == "infusions":
            fields.append(guessed("infusion_reaction_window_hours", 72, "the usual 72 h; set it from the protocol"))
    return Section("dosing", tuple(fields), comment=comment)


def _continuous(records: pd.DataFrame, ts: pd.DataFrame) -> list[Field]:
    """Planned days on treatment: TS LENGTH when it reads as a duration, else from the exposure in EX."""
    length = ts_value(ts, "LENGTH")
    days = length_days(length)
    if days:
        duration = Field("planned_duration_days", days, f"from TS LENGTH {length!r}")
    else:
        exposure = (records.groupby("USUBJID")["END"].max() - records.groupby("USUBJID")["START"].min()).dt.days + 1
        days = int(exposure.quantile(0.9))
        duration = guessed("planned_duration_days", days, "90th percentile of days from first to last EX date per "
                                                          "subject (TS has no LENGTH)")
    return [duration, Field("planned_doses", days, "continuous regimen: the planned days on treatment"),
            guessed("interval_days", 1, "daily dosing")]


def draft_followup(visits: list[Section], ts: pd.DataFrame) -> Section:
    """Follow-up length: the latest planned visit day, else TS LENGTH, else 28 days."""
    days = [s.get("day") for s in visits if isinstance(s.get("day"), int)]
    if days:
        value = guessed("days", max(max(days), 1), "the latest planned visit day")
    elif length_days(ts_value(ts, "LENGTH")):
        value = guessed("days", length_days(ts_value(ts, "LENGTH")), "TS LENGTH")
    else:
        value = guessed("days", 28, "no planned visit day and no TS LENGTH: a placeholder")
    return Section("followup", (value,), comment=("Follow-up: the study day observation ends for a subject "
                                                  "who completes.",))
