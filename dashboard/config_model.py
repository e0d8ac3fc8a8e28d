"""The parts of a trial configuration: arms, visits, outcomes, events, safety labs, eligibility, vocabulary."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Arm:
    code: str
    label: str
    # The board's name for the arm ("Group A"). It comes with each cut's randomization list (coding.csv, sealed);
    # a configuration may still give it for cuts loaded without a key, which blinded staff can then read.
    coded_label: str = ""
    reference: bool = False           # the arm every other arm is compared with (one at most)


@dataclass(frozen=True)
class Visit:
    num: float
    name: str
    day: int | None                   # planned study day; None for unscheduled, retrieval or early-termination visits
    window: int


@dataclass(frozen=True)
class Outcome:
    family: str
    domain: str
    testcd: str
    label: str
    unit: str
    higher_is_better: bool
    log_normal: bool = False          # summarised as geometric mean ratios to baseline besides changes


@dataclass(frozen=True)
class EventSource:
    name: str
    label: str
    source: str
    term: str


@dataclass(frozen=True)
class SafetyLabs:
    alt: str = "ALT"
    ast: str = "AST"
    bilirubin: str = "BILI"
    creatinine: str = "CREAT"


@dataclass(frozen=True)
class EligibilityCheck:
    """One protocol limit checked on randomized subjects: a DM variable (AGE) or a findings test at baseline."""

    label: str                        # as the protocol words it, e.g. "Resting SpO2 <= 90 %"
    domain: str                       # DM, VS, LB, QS or a custom findings domain
    variable: str                     # DM column (AGE) or the test code (--TESTCD)
    min: float | None = None          # values below min are flagged
    max: float | None = None          # values above max are flagged
    min_exclusive: bool = False       # flag values equal to min as well (protocol says "> min")
    unit: str = ""


@dataclass(frozen=True)
class Eligibility:
    age_min: float | None = None
    age_max: float | None = None
    spo2_max: float | None = None
    resp_rate_min: float | None = None
    checks: tuple[EligibilityCheck, ...] = ()

    def all_checks(self) -> tuple[EligibilityCheck, ...]:
        """The configured checks, with the older age/SpO2/respiratory-rate keys as checks too."""
        legacy = []
        if self.age_min is not None or self.age_max is not None:
            legacy.append(EligibilityCheck("Age", "DM", "AGE", self.age_min, self.age_max, unit=" years"))
        if self.spo2_max is not None:
            legacy.append(EligibilityCheck(f"Resting SpO2 <= {self.spo2_max:g} %", "VS", "OXYSAT",
                                           max=self.spo2_max, unit=" %"))
        if self.resp_rate_min is not None:
            legacy.append(EligibilityCheck(f"Respiratory rate > {self.resp_rate_min:g}/min", "VS", "RESP",
                                           min=self.resp_rate_min, min_exclusive=True, unit="/min"))
        return (*legacy, *self.checks)


# Investigator's causality and action-taken terms, compared upper-cased with blanks stripped. The defaults
# cover the usual CRF vocabularies; a trial with its own sets them under [vocabulary].
DEFAULT_RELATED = ("RELATED", "POSSIBLY RELATED", "PROBABLY RELATED", "DEFINITELY RELATED", "POSSIBLE",
                   "PROBABLE", "DEFINITE", "DEFINITELY", "POSSIBLY", "PROBABLY", "Y", "YES")
DEFAULT_NOT_RELATED = ("NOT RELATED", "UNRELATED", "UNLIKELY RELATED", "UNLIKELY", "REMOTE", "NONE", "N", "NO",
                       "NOT SUSPECTED", "DOUBTFUL")
DEFAULT_DRUG_WITHDRAWN = ("DRUG WITHDRAWN",)


@dataclass(frozen=True)
class Vocabulary:
    related: tuple[str, ...] = DEFAULT_RELATED
    not_related: tuple[str, ...] = DEFAULT_NOT_RELATED
    drug_withdrawn: tuple[str, ...] = DEFAULT_DRUG_WITHDRAWN
    disposition_category: str = "DISPOSITION EVENT"    # DSCAT of end-of-study or end-of-treatment events
    completed: str = "COMPLETED"                        # DSDECOD of completion


REGIMENS = ("infusions", "continuous", "cycles")
ARM_BASES = ("planned", "actual")


@dataclass(frozen=True)
class Statistics:
    min_events_for_p: int = 5         # no p-value for a comparison with fewer events in total
