"""Drafting what a configuration measures: outcomes, safety labs, events, custom domains, eligibility."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from dashboard.config import DEFAULT_NOT_RELATED, DEFAULT_RELATED, SafetyLabs
from dashboard.ingest.readers import SourceTable
from dashboard.ingest.schema import STANDARD_DOMAINS, TRIAL_DESIGN_DOMAINS, normalized
from dashboard.trials.draft_schedule import ts_value
from dashboard.trials.export import frame, norm, text
from dashboard.trials.render import Field, Section, guessed, sections

TESTS_PER_DOMAIN = 5
FAMILY_NAMES = {"LB": "laboratory", "VS": "vital signs", "QS": "questionnaires", "EG": "ECG", "FT": "functional tests",
                "RS": "disease response", "PE": "physical examination", "MB": "microbiology"}
_PREFERRED = ("LB", "VS", "QS", "EG")
_AGE = re.compile(r"^\s*P?(\d+(?:\.\d+)?)\s*(Y|YEARS?)?\s*$", re.IGNORECASE)


def findings_domains(tables: Mapping[str, SourceTable]) -> list[str]:
    """Domains with numeric test results (--TESTCD and --STRESN): LB, VS, QS, EG first, then the others."""
    found = [d for d, s in tables.items() if d not in TRIAL_DESIGN_DOMAINS and not d.startswith("SUPP")
             and {f"{d[:2]}TESTCD", f"{d[:2]}STRESN"} <= set(s.table.column_names)]
    return sorted(found, key=lambda d: (_PREFERRED.index(d) if d in _PREFERRED else len(_PREFERRED), d))


def _most_common(values: pd.Series) -> tuple[str, list[str]]:
    """The most frequent non-blank value and every distinct one (most frequent first)."""
    counts = text(values).value_counts()
    return (str(counts.index[0]) if len(counts) else ""), [str(v) for v in counts.index]


def domain_tests(source: pd.DataFrame, domain: str, limit: int = TESTS_PER_DOMAIN) -> list[dict[str, object]]:
    """The tests with most subjects having a numeric result: testcd, label, unit, units, subjects."""
    p = domain[:2]
    numeric = source[pd.to_numeric(source[f"{p}STRESN"], errors="coerce").notna()]
    numeric = numeric.assign(TESTCD=text(numeric[f"{p}TESTCD"])).dropna(subset=["TESTCD"])
    subjects = numeric.groupby("TESTCD")["USUBJID"].nunique() if "USUBJID" in numeric else numeric.groupby(
        "TESTCD").size()
    tests = []
    for testcd, n in sorted(subjects.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]:
        rows = numeric[numeric["TESTCD"] == testcd]
        label, _ = _most_common(rows[f"{p}TEST"]) if f"{p}TEST" in rows else (testcd, [])
        unit, units = _most_common(rows[f"{p}STRESU"]) if f"{p}STRESU" in rows else ("", [])
        tests.append({"testcd": testcd, "label": label or testcd, "unit": unit, "units": units, "subjects": int(n)})
    return tests


def draft_outcomes(tables: Mapping[str, SourceTable], custom: Mapping[str, str]) -> list[Section]:
    """[[outcomes]] candidates: the most frequent numeric tests of each findings domain."""
    rows = []
    for domain in findings_domains(tables):
        family = FAMILY_NAMES.get(domain, custom.get(domain, domain))
        for test in domain_tests(frame(tables, domain), domain):
            unit = (guessed("unit", test["unit"], f"the most common of the units {test['units']}")
                    if len(test["units"]) > 1 else Field("unit", test["unit"], f"from {domain[:2]}STRESU"
                                                         if test["unit"] else "no unit delivered"))
            rows.append([
                guessed("family", family, f"domain {domain}; one of its {TESTS_PER_DOMAIN} tests with most subjects "
                                          f"({test['subjects']} with a numeric result)"),
                Field("domain", domain), Field("testcd", test["testcd"]),
                Field("label", test["label"], f"from {domain[:2]}TEST"),
                unit,
                guessed("higher_is_better", True, "the data cannot say: set it from the protocol")])
    return sections("outcomes", rows, ("Outcome candidates: family, domain, test code, label, unit (the standard "
                                       "unit --STRESU), whether higher is better. Keep those the protocol names.",))


def draft_safety_labs(lb: pd.DataFrame) -> Section:
    """The safety lab test codes; the default code of a test LB lacks is kept and said absent."""
    present = set(text(lb["LBTESTCD"]).dropna()) if "LBTESTCD" in lb else set()
    fields = []
    for key, code in (("alt", SafetyLabs.alt), ("ast", SafetyLabs.ast), ("bilirubin", SafetyLabs.bilirubin),
                      ("creatinine", SafetyLabs.creatinine)):
        fields.append(Field(key, code, "present in LB" if code in present else
                            f"guessed: {code} is absent from LB: its safety views stay empty (or name the code used)"))
    return Section("safety_labs", tuple(fields), comment=("Safety laboratory tests (lab safety views, eDISH).",))


def draft_events(dm: pd.DataFrame, ds: pd.DataFrame, ae: pd.DataFrame) -> list[Section]:
    """Death from DM (DTHFL / DTHDTC), else DS (DEATH); the most frequent serious AEs as commented suggestions."""
    rows = []
    if {"DTHFL", "DTHDTC"} & set(dm.columns):
        # DTHFL is Y or blank (an ADaM export may fill it with N); DTHDTC counts when it holds a date
        none = pd.Series(False, index=dm.index)
        flag = dm["DTHFL"].astype("str").str.strip().str.upper().eq("Y").fillna(False) if "DTHFL" in dm else none
        dated = dm["DTHDTC"].astype("str").str.strip().fillna("").ne("") if "DTHDTC" in dm else none
        flagged = int((flag | dated).sum())
        rows.append([Field("name", "death"), Field("label", "Death"), Field("source", "DM"),
                     Field("term", "DTHDTC", f"DM has DTHFL/DTHDTC ({flagged} subjects recorded dead)")])
    elif "DSDECOD" in ds and norm(ds["DSDECOD"]).eq("DEATH").any():
        rows.append([Field("name", "death"), Field("label", "Death"), Field("source", "DS"),
                     Field("term", "DEATH", "DS has DSDECOD DEATH (DM has no DTHFL/DTHDTC)")])
    out = sections("events", rows, ("Events and where each comes from: source DM (death flag / date), DS "
                                    "(disposition term), AE (preferred term), PR (procedure), HO (hospital end).",))
    if {"AESER", "AEDECOD", "USUBJID"} <= set(ae.columns):
        serious = ae[norm(ae["AESER"]).eq("Y")]
        common = serious.groupby(text(serious["AEDECOD"]))["USUBJID"].nunique().sort_values(ascending=False)
        for term, n in list(common.items())[:3]:
            name = re.sub(r"[^a-z0-9]+", "_", str(term).lower()).strip("_")
            out.append(Section("events", (Field("name", name), Field("label", str(term).capitalize()),
                                          Field("source", "AE"), Field("term", str(term))), array=True,
                               comment=(f"Suggestion (guessed: a serious AE of {n} subject(s)); uncomment to use.",),
                               commented_out=True))
    return out


def draft_custom_domains(tables: Mapping[str, SourceTable], custom: Mapping[str, str]) -> Section | None:
    """Custom findings domains found in the export (files whose name is no SDTMIG domain)."""
    found = [d for d in custom if d in tables]
    if not found:
        return None
    return Section("custom_domains", tuple(guessed(d, custom[d], f"file {tables[d].name} is no SDTMIG domain; name "
                                                                  "it as the protocol does") for d in found),
                   comment=("Custom findings domains read from the export besides the standard ones.",))


def custom_candidates(stems: frozenset[str]) -> dict[str, str]:
    """Labels for the unknown files of an export, proposed as custom domains."""
    return {stem: f"{stem} findings" for stem in sorted(stems)
            if stem.isalnum() and len(stem) <= 8 and stem not in STANDARD_DOMAINS}


def draft_screen_failure_reasons(ie: pd.DataFrame) -> Section | None:
    """IE.IETESTCD -> 'Inclusion: ...' / 'Exclusion: ...' from IETEST and IECAT."""
    if not {"IETESTCD", "IETEST"} <= set(ie.columns):
        return None
    ie = ie.assign(CODE=text(ie["IETESTCD"]), TEST=text(ie["IETEST"])).dropna(subset=["CODE"])
    fields = []
    for code, rows in ie.groupby("CODE", sort=True):
        category = normalized(text(rows["IECAT"]).dropna().iloc[0]) if "IECAT" in rows and rows["IECAT"].notna().any() \
            else ""
        prefix = "Inclusion: " if category.startswith("INCL") else "Exclusion: " if category.startswith("EXCL") else ""
        test = text(rows["TEST"]).dropna()
        fields.append(guessed(str(code), prefix + (str(test.iloc[0]) if len(test) else str(code)),
                              "IETEST as delivered; word it as the protocol does"))
    return Section("screen_failure_reasons", tuple(fields),
                   comment=("Screen-failure reasons: IE.IETESTCD -> the protocol criterion it stands for.",))


def _age(value: str | None) -> float | None:
    """Years from a TS age ('50 years', 'P50Y'), else None."""
    match = _AGE.match(value or "")
    return float(match.group(1)) if match else None


def draft_eligibility(ts: pd.DataFrame) -> Section | None:
    """Age limits from TS AGEMIN / AGEMAX when they read as years."""
    fields = []
    for key, code in (("age_min", "AGEMIN"), ("age_max", "AGEMAX")):
        raw = ts_value(ts, code)
        age = _age(raw)
        if age is not None:
            fields.append(Field(key, int(age) if age.is_integer() else age, f"from TS {code} {raw!r}"))
        elif raw:
            fields.append(Field(key, None, f"TS {code} is {raw!r}"))
    if not fields:
        return None
    return Section("eligibility", tuple(fields), comment=(
        "Eligibility checks run on randomized subjects (possible protocol deviations); add [[eligibility.checks]] "
        "for other limits.",))


def vocabulary_comment(ae: pd.DataFrame) -> tuple[str, ...]:
    """What the AE causality terms of the export are, against the default vocabulary."""
    if "AEREL" not in ae:
        return ("AE has no AEREL: relatedness cannot be shown.",)
    values = sorted(set(norm(ae["AEREL"]).dropna()))
    unknown = [v for v in values if v not in DEFAULT_RELATED and v not in DEFAULT_NOT_RELATED]
    line = f"AEREL values in this export: {', '.join(values) or 'none'}."
    if unknown:
        return (line, f"Not in the default vocabulary: {', '.join(unknown)}; list them under [vocabulary] related "
                      "or not_related.")
    return (line, "All are covered by the default vocabulary (see docs/configuration.md, [vocabulary]).")
