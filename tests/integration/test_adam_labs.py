"""ADaM lab values at load and on the Outcomes page: BASE, CHG, PCHG, AVAL and AVISITN are numbers in the clinical
part; a value that is not a number is an error naming file, row and column; the change from baseline by visit the
app serves (through the Flask test client, as a browser receives it) equals ADLB's own CHG in plain pandas, because
the load keeps VISITNUM/VISIT on the analysis records (ANL01FL = Y) only (`configured.analysis_visits`).

pharmaverse-adam/adlb.xpt is a subset (README, "Row subsets": PARAMCD = ALT only), so ALT is the parameter here.
"""

from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest
from dash_client import callbacks_by_output, open_page_as, respond
from support import SHARED_EXPORTS, make_app, make_instance

from dashboard import blinding, cuts, memo
from dashboard.config import PROJECT_ROOT, load_trial_config
from dashboard.ingest.findings import IngestError
from dashboard.ingest.load import load_cut
from layouts import outcomes as ids

CONFIG = PROJECT_ROOT / "data" / "trials" / "CDISCPILOT01-ADAM.toml"
EXPORT = SHARED_EXPORTS / "pharmaverse-adam"
CUT = "2015-12-31"


def _xpt(name: str) -> pd.DataFrame:
    frame = pd.read_sas(EXPORT / f"{name}.xpt", format="xport", encoding="utf-8")
    # pandas' XPORT reader turns IBM zeros into 5.4e-79: read them as 0
    return frame.apply(lambda c: c.str.strip() if str(c.dtype) in ("object", "str") else
                       c.where(~(c.abs() < 1e-70), 0.0) if c.dtype.kind == "f" else c)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    instance = make_instance(tmp_path_factory.mktemp("adam-labs"), [(EXPORT, CUT, "ADaM")], CONFIG)
    memo.clear()
    blinding.clear_caches()
    yield make_app(instance, CONFIG), instance
    memo.clear()
    blinding.clear_caches()


def _change_figure(app, role: str, statistic: str) -> dict:
    application, instance = app
    client, props = open_page_as(application, role, instance.passwords[role], "/outcomes")
    callback = callbacks_by_output(client, {"it": f"{ids.CHANGE}.figure"}, props)["it"]
    changes = {(ids.STATISTIC, "value"): statistic, (ids.OUTCOME, "value"): "LB.ALT"}
    return respond(client, props, callback, changes)[ids.CHANGE]["figure"]


def _adam_change(by: pd.Series | None, statistic: str = "mean") -> pd.Series:
    """Mean (or median) CHG by (group,) AVISIT of ADLB's ALT analysis records: ANL01FL = Y, not the baseline, not
    derived."""
    adlb = _xpt("adlb")
    keep = ((adlb["PARAMCD"] == "ALT") & (adlb["ANL01FL"] == "Y") & (adlb["ABLFL"] != "Y") & (adlb["DTYPE"] == "")
            & adlb["CHG"].notna() & adlb["AVISITN"].notna())
    rows = adlb[keep]
    keys = [rows["AVISIT"].str.upper()] if by is None else [rows["USUBJID"].map(by), rows["AVISIT"].str.upper()]
    return rows.groupby(keys)["CHG"].agg(statistic)


def _points(figure: dict, names: set[str] | None) -> dict[tuple, float]:
    """(trace name, visit) -> y of the mean-change traces (the upper panel); each point names its visit first in
    its hover data."""
    out = {}
    for trace in figure["data"]:
        if trace.get("yaxis", "y") != "y" or "lines" not in str(trace.get("mode", "")):
            continue
        if names is not None and trace.get("name") not in names:
            continue
        for y, data in zip(trace["y"], trace["customdata"]):
            out[(trace.get("name"), str(data[0]).upper())] = y
    return out


def test_lab_change_from_baseline_by_visit_and_arm_served_equals_adlb_chg(app):
    figure = _change_figure(app, "statistician", "mean")
    planned = _xpt("adsl").set_index("USUBJID")["ARM"]      # efficacy by the arm randomized to
    expected = _adam_change(planned)
    arms = {arm for arm, _ in expected.index}
    served = _points(figure, arms)
    assert len(served) >= 20
    for (arm, visit), y in served.items():
        assert y == pytest.approx(expected[(arm, visit)], rel=1e-9, abs=1e-9), (arm, visit)


def test_lab_change_from_baseline_pooled_for_a_blinded_role(app):
    served = _points(_change_figure(app, "investigator", "median"), None)     # blinded roles: the median only
    expected = _adam_change(None, "median")
    assert len(served) >= 8
    for (_, visit), y in served.items():
        assert y == pytest.approx(expected[visit], rel=1e-9, abs=1e-9), visit


def test_analysis_values_are_numbers_in_the_clinical_part(app):
    _, instance = app
    cut = cuts.active_cut_id(instance.root)
    clinical = cuts.cut_dir(cut, instance.root) / "clinical"
    lb = pq.read_schema(clinical / "LB.parquet")
    for name in ("LBSTRESN", "BASE", "CHG", "PCHG", "AVISITN"):
        assert str(lb.field(name).type) == "double", name
    tte = pq.read_schema(clinical / "ADTTE.parquet")
    assert str(tte.field("AVAL").type) == "double" and str(tte.field("CNSR").type) == "double"
    adlb = _xpt("adlb")
    stored = pq.read_table(clinical / "LB.parquet", columns=["CHG"]).column("CHG").to_pandas()
    assert stored.to_numpy() == pytest.approx(adlb["CHG"].to_numpy(), nan_ok=True)


ADSL = ("STUDYID,USUBJID,SITEID,ARMCD,ARM,ACTARMCD,ACTARM,TRTSDT,SAFFL\n"
        "CDISCPILOT01,S-1,701,Pbo,Placebo,Pbo,Placebo,2014-01-02,Y\n"
        "CDISCPILOT01,S-2,701,Xan_Hi,Xanomeline High Dose,Xan_Hi,Xanomeline High Dose,2014-01-02,Y\n")
ADLB = ("USUBJID,ASEQ,PARAMCD,PARAM,AVAL,BASE,CHG,PCHG,AVISIT,AVISITN,ABLFL,ADT\n"
        "S-1,1,ALT,Alanine Aminotransferase (U/L),20,20,,,BASELINE,0,Y,2014-01-02\n"
        "S-1,2,ALT,Alanine Aminotransferase (U/L),25,20,five,25,WEEK 2,4,,2014-01-16\n"
        "S-2,1,ALT,Alanine Aminotransferase (U/L),30,thirty,,,BASELINE,0,Y,2014-01-02\n"
        "S-2,2,ALT,Alanine Aminotransferase (U/L),33,30,3,1O,WEEK 2,x4,,2014-01-16\n")


def test_a_value_that_is_not_a_number_is_an_error_naming_file_row_and_column(tmp_path, monkeypatch):
    monkeypatch.setenv("DSMB_DATABASE_URL", f"sqlite:///{tmp_path}/audit.sqlite")
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "adsl.csv").write_text(ADSL)
    (folder / "adlb.csv").write_text(ADLB)
    with pytest.raises(IngestError) as refused:
        load_cut(folder, CUT, "bad", "tester", load_trial_config(CONFIG), root=tmp_path / "data")
    bad = {(f.file, f.row, f.column) for f in refused.value.errors if f.kind == "bad number"}
    assert bad == {("adlb.csv", 2, "CHG"), ("adlb.csv", 3, "BASE"), ("adlb.csv", 4, "PCHG"),
                   ("adlb.csv", 4, "AVISITN")}
    assert cuts.list_cuts(tmp_path / "data") == []
