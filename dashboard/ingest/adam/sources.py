"""Which source each domain, and so each page, of a cut comes from: ADaM, SDTM or derived (docs/adam.md).

A folder may deliver both SDTM domains and ADaM datasets. The decision is made per domain at discovery
(`detect.drop_superseded`: the ADaM dataset where both give a domain, its SUPPxx going with the SDTM file); this
module only records the outcome, for the manifest (`CutManifest.sources`), `cuts show` and the Data cuts page.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from dashboard.ingest.adam.detect import adam_stem
from dashboard.ingest.readers import RawFile
from dashboard.ingest.schema import RANDOMIZATION

ADAM, SDTM = "ADaM", "SDTM"
DERIVED_DS = "derived from ADSL"
ADSL_DISPOSITION = ("EOSSTT", "DCSREAS")      # the ADSL variables DS is derived from (derived_domains)
# The domains each page reads (its analyses; listings aside), so a page's source can be said in one line.
PAGE_DOMAINS: dict[str, tuple[str, ...]] = {
    "Recruitment": ("DM", "DS", "EX"),
    "Safety": ("DM", "AE", "LB", "VS", "EX", "CM"),
    "Outcomes": ("DM", "DS", "LB", "VS", "ADTTE"),
}


def domain_sources(raws: Mapping[str, RawFile], dm_columns: Collection[str] = ()) -> dict[str, str]:
    """Domain -> 'ADaM adae.xpt' / 'SDTM ae.xpt' (files of a split domain joined); DS derived from ADSL's end-of-study
    variables (`dashboard.derived_domains`) when DM came from ADSL with them and no DS was delivered."""
    files: dict[str, list[str]] = {}
    for raw in raws.values():
        if raw.domain == RANDOMIZATION:
            continue
        files.setdefault(raw.domain, []).append(f"{ADAM if adam_stem(raw.name) else SDTM} {raw.name}")
    out = {domain: ", ".join(names) for domain, names in sorted(files.items())}
    present = [name for name in ADSL_DISPOSITION if name in set(dm_columns)]
    if "DS" not in out and out.get("DM", "").startswith(ADAM) and present:
        out["DS"] = f"{DERIVED_DS} ({', '.join(present)})"      # only what ADSL gives: pharmaverse has no DCSREAS
    return out


def _kind(source: str) -> str:
    return ADAM if source.startswith((ADAM, DERIVED_DS)) else SDTM


def source_kind(sources: Mapping[str, str], domain: str) -> str:
    """'ADaM' (an ADaM dataset, or derived from ADSL), 'SDTM', or '' when the manifest does not say: what a page's
    words about a derivation follow."""
    return _kind(sources[domain]) if domain in sources else ""


def derived_from_adsl(sources: Mapping[str, str], domain: str) -> bool:
    """Whether the domain was derived from ADSL variables (DS from EOSSTT / DCSREAS) rather than delivered."""
    return sources.get(domain, "").startswith(DERIVED_DS)


def page_sources(sources: Mapping[str, str]) -> dict[str, str]:
    """Page -> 'ADaM', 'SDTM', or 'ADaM (AE, LB); SDTM (VS)' from a manifest's per-domain sources ({} for a cut
    loaded before sources were recorded)."""
    out = {}
    for page, domains in PAGE_DOMAINS.items():
        by_kind: dict[str, list[str]] = {}
        for domain in domains:
            if domain in sources:
                by_kind.setdefault(_kind(sources[domain]), []).append(domain)
        if len(by_kind) == 1:
            out[page] = next(iter(by_kind))
        elif by_kind:
            out[page] = "; ".join(f"{kind} ({', '.join(names)})" for kind, names in sorted(by_kind.items()))
    return out


def page_kind(sources: Mapping[str, str]) -> str:
    """'ADaM', 'SDTM' or 'ADaM + SDTM' for a whole cut (`cuts list`); '' when the manifest has no sources."""
    kinds = {_kind(source) for source in sources.values()}
    return " + ".join(sorted(kinds))


def sources_text(sources: Mapping[str, str]) -> str:
    """One line for people: each page's source, then each domain's ('' when the manifest has none)."""
    if not sources:
        return ""
    pages = "; ".join(f"{page}: {kind}" for page, kind in page_sources(sources).items())
    return f"{pages} · " + ", ".join(f"{domain} {source}" for domain, source in sources.items())
