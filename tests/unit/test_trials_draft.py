"""`trials draft`: each rule that turns an export into a configuration, on small hand-made frames."""

from __future__ import annotations

import random
import re
import tomllib

import pandas as pd
import pyarrow as pa
import pytest

from dashboard.config import parse_trial_config
from dashboard.ingest.convert import type_table
from dashboard.ingest.findings import Findings
from dashboard.ingest.readers import TEXT, SourceTable
from dashboard.trials import draft as D
from dashboard.trials import draft_measures as M
from dashboard.trials import draft_schedule as S
from dashboard.trials.render import GUESSED, Draft, render


def typed(domain: str, rows: list[dict[str, object]]) -> SourceTable:
    """A domain as the loader holds it: CSV text typed by the loader's own typing (numbers, --DT dates)."""
    columns = list(dict.fromkeys(k for row in rows for k in row))
    raw = pa.table({c: pa.array([None if r.get(c) is None else str(r[c]) for r in rows], type=TEXT) for c in columns})
    source = SourceTable(domain, f"{domain.lower()}.csv", raw)
    return SourceTable(domain, source.name, type_table(source, Findings()))


def pandas(source: SourceTable) -> pd.DataFrame:
    return source.table.to_pandas()


def dm_rows() -> list[dict[str, object]]:
    return [
        {"STUDYID": "S1", "USUBJID": "S1-1", "SITEID": "02", "ARMCD": "PBO", "ARM": "Placebo", "RFSTDTC": "2021-03-05"},
        {"STUDYID": "S1", "USUBJID": "S1-2", "SITEID": "01", "ARMCD": "ACT", "ARM": "Active 10 mg",
         "RFSTDTC": "2021-02-01", "DTHFL": "Y", "DTHDTC": "2021-04-01"},
        {"STUDYID": "S1", "USUBJID": "S1-3", "SITEID": "01", "ARMCD": "Scrnfail", "ARM": "Screen Failure",
         "RFSTDTC": "2020-12-01"},
        {"STUDYID": "S1", "USUBJID": "S1-4", "SITEID": "03", "ARMCD": " notassgn ", "ARM": "Not Assigned"},
        {"STUDYID": "S1", "USUBJID": "S1-5", "SITEID": "02", "ARMCD": "ACT", "ARM": "Active 10 mg",
         "RFSTDTC": "2021-06-30"},
    ]


def ts_rows(**values: str) -> list[dict[str, object]]:
    return [{"STUDYID": "TS-ID", "TSSEQ": 1, "TSPARMCD": code, "TSVAL": value} for code, value in values.items()]


# Study and enrollment

def test_study_comes_from_ts_and_falls_back_to_dm():
    ts = pandas(typed("TS", ts_rows(TITLE="A title", TPHASE="Phase II Trial", SPONSOR="Acme")))
    study = D.draft_study(ts, pandas(typed("DM", dm_rows())))
    assert (study.get("id"), study.get("title"), study.get("phase"), study.get("sponsor")) == \
        ("TS-ID", "A title", "Phase II Trial", "Acme")
    alone = D.draft_study(pd.DataFrame(), pandas(typed("DM", dm_rows())))
    assert alone.get("id") == "S1" and alone.get("title") == "S1"
    assert next(f for f in alone.fields if f.key == "title").guessed


def test_enrollment_target_from_plansub_dates_from_randomized_rfstdtc_sites_from_dm():
    dm = pandas(typed("DM", dm_rows()))
    section = D.draft_enrollment(pandas(typed("TS", ts_rows(PLANSUB="300"))), dm)
    real = dm[~dm["ARMCD"].str.strip().str.upper().isin(["SCRNFAIL", "NOTASSGN"])]
    assert section.get("target") == 300
    assert section.get("first_randomization_planned") == pd.Timestamp(real["RFSTDTC"].min()).date()
    assert section.get("planned_end") == pd.Timestamp(real["RFSTDTC"].max()).date()
    assert section.get("sites") == ["01", "02", "03"]
    guessed = {f.key for f in section.fields if f.guessed}
    assert guessed == {"first_randomization_planned", "planned_end"}


