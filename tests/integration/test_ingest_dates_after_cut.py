"""Records dated after the cut date load, with a warning that says where each one is."""

from __future__ import annotations

from support import DEMO_EXPORTS

from dashboard import cuts
from dashboard.config import load_trial_config
from dashboard.ingest.load import load_cut


def test_records_after_the_cut_date_are_warned_about(tmp_path, monkeypatch):
    monkeypatch.setenv("DSMB_DATABASE_URL", f"sqlite:///{tmp_path}/audit.sqlite")
    root = tmp_path / "data"
    manifest = load_cut(DEMO_EXPORTS / "final", "2021-06-01", "early", "tester", load_trial_config(), root=root)
    warnings = cuts.read_cut_warnings(manifest.cut_id, root)
    late = warnings[warnings["kind"] == "date after cut"]
    assert {"dm.csv", "ae.xpt", "lb.xpt", "vs.csv"} <= set(late["file"])
    death = late[(late["file"] == "dm.csv") & (late["column"] == "DTHDTC")].iloc[0]
    assert death["usubjid"].startswith("NCT05019287-01-") and death["row"] >= 1
    assert death["message"].startswith("dated 2021-") and death["message"].endswith("after the cut date 2021-06-01")
    assert "se.csv" not in set(warnings["file"]), "findings about a sealed domain stay in the sealed part"


def test_a_cut_with_nothing_after_its_date_has_no_such_warning(tmp_path, monkeypatch):
    monkeypatch.setenv("DSMB_DATABASE_URL", f"sqlite:///{tmp_path}/audit.sqlite")
    root = tmp_path / "data"
    manifest = load_cut(DEMO_EXPORTS / "final", "2021-07-10", "final", "tester", load_trial_config(), root=root)
    assert "date after cut" not in set(cuts.read_cut_warnings(manifest.cut_id, root)["kind"])
