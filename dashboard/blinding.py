"""The blinding contract: the only module that reads the sealed part of a cut.

`trial_data(cut_id, access)` hands out a `BlindedTrialData` (no attribute, method or cache that
reaches allocation) or an `ArmedTrialData` (the same domains plus the arm of each subject, with
coded or real labels as the access allows).
"""

from __future__ import annotations

import enum
import functools
import hashlib
import json
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

import pandas as pd

from dashboard import cut_signing, cutoff, cuts
from dashboard.config import TrialConfig
from dashboard.derived_domains import with_derived_domains
from dashboard.ingest.findings import Finding, Severity, findings_frame
from dashboard.ingest.schema import normalized

ALLOCATION_TABLE = "allocation"
CODING_TABLE = "coding"              # the cut's coding key (dashboard/ingest/coding.py): ARMCD, CODED_LABEL
CODING_FROM_CONFIG = "coding key taken from the trial configuration, which blinded staff can read"
NO_CODING = ("no coding key (which arm the board sees as which group): the board cannot see this cut; load the "
             "export again with its coding.csv")
CODING_MISMATCH = ("the cut's coding key does not code every configured arm exactly once (was the configuration "
                   "changed after the load?): the board cannot see this cut")
T = TypeVar("T")
ArmBasis = Literal["randomized", "treated", "safety", "efficacy"]


class NoCodingKey(cuts.CutError):
    """A cut the board cannot see coded: neither its sealed part nor the configuration gives a usable coding key."""


class Access(enum.Enum):
    BLINDED = "blinded"      # admin, investigator: no arm anywhere
    CODED = "coded"          # dsmb: arms as "Group A", "Group B"
    UNBLINDED = "unblinded"  # statistician; dsmb after an audited unmask

    @property
    def sees_arms(self) -> bool:
        return self is not Access.BLINDED


class TrialData:
    """The clinical domains of one cut, free of allocation."""

    def __init__(self, manifest: cuts.CutManifest, config: TrialConfig, domains: dict[str, pd.DataFrame],
                 warnings: pd.DataFrame):
        self.cut = manifest
        self.config = config
        self._domains = domains
        self.warnings = warnings

    access: Access = Access.BLINDED

    def split(self, pooled: Callable[..., T], by_arm: Callable[..., T], *args: Any, basis: ArmBasis = "randomized",
              **kwargs: Any) -> T:
        """The one pooled-or-by-arm decision: `pooled(*args, **kwargs)` for data without arms (this class can
        only ever call the pooled function); `ArmedTrialData` calls `by_arm(*args, arm_of=..., **kwargs)`."""
        return pooled(*args, **kwargs)

    @property
    def blinded(self) -> TrialData:
        """The blinded trial data of the same cut (this object when blinded): what `memo.pooled` computes from."""
        return self

    def domain(self, name: str) -> pd.DataFrame:
        """A domain by name (any case); an empty frame when the cut has none."""
        return self._domains.get(name.upper(), pd.DataFrame())

    def has_domain(self, name: str) -> bool:
        return name.upper() in self._domains

    @property
    def domain_names(self) -> tuple[str, ...]:
        return tuple(sorted(self._domains))

    dm = property(lambda self: self.domain("DM"))
    ae = property(lambda self: self.domain("AE"))
    ex = property(lambda self: self.domain("EX"))
    lb = property(lambda self: self.domain("LB"))
    vs = property(lambda self: self.domain("VS"))
    ds = property(lambda self: self.domain("DS"))
    ie = property(lambda self: self.domain("IE"))
    pr = property(lambda self: self.domain("PR"))
    ho = property(lambda self: self.domain("HO"))

    @property
    def randomized(self) -> pd.DataFrame:
        """DM rows of randomized subjects."""
        dm = self.dm
        return dm[dm["RANDFL"] == "Y"] if "RANDFL" in dm else dm.iloc[0:0]


class BlindedTrialData(TrialData):
    """Pooled view: by construction it holds no allocation and no path to the sealed part."""

    access = Access.BLINDED