def test_enrollment_target_is_a_guess_without_plansub():
    section = D.draft_enrollment(pd.DataFrame(), pandas(typed("DM", dm_rows())))
    target = next(f for f in section.fields if f.key == "target")
    assert target.value == 3 and target.guessed           # three randomized subjects


# Arms

def test_arms_from_dm_leave_out_screen_failures_and_not_assigned_in_any_case():
    pairs, source = D.arm_pairs(pd.DataFrame(), pandas(typed("DM", dm_rows())))
    assert source == "DM" and sorted(pairs) == [("ACT", "Active 10 mg"), ("PBO", "Placebo")]


def test_arms_from_ta_before_dm():
    ta = pandas(typed("TA", [{"ARMCD": "A", "ARM": "Drug"}, {"ARMCD": "A", "ARM": "Drug"},
                             {"ARMCD": "B", "ARM": "Control"}]))
    pairs, source = D.arm_pairs(ta, pandas(typed("DM", dm_rows())))
    assert source == "TA" and sorted(pairs) == [("A", "Drug"), ("B", "Control")]


def test_the_draft_holds_no_coding_key():
    """The coding key comes with each cut (coding.csv, sealed); a drafted configuration names no coded label."""
    arms = D.draft_arms(pd.DataFrame(), pandas(typed("DM", dm_rows())), random.Random(1))
    assert arms and not any(f.key == "coded_label" for a in arms for f in a.fields)
    assert any("coding.csv" in line for line in arms[0].comment)


def test_reference_arm_guessed_from_placebo_or_control_and_marked():
    arms = D.draft_arms(pd.DataFrame(), pandas(typed("DM", dm_rows())), random.Random(1))
    reference = [a for a in arms if a.get("reference")]
    assert [a.get("code") for a in reference] == ["PBO"]
    assert next(f for f in reference[0].fields if f.key == "reference").guessed
    assert any("is not kept here" in line for line in arms[0].comment)


def test_no_reference_arm_when_no_label_says_placebo_or_control():
    dm = pandas(typed("DM", [{"USUBJID": "1", "ARMCD": "A", "ARM": "Low"},
                             {"USUBJID": "2", "ARMCD": "B", "ARM": "High"}]))
    arms = D.draft_arms(pd.DataFrame(), dm, random.Random(1))
    assert not any(a.get("reference") for a in arms)
    assert any("no reference arm guessed" in line for line in arms[0].comment)


# Visits

def test_visits_from_tv_when_present():
    tv = typed("TV", [{"VISITNUM": 1, "VISIT": "SCREENING", "VISITDY": -7}, {"VISITNUM": 2, "VISIT": "WEEK 1",
                                                                             "VISITDY": 7}])
    visits = S.draft_visits({"TV": tv, "SV": typed("SV", [{"USUBJID": "1", "VISITNUM": 9, "VISIT": "OTHER"}])},
                            pd.DataFrame())
    assert [(v.get("num"), v.get("name"), v.get("day")) for v in visits] == [(1.0, "SCREENING", -7), (2.0, "WEEK 1", 7)]


def sv_rows() -> list[dict[str, object]]:
    rows = []
    for subject, start in (("S1-1", "2021-03-05"), ("S1-2", "2021-02-01"), ("S1-5", "2021-06-30")):
        base = pd.Timestamp(start)
        for num, name, visitdy, offset in ((1, "SCREENING", -7, -8), (2, "WEEK 2", 14, 13),
                                           (3, "WEEK 4", None, 30), (3.1, "UNSCHEDULED 3.1", None, 33),
                                           (201, "RETRIEVAL", 168, 170)):
            rows.append({"USUBJID": subject, "VISITNUM": num, "VISIT": name, "VISITDY": visitdy,
                         "SVSTDTC": (base + pd.Timedelta(days=offset)).date().isoformat()})
    rows.append({"USUBJID": "S1-1", "VISITNUM": 2, "VISIT": "UNSCHEDULED 2", "SVSTDTC": "2021-03-20"})
    return rows


