"""O10: the Data cuts file list says 'withheld' for the size (and the rows of a file sealed whole) of a file that
carries allocation, instead of a 0 that looks measured."""

from __future__ import annotations

from dashboard.cuts import InputFile
from dashboard.displays.other_pages import manifest_detail
from dashboard.ingest.identity import WITHHELD, shown_counts


def test_withheld_inputs_say_withheld_not_zero():
    assert shown_counts(InputFile("adae.xpt", WITHHELD, 1191, 0)) == ("1,191", "withheld")
    assert shown_counts(InputFile("randomization.csv", WITHHELD, 0, 0)) == ("withheld", "withheld")
    assert shown_counts(InputFile("lb.xpt", "ab" * 32, 1200, 34567)) == ("1,200", "34,567")


def test_cut_detail_table_shows_withheld():
    from types import SimpleNamespace
    manifest = SimpleNamespace(cut_id="c1", cut_date="2015-03-31", loaded_at="t", loaded_by="u", source="s",
                               sources={}, inputs=(InputFile("adae.xpt", WITHHELD, 1191, 0),))
    cells = [str(getattr(td, "children", "")) for tr in manifest_detail(manifest).children[-1].children[1].children
             for td in tr.children]
    assert cells[:3] == ["adae.xpt", "1,191", "withheld"]
