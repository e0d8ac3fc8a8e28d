"""The command line's parallel build (build_all(parallel=True)): the closed pack is collected in a forked process
while the open one is collected here, and the packs are the same as built one after the other; a pack that fails
in the other process fails the build with its own error and nothing of either pack is written."""

from __future__ import annotations

import os
import re

import pypdf
import pytest
from support import DEMO_EXPORTS, make_instance

from dashboard import blinding, cuts, memo
from dashboard.blinding import Access
from dashboard.config import load_trial_config
from dashboard.pack import build


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo's interim and final cuts in a fresh instance."""
    base = tmp_path_factory.mktemp("pack-parallel")
    instance = make_instance(base, [(DEMO_EXPORTS / "interim", "2021-05-10", "Interim"),
                                    (DEMO_EXPORTS / "final", "2021-07-10", "Final")])
    blinding.clear_caches()
    memo.clear()
    return base, instance, blinding.cuts.active_cut_id(instance.root)


def _packs(folder):
    return [(Access.BLINDED, folder / "open"), (Access.CODED, folder / "closed")]


def _build(demo, folder, parallel):
    _, instance, cut_id = demo
    return build.build_all(cut_id, _packs(folder), config=load_trial_config(), root=instance.root, user="dsmb",
                           database_url=instance.database_url, parallel=parallel)


def _text(pack) -> list[str]:
    """Each page's text, the generation minute blanked (the only thing that may differ between two builds)."""
    return [re.sub(r"Generated at \S+ \S+ UTC", "Generated at -", page.extract_text())
            for page in pypdf.PdfReader(pack.pdf).pages]


@pytest.fixture(scope="module")
def built(demo):
    """Both packs built in parallel (recording which process collected each) and one after the other."""
    base = demo[0]
    log = base / "collected-by.txt"
    original = build.collect

    def recording(cut_id, access, *args, **kwargs):
        with open(log, "a", encoding="utf-8") as out:       # appended by whichever process collects
            out.write(f"{access.value} {os.getpid()}\n")
        return original(cut_id, access, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(build, "collect", recording)
        parallel = _build(demo, base / "parallel", parallel=True)
    sequential = _build(demo, base / "sequential", parallel=False)
    by = dict(line.split() for line in log.read_text(encoding="utf-8").splitlines())
    return parallel, sequential, by


def test_the_closed_pack_is_collected_in_another_process(built):
    _, _, by = built
    assert by["blinded"] == str(os.getpid())
    assert by["coded"] != str(os.getpid())


def test_parallel_and_sequential_builds_give_the_same_packs(built):
    parallel, sequential, _ = built
    assert [p.kind for p in parallel] == [p.kind for p in sequential] == ["open", "closed"]
    for a, b in zip(parallel, sequential):
        assert a.content_checksum == b.content_checksum
        assert sorted(f.name for f in a.tables.iterdir()) == sorted(f.name for f in b.tables.iterdir())
        for table in a.tables.iterdir():
            assert table.read_bytes() == (b.tables / table.name).read_bytes()
        assert [(name, data) for name, data, _ in a.figures] == [(name, data) for name, data, _ in b.figures]
        assert _text(a) == _text(b)


def test_a_pack_failing_in_the_other_process_fails_the_build_and_writes_nothing(demo, monkeypatch):
    base = demo[0]
    original = build.collect

    def refusing(cut_id, access, *args, **kwargs):
        if access.sees_arms:
            raise cuts.CutError("refused for the test")
        return original(cut_id, access, *args, **kwargs)

    monkeypatch.setattr(build, "collect", refusing)           # the fork inherits it
    with pytest.raises(cuts.CutError, match="refused for the test"):
        _build(demo, base / "failing", parallel=True)
    assert not (base / "failing").exists() or not any(p.is_file() for p in (base / "failing").rglob("*"))
