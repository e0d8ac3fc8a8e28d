"""Leak test: the open pack of one clinical cut is the same whatever the randomization list.

Twin installations load the demo export, the second time with the arms of every other randomized subject swapped
(as in test_allocation_invariance). Their open packs must have identical extracted text (the generation time
aside), identical tables, identical figures (the plotly JSON behind each figure and its SVG text, plotly's random
element ids aside) and the same cut id and content checksum; their closed packs must differ (guard).
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
def twin_builds(tmp_path_factory):
    """Open and closed (unblinded) packs of the final cut from two installations that differ only in allocation."""
    base = tmp_path_factory.mktemp("pack-twins")
    built = []
    for name, instance in zip("ab", twin_installations(base)):
        blinding.clear_caches()
        memo.clear()
        cut_id = cuts.active_cut_id(instance.root)
        packs = build.build_all(cut_id, [(Access.BLINDED, base / name / "open"),
                                         (Access.UNBLINDED, base / name / "closed")], config=load_trial_config(),
                                root=instance.root, user="investigator", database_url=instance.database_url)
        built.append((cut_id, *packs))
    return built


@pytest.fixture(scope="module")
def twin_packs(twin_builds):
    """(cut id, open pack) of each twin."""
    return [(cut_id, open_pack) for cut_id, open_pack, _ in twin_builds]


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


def _svg_text(svg: str) -> str:
    """An SVG with plotly's random element ids (defs, clip paths, gradients) renamed in order of appearance."""
    ids = list(dict.fromkeys(re.findall(r'id="([^"]+)"', svg)))
    uids = set(re.findall(r'defs-([0-9a-f]{6})', svg))
    names = {old: f"id{i}" for i, old in enumerate(ids)} | {uid: "uid" for uid in uids}
    if not names:
        return svg
    pattern = re.compile("|".join(re.escape(k) for k in sorted(names, key=len, reverse=True)))
    return pattern.sub(lambda m: names[m.group(0)], svg)


def test_open_pack_figures_do_not_depend_on_allocation(twin_packs):
    """The data behind each figure (its plotly JSON) and the drawing itself (its SVG text) are the same."""
    (_, a), (_, b) = twin_packs
    assert a.figures and [name for name, *_ in a.figures] == [name for name, *_ in b.figures]
    for (name, json_a, svg_a), (_, json_b, svg_b) in zip(a.figures, b.figures):
        assert json_a == json_b, f"figure {name}: its data differ"
        assert _svg_text(svg_a) == _svg_text(svg_b), f"figure {name}: its drawing differs"


def test_figure_comparison_sees_allocation_in_the_closed_pack(twin_builds):
    """Guard against a comparison that cannot fail: the twins' closed packs (by arm) differ in figure data and
    drawings, and the comparison above says so."""
    (_, _, a), (_, _, b) = twin_builds
    assert [name for name, *_ in a.figures] == [name for name, *_ in b.figures]
    data_differ = [name for (name, json_a, _), (_, json_b, _) in zip(a.figures, b.figures) if json_a != json_b]
    drawing_differs = [name for (name, _, svg_a), (_, _, svg_b) in zip(a.figures, b.figures)
                       if _svg_text(svg_a) != _svg_text(svg_b)]
    assert data_differ and drawing_differs


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
