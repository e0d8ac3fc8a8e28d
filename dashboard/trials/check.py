"""`trials check`: every contradiction between a trial configuration and an export, before anything is loaded.

Errors are contradictions that would make pages wrong (an arm code the configuration does not know, a unit
other than the configured one, visits that contradict the schedule); warnings are things configured but
absent (an arm, a visit, a test, a domain), which leave a view empty rather than wrong.

`check_against_export` does not compare visit pairs: `reconcile_visits` does that, and maps visits by name where
it can (and, for an ADaM export, PARAMCDs to the configured test codes of [adam] measures). Call both, as
`trials check` does.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from dashboard.config import TrialConfig
from dashboard.ingest.adam.configured import analysis_visits, check_adam_config, map_measures
from dashboard.ingest.adam.exposure import exposure_from_adsl
from dashboard.ingest.findings import Findings
from dashboard.ingest.readers import SourceTable
from dashboard.ingest.schema import NOT_RANDOMIZED_CODES, NOT_TREATED_CODES, RANDOMIZATION, normalized
from dashboard.trials.export import distinct, file_name, frame, norm, text
from dashboard.trials import visits
from dashboard.trials.visits import visit_domains

__all__ = ["check_against_export", "check_charter", "reconcile_visits"]

_ARM_COLUMNS = ((RANDOMIZATION, "ARMCD"), ("DM", "ARMCD"), ("DM", "ACTARMCD"))


def _configured_codes(config: TrialConfig) -> str:
    """The configured arm codes, quoted (the configuration is design, not allocation)."""
    return ", ".join(repr(code) for code in config.arm_codes)


def _unconfigured_codes(values: pd.Series, column: str, config: TrialConfig) -> set[str]:
    """Delivered codes that, compared normalized as the loader compares them (`Pbo` is `PBO`), are neither a
    configured arm nor a not-randomized code (nor, in ACTARMCD, a not-treated one)."""
    allowed = {normalized(c) for c in config.arm_codes} | NOT_RANDOMIZED_CODES
    allowed |= NOT_TREATED_CODES if column == "ACTARMCD" else frozenset()
    return {c for c in set(text(values).dropna()) if normalized(c) not in allowed}


def check_arms(tables: Mapping[str, SourceTable], config: TrialConfig, findings: Findings) -> None:
    """Arm codes of the randomization list and DM against the configured arms; no delivered code is quoted."""
    planned: set[str] = set()
    for domain, column in _ARM_COLUMNS:
        data = frame(tables, domain, [column])
        if column not in data:
            continue
        if column == "ARMCD":
            planned |= set(norm(data[column]).dropna())
        codes = _unconfigured_codes(data[column], column, config)
        if codes:
            findings.error(file_name(tables, domain), f"{len(codes)} arm code(s) not in the configuration (value "
                           f"withheld: allocation); configured arms: {_configured_codes(config)}",
                           column=column, kind="arm code not configured", sealed=True)
    if not planned:
        return
    for code in config.arm_codes:
        if normalized(code) not in planned:
            findings.warning(file_name(tables, "DM"), f"configured arm {code!r} has no subject in ARMCD",
                             column="ARMCD", kind="configured arm absent", sealed=True)


def check_study_id(tables: Mapping[str, SourceTable], config: TrialConfig, findings: Findings) -> None:
    """STUDYID of DM against the configured study id."""
    dm = frame(tables, "DM", ["STUDYID"])
    if "STUDYID" not in dm:
        return
    other = sorted(set(text(dm["STUDYID"]).dropna()) - {config.study_id})
    if other:
        findings.error(file_name(tables, "DM"), f"STUDYID {', '.join(map(repr, other))} is not the configured "
                                                f"study id {config.study_id!r}", column="STUDYID",
                       kind="study id differs")


def check_configured_visits(tables: Mapping[str, SourceTable], config: TrialConfig, findings: Findings) -> None:
    """Configured visits that no record of the export names (by VISITNUM or by VISIT)."""
    domains = visit_domains(tables)
    if not domains or not config.visits:
        return
    nums: set[float] = set()
    names: set[str] = set()
    for domain in domains:
        nums |= {round(n, 6) for n in pd.to_numeric(pd.Series(list(distinct(tables, domain, "VISITNUM")),
                                                              dtype=object), errors="coerce").dropna()}
        names |= {normalized(name) for name in distinct(tables, domain, "VISIT")}
    for visit in config.visits:
        if round(visit.num, 6) not in nums and normalized(visit.name) not in names:
            findings.warning(", ".join(file_name(tables, d) for d in domains),
                             f"configured visit ({visit.num:g}, {visit.name!r}) has no record yet",
                             column="VISITNUM", kind="configured visit absent")


def _absent_domain(domain: str, what: str, findings: Findings) -> None:
    """Warn that a domain the configuration names is not in the export."""
    findings.warning(domain.lower(), f"domain {domain} is named by {what} but the export has no {domain} file",
                     kind="configured domain absent")


def _test_codes(data: pd.DataFrame, domain: str) -> pd.Series:
    """The --TESTCD values of a findings frame (empty when it has none)."""
    column = f"{domain[:2]}TESTCD"
    return text(data[column]) if column in data else pd.Series(dtype="str")


def _absent_test(tables: Mapping[str, SourceTable], domain: str, code: str, what: str, findings: Findings) -> bool:
    """Warn when a configured test code is not in its domain (with a hint when only case or blanks differ)."""
    delivered = distinct(tables, domain, f"{domain[:2]}TESTCD")
    if code in delivered:
        return False
    near = sorted(c for c in delivered if normalized(c) == normalized(code))
    hint = f"; {', '.join(map(repr, near))} differs only in case or blanks" if near else ""
    findings.warning(file_name(tables, domain), f"{what} test code {code!r} has no record{hint}",
                     column=f"{domain[:2]}TESTCD", kind="configured test absent")
    return True


def check_units(tables: Mapping[str, SourceTable], domain: str, code: str, unit: str, findings: Findings) -> None:
    """Standard units (--STRESU) of a test's results against the configured unit."""
    p = domain[:2]
    data = frame(tables, domain, [f"{p}TESTCD", f"{p}STRESN", f"{p}STRESU"])
    rows = data[_test_codes(data, domain).eq(code).fillna(False)]
    if f"{p}STRESN" in rows:
        rows = rows[pd.to_numeric(rows[f"{p}STRESN"], errors="coerce").notna()]
    units = text(rows[f"{p}STRESU"]) if f"{p}STRESU" in rows else pd.Series(pd.NA, index=rows.index, dtype="str")
    name, column = file_name(tables, domain), f"{p}STRESU"
    other = units.dropna()[units.dropna() != unit.strip()].value_counts()
    wrong = {u: n for u, n in other.items() if normalized(u) != normalized(unit)}
    cased = {u: n for u, n in other.items() if normalized(u) == normalized(unit)}
    if wrong:
        listed = ", ".join(f"{n} in {u!r}" for u, n in wrong.items())
        findings.error(name, f"test {code}: results in a unit other than the configured {unit!r}: {listed}",
                       column=column, kind="unit differs from the configuration")
    if cased:
        listed = ", ".join(f"{n} in {u!r}" for u, n in cased.items())
        findings.warning(name, f"test {code}: unit written differently from the configured {unit!r}: {listed}",
                         column=column, kind="unit written differently")
    if units.isna().any() and len(rows):
        findings.warning(name, f"test {code}: {int(units.isna().sum())} numeric results without a unit",
                         column=column, kind="result without a unit")


