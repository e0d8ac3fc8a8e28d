"""Issue 17, stored cuts: signed checksum files, re-verification of cached cuts, and loads killed half-way."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from support import DEMO_EXPORTS, PROJECT_ROOT

from dashboard import audit, blinding, cut_signing, cuts
from dashboard.blinding import Access
from dashboard.config import load_trial_config
from dashboard.ingest.cli import main
from dashboard.ingest.load import load_cut

KEY = "cut-signing-key-for-tests-0123456789-abcdefghijklmnop"


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A data root, an audit database and a signing key of this test only."""
    monkeypatch.setenv("DSMB_DATABASE_URL", f"sqlite:///{tmp_path}/audit.sqlite")
    monkeypatch.setenv("DSMB_DATA_ROOT", str(tmp_path / "data"))
    monkeypatch.setenv(cut_signing.KEY_ENV, KEY)
    blinding.clear_caches()
    yield tmp_path / "data"
    blinding.clear_caches()


@pytest.fixture
def loaded(env):
    manifest = load_cut(DEMO_EXPORTS / "interim", "2021-05-10", "Interim", "tester", load_trial_config(), root=env)
    return env, manifest.cut_id


def writable(path: Path) -> Path:
    os.chmod(path, 0o644)
    return path


def edit_ae_and_recompute_checksum(root: Path, cut_id: str) -> None:
    """What someone with write access to the data folder would do: change a value, then fix the checksum."""
    folder = cuts.cut_dir(cut_id, root) / cuts.CLINICAL_DIRNAME
    frame = pd.read_parquet(folder / "AE.parquet")
    frame.loc[0, "AESER"] = "N" if frame.loc[0, "AESER"] == "Y" else "Y"
    frame.to_parquet(writable(folder / "AE.parquet"), index=False)
    checksums = json.loads((folder / cuts.CHECKSUMS_FILE).read_text())
    checksums["AE.parquet"] = hashlib.sha256((folder / "AE.parquet").read_bytes()).hexdigest()
    writable(folder / cuts.CHECKSUMS_FILE).write_text(json.dumps(checksums, indent=1, sort_keys=True))


def test_a_file_changed_while_the_cut_is_cached_is_refused_at_the_next_request(loaded):
    root, cut_id = loaded
    config = load_trial_config()
    assert len(blinding.trial_data(cut_id, Access.BLINDED, config, root).ae)        # cached now
    target = writable(cuts.cut_dir(cut_id, root) / cuts.CLINICAL_DIRNAME / "AE.parquet")
    target.write_bytes(target.read_bytes() + b"\0")
    with pytest.raises(cuts.CutIntegrityError, match="AE.parquet has changed"):    # no restart, no cache clearing
        blinding.trial_data(cut_id, Access.BLINDED, config, root)


def test_a_sealed_file_changed_while_cached_is_refused_for_armed_access(loaded):
    root, cut_id = loaded
    config = load_trial_config()
    blinding.trial_data(cut_id, Access.UNBLINDED, config, root)
    target = writable(cuts.cut_dir(cut_id, root) / cuts.SEALED_DIRNAME / "allocation.parquet")
    target.write_bytes(target.read_bytes() + b"\0")
    with pytest.raises(cuts.CutIntegrityError, match="allocation.parquet has changed"):
        blinding.trial_data(cut_id, Access.UNBLINDED, config, root)


def test_a_value_changed_and_its_checksum_recomputed_is_detected(loaded):
    root, cut_id = loaded
    config = load_trial_config()
    blinding.trial_data(cut_id, Access.BLINDED, config, root)
    edit_ae_and_recompute_checksum(root, cut_id)
    for read in (lambda: blinding.trial_data(cut_id, Access.BLINDED, config, root),
                 lambda: cuts.read_clinical_domains(cut_id, root), lambda: blinding.verify_cut(cut_id, root)):
        with pytest.raises(cuts.CutIntegrityError, match="signature does not match"):
            read()


def test_an_edited_manifest_is_detected(loaded):
    root, cut_id = loaded
    path = writable(cuts.cut_dir(cut_id, root) / cuts.MANIFEST_FILE)
    raw = json.loads(path.read_text())
    path.write_text(json.dumps({**raw, "cut_date": "2021-12-31"}, indent=2, sort_keys=True))
    with pytest.raises(cuts.CutIntegrityError, match="checksums or manifest"):
        cuts.verified_manifest(cut_id, root)
    with pytest.raises(cuts.CutIntegrityError):
        blinding.trial_data(cut_id, Access.BLINDED, load_trial_config(), root)


