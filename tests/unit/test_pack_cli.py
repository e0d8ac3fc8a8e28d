"""`pack build` decides the closed pack's access from the named user's role; blinded roles get only the open one."""

from __future__ import annotations

import pytest

from dashboard.auth.users import create_user
from dashboard.blinding import Access
from dashboard.pack import cli
from dashboard.permissions import Role


@pytest.fixture
def accounts(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("DSMB_DATABASE_URL", url)
    for name, role in (("ivy", Role.INVESTIGATOR), ("bea", Role.DSMB), ("sam", Role.STATISTICIAN)):
        create_user(name, role, "Correct-Horse-Battery-91", actor="test", url=url)
    return url


def test_closed_access_follows_the_role(accounts):
    assert cli.closed_access("bea") is Access.CODED
    assert cli.closed_access("sam") is Access.UNBLINDED
    assert "blinded role" in cli.closed_access("ivy")
    assert "no active user" in cli.closed_access("nobody")
    assert "--user" in cli.closed_access(None)


def test_blinded_user_cannot_build_the_closed_pack_from_the_command_line(accounts, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli.cuts, "list_cuts", lambda root: [type("M", (), {"cut_id": "c1"})()])
    from dashboard.cli import main
    code = main(["pack", "build", "--cut", "c1", "--out", str(tmp_path / "o"), "--access", "closed", "--user", "ivy"])
    assert code == 1 and "only the open pack" in capsys.readouterr().err
    assert not (tmp_path / "o" / "closed").exists()


def test_command_line_build_is_audited_with_the_file_checksum(accounts, tmp_path, monkeypatch):
    """Writing the pack to the operator's folder is handing it over: a pack_export row with the file's SHA-256."""
    import hashlib
    import json

    from dashboard import audit
    from dashboard.cli import main
    from dashboard.pack import build

    pdf = tmp_path / "o" / "open" / "open.pdf"

    def fake_build_all(cut_id, packs, **_):
        pdf.parent.mkdir(parents=True)
        pdf.write_bytes(b"%PDF-1.7 test")
        return [build.BuiltPack("open", pdf, pdf.parent / "tables", "c" * 64, build.sha256_file(pdf))]

    monkeypatch.setattr(cli.cuts, "list_cuts", lambda root: [type("M", (), {"cut_id": "c1"})()])
    monkeypatch.setattr(cli.build, "build_all", fake_build_all)
    monkeypatch.setattr(cli, "load_trial_config", lambda: None)
    assert main(["pack", "build", "--cut", "c1", "--out", str(tmp_path / "o")]) == 0
    row = audit.events(event="pack_export", database_url=accounts).iloc[0]
    assert json.loads(row["detail"])["sha256"] == hashlib.sha256(b"%PDF-1.7 test").hexdigest()
