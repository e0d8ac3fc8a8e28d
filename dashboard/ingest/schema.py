"""Declarative rules about export files: known domains, required, key, numeric, date and sealed columns."""

from __future__ import annotations

import enum
import re

RANDOMIZATION = "RANDOMIZATION"

# SDTMIG 3.x domain codes the loader accepts (custom domains come from the trial configuration).
STANDARD_DOMAINS = frozenset("""
    DM CO SE SM SV TA TD TE TI TM TS TV AE CE DS DV HO MH AG CM EC EX ML PR SU BE BS CP CV DA DD EG
    FA FT GF IE IS LB MB MI MK MS NV OE PC PE PP QS RE RP RS SC SR SS TR TU UR VS OI RELREC RELSPEC RELSUB
""".split())
TRIAL_DESIGN_DOMAINS = frozenset({"TA", "TD", "TE", "TI", "TM", "TS", "TV"})   # no USUBJID
SEALED_DOMAINS = frozenset({"SE", "TA", "TV"})                                 # name arms or elements
# Trial design domains whose text may name the treatments (TS TSVAL "Xanomeline ...") without saying who got
# which: never scanned for arm values. TA and TV name arms per row and are sealed whole instead.
DESCRIPTIVE_DESIGN_DOMAINS = TRIAL_DESIGN_DOMAINS - SEALED_DOMAINS


class Core(enum.StrEnum):
    """SDTMIG core designation of a variable: Required, Expected or Permissible."""

    REQ = "Req"
    EXP = "Exp"
    PERM = "Perm"


def _core(req: str = "", exp: str = "", perm: str = "") -> dict[str, Core]:
    return {**{v: Core.REQ for v in req.split()}, **{v: Core.EXP for v in exp.split()},
            **{v: Core.PERM for v in perm.split()}}


# SDTMIG 3.3 / 3.4 core designations (domain specification tables) of the variables this app reads. Only a Req
# variable may be demanded; an Exp one may be absent (a warning), a Perm one may be absent silently unless the app
# derives it (DERIVED_COLUMNS). STUDYID and DOMAIN are Req everywhere but not demanded: the app can do without.
# AEACN (Exp) is left out: where it is absent the disposition reason ADVERSE EVENT stands in, and the view says so.
CORE: dict[str, dict[str, Core]] = {
    "DM": _core("STUDYID DOMAIN USUBJID SUBJID SITEID SEX COUNTRY",
                "RFSTDTC RFENDTC RFICDTC DTHDTC DTHFL AGE AGEU RACE ARMCD ARM ACTARMCD ACTARM", "ETHNIC"),
    "AE": _core("STUDYID DOMAIN USUBJID AESEQ AETERM AEDECOD",
                "AEBODSYS AESER AEREL AESTDTC AEENDTC", "AESEV AEOUT AETOXGR AESDTH"),
    "DS": _core("STUDYID DOMAIN USUBJID DSSEQ DSTERM DSDECOD", "DSCAT DSSTDTC"),
    "EX": _core("STUDYID DOMAIN USUBJID EXSEQ EXTRT", "EXDOSE EXDOSU EXSTDTC EXENDTC"),
    "IE": _core("STUDYID DOMAIN USUBJID IESEQ IETESTCD IETEST IECAT IEORRES IESTRESC"),
    "LB": _core("STUDYID DOMAIN USUBJID LBSEQ LBTESTCD LBTEST", "LBSTRESN LBSTRESU LBNRIND VISITNUM LBDTC",
                "LBSTNRLO LBSTNRHI LBBLFL VISIT"),
    "VS": _core("STUDYID DOMAIN USUBJID VSSEQ VSTESTCD VSTEST", "VSSTRESN VSSTRESU VISITNUM VSDTC", "VSBLFL VISIT"),
    "PR": _core("STUDYID DOMAIN USUBJID PRSEQ PRTRT", "PRSTDTC", "PRDECOD"),
    "HO": _core("STUDYID DOMAIN USUBJID HOSEQ HOTERM", "HOSTDTC", "HODECOD HOENDTC"),
    "SE": _core("STUDYID DOMAIN USUBJID SESEQ ETCD SESTDTC", "SEENDTC", "ELEMENT"),
    "SV": _core("STUDYID DOMAIN USUBJID VISITNUM", "SVSTDTC", "VISIT"),
    "SUPP": _core("STUDYID RDOMAIN USUBJID QNAM QLABEL QVAL QORIG", "IDVAR IDVARVAL"),
}

# Demanded columns: Req variables the app cannot do without (the randomization list is not SDTM).
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "DM": ("STUDYID", "USUBJID", "SITEID"),
    RANDOMIZATION: ("USUBJID", "ARMCD"),
    "AE": ("USUBJID", "AESEQ", "AEDECOD"),
    "DS": ("USUBJID", "DSSEQ", "DSDECOD"),
    "EX": ("USUBJID", "EXSEQ", "EXTRT"),
    "IE": ("USUBJID", "IESEQ", "IETESTCD"),
    "LB": ("USUBJID", "LBSEQ", "LBTESTCD"),
    "VS": ("USUBJID", "VSSEQ", "VSTESTCD"),
    "PR": ("USUBJID", "PRSEQ", "PRTRT"),
    "HO": ("USUBJID", "HOSEQ", "HOTERM"),
    "SE": ("USUBJID", "SESEQ", "ETCD"),
    "SUPP": ("RDOMAIN", "USUBJID", "QNAM", "QVAL"),
}

