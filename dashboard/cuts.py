"""Immutable data-cut snapshots on disk, and the atomic pointer to the active one.

This module writes both parts of a snapshot but reads only the clinical part and the manifest.
The sealed part is read by `dashboard.blinding` alone.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard import cut_signing
from dashboard.config import default_instance_path

CLINICAL_DIRNAME = "clinical"
SEALED_DIRNAME = "sealed"
WARNINGS_TABLE = "_warnings"
WARNING_COLUMNS = ["file", "row", "usubjid", "column", "message"]   # of a cut without warnings
TABLE_SUFFIX = ".parquet"
MANIFEST_FILE = "manifest.json"
CHECKSUMS_FILE = "checksums.json"
CUT_ID_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}-[0-9a-f]{8}$")
PENDING_PREFIX = ".pending-"        # <cuts>/.pending-<cut id>: the cut's load has not completed
INTERRUPTED = "incomplete: load interrupted"


class CutError(RuntimeError):
    """A cut that cannot be found, read or written."""


class CutIntegrityError(CutError):
    """A stored cut whose files no longer match the checksums written with them."""


@dataclass(frozen=True)
class InputFile:
    name: str
    sha256: str
    rows: int
    size: int


@dataclass(frozen=True)
class CutManifest:
    cut_id: str
    study_id: str
    cut_date: str
    label: str
    loaded_at: str
    loaded_by: str
    source: str
    inputs: tuple[InputFile, ...]
    domain_rows: dict[str, int] = field(default_factory=dict)
    warning_count: int = 0
    randomized: int = 0
    sources: dict[str, str] = field(default_factory=dict)   # domain -> "ADaM adae.xpt" / "SDTM ae.xpt" (docs/adam.md)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CutManifest:
        raw = json.loads(text)
        raw["inputs"] = tuple(InputFile(**f) for f in raw.get("inputs", ()))
        return cls(**raw)


def data_root() -> Path:
    """Where cuts live: $DSMB_DATA_ROOT, or data/ in the instance folder (ignored by git)."""
    return Path(os.environ.get("DSMB_DATA_ROOT") or default_instance_path() / "data")


def cuts_dir(root: Path | None = None) -> Path:
    return (root or data_root()) / "cuts"


def cut_dir(cut_id: str, root: Path | None = None) -> Path:
    if not CUT_ID_PATTERN.match(cut_id):
        raise CutError(f"not a cut id: {cut_id!r}")
    path = cuts_dir(root) / cut_id
    if not (path / MANIFEST_FILE).is_file():
        raise CutError(f"no cut {cut_id!r} under {cuts_dir(root)}")
    return path


def read_manifest(cut_id: str, root: Path | None = None) -> CutManifest:
    """The manifest of a cut as stored, for headers and lists; what serves data uses `verified_manifest`."""
    return CutManifest.from_json((cut_dir(cut_id, root) / MANIFEST_FILE).read_text(encoding="utf-8"))


def verified_manifest(cut_id: str, root: Path | None = None) -> CutManifest:
    """The manifest of a cut, checked against the signature of its clinical part (CutIntegrityError if not)."""
    data = read_bytes(cut_dir(cut_id, root) / MANIFEST_FILE)
    read_checksums(cut_dir(cut_id, root) / CLINICAL_DIRNAME, data)
    return CutManifest.from_json(data.decode("utf-8"))


def list_cuts(root: Path | None = None) -> list[CutManifest]:
    """Every complete cut, oldest cut date first (then load time)."""
    base = cuts_dir(root)
    if not base.is_dir():
        return []
    manifests = [CutManifest.from_json((p / MANIFEST_FILE).read_text(encoding="utf-8"))
                 for p in base.iterdir() if CUT_ID_PATTERN.match(p.name) and (p / MANIFEST_FILE).is_file()]
    return sorted(manifests, key=lambda m: (m.cut_date, m.loaded_at))


def active_cut_id(root: Path | None = None) -> str | None:
    pointer = (root or data_root()) / "active"
    try:
        cut_id = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return cut_id or None


def refusal_reason(exc: BaseException) -> str:
    """What a user may be told about a cut that cannot be served: a CutError names the cut and the file; any
    other error (an OSError could name server paths) only that a file cannot be read; details go to the log."""
    return str(exc) if isinstance(exc, CutError) else "one of its files cannot be read (see the server log)"


def previous_cut_id(cut_id: str, root: Path | None = None) -> str | None:
    """The cut loaded before `cut_id` by cut date, for 'what changed since the last meeting' (a cut whose load
    was interrupted is not one)."""
    ids = [m.cut_id for m in list_cuts(root) if m.cut_id == cut_id or not load_interrupted(m.cut_id, root)]
    if cut_id not in ids:
        return None
    i = ids.index(cut_id)
    return ids[i - 1] if i > 0 else None


def read_bytes(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def signing_key() -> bytes:
    """This installation's key for cut signatures (`dashboard.cut_signing`); CutError when there is none."""
    try:
        return cut_signing.signing_key()
    except cut_signing.SigningKeyError as exc:
        raise CutError(str(exc)) from None


