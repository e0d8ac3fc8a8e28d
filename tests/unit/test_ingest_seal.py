"""Sealing rules on small in-memory exports, and the validation checks that guard them."""

from __future__ import annotations

import pyarrow as pa
import pytest

from dashboard.config import load_trial_config
from dashboard.ingest.convert import type_table
from dashboard.ingest.findings import Findings
from dashboard.ingest.readers import TEXT, SourceTable
from dashboard.ingest.seal import SealedExport
from dashboard.ingest.seal import seal as seal_tables
from dashboard.ingest.validate import validate


def seal(tables: dict[str, SourceTable], config) -> SealedExport:
    """`seal`, with its Arrow tables as pandas frames for easy reading."""
    export = seal_tables(tables, config)
    return SealedExport({k: t.to_pandas() for k, t in export.clinical.items()},
                        {k: t.to_pandas() for k, t in export.sealed.items()}, export.randomized,
                        export.carries_allocation)

S1, S2, S3, S4 = (f"NCT05019287-01-00{i}" for i in range(1, 5))


@pytest.fixture(scope="module")
def config():
    return load_trial_config()


def source(domain: str, **columns: list[str | None]) -> SourceTable:
    table = pa.table({k: pa.array(v, type=TEXT) for k, v in columns.items()})
    return SourceTable(domain, f"{domain.lower()}.csv", type_table(SourceTable(domain, "", table), Findings()))


def dm(**extra: list[str | None]) -> SourceTable:
    return source("DM", STUDYID=["NCT05019287"] * 4, USUBJID=[S1, S2, S3, S4], SITEID=["01"] * 4,
                  ARMCD=["MENSC", "PBO", "SCRNFAIL", "NOTASSGN"],
                  ARM=["MenSC secretome", "Saline placebo", "Screen Failure", "Not Assigned"], **extra)


def ds() -> SourceTable:
    return source("DS", USUBJID=[S1, S2, S3], DSSEQ=["1", "1", "1"],
                  DSDECOD=["RANDOMIZED", "RANDOMIZED", "SCREEN FAILURE"],
                  DSSTDTC=["2021-04-20", "2021-04-22", "2021-04-19"])


def test_without_a_list_allocation_comes_from_dm_and_randomization_dates_from_ds(config):
    export = seal({"DM": dm(), "DS": ds()}, config)
    frame = export.clinical["DM"]
    assert list(frame["RANDFL"]) == ["Y", "Y", "N", "N"] and list(frame["SCRNFFL"]) == ["N", "N", "Y", "N"]
    assert frame["RANDDTC"].tolist()[:2] == ["2021-04-20", "2021-04-22"] and frame["RANDDT"].isna().tolist()[2:] == [
        True, True]
    allocation = export.sealed["allocation"]
    assert allocation["ARMCD"].tolist() == ["MENSC", "PBO", "SCRNFAIL", "NOTASSGN"]
    assert export.randomized == 2 and "ARMCD" not in frame


def test_adam_columns_in_any_domain_are_sealed_with_their_keys(config):
    ae = source("AE", USUBJID=[S1, S2], AESEQ=["1", "1"], AEDECOD=["HEADACHE", "NAUSEA"],
                AESTDTC=["2021-04-21", "2021-04-23"], TRTA=["MenSC secretome", "Saline placebo"],
                TRT01AN=["1", "2"])
    export = seal({"DM": dm(), "AE": ae}, config)
    assert "TRTA" not in export.clinical["AE"] and "TRT01AN" not in export.clinical["AE"]
    assert list(export.sealed["AE"].columns) == ["USUBJID", "AESEQ", "TRTA", "TRT01AN"]


def test_supp_rows_are_sealed_by_qnam_or_by_an_arm_value(config):
    supp = source("SUPPDM", RDOMAIN=["DM"] * 4, USUBJID=[S1, S1, S2, S2], QNAM=["RANDNO", "COMORB", "GROUP", "COMORB"],
                  QVAL=["R001", "ASTHMA", "PBO", "NONE"])
    export = seal({"DM": dm(), "SUPPDM": supp}, config)
    assert export.clinical["SUPPDM"]["QVAL"].tolist() == ["ASTHMA", "NONE"]
    assert export.sealed["SUPPDM"]["QNAM"].tolist() == ["RANDNO", "GROUP"]


def test_ex_treatment_and_dose_are_sealed_always(config):
    ex = source("EX", USUBJID=[S1, S2], EXSEQ=["1", "1"], EXTRT=["SECRETOME", "SALINE"], EXDOSE=["5", "5"],
                EXDOSU=["mL", "mL"], EXSTDTC=["2021-04-21", "2021-04-23"])
    export = seal({"DM": dm(), "EX": ex}, config)
    assert export.clinical["EX"].columns.tolist() == ["USUBJID", "EXSEQ", "EXTRT", "EXDOSU", "EXSTDTC", "EXSTDT"]
    assert set(export.clinical["EX"]["EXTRT"]) == {config.blinded_treatment_label}
    assert export.sealed["EX"]["EXTRT"].tolist() == ["SECRETOME", "SALINE"]