class ArmedTrialData(TrialData):
    """The clinical domains plus `arm_of`: USUBJID -> arm label (coded or real by access).

    `coding` is the cut's coding key (arm code -> coded label; empty when there is none) and `config` the trial
    configuration with those coded labels filled in, so `config.arm_label(code, coded=True)` and the order of the
    coded groups come from the sealed part of the cut, not from the configuration file. `coding_notice` says when
    the key came from elsewhere (the configuration) or is missing; it is also a row of `warnings`.
    """

    arm_basis = "planned arm (as randomized)"  # `arm_of`; safety views use `treated_arm_of` (as treated)

    def __init__(self, manifest: cuts.CutManifest, config: TrialConfig, domains: dict[str, pd.DataFrame],
                 warnings: pd.DataFrame, arm_of: pd.Series, arm_labels: tuple[str, ...], access: Access,
                 treated_arm_of: pd.Series | None = None, coding: Mapping[str, str] | None = None,
                 coding_notice: str = "", blinded: BlindedTrialData | None = None):
        super().__init__(manifest, config, domains, warnings)
        # The blinded data of the same cut (same frames, no arms): results that never depend on arms are computed
        # there once for every level (`memo.pooled`). Armed -> blinded only; the blinded object never points back.
        self._blinded = blinded if blinded is not None else BlindedTrialData(manifest, config.with_coding({}),
                                                                             domains, warnings)
        self.arm_of = arm_of
        self.treated_arm_of = arm_of if treated_arm_of is None else treated_arm_of  # safety: as treated
        self.arm_labels = arm_labels
        self.access = access
        self.coding = dict(coding or {})
        self.coding_notice = coding_notice

    @property
    def blinded(self) -> BlindedTrialData:
        return self._blinded

    def arm_label(self, code: str) -> str:
        """The label of arm `code` as this access names it (coded from the cut's key, or real)."""
        return self.config.arm_label(code, self.access is Access.CODED)

    @property
    def efficacy_arm_of(self) -> pd.Series:
        """The arms efficacy displays use: as randomized unless the configuration says `actual`."""
        return self.treated_arm_of if self.config.efficacy_arm_basis == "actual" else self.arm_of

    @property
    def safety_arm_of(self) -> pd.Series:
        """The arms safety displays use: as treated (ACTARMCD) unless the configuration says `planned`."""
        return self.arm_of if self.config.safety_arm_basis == "planned" else self.treated_arm_of

    def arms_by(self, basis: ArmBasis) -> pd.Series:
        """USUBJID -> arm label on a basis: as randomized, as treated, or the configured safety/efficacy basis."""
        return {"randomized": self.arm_of, "treated": self.treated_arm_of, "safety": self.safety_arm_of,
                "efficacy": self.efficacy_arm_of}[basis]

    def split(self, pooled: Callable[..., T], by_arm: Callable[..., T], *args: Any, basis: ArmBasis = "randomized",
              **kwargs: Any) -> T:
        """`by_arm(*args, arm_of=<arms on this basis>, **kwargs)`: this data holds arms."""
        return by_arm(*args, arm_of=self.arms_by(basis), **kwargs)


def arm_display_order(config: TrialConfig, coded: bool) -> tuple[str, ...]:
    """Arms in the order of their coded labels ("Group A" first), named as the access allows; `config` is armed
    trial data's (`ArmedTrialData.config`: the cut's coding key filled in).

    The order never follows the configuration's arm order, and it stays the same when the board
    unmasks, so columns, colours and the reference arm of every difference keep their meaning.
    Without any coding key (only the statistician then sees arms) the reference arm comes first.
    """
    if not config.has_coding:
        if coded:
            raise NoCodingKey(NO_CODING)
        return tuple(arm.label for arm in sorted(config.arms, key=lambda arm: arm != config.reference_arm))
    arms = sorted(config.arms, key=lambda arm: arm.coded_label)
    return tuple(arm.coded_label if coded else arm.label for arm in arms)


@functools.lru_cache(maxsize=8)
def _sealed_coding(cut_id: str, root: Path | None) -> tuple[tuple[str, str], ...] | None:
    """The coding key stored in the sealed part of a cut, as (ARMCD, CODED_LABEL) pairs; None for a cut without."""
    table = cuts.read_part_table(cuts.cut_dir(cut_id, root) / cuts.SEALED_DIRNAME, CODING_TABLE)
    return None if table is None else tuple(zip(table["ARMCD"].astype(str), table["CODED_LABEL"].astype(str)))


def cut_coding(cut_id: str, root: Path | None, config: TrialConfig) -> tuple[dict[str, str], str]:
    """The coding key of a cut (configured arm code -> coded label) and a notice for armed users ("" when none).

    The cut's sealed key comes first; a cut stored without one (or loaded from an export that carries none) falls
    back on the configuration's `coded_label`s, with a notice; with neither, an empty key and a notice.
    """
    sealed = _sealed_coding(cut_id, root)
    if sealed is not None:
        by_code = {normalized(code): label for code, label in sealed}
        coding = {code: by_code[normalized(code)] for code in config.arm_codes if normalized(code) in by_code}
        usable = len(coding) == len(sealed) == len(config.arm_codes) and len(set(coding.values())) == len(coding)
        return (coding, "") if usable else ({}, CODING_MISMATCH)
    if config.has_coding:
        return {arm.code: arm.coded_label for arm in config.arms}, CODING_FROM_CONFIG
    return {}, NO_CODING


