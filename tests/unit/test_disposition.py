"""Disposition: completion and discontinuation reasons from disposition events only; screen-failure reasons from IE,
else DS; the CONSORT dose lines follow the regimen."""

from __future__ import annotations

import pandas as pd

from dashboard.analysis import consort
from dashboard.analysis import recruitment as rec
from dashboard.config import Vocabulary

CUT = "2021-12-31"


def _dm(n: int = 4) -> pd.DataFrame:
    ids = [f"S{i}" for i in range(1, n + 1)]
    return pd.DataFrame({"USUBJID": ids, "SITEID": ["01"] * n, "RANDFL": ["Y"] * n,
                         "RANDDT": pd.to_datetime(["2021-01-01"] * n), "RFSTDT": pd.to_datetime(["2021-01-01"] * n)})


def _ds(with_category: bool = True) -> pd.DataFrame:
    rows = [  # USUBJID, DSDECOD, DSCAT, date
        ("S1", "RANDOMIZED", "PROTOCOL MILESTONE", "2021-01-01"),
        ("S1", "FINAL LAB VISIT", "OTHER EVENT", "2021-02-01"),     # earlier than the disposition event
        ("S1", "ADVERSE EVENT", "DISPOSITION EVENT", "2021-03-01"),
        ("S2", "RANDOMIZED", "PROTOCOL MILESTONE", "2021-01-01"),
        ("S2", "FINAL RETRIEVAL VISIT", "OTHER EVENT", "2021-04-01"),
        ("S2", "Completed ", "Disposition Event", "2021-01-20"),     # before any planned end: still completed
        ("S3", "RANDOMIZED", "PROTOCOL MILESTONE", "2021-01-01"),
        ("S3", "FINAL LAB VISIT", "OTHER EVENT", "2021-02-01"),      # no disposition event: ongoing
        ("S4", "WITHDRAWAL BY SUBJECT", "DISPOSITION EVENT", "2021-05-01"),
    ]
    frame = pd.DataFrame(rows, columns=["USUBJID", "DSDECOD", "DSCAT", "DSSTDTC"])
    frame["DSSTDT"] = pd.to_datetime(frame["DSSTDTC"])
    frame["DSSEQ"] = frame.groupby("USUBJID").cumcount().astype(float) + 1
    return frame if with_category else frame.drop(columns="DSCAT")


def _status(ds: pd.DataFrame, vocabulary: Vocabulary | None = None) -> pd.DataFrame:
    ex = pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "S4"], "EXSTDT": pd.to_datetime(["2021-01-01"] * 4)})
    return rec.subject_status(_dm(), ds, ex, CUT, planned_doses=182, interval_days=1,
                              vocabulary=vocabulary).set_index("USUBJID")


def test_reasons_only_from_the_disposition_category():
    status = _status(_ds())
    # independent reference: the earliest DISPOSITION EVENT other than completion of each subject
    ds = _ds()
    disp = ds[ds["DSCAT"].str.strip().str.upper() == "DISPOSITION EVENT"]
    stops = disp[~disp["DSDECOD"].str.strip().str.upper().isin(["COMPLETED", "DEATH", "SCREEN FAILURE"])]
    expected = stops.sort_values("DSSTDT").drop_duplicates("USUBJID").set_index("USUBJID")["DSDECOD"]
    withdrawn = status[status["STATUS"] == rec.WITHDRAWN]
    assert sorted(withdrawn.index) == sorted(expected.index)
    assert withdrawn["WITHDRAWAL_REASON"].str.upper().to_dict() == expected.str.upper().to_dict()
    assert status.loc["S3", "STATUS"] in rec.ONGOING      # OTHER EVENT is not a discontinuation


def test_completed_is_the_completion_event_whatever_its_day_and_case():
    status = _status(_ds())
    assert status.loc["S2", "STATUS"] == rec.COMPLETED
    assert int((status["STATUS"] == rec.COMPLETED).sum()) == 1


def test_configured_vocabulary_decides():
    ds = _ds().replace({"DISPOSITION EVENT": "END OF STUDY", "Disposition Event": "End of study"})
    status = _status(ds, Vocabulary(disposition_category="END OF STUDY"))
    assert status.loc["S1", "WITHDRAWAL_REASON"] == "Adverse event"
    assert status.loc["S2", "STATUS"] == rec.COMPLETED
    # with the default category nothing in this DS is a disposition event
    assert (_status(ds)["STATUS"].isin(rec.ONGOING)).all()


def test_without_dscat_milestones_are_not_reasons_and_the_display_says_so():
    ds = _ds(with_category=False)
    status = _status(ds)
    assert status.loc["S1", "WITHDRAWAL_REASON"] == "Adverse event"   # not "Final lab visit" (earlier)
    assert status.loc["S3", "STATUS"] in rec.ONGOING
    assert "no DSCAT" in rec.disposition_source(ds, Vocabulary())
    assert "DSCAT = DISPOSITION EVENT" in rec.disposition_source(_ds(), Vocabulary())


