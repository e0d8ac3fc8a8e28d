"""Leak test: the open pack of one clinical cut is the same whatever the randomization list.

Twin installations load the demo export, the second time with the arms of every other randomized subject swapped
(as in test_allocation_invariance). Their open packs must have identical extracted text (the generation time
aside), identical tables and the same cut id and content checksum.
"""

from __future__ import annotations

import re

import pypdf
import pytest
from test_allocation_invariance import twin_installations

from dashboard import blinding, cuts, memo
from dashboard.blinding import Access
from dashboard.config import load_trial_config
from dashboard.pack import build

GENERATED_AT = re.compile(r"Generated at \d{4}-\d\d-\d\d \d\d:\d\d UTC")


@pytest.fixture(scope="module")
def twin_packs(tmp_path_factory):
    """Open packs of the final cut from two installations that differ only in allocation."""
    base = tmp_path_factory.mktemp("pack-twins")
    built = []
    for name, instance in zip("ab", twin_installations(base)):
        blinding.clear_caches()
        memo.clear()
        cut_id = cuts.active_cut_id(instance.root)
        [pack] = build.build_all(cut_id, [(Access.BLINDED, base / name / "open")], config=load_trial_config(),
                                 root=instance.root, user="investigator", database_url=instance.database_url)
        built.append((cut_id, pack))
    return built


def _text(pack) -> list[str]:
    return [GENERATED_AT.sub("Generated at —", p.extract_text()) for p in pypdf.PdfReader(pack.pdf).pages]


def test_open_pack_text_does_not_depend_on_allocation(twin_packs):
    (cut_a, a), (cut_b, b) = twin_packs
    assert cut_a == cut_b                        # derived from the clinical part only
    assert a.content_checksum == b.content_checksum
    text_a, text_b = _text(a), _text(b)
    assert len(text_a) == len(text_b)
    for number, (page_a, page_b) in enumerate(zip(text_a, text_b), start=1):
        assert page_a == page_b, f"page {number} differs"


def test_open_pack_tables_do_not_depend_on_allocation(twin_packs):
    (_, a), (_, b) = twin_packs
    names = sorted(p.name for p in a.tables.glob("*.csv"))
    assert names and names == sorted(p.name for p in b.tables.glob("*.csv"))
    for name in names:
        assert (a.tables / name).read_bytes() == (b.tables / name).read_bytes(), name


def test_the_twins_really_differ_in_allocation(twin_packs, tmp_path):
    """Guard against a test that cannot fail: the closed view of the twins must differ."""
    (_, a), (_, b) = twin_packs
    roots = [a.pdf.parents[1] / "data", b.pdf.parents[1] / "data"]
    config = load_trial_config()
    arms = []
    for root in roots:
        blinding.clear_caches()
        data = blinding.trial_data(cuts.active_cut_id(root), Access.CODED, config, root)
        arms.append(data.arm_of.sort_index())
    assert not arms[0].equals(arms[1])
