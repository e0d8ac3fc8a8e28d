"""Find the files of an export folder and read them (CSV, SAS XPT) into all-string Arrow tables."""

from __future__ import annotations

import csv
import hashlib
import io
import mmap
import os
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyreadstat

from dashboard.ingest.adam.detect import adam_files, adam_stem, drop_superseded
from dashboard.ingest.findings import Findings
from dashboard.ingest.schema import RANDOMIZATION, known_domain, named_domain, normalized

SUFFIXES = (".csv", ".xpt")
CODING_FILE = "coding.csv"          # the board's coding key (dashboard/ingest/coding.py reads it into the sealed part)
TEXT = pa.string()                 # 32-bit offsets: half the offset memory of large_string
_TEXT = re.compile(rb"[^\xef\xbb\xbf \t\r\n]")     # any byte but whitespace and a UTF-8 byte order mark
_CP1252_FALLBACK = "cp1252"


Bytes = bytes | mmap.mmap          # a file's content: read into memory, or mapped from the page cache


@dataclass
class RawFile:
    """One input file's bytes (memory-mapped), and its SHA-256 being computed in a worker thread."""

    domain: str
    name: str
    data: Bytes
    digest: Future[str]
    size: int = 0

    @property
    def sha256(self) -> str:
        return self.digest.result()

    @property
    def kind(self) -> str:
        return Path(self.name).suffix.lower().lstrip(".")


@dataclass
class SourceTable:
    """One input file read into Arrow: strings everywhere, except numbers an XPT file already typed."""

    domain: str
    name: str
    table: pa.Table
    # The files of a domain split over several (lbch.xpt, lbhe.xpt): (file name, data rows) in table order, so
    # that a finding names the file and row it came from. Empty for a domain read from one file.
    parts: tuple[tuple[str, int], ...] = ()


class ExportFiles(dict[str, Path]):
    """The files of an export by key (the upper-case file stem); `domains` maps a key to the domain the file
    belongs to, which differs from the key for a part of a split domain (LBCH -> LB)."""

    def __init__(self) -> None:
        super().__init__()
        self.domains: dict[str, str] = {}

    def domain_of(self, key: str) -> str:
        return self.domains.get(key, key)


_IGNORED = "ignored: not an SDTM domain file or randomization.csv this loader knows"


def discover(folder: Path, custom_domains: frozenset[str], findings: Findings) -> ExportFiles:
    """The files of an export by upper-case stem; unknown files are ignored with a warning, symbolic links refused.

    A file named like a part of a split domain whose DOMAIN column (RDOMAIN for SUPPxx) names that domain is a
    part of it, as SDTMIG allows (lbch.xpt, lbhe.xpt with DOMAIN = LB); see `_part_of`.
    """
    found = ExportFiles()
    if not folder.is_dir():
        findings.error(str(folder), "export folder not found", kind="no export folder")
        return found
    adam = adam_files(folder)      # ADSL present: an ADaM cut, translated on reading (docs/adam.md)
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        stem, suffix = path.stem.upper(), path.suffix.lower()
        if path.name.lower() == CODING_FILE and not path.is_symlink():
            continue              # not a domain: read and sealed by dashboard.ingest.coding
        if path.is_symlink():     # never followed: it could point at any file the loader may read
            findings.error(path.name, "symbolic link refused: put the file itself in the export folder",
                           kind="symbolic link")
            continue
        if not path.is_file() or suffix not in SUFFIXES or (stem == RANDOMIZATION and suffix != ".csv"):
            findings.warning(path.name, _IGNORED, kind="unknown file ignored")
            continue
        domain = adam.get(stem) if adam_stem(path.name) and adam else (
            stem if known_domain(stem, custom_domains) else _part_of(path, custom_domains, findings))
        if domain is None:
            continue
        if stem in found:
            findings.error(path.name, f"two files for domain {stem}: {found[stem].name} and {path.name}",
                           kind="duplicate domain file")
            continue
        found[stem] = path
        found.domains[stem] = domain
    drop_superseded(found, found.domains, adam, findings)
    if "DM" not in found.domains.values():
        findings.error("dm", "the export has no DM file (dm.csv or dm.xpt); DM is required", kind="missing DM")
    return found


