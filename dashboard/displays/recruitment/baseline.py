"""Recruitment page, Baseline and eligibility tab: baseline characteristics of randomized subjects (a 'Table 1',
by arm as randomized where shown) and the eligibility checks (possible protocol deviations; for roles that see
arms, also subjects dosed with another arm's product)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.analysis import baseline_characteristics as baseline
from dashboard.analysis import labs
from dashboard.blinding import ArmedTrialData, TrialData
from dashboard.displays.model import BOTH_FORMS, Display, Out, View
from dashboard.displays.recruitment.selection import (FILTERS, Key, by_arm_where_allowed, filter_key, finished,
                                                      randomized, subject_status)
from dashboard.ingest.adam.sources import ADAM, SDTM, source_kind
from dashboard.memo import memoized
from dashboard.permissions import Permission
from dashboard.tables import recruitment as tables
from layouts import recruitment as ids

PAGE = "/recruitment"
TAB = "baseline"
NO_CONSENT_CHECK = ("dosing order (informed consent is not checked: the export records it for nobody, neither DM "
                    "RFICDTC nor a DS INFORMED CONSENT OBTAINED record)")


def no_consent_check(sources: dict[str, str]) -> str:
    """The note when nobody's consent is recorded, naming where it was looked for: ADSL RFICDT / RFICDTC when DM came
    from ADSL, a DS record only when DS was delivered (not derived from ADSL, which has no consent record)."""
    if source_kind(sources, "DM") != ADAM:
        return NO_CONSENT_CHECK
    where = "ADSL RFICDT nor RFICDTC" + ("" if source_kind(sources, "DS") != SDTM
                                           else " nor a DS INFORMED CONSENT OBTAINED record")
    return f"dosing order (informed consent is not checked: the export records it for nobody, neither {where})"


def baseline_values(data: TrialData) -> pd.DataFrame:
    """Baseline values of every randomized subject of the cut (filters are applied afterwards)."""
    def compute() -> pd.DataFrame:
        status = subject_status(data)
        measures = baseline.baseline_measures(data.config)
        return baseline.baseline_values(status.loc[status["RANDOMIZED"]], measures,
                                        {name: data.domain(name) for name in {m.domain for m in measures}})

    return memoized(data, "recruitment:baseline-values", compute)


def consent_recorded(data: TrialData) -> bool:
    """Whether the export records informed consent for anyone (over the whole cut, whatever the filters)."""
    return bool(subject_status(data)["CONSENTED"].any())


def _summary(data: TrialData, key: Key, values: pd.DataFrame) -> pd.DataFrame:
    """Baseline characteristics of the selection's randomized subjects, by arm where shown."""
    units = memoized(data, "recruitment:lab-units", lambda: labs.test_units(data.lb))
    measures = baseline.baseline_measures(data.config, units)
    absent = baseline.absent_measures(measures, {m.domain: data.domain(m.domain) for m in measures})
    return by_arm_where_allowed(data, key, lambda v, m: baseline.baseline_summary(v, m, absent),
                                lambda v, m, *, arm_of: baseline.baseline_summary_by_arm(v, m, arm_of,
                                                                                         data.arm_labels, absent),
                                values, measures)


