"""Issue 17: arm codes and labels named inside open text ("Infusion reaction to MenSC secretome") refuse the load,
with file, row and column and never the value; short codes and trial design text do not."""

from __future__ import annotations

import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from support import DEMO_EXPORTS

from dashboard.config import load_trial_config
from dashboard.ingest.armscan import KIND_COLUMN, KIND_TEXT, check_arm_values_in_open_columns, word_pattern
from dashboard.ingest.convert import type_table
from dashboard.ingest.findings import Findings
from dashboard.ingest.load import check_export
from dashboard.ingest.readers import TEXT, SourceTable
from dashboard.ingest.validate import validate

STUDY = "NCT05019287"
S1, S2, S3 = (f"{STUDY}-01-00{i}" for i in range(1, 4))


@pytest.fixture(scope="module")
def config():
    return load_trial_config()


def source(domain: str, **columns: list[str | None]) -> SourceTable:
    table = pa.table({k: pa.array(v, type=TEXT) for k, v in columns.items()})
    name = f"{domain.lower()}.csv"
    return SourceTable(domain, name, type_table(SourceTable(domain, name, table), Findings()))


def dm() -> SourceTable:
    return source("DM", STUDYID=[STUDY] * 3, USUBJID=[S1, S2, S3], ARMCD=["MENSC", "PBO", "MENSC"])


def ae(terms: list[str | None]) -> SourceTable:
    n = len(terms)
    return source("AE", STUDYID=[STUDY] * n, USUBJID=[S1, S2, S3][:n], AESEQ=[str(i + 1) for i in range(n)],
                  AEDECOD=["Rash"] * n, AETERM=terms)


def errors(config, *tables: SourceTable) -> list:
    findings = Findings()
    validate({t.domain: t for t in tables}, config, findings)
    return findings.errors


ARM_TEXT = ["Infusion reaction to MenSC secretome", "reaction after saline   PLACEBO.", "rash (mensc)",
            "PBO-related headache", "given MENSC"]


@pytest.mark.parametrize("text", ARM_TEXT)
def test_an_arm_named_inside_text_is_an_error_naming_row_and_column_not_the_value(config, text):
    found = errors(config, dm(), ae(["Headache", text, None]))
    assert [(f.file, f.row, f.usubjid, f.seq, f.column, f.kind) for f in found] == \
        [("ae.csv", 2, S2, "2", "AETERM", KIND_TEXT)]
    shown = str(found[0]).lower()
    assert all(word not in shown for word in ("mensc", "secretome", "placebo", "pbo", "saline"))


@pytest.mark.parametrize("text", ["Headache", "PBOX level raised", "Mensclinic visit", "placebos", "A rash",
                                  "Secretome study visit", "salinePlacebo"])
def test_parts_of_words_and_other_words_are_not_arm_names(config, text):
    assert errors(config, dm(), ae([text, "Fever", None])) == []


def test_a_column_of_arm_values_stays_one_column_error(config):
    found = errors(config, dm(), ae(["MenSC secretome", "Saline placebo", None]))
    assert [(f.row, f.column, f.kind) for f in found] == [(None, "AETERM", KIND_COLUMN)]


def test_trial_design_text_naming_the_treatments_is_allowed(config):
    ts = source("TS", STUDYID=[STUDY] * 2, DOMAIN=["TS"] * 2, TSPARMCD=["TRT", "COMPTRT"],
                TSVAL=["MenSC secretome infusions", "Saline placebo (PBO) infusions"])
    te = source("TE", STUDYID=[STUDY], DOMAIN=["TE"], ETCD=["T1"], ELEMENT=["Treatment with MenSC secretome"])
    assert errors(config, dm(), ts, te) == []


def test_short_codes_are_whole_values_only():
    """A one- or two-letter code would match articles and grades inside text; it is still refused as a value."""
    pattern = word_pattern(pa.array(["A", "B", "Drug X", "Placebo"]))
    texts = pa.array(["Grade A reaction", "a b c", "given drug  x today", "placebo", "Drug Xylo"])
    assert pc.match_substring_regex(texts, pattern, ignore_case=True).to_pylist() == [False, False, True, True, False]
    findings = Findings()
    check_arm_values_in_open_columns(source("CO", STUDYID=[STUDY] * 2, USUBJID=[S1, S2], COSEQ=["1", "2"],
                                            COVAL=["Grade A reaction", "B"]), pa.array(["A", "B"]), findings)
    assert [(f.row, f.column, f.kind) for f in findings.errors] == [(None, "COVAL", KIND_COLUMN)]


def test_labels_with_pattern_characters_are_matched_literally():
    pattern = word_pattern(pa.array(["C: Combination (high)", "Arm.1+2", "Dose 10 mg/kg"]))
    texts = pa.array(["after c: combination (HIGH) dose", "Arm.1+2", "ArmX1+2", "dose 10 mg/kg given", "Dose 10 mgXkg"])
    assert pc.match_substring_regex(texts, pattern, ignore_case=True).to_pylist() == [True, True, False, True, False]


def test_a_demo_export_whose_adverse_event_text_names_an_arm_is_refused(tmp_path, config):
    export = tmp_path / "export"
    shutil.copytree(DEMO_EXPORTS / "interim", export)
    ae_file = export / "ae.csv"
    frame = pd.read_csv(ae_file, dtype=str, keep_default_na=False)
    frame.loc[3, "AETERM"] = "Infusion reaction to MenSC secretome"
    frame.to_csv(ae_file, index=False)
    found = [f for f in check_export(export, config).errors]
    assert [(f.file, f.row, f.column, f.kind) for f in found] == [("ae.csv", 4, "AETERM", KIND_TEXT)]
    assert "MenSC" not in str(found[0]) and "secretome" not in str(found[0])
