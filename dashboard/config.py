"""Trial configuration: one TOML file per trial, validated into frozen dataclasses.

Every problem found is reported at once, each naming the key and what is wrong.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TRIAL_CONFIG = PROJECT_ROOT / "data" / "trials" / "NCT05019287.toml"


def default_instance_path() -> Path:
    """Local state (SQLite database, generated secret key): $DSMB_INSTANCE_PATH or ./instance."""
    return Path(os.environ.get("DSMB_INSTANCE_PATH") or PROJECT_ROOT / "instance").resolve()


class ConfigError(ValueError):
    """A trial configuration that cannot be used; `problems` lists every finding."""

    def __init__(self, path: Path | str, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


from dashboard.config_model import (  # noqa: F401  (re-exported: dashboard.config is where callers import them)
    ARM_BASES, DEFAULT_DRUG_WITHDRAWN, DEFAULT_NOT_RELATED, DEFAULT_RELATED, REGIMENS, Arm, Eligibility,
    EligibilityCheck, EventSource, Outcome, SafetyLabs, Statistics, Visit, Vocabulary,
)
from dashboard.config_charter import Charter, charter_problems, parse_charter  # noqa: E402,F401
from dashboard.config_adam import AdamConfig, TteParameter, parse_adam  # noqa: E402,F401

@dataclass(frozen=True, eq=False)
class TrialConfig:
    """One trial's configuration; hashed by identity so it can key caches."""

    path: str
    study_id: str
    title: str
    sponsor: str
    phase: str
    blinded_treatment_label: str
    target_enrollment: int
    first_randomization_planned: dt.date
    planned_end: dt.date | None
    planned_rate_per_week: float | None
    sites: tuple[str, ...]
    arms: tuple[Arm, ...]
    board_may_unmask: bool
    planned_doses: int                # infusions or cycles; for a continuous regimen the planned days on treatment
    dose_interval_days: int
    infusion_reaction_window_hours: int
    followup_days: int
    visits: tuple[Visit, ...]
    outcomes: tuple[Outcome, ...]
    events: tuple[EventSource, ...]
    safety_labs: SafetyLabs
    custom_domains: dict[str, str] = field(default_factory=dict)
    screen_failure_reasons: dict[str, str] = field(default_factory=dict)
    eligibility: Eligibility = field(default_factory=Eligibility)
    regimen: str = "infusions"        # "infusions" (discrete doses), "continuous" (daily over a period), "cycles"
    planned_duration_days: int | None = None   # continuous regimens: planned days on treatment
    vocabulary: Vocabulary = field(default_factory=Vocabulary)
    safety_arm_basis: str = "actual"           # safety views by the arm actually received (ACTARMCD)
    efficacy_arm_basis: str = "planned"        # efficacy views by the arm randomized to (ARMCD)
    statistics: Statistics = field(default_factory=Statistics)
    charter: Charter | None = None             # [charter]: interim looks, boundaries, safety rules
    adam: AdamConfig = field(default_factory=AdamConfig)   # [adam]: ADaM flags and parameters

    @property
    def min_events_for_p(self) -> int:
        return self.statistics.min_events_for_p

    @property
    def arm_codes(self) -> tuple[str, ...]:
        return tuple(a.code for a in self.arms)

    @property
    def discrete_doses(self) -> bool:
        """Whether doses are discrete infusions, so infusion-window displays make sense."""
        return self.regimen == "infusions"

    @property
    def reference_arm(self) -> Arm:
        """The configured reference arm, else the first arm listed."""
        return next((arm for arm in self.arms if arm.reference), self.arms[0])

    @property
    def has_coding(self) -> bool:
        """Whether every arm has a coded label (the configuration's own key, or a cut's filled in by blinding)."""
        return all(arm.coded_label for arm in self.arms)

    def with_coding(self, coding: Mapping[str, str]) -> TrialConfig:
        """This configuration with the coded labels of `coding` (arm code -> coded label; none for an arm absent).

        Only `dashboard.blinding` calls it, with a cut's sealed coding key: armed trial data carries the result.
        """
        return replace(self, arms=tuple(replace(arm, coded_label=coding.get(arm.code, "")) for arm in self.arms))

    def arm_label(self, code: str, coded: bool) -> str:
        """The label of arm `code`: coded ("Group A") or real. Coded labels are those of armed trial data's
        configuration (`ArmedTrialData.config`: the cut's sealed key); LookupError when there is none."""
        for arm in self.arms:
            if arm.code == code:
                if coded and not arm.coded_label:
                    raise LookupError("no coding key: the arms have no coded labels")
                return arm.coded_label if coded else arm.label
        raise KeyError(code)

    def outcome(self, testcd: str) -> Outcome:
        for o in self.outcomes:
            if o.testcd == testcd:
                return o
        raise KeyError(testcd)


