"""An unexpected exception in any step of a load: one error naming the step and the file, nothing written, the
active cut unchanged, the refusal in the audit trail, and no traceback (nor the exception's text) for the user."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from support import stub_audit

from dashboard import cuts
from dashboard.config import load_trial_config
from dashboard.ingest import identity, load, seal
from dashboard.ingest.cli import main
from dashboard.ingest.load import load_cut
from sample_export import write_sample_export
from dashboard.ingest.steps import LoaderStepError

SECRET = "NCT05019287-01-001 MENSC 2021-04-20"      # what an exception's text could quote


class Boom(RuntimeError):
    pass


def boom(*args: object, **kwargs: object) -> None:
    raise Boom(SECRET)


def boom_on(domain: str, real: Callable) -> Callable:
    """`real`, except that it raises for the table or file of `domain`."""
    def run(first, *args, **kwargs):
        if getattr(first, "domain", None) == domain:
            raise Boom(SECRET)
        return real(first, *args, **kwargs)
    return run


def conform_units(export: Path, config) -> Path:
    """The sample export with each configured outcome's lab results in the configured unit (it writes U/L)."""
    lb = pd.read_csv(export / "lb.csv", dtype=str, keep_default_na=False)
    units = {o.testcd: o.unit for o in config.outcomes if o.domain == "LB"}
    lb["LBSTRESU"] = lb["LBTESTCD"].map(units).fillna(lb["LBSTRESU"])
    lb.to_csv(export / "lb.csv", index=False)
    return export


@pytest.fixture
def audit(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """A stand-in for dashboard.audit that keeps the recorded events."""
    return stub_audit(monkeypatch)


@pytest.fixture(scope="module")
def config():
    return load_trial_config()


@pytest.fixture
def loaded(tmp_path: Path, config, audit) -> tuple[Path, Path, str]:
    """A data root with one active cut, and a second export (another cut date) to load into it."""
    root, export = tmp_path / "root", conform_units(write_sample_export(tmp_path / "export"), config)
    active = load_cut(export, "2021-09-01", "first", "alice", config, root=root).cut_id
    audit.clear()
    return root, export, active


def state(root: Path) -> tuple[list[str], str | None, bytes]:
    """Every entry under the data root (hidden ones included), the active cut and the input registry."""
    entries = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    return entries, cuts.active_cut_id(root), (root / identity.REGISTRY).read_bytes()


def faults(monkeypatch: pytest.MonkeyPatch, audit: list[tuple]) -> dict[str, tuple[Callable[[], None], str | None]]:
    """Per loader step: how to break it, and the file the error should name (None: the step has no one file)."""
    real_activate, real_record = cuts.activate, sys.modules["dashboard.audit"].record

    def activate_then_fail(cut_id: str, root: Path | None = None) -> None:
        real_activate(cut_id, root)        # the pointer is switched, then something goes wrong
        monkeypatch.setattr(cuts, "activate", real_activate)
        raise Boom(SECRET)

    def record_fails_on_load(event: str, **kwargs: object) -> None:
        if event == "cut_load":
            raise Boom(SECRET)
        real_record(event, **kwargs)

    patch = monkeypatch.setattr
    return {
        "discover": (lambda: patch(load, "discover", boom), None),
        "read": (lambda: patch(load, "read_table", boom_on("AE", load.read_table)), "ae.csv"),
        "type": (lambda: patch(load, "type_table", boom_on("LB", load.type_table)), "lb.csv"),
        "check": (lambda: patch(load, "check_table", boom_on("AE", load.check_table)), "ae.csv"),
        "seal": (lambda: patch(seal, "_split_dm", boom), "dm.csv"),
        "encode": (lambda: patch(cuts, "encode_table", boom), "any"),
        "identify": (lambda: patch(identity, "new_cut_id", boom), None),
        "write": (lambda: patch(cuts, "_fsync_tree", boom), None),
        "audit": (lambda: patch(sys.modules["dashboard.audit"], "record", record_fails_on_load), None),
        "activate": (lambda: patch(cuts, "activate", activate_then_fail), None),
    }


@pytest.mark.parametrize("step", ["discover", "read", "type", "check", "seal", "encode", "identify", "write",
                                  "audit", "activate"])
def test_a_fault_in_any_step_is_one_error_and_changes_nothing(step, loaded, config, audit, monkeypatch):
    root, export, active = loaded
    before = state(root)
    breaking, file = faults(monkeypatch, audit)[step]
    breaking()
    with pytest.raises(LoaderStepError) as raised:
        load_cut(export, "2021-09-02", "second", "bob", config, root=root)
    error = raised.value
    assert error.step == step and len(error.errors) == 1
    if file == "any":
        assert error.file and error.file.endswith(".csv")
    else:
        assert error.file == file
        where = f" on {file}" if file else ""
        assert error.headline == f"loader step '{step}' failed{where}: Boom; nothing was loaded"
    assert SECRET not in str(error) and all(SECRET not in str(f) for f in error.findings)
    assert state(root) == before and cuts.active_cut_id(root) == active
    event, _, detail = audit[-1]
    assert event == "cut_rejected" and detail["step"] == step and detail["error"] == "Boom"
    assert detail.get("file") == error.file
    monkeypatch.undo()                 # the same export loads once the fault is gone: nothing was left behind
    with pytest.MonkeyPatch.context() as again:
        again.setitem(sys.modules, "dashboard.audit", types.SimpleNamespace(record=lambda *a, **k: None))
        assert load_cut(export, "2021-09-02", "second", "bob", config, root=root).cut_id != active


def test_the_cli_prints_one_line_and_no_traceback(tmp_path, monkeypatch, capsys, audit, config):
    monkeypatch.setenv("DSMB_DATA_ROOT", str(tmp_path / "root"))
    monkeypatch.setenv("DSMB_INSTANCE_PATH", str(tmp_path / "instance"))
    export = conform_units(write_sample_export(tmp_path / "export"), config)
    monkeypatch.setattr(seal, "_split_dm", boom)
    assert main(["cuts", "load", str(export), "--cut-date", "2021-09-01", "--loaded-by", "alice"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "Traceback" not in err and SECRET not in err
    log = tmp_path / "instance" / "logs" / "ingest.log"
    assert err == (f"not loaded: loader step 'seal' failed on dm.csv: Boom; nothing was loaded; the active cut is "
                   f"unchanged (none); the details are in the server log ({log})\n")
    logged = log.read_text(encoding="utf-8")
    assert "Traceback" in logged and SECRET in logged and log.stat().st_mode & 0o077 == 0
    assert not list(cuts.cuts_dir().glob("*")) and audit[-1][2]["step"] == "seal"