def _verify_signature(folder: Path, checksums: bytes, manifest: bytes | None = None) -> None:
    """CutIntegrityError unless the part's `checksums.sig` signs its checksum file (and, for the clinical part, the
    manifest) with this installation's key. An unsigned part is refused too: accepting it would let anyone strip
    the signature instead of forging it (docs/security.md, "Stored cuts")."""
    cut_id, part = folder.parent.name, folder.name
    if part == CLINICAL_DIRNAME and manifest is None:
        manifest = read_bytes(folder.parent / MANIFEST_FILE)
    try:
        text = read_bytes(folder / cut_signing.SIGNATURE_FILE).decode("utf-8", "replace")
    except FileNotFoundError:
        raise CutIntegrityError(f"{cut_id}/{part}: its checksums are not signed (a cut written before signing, or "
                                "the signature was removed); refusing to serve it (see `cuts sign`)") from None
    if not cut_signing.is_valid(text, signing_key(), cut_id, part, checksums, manifest):
        what = "checksums or manifest" if part == CLINICAL_DIRNAME else "checksums"
        raise CutIntegrityError(f"{cut_id}/{part}: the signature does not match its {what} (changed since the cut "
                                "was written, or signed with another key); refusing to serve it")


def read_checksums(folder: Path, manifest: bytes | None = None) -> dict[str, str]:
    """The SHA-256 of every table file of one part of a cut, as recorded when it was written, after checking the
    signature of the checksum file (and of the manifest, for the clinical part: `manifest`, else read here)."""
    data = read_bytes(folder / CHECKSUMS_FILE)
    _verify_signature(folder, data, manifest)
    return json.loads(data)


@dataclass(frozen=True)
class EncodedTable:
    """The bytes of one snapshot file and their SHA-256."""

    data: pa.Buffer
    sha256: str