def _part_of(path: Path, custom_domains: frozenset[str], findings: Findings) -> str | None:
    """The domain a file with an unknown stem is a part of; None (ignored with a warning, or an error) otherwise.

    A part is named as SDTMIG 4.1.7 names split datasets, the domain code and up to two more characters
    (`lbch`, `qsgd`, `suppqsgd`), and its DOMAIN column (RDOMAIN for SUPP) says the same domain. The name rule
    keeps out an ADaM dataset (`adae.xpt` also has DOMAIN = AE) and SUPPQUAL (the qualifiers of every domain).
    """
    claimed = named_domain(path.stem, custom_domains)
    if claimed is None:
        findings.warning(path.name, _IGNORED, kind="unknown file ignored")
        return None
    column = "RDOMAIN" if claimed.startswith("SUPP") else "DOMAIN"
    value = normalized(_first_value(path, column) or "")
    if not value:
        findings.warning(path.name, f"ignored: named like a part of domain {claimed}, but has no {column} value "
                                    "saying so", column=column, kind="unknown file ignored")
        return None
    if ("SUPP" if column == "RDOMAIN" else "") + value != claimed:
        findings.error(path.name, f"{column} {value!r} contradicts the file name, which names domain {claimed}",
                       row=1, column=column, kind="DOMAIN contradicts file name")
        return None
    if claimed == "DM":
        findings.error(path.name, "DM cannot be split over several files; deliver one dm.csv or dm.xpt",
                       column=column, kind="split DM")
        return None
    return claimed


def _first_value(path: Path, column: str) -> str | None:
    """The first row's value of `column` (None when the file has no such column or cannot be read)."""
    try:
        if path.suffix.lower() == ".xpt":
            frame = pyreadstat.read_xport(str(path), row_limit=1, encoding="latin1")[0]
            frame.columns = [str(c).strip().upper() for c in frame.columns]
            return str(frame[column].iloc[0]) if column in frame and len(frame) else None
        with open(path, "rb") as fh:
            head = fh.read(1 << 16).decode("utf-8-sig", errors="replace")
        rows = list(csv.reader(io.StringIO(head)))
        names = [name.strip().upper() for name in rows[0]] if rows else []
        return rows[1][names.index(column)] if column in names and len(rows) > 1 else None
    except (OSError, ValueError, IndexError, pyreadstat.ReadstatError):
        return None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


_HASHING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sha256")


def map_file(path: Path) -> Bytes:
    """A file's content, memory-mapped read-only (no copy, no page faults on fresh memory); b"" when empty.

    O_NOFOLLOW: a file swapped for a symbolic link after `discover` looked at it is still not followed.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with open(fd, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) if size else b""


def read_raw(files: dict[str, Path]) -> dict[str, RawFile]:
    """Map every file (by the keys of `files`); hashing runs in worker threads (hashlib releases the GIL) while
    parsing goes on. Each RawFile's domain is the domain its file belongs to (see ExportFiles)."""
    raws = {}
    for key, path in files.items():
        data = map_file(path)
        domain = files.domain_of(key) if isinstance(files, ExportFiles) else key
        raws[key] = RawFile(domain, path.name, data, _HASHING.submit(_sha256, data), len(data))
    return raws


def read_table(raw: RawFile, findings: Findings) -> SourceTable | None:
    """Parse one file; problems go to `findings` and give None."""
    if not _TEXT.search(raw.data):
        findings.error(raw.name, "empty file (no header row)", kind="empty file")
        return None
    if adam_stem(raw.name):        # an ADaM dataset: discover gives one only when the folder has ADSL
        from dashboard.ingest.adam.source import read_adam      # here: it imports this module
        return read_adam(raw, findings)
    table = read_xpt(raw, findings) if raw.kind == "xpt" else read_csv(raw, findings)
    return None if table is None else SourceTable(raw.domain, raw.name, table)


def _line_of(data: Bytes, offset: int) -> str:
    line = data[:offset].count(b"\n")
    return "the header row" if line == 0 else f"row {line}"


def _decode_text(raw: RawFile, findings: Findings) -> bytes | None:
    """UTF-8 bytes of a CSV file: as is, or re-encoded from cp1252 with a warning; None when undecodable."""
    data = bytes(raw.data)
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode(_CP1252_FALLBACK)
    except UnicodeDecodeError as exc:
        findings.error(raw.name, f"undecodable text at byte offset {exc.start} ({_line_of(raw.data, exc.start)}): "
                                 "neither UTF-8 nor cp1252", kind="undecodable text")
        return None
    findings.warning(raw.name, f"not valid UTF-8 (first at byte offset {first_bad}, {_line_of(raw.data, first_bad)}); "
                               "read as cp1252", kind="cp1252 fallback")
    return text.encode("utf-8")


