"""The NIH-outline parts of the meeting pack, built from the demo's final cut: each section is in the PDF in its
place, and its numbers check against the pack's own listings recounted here in plain pandas."""

from __future__ import annotations

import io
import re

import pandas as pd
import pypdf
import pytest
from support import DEMO_EXPORTS, make_instance

from dashboard import blinding, memo
from dashboard.blinding import Access
from dashboard.config import load_trial_config
from dashboard.pack import build, outline


@pytest.fixture(scope="module")
def packs(tmp_path_factory):
    """Open and closed (coded) packs of the final demo cut."""
    base = tmp_path_factory.mktemp("pack-outline")
    instance = make_instance(base, [(DEMO_EXPORTS / "final", "2021-07-10", "Final")])
    blinding.clear_caches()
    memo.clear()
    cut_id = blinding.cuts.active_cut_id(instance.root)
    built = build.build_all(cut_id, [(Access.BLINDED, base / "out" / "open"), (Access.CODED, base / "out" / "closed")],
                            config=load_trial_config(), root=instance.root, user="dsmb",
                            database_url=instance.database_url)
    return {p.kind: p for p in built}


def _csv(pack, name: str) -> pd.DataFrame:
    text = (pack.tables / f"{name}.csv").read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text), comment=None, skiprows=2, dtype=str, keep_default_na=False)


def _body(pack) -> str:
    pages = [p.extract_text() for p in pypdf.PdfReader(pack.pdf).pages]
    first = next(i for i, text in enumerate(pages) if i > 0 and "......" not in text)   # after the contents
    return "\n".join(pages[first:])


@pytest.mark.parametrize("kind", ["open", "closed"])
def test_outline_parts_are_in_their_sections_in_order(packs, kind):
    body = _body(packs[kind])
    titles = ["Eligibility checks: possible protocol deviations", "Protocol deviations by kind",
              "No deviation log (DV) in this cut", "Completeness of each measure by visit",
              "Baseline characteristics", "Death listing", "Swimmer plot", "Creatinine rise from baseline",
              "Baseline and change to the highest and lowest value", "value and change from baseline by visit",
              "Shift tables per laboratory test", "Clinically significant abnormal laboratory values",
              "SpO2: values by visit", "SpO2: change from baseline by visit", "There is no earlier cut to compare with",
              "Load warnings", "Missing values in the fields each display uses",
              "Records dated after the cut, left out of every display", "Past meetings", "No meeting record yet"]
    positions = [body.find(t) for t in titles]
    assert all(p >= 0 for p in positions), [t for t, p in zip(titles, positions) if p < 0]
    assert positions == sorted(positions)


def test_deviations_by_kind_count_the_eligibility_listing(packs):
    for pack in packs.values():
        listing = _csv(pack, "eligibility_deviations")
        expected = listing.groupby("Check")["Subject"].agg(["nunique", "size"])
        summary = _csv(pack, "deviations_by_kind").set_index("Kind")
        for check, row in expected.iterrows():
            assert int(summary.loc[check, "Subjects"]) == row["nunique"]
            assert int(summary.loc[check, "Occurrences"]) == row["size"]
        missed = _csv(pack, "exposure")
        assert int(summary.filter(like="missed", axis=0)["Subjects"].iloc[0]) == len(missed)


def test_shift_tables_add_up_to_each_group_n(packs):
    for kind, groups in (("open", 1), ("closed", 3)):
        table = _csv(packs[kind], "lab_shift_tables")
        totals = table[table["Baseline \\ worst post-baseline"] == "Total"]
        assert totals.groupby("Test").size().eq(groups).all()       # each arm and the total, or the total alone
        for _, row in totals.iterrows():
            n = int(re.search(r"N=(\d+)", row["Group"]).group(1))
            assert int(row["Total"]) == n, (row["Test"], row["Group"])
        assert ("ALT" in " ".join(table["Test"])) or len(table["Test"].unique()) > 3


def test_measure_completeness_percent_is_received_over_due(packs):
    table = _csv(packs["open"], "measure_completeness")
    assert len(table)
    due, got = table["Subjects due"].astype(int), table["Received"].astype(int)
    assert (got <= due).all()
    pct = table["% received"].replace("", "nan").astype(float)
    expected = (100 * got / due.where(due > 0)).round(1)
    assert ((pct - expected).abs().fillna(0) < 0.051).all()


def test_missing_per_field_recounts_the_export(packs):
    """AE.AESEV: blank severities among the cut's AE records, recounted from the export in plain pandas (the demo
    has no AE after the cut date: the records-after-cut table says 0 for AE)."""
    table = _csv(packs["open"], "missing_per_field").set_index("Field")
    after = _csv(packs["open"], "records_after_cut").set_index("Domain")
    assert after.loc["AE", "Records after the cut left out"] == "0"
    ae = pd.read_sas(DEMO_EXPORTS / "final" / "ae.xpt", encoding="utf-8")
    blank = ae["AESEV"].isna() | ae["AESEV"].astype(str).str.strip().eq("")
    assert int(table.loc["AE.AESEV", "Missing"]) == int(blank.sum())
    assert int(table.loc["AE.AESEV", "Records"]) == len(ae)


def test_open_and_closed_have_a_trajectory_per_outcome(packs):
    outcomes = load_trial_config().outcomes
    for pack in packs.values():
        names = [name for name, *_ in pack.figures if name.startswith("trajectory_")]
        assert len(names) == len(outcomes)
    assert outline.NO_MEETING.split(":")[0] in _body(packs["closed"])


def test_lab_parts_have_their_tables_as_data(packs):
    """Every lab test has its by-visit table; the significant values' CSV carries the arm only in the closed pack."""
    import json as _json

    for kind, pack in packs.items():
        names = {p.name for p in pack.tables.glob("lab_change_*.csv")}
        lb = pd.read_sas(DEMO_EXPORTS / "final" / "lb.xpt", encoding="utf-8")
        assert names == {f"lab_change_{code.lower()}.csv" for code in lb["LBTESTCD"].unique()}, kind
        significant = _csv(pack, "lab_significant_values")
        assert ("Arm" in significant.columns) == (kind == "closed")
        assert len(significant) == len(_csv(packs["open"], "lab_significant_values"))
    assert _json.loads(packs["open"].figures[0][1]) is not None
    assert sum(name.startswith("change_") for name, *_ in packs["open"].figures) == len(load_trial_config().outcomes)
    assert sum(name == "swimmer" for name, *_ in packs["closed"].figures) == 1
