"""`cuts load` runs the checks of `trials check`: visits reconciled with the schedule before sealing, and every
contradiction between the configuration and the export refused the same way."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from support import stub_audit

from dashboard import cuts
from dashboard.config import load_trial_config
from dashboard.ingest import IngestError, load_cut
from dashboard.ingest.findings import Findings
from sample_export import write_sample_export
from dashboard.trials.check import check_against_export
from dashboard.trials.export import read_export_tables

CUT_DATE = "2021-09-01"


@pytest.fixture(autouse=True)
def audit(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    return stub_audit(monkeypatch)


@pytest.fixture(scope="module")
def config():
    return load_trial_config()


def edit_lb(export: Path, change) -> Path:
    lb = pd.read_csv(export / "lb.csv", dtype=str, keep_default_na=False)
    change(lb)
    lb.to_csv(export / "lb.csv", index=False)
    return export


def sample(tmp_path: Path, config) -> Path:
    """The sample export, each configured outcome's lab results in the configured unit (it writes U/L)."""
    units = {o.testcd: o.unit for o in config.outcomes if o.domain == "LB"}

    def conform(lb: pd.DataFrame) -> None:
        lb["LBSTRESU"] = lb["LBTESTCD"].map(units).fillna(lb["LBSTRESU"])

    return edit_lb(write_sample_export(tmp_path / "export"), conform)


def test_visits_numbered_by_study_day_are_mapped_by_name_in_the_stored_cut(tmp_path, config):
    """LB splits (and is encoded) while it is read; remapped afterwards, it must be stored remapped."""
    day_of = {v.name: v.day for v in config.visits}

    def by_day(lb: pd.DataFrame) -> None:
        lb["VISITNUM"] = lb["VISIT"].map(day_of).astype(str)

    export = edit_lb(sample(tmp_path, config), by_day)
    delivered = pd.read_csv(export / "lb.csv", dtype=str, keep_default_na=False)
    manifest = load_cut(export, CUT_DATE, "", "alice", config, root=tmp_path / "root")
    stored = cuts.read_clinical_domains(manifest.cut_id, tmp_path / "root")["LB"]
    number_of = {v.name: v.num for v in config.visits}
    assert stored["VISITNUM"].tolist() == delivered["VISIT"].map(number_of).astype(float).tolist()
    assert (stored["VISITNUM"] != delivered["VISITNUM"].astype(float)).any()
    warnings = cuts.read_cut_warnings(manifest.cut_id, tmp_path / "root")
    assert "visits mapped by name" in set(warnings.loc[warnings["file"] == "lb.csv", "kind"])


def test_visit_pairs_contradicting_the_schedule_refuse_the_load(tmp_path, config, audit):
    def rename(lb: pd.DataFrame) -> None:
        lb.loc[lb["VISIT"] == "DAY 3", "VISIT"] = "WEEK 1"

    export = edit_lb(sample(tmp_path, config), rename)
    with pytest.raises(IngestError) as refused:
        load_cut(export, CUT_DATE, "", "alice", config, root=tmp_path / "root")
    assert [f.kind for f in refused.value.errors] == ["visits contradict the configuration"]
    assert audit[-1][0] == "cut_rejected" and not cuts.cuts_dir(tmp_path / "root").exists()


def test_load_and_trials_check_refuse_the_same_contradictions(tmp_path, config):
    def other_unit(lb: pd.DataFrame) -> None:
        lb.loc[lb["LBTESTCD"] == "CRP", "LBSTRESU"] = "mg/dL"

    export = edit_lb(sample(tmp_path, config), other_unit)
    checked = Findings()
    check_against_export(read_export_tables(export, frozenset(config.custom_domains), Findings()), config, checked)
    assert [f.kind for f in checked.errors] == ["unit differs from the configuration"]
    with pytest.raises(IngestError) as refused:
        load_cut(export, CUT_DATE, "", "alice", config, root=tmp_path / "root")
    assert {str(f) for f in checked.errors} <= {str(f) for f in refused.value.errors}
