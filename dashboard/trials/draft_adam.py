"""`trials draft` on an ADaM folder: the loader's translation gives DM, AE, LB, VS, EX as from SDTM; this adds what
only ADaM says (randomization dates from ADSL RANDDT, the ADTTE parameters) and names the source."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from dashboard.ingest.adam.detect import adam_stem
from dashboard.ingest.readers import SourceTable
from dashboard.trials.render import Section, guessed


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
        lines.append("ADTTE parameters (kept as the ADTTE table; the configuration has no key for them yet):")
        for code, part in tte.groupby("PARAMCD", sort=True):
            lines.append(f"  {code}: {part['PARAM'].dropna().iloc[0] if part['PARAM'].notna().any() else ''}, "
                         f"{len(part)} records, {int(events[part.index].sum())} events (pooled)")
    return tuple(lines)