def _with_notice(warnings: pd.DataFrame, notice: str) -> pd.DataFrame:
    """The cut's open warnings plus the coding notice, for armed users only (the blinded never get this frame)."""
    if not notice:
        return warnings
    row = findings_frame([Finding(Severity.WARNING, CODING_TABLE, notice, kind="coding key", sealed=True)])
    return pd.concat([warnings, row], ignore_index=True) if len(warnings) else row


@functools.lru_cache(maxsize=8)
def _clinical(cut_id: str, root: Path | None) -> tuple[cuts.CutManifest, dict[str, pd.DataFrame], pd.DataFrame]:
    """Clinical part of a cut, restricted to the records known at its cut date (`cutoff.within_cut`: the one place
    records dated after the cut leave every page); holds no allocation, so one copy serves every access level."""
    manifest, domains, warnings = cuts.read_clinical_part(cut_id, root)     # the signature checked once
    return manifest, cutoff.within_cut(with_derived_domains(domains), manifest.cut_date), warnings


@functools.lru_cache(maxsize=8)
def _allocation(cut_id: str, root: Path | None) -> pd.DataFrame:
    """Sealed allocation list of a cut (USUBJID, ARMCD, ARM, ACTARMCD, ACTARM, RANDNO)."""
    allocation = cuts.read_part_table(cuts.cut_dir(cut_id, root) / cuts.SEALED_DIRNAME, ALLOCATION_TABLE)
    if allocation is None:
        raise cuts.CutIntegrityError(f"cut {cut_id} has no allocation table in its sealed part")
    return allocation


def _arm_of(cut_id: str, root: Path | None, config: TrialConfig, coded: bool, *, actual: bool = False) -> pd.Series:
    """Arm of every randomized subject as display labels: planned (ARMCD) or actual (ACTARMCD); `config` carries the
    cut's coding key (`TrialConfig.with_coding`).

    The actual arm falls back to the planned one where ACTARMCD names no arm (not treated, missing).
    """
    allocation = _allocation(cut_id, root)
    # Codes are stored as delivered; one in any case or spacing (`pbo`) is the configured arm (`Pbo`).
    configured = {normalized(code): code for code in config.arm_codes}

    def arm_code(values: pd.Series) -> pd.Series:
        return values.map(lambda value: configured.get(normalized(value)) if isinstance(value, str) else None)

    planned = arm_code(allocation["ARMCD"])
    randomized, codes = allocation[planned.notna()], planned[planned.notna()]
    if actual and "ACTARMCD" in randomized:
        treated = arm_code(randomized["ACTARMCD"])
        codes = treated.where(treated.notna(), codes)
    labels = codes.map(lambda code: config.arm_label(code, coded))
    order = arm_display_order(config, coded)
    series = pd.Series(pd.Categorical(labels, categories=order), index=randomized["USUBJID"].to_numpy(), name="ARM")
    series.index.name = "USUBJID"
    return series


def _part_stamp(folder: Path) -> tuple:
    """Name, size, inode and change times of every file of a part and of the manifest: cheap to take on every
    request, and any write to a file (or a file added, removed or replaced) changes it (ctime cannot be set back)."""
    entries = [folder.parent / cuts.MANIFEST_FILE, *sorted(Path(e.path) for e in os.scandir(folder))]
    stamp = []
    for path in entries:
        st = path.stat()
        stamp.append((path.name, st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns))
    return tuple(stamp)


_stamps: dict[tuple[str, Path | None, str], tuple] = {}
_cached_parts: set[tuple[str, Path | None, str]] = set()    # parts whose data the caches may hold (since a clear)
_stamps_lock = threading.Lock()
_MAX_STAMPS = 64


def _unchanged_since_cached(cut_id: str, root: Path | None, parts: tuple[str, ...]) -> bool:
    """Whether the files of these parts of a cut are as they were when first seen (by their stat stamp); the
    first look records them. A changed stamp means a file was written, added, removed or replaced. A part never
    seen is unchanged unless the caches may hold its data (its stamp was evicted): the first armed look at a cut
    whose clinical part is cached must not drop every cache of the worker."""
    folder = cuts.cut_dir(cut_id, root)
    same = True
    with _stamps_lock:
        for part in parts:
            key, stamp = (cut_id, root, part), _part_stamp(folder / part)
            seen = _stamps.get(key)
            same = (seen == stamp if seen is not None else key not in _cached_parts) and same
            _stamps[key] = stamp
        while len(_stamps) > _MAX_STAMPS:
            del _stamps[next(iter(_stamps))]
    return same


