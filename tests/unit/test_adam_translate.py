"""ADaM -> SDTM-shaped domains: the mapping of each dataset, and treatment variables kept for the seal step only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.ingest.adam.translate import (
    adae_to_ae, adex_to_ex, adsl_to_dm, adtte_to_tte, bds_to_findings, to_table, translate,
)
from dashboard.ingest.findings import Findings
from dashboard.ingest.schema import is_sealed_name


def _adsl(**extra) -> pd.DataFrame:
    base = {"STUDYID": ["S", "S"], "USUBJID": ["S-1", "S-2"], "SITEID": ["01", "02"], "AGE": [50.0, 60.0],
            "SEX": ["F", "M"], "RACE": ["WHITE", "ASIAN"], "ARMCD": ["A", "Scrnfail"],
            "ARM": ["Drug", "Screen Failure"],
            "ACTARMCD": ["A", "Scrnfail"], "ACTARM": ["Drug", "Screen Failure"], "TRT01P": ["Drug", "Screen Failure"],
            "TRT01A": ["Drug", "Screen Failure"], "TRTSDT": ["2014-01-02", None], "TRTEDT": ["2014-06-01", None],
            "RANDDT": ["2014-01-01", None], "DTHFL": ["Y", None], "DTHDT": ["2014-07-01", None],
            "SAFFL": ["Y", "N"], "EOSSTT": ["DISCONTINUED", None], "DCSREAS": ["DEATH", None],
            "STRATA1": ["X", "Y"], "DOSEA": [10.0, np.nan]}
    base.update(extra)
    return pd.DataFrame(base)


def test_adsl_to_dm_dates_flags_and_arms():
    dm = adsl_to_dm(_adsl())
    assert dm["RFSTDTC"].tolist()[0] == "2014-01-02" and dm["RANDDTC"].tolist()[0] == "2014-01-01"
    assert dm["DTHDTC"].tolist()[0] == "2014-07-01" and dm["DTHFL"].tolist()[0] == "Y"
    assert dm["ARMCD"].tolist() == ["A", "Scrnfail"] and dm["ACTARM"].tolist() == ["Drug", "Screen Failure"]
    assert dm["SAFFL"].tolist() == ["Y", "N"] and dm["DCSREAS"].tolist()[0] == "DEATH"
    assert "TRT01P" in dm and "TRT01A" in dm                # the seal step moves them (schema knows the names)
    assert "STRATA1" not in dm                                 # not translated
    assert "DOSEA" in dm and is_sealed_name("DOSEA")          # carried, for the seal step to move to the sealed part


def test_adsl_without_armcd_takes_trt01p_and_trt01a():
    dm = adsl_to_dm(_adsl().drop(columns=["ARMCD", "ARM", "ACTARMCD", "ACTARM"]))
    assert dm["ARMCD"].tolist() == ["Drug", "Screen Failure"] and dm["ACTARMCD"].tolist()[0] == "Drug"


def test_rfstdtc_from_datetime_when_no_date():
    dm = adsl_to_dm(_adsl().drop(columns=["TRTSDT"]).assign(TRTSDTM=["2019-02-24T11:09:25", None]))
    assert dm["RFSTDTC"].tolist()[0] == "2019-02-24T11:09:25"


def test_every_open_column_free_of_treatment_names():
    """Whatever ADaM treatment variable an ADSL repeats, no column the seal step leaves open is one."""
    adsl = _adsl(TRT02P=["B", "B"], TRTSEQP=["A-B", "A-B"], TRT01PG1=["G", "G"], TRTPN=[1.0, 2.0], DOSE01A=[1.0, 2.0])
    dm = adsl_to_dm(adsl)
    # whatever the translation carries, the seal step moves every treatment name (schema.SEALED_NAMES / PATTERN)
    # out of the open part; what stays open is design-free: check it by name, not with the rule under test
    treatment = {"ARM", "ARMCD", "ACTARM", "ACTARMCD", "TRT01P", "TRT02P", "TRTSEQP", "TRT01PG1", "TRTPN", "DOSE01A",
                 "DOSEA"}
    assert all(is_sealed_name(c) for c in treatment & set(dm.columns))
    assert all(is_sealed_name(c) for c in ("DOSEA", "TRT01PG1", "DOSE01A", "TRT02P", "TRTSEQP", "TRTPN"))


def test_adae_uses_analysis_dates_aseq_and_trtemfl():
    adae = pd.DataFrame({"USUBJID": ["S-1"], "AESEQ": [7.0], "ASEQ": [2.0], "AEDECOD": ["HEADACHE"],
                         "AESTDTC": ["2014-01"], "ASTDT": ["2014-01-01"], "AENDT": [None], "AEENDTC": ["2014-02-03"],
                         "TRTEMFL": ["Y"], "ASEV": ["MILD"], "AREL": ["PROBABLE"], "TRTA": ["Drug"]})
    ae = adae_to_ae(adae)
    assert ae["AESEQ"].tolist() == [2.0] and ae["AESTDTC"].tolist() == ["2014-01-01"]
    assert ae["AEENDTC"].tolist() == ["2014-02-03"] and ae["TRTEMFL"].tolist() == ["Y"]
    assert ae["AESEV"].tolist() == ["MILD"] and ae["AEREL"].tolist() == ["PROBABLE"] and "TRTA" in ae


def test_bds_to_lb_and_derived_records_have_no_visit():
    adlb = pd.DataFrame({"USUBJID": ["S-1"] * 3, "ASEQ": [1.0, 2.0, 3.0], "PARAMCD": ["ALT"] * 3,
                         "PARAM": ["Alanine Aminotransferase (U/L)"] * 3, "AVAL": [20.0, 30.0, 30.0],
                         "BASE": [20.0] * 3, "CHG": [np.nan, 10.0, 10.0], "ABLFL": ["Y", None, None],
                         "AVISIT": ["Baseline", "Week 2", "POST-BASELINE MAXIMUM"], "AVISITN": [0.0, 2.0, 9998.0],
                         "DTYPE": [None, None, "MAXIMUM"], "ADT": ["2014-01-01", "2014-01-15", "2014-01-15"]})
    lb = bds_to_findings(adlb, "LB", 1_000_000)
    assert lb["LBSEQ"].tolist() == [1_000_001.0, 1_000_002.0, 1_000_003.0]
    assert lb["LBTESTCD"].tolist() == ["ALT"] * 3 and lb["LBSTRESU"].tolist() == ["U/L"] * 3
    assert lb["LBTEST"].tolist() == ["Alanine Aminotransferase"] * 3      # the pages add the unit
    assert lb["LBSTRESN"].tolist() == [20.0, 30.0, 30.0] and lb["LBBLFL"].tolist()[0] == "Y"
    assert lb["VISITNUM"].tolist()[:2] == [0.0, 2.0] and np.isnan(lb["VISITNUM"].iloc[2])
    assert lb["AVISITN"].tolist()[2] == 9998.0 and lb["DTYPE"].tolist()[2] == "MAXIMUM"
    assert lb["CHG"].tolist()[1] == 10.0 and lb["LBDTC"].tolist()[1] == "2014-01-15"


def test_adex_keeps_dated_records_or_builds_one_per_subject_with_a_warning():
    dated = pd.DataFrame({"USUBJID": ["S-1", "S-1"], "PARAMCD": ["DOSE", "TDOSE"], "EXSEQ": [1.0, np.nan],
                          "ASTDT": ["2014-01-02", "2014-01-02"], "AENDT": ["2014-01-16", "2014-06-01"],
                          "AVAL": [54.0, 8000.0], "EXDOSE": [54.0, np.nan], "EXTRT": ["XAN", None]})
    findings = Findings()
    ex = adex_to_ex(dated, findings, "adex.xpt")
    assert ex["EXSEQ"].tolist() == [1.0] and ex["EXSTDTC"].tolist() == ["2014-01-02"] and not findings.items
    assert "AVAL" not in ex                                  # a total dose differs by arm
    totals = pd.DataFrame({"USUBJID": ["S-1", "S-1", "S-2"], "PARAMCD": ["TDOSE", "TNDOSE", "TDOSE"],
                           "EXSEQ": [1.0, 2.0, 1.0], "AVAL": [1.0, 2.0, 3.0], "TRTSDT": ["2020-01-01"] * 3,
                           "TRTEDT": ["2020-02-01"] * 3, "TRT01A": ["Drug"] * 3})
    ex = adex_to_ex(totals, findings, "adex.xpt")
    assert ex["USUBJID"].tolist() == ["S-1", "S-2"] and ex["EXSTDTC"].tolist() == ["2020-01-01"] * 2
    assert ex["EXTRT"].tolist() == ["Drug", "Drug"]          # sealed by the seal step, shown blinded
    assert [f.kind for f in findings.warnings] == ["exposure from treatment dates"]


def test_adtte_keeps_parameters_censoring_and_dates():
    adtte = pd.DataFrame({"USUBJID": ["S-1"], "PARAMCD": ["OS"], "AVAL": [182.0], "CNSR": [1.0],
                          "EVNTDESC": ["Alive"], "STARTDT": ["2014-01-02"], "ADT": ["2014-07-02"], "ARM": ["Drug"]})
    tte = adtte_to_tte(adtte)
    assert tte[["PARAMCD", "AVAL", "CNSR", "EVNTDESC", "STARTDTC", "ADTC"]].iloc[0].tolist() == [
        "OS", 182.0, 1.0, "Alive", "2014-01-02", "2014-07-02"]
    assert tte["ADSEQ"].tolist() == [1.0] and "ARM" in tte


def test_to_table_text_and_numbers():
    table = to_table(translate("ADSL", _adsl(), Findings(), "adsl.xpt"))
    assert str(table.schema.field("AGE").type) == "double"
    assert str(table.schema.field("USUBJID").type) == "string"
    assert table["DTHDTC"].to_pylist()[1] is None


def test_study_days_come_from_adam_analysis_days():
    """ADY / ASTDY / AENDY reach --DY / --STDY / --ENDY (the Safety page's trajectories and listings read them);
    without them the lab trajectories by study day were empty for an ADaM cut. The reference is the ADaM column."""
    adlb = pd.DataFrame({"USUBJID": ["S-1"] * 2, "ASEQ": [1.0, 2.0], "PARAMCD": ["ALT"] * 2, "AVAL": [20.0, 30.0],
                         "ADY": [-3.0, 15.0], "ADT": ["2014-01-01", "2014-01-18"]})
    assert bds_to_findings(adlb, "LB")["LBDY"].tolist() == adlb["ADY"].tolist()
    assert bds_to_findings(adlb.rename(columns={"ADY": "VSDY"}), "VS")["VSDY"].tolist() == [-3.0, 15.0]
    adae = pd.DataFrame({"USUBJID": ["S-1"], "ASEQ": [1.0], "AEDECOD": ["HEADACHE"], "ASTDY": [5.0],
                         "AENDY": [9.0], "AESTDY": [4.0]})
    ae = adae_to_ae(adae)
    assert ae["AESTDY"].tolist() == [5.0] and ae["AEENDY"].tolist() == [9.0]      # the analysis day first
    dated = pd.DataFrame({"USUBJID": ["S-1"], "EXSEQ": [1.0], "ASTDT": ["2014-01-02"], "AENDT": ["2014-01-16"],
                          "ASTDY": [1.0], "AENDY": [15.0]})
    ex = adex_to_ex(dated, Findings(), "adex.xpt")
    assert ex["EXSTDY"].tolist() == [1.0] and ex["EXENDY"].tolist() == [15.0]
    totals = pd.DataFrame({"USUBJID": ["S-1"], "PARAMCD": ["TDOSE"], "AVAL": [1.0], "ASTDY": [1.0],
                           "TRTSDT": ["2020-01-01"], "TRTEDT": ["2020-02-01"]})
    assert "EXSTDY" not in adex_to_ex(totals, Findings(), "adex.xpt")    # a summary row's day is no exposure day
    assert "LBDY" not in bds_to_findings(adlb.drop(columns="ADY"), "LB")   # absent, not empty


def test_adsl_informed_consent_date_is_kept():
    dm = adsl_to_dm(_adsl(RFICDT=["2013-12-20", "2013-12-01"]))
    assert dm["RFICDTC"].tolist() == ["2013-12-20", "2013-12-01"]
    assert adsl_to_dm(_adsl(RFICDTC=[None, None]))["RFICDTC"].isna().all()     # delivered, empty (pharmaverse)
    assert "RFICDTC" not in adsl_to_dm(_adsl())
