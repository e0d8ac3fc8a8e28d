"""A stored cut is served only while its files are exactly what was written."""

from __future__ import annotations

import json
import os
import stat

import pytest
from dash_client import DashClient, callbacks_by_output, login, open_page_as, respond
from support import DEMO_EXPORTS, ROLES, make_app, make_instance

from dashboard import audit, blinding, cuts
from dashboard.blinding import Access
from dashboard.config import load_trial_config
from dashboard.ingest.cli import main
from dashboard.ingest.load import activate_cut, load_cut


@pytest.fixture
def loaded(tmp_path, monkeypatch):
    monkeypatch.setenv("DSMB_DATABASE_URL", f"sqlite:///{tmp_path}/audit.sqlite")
    root = tmp_path / "data"
    manifest = load_cut(DEMO_EXPORTS / "interim", "2021-05-10", "Interim", "tester", load_trial_config(), root=root)
    blinding.clear_caches()
    yield root, manifest.cut_id
    blinding.clear_caches()


def test_snapshot_files_are_read_only(loaded):
    root, cut_id = loaded
    folder = cuts.cut_dir(cut_id, root)
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert files and all(not (p.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)) for p in files)


def test_a_changed_clinical_file_is_refused(loaded):
    root, cut_id = loaded
    target = cuts.cut_dir(cut_id, root) / cuts.CLINICAL_DIRNAME / "AE.parquet"
    os.chmod(target, 0o644)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(cuts.CutIntegrityError, match="AE.parquet has changed"):
        blinding.trial_data(cut_id, Access.BLINDED, load_trial_config(), root)


def test_an_added_clinical_file_is_refused(loaded):
    root, cut_id = loaded
    folder = cuts.cut_dir(cut_id, root) / cuts.CLINICAL_DIRNAME
    (folder / "XX.parquet").write_bytes((folder / "AE.parquet").read_bytes())
    with pytest.raises(cuts.CutIntegrityError, match="added or removed"):
        cuts.read_clinical_domains(cut_id, root)


def test_a_changed_allocation_file_is_refused(loaded):
    root, cut_id = loaded
    target = cuts.cut_dir(cut_id, root) / cuts.SEALED_DIRNAME / "allocation.parquet"
    os.chmod(target, 0o644)
    target.write_bytes(target.read_bytes() + b"\0")
    with pytest.raises(cuts.CutIntegrityError):
        blinding.trial_data(cut_id, Access.UNBLINDED, load_trial_config(), root)


@pytest.fixture
def app_with_a_damaged_cut(tmp_path):
    """The real app over one loaded cut whose clinical AE file was changed after it was written."""
    instance = make_instance(tmp_path, [(DEMO_EXPORTS / "interim", "2021-05-10", "Interim")])
    blinding.clear_caches()
    (cut_id,) = [m.cut_id for m in cuts.list_cuts(instance.root)]
    target = cuts.cut_dir(cut_id, instance.root) / cuts.CLINICAL_DIRNAME / "AE.parquet"
    os.chmod(target, 0o644)
    target.write_bytes(target.read_bytes() + b"\0")
    yield make_app(instance), instance, cut_id
    blinding.clear_caches()


@pytest.mark.parametrize("role", ROLES)
def test_a_damaged_cut_is_refused_on_every_data_page_not_shown_as_empty_tables(app_with_a_damaged_cut, role):
    app, instance, cut_id = app_with_a_damaged_cut
    client = DashClient(login(app.server.test_client(), role, instance.passwords[role]))
    for pathname in ("/recruitment", "/safety", "/outcomes"):
        page = client.open_page(pathname)
        text = json.dumps(page)
        assert page["type"] == "Alert" and page["props"]["color"] == "danger", pathname
        assert "not shown" in text and "AE.parquet has changed" in text
        assert "safety-sae-grid" not in text and "rec-accrual-graph" not in text
    if role in ("admin", "statistician", "dsmb"):
        assert client.open_page("/cuts")["type"] != "Alert"      # the cut list still opens
    refused = audit.events(event="cut_refused", username=role, database_url=instance.database_url)
    assert len(refused) == 1 and refused["cut_id"].tolist() == [cut_id]      # once per session and cut
    assert "AE.parquet has changed" in refused["detail"].iloc[0]