def _header(data: Bytes) -> list[str]:
    end = data.find(b"\n")
    first_line = (data if end < 0 else data[:end]).decode("utf-8-sig")
    return [name.strip().upper() for name in next(csv.reader([first_line]), [])]


def _parse_csv(data: Bytes, names: list[str], newlines_in_values: bool) -> pa.Table:
    return pcsv.read_csv(
        pa.BufferReader(pa.py_buffer(data)),
        read_options=pcsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 23),
        parse_options=pcsv.ParseOptions(newlines_in_values=newlines_in_values),
        convert_options=pcsv.ConvertOptions(column_types={n: TEXT for n in names}, null_values=[""],
                                            strings_can_be_null=True, quoted_strings_can_be_null=True))


def _bad_row(data: Bytes, width: int) -> str:
    """Where a CSV stops having `width` fields (slow path, only after a parse error)."""
    for i, row in enumerate(csv.reader(io.StringIO(bytes(data).decode("utf-8"), newline=""))):
        if i and row and len(row) != width:
            return f"row {i} has {len(row)} fields, the header has {width}"
    return "malformed CSV"


def read_csv(raw: RawFile, findings: Findings) -> pa.Table | None:
    """A CSV file as an all-string table; empty strings are missing (null)."""
    try:
        names = _header(raw.data)
        data = raw.data
    except UnicodeDecodeError:
        names, data = [], b""
    if not names:
        decoded = _decode_text(raw, findings)
        if decoded is None:
            return None
        data, names = decoded, _header(decoded)
    blank = [i + 1 for i, n in enumerate(names) if not n]
    if blank:
        findings.error(raw.name, f"header has empty column names (positions {blank})", kind="bad header")
        return None
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        findings.error(raw.name, f"header repeats column names {duplicated}", kind="bad header")
        return None
    for attempt in range(3):
        try:
            return _parse_csv(data, names, newlines_in_values=attempt > 0)
        except pa.ArrowInvalid as exc:
            if "UTF8" in str(exc) and data is raw.data:
                decoded = _decode_text(raw, findings)
                if decoded is None:
                    return None
                data = decoded
            elif attempt > 0:
                findings.error(raw.name, f"not a valid CSV file: {_bad_row(data, len(names))}", kind="bad CSV")
                return None
    return None


def _xpt_frame(data: Bytes, encoding: str | None):
    return pyreadstat.read_xport(io.BytesIO(data), encoding=encoding)[0]


def _xpt_undecodable(raw: RawFile, findings: Findings) -> None:
    """Name the first row and column of an XPT file whose text is neither UTF-8 nor cp1252."""
    frame = _xpt_frame(raw.data, "latin1")
    for column in frame.columns:
        if frame[column].dtype.kind in "fiub":
            continue
        for i, value in enumerate(frame[column].tolist()):
            if isinstance(value, str):
                try:
                    value.encode("latin1").decode(_CP1252_FALLBACK)
                except UnicodeDecodeError:
                    findings.error(raw.name, "undecodable text: neither UTF-8 nor cp1252", row=i + 1,
                                   column=str(column).upper(), kind="undecodable text")
                    return
    findings.error(raw.name, "undecodable text: neither UTF-8 nor cp1252", kind="undecodable text")


def read_xpt(raw: RawFile, findings: Findings) -> pa.Table | None:
    """A SAS transport file: text as strings ('' is missing), numbers as float64."""
    try:
        try:
            frame = _xpt_frame(raw.data, None)
        except UnicodeDecodeError:
            try:
                frame = _xpt_frame(raw.data, _CP1252_FALLBACK)
            except pyreadstat.ReadstatError:
                _xpt_undecodable(raw, findings)
                return None
            findings.warning(raw.name, "text is not valid UTF-8; read as cp1252", kind="cp1252 fallback")
    except pyreadstat.ReadstatError as exc:
        findings.error(raw.name, f"not a readable SAS transport (XPT) file: {exc}", kind="bad XPT")
        return None
    columns = {}
    for name in frame.columns:
        series = frame[name]
        if series.dtype.kind == "f":
            array = pa.array(series.to_numpy(), type=pa.float64(), from_pandas=True)
        else:
            array = pa.array(series, from_pandas=True)
            array = array if array.type == TEXT else pc.cast(array, TEXT)
            array = pc.if_else(pc.equal(array, ""), pa.scalar(None, TEXT), array)
        columns[str(name).strip().upper()] = array
    return pa.table(columns)
