"""Whether an export folder is ADaM (it has ADSL), and which internal domain each ADaM dataset becomes."""

from __future__ import annotations

from pathlib import Path

# ADaM dataset (file stem) -> the internal domain it is translated into. ADTTE has no SDTM counterpart and is
# kept as its own table. ADLBC and ADLBH are parts of one LB (chemistry, haematology).
ADAM_DOMAINS: dict[str, str] = {
    "ADSL": "DM", "ADAE": "AE", "ADLB": "LB", "ADLBC": "LB", "ADLBH": "LB", "ADVS": "VS", "ADEX": "EX",
    "ADCM": "CM", "ADTTE": "ADTTE",
}
SUFFIXES = (".csv", ".xpt")


def adam_stem(name: str) -> str | None:
    """The ADaM dataset a file name is ('adae.xpt' -> 'ADAE'); None for any other file."""
    path = Path(name)
    stem = path.stem.upper()
    return stem if stem in ADAM_DOMAINS and path.suffix.lower() in SUFFIXES else None


def adam_files(folder: Path) -> dict[str, str]:
    """File stem -> internal domain of the ADaM datasets of a folder; empty unless the folder has ADSL."""
    try:
        stems = {adam_stem(p.name): p for p in folder.iterdir() if not p.name.startswith(".")}
    except OSError:
        return {}
    stems.pop(None, None)
    if "ADSL" not in stems:
        return {}
    return {stem: ADAM_DOMAINS[stem] for stem in stems}


def _parent(domain: str) -> str:
    """The domain a file's records belong to: SUPPAE qualifies AE."""
    return domain[4:] if domain.startswith("SUPP") and len(domain) > 4 else domain


def superseded(domain_files: dict[str, str], adam: dict[str, str]) -> dict[str, str]:
    """SDTM file key -> the ADaM file key that replaces it (dm -> ADSL): ADaM is used where both are given. A SUPPxx
    goes with its domain: its IDVAR/IDVARVAL point at SDTM records (--SEQ) the ADaM records need not repeat."""
    by_domain: dict[str, str] = {}
    for stem in sorted(adam):
        by_domain.setdefault(adam[stem], stem)
    return {key: by_domain[_parent(domain)] for key, domain in domain_files.items()
            if key not in adam and _parent(domain) in by_domain}


def drop_superseded(found: dict[str, Path], domains: dict[str, str], adam: dict[str, str], findings) -> None:
    """Remove (with a warning naming both files) each SDTM file whose domain an ADaM dataset of the folder gives."""
    for key, by in superseded(dict(domains), adam).items():
        if by in found:
            qualifiers = domains.get(key, "").startswith("SUPP")
            why = (f"{found[by].name} (ADaM) gives the domain these qualify; their IDVARVAL name SDTM records"
                   if qualifiers else f"{found[by].name} (ADaM) gives this domain")
            findings.warning(found.pop(key).name, f"not used: {why}; ADaM is used where both are delivered",
                             kind="superseded by ADaM")
            domains.pop(key, None)