def test_clinical_parts_of_files_carrying_allocation_are_one_chunk(config):
    """Their Parquet bytes fingerprint the cut id; how the reader cut a file into blocks depends on the bytes of
    its arm columns too, so it must not show in them."""
    def in_blocks(table: SourceTable) -> SourceTable:
        blocks = pa.concat_tables([table.table.slice(i, 1) for i in range(table.table.num_rows)])
        return SourceTable(table.domain, table.name, blocks)

    ex = source("EX", USUBJID=[S1, S2], EXSEQ=["1", "1"], EXTRT=["SECRETOME", "SALINE"], EXSTDTC=["2021-04-21"] * 2)
    supp = source("SUPPDM", RDOMAIN=["DM"] * 4, USUBJID=[S1, S1, S2, S2], QNAM=["RANDNO", "COMORB", "GROUP", "X"],
                  QVAL=["R001", "ASTHMA", "PBO", "NONE"])
    export = seal_tables({"DM": in_blocks(dm()), "DS": in_blocks(ds()), "EX": in_blocks(ex),
                          "SUPPDM": in_blocks(supp)}, config)
    assert {"DM", "EX", "SUPPDM"} <= export.carries_allocation
    for domain in export.carries_allocation & export.clinical.keys():
        assert {column.num_chunks for column in export.clinical[domain].columns} == {1}, domain


def test_an_open_column_holding_arm_values_is_an_error_that_quotes_nothing(config):
    ae = source("AE", USUBJID=[S1], AESEQ=["1"], AEDECOD=["HEADACHE"], AESTDTC=["2021-04-21"],
                AEGROUP=["MenSC secretome"])
    findings = Findings()
    validate({"DM": dm(), "AE": ae}, config, findings)
    assert [str(f) for f in findings.errors] == [
        "ae.csv, column AEGROUP: the column holds arm codes or labels (value withheld: allocation); "
        "remove it or rename it to a sealed name"]


def test_list_and_dm_must_agree_and_unlisted_arms_are_refused(config):
    listing = source("RANDOMIZATION", USUBJID=[S1, S2], ARMCD=["PBO", "PBO"], RANDDTC=["2021-04-20", "2021-04-22"])
    findings = Findings()
    validate({"DM": dm(), "RANDOMIZATION": listing}, config, findings)
    assert [f.row for f in findings.errors] == [1]
    listing = source("RANDOMIZATION", USUBJID=[S2], ARMCD=["PBO"], RANDDTC=["2021-04-22"])
    findings = Findings()
    validate({"DM": dm(), "RANDOMIZATION": listing}, config, findings)
    assert [str(f) for f in findings.errors] == [
        f"dm.csv row 1 (USUBJID {S1}), column ARMCD: DM.ARMCD names an arm but the subject is not on the "
        "randomization list (value withheld: allocation)"]


def test_a_qnam_with_any_arm_value_is_sealed_for_every_subject(config):
    """Sealing only the rows that name an arm would leave the other arm's rows behind, marking it."""
    supp = source("SUPPDM", RDOMAIN=["DM"] * 4, USUBJID=[S1, S1, S2, S2],
                  QNAM=["PRODNOTE", "COMORB", "PRODNOTE", "COMORB"],
                  QVAL=["Saline placebo", "ASTHMA", "secretome 5 mL lot 7", "NONE"])
    export = seal({"DM": dm(), "SUPPDM": supp}, config)
    assert export.clinical["SUPPDM"]["QNAM"].tolist() == ["COMORB", "COMORB"]
    assert sorted(export.sealed["SUPPDM"]["QVAL"].tolist()) == ["Saline placebo", "secretome 5 mL lot 7"]


def test_allocation_warning_names_adsl_on_an_adam_cut_and_never_an_arm():
    """O9: without a randomization list the arms come from ADSL ARMCD / ACTARMCD on an ADaM cut, DM's on SDTM."""
    import pyarrow as pa

    from dashboard.ingest.readers import SourceTable
    from dashboard.ingest.seal import allocation_source
    table = pa.table({"USUBJID": ["S1"], "ARMCD": ["PBO"], "ACTARMCD": ["PBO"]})
    adam = allocation_source(SourceTable("DM", "adsl.xpt", table))
    assert adam.startswith("ADSL ARMCD") and "ACTARMCD" in adam and "PBO" not in adam
    assert allocation_source(SourceTable("DM", "dm.xpt", table)).startswith("DM ARMCD")