# Permissible variables the app reads that the standard lets a sponsor leave out, and what stands in for them:
# HODECOD / PRDECOD are the standardized names of HOTERM / PRTRT; without a dictionary the reported term is it.
DERIVED_COLUMNS: dict[str, dict[str, str]] = {"HO": {"HODECOD": "HOTERM"}, "PR": {"PRDECOD": "PRTRT"}}

ALLOCATION_COLUMNS = ("ARMCD", "ARM", "ACTARMCD", "ACTARM")
NOT_RANDOMIZED_CODES = frozenset({"SCRNFAIL", "NOTASSGN"})
NOT_TREATED_CODES = frozenset({"NOTTRT", "UNPLAN"})      # allowed in ACTARMCD only

# Names that reveal allocation wherever they appear: as a column of any domain or as a SUPPxx QNAM.
SEALED_NAMES = frozenset({
    "ARM", "ARMCD", "ACTARM", "ACTARMCD", "RANDNO", "TRT01P", "TRT01A", "TRT01PN", "TRT01AN", "TRTP", "TRTA",
    "TRTPN", "TRTAN", "TRTSEQP", "TRTSEQA", "CUMDOSE", "AVGDD", "EXTRT", "EXDOSE", "EXDOSTXT", "EXLOT",
    "ETCD", "ELEMENT",
})
# ADaM: N versions of TRTSEQP/A, dose variables that differ by arm (ADaMIG 1.3 DOSEP/DOSEA, DOSCUMA, DOSExxP/A),
# treatment groupings (TRTxxPGy/AGy, TRTPGy/TRTAGy and N versions).
SEALED_NAMES = SEALED_NAMES | {"TRTSEQPN", "TRTSEQAN", "DOSEP", "DOSEA", "DOSEPU", "DOSEAU", "DOSCUMA", "DOSCUMP"}
SEALED_NAME_PATTERN = re.compile(r"^(TRT\d\d[PA]N?|TRT\d\d[PA]G\d+N?|TRT[PA]G\d+N?|DOSE\d\d[PA]U?)$")
EX_SEALED_COLUMNS = ("EXTRT", "EXDOSE", "EXDOSTXT", "EXLOT")   # EXTRT stays, replaced by the blinded label

_NUMERIC_EXACT = frozenset({"AGE", "VISITNUM", "VISITDY", "EXDOSE", "TAETORD",
                            # ADaM analysis values an ADaM cut keeps beside the SDTM columns (docs/adam.md)
                            "AVAL", "AVISITN", "BASE", "CHG", "PCHG", "CNSR"})
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


def core_of(domain: str) -> dict[str, Core]:
    """The declared core designations of a domain's variables (SUPPxx share one table)."""
    return CORE["SUPP"] if domain.startswith("SUPP") else CORE.get(domain, {})


def expected_columns(domain: str) -> tuple[str, ...]:
    """The Expected variables of a domain that the app reads: their absence is a warning."""
    return tuple(name for name, core in core_of(domain).items() if core is Core.EXP)


def required_columns(domain: str) -> tuple[str, ...]:
    if domain.startswith("SUPP"):
        return REQUIRED_COLUMNS["SUPP"]
    if domain in REQUIRED_COLUMNS:
        return REQUIRED_COLUMNS[domain]
    return () if domain in TRIAL_DESIGN_DOMAINS or domain.startswith("REL") else ("USUBJID",)


def known_domain(domain: str, custom: frozenset[str]) -> bool:
    base = domain[4:] if domain.startswith("SUPP") and len(domain) > 4 else domain
    return domain == RANDOMIZATION or base in STANDARD_DOMAINS or base in custom


def named_domain(stem: str, custom: frozenset[str]) -> str | None:
    """The domain a file name claims: the stem itself when it is a domain; for a part of a split domain (SDTMIG
    4.1.7: the domain code and up to two more characters, `lbch`, `qs36`, `supplbch`) the domain it begins with."""
    stem = stem.upper()
    if known_domain(stem, custom):
        return stem
    supp, base = ("SUPP", stem[4:]) if stem.startswith("SUPP") else ("", stem)
    if 2 < len(base) <= 4 and known_domain(base[:2], custom):
        return supp + base[:2]
    return None


def normalized(value: object) -> str:
    """Controlled terminology as compared: upper case, blanks around and repeated inside removed.

    Exports deliver `Scrnfail`, ` SCREEN FAILURE ` or `Notassgn`; the stored value stays as delivered.
    """
    return " ".join(str(value).split()).upper() if value is not None else ""
