"""`trials check` and visit reconciliation: each rule, on small hand-made frames."""

from __future__ import annotations

import copy

import pandas as pd
import pyarrow as pa
import pytest

from dashboard.config import ConfigError, parse_trial_config
from dashboard.ingest.convert import type_table
from dashboard.ingest.findings import Findings, Severity
from dashboard.ingest.readers import TEXT, SourceTable
from dashboard.trials.check import check_against_export, reconcile_visits
from dashboard.trials.visits import EXPORT_COLUMN, classify, is_unplanned

BASE = {
    "study": {"id": "S1", "title": "T"},
    "enrollment": {"target": 10, "first_randomization_planned": "2021-01-01", "planned_end": "2021-06-01"},
    "arms": [{"code": "PBO", "label": "Placebo", "coded_label": "Group B", "reference": True},
             {"code": "ACT", "label": "Active", "coded_label": "Group A"}],
    "dosing": {"planned_doses": 3},
    "followup": {"days": 28},
    "visits": [{"num": 1, "name": "SCREENING", "day": -1}, {"num": 2, "name": "DAY 1", "day": 1},
               {"num": 3, "name": "DAY 7", "day": 7}, {"num": 4, "name": "Retrieval"}],
    "outcomes": [{"family": "laboratory", "domain": "LB", "testcd": "ALT", "label": "ALT", "unit": "U/L",
                  "higher_is_better": False}],
    "safety_labs": {"alt": "ALT", "ast": "AST", "bilirubin": "ALT", "creatinine": "ALT"},
    "events": [{"name": "death", "label": "Death", "source": "DM", "term": "DTHDTC"}],
}


def config(**changes: object):
    raw = copy.deepcopy(BASE)
    raw.update(changes)
    return parse_trial_config(raw, "test.toml")


