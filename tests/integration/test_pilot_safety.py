"""The public pharmaverse-sdtm export (CDISCPILOT01), loaded as delivered with a cut date inside the study: the
safety and disposition numbers the pages compute, against plain pandas on the XPT files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from support import PILOT_SDTM

from dashboard import blinding
from dashboard.analysis import recruitment as rec
from dashboard.analysis.safety_base import safety_frames
from dashboard.config import PROJECT_ROOT, load_trial_config
from dashboard.ingest.load import load_cut

EXPORT = PILOT_SDTM
CONFIG = PROJECT_ROOT / "data" / "trials" / "CDISCPILOT01.toml"
CUT = "2014-06-30"


def _xpt(name: str) -> pd.DataFrame:
    frame = pd.read_sas(EXPORT / f"{name}.xpt", format="xport", encoding="utf-8")
    return frame.apply(lambda c: c.str.strip() if c.dtype == object or str(c.dtype) == "str" else c)


def _earliest(dtc: pd.Series) -> pd.Series:
    """Earliest possible day of a partial ISO date (the reference's own, not the app's)."""
    p = dtc.fillna("").str.extract(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
    return pd.to_datetime(p[0] + "-" + p[1].fillna("01") + "-" + p[2].where(p[1].notna()).fillna("01"),
                          errors="coerce")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """(trial data as the statistician sees it, its safety frames, subject status)."""
    base = tmp_path_factory.mktemp("pharmaverse")
    mp = pytest.MonkeyPatch()
    mp.setenv("DSMB_DATABASE_URL", f"sqlite:///{base}/audit.sqlite")
    config = load_trial_config(CONFIG)
    try:
        manifest = load_cut(EXPORT, CUT, "h4", "tester", config, root=base / "data")
        data = blinding.trial_data(manifest.cut_id, blinding.Access.UNBLINDED, config, base / "data")
        frames = safety_frames({n: data.domain(n) for n in ("DM", "EX", "AE", "DS")}, config, CUT)
        status = rec.subject_status(data.dm, data.ds, data.ex, CUT, planned_doses=config.planned_doses,
                                    interval_days=config.dose_interval_days, vocabulary=config.vocabulary)
        yield data, frames, status
    finally:
        blinding.clear_caches()
        mp.undo()


@pytest.fixture(scope="module")
def ref():
    """The export read by pandas, records after the cut left out by their start date."""
    cut = pd.Timestamp(CUT)
    dm, ae, ds, ex = _xpt("dm"), _xpt("ae"), _xpt("ds"), _xpt("ex")
    ae = ae[~(_earliest(ae["AESTDTC"]) > cut)]
    ds = ds[~(_earliest(ds["DSSTDTC"]) > cut)]
    ex = ex[~(_earliest(ex["EXSTDTC"]) > cut)]
    randomized = dm[(dm["ARMCD"].str.upper() != "SCRNFAIL") & ~(_earliest(dm["RFSTDTC"]) > cut)]
    dosed = randomized[randomized["USUBJID"].isin(ex["USUBJID"])]
    first = pd.to_datetime(ex.groupby("USUBJID")["EXSTDTC"].min().str[:10])
    a = ae[ae["USUBJID"].isin(dosed["USUBJID"])].copy()
    start = pd.to_datetime(a["AESTDTC"].str[:10], format="%Y-%m-%d", errors="coerce")
    year = pd.to_numeric(a["AESTDTC"].str[:4], errors="coerce")
    month = pd.to_numeric(a["AESTDTC"].str[5:7], errors="coerce").fillna(12)
    latest = pd.to_datetime(year.astype("Int64").astype(str) + "-" + month.astype(int).astype(str).str.zfill(2)
                            + "-01", errors="coerce") + pd.offsets.MonthEnd(0)
    fd = a["USUBJID"].map(first)
    # emergent: on or after the first dose day; a partial start that could be on or after it counts
    teae = a[(start >= fd) | (start.isna() & ((latest >= fd) | year.isna()))]
    disposition = ds[ds["DSCAT"] == "DISPOSITION EVENT"]
    return {"dm": dm, "dosed": dosed, "teae": teae, "arm": dosed.set_index("USUBJID")["ACTARM"],
            "disposition": disposition[disposition["USUBJID"].isin(randomized["USUBJID"])]}


def test_subjects_with_any_teae_by_arm_as_treated(app, ref):
    data, frames, _ = app
    assert len(frames.population) == len(ref["dosed"])
    arms = frames.teae["USUBJID"].map(data.treated_arm_of.astype(object))
    got = frames.teae.assign(ARM=arms).groupby("ARM")["USUBJID"].nunique().to_dict()
    expected = ref["teae"].assign(ARM=ref["teae"]["USUBJID"].map(ref["arm"])).groupby("ARM")["USUBJID"].nunique()
    assert got == expected.to_dict()


def test_top_ten_preferred_terms(app, ref):
    _, frames, _ = app
    got = frames.teae.drop_duplicates(["USUBJID", "AEDECOD"])["AEDECOD"].value_counts().head(10)
    expected = ref["teae"].drop_duplicates(["USUBJID", "AEDECOD"])["AEDECOD"].value_counts().head(10)
    assert got.to_dict() == expected.to_dict()


def test_related_counts_probable_and_possible_and_unassessable_are_counted(app, ref):
    _, frames, _ = app
    rel = ref["teae"]["AEREL"].str.upper()
    assert frames.teae.loc[frames.teae["RELATED"], "USUBJID"].nunique() == \
        ref["teae"].loc[rel.isin(["PROBABLE", "POSSIBLE"]), "USUBJID"].nunique() > 0
    unassessable = ~rel.isin(["PROBABLE", "POSSIBLE", "NONE", "REMOTE"])
    assert int(frames.teae["NOT_ASSESSABLE"].sum()) == int(unassessable.sum()) > 0


def test_discontinuation_from_ds_when_aeacn_is_empty(app, ref):
    _, frames, _ = app
    assert frames.discont_source == "DS"
    by_ae = set(ref["disposition"].loc[ref["disposition"]["DSDECOD"] == "ADVERSE EVENT", "USUBJID"])
    assert set(frames.teae.loc[frames.teae["DISCONT"], "USUBJID"]) == by_ae & set(ref["teae"]["USUBJID"])


def test_completers_and_discontinuation_reasons(app, ref):
    _, _, status = app
    disposition = ref["disposition"]
    assert int((status["STATUS"] == rec.COMPLETED).sum()) == \
        disposition.loc[disposition["DSDECOD"] == "COMPLETED", "USUBJID"].nunique()
    stops = disposition[~disposition["DSDECOD"].isin(["COMPLETED", "DEATH", "SCREEN FAILURE"])]
    got = status.loc[status["STATUS"] == rec.WITHDRAWN, "WITHDRAWAL_REASON"].str.upper().value_counts()
    assert got.sort_index().to_dict() == stops["DSDECOD"].value_counts().sort_index().to_dict()


def test_deaths_known_at_the_cut(app, ref):
    _, frames, _ = app
    dm = ref["dm"]
    known = dm[dm["DTHDTC"].fillna("").ne("") & ~(_earliest(dm["DTHDTC"]) > pd.Timestamp(CUT))]
    assert set(frames.deaths.index) == set(known["USUBJID"]) and len(dm[dm["DTHFL"] == "Y"]) > len(known)


def test_daily_patch_builds_no_infusion_table(app):
    _, frames, _ = app
    assert frames.plan.empty and not frames.events["IR"].any()