class _Reader:
    """Pulls typed values out of the parsed TOML, collecting every problem."""

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw
        self.problems: list[str] = []

    def get(self, key: str, kind: type | tuple[type, ...], *, required: bool = True, default: Any = None,
            table: dict[str, Any] | None = None, prefix: str = "") -> Any:
        source = self.raw if table is None else table
        name = f"{prefix}{key}"
        parts = key.split(".")
        value: Any = source
        for part in parts:
            if not isinstance(value, dict) or part not in value:
                if required:
                    self.problems.append(f"key '{name}' is missing")
                return default
            value = value[part]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            self.problems.append(f"key '{name}' must be {expected}, got {type(value).__name__} {value!r}")
            return default
        return value

    def date(self, key: str, *, required: bool = True) -> dt.date | None:
        value = self.get(key, (str, dt.date), required=required)
        if value is None:
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            self.problems.append(f"key '{key}' must be a date YYYY-MM-DD, got {value!r}")
            return None

    def tables(self, key: str) -> list[dict[str, Any]]:
        value = self.raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problems.append(f"key '{key}' must be an array of tables ([[{key}]])")
            return []
        return value


def _arms(r: _Reader) -> tuple[Arm, ...]:
    arms = []
    for i, t in enumerate(r.tables("arms")):
        p = f"arms[{i}]."
        arms.append(Arm(r.get("code", str, table=t, prefix=p, default=""),
                        r.get("label", str, table=t, prefix=p, default=""),
                        r.get("coded_label", str, table=t, prefix=p, required=False, default=""),
                        r.get("reference", bool, table=t, prefix=p, required=False, default=False)))
    if sum(a.reference for a in arms) > 1:
        r.problems.append("key 'arms': at most one arm may be the reference (reference = true)")
    if len(arms) < 2:
        r.problems.append("key 'arms' must list at least two arms")
    for attr in ("code", "label", "coded_label"):
        values = [getattr(a, attr) for a in arms]
        if len(set(values)) != len(values) and (attr != "coded_label" or all(values)):
            r.problems.append(f"key 'arms': each arm needs a distinct {attr}, got {values}")
    if any(a.coded_label for a in arms) and not all(a.coded_label for a in arms):
        # a partial key would code some arms and not others; the key belongs with the cut (coding.csv) anyway
        r.problems.append("key 'arms': give coded_label for every arm or for none (better: none, and supply the "
                          "coding key with each cut as coding.csv)")
    reserved = {"SCRNFAIL", "NOTASSGN", "NOTTRT", "UNPLAN"}
    for a in arms:
        if a.code.strip().upper() in reserved:
            r.problems.append(f"key 'arms': code {a.code!r} is reserved for subjects who were not randomized")
    return tuple(arms)


def _visits(r: _Reader) -> tuple[Visit, ...]:
    visits = []
    for i, t in enumerate(r.tables("visits")):
        p = f"visits[{i}]."
        visits.append(Visit(r.get("num", float, table=t, prefix=p, default=0.0),
                            r.get("name", str, table=t, prefix=p, default=""),
                            r.get("day", int, table=t, prefix=p, required=False, default=None),
                            r.get("window", int, table=t, prefix=p, required=False, default=0)))
    nums = [v.num for v in visits]
    if nums != sorted(set(nums)):
        r.problems.append("key 'visits': num must be unique and increasing")
    return tuple(visits)


