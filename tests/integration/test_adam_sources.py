"""A folder with both SDTM and ADaM (copies of pharmaverse-sdtm and pharmaverse-adam in one temporary folder): the
decision is per domain (ADaM where it gives the domain, its SUPPxx going with the SDTM file), and the manifest,
`cuts show`, `cuts list` and the Data cuts page say which source each domain and page uses. Also: an [adam]
measure mapping applied at load."""

from __future__ import annotations

import json
import shutil
import tomllib

import pandas as pd
import pytest
from support import SHARED_EXPORTS

from dashboard import blinding, cuts
from dashboard.config import PROJECT_ROOT, load_trial_config, parse_trial_config
from dashboard.displays.other_pages import manifest_detail
from dashboard.ingest.adam.sources import page_sources
from dashboard.ingest.load import load_cut

CONFIG = PROJECT_ROOT / "data" / "trials" / "CDISCPILOT01-ADAM.toml"
CUT = "2015-12-31"


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    base = tmp_path_factory.mktemp("mixed")
    folder = base / "export"
    folder.mkdir()
    for source in ("pharmaverse-sdtm", "pharmaverse-adam"):
        for path in (SHARED_EXPORTS / source).glob("*.xpt"):
            shutil.copyfile(path, folder / path.name)
    mp = pytest.MonkeyPatch()
    mp.setenv("DSMB_DATABASE_URL", f"sqlite:///{base}/audit.sqlite")
    config = load_trial_config(CONFIG)
    try:
        manifest = load_cut(folder, CUT, "mixed", "tester", config, root=base / "data")
        yield manifest, blinding.trial_data(manifest.cut_id, blinding.Access.BLINDED, config, base / "data"), base
    finally:
        blinding.clear_caches()
        mp.undo()


def test_each_domain_from_adam_where_adam_gives_it(mixed):
    manifest, _, _ = mixed
    sources = manifest.sources
    for domain, file in (("DM", "adsl.xpt"), ("AE", "adae.xpt"), ("LB", "adlb.xpt"), ("VS", "advs.xpt"),
                         ("EX", "adex.xpt"), ("ADTTE", "adtte.xpt")):
        assert sources[domain] == f"ADaM {file}", domain
    for domain, file in (("DS", "ds.xpt"), ("MH", "mh.xpt"), ("CM", "cm.xpt"), ("SV", "sv.xpt"), ("TS", "ts.xpt"),
                         ("SUPPDS", "suppds.xpt")):
        assert sources[domain] == f"SDTM {file}", domain        # no ADaM dataset gives these
    assert "SUPPAE" not in sources and "SUPPDM" not in sources    # they qualify SDTM AE / DM records
    assert {f.name for f in manifest.inputs} == {s.split(" ", 1)[1] for s in sources.values()}


def test_superseded_files_are_named_in_the_warnings(mixed):
    _, data, _ = mixed
    superseded = data.warnings[data.warnings["kind"] == "superseded by ADaM"]
    assert sorted(superseded["file"]) == ["ae.xpt", "dm.xpt", "ex.xpt", "lb.xpt", "suppae.xpt", "suppdm.xpt",
                                          "vs.xpt"]
    assert superseded.set_index("file").loc["suppae.xpt", "message"].startswith("not used: adae.xpt (ADaM)")


def test_pages_sources_in_manifest_json_and_on_the_data_cuts_page(mixed):
    manifest, _, base = mixed
    stored = json.loads((cuts.cut_dir(manifest.cut_id, base / "data") / cuts.MANIFEST_FILE).read_text())
    assert stored["sources"] == manifest.sources
    pages = page_sources(manifest.sources)
    assert pages["Safety"] == "ADaM (DM, AE, LB, VS, EX); SDTM (CM)"      # no ADCM in the pharmaverse export
    assert pages["Outcomes"] == "ADaM (DM, LB, VS, ADTTE); SDTM (DS)"
    assert pages["Recruitment"] == "ADaM (DM, EX); SDTM (DS)"
    detail = json.dumps(manifest_detail(manifest).to_plotly_json(), default=str)
    assert "Sources: Recruitment: ADaM (DM, EX); SDTM (DS)" in detail and "AE ADaM adae.xpt" in detail