def test_another_key_does_not_verify_and_the_secret_key_is_the_fallback(loaded, monkeypatch):
    root, cut_id = loaded
    monkeypatch.setenv(cut_signing.KEY_ENV, KEY + "-other")
    with pytest.raises(cuts.CutIntegrityError, match="signed with another key"):
        cuts.verified_manifest(cut_id, root)
    monkeypatch.delenv(cut_signing.KEY_ENV)
    monkeypatch.setenv("DSMB_SECRET_KEY", KEY)          # the server's key, when no dedicated one is set
    assert cuts.verified_manifest(cut_id, root).cut_id == cut_id


def test_signatures_cannot_be_moved_between_cuts(env):
    config = load_trial_config()
    first = load_cut(DEMO_EXPORTS / "interim", "2021-05-10", "Interim", "tester", config, root=env).cut_id
    second = load_cut(DEMO_EXPORTS / "final", "2021-07-10", "Final", "tester", config, root=env).cut_id
    source, target = (cuts.cut_dir(c, env) / cuts.CLINICAL_DIRNAME for c in (first, second))
    for name in (cuts.CHECKSUMS_FILE, cut_signing.SIGNATURE_FILE):
        writable(target / name).write_bytes((source / name).read_bytes())
    writable(cuts.cut_dir(second, env) / cuts.MANIFEST_FILE).write_bytes(
        (cuts.cut_dir(first, env) / cuts.MANIFEST_FILE).read_bytes())
    with pytest.raises(cuts.CutIntegrityError, match="signature does not match"):
        cuts.verified_manifest(second, env)


def test_production_without_a_key_writes_no_cut(env, monkeypatch):
    monkeypatch.delenv(cut_signing.KEY_ENV)
    monkeypatch.delenv("DSMB_SECRET_KEY", raising=False)
    monkeypatch.setenv("DSMB_PRODUCTION", "1")
    with pytest.raises(cuts.CutError, match="no key to sign"):
        load_cut(DEMO_EXPORTS / "interim", "2021-05-10", "Interim", "tester", load_trial_config(), root=env)
    assert not list(cuts.cuts_dir(env).glob("2021-*"))


def test_an_unsigned_cut_is_refused_until_signed_through_the_audited_cli(loaded, capsys):
    root, cut_id = loaded
    folder = cuts.cut_dir(cut_id, root)
    for part in (cuts.CLINICAL_DIRNAME, cuts.SEALED_DIRNAME):                # as written before signing existed
        (folder / part / cut_signing.SIGNATURE_FILE).unlink()
    with pytest.raises(cuts.CutIntegrityError, match="not signed"):
        blinding.trial_data(cut_id, Access.BLINDED, load_trial_config(), root)
    assert main(["cuts", "list"]) == 0 and "ACTIVE, not signed" in capsys.readouterr().out

    assert main(["cuts", "sign", cut_id, "--reason", "short", "--by", "operator"]) == 1
    assert main(["cuts", "sign", cut_id, "--reason", "Cut written before signing; checked", "--by", "operator"]) == 0
    (row,) = audit.events(event="cut_signed").to_dict("records")
    assert row["username"] == "operator" and row["cut_id"] == cut_id
    assert len(blinding.trial_data(cut_id, Access.UNBLINDED, load_trial_config(), root).ae)
    capsys.readouterr()
    assert main(["cuts", "sign", cut_id, "--reason", "Once more, to be sure of it", "--by", "operator"]) == 1
    assert "signed already" in capsys.readouterr().err


def test_cli_sign_refuses_an_unsigned_cut_whose_files_differ_from_its_checksums(loaded, capsys):
    root, cut_id = loaded
    folder = cuts.cut_dir(cut_id, root)
    for part in (cuts.CLINICAL_DIRNAME, cuts.SEALED_DIRNAME):
        (folder / part / cut_signing.SIGNATURE_FILE).unlink()
    target = writable(folder / cuts.SEALED_DIRNAME / "EX.parquet")
    target.write_bytes(target.read_bytes() + b"\0")
    assert main(["cuts", "sign", cut_id, "--reason", "Cut written before signing; checked", "--by", "op"]) == 1
    assert "differ from its checksums" in capsys.readouterr().err
    assert not (folder / cuts.CLINICAL_DIRNAME / cut_signing.SIGNATURE_FILE).exists()


KILLED_LOAD = """
import os, sys
from dashboard import cuts
from dashboard.config import load_trial_config
from dashboard.ingest.load import load_cut

real = cuts.write_snapshot
def write_then_die(*args, **kwargs):
    real(*args, **kwargs)
    os._exit(9)                      # as kill -9 right after the cut folder is in place
cuts.write_snapshot = write_then_die
load_cut(sys.argv[1], "2021-05-10", "Interim", "tester", load_trial_config(), root=None)
"""


