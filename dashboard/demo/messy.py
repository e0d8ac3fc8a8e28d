"""Real-export variants of a clean synthetic export (`demo generate --messy`).

Each variant is a pure function of the clean export's frames (file stem -> frame): the same subjects and
the same clinical facts, delivered the way real SDTM exports deliver them. A loader must read each one
with the expected warnings and the same numbers as the clean export, or refuse it (`contradictory`).

- `visitnum-days`: VISITNUM of scheduled visits is the planned study day (SCREENING -1, DAY 1 1, ...),
  VISIT names unchanged; unscheduled visits have no planned day and keep their number and name.
- `permissible-absent`: variables SDTMIG v3.4 designates Permissible are left out (HODECOD, --DY, EPOCH, ...).
- `mixed-case`: controlled terms the loader compares (DM arm codes for subjects without an arm, DS
  RANDOMIZED / SCREEN FAILURE) in mixed case with surrounding blanks. In XPT files trailing blanks are
  padding, so they survive only in CSV (the demo writes DM and DS as CSV).
- `split-lb`: LB split by LBCAT into lbch / lbhe / lbco / lbim (DOMAIN = LB, LBSEQ unique per subject).
- `dm-allocation-only`: no randomization list; the arms are in DM only.
- `no-randomized`: no randomization list and no DS RANDOMIZED records: no randomization date anywhere.
- `after-cut`: extra AE, LB and VS records dated after the cut date (they must not count anywhere).
- `contradictory`: must be refused: a randomized subject also recorded in DS as a screen failure, and one
  configured VISITNUM paired with a VISIT name the configuration does not have.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from dashboard.config import TrialConfig

Domains = dict[str, pd.DataFrame]
Variant = Callable[[Domains, TrialConfig, dt.date], Domains]

NOT_RANDOMIZED = frozenset({"SCRNFAIL", "NOTASSGN"})
# SDTMIG v3.4 core designation "Perm" for each of these (HODECOD: the case of issue 11). Expected ones
# (DSSTDY, LBSTRESC, AEBODSYS, ...) stay: their absence is a different, warned-about case.
PERMISSIBLE_ABSENT: dict[str, tuple[str, ...]] = {
    "dm": ("ETHNIC", "DMDTC"),
    "ae": ("AESDTH", "EPOCH", "AESTDY", "AEENDY"),
    "ds": ("EPOCH",),
    "ex": ("EPOCH", "EXSTDY", "EXENDY"),
    "ho": ("HODECOD", "HOSTDY", "HOENDY"),
    "pr": ("PRSTDY", "PRENDY"),
    "lb": ("LBDY",),
    "vs": ("VSDY",),
}
# Controlled terms as a real export may spell them; the loader compares them normalized.
MIXED_CASE: dict[tuple[str, str], dict[str, str]] = {
    ("dm", "ARMCD"): {"SCRNFAIL": " Scrnfail", "NOTASSGN": "Notassgn "},
    ("dm", "ACTARMCD"): {"SCRNFAIL": "Scrnfail ", "NOTASSGN": " notassgn", "NOTTRT": "Nottrt "},
    ("ds", "DSDECOD"): {"RANDOMIZED": "Randomized ", "SCREEN FAILURE": " Screen Failure"},
}
# LBCAT -> split file (SDTMIG 4.1.7: a domain may be split into files named by the domain and two letters).
LB_PARTS = {"CHEMISTRY": "lbch", "HEMATOLOGY": "lbhe", "COAGULATION": "lbco", "IMMUNOLOGY": "lbim"}
LB_OTHER_PART = "lbot"
LATE_SUBJECTS = 3          # subjects given records after the cut


def visitnum_days(domains: Domains, config: TrialConfig, cut_date: dt.date) -> Domains:
    """Scheduled visits numbered by their planned study day, in every domain with VISITNUM and VISIT."""
    day_of = {v.name: float(v.day) for v in config.visits if v.day is not None}
    out = dict(domains)
    for name, frame in domains.items():
        if {"VISITNUM", "VISIT"} <= set(frame.columns):
            planned = frame["VISIT"].map(day_of)
            frame = frame.copy()
            frame["VISITNUM"] = planned.where(planned.notna(), _as_float(frame["VISITNUM"]))
            out[name] = frame
    return out


def permissible_absent(domains: Domains, config: TrialConfig, cut_date: dt.date) -> Domains:
    """The Permissible variables of PERMISSIBLE_ABSENT left out of their files."""
    return {name: frame.drop(columns=[c for c in PERMISSIBLE_ABSENT.get(name, ()) if c in frame.columns])
            for name, frame in domains.items()}


def mixed_case(domains: Domains, config: TrialConfig, cut_date: dt.date) -> Domains:
    """The terms of MIXED_CASE respelled; every other value as in the clean export."""
    out = dict(domains)
    for (name, column), spellings in MIXED_CASE.items():
        if name in out and column in out[name].columns:
            frame = out[name].copy()
            frame[column] = frame[column].map(lambda v, s=spellings: s.get(v, v))
            out[name] = frame
    return out


def split_lb(domains: Domains, config: TrialConfig, cut_date: dt.date) -> Domains:
    """LB as one file per LBCAT (in the place of lb), rows in their original order, LBSEQ as delivered."""
    out: Domains = {}
    for name, frame in domains.items():
        if name != "lb":
            out[name] = frame
            continue
        part = frame["LBCAT"].map(LB_PARTS).fillna(LB_OTHER_PART)
        for stem in dict.fromkeys(part):
            out[stem] = frame[(part == stem).to_numpy()].reset_index(drop=True)
    return out


def dm_allocation_only(domains: Domains, config: TrialConfig, cut_date: dt.date) -> Domains:
    """No randomization list: DM's ARMCD / ARM are the only allocation."""
    return {name: frame for name, frame in domains.items() if name != "randomization"}