def check_outcomes(tables: Mapping[str, SourceTable], config: TrialConfig, findings: Findings) -> None:
    """Each configured outcome: its domain, its test code and its unit."""
    missing_domains = sorted({o.domain for o in config.outcomes if o.domain not in tables})
    for domain in missing_domains:
        _absent_domain(domain, "outcomes", findings)
    for outcome in config.outcomes:
        if outcome.domain in tables and not _absent_test(tables, outcome.domain, outcome.testcd, "outcome",
                                                         findings):
            check_units(tables, outcome.domain, outcome.testcd, outcome.unit, findings)


def check_safety_labs(tables: Mapping[str, SourceTable], config: TrialConfig, findings: Findings) -> None:
    """The safety lab test codes in LB."""
    if "LB" not in tables:
        findings.warning("lb", "the export has no LB file: the safety lab views stay empty",
                         kind="configured domain absent")
        return
    labs = config.safety_labs
    for code in dict.fromkeys((labs.alt, labs.ast, labs.bilirubin, labs.creatinine)):
        _absent_test(tables, "LB", code, "safety lab", findings)


_EVENT_TERMS = {"PR": ("PRDECOD", "PRTRT", "PRTERM"), "HO": ("HODECOD", "HOTERM"), "DS": ("DSDECOD",),
                "AE": ("AEDECOD", "AETERM")}