def _mark_cached(cut_id: str, root: Path | None, parts: tuple[str, ...]) -> None:
    with _stamps_lock:
        _cached_parts.update((cut_id, root, part) for part in parts)


def trial_data(cut_id: str, access: Access, config: TrialConfig, root: Path | None = None) -> TrialData:
    """Trial data of `cut_id` for a user with `access`; cached per (cut, access, config, root).

    A cached cut is served only while its files are untouched: any change to a file of the parts this access
    reads (or to the manifest) drops the caches, so the cut is read and verified again (CutIntegrityError when a
    file no longer matches its signed checksums) instead of being served from memory until the worker restarts.
    """
    cuts.check_complete(cut_id, root)
    parts = (cuts.CLINICAL_DIRNAME, cuts.SEALED_DIRNAME) if access.sees_arms else (cuts.CLINICAL_DIRNAME,)
    if not _unchanged_since_cached(cut_id, root, parts):
        clear_caches(stamps=False)
    _mark_cached(cut_id, root, parts)
    data = _trial_data(cut_id, access, config, root)
    _mark_cached(cut_id, root, parts)       # again: a clear by another request in between forgot the mark
    return data


@functools.lru_cache(maxsize=16)
def _trial_data(cut_id: str, access: Access, config: TrialConfig, root: Path | None = None) -> TrialData:
    """`trial_data`, cached. Blinded data gets the configuration without any coded label; armed data gets it with
    the cut's coding key (NoCodingKey for the board when there is none)."""
    manifest, domains, warnings = _clinical(cut_id, root)
    if access is Access.BLINDED:
        return BlindedTrialData(manifest, config.with_coding({}), domains, warnings)
    coded = access is Access.CODED
    coding, notice = cut_coding(cut_id, root, config)
    if coded and not coding:
        raise NoCodingKey(f"cut {cut_id}: {notice}")
    armed = config.with_coding(coding)
    blinded = _trial_data(cut_id, Access.BLINDED, config, root)
    assert isinstance(blinded, BlindedTrialData)
    return ArmedTrialData(manifest, armed, domains, _with_notice(warnings, notice), _arm_of(cut_id, root, armed, coded),
                          arm_display_order(armed, coded), access, _arm_of(cut_id, root, armed, coded, actual=True),
                          coding=coding, coding_notice=notice, blinded=blinded)


def verify_cut(cut_id: str, root: Path | None = None) -> None:
    """Read back every file of both parts of a cut against the checksums written with it; CutIntegrityError (or
    CutError, OSError) when any differs, is missing or was added. Reads the sealed part, so: only from here."""
    folder = cuts.cut_dir(cut_id, root)
    cuts.check_complete(cut_id, root)
    cuts.verified_manifest(cut_id, root)
    for part in (cuts.CLINICAL_DIRNAME, cuts.SEALED_DIRNAME):
        cuts.read_verified_part(folder / part)


def sign_unsigned_cut(cut_id: str, root: Path | None = None) -> None:
    """Sign a cut written before checksum files were signed, once every table file of both parts matches its
    checksum file. Refuses a cut with any signature already: one that does not verify is tampering, not age.
    Reads the sealed part's bytes (no values), so: only from here."""
    folder = cuts.cut_dir(cut_id, root)
    cuts.check_complete(cut_id, root)
    parts = [folder / cuts.CLINICAL_DIRNAME, folder / cuts.SEALED_DIRNAME]
    if any((part / cut_signing.SIGNATURE_FILE).exists() for part in parts):
        raise cuts.CutError(f"cut {cut_id} is signed already; a signature that does not verify is never replaced")
    for part in parts:
        checksums = json.loads(cuts.read_bytes(part / cuts.CHECKSUMS_FILE))
        present = {p.name for p in part.iterdir() if cuts.table_name(p.name) is not None}
        if present != set(checksums) or any(hashlib.sha256(cuts.read_bytes(part / name)).hexdigest() != sha
                                            for name, sha in checksums.items()):
            raise cuts.CutIntegrityError(f"{cut_id}/{part.name}: files differ from its checksums; not signed")
    key = cuts.signing_key()
    for part in parts:
        cuts.sign_part(part, cut_id, key)


def clear_caches(*, stamps: bool = True) -> None:
    """Forget cached cuts (tests, a newly activated cut, a cut whose files changed)."""
    for fn in (_clinical, _allocation, _sealed_coding, _trial_data):
        fn.cache_clear()
    with _stamps_lock:
        _cached_parts.clear()
        if stamps:
            _stamps.clear()
