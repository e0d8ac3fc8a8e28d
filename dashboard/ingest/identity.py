"""What identifies a cut, without revealing allocation: cut ids, public checksums, exact re-load detection.

Everything a blinded user can see (the cut id, the manifest's list of inputs) is computed from the
allocation-free content only: a file that carries allocation (DM's arm columns, EX, SE, the
randomization list, ...) is represented by a hash of its clinical part, never by its own checksum,
size or, for files sealed whole, its row count; otherwise a blinded user could test guessed
randomizations against them. The real checksums of every file go to the sealed part, and to a
loader-private registry (`<root>/.ingest-digests.json`, mode 0600, never shown) that tells a
byte-identical re-load from an export that differs from a loaded one in allocation only.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import tempfile
from collections.abc import Collection, Mapping
from pathlib import Path

import pandas as pd

from dashboard import cuts
from dashboard.ingest.findings import AlreadyLoaded
from dashboard.ingest.readers import RawFile
from dashboard.ingest.schema import SEALED_DOMAINS
from dashboard.ingest.seal import SealedExport

WITHHELD = "withheld: the file carries allocation"
REGISTRY = ".ingest-digests.json"


def open_fingerprints(raws: dict[str, RawFile], carrying: Collection[str],
                      clinical: Mapping[str, cuts.Encoded]) -> dict[str, str]:
    """Per file name: its SHA-256, or for a file carrying allocation the SHA-256 of its clinical part's snapshot
    file (which is the same under any randomization), or WITHHELD when it has no clinical part."""
    prints = {}
    for raw in raws.values():       # keyed by file; a domain split over several files carries or not as a whole
        if raw.domain not in carrying:
            prints[raw.name.lower()] = raw.sha256
        else:
            prints[raw.name.lower()] = (WITHHELD if raw.domain not in clinical
                                        else cuts.encoded(clinical[raw.domain]).sha256)
    return prints


def file_names(raws: dict[str, RawFile]) -> dict[str, str]:
    """Per domain, the name of its file (or files, for a domain split over several)."""
    names: dict[str, list[str]] = {}
    for raw in raws.values():
        names.setdefault(raw.domain, []).append(raw.name)
    return {domain: ", ".join(files) for domain, files in names.items()}


def cut_id_for(cut_date: str, fingerprints: dict[str, str], attempt: int = 0) -> str:
    """`<cut date>-<8 hex>` of SHA-256 over the sorted 'name fingerprint' lines and the cut date."""
    lines = sorted(f"{name} {value}" for name, value in fingerprints.items())
    salt = [f"#{attempt}"] if attempt else []
    combined = hashlib.sha256("\n".join([*lines, cut_date, *salt]).encode("utf-8")).hexdigest()
    return f"{cut_date}-{combined[:8]}"


def input_digest(raws: dict[str, RawFile]) -> str:
    """SHA-256 over every input file's name and SHA-256: equal only for byte-identical exports."""
    lines = sorted(f"{raw.name.lower()} {raw.sha256}" for raw in raws.values())
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def _registry(root: Path | None) -> dict[str, str]:
    try:
        return json.loads(((root or cuts.data_root()) / REGISTRY).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def new_cut_id(cut_date: str, fingerprints: dict[str, str], digest: str, root: Path | None) -> str:
    """A free cut id; AlreadyLoaded when this very input was loaded for `cut_date` before.

    An export that matches a loaded cut except in allocation gets the next id of the sequence. The id of a cut
    whose load was interrupted is free again (`LoadState.write_audited` records and removes that cut).
    A cut missing from the registry counts as identical: when in doubt, nothing is loaded twice.
    """
    known = _registry(root)
    for attempt in itertools.count():
        cut_id = cut_id_for(cut_date, fingerprints, attempt)
        if not (cuts.cuts_dir(root) / cut_id).exists() or cuts.load_interrupted(cut_id, root):
            return cut_id           # free, or left by a killed load (never served): the load replaces it
        if known.get(cut_id, digest) == digest:
            raise AlreadyLoaded(cut_id)
    raise AssertionError("unreachable")


def register(cut_id: str, digest: str, root: Path | None) -> None:
    """Remember the input digest of a new cut (atomic replace of the registry, readable by its owner only)."""
    base = root or cuts.data_root()
    known = {**_registry(root), cut_id: digest}
    fd, tmp = tempfile.mkstemp(prefix=".ingest-digests-", dir=base)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(known, fh, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, base / REGISTRY)


def public_inputs(raws: dict[str, RawFile], rows: dict[str, int], export: SealedExport) -> tuple[cuts.InputFile, ...]:
    """The manifest's inputs: name, SHA-256, data rows, size; withheld where the file carries allocation.

    `raws` and `rows` are keyed alike (by file); whether a file carries allocation is decided by its domain.
    """
    files = []
    for key, raw in raws.items():
        if raw.domain not in export.carries_allocation:
            files.append(cuts.InputFile(raw.name, raw.sha256, rows[key], raw.size))
        else:
            files.append(cuts.InputFile(raw.name, WITHHELD, 0 if raw.domain in SEALED_DOMAINS else rows[key], 0))
    return tuple(sorted(files, key=lambda f: f.name.lower()))


def shown_counts(f: cuts.InputFile) -> tuple[str, str]:
    """(rows, bytes) of a manifest input as people read them: 'withheld' where the file carries allocation (its
    size, and the rows of a file sealed whole, are not recorded in the clinical part), never a 0 that looks measured."""
    if not f.sha256.startswith("withheld"):
        return f"{f.rows:,}", f"{f.size:,}"
    return ("withheld" if f.rows == 0 else f"{f.rows:,}"), "withheld"


def sealed_inputs(raws: dict[str, RawFile], rows: dict[str, int]) -> pd.DataFrame:
    """Every input's real name, SHA-256, rows and size, for the sealed part."""
    ordered = sorted(raws.items(), key=lambda item: item[1].name.lower())
    return pd.DataFrame({"name": [r.name for _, r in ordered], "sha256": [r.sha256 for _, r in ordered],
                         "rows": [rows[d] for d, _ in ordered], "size": [r.size for _, r in ordered]})
