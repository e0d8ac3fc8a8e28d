"""Reading export files: discovery, CSV details and encodings, findings formatting, cut ids."""

from __future__ import annotations

from concurrent.futures import Future
from pathlib import Path

import pytest

from dashboard.ingest.findings import Finding, Findings, Severity, summarize
from dashboard.ingest.identity import cut_id_for
from dashboard.ingest.load import parse_cut_date
from dashboard.ingest.readers import TEXT, RawFile, discover, read_table


def raw(name: str, data: bytes, sha: str = "0" * 64) -> RawFile:
    digest: Future[str] = Future()
    digest.set_result(sha)
    return RawFile(Path(name).stem.upper(), name, data, digest, len(data))


def test_discover_any_case_and_warn_about_unknown_files(tmp_path):
    for name in ("DM.CSV", "ae.Xpt", "randomization.csv", "notes.txt", "xx.csv", ".hidden.csv", "suppae.csv"):
        (tmp_path / name).write_text("A\n1\n")
    findings = Findings()
    found = discover(tmp_path, frozenset({"CT"}), findings)
    assert {k: p.name for k, p in found.items()} == {"AE": "ae.Xpt", "DM": "DM.CSV", "RANDOMIZATION":
                                                     "randomization.csv", "SUPPAE": "suppae.csv"}
    assert [f.file for f in findings.warnings] == ["notes.txt", "xx.csv"] and not findings.errors


def test_discover_refuses_two_files_for_one_domain_and_a_missing_dm(tmp_path):
    (tmp_path / "ae.csv").write_text("A\n")
    (tmp_path / "AE.xpt").write_text("A\n")
    findings = Findings()
    discover(tmp_path, frozenset(), findings)
    assert [f.kind for f in findings.errors] == ["duplicate domain file", "missing DM"]


def test_csv_is_all_strings_with_empty_as_missing_and_upper_case_names():
    findings = Findings()
    source = read_table(raw("ae.csv", '\ufeffusubjid,AESEQ,aeterm\nS-1,1,"two\nlines"\nS-2,,""\n'.encode()), findings)
    assert source.table.column_names == ["USUBJID", "AESEQ", "AETERM"]
    assert all(t == TEXT for t in source.table.schema.types)
    assert source.table.to_pydict() == {"USUBJID": ["S-1", "S-2"], "AESEQ": ["1", None], "AETERM": ["two\nlines", None]}
    assert not findings.items


def test_csv_keeps_na_like_text():
    source = read_table(raw("lb.csv", b"USUBJID,LBORRES\nS-1,NA\nS-2,NULL\n"), Findings())
    assert source.table["LBORRES"].to_pylist() == ["NA", "NULL"]


@pytest.mark.parametrize("data, message", [
    (b"", "empty file (no header row)"),
    (b"\n\n", "empty file (no header row)"),
    (b"A,A\n1,2\n", "header repeats column names ['A']"),
    (b"A,B\n1,2\n3,4,5\n", "not a valid CSV file: row 2 has 3 fields, the header has 2"),
])
def test_unreadable_csv_files(data, message):
    findings = Findings()
    assert read_table(raw("ae.csv", data), findings) is None
    assert [f.message for f in findings.errors] == [message]


def test_cp1252_fallback_warns_with_offset_and_row():
    findings = Findings()
    source = read_table(raw("ae.csv", b"USUBJID,AETERM\nS-1,ok\nS-2,Fi\xe8vre\n"), findings)
    assert source.table["AETERM"].to_pylist() == ["ok", "Fi\u00e8vre"]
    assert [f.message for f in findings.warnings] == [
        "not valid UTF-8 (first at byte offset 28, row 2); read as cp1252"]


def test_cp1252_fallback_ignores_a_utf8_byte_order_mark():
    source = read_table(raw("ae.csv", b"\xef\xbb\xbfUSUBJID,AETERM\nS-1,Fi\xe8vre\n"), Findings())
    assert source.table.column_names == ["USUBJID", "AETERM"]


def test_undecodable_bytes_are_an_error_with_offset_and_row():
    findings = Findings()
    assert read_table(raw("ae.csv", b"USUBJID,AETERM\nS-1,\x81\x8d\n"), findings) is None
    assert [f.message for f in findings.errors] == [
        "undecodable text at byte offset 19 (row 1): neither UTF-8 nor cp1252"]


def test_finding_text_and_summary():
    finding = Finding(Severity.ERROR, "ae.csv", "unparseable date '2021-13-45'", row=14,
                      usubjid="NCT05019287-01-007", seq_column="AESEQ", seq="3", column="AESTDTC")
    assert str(finding) == ("ae.csv row 14 (USUBJID NCT05019287-01-007, AESEQ 3), column AESTDTC: "
                            "unparseable date '2021-13-45'")
    assert str(Finding(Severity.WARNING, "notes.txt", "ignored")) == "notes.txt: ignored"
    findings = Findings()
    findings.warning("lb.csv", "x", column="LBSTRESN", kind="non-numeric value")
    findings.warning("lb.csv", "y", column="LBSTRESN", kind="non-numeric value", count=4)
    assert summarize(findings.items) == ["     5 x lb.csv, column LBSTRESN: non-numeric value"]


def test_cut_id_depends_on_names_fingerprints_date_and_attempt():
    prints = {"dm.csv": "a" * 64, "ae.csv": "b" * 64}
    assert cut_id_for("2021-06-01", prints) == cut_id_for("2021-06-01", dict(reversed(prints.items())))
    assert cut_id_for("2021-06-01", prints) != cut_id_for("2021-06-01", {**prints, "ae.csv": "c" * 64})
    assert cut_id_for("2021-06-01", prints)[11:] != cut_id_for("2021-06-02", prints)[11:]
    assert cut_id_for("2021-06-01", prints) != cut_id_for("2021-06-01", prints, attempt=1)
    assert cut_id_for("2021-06-01", prints).startswith("2021-06-01-")


@pytest.mark.parametrize("value", ["2021-6-1", "20210601", "2021-02-30", "June"])
def test_cut_date_must_be_a_real_iso_date(value):
    with pytest.raises(ValueError):
        parse_cut_date(value)