def test_visits_from_sv_pairs_with_planned_or_median_day():
    dm = pandas(typed("DM", dm_rows()))
    visits = S.draft_visits({"SV": typed("SV", sv_rows())}, dm)
    assert [(v.get("num"), v.get("name")) for v in visits] == [(1.0, "SCREENING"), (2.0, "WEEK 2"), (3.0, "WEEK 4"),
                                                              (201.0, "RETRIEVAL")]
    by_name = {v.get("name"): v for v in visits}
    assert by_name["SCREENING"].get("day") == -7 and by_name["WEEK 2"].get("day") == 14   # VISITDY as delivered
    sv = pd.DataFrame(sv_rows())
    week4 = sv[sv["VISIT"] == "WEEK 4"].merge(dm[["USUBJID", "RFSTDTC"]], on="USUBJID")
    days = (pd.to_datetime(week4["SVSTDTC"]) - pd.to_datetime(week4["RFSTDTC"])).dt.days + 1
    assert by_name["WEEK 4"].get("day") == int(days.median())                           # 31: no VISITDY
    assert next(f for f in by_name["WEEK 4"].fields if f.key == "day").guessed
    assert by_name["RETRIEVAL"].get("day") is None                                      # unplanned: no day


def test_one_visit_number_with_two_names_keeps_the_scheduled_one():
    rows = [{"USUBJID": "1", "VISITNUM": 9.1, "VISIT": "WEEK 14 (T)", "VISITDY": 98},
            {"USUBJID": "2", "VISITNUM": 9.1, "VISIT": "WEEK 14 (T)", "VISITDY": 98},
            {"USUBJID": "3", "VISITNUM": 9.1, "VISIT": "EARLY TERMINATION"},
            {"USUBJID": "4", "VISITNUM": 9.1, "VISIT": "EARLY TERMINATION"},
            {"USUBJID": "5", "VISITNUM": 9.1, "VISIT": "EARLY TERMINATION"}]
    visits = S.draft_visits({"SV": typed("SV", rows)}, pd.DataFrame())
    assert [(v.get("num"), v.get("name")) for v in visits] == [(9.1, "WEEK 14 (T)")]
    assert "EARLY TERMINATION" in next(f.note for f in visits[0].fields if f.key == "num")


def test_visits_from_findings_when_there_is_no_sv():
    lb = typed("LB", [{"USUBJID": "1", "LBSEQ": 1, "LBTESTCD": "ALT", "VISITNUM": 1, "VISIT": "DAY 1", "LBDY": 1},
                      {"USUBJID": "1", "LBSEQ": 2, "LBTESTCD": "ALT", "VISITNUM": 2, "VISIT": "DAY 8", "LBDY": 9},
                      {"USUBJID": "2", "LBSEQ": 1, "LBTESTCD": "ALT", "VISITNUM": 2, "VISIT": "DAY 8", "LBDY": 7}])
    visits = S.draft_visits({"LB": lb}, pd.DataFrame())
    assert [(v.get("num"), v.get("name"), v.get("day")) for v in visits] == [(1.0, "DAY 1", 1), (2.0, "DAY 8", 8)]


# Dosing

def ex_rows(spans: list[tuple[str, str]], subjects: int = 3) -> list[dict[str, object]]:
    return [{"USUBJID": f"S{s}", "EXSEQ": i + 1, "EXTRT": "X", "EXSTDTC": start, "EXENDTC": end}
            for s in range(subjects) for i, (start, end) in enumerate(spans)]


def test_continuous_regimen_when_records_span_days_duration_from_ts_length():
    ex = pandas(typed("EX", ex_rows([("2021-01-01", "2021-01-14"), ("2021-01-15", "2021-06-30")])))
    section = S.draft_dosing(ex, pandas(typed("TS", ts_rows(LENGTH="26 weeks"))))
    assert section.get("regimen") == "continuous"
    assert section.get("planned_duration_days") == 26 * 7 == section.get("planned_doses")