def encode_table(frame: pd.DataFrame | pa.Table) -> EncodedTable:
    """One frame (pandas or Arrow) as the bytes of its snapshot file, parquet at zstd level 1, and their checksum
    (taken here, so a frame encoded in a worker thread is hashed there too). Arrow IPC with LZ4 was tried: a third
    of the CPU to encode, but files ten times larger, whose writing cost more than the encoding saved
    (docs/benchmarks.md)."""
    table = frame if isinstance(frame, pa.Table) else pa.Table.from_pandas(frame, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd", compression_level=1, write_statistics=False)
    data = sink.getvalue()
    return EncodedTable(data, hashlib.sha256(data).hexdigest())


def read_table_file(path: Path, expected_sha256: str | None = None) -> pd.DataFrame:
    """Read one snapshot file through Python's open() (audit hooks see it), checking its recorded SHA-256."""
    with open(path, "rb") as fh:
        data = fh.read()
    if expected_sha256 is not None and hashlib.sha256(data).hexdigest() != expected_sha256:
        raise CutIntegrityError(f"{path.parent.parent.name}/{path.parent.name}/{path.name} has changed since "
                                "the cut was written; refusing to serve it")
    return pq.read_table(pa.BufferReader(data)).to_pandas()


def table_name(file_name: str) -> str | None:
    """`AE` for `AE.parquet`; None for any other file."""
    return file_name.removesuffix(TABLE_SUFFIX) if file_name.endswith(TABLE_SUFFIX) else None


def read_part_table(folder: Path, name: str) -> pd.DataFrame | None:
    """One named table of a part of a cut, verified; None when the part has no such table."""
    for file_name, sha in read_checksums(folder).items():
        if table_name(file_name) == name:
            return read_table_file(folder / file_name, sha)
    return None


def read_verified_part(folder: Path, manifest: bytes | None = None) -> dict[str, pd.DataFrame]:
    """Every table file of one part of a cut, each checked against the checksums written with it."""
    checksums = read_checksums(folder, manifest)
    present = {p.name for p in folder.iterdir() if table_name(p.name) is not None}
    if present != set(checksums):
        raise CutIntegrityError(f"{folder.parent.name}/{folder.name}: files added or removed since the cut was written")
    return {table_name(name): read_table_file(folder / name, sha) for name, sha in sorted(checksums.items())}


def read_clinical_part(cut_id: str, root: Path | None = None) -> tuple[CutManifest, dict[str, pd.DataFrame],
                                                                       pd.DataFrame]:
    """(manifest, clinical domains by upper-case name, open warnings) of a cut, the signature over manifest and
    checksums checked once, not per piece, the manifest parsed from the bytes checked (CutError: load interrupted)."""
    check_complete(cut_id, root)
    manifest = read_bytes(cut_dir(cut_id, root) / MANIFEST_FILE)
    frames = read_verified_part(cut_dir(cut_id, root) / CLINICAL_DIRNAME, manifest)
    return (CutManifest.from_json(manifest.decode("utf-8")), {n.upper(): f for n, f in frames.items() if n[0] != "_"},
            frames.get(WARNINGS_TABLE, pd.DataFrame(columns=WARNING_COLUMNS)))


def read_clinical_domains(cut_id: str, root: Path | None = None) -> dict[str, pd.DataFrame]:
    """The clinical (allocation-free) domains of a cut (`read_clinical_part`)."""
    return read_clinical_part(cut_id, root)[1]


def read_cut_warnings(cut_id: str, root: Path | None = None) -> pd.DataFrame:
    warnings = read_part_table(cut_dir(cut_id, root) / CLINICAL_DIRNAME, WARNINGS_TABLE)
    return warnings if warnings is not None else pd.DataFrame(columns=WARNING_COLUMNS)


Encoded = pd.DataFrame | pa.Table | EncodedTable | Future   # a frame, its `encode_table` result, or a future of it


def encoded(frame: Encoded) -> EncodedTable:
    """A frame's snapshot bytes: encoded now, or as already encoded (waiting for it if it is being encoded)."""
    if isinstance(frame, Future):
        frame = frame.result()
    return frame if isinstance(frame, EncodedTable) else encode_table(frame)


def _write_frame(path: Path, frame: Encoded) -> str:
    """Write one frame as a snapshot file (read-only, synced to disk); returns its SHA-256."""
    encoded_table = encoded(frame)
    _write_readonly(path, encoded_table.data)
    return encoded_table.sha256


def _write_readonly(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(path, 0o444)


def sign_part(folder: Path, cut_id: str, key: bytes) -> None:
    """Write the part's `checksums.sig` (read-only) over its checksum file (and the manifest, for clinical)."""
    manifest = read_bytes(folder.parent / MANIFEST_FILE) if folder.name == CLINICAL_DIRNAME else None
    text = cut_signing.signature_text(key, cut_id, folder.name, read_bytes(folder / CHECKSUMS_FILE), manifest)
    _write_readonly(folder / cut_signing.SIGNATURE_FILE, text.encode("utf-8"))


def _write_frames(folder: Path, frames: Mapping[str, Encoded]) -> None:
    """Write the frames in parallel (pyarrow, hashlib and fsync release the GIL) and record their checksums."""
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"{name}{TABLE_SUFFIX}" for name in frames]
    with ThreadPoolExecutor(max_workers=min(8, max(1, len(names)))) as pool:
        digests = list(pool.map(_write_frame, [folder / n for n in names], list(frames.values())))
    _write_readonly(folder / CHECKSUMS_FILE, json.dumps(dict(zip(names, digests)), indent=1,
                                                         sort_keys=True).encode("utf-8"))


def _fsync_tree(folder: Path) -> None:
    """Sync the folders and small files of a snapshot (its table files were synced as they were written)."""
    for path in sorted(folder.rglob("*"), reverse=True):
        if table_name(path.name) is not None and path.is_file():
            continue
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def load_lock(root: Path | None = None, *, wait: bool = False) -> Iterator[None]:
    """Exclusive lock for loading a cut; raises CutError at once if another load holds it."""
    base = root or data_root()
    base.mkdir(parents=True, exist_ok=True)
    with open(base / ".lock", "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            raise CutError("another cut is being loaded right now; try again when it has finished") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def write_snapshot(manifest: CutManifest, clinical: Mapping[str, Encoded], sealed: Mapping[str, Encoded],
                   warnings: pd.DataFrame, root: Path | None = None) -> Path:
    """Write a complete cut into a staging folder, then rename it into place in one step. A frame may come already
    encoded by `encode_table`, or as a future of that (encoded while the rest of the export was still being read).
    An existing cut is never overwritten: cuts are immutable."""
    base = cuts_dir(root)
    base.mkdir(parents=True, exist_ok=True)
    final = base / manifest.cut_id
    if final.exists():
        raise CutError(f"cut {manifest.cut_id} already exists; cuts are immutable")
    key = signing_key()                     # before anything is written: no key, no cut
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=base))
    try:
        _write_frames(staging / CLINICAL_DIRNAME, {**{k.upper(): v for k, v in clinical.items()},
                                                   WARNINGS_TABLE: warnings})
        _write_frames(staging / SEALED_DIRNAME, sealed)
        _write_readonly(staging / MANIFEST_FILE, manifest.to_json().encode("utf-8"))
        for part in (CLINICAL_DIRNAME, SEALED_DIRNAME):
            sign_part(staging / part, manifest.cut_id, key)
        _fsync_tree(staging)
        os.chmod(staging / SEALED_DIRNAME, 0o700)
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def pending_marker(cut_id: str, root: Path | None = None) -> Path:
    """The file that says a cut's load has started and not completed (written before the cut, removed after)."""
    return cuts_dir(root) / f"{PENDING_PREFIX}{cut_id}"