def test_an_adam_only_cut_says_ds_is_derived_and_sdtm_cut_says_sdtm(tmp_path, monkeypatch):
    monkeypatch.setenv("DSMB_DATABASE_URL", f"sqlite:///{tmp_path}/audit.sqlite")
    adam = load_cut(SHARED_EXPORTS / "pharmaverse-adam", CUT, "a", "t", load_trial_config(CONFIG), root=tmp_path / "a")
    assert adam.sources["DS"].startswith("derived from ADSL") and set(page_sources(adam.sources).values()) == {"ADaM"}
    folder = tmp_path / "sdtm"
    folder.mkdir()
    for name in ("dm.xpt", "ae.xpt", "ds.xpt"):
        shutil.copyfile(SHARED_EXPORTS / "pharmaverse-sdtm" / name, folder / name)
    sdtm = load_cut(folder, CUT, "s", "t", load_trial_config(PROJECT_ROOT / "data" / "trials" / "CDISCPILOT01.toml"),
                    root=tmp_path / "s")
    assert sdtm.sources == {"AE": "SDTM ae.xpt", "DM": "SDTM dm.xpt", "DS": "SDTM ds.xpt"}


def test_measure_mapping_applied_at_load(tmp_path, monkeypatch):
    """[adam.measures] SBP = "SYSBP": the Outcomes page's SBP is ADVS's SYSBP; PARAMCD stays, a warning says so."""
    monkeypatch.setenv("DSMB_DATABASE_URL", f"sqlite:///{tmp_path}/audit.sqlite")
    raw = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    raw["outcomes"][1]["testcd"] = "SBP"
    raw["adam"]["measures"] = {"SBP": "SYSBP"}
    raw.pop("charter")                 # its primary outcome is named SYSBP
    config = parse_trial_config(raw)
    manifest = load_cut(SHARED_EXPORTS / "pharmaverse-adam", CUT, "m", "t", config, root=tmp_path / "data")
    data = blinding.trial_data(manifest.cut_id, blinding.Access.BLINDED, config, tmp_path / "data")
    vs = data.domain("VS")
    assert set(vs["VSTESTCD"]) == {"SBP"} and set(vs["PARAMCD"]) == {"SYSBP"}
    mapped = data.warnings[data.warnings["kind"] == "measure mapped"]
    advs_rows = len(pd.read_sas(SHARED_EXPORTS / "pharmaverse-adam" / "advs.xpt", format="xport", encoding="utf-8"))
    assert mapped["file"].tolist() == ["advs.xpt"]
    assert mapped["message"].iloc[0].startswith(f"{advs_rows} records of PARAMCD 'SYSBP' read as the configured")
    blinding.clear_caches()


def test_cuts_list_and_show_say_the_sources(mixed, monkeypatch, capsys):
    from dashboard.ingest.cli import main
    manifest, _, base = mixed
    monkeypatch.setenv("DSMB_DATA_ROOT", str(base / "data"))
    assert main(["cuts", "list"]) == 0
    header, row = capsys.readouterr().out.splitlines()[:2]
    assert header.split()[-1] == "data" and row.endswith("ADaM + SDTM")
    assert main(["cuts", "show", manifest.cut_id]) == 0
    out = capsys.readouterr().out
    assert "sources: Recruitment: ADaM (DM, EX); SDTM (DS); Safety: ADaM (DM, AE, LB, VS, EX); SDTM (CM)" in out
    # a file carrying allocation: its size is withheld, not shown as a measured 0 bytes
    withheld = [line for line in out.splitlines() if "sha256 withheld" in line]
    assert withheld and all("withheld bytes" in line and " 0 bytes" not in line for line in withheld)