def no_randomized(domains: Domains, config: TrialConfig, cut_date: dt.date) -> Domains:
    """No randomization list and no DS RANDOMIZED records (DSSEQ keeps its gaps, as real exports do)."""
    out = dm_allocation_only(domains, config, cut_date)
    ds = out["ds"]
    out["ds"] = ds[(ds["DSDECOD"] != "RANDOMIZED").to_numpy()].reset_index(drop=True)
    return out


def after_cut(domains: Domains, config: TrialConfig, cut_date: dt.date) -> Domains:
    """AE, LB and VS records dated 1 to 3 days after the cut for a few randomized subjects alive at it."""
    subjects = late_subjects(domains)
    rfst = domains["dm"].set_index("USUBJID")["RFSTDTC"]
    out = dict(domains)
    out["ae"] = _append(domains["ae"], _late_ae(domains["ae"], subjects, cut_date, rfst))
    for name in ("lb", "vs"):
        out[name] = _append(domains[name], _late_findings(domains[name], name.upper(), subjects, cut_date, rfst))
    return out


def late_subjects(domains: Domains) -> list[str]:
    """Randomized subjects alive at the cut, those without any AE first (their AE count shows a leak most)."""
    dm = domains["dm"]
    alive = dm[~dm["ARMCD"].isin(NOT_RANDOMIZED) & (dm["DTHFL"] != "Y") & (dm["RFSTDTC"] != "")]
    with_ae = alive["USUBJID"].isin(domains["ae"]["USUBJID"])
    order = alive.assign(_ae=with_ae.to_numpy()).sort_values(["_ae", "USUBJID"])
    return order["USUBJID"].head(LATE_SUBJECTS).tolist()


def _late_ae(ae: pd.DataFrame, subjects: list[str], cut_date: dt.date, rfst: pd.Series) -> pd.DataFrame:
    """One new, ongoing AE per subject, copied from the first fully dated AE, starting after the cut."""
    template = ae[ae["AESTDTC"].str.fullmatch(r"\d{4}-\d\d-\d\d.*")].iloc[[0] * len(subjects)]
    late = template.reset_index(drop=True).assign(USUBJID=subjects)
    dates = [cut_date + dt.timedelta(days=k + 1) for k in range(len(subjects))]
    late["AESEQ"] = _next_seq(ae, "AESEQ", late["USUBJID"])
    late["AESTDTC"] = [d.isoformat() for d in dates]
    late["AEENDTC"] = ""
    late["AEOUT"] = "NOT RECOVERED/NOT RESOLVED"
    for column, value in (("AESDTH", "N"), ("AESER", "N"), ("AEENDY", np.nan)):
        if column in late.columns:
            late[column] = value
    if "AESTDY" in late.columns:
        late["AESTDY"] = _study_days(dates, late["USUBJID"].map(rfst))
    return late


def _late_findings(frame: pd.DataFrame, prefix: str, subjects: list[str], cut_date: dt.date,
                   rfst: pd.Series) -> pd.DataFrame:
    """Each subject's last dated findings (same visit, same values) taken again after the cut."""
    dtc, seq, dy = f"{prefix}DTC", f"{prefix}SEQ", f"{prefix}DY"
    parts = []
    for k, subject in enumerate(subjects):
        own = frame[(frame["USUBJID"] == subject).to_numpy() & (frame[dtc] != "").to_numpy()]
        last = own[own[dtc].str.slice(0, 10) == own[dtc].str.slice(0, 10).max()]
        date = cut_date + dt.timedelta(days=k + 1)
        late = last.copy()
        late[dtc] = date.isoformat()
        if dy in late.columns:
            late[dy] = _study_days([date] * len(late), late["USUBJID"].map(rfst))
        parts.append(late)
    late = pd.concat(parts, ignore_index=True)
    late[seq] = _next_seq(frame, seq, late["USUBJID"])
    return late


