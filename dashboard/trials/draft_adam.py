"""`trials draft` on an ADaM folder: the loader's translation gives DM, AE, LB, VS, EX as from SDTM; this adds what
only ADaM says (randomization dates from ADSL RANDDT, the ADTTE parameters) and names the source."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from dashboard.ingest.adam.detect import adam_stem
from dashboard.ingest.readers import SourceTable
from dashboard.trials.export import frame
from dashboard.trials.render import Field, Section, guessed, sections

# ADaMIG population flags, in the order one is taken as the efficacy population when several are delivered.
EFFICACY_FLAGS = ("EFFFL", "FASFL", "ITTFL", "PPROTFL")
_EVENT_FREE = ("SURVIVAL", "FREE", "PROGRESSION")    # words of a PARAM whose curve reads as event-free


def is_adam(tables: Mapping[str, SourceTable]) -> bool:
    """Whether the drafted export is ADaM (its DM was translated from ADSL)."""
    return "DM" in tables and adam_stem(tables["DM"].name) == "ADSL"


def adam_enrollment(section: Section, dm: pd.DataFrame) -> Section:
    """[enrollment] with the planned dates guessed from ADSL RANDDT (DM RANDDTC) where it is delivered."""
    dates = pd.to_datetime(dm["RANDDTC"].astype("str").str.slice(0, 10), errors="coerce").dropna() \
        if "RANDDTC" in dm else pd.Series(dtype="datetime64[ns]")
    if not len(dates):
        return section
    first, last = dates.min().date(), dates.max().date()
    replaced = {"first_randomization_planned": guessed("first_randomization_planned", first,
                                                       "earliest ADSL RANDDT (not the planned date)"),
                "planned_end": guessed("planned_end", last,
                                       "latest ADSL RANDDT (the planned end is not in the export)")}
    fields = tuple(replaced.get(f.key, f) for f in section.fields)
    return Section(section.name, fields, section.array, section.comment, section.commented_out)


def adam_header(tables: Mapping[str, SourceTable]) -> tuple[str, ...]:
    """Header lines of an ADaM draft: the translation used, and each ADTTE parameter (pooled counts only)."""
    if not is_adam(tables):
        return ()
    lines = ["Drafted from ADaM datasets, read as the loader reads them (docs/adam.md): ADSL -> DM, ADAE -> AE,",
             "ADLB -> LB, ADVS -> VS (test codes are PARAMCD, visits AVISIT/AVISITN), ADEX -> EX."]
    if "ADTTE" in tables:
        tte = tables["ADTTE"].table.select(["PARAMCD", "PARAM", "CNSR"]).to_pandas()
        events = pd.to_numeric(tte["CNSR"], errors="coerce").eq(0)
        lines.append("ADTTE parameters (the ADTTE table; [[adam.tte]] below lists them for the Outcomes page):")
        for code, part in tte.groupby("PARAMCD", sort=True):
            lines.append(f"  {code}: {part['PARAM'].dropna().iloc[0] if part['PARAM'].notna().any() else ''}, "
                         f"{len(part)} records, {int(events[part.index].sum())} events (pooled)")
    return tuple(lines)



def _efficacy_flag(dm: pd.DataFrame) -> Field:
    for flag in EFFICACY_FLAGS:
        if flag in dm and dm[flag].astype("str").str.strip().str.upper().eq("Y").any():
            if flag == "EFFFL":
                return Field("efficacy_flag", flag, "from ADSL EFFFL")
            return guessed("efficacy_flag", flag, f"ADSL has no EFFFL; {flag} is the first of "
                                                  f"{', '.join(EFFICACY_FLAGS[1:])} it delivers")
    return guessed("efficacy_flag", "RANDFL", f"ADSL has none of {', '.join(EFFICACY_FLAGS)}: every randomized "
                                              "subject (RANDFL, from the arm code)")


def _analysis_flag(tables: Mapping[str, SourceTable]) -> Field:
    having = [tables[d].name for d in ("LB", "VS") if d in tables and "ANL01FL" in tables[d].table.column_names]
    if having:
        return Field("analysis_flag", "ANL01FL", f"from {', '.join(having)}")
    return guessed("analysis_flag", "ANL01FL", "no BDS dataset delivers ANL01FL: every record counts until one does")


def _curve(code: str, label: str) -> Field:
    words = f"{code} {label}".upper()
    if code.upper() in ("OS", "PFS", "EFS", "DFS", "RFS") or any(w in words for w in _EVENT_FREE):
        return guessed("curve", "event-free", "a survival-type parameter: the event-free probability")
    return guessed("curve", "events", "the cumulative proportion with the event")


def _tte_rows(tables: Mapping[str, SourceTable]) -> list[list[Field]]:
    if "ADTTE" not in tables:
        return []
    tte = frame(tables, "ADTTE", ["PARAMCD", "PARAM"])
    rows = []
    for code, part in tte.groupby("PARAMCD", sort=True):
        labels = part["PARAM"].dropna() if "PARAM" in part else pd.Series(dtype="str")
        label = str(labels.iloc[0]) if len(labels) else str(code)
        rows.append([Field("paramcd", str(code), "from ADTTE PARAMCD"), Field("label", label, "from ADTTE PARAM"),
                     _curve(str(code), label)])
    return rows


def adam_sections(tables: Mapping[str, SourceTable]) -> list[Section]:
    """[adam] of an ADaM draft: the efficacy and analysis flags, a commented [adam.measures] and [[adam.tte]]."""
    if not is_adam(tables):
        return []
    head = Section("adam", (_efficacy_flag(frame(tables, "DM")), _analysis_flag(tables)),
                   comment=("ADaM keys (docs/adam.md): the flags the analyses read, and the ADTTE parameters shown.",))
    measures = Section("adam.measures", (Field("SBP", "SYSBP"),), commented_out=True,
                       comment=("Where an outcome's testcd differs from the ADaM PARAMCD, map it (testcd = PARAMCD).",
                                "The drafted outcomes use PARAMCD itself, so nothing needs mapping yet."))
    tte = sections("adam.tte", _tte_rows(tables), ("ADTTE parameters to show on the Outcomes page, in this order.",))
    return [head, measures, *tte]