def _deviations(data: TrialData, chosen: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """The eligibility checks; for roles that see arms also the treatment check (never split by site: it is a
    subject-level listing entry)."""
    config = data.config
    checked = {c.domain for c in config.eligibility.all_checks() if c.domain != "DM"}
    deviations = baseline.eligibility_deviations(
        chosen, values, data.ie, config.eligibility, config.screen_failure_reasons,
        domains={name: data.domain(name) for name in checked},
        test_names={o.testcd: o.label for o in config.outcomes}, consent_recorded=consent_recorded(data))
    return data.split(lambda listing: listing, lambda listing, *, arm_of: _with_treatment_check(
        data, listing, chosen, arm_of), deviations)


def _with_treatment_check(data: ArmedTrialData, listing: pd.DataFrame, chosen: pd.DataFrame,
                          arm_of: pd.Series) -> pd.DataFrame:
    """The listing plus subjects dosed with another arm's product: randomized vs treated arm (closed only)."""
    return baseline.combine_deviations(listing, baseline.treatment_deviations(chosen, arm_of,
                                                                              data.arms_by("treated")))


def baseline_tables(data: TrialData, key: Key) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(baseline characteristics, possible deviations) of the selection's randomized subjects."""
    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        chosen = randomized(data, key)
        values = baseline_values(data)
        values = values.loc[values["USUBJID"].isin(chosen["USUBJID"])]
        return _summary(data, key, values), _deviations(data, chosen, values)

    return memoized(data, "recruitment:baseline", compute, *key)


def _checks_said(data: TrialData) -> str:
    """The checks the deviation note says were made."""
    configured = [baseline.check_rule(c) for c in data.config.eligibility.all_checks()]
    consent = "consent and dosing order" if consent_recorded(data) else no_consent_check(data.cut.sources)
    checks = (f"the configured checks ({'; '.join(configured)}), " if configured else "") + (
        f"criteria recorded as not met (IE), {consent}")
    if data.access.sees_arms:
        checks += ", and dosing with another arm's product (arm as randomized vs as treated, closed session only)"
    return checks


def baseline_grids(data: TrialData, key: Key) -> dict[str, Any]:
    """The Table 1 grid, the deviation listing grid and its note."""
    summary, deviations = baseline_tables(data, key)
    summary_rows, summary_columns = tables.table_one(summary)
    rows, columns = tables.deviation_grid(deviations)
    note = (f"{len(deviations)} possible deviations in {deviations['USUBJID'].nunique()} of "
            f"{len(randomized(data, key))} randomized subjects: {_checks_said(data)}. "
            + tables.capped_note(deviations, "rows"))
    return {"summary_rows": summary_rows, "summary_columns": summary_columns, "rows": rows, "columns": columns,
            "note": note.strip()}


def baseline_and_eligibility(data: TrialData, sites: Any = None, start: Any = None, end: Any = None
                             ) -> dict[str, Any]:
    """Baseline characteristics and eligibility checks of the selection."""
    key = filter_key(sites, start, end)
    return finished(data, "baseline", lambda: baseline_grids(data, key), *key)


CHARACTERISTICS = Display(
    "recruitment.baseline", "Baseline characteristics of randomized subjects", "table", ("DM", "VS", "LB"),
    {"summary_rows": Out(ids.BASELINE_GRID, "rowData"), "summary_columns": Out(ids.BASELINE_GRID, "columnDefs")},
    BOTH_FORMS, tab=TAB, analysis=(baseline.baseline_values, baseline.baseline_summary,
                                   baseline.baseline_summary_by_arm), builder=tables.table_one,
    fields=("DM.AGE", "DM.SEX", "VS.VSSTRESN", "LB.LBSTRESN"))
DEVIATIONS = Display(
    "recruitment.deviations", "Eligibility checks: possible protocol deviations", "listing", ("DM", "IE", "DS", "EX"),
    {"rows": Out(ids.DEVIATION_GRID, "rowData"), "columns": Out(ids.DEVIATION_GRID, "columnDefs"),
     "note": Out(ids.DEVIATION_NOTE, "children")},
    BOTH_FORMS, tab=TAB, analysis=(baseline.eligibility_deviations, baseline.treatment_deviations,
                                   baseline.combine_deviations), builder=tables.deviation_grid,
    fields=("DM.RFICDTC", "IE.IETESTCD", "EX.EXSTDTC"))

VIEWS = (
    View("recruitment:baseline", PAGE, Permission.VIEW_RECRUITMENT, baseline_and_eligibility,
         (CHARACTERISTICS, DEVIATIONS), FILTERS, tabs=ids.TABS),
)
