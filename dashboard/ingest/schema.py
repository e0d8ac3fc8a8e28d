"""Declarative rules about export files: known domains, required, key, numeric, date and sealed columns."""

from __future__ import annotations

import re

RANDOMIZATION = "RANDOMIZATION"

# SDTMIG 3.x domain codes the loader accepts (custom domains come from the trial configuration).
STANDARD_DOMAINS = frozenset("""
    DM CO SE SM SV TA TD TE TI TM TS TV AE CE DS DV HO MH AG CM EC EX ML PR SU BE BS CP CV DA DD EG
    FA FT GF IE IS LB MB MI MK MS NV OE PC PE PP QS RE RP RS SC SR SS TR TU UR VS OI RELREC RELSPEC RELSUB
""".split())
TRIAL_DESIGN_DOMAINS = frozenset({"TA", "TD", "TE", "TI", "TM", "TS", "TV"})   # no USUBJID
SEALED_DOMAINS = frozenset({"SE", "TA", "TV"})                                 # name arms or elements

REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "DM": ("STUDYID", "USUBJID", "SITEID"),
    RANDOMIZATION: ("USUBJID", "ARMCD"),
    "AE": ("USUBJID", "AESEQ", "AEDECOD", "AESTDTC"),
    "DS": ("USUBJID", "DSSEQ", "DSDECOD"),
    "EX": ("USUBJID", "EXSEQ", "EXTRT", "EXSTDTC"),
    "IE": ("USUBJID", "IESEQ", "IETESTCD"),
    "LB": ("USUBJID", "LBSEQ", "LBTESTCD"),
    "VS": ("USUBJID", "VSSEQ", "VSTESTCD"),
    "PR": ("USUBJID", "PRSEQ", "PRDECOD"),
    "HO": ("USUBJID", "HOSEQ", "HODECOD"),
    "SE": ("USUBJID", "SESEQ", "ETCD"),
    "SUPP": ("RDOMAIN", "USUBJID", "QNAM", "QVAL"),
}

ALLOCATION_COLUMNS = ("ARMCD", "ARM", "ACTARMCD", "ACTARM")
NOT_RANDOMIZED_CODES = frozenset({"SCRNFAIL", "NOTASSGN"})
NOT_TREATED_CODES = frozenset({"NOTTRT", "UNPLAN"})      # allowed in ACTARMCD only

# Names that reveal allocation wherever they appear: as a column of any domain or as a SUPPxx QNAM.
SEALED_NAMES = frozenset({
    "ARM", "ARMCD", "ACTARM", "ACTARMCD", "RANDNO", "TRT01P", "TRT01A", "TRT01PN", "TRT01AN", "TRTP", "TRTA",
    "TRTPN", "TRTAN", "TRTSEQP", "TRTSEQA", "CUMDOSE", "AVGDD", "EXTRT", "EXDOSE", "EXDOSTXT", "EXLOT",
    "ETCD", "ELEMENT",
})
SEALED_NAME_PATTERN = re.compile(r"^TRT\d\d[PA]N?$")
EX_SEALED_COLUMNS = ("EXTRT", "EXDOSE", "EXDOSTXT", "EXLOT")   # EXTRT stays, replaced by the blinded label

_NUMERIC_EXACT = frozenset({"AGE", "VISITNUM", "VISITDY", "EXDOSE", "TAETORD"})
_NUMERIC_PATTERN = re.compile(r"^[A-Z]{2}(SEQ|DY|STDY|ENDY|STRESN|STNRLO|STNRHI)$")


def is_sealed_name(column: str) -> bool:
    return column in SEALED_NAMES or bool(SEALED_NAME_PATTERN.match(column))


def is_numeric_column(column: str) -> bool:
    """Standard numeric SDTM columns, stored as float64."""
    return column in _NUMERIC_EXACT or bool(_NUMERIC_PATTERN.match(column))


def date_column_of(column: str) -> str | None:
    """AESTDTC -> AESTDT: the datetime column derived from an ISO 8601 --DTC column."""
    return column[:-1] if column.endswith("DTC") and len(column) > 3 else None


def seq_column(domain: str) -> str | None:
    """The --SEQ key column of a subject-level domain (None for DM, SUPP, RELREC, trial design)."""
    if domain in ("DM", RANDOMIZATION) or domain.startswith(("SUPP", "REL")) or domain in TRIAL_DESIGN_DOMAINS:
        return None
    return f"{domain[:2]}SEQ"


def required_columns(domain: str) -> tuple[str, ...]:
    if domain.startswith("SUPP"):
        return REQUIRED_COLUMNS["SUPP"]
    if domain in REQUIRED_COLUMNS:
        return REQUIRED_COLUMNS[domain]
    return () if domain in TRIAL_DESIGN_DOMAINS or domain.startswith("REL") else ("USUBJID",)


def known_domain(domain: str, custom: frozenset[str]) -> bool:
    base = domain[4:] if domain.startswith("SUPP") and len(domain) > 4 else domain
    return domain == RANDOMIZATION or base in STANDARD_DOMAINS or base in custom


def normalized(value: object) -> str:
    """Controlled terminology as compared: upper case, blanks around and repeated inside removed.

    Exports deliver `Scrnfail`, ` SCREEN FAILURE ` or `Notassgn`; the stored value stays as delivered.
    """
    return " ".join(str(value).split()).upper() if value is not None else ""