def typed(domain: str, rows: list[dict[str, object]], name: str | None = None) -> SourceTable:
    """A domain as the loader holds it: CSV text typed by the loader's own typing."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    raw = pa.table({c: pa.array([None if r.get(c) is None else str(r[c]) for r in rows], type=TEXT) for c in columns})
    source = SourceTable(domain, name or f"{domain.lower()}.csv", raw)
    return SourceTable(domain, source.name, type_table(source, Findings()))


def dm(*codes: str, column: str = "ARMCD") -> SourceTable:
    return typed("DM", [{"STUDYID": "S1", "USUBJID": f"S1-{i}", "SITEID": "01", column: code, "DTHDTC": None}
                        for i, code in enumerate(codes)])


def lb(units: list[str | None], code: str = "ALT", visits: list[tuple[float, str]] | None = None) -> SourceTable:
    visits = visits or [(2, "DAY 1")] * len(units)
    return typed("LB", [{"USUBJID": f"S1-{i}", "LBSEQ": 1, "LBTESTCD": code, "LBSTRESN": 20, "LBSTRESU": unit,
                         "VISITNUM": num, "VISIT": name} for i, (unit, (num, name)) in enumerate(zip(units, visits))])


def run(tables: dict[str, SourceTable], cfg=None) -> Findings:
    findings = Findings()
    check_against_export(tables, cfg or config(), findings)
    return findings


def kinds(findings: Findings, severity: Severity) -> list[str]:
    return [f.kind for f in findings.items if f.severity is severity]


def test_a_matching_export_has_no_error():
    findings = run({"DM": dm("PBO", "ACT", "Scrnfail"), "LB": lb(["U/L", "U/L"])})
    assert findings.errors == []


# Arms

def test_arm_code_not_configured_is_an_error_that_quotes_no_delivered_code():
    findings = run({"DM": dm("PBO", "ACT", "SECRET_ARM")})
    errors = [f for f in findings.errors if f.kind == "arm code not configured"]
    assert len(errors) == 1 and errors[0].sealed and errors[0].column == "ARMCD"
    assert "SECRET_ARM" not in str(errors[0]) and "'PBO'" in errors[0].message


def test_arm_code_differing_only_in_case_or_blanks_is_the_configured_arm():
    # The loader compares arm codes normalized and stores them as delivered.
    findings = run({"DM": dm("pbo", " Act", "PBO")})
    assert findings.errors == [] and not [f for f in findings.warnings if f.kind == "configured arm absent"]


@pytest.mark.parametrize("code", ["Scrnfail", " NOTASSGN ", "notassgn"])
def test_not_randomized_codes_in_any_case_are_not_arms(code):
    assert run({"DM": dm("PBO", "ACT", code)}).errors == []


def test_not_treated_codes_are_allowed_in_actarmcd_only():
    assert run({"DM": dm("PBO", "ACT", "NOTTRT", column="ACTARMCD")}).errors == []
    assert kinds(run({"DM": dm("PBO", "ACT", "NOTTRT")}), Severity.ERROR) == ["arm code not configured"]


def test_randomization_list_codes_are_checked_too():
    listed = typed("RANDOMIZATION", [{"USUBJID": "S1-0", "ARMCD": "OTHER"}], "randomization.csv")
    findings = run({"DM": dm("PBO", "ACT"), "RANDOMIZATION": listed})
    assert [f.file for f in findings.errors] == ["randomization.csv"]


def test_configured_arm_absent_is_a_sealed_warning():
    findings = run({"DM": dm("PBO", "PBO")})
    [warning] = [f for f in findings.warnings if f.kind == "configured arm absent"]
    assert "'ACT'" in warning.message and warning.sealed and findings.errors == []


def test_study_id_differing_is_an_error():
    assert kinds(run({"DM": dm("PBO", "ACT")}, config(study={"id": "OTHER", "title": "T"})),
                 Severity.ERROR) == ["study id differs"]


# Tests, units, domains

def test_unit_other_than_configured_is_an_error_with_row_counts():
    findings = run({"DM": dm("PBO", "ACT"), "LB": lb(["U/L", "ukat/L", "ukat/L"])})
    [error] = findings.errors
    assert error.kind == "unit differs from the configuration" and "2 in 'ukat/L'" in error.message


def test_unit_differing_in_case_and_missing_units_are_warnings():
    findings = run({"DM": dm("PBO", "ACT"), "LB": lb(["u/l", None, "U/L"])})
    assert findings.errors == []
    assert {"unit written differently", "result without a unit"} <= set(kinds(findings, Severity.WARNING))


def test_outcome_test_absent_is_a_warning_with_a_case_hint():
    findings = run({"DM": dm("PBO", "ACT"), "LB": lb(["U/L"], code="alt")})
    messages = [f.message for f in findings.warnings if f.kind == "configured test absent"]
    assert any("outcome test code 'ALT'" in m and "'alt' differs only in case" in m for m in messages)
    assert findings.errors == []


def test_safety_lab_absent_is_a_warning():
    findings = run({"DM": dm("PBO", "ACT"), "LB": lb(["U/L"])})
    assert [f.message for f in findings.warnings if f.kind == "configured test absent"] == [
        "safety lab test code 'AST' has no record"]


def test_domains_named_but_absent_are_warnings():
    cfg = config(custom_domains={"CT": "Chest CT"},
                 events=[{"name": "intubation", "label": "Intubation", "source": "PR", "term": "INTUBATION"}])
    findings = run({"DM": dm("PBO", "ACT")}, cfg)
    absent = sorted(f.file for f in findings.warnings if f.kind == "configured domain absent")
    assert absent == ["ct", "lb", "lb", "pr"] and findings.errors == []


def test_event_terms_checked_in_their_source():
    cfg = config(events=[{"name": "death", "label": "Death", "source": "DM", "term": "DTHXX"},
                         {"name": "intubation", "label": "Intubation", "source": "PR", "term": "INTUBATION"}])
    pr = typed("PR", [{"USUBJID": "S1-0", "PRSEQ": 1, "PRDECOD": " intubation"}])
    findings = run({"DM": dm("PBO", "ACT"), "PR": pr, "LB": lb(["U/L"])}, cfg)
    terms = [f.message for f in findings.warnings if f.kind == "configured term absent"]
    assert terms == ["event 'death' names column 'DTHXX', which DM does not have"]


def test_eligibility_checks_name_their_domain_and_test():
    cfg = config(eligibility={"age_min": 18, "checks": [{"label": "SpO2", "domain": "VS", "variable": "OXYSAT",
                                                         "max": 90}]})
    findings = run({"DM": dm("PBO", "ACT"), "LB": lb(["U/L"])}, cfg)
    messages = [f.message for f in findings.warnings]
    assert any("column 'AGE'" in m for m in messages) and any("eligibility check 'SpO2'" in m for m in messages)


def test_configured_visit_without_any_record_is_a_warning():
    findings = run({"DM": dm("PBO", "ACT"), "LB": lb(["U/L"], visits=[(2, "DAY 1")])})
    absent = [f.message for f in findings.warnings if f.kind == "configured visit absent"]
    assert absent == ["configured visit (1, 'SCREENING') has no record yet", "configured visit (3, 'DAY 7') has no "
                      "record yet", "configured visit (4, 'Retrieval') has no record yet"]


# Visits

def visit_table(pairs: list[tuple[object, str]], domain: str = "VS") -> SourceTable:
    p = domain[:2]
    return typed(domain, [{"USUBJID": f"S1-{i}", f"{p}SEQ": 1, "VISITNUM": num, "VISIT": name, f"{p}TESTCD": "X"}
                          for i, (num, name) in enumerate(pairs)])


def test_pairs_are_classified_on_both_number_and_name():
    cfg = config()
    assert classify(2, "day 1 ", 1, cfg).kind == "exact"                  # names compared normalized
    assert classify(1, "DAY 1", 1, cfg).kind == "renumbered"
    assert classify(2, "VISIT 2", 1, cfg).kind == "conflict"
    assert classify(2, "UNSCHEDULED 2", 1, cfg).kind == "shared"
    assert classify(3.1, "UNSCHEDULED 3.1", 1, cfg).kind == "unconfigured"
    assert classify(201, "RETRIEVAL", 1, cfg).kind == "renumbered"         # configured by name at 4


def test_matching_visits_leave_the_tables_as_they_are():
    tables = {"VS": visit_table([(1, "SCREENING"), (2, "DAY 1")]), "DM": dm("PBO")}
    findings = Findings()
    out = reconcile_visits(tables, config(), findings)
    assert out["VS"] is tables["VS"] and out["DM"] is tables["DM"] and findings.items == []


def test_visits_numbered_by_day_are_mapped_by_name_with_one_warning_per_domain():
    pairs = [(-1, "SCREENING"), (1, "DAY 1"), (7, "DAY 7"), (7, "DAY 7"), (3.1, "UNSCHEDULED 3.1")]
    tables = {"VS": visit_table(pairs), "LB": visit_table(pairs, "LB")}
    findings = Findings()
    out = reconcile_visits(tables, config(), findings)
    vs = out["VS"].table.to_pandas()
    expected = pd.Series([1.0, 2.0, 3.0, 3.0, 3.1])                        # configured numbers; 3.1 left as is
    assert vs["VISITNUM"].tolist() == expected.tolist()
    assert vs[EXPORT_COLUMN].tolist() == [-1.0, 1.0, 7.0, 7.0, 3.1]
    assert vs["VISIT"].tolist() == [name for _, name in pairs]
    mapped = [f for f in findings.warnings if f.kind == "visits mapped by name"]
    assert [f.file for f in mapped] == ["vs.csv", "lb.csv"] and findings.errors == []
    assert "(-1, 'SCREENING') -> (1, 'SCREENING')" in mapped[0].message and "4 rows" in mapped[0].message


def test_contradicting_pairs_whose_names_disagree_are_an_error_listing_them():
    tables = {"VS": visit_table([(1, "SCREENING"), (2, "VISIT 2"), (7, "DAY 7")])}
    findings = Findings()
    out = reconcile_visits(tables, config(), findings)
    [error] = findings.errors
    assert "(2, 'VISIT 2') -> configured (2, 'DAY 1')" in error.message
    assert "(7, 'DAY 7') -> configured (3, 'DAY 7')" in error.message
    assert out["VS"] is tables["VS"]                                       # refused, not relabelled


def test_unconfigured_visits_are_counted_not_contradictions():
    tables = {"VS": visit_table([(2, "DAY 1"), (3.1, "UNSCHEDULED 3.1"), (3.1, "UNSCHEDULED 3.1"),
                                 (99, "EARLY TERMINATION")])}
    findings = Findings()
    out = reconcile_visits(tables, config(), findings)
    [warning] = findings.items
    assert warning.kind == "visit not configured" and warning.message.startswith("3 rows at 2 visit(s)")
    assert out["VS"] is tables["VS"]


def test_unplanned_visit_on_a_configured_number_is_a_warning():
    findings = Findings()
    reconcile_visits({"VS": visit_table([(2, "UNSCHEDULED 2")])}, config(), findings)
    assert kinds(findings, Severity.WARNING) == ["unplanned visit on a configured number"] and not findings.errors


def test_untyped_visitnum_and_design_domains():
    raw = SourceTable("SV", "sv.csv", pa.table({"USUBJID": ["a"], "VISITNUM": [" 7 "], "VISIT": ["DAY 7"]}))
    tv = typed("TV", [{"VISITNUM": 9, "VISIT": "DAY 1"}])
    findings = Findings()
    out = reconcile_visits({"SV": raw, "TV": tv}, config(), findings)
    assert out["SV"].table["VISITNUM"].to_pylist() == [3.0] and out["TV"] is tv


def test_no_configured_visits_means_nothing_to_reconcile():
    tables = {"VS": visit_table([(2, "VISIT 2")])}
    findings = Findings()
    assert reconcile_visits(tables, config(visits=[]), findings) == tables and findings.items == []


@pytest.mark.parametrize(("name", "unplanned"), [("UNSCHEDULED 3.1", True), ("Retrieval", True), ("ET", True),
                                                 ("Early Termination", True), ("WEEK 2", False), ("BASELINE", False)])
def test_unplanned_visit_names(name, unplanned):
    assert is_unplanned(name) is unplanned


# Configuration problems `trials check` reports before looking at the data (dashboard/config.py)

def test_limits_and_lab_codes_of_the_wrong_type_are_reported_not_dropped():
    with pytest.raises(ConfigError) as raised:
        config(eligibility={"age_min": "50", "age_max": True}, safety_labs={"alt": 5})
    assert set(raised.value.problems) == {"key 'eligibility.age_min' must be float, got str '50'",
                                          "key 'eligibility.age_max' must be float, got bool True",
                                          "key 'safety_labs.alt' must be str, got int 5"}


def test_safety_labs_that_is_not_a_table_is_a_problem_not_a_crash():
    with pytest.raises(ConfigError) as raised:
        config(safety_labs="ALT")
    assert raised.value.problems == ["key 'safety_labs' must be a table"]


def test_a_delivered_visitnum_export_column_is_replaced_not_duplicated():
    rows = [{"USUBJID": "a", "VSSEQ": 1, "VISITNUM": 7, "VISIT": "DAY 7", "VISITNUM_EXPORT": "x"}]
    out = reconcile_visits({"VS": typed("VS", rows)}, config(), Findings())
    assert out["VS"].table.column_names.count(EXPORT_COLUMN) == 1
    assert out["VS"].table[EXPORT_COLUMN].to_pylist() == [7.0]
