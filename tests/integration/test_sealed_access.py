"""Only dashboard.blinding opens the sealed part of a cut, and never for a blinded user."""

from __future__ import annotations

import ast
import gc
import sys
from pathlib import Path

import pandas as pd
import pytest
from crawl import crawl

from dashboard import blinding, memo
from dashboard.blinding import Access, BlindedTrialData
from dashboard.config import load_trial_config

PROJECT = Path(__file__).resolve().parents[2]
SEALED_OPENS: list[tuple[str, list[str]]] = []
_recording = {"on": False}


def _audit_hook(event: str, args: tuple) -> None:
    if not _recording["on"] or event != "open" or not args or not isinstance(args[0], (str, Path)):
        return
    path = str(args[0])
    if "/sealed/" in path:
        frame, modules = sys._getframe(1), []
        while frame is not None:
            modules.append(frame.f_globals.get("__name__", "?"))
            frame = frame.f_back
        SEALED_OPENS.append((path, modules))


sys.addaudithook(_audit_hook)


@pytest.fixture
def recording():
    blinding.clear_caches()
    memo.clear()
    SEALED_OPENS.clear()
    _recording["on"] = True
    yield SEALED_OPENS
    _recording["on"] = False


def test_only_the_blinding_module_names_the_sealed_folder():
    """Static check: the sealed folder name appears only where it is written and in its one reader."""
    allowed = {"dashboard/cuts.py", "dashboard/blinding.py"}
    offenders = []
    for path in [*PROJECT.glob("dashboard/**/*.py"), *PROJECT.glob("callbacks/*.py"), *PROJECT.glob("layouts/*.py")]:
        rel = path.relative_to(PROJECT).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            named = (isinstance(node, ast.Attribute) and node.attr == "SEALED_DIRNAME") or \
                    (isinstance(node, ast.Name) and node.id == "SEALED_DIRNAME") or \
                    (isinstance(node, ast.Constant) and node.value in ("sealed", "allocation.parquet"))
            if named and rel not in allowed:
                offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, f"only cuts.py (writer) and blinding.py (reader) may name the sealed folder: {offenders}"


@pytest.mark.parametrize("role", ["admin", "investigator"])
def test_blinded_users_never_cause_a_sealed_file_to_be_opened(client_for, recording, role):
    crawl(client_for(role))
    assert recording == [], f"{role}'s requests opened sealed files: {[p for p, _ in recording]}"


def test_armed_users_read_sealed_files_only_through_the_blinding_module(client_for, recording):
    crawl(client_for("statistician"))
    assert recording, "the statistician's pages should read the allocation"
    for path, modules in recording:
        assert "dashboard.blinding" in modules, f"{path} opened outside dashboard.blinding: {modules[:6]}"


def test_blinded_trial_data_holds_no_allocation(demo_instance):
    from dashboard import cuts

    cut_id = cuts.active_cut_id(demo_instance.root)
    data = blinding.trial_data(cut_id, Access.BLINDED, load_trial_config(), demo_instance.root)
    assert isinstance(data, BlindedTrialData)
    assert not hasattr(data, "arm_of") and not hasattr(data, "arm_labels")
    reachable = gc.get_referents(*gc.get_referents(data))
    frames = [o for o in reachable if isinstance(o, pd.DataFrame)] + list(data._domains.values())
    for frame in frames:
        assert not {"ARM", "ARMCD", "ACTARM", "ACTARMCD", "RANDNO", "ETCD"} & set(frame.columns)
    assert "SE" not in data.domain_names


def test_split_calls_the_pooled_function_for_blinded_data_and_the_by_arm_function_with_arms_otherwise(demo_instance):
    """`TrialData.split` is the one pooled-or-by-arm decision: blinded data never reaches the by-arm function."""
    calls: list[str] = []

    def pooled(frame):
        calls.append("pooled")
        return len(frame)

    def by_arm(frame, *, arm_of):
        calls.append("by_arm")
        return arm_of.value_counts().to_dict()

    from dashboard import cuts

    cut_id, root = cuts.active_cut_id(demo_instance.root), demo_instance.root
    blinded = blinding.trial_data(cut_id, Access.BLINDED, load_trial_config(), root)
    assert blinded.split(pooled, by_arm, blinded.dm) == len(blinded.dm) and calls == ["pooled"]
    coded = blinding.trial_data(cut_id, Access.CODED, load_trial_config(), root)
    counts = coded.split(pooled, by_arm, coded.dm, basis="safety")
    assert calls == ["pooled", "by_arm"]
    expected = coded.safety_arm_of.value_counts().to_dict()
    assert counts == expected and set(counts) <= set(coded.arm_labels)


def test_the_first_armed_look_at_a_cut_keeps_the_clinical_cache_of_blinded_looks(demo_instance):
    """A worker that served an investigator and then a statistician reads the clinical part once (the first look at
    the sealed part used to count as a change and drop every cache of the worker)."""
    from dashboard import cuts

    blinding.clear_caches()
    cut_id, root = cuts.active_cut_id(demo_instance.root), demo_instance.root
    config = load_trial_config()
    blinded = blinding.trial_data(cut_id, Access.BLINDED, config, root)
    armed = blinding.trial_data(cut_id, Access.UNBLINDED, config, root)
    assert armed._domains is blinded._domains
    assert blinding.trial_data(cut_id, Access.BLINDED, config, root) is blinded