def check_events(tables: Mapping[str, SourceTable], config: TrialConfig, findings: Findings) -> None:
    """Each configured event: its source domain, and its term (a DM column, or a term in the source's records)."""
    for event in config.events:
        if event.source not in tables:
            _absent_domain(event.source, f"event {event.name!r}", findings)
            continue
        data = frame(tables, event.source, [event.term.upper(), *_EVENT_TERMS.get(event.source, ())])
        if event.source == "DM":
            if event.term.upper() not in data:
                findings.warning(file_name(tables, "DM"), f"event {event.name!r} names column {event.term!r}, "
                                                          "which DM does not have", kind="configured term absent")
            continue
        columns = [c for c in _EVENT_TERMS.get(event.source, ()) if c in data]
        if not any(norm(data[c]).eq(normalized(event.term)).any() for c in columns):
            findings.warning(file_name(tables, event.source), f"event {event.name!r}: no record with term "
                                                              f"{event.term!r} yet", kind="configured term absent")


def check_other_domains(tables: Mapping[str, SourceTable], config: TrialConfig, findings: Findings) -> None:
    """Custom domains and eligibility checks named by the configuration."""
    for domain in config.custom_domains:
        if domain not in tables:
            _absent_domain(domain, "custom_domains", findings)
    for check in config.eligibility.all_checks():
        if check.domain == "DM":
            if check.variable not in frame(tables, "DM", [check.variable]):
                findings.warning(file_name(tables, "DM"), f"eligibility check {check.label!r} names column "
                                                          f"{check.variable!r}, which DM does not have",
                                 kind="configured term absent")
        elif check.domain not in tables:
            _absent_domain(check.domain, f"eligibility check {check.label!r}", findings)
        else:
            _absent_test(tables, check.domain, check.variable, f"eligibility check {check.label!r}", findings)


def reconcile_visits(tables: dict[str, SourceTable], config: TrialConfig, findings: Findings
                     ) -> dict[str, SourceTable]:
    """`visits.reconcile_visits`, then (ADaM export) each [adam] measure's PARAMCD read as its configured test code
    and the visits of records outside the analysis flag cleared (a warning each); a table that changes is a new
    object, which the loader splits and encodes again. An ADaM EX built from ADEX's copies of the treatment dates
    takes ADSL's where they differ (`exposure_from_adsl`, a warning)."""
    reconciled = visits.reconcile_visits(tables, config, findings)
    return exposure_from_adsl(analysis_visits(map_measures(reconciled, config.adam, findings), config.adam, findings),
                              findings)


def check_against_export(tables: Mapping[str, SourceTable], config: TrialConfig, findings: Findings) -> None:
    """Every contradiction between `config` and the export's typed tables, as findings (visit pairs aside:
    see `reconcile_visits`). Findings about arms are marked sealed: they derive from allocation."""
    tables = map_measures(tables, config.adam, None)     # as the load maps them (it warns once, in reconcile)
    check_adam_config(tables, config, findings)
    check_study_id(tables, config, findings)
    check_arms(tables, config, findings)
    check_configured_visits(tables, config, findings)
    check_outcomes(tables, config, findings)
    check_safety_labs(tables, config, findings)
    check_events(tables, config, findings)
    check_other_domains(tables, config, findings)


def check_charter(tables: Mapping[str, SourceTable], config: TrialConfig, findings: Findings) -> None:
    """The charter's safety-rule terms and primary visit against the export (dashboard.monitoring).

    `trials check` only: an event a safety rule watches for is expected to be absent from most cuts, so a load does
    not warn about it."""
    from dashboard.monitoring.charter_check import charter_warnings

    for domain, message in charter_warnings(config, frame(tables, "AE", ["AEDECOD", "AETERM"])):
        findings.warning(file_name(tables, domain) if domain in tables else domain, message,
                         kind="configured term absent")