def _outcomes(r: _Reader) -> tuple[Outcome, ...]:
    outcomes = []
    for i, t in enumerate(r.tables("outcomes")):
        p = f"outcomes[{i}]."
        o = Outcome(r.get("family", str, table=t, prefix=p, default=""),
                    r.get("domain", str, table=t, prefix=p, default="").upper(),
                    r.get("testcd", str, table=t, prefix=p, default=""),
                    r.get("label", str, table=t, prefix=p, default=""),
                    r.get("unit", str, table=t, prefix=p, default=""),
                    r.get("higher_is_better", bool, table=t, prefix=p, default=True),
                    r.get("log_normal", bool, table=t, prefix=p, required=False, default=False))
        if not o.family.strip():
            r.problems.append(f"key '{p}family' must name the family the outcome is shown under")
        outcomes.append(o)
    return tuple(outcomes)


def _events(r: _Reader) -> tuple[EventSource, ...]:
    events = []
    sources = {"PR", "HO", "DM", "DS", "AE"}
    for i, t in enumerate(r.tables("events")):
        p = f"events[{i}]."
        e = EventSource(r.get("name", str, table=t, prefix=p, default=""),
                        r.get("label", str, table=t, prefix=p, default=""),
                        r.get("source", str, table=t, prefix=p, default="").upper(),
                        r.get("term", str, table=t, prefix=p, default=""))
        if e.source and e.source not in sources:
            r.problems.append(f"key '{p}source' must be one of {sorted(sources)}, got {e.source!r}")
        events.append(e)
    return tuple(events)


def _eligibility(r: _Reader) -> Eligibility:
    raw = r.raw.get("eligibility", {})
    if not isinstance(raw, dict):
        r.problems.append("key 'eligibility' must be a table")
        return Eligibility()
    checks = []
    for i, t in enumerate(raw.get("checks", [])):
        p = f"eligibility.checks[{i}]."
        check = EligibilityCheck(
            r.get("label", str, table=t, prefix=p, default=""), r.get("domain", str, table=t, prefix=p,
                                                                       default="").upper(),
            r.get("variable", str, table=t, prefix=p, default=""),
            r.get("min", float, table=t, prefix=p, required=False), r.get("max", float, table=t, prefix=p,
                                                                           required=False),
            r.get("min_exclusive", bool, table=t, prefix=p, required=False, default=False),
            r.get("unit", str, table=t, prefix=p, required=False, default=""))
        if check.min is None and check.max is None:
            r.problems.append(f"key '{p}min' or '{p}max' is needed")
        checks.append(check)
    # Read through r.get so that a limit of the wrong type (age_min = "50") is reported, not silently dropped.
    limits = {k: r.get(f"eligibility.{k}", float, required=False)
              for k in ("age_min", "age_max", "spo2_max", "resp_rate_min")}
    return Eligibility(**{k: v for k, v in limits.items() if v is not None}, checks=tuple(checks))


def _safety_labs(r: _Reader) -> SafetyLabs:
    """The safety lab test codes; a value that is not text, or a [safety_labs] that is not a table, is a problem."""
    if not isinstance(r.raw.get("safety_labs", {}), dict):
        r.problems.append("key 'safety_labs' must be a table")
        return SafetyLabs()
    codes = {k: r.get(f"safety_labs.{k}", str, required=False) for k in SafetyLabs.__dataclass_fields__}
    return SafetyLabs(**{k: v for k, v in codes.items() if v is not None})