def _failures() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    dm = pd.DataFrame({"USUBJID": ["F1", "F2", "F3", "F4"], "SITEID": ["01"] * 4, "RANDFL": [None] * 4,
                       "SCRNFFL": ["Y"] * 4})
    ds = pd.DataFrame({"USUBJID": ["F1", "F2", "F3"], "DSSEQ": [1.0, 1, 1],
                       "DSDECOD": ["SCREEN FAILURE"] * 3, "DSCAT": ["DISPOSITION EVENT"] * 3,
                       "DSTERM": ["SCREEN FAILURE", "Consent withdrawn before randomization", "SCREEN FAILURE"]})
    ie = pd.DataFrame({"USUBJID": ["F3"], "IESEQ": [1.0], "IETESTCD": ["IN01"], "IETEST": ["Age 18+"],
                       "IECAT": ["INCLUSION"]})
    return dm, ds, ie


def test_screen_failure_reasons_from_ie_else_from_ds():
    dm, ds, ie = _failures()
    status = rec.subject_status(dm, ds, pd.DataFrame(), CUT, planned_doses=5, interval_days=1)
    reasons = rec.screen_failure_reasons(status, ie, {}, ds).set_index("reason")["subjects"].to_dict()
    assert sum(v for k, v in reasons.items() if "IN01" in k) == 1                   # F3: IE
    assert reasons["Screen failure (DS): Consent withdrawn before randomization"] == 1   # F2: DSTERM
    assert reasons["Screen failure (DS): No criterion given"] == 1                  # F1: DS, term says nothing more
    assert reasons["Reason not recorded"] == 1                                     # F4: neither
    assert sum(reasons.values()) == 4


def test_consort_continuous_regimen_has_no_all_infusions_line():
    status = _status(_ds())
    continuous = consort.consort_flow(status, 182, discrete=False)
    assert not continuous["key"].eq("all_doses").any()
    assert "Received at least one dose" in set(continuous["label"])
    discrete = consort.consort_flow(status, 5)
    assert discrete["key"].eq("all_doses").any()


def test_a_subject_first_seen_after_the_cut_is_not_yet_screened():
    dm = _dm(2).assign(DMDT=pd.to_datetime(["2021-01-01", "2022-02-01"]),
                       RANDDT=pd.to_datetime(["2021-01-01", None]), RANDFL=["Y", None])
    status = rec.subject_status(dm, pd.DataFrame(), pd.DataFrame(), CUT, planned_doses=5, interval_days=1)
    assert status["USUBJID"].tolist() == ["S1"]


def _adsl_without_reason() -> pd.DataFrame:
    """ADSL-shaped DM (pharmaverse: EOSSTT, no DCSREAS): S1 completed, S2 and S3 discontinued, F1 a screen failure."""
    return pd.DataFrame({"USUBJID": ["S1", "S2", "S3", "F1"], "SITEID": ["01"] * 4,
                         "RANDFL": ["Y", "Y", "Y", None], "RANDDT": pd.to_datetime(["2021-01-01"] * 3 + [None]),
                         "RFSTDT": pd.to_datetime(["2021-01-01"] * 3 + [None]), "SCRNFFL": ["N", "N", "N", "Y"],
                         "EOSSTT": ["COMPLETED", "DISCONTINUED", "DISCONTINUED", None],
                         "EOSDTC": ["2021-06-01", "2021-03-01", "2021-04-01", None]})


def test_adsl_without_dcsreas_says_reason_not_recorded():
    """O2: with no DCSREAS the status is not repeated as the reason (CONSORT) nor called a missing criterion."""
    from dashboard.analysis.adam_flags import disposition_from_dm
    dm = _adsl_without_reason()
    ds = disposition_from_dm(dm)
    status = rec.subject_status(dm, ds, pd.DataFrame(), CUT, planned_doses=5, interval_days=1)
    flow = consort.consort_flow(status, 5, discrete=False)
    reasons = flow.loc[flow["key"].str.startswith("withdrawn:"), ["label", "subjects"]]
    expected = int((dm["EOSSTT"] == "DISCONTINUED").sum())
    assert reasons.values.tolist() == [["  Reason not recorded", expected]]
    failures = rec.screen_failure_reasons(status, pd.DataFrame(), {}, ds)
    assert failures[["reason", "subjects"]].values.tolist() == [["Reason not recorded", 1]]


def test_disposition_source_names_adsl_on_an_adam_cut():
    """O1: DS derived from ADSL is described by its ADSL variables, not as DS records with DSCAT."""
    ds = pd.DataFrame({"USUBJID": ["S1"], "DSCAT": ["DISPOSITION EVENT"], "DSDECOD": ["COMPLETED"]})
    sdtm = rec.disposition_source(ds, Vocabulary())
    assert "DSCAT = DISPOSITION EVENT" in sdtm
    adam = rec.disposition_source(ds, Vocabulary(), ("EOSSTT",))
    assert "ADSL EOSSTT" in adam and "DSCAT" not in adam and "no DCSREAS" in adam
    assert "DCSREAS (reason" in rec.disposition_source(ds, Vocabulary(), ("EOSSTT", "DCSREAS"))