def test_continuous_duration_from_exposure_without_ts_length():
    ex = pandas(typed("EX", ex_rows([("2021-01-01", "2021-01-14"), ("2021-01-15", "2021-03-01")])))
    section = S.draft_dosing(ex, pd.DataFrame())
    expected = (pd.Timestamp("2021-03-01") - pd.Timestamp("2021-01-01")).days + 1
    assert section.get("planned_duration_days") == expected
    assert next(f for f in section.fields if f.key == "planned_duration_days").guessed


def test_infusions_when_many_same_day_records():
    days = [("2021-01-01T10:00", "2021-01-01T11:00"), ("2021-01-03", "2021-01-03"), ("2021-01-05", None),
            ("2021-01-07", "2021-01-07")]
    rows = ex_rows(days) + [{"USUBJID": "S9", "EXSEQ": 1, "EXTRT": "X", "EXSTDTC": "2021-02-01"}]
    section = S.draft_dosing(pandas(typed("EX", rows)), pd.DataFrame())
    assert section.get("regimen") == "infusions"
    assert section.get("planned_doses") == 4              # most common records per subject (3 with 4, 1 with 1)
    assert section.get("interval_days") == 2


def test_cycles_when_records_span_days_with_gaps():
    ex = pandas(typed("EX", ex_rows([("2021-01-01", "2021-01-05"), ("2021-01-22", "2021-01-26"),
                                     ("2021-02-12", "2021-02-16")])))
    section = S.draft_dosing(ex, pd.DataFrame())
    assert section.get("regimen") == "cycles" and section.get("interval_days") == 21


@pytest.mark.parametrize(("value", "days"), [("26 weeks", 182), ("P26W", 182), ("182 days", 182), ("P1Y", 365),
                                             ("6 months", 183), ("about half a year", None), (None, None)])
def test_length_in_days(value, days):
    assert S.length_days(value) == days


# Outcomes, safety labs, events

def lb_rows() -> list[dict[str, object]]:
    rows, seq = [], 0
    for subject in range(4):
        for code, unit, value in (("ALT", "U/L", 20), ("HGB", "g/L", 130), ("COLOR", None, None)):
            if code == "HGB" and subject == 3:
                continue
            seq += 1
            rows.append({"USUBJID": f"S{subject}", "LBSEQ": seq, "LBTESTCD": code, "LBTEST": code.title(),
                         "LBSTRESN": value, "LBSTRESC": value if value else "YELLOW", "LBSTRESU": unit})
    rows.append({"USUBJID": "S0", "LBSEQ": 99, "LBTESTCD": "HGB", "LBTEST": "Hgb", "LBSTRESN": 8,
                 "LBSTRESU": "mmol/L"})
    return rows


def test_outcome_candidates_are_the_numeric_tests_with_most_subjects():
    lb = typed("LB", lb_rows())
    outcomes = M.draft_outcomes({"LB": lb}, {})
    assert [(o.get("testcd"), o.get("family"), o.get("unit")) for o in outcomes] == [
        ("ALT", "laboratory", "U/L"), ("HGB", "laboratory", "g/L")]          # COLOR has no numeric result
    hgb = next(o for o in outcomes if o.get("testcd") == "HGB")
    assert next(f for f in hgb.fields if f.key == "unit").guessed           # two units delivered


def test_safety_labs_say_which_tests_are_absent():
    section = M.draft_safety_labs(pandas(typed("LB", lb_rows())))
    notes = {f.key: f for f in section.fields}
    assert not notes["alt"].guessed and notes["ast"].guessed and "absent" in notes["ast"].note


