"""Loading random-cdisc-adam as delivered: its ADEX keeps summary parameters only, so EX is built from treatment
dates, and those dates come from ADSL (TRTSDTM/TRTEDTM), not from ADEX's copies that end 36 days after the start for
every subject (a warning says how many). Reference: ADSL's dates in plain pandas (pyreadstat)."""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from support import SHARED_EXPORTS

from dashboard import cuts
from dashboard.config import PROJECT_ROOT, load_trial_config
from dashboard.ingest.load import load_cut

EXPORT = SHARED_EXPORTS / "random-cdisc-adam"
CONFIG = PROJECT_ROOT / "data" / "trials" / "AB12345.toml"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    base = tmp_path_factory.mktemp("adam-exposure")
    mp = pytest.MonkeyPatch()
    mp.setenv("DSMB_DATABASE_URL", f"sqlite:///{base}/audit.sqlite")
    manifest = load_cut(EXPORT, "2024-12-31", "random", "tester", load_trial_config(CONFIG), root=base / "data")
    yield manifest, cuts.cut_dir(manifest.cut_id, base / "data")
    mp.undo()


def test_exposure_dates_are_adsl_treatment_dates(loaded):
    manifest, folder = loaded
    ex = pq.read_table(folder / "clinical" / "EX.parquet", columns=["USUBJID", "EXSTDTC", "EXENDTC"]).to_pandas()
    adsl, _ = pyreadstat.read_xport(EXPORT / "adsl.xpt")
    treated = adsl[adsl["TRTSDTM"].notna()].set_index("USUBJID")
    got = ex.set_index("USUBJID")
    assert set(got.index) == set(treated.index)
    end = pd.to_datetime(got["EXENDTC"].str.slice(0, 10))
    expected = pd.to_datetime(treated["TRTEDTM"]).dt.normalize()
    expected = expected.reindex(end.index)
    assert ((end == expected) | (end.isna() & expected.isna())).all()     # ongoing: no end date in either
    days = (end - pd.to_datetime(got["EXSTDTC"].str.slice(0, 10))).dt.days + 1
    assert days.median() > 1000            # ADEX's copies: 37 days for everyone
    warnings = cuts.read_cut_warnings(manifest.cut_id, folder.parent.parent)
    assert "exposure dates from ADSL" in set(warnings.astype(str).to_numpy().ravel()), "said, not silent"