def mark_pending(cut_id: str, root: Path | None = None) -> None:
    cuts_dir(root).mkdir(parents=True, exist_ok=True)
    # a marker left by a loader killed before its cut folder existed is read-only: replace it, not open it
    pending_marker(cut_id, root).unlink(missing_ok=True)
    _write_readonly(pending_marker(cut_id, root), b"load started; not completed\n")


def clear_pending(cut_id: str, root: Path | None = None) -> None:
    pending_marker(cut_id, root).unlink(missing_ok=True)


def load_interrupted(cut_id: str, root: Path | None = None) -> bool:
    """Whether a cut's folder exists but its load never completed (the loader was killed)."""
    return pending_marker(cut_id, root).exists() and (cuts_dir(root) / cut_id).is_dir()


def check_complete(cut_id: str, root: Path | None = None) -> None:
    """CutError for a cut whose load was interrupted: it was never audited as loaded, so it is never served."""
    if load_interrupted(cut_id, root):
        raise CutError(f"cut {cut_id} is {INTERRUPTED}; it is not served (load the export again)")


def deactivate(root: Path | None = None) -> None:
    """Leave no cut active (undoing an activation that had no cut before it)."""
    ((root or data_root()) / "active").unlink(missing_ok=True)


def activate(cut_id: str, root: Path | None = None) -> None:
    """Make `cut_id` the active cut by atomically replacing the pointer file."""
    cut_dir(cut_id, root)
    base = root or data_root()
    fd, tmp = tempfile.mkstemp(prefix=".active-", dir=base)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(cut_id + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, base / "active")