def _str_list(r: _Reader, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = r.get(key, list, required=False, default=None)
    if value is None:
        return default
    if not all(isinstance(v, str) for v in value):
        r.problems.append(f"key '{key}' must be a list of strings")
        return default
    return tuple(v.strip().upper() for v in value)


def _vocabulary(r: _Reader) -> Vocabulary:
    return Vocabulary(
        related=_str_list(r, "vocabulary.related", DEFAULT_RELATED),
        not_related=_str_list(r, "vocabulary.not_related", DEFAULT_NOT_RELATED),
        drug_withdrawn=_str_list(r, "vocabulary.drug_withdrawn", DEFAULT_DRUG_WITHDRAWN),
        disposition_category=r.get("vocabulary.disposition_category", str, required=False,
                                   default="DISPOSITION EVENT").strip().upper(),
        completed=r.get("vocabulary.completed", str, required=False, default="COMPLETED").strip().upper())


def _choice(r: _Reader, key: str, choices: tuple[str, ...], default: str) -> str:
    value = r.get(key, str, required=False, default=default)
    if value not in choices:
        r.problems.append(f"key '{key}' must be one of {list(choices)}, got {value!r}")
        return default
    return value


def _str_table(r: _Reader, key: str) -> dict[str, str]:
    value = r.raw.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        r.problems.append(f"key '{key}' must be a table of strings")
        return {}
    return dict(value)


def parse_trial_config(raw: dict[str, Any], path: str = "<config>") -> TrialConfig:
    """Validate a parsed TOML document; raises ConfigError listing every problem."""
    r = _Reader(raw)
    target = r.get("enrollment.target", int, default=0)
    if target is not None and target <= 0:
        r.problems.append(f"key 'enrollment.target' must be a positive integer, got {target}")
    rate = r.get("enrollment.planned_rate_per_week", float, required=False)
    planned_end = r.date("enrollment.planned_end", required=False)
    if planned_end is None and rate is None:
        r.problems.append("key 'enrollment.planned_end' or 'enrollment.planned_rate_per_week' is needed")
    regimen = _choice(r, "dosing.regimen", REGIMENS, "infusions")
    config = TrialConfig(
        path=path,
        study_id=r.get("study.id", str, default=""),
        title=r.get("study.title", str, default=""),
        sponsor=r.get("study.sponsor", str, required=False, default=""),
        phase=r.get("study.phase", str, required=False, default=""),
        blinded_treatment_label=r.get("study.blinded_treatment_label", str, required=False,
                                      default="Study treatment (blinded)"),
        target_enrollment=target or 0,
        first_randomization_planned=r.date("enrollment.first_randomization_planned") or dt.date.min,
        planned_end=planned_end,
        planned_rate_per_week=rate,
        sites=tuple(r.get("enrollment.sites", list, required=False, default=[])),
        arms=_arms(r),
        board_may_unmask=r.get("unblinding.board_may_unmask", bool, required=False, default=False),
        planned_doses=r.get("dosing.planned_doses", int, required=regimen != "continuous", default=0),
        dose_interval_days=r.get("dosing.interval_days", int, required=False, default=1),
        infusion_reaction_window_hours=r.get("dosing.infusion_reaction_window_hours", int,
                                             required=False, default=72),
        followup_days=r.get("followup.days", int, default=0),
        visits=_visits(r),
        outcomes=_outcomes(r),
        events=_events(r),
        safety_labs=_safety_labs(r),
        custom_domains={k.upper(): v for k, v in _str_table(r, "custom_domains").items()},
        screen_failure_reasons=_str_table(r, "screen_failure_reasons"),
        eligibility=_eligibility(r),
        regimen=regimen,
        planned_duration_days=r.get("dosing.planned_duration_days", int, required=False),
        vocabulary=_vocabulary(r),
        safety_arm_basis=_choice(r, "study.safety_arm_basis", ARM_BASES, "actual"),
        efficacy_arm_basis=_choice(r, "study.efficacy_arm_basis", ARM_BASES, "planned"),
        statistics=Statistics(r.get("statistics.min_events_for_p", int, required=False, default=5)),
        charter=parse_charter(raw, r.problems),
        adam=parse_adam(raw, r.problems),
    )
    r.problems.extend(charter_problems(config.charter, {e.name for e in config.events},
                                       {o.testcd for o in config.outcomes}, set(config.arm_codes),
                                       config.reference_arm.code if config.arms else ""))
    if regimen == "continuous" and not config.planned_duration_days:
        r.problems.append("key 'dosing.planned_duration_days' is needed for a continuous regimen")
    if planned_end and config.first_randomization_planned > planned_end:
        r.problems.append("key 'enrollment.planned_end' is before 'enrollment.first_randomization_planned'")
    if r.problems:
        raise ConfigError(path, r.problems)
    return config


def load_trial_config(path: Path | str | None = None) -> TrialConfig:
    """Read the trial configuration named by `path`, $DSMB_TRIAL_CONFIG, or the NCT05019287 default."""
    path = Path(path or os.environ.get("DSMB_TRIAL_CONFIG") or DEFAULT_TRIAL_CONFIG)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, ["file not found"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [f"not valid TOML: {exc}"]) from None
    return parse_trial_config(raw, str(path))
