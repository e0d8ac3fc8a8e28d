"""Records dated after the cut date leave every domain the same way (`dashboard.cutoff.within_cut`)."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from dashboard import blinding, cutoff

CUT = "2021-06-15"


def _domains() -> dict[str, pd.DataFrame]:
    ae = pd.DataFrame({"USUBJID": ["S1"] * 6, "AESEQ": [1.0, 2, 3, 4, 5, 6],
                       "AESTDTC": ["2021-06-15T23:59", "2021-06-16", "2021-06", "2021-07", None, "2021"],
                       "AEENDTC": ["2021-07-01", None, None, None, None, None]})
    lb = pd.DataFrame({"USUBJID": ["S1"] * 3, "LBSEQ": [1.0, 2, 3], "LBDTC": ["2021-06-01", "2022", "2021---20"]})
    ds = pd.DataFrame({"USUBJID": ["S1", "S1"], "DSSEQ": [1.0, 2], "DSDTC": ["2021-06-01", "2021-06-01"],
                       "DSSTDTC": ["2021-06-01", "2021-06-20"]})
    dm = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"], "DTHDTC": ["2021-06-10", "2021-06-20", None],
                       "DTHFL": ["Y", "Y", None],
                       "DTHDT": pd.to_datetime(["2021-06-10", "2021-06-20", None]),
                       "RANDDTC": ["2021-06-01", "2021-06-01", "2021-06-16"], "RANDFL": ["Y", "Y", "Y"],
                       "RANDDT": pd.to_datetime(["2021-06-01", "2021-06-01", "2021-06-16"])})
    return {"AE": ae, "LB": lb, "DS": ds, "DM": dm}


def test_earliest_possible_day_of_partial_dates():
    days = cutoff.earliest_day(pd.Series(["2021-06-15T10:00", "2021-06", "2021", "2021---20", "", None, "x"]))
    expected = pd.to_datetime(["2021-06-15", "2021-06-01", "2021-01-01", "2021-01-01", None, None, None])
    assert list(days) == list(expected)


def test_event_domain_filtered_by_start_date_partial_dates_kept_when_they_may_be_before():
    out = cutoff.within_cut(_domains(), CUT)["AE"]
    # the cut day itself (any hour) is in; a month or year that contains the cut is in; no date is in
    assert out["AESEQ"].tolist() == [1.0, 3.0, 5.0, 6.0]


def test_findings_domain_filtered_by_collection_date():
    out = cutoff.within_cut(_domains(), CUT)["LB"]
    assert out["LBSEQ"].tolist() == [1.0, 3.0]


def test_ds_filtered_by_event_start_not_collection_date():
    out = cutoff.within_cut(_domains(), CUT)["DS"]
    assert out["DSSEQ"].tolist() == [1.0]


def test_dm_keeps_every_subject_but_a_later_death_is_not_yet_known():
    dm = cutoff.within_cut(_domains(), CUT)["DM"]
    assert dm["USUBJID"].tolist() == ["S1", "S2", "S3"]
    assert dm.loc[0, "DTHFL"] == "Y" and dm.loc[0, "DTHDTC"] == "2021-06-10"
    assert pd.isna(dm.loc[1, "DTHFL"]) and pd.isna(dm.loc[1, "DTHDTC"]) and pd.isna(dm.loc[1, "DTHDT"])


def test_dm_a_randomization_after_the_cut_is_not_yet_known():
    dm = cutoff.within_cut(_domains(), CUT)["DM"]
    assert dm["RANDFL"].tolist()[:2] == ["Y", "Y"]
    assert pd.isna(dm.loc[2, "RANDFL"]) and pd.isna(dm.loc[2, "RANDDT"]) and pd.isna(dm.loc[2, "RANDDTC"])


def test_domain_without_a_date_column_is_unchanged():
    supp = pd.DataFrame({"USUBJID": ["S1"], "QNAM": ["X"], "QVAL": ["1"]})
    assert cutoff.within_cut({"SUPPAE": supp}, CUT)["SUPPAE"] is supp


def test_trial_data_holds_no_record_after_the_cut(monkeypatch):
    # every page reads its domains through blinding._clinical, so this is where late records must already be gone
    manifest = SimpleNamespace(cut_id="c1", cut_date=CUT)
    monkeypatch.setattr(blinding.cuts, "read_clinical_part", lambda cut_id, root: (manifest, _domains(),
                                                                                     pd.DataFrame()))
    blinding.clear_caches()
    try:
        _, domains, _ = blinding._clinical("c1", None)
    finally:
        blinding.clear_caches()
    assert domains["AE"]["AESEQ"].tolist() == [1.0, 3.0, 5.0, 6.0]
    assert domains["DM"]["DTHFL"].notna().sum() == 1