def test_statistician_makes_an_earlier_cut_active_again_with_a_reason(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DSMB_DATABASE_URL", f"sqlite:///{tmp_path}/audit.sqlite")
    monkeypatch.setenv("DSMB_DATA_ROOT", str(tmp_path / "data"))
    for folder, cut_date in (("interim", "2021-05-10"), ("final", "2021-07-10")):
        load_cut(DEMO_EXPORTS / folder, cut_date, folder, "tester", load_trial_config())
    interim, final = [m.cut_id for m in cuts.list_cuts()]
    assert cuts.active_cut_id() == final

    assert main(["cuts", "activate", interim, "--reason", "short", "--by", "stat"]) == 1
    assert "at least 10 characters" in capsys.readouterr().err and cuts.active_cut_id() == final

    reason = "Final cut loaded from the wrong export folder; back to the interim"
    assert main(["cuts", "activate", interim, "--reason", reason, "--by", "stat"]) == 0
    assert f"cut {interim} is now the active cut (was {final})" in capsys.readouterr().out
    assert cuts.active_cut_id() == interim
    (row,) = audit.events(event="cut_activated").to_dict("records")
    assert row["username"] == "stat" and row["cut_id"] == interim
    assert json.loads(row["detail"]) == {"reason": reason, "previous": final}

    # a sealed table the web pages never read (EX's treatment columns) is checked too
    target = cuts.cut_dir(final) / cuts.SEALED_DIRNAME / "EX.parquet"
    os.chmod(target, 0o644)
    target.write_bytes(target.read_bytes() + b"\0")
    assert main(["cuts", "activate", final, "--reason", "The final cut after all, as planned", "--by", "stat"]) == 1
    err = capsys.readouterr().err
    assert "EX.parquet has changed" in err and f"the active cut is unchanged ({interim})" in err
    assert cuts.active_cut_id() == interim and len(audit.events(event="cut_activated")) == 1
    refused = audit.events(event="cut_activation_refused")
    assert refused["cut_id"].tolist() == [final, interim]                   # newest first: both refusals recorded
    assert "EX.parquet has changed" in refused["detail"].iloc[0]


def test_an_activation_that_cannot_be_recorded_is_undone(tmp_path, monkeypatch):
    monkeypatch.setenv("DSMB_DATABASE_URL", f"sqlite:///{tmp_path}/audit.sqlite")
    root = tmp_path / "data"
    for folder, cut_date in (("interim", "2021-05-10"), ("final", "2021-07-10")):
        load_cut(DEMO_EXPORTS / folder, cut_date, folder, "tester", load_trial_config(), root=root)
    interim, final = [m.cut_id for m in cuts.list_cuts(root)]

    def failing_record(event, **kw):
        if event == "cut_activated":
            raise RuntimeError("audit database unavailable")

    monkeypatch.setattr(audit, "record", failing_record)
    with pytest.raises(RuntimeError, match="audit database unavailable"):
        activate_cut(interim, "Back to the interim cut for the meeting", "stat", load_trial_config(), root)
    assert cuts.active_cut_id(root) == final
    cuts.deactivate(root)                                   # no cut active before: none after the undo either
    with pytest.raises(RuntimeError, match="audit database unavailable"):
        activate_cut(interim, "Back to the interim cut for the meeting", "stat", load_trial_config(), root)
    assert cuts.active_cut_id(root) is None


@pytest.mark.parametrize("role", ["investigator", "dsmb"])
def test_an_unreadable_previous_cut_is_named_not_shown_as_no_changes(tmp_path, role):
    instance = make_instance(tmp_path, [(DEMO_EXPORTS / "interim", "2021-05-10", "Interim"),
                                        (DEMO_EXPORTS / "final", "2021-07-10", "Final")])
    blinding.clear_caches()
    interim = cuts.list_cuts(instance.root)[0].cut_id
    target = cuts.cut_dir(interim, instance.root) / cuts.CLINICAL_DIRNAME / "AE.parquet"
    os.chmod(target, 0o644)
    target.write_bytes(target.read_bytes() + b"\0")
    client, props = open_page_as(make_app(instance), role, instance.passwords[role], "/safety")
    found = callbacks_by_output(client, {"changes": "safety-changes-note.children",
                                         "overview": "safety-tile-new.children"}, props)
    note = json.dumps(respond(client, props, found["changes"])["safety-changes-note"]["children"])
    assert "previous cut cannot be read" in note and "AE.parquet has changed" in note and '"danger"' in note
    assert respond(client, props, found["overview"])["safety-tile-new"]["children"] == "previous cut unreadable"
    blinding.clear_caches()