def test_death_event_from_dm_else_from_ds():
    dm = pandas(typed("DM", dm_rows()))
    events = M.draft_events(dm, pd.DataFrame(), pd.DataFrame())
    assert [(e.get("source"), e.get("term")) for e in events] == [("DM", "DTHDTC")]
    ds = pandas(typed("DS", [{"USUBJID": "1", "DSSEQ": 1, "DSDECOD": "Death"}]))
    events = M.draft_events(dm.drop(columns=["DTHFL", "DTHDTC", "DTHDT"]), ds, pd.DataFrame())
    assert [(e.get("source"), e.get("term")) for e in events] == [("DS", "DEATH")]


def test_serious_adverse_events_are_only_commented_suggestions():
    ae = pandas(typed("AE", [{"USUBJID": "1", "AESEQ": 1, "AEDECOD": "SYNCOPE", "AESER": "Y"}]))
    events = M.draft_events(pd.DataFrame(), pd.DataFrame(), ae)
    assert [e.commented_out for e in events] == [True]


# The whole draft

def export_tables() -> dict[str, SourceTable]:
    return {"DM": typed("DM", dm_rows()), "SV": typed("SV", sv_rows()), "LB": typed("LB", lb_rows()),
            "TS": typed("TS", ts_rows(TITLE="T", PLANSUB="40", LENGTH="26 weeks", AGEMIN="50 years")),
            "EX": typed("EX", ex_rows([("2021-01-01", "2021-01-14"), ("2021-01-15", "2021-06-30")]))}


def test_the_draft_is_accepted_by_the_configuration_loader():
    draft = D.draft_config(export_tables(), "export", rng=random.Random(3))
    config = parse_trial_config(tomllib.loads(render(draft)), "draft.toml")
    assert config.study_id == "TS-ID" and config.target_enrollment == 40 and config.regimen == "continuous"
    assert {a.code for a in config.arms} == {"ACT", "PBO"} and config.reference_arm.code == "PBO"
    assert config.eligibility.age_min == 50


def test_every_guessed_value_carries_a_guessed_comment():
    draft = D.draft_config(export_tables(), "export", rng=random.Random(3))
    text = render(draft)
    guessed_lines = [line for line in text.splitlines() if f"# {GUESSED}" in line and not line.startswith("#")]
    assert len(guessed_lines) == draft.guessed_count > 0


def test_the_draft_names_no_subject_and_no_count_by_arm():
    text = render(D.draft_config(export_tables(), "export", rng=random.Random(3)))
    assert not re.search(r"S1-\d", text)                          # no USUBJID
    arm_lines = [line for line in text.splitlines() if "Active 10 mg" in line or '"ACT"' in line]
    assert arm_lines and not any(re.search(r"\d+ subject", line) for line in arm_lines)


def test_custom_findings_domain_proposed_from_an_unknown_file(tmp_path):
    pd.DataFrame(dm_rows()).to_csv(tmp_path / "dm.csv", index=False)
    pd.DataFrame([{"USUBJID": "S1-1", "XQSEQ": 1, "XQTESTCD": "SCORE", "XQTEST": "Score", "XQSTRESN": 3}]).to_csv(
        tmp_path / "xq.csv", index=False)
    (tmp_path / "notes.csv").write_text("A,B\n1,2\n")
    findings = Findings()
    draft = D.draft_export(tmp_path, findings, random.Random(0))
    assert isinstance(draft, Draft)
    assert draft.section("custom_domains").get("XQ") == "XQ findings"
    assert [o.get("testcd") for o in draft.all("outcomes")] == ["SCORE"]
    assert [f.file for f in findings.warnings] == ["notes.csv"]


def test_deaths_counted_by_flag_y_or_a_death_date_not_by_a_filled_flag():
    from dashboard.trials.draft_measures import draft_events

    dm = pd.DataFrame({"USUBJID": ["1", "2", "3", "4"], "DTHFL": ["Y", "N", "N", ""],
                       "DTHDTC": ["2020-01-02", "", "", "2020-03-04"]}, dtype="str")
    text = str(draft_events(dm, pd.DataFrame(), pd.DataFrame()))
    assert "(2 subjects recorded dead)" in text