def _next_seq(frame: pd.DataFrame, seq: str, subjects: pd.Series) -> np.ndarray:
    """--SEQ values after each subject's highest, numbered in the order of `subjects`."""
    top = _as_float(frame[seq]).groupby(frame["USUBJID"]).max()
    base = subjects.map(top).fillna(0).to_numpy(float)
    return base + subjects.groupby(subjects).cumcount().to_numpy() + 1


def _study_days(dates: Sequence[dt.date], reference: pd.Series) -> np.ndarray:
    """SDTM study day of each date from its subject's RFSTDTC (day 1 is the reference day, no day 0)."""
    ref = pd.to_datetime(reference.str.slice(0, 10), errors="coerce").to_numpy("datetime64[D]")
    delta = (np.array(dates, dtype="datetime64[D]") - ref).astype(float)
    return np.where(delta >= 0, delta + 1, delta)


def _as_float(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values.replace("", np.nan), errors="coerce").astype(float)


def _append(frame: pd.DataFrame, extra: pd.DataFrame) -> pd.DataFrame:
    """`extra` after `frame`, in `frame`'s columns and numeric types."""
    out = pd.concat([frame, extra[frame.columns]], ignore_index=True)
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[column]):
            out[column] = out[column].astype(float)
    return out


def contradictory(domains: Domains, config: TrialConfig, cut_date: dt.date) -> Domains:
    """A randomized subject also a DS screen failure, and one configured visit renamed to an unknown name."""
    out = dict(domains)
    out["ds"] = _append(domains["ds"], _screen_failure_record(domains))
    old, new = contradicting_visit(config)
    for name, frame in domains.items():
        if {"VISITNUM", "VISIT"} <= set(frame.columns) and (frame["VISIT"] == old).any():
            frame = frame.copy()
            frame["VISIT"] = frame["VISIT"].where(frame["VISIT"] != old, new)
            out[name] = frame
    return out


def contradicted_subject(domains: Domains) -> str:
    """The randomized subject given a DS screen failure by `contradictory`: the first one in DM."""
    dm = domains["dm"]
    return str(dm.loc[~dm["ARMCD"].isin(NOT_RANDOMIZED), "USUBJID"].sort_values().iloc[0])


def contradicting_visit(config: TrialConfig) -> tuple[str, str]:
    """(configured name, new name): the third scheduled visit renamed after the day after it ('DAY 3' -> 'DAY 4')."""
    names = {v.name for v in config.visits}
    visit = sorted((v for v in config.visits if v.day is not None), key=lambda v: v.num)[2]
    new = f"DAY {visit.day + 1}"
    return visit.name, new if new not in names else f"{visit.name} (RENAMED)"


def _screen_failure_record(domains: Domains) -> pd.DataFrame:
    """A DS SCREEN FAILURE disposition event for `contradicted_subject`, dated at their informed consent."""
    ds, dm = domains["ds"], domains["dm"].set_index("USUBJID")
    subject = contradicted_subject(domains)
    record = ds[(ds["DSDECOD"] == "SCREEN FAILURE").to_numpy()].iloc[[0]].reset_index(drop=True)
    record["USUBJID"] = subject
    record["DSSEQ"] = _next_seq(ds, "DSSEQ", record["USUBJID"])
    record["DSSTDTC"] = dm.loc[subject, "RFICDTC"]
    if "DSSTDY" in record.columns:
        record["DSSTDY"] = _study_days([dt.date.fromisoformat(dm.loc[subject, "RFICDTC"][:10])],
                                       record["USUBJID"].map(dm["RFSTDTC"]))
    return record


VARIANTS: dict[str, Variant] = {
    "visitnum-days": visitnum_days, "permissible-absent": permissible_absent, "mixed-case": mixed_case,
    "split-lb": split_lb, "dm-allocation-only": dm_allocation_only, "no-randomized": no_randomized,
    "after-cut": after_cut, "contradictory": contradictory,
}


def messy_variant(name: str, domains: Domains, config: TrialConfig, cut_date: dt.date) -> Domains:
    """The variant `name` of the clean export `domains` (which is left unchanged)."""
    if name not in VARIANTS:
        raise ValueError(f"unknown messy variant {name!r}: choose from {', '.join(VARIANTS)}")
    return VARIANTS[name](domains, config, cut_date)


def variant_formats(domains: Domains, formats: dict[str, str]) -> dict[str, str]:
    """The clean export's file formats for the files of a variant; split LB parts take LB's."""
    chosen = {k.lower(): v for k, v in formats.items()}
    out = {name: chosen[name] for name in domains if name in chosen}
    if "lb" in chosen:
        out |= {name: chosen["lb"] for name in domains if name.startswith("lb") and name != "lb"}
    return out