def test_a_load_killed_after_writing_leaves_a_cut_listed_as_interrupted_that_a_reload_replaces(env, capsys):
    done = subprocess.run([sys.executable, "-c", KILLED_LOAD, str(DEMO_EXPORTS / "interim")], cwd=PROJECT_ROOT,
                          env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}, capture_output=True, timeout=300)
    assert done.returncode == 9, done.stderr.decode()[-2000:]
    (cut,) = cuts.list_cuts(env)
    assert cuts.load_interrupted(cut.cut_id, env) and cuts.active_cut_id(env) is None
    assert [e for e in audit.events()["event"]] == ["cut_load_pending"]      # audited before it was written
    assert main(["cuts", "list"]) == 0
    assert cuts.INTERRUPTED in capsys.readouterr().out
    with pytest.raises(cuts.CutError, match="load interrupted"):
        blinding.trial_data(cut.cut_id, Access.BLINDED, load_trial_config(), env)
    with pytest.raises(cuts.CutError, match="load interrupted"):
        blinding.verify_cut(cut.cut_id, env)

    again = load_cut(DEMO_EXPORTS / "interim", "2021-05-10", "Interim", "tester", load_trial_config(), root=env)
    assert again.cut_id == cut.cut_id and cuts.active_cut_id(env) == cut.cut_id
    assert not cuts.load_interrupted(cut.cut_id, env)
    events = audit.events().sort_values("id")
    assert events["event"].tolist() == ["cut_load_pending", "cut_load_pending", "cut_load_interrupted", "cut_load"]
    assert json.loads(events["detail"].iloc[-1])["status"] == "completed"
    assert len(blinding.trial_data(cut.cut_id, Access.BLINDED, load_trial_config(), env).ae)


@pytest.mark.parametrize("server_first", [True, False])
def test_the_loader_and_the_server_find_the_same_instance_key(tmp_path, monkeypatch, server_first):
    """Without DSMB_CUT_SIGNING_KEY or DSMB_SECRET_KEY both use `<instance>/secret_key`, whichever creates it."""
    from dashboard.auth.security import _instance_secret

    for name in (cut_signing.KEY_ENV, "DSMB_SECRET_KEY", "DSMB_PRODUCTION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DSMB_INSTANCE_PATH", str(tmp_path))
    if server_first:
        server = _instance_secret(tmp_path / "secret_key")
        assert cut_signing.signing_secret() == server
    else:
        loader = cut_signing.signing_secret()
        assert _instance_secret(tmp_path / "secret_key") == loader
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize("damage", ["unsigned", "manifest edited"])
def test_the_app_shows_the_refusal_for_an_unsigned_or_edited_cut_not_an_error(tmp_path, damage):
    """After an upgrade (cuts not signed yet) or an edited manifest, the shell still loads; data pages say why."""
    from dash_client import DashClient, login
    from support import make_app, make_instance

    instance = make_instance(tmp_path, [(DEMO_EXPORTS / "interim", "2021-05-10", "Interim")])
    blinding.clear_caches()
    (cut_id,) = [m.cut_id for m in cuts.list_cuts(instance.root)]
    folder = cuts.cut_dir(cut_id, instance.root)
    if damage == "unsigned":
        for part in (cuts.CLINICAL_DIRNAME, cuts.SEALED_DIRNAME):
            (folder / part / cut_signing.SIGNATURE_FILE).unlink()
    else:
        raw = json.loads((folder / cuts.MANIFEST_FILE).read_text())
        writable(folder / cuts.MANIFEST_FILE).write_text(json.dumps({**raw, "randomized": 99}, indent=2))
    client = DashClient(login(make_app(instance).server.test_client(), "investigator",
                              instance.passwords["investigator"]))
    assert client.client.get("/_dash-layout").status_code == 200
    page = client.open_page("/safety")
    text = json.dumps(page)
    assert page["type"] == "Alert" and ("not signed" if damage == "unsigned" else "signature does not match") in text
    blinding.clear_caches()


def test_an_interrupted_cut_is_never_the_previous_cut(env):
    config = load_trial_config()
    first = load_cut(DEMO_EXPORTS / "interim", "2021-05-10", "Interim", "tester", config, root=env).cut_id
    second = load_cut(DEMO_EXPORTS / "final", "2021-07-10", "Final", "tester", config, root=env).cut_id
    assert cuts.previous_cut_id(second, env) == first
    cuts.mark_pending(first, env)                          # as a loader killed while writing it would leave it
    assert cuts.previous_cut_id(second, env) is None
