"""The [charter] section of a trial configuration: planned looks, the primary comparison, the efficacy and
futility boundaries, and the safety stopping rules. Every problem is reported at once, naming its key."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

SPENDING = ("obf", "pocock", "hsd")
COMPARISONS = ("event", "outcome")
FUTILITY_KINDS = ("beta_spending", "conditional_power")
RULE_KINDS = ("beta_binomial", "count")
RULE_SOURCES = ("ae", "event")


@dataclass(frozen=True)
class Look:
    """One planned analysis: its information fraction, and what triggers it (subjects or a date)."""
    fraction: float
    subjects: int | None = None
    date: dt.date | None = None


@dataclass(frozen=True)
class PrimaryComparison:
    """A configured event (proportion with it by the end of follow-up) or outcome (change at a visit)."""
    kind: str                       # "event" or "outcome"
    name: str                       # event name, or outcome test code
    arm: str                        # the arm compared with the reference arm (code)
    visit: float | None = None      # outcome: VISITNUM of the change from baseline
    design_reference: float = 0.0   # design assumption: rate (event) or mean change (outcome), reference arm
    design_treatment: float = 0.0   # ... and in the compared arm
    design_sd: float | None = None  # outcome: standard deviation of the change

    @property
    def statistic(self) -> str:
        return ("difference in proportions (pooled-variance z)" if self.kind == "event"
                else "difference in mean change (Welch z)")


@dataclass(frozen=True)
class Futility:
    kind: str                       # "beta_spending" or "conditional_power"
    spending: str = "obf"
    gamma: float = -4.0
    beta: float = 0.2
    threshold: float = 0.1          # conditional power (current trend) below which futility is flagged


@dataclass(frozen=True)
class SafetyRule:
    """A pause rule: Bayesian beta-binomial on the event rate, or a simple count."""
    name: str
    label: str
    kind: str                       # "beta_binomial" or "count"
    source: str                     # "ae" (terms, optionally serious only) or "event" (a configured event)
    terms: tuple[str, ...] = ()
    serious_only: bool = False
    event: str = ""
    within_days: int | None = None  # only events on study days 1..within_days count
    pooled: bool = True             # pooled by design over all treated subjects (shown in the open session)
    p0: float = 0.0                 # beta-binomial: the unacceptable rate
    probability: float = 0.0        # ... pause when P(rate > p0 | data) exceeds this
    prior_a: float = 1.0
    prior_b: float = 1.0
    max_events: int = 0             # count: pause at this many events


@dataclass(frozen=True)
class Charter:
    illustrative: bool
    planned_subjects: int           # subjects with the primary outcome at full information
    looks: tuple[Look, ...]
    primary: PrimaryComparison | None
    alpha: float
    sides: int
    spending: str
    gamma: float
    futility: Futility | None
    safety_rules: tuple[SafetyRule, ...]

    @property
    def fractions(self) -> tuple[float, ...]:
        """Planned information fractions, the final analysis (1.0) included."""
        planned = tuple(look.fraction for look in self.looks)
        return planned if planned and planned[-1] >= 1.0 else (*planned, 1.0)


class _Keys:
    """Typed values from one table, collecting problems under a key prefix."""

    def __init__(self, table: dict[str, Any], prefix: str, problems: list[str]):
        self.table, self.prefix, self.problems = table, prefix, problems

    def get(self, key: str, kind: type, default: Any = None, required: bool = False) -> Any:
        if key not in self.table:
            if required:
                self.problems.append(f"key '{self.prefix}{key}' is missing")
            return default
        value = self.table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if kind is dt.date and isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                pass
        if not isinstance(value, kind) or (kind in (int, float) and isinstance(value, bool)):
            self.problems.append(f"key '{self.prefix}{key}' must be {kind.__name__}, got {value!r}")
            return default
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(key, str, default)
        if value not in choices:
            self.problems.append(f"key '{self.prefix}{key}' must be one of {list(choices)}, got {value!r}")
            return default
        return value

    def fraction(self, key: str, default: float, *, upper_open: bool = False) -> float:
        value = self.get(key, float, default)
        if not (0 < value < 1 if upper_open else 0 < value <= 1):
            self.problems.append(f"key '{self.prefix}{key}' must be in (0, {'1)' if upper_open else '1]'}, "
                                 f"got {value}")
        return value


def _tables(raw: Any, key: str, problems: list[str]) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        problems.append(f"key '{key}' must be an array of tables ([[{key}]])")
        return []
    return raw


def _looks(raw: dict[str, Any], planned: int, problems: list[str]) -> tuple[Look, ...]:
    looks = []
    for i, table in enumerate(_tables(raw.get("looks", []), "charter.looks", problems)):
        k = _Keys(table, f"charter.looks[{i}].", problems)
        subjects = k.get("subjects", int)
        fraction = k.get("fraction", float)
        if fraction is None and subjects is not None and planned > 0:
            fraction = subjects / planned
        if fraction is None:
            problems.append(f"key 'charter.looks[{i}].fraction' or 'charter.looks[{i}].subjects' is needed")
            fraction = 1.0
        elif not 0 < fraction <= 1:
            problems.append(f"key 'charter.looks[{i}]': information fraction must be in (0, 1], got {fraction:g}")
        looks.append(Look(fraction, subjects, k.get("date", dt.date)))
    return tuple(looks)


def _check_increasing(looks: tuple[Look, ...], problems: list[str]) -> None:
    for attr in ("fraction", "subjects", "date"):
        values = [getattr(look, attr) for look in looks if getattr(look, attr) is not None]
        if any(b <= a for a, b in zip(values, values[1:])):
            problems.append(f"key 'charter.looks': {attr} must increase from look to look, got "
                            f"{[str(v) for v in values]}")


def _primary(raw: Any, problems: list[str]) -> PrimaryComparison | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append("key 'charter.primary' must be a table")
        return None
    k = _Keys(raw, "charter.primary.", problems)
    kind = k.choice("kind", COMPARISONS, "event")
    primary = PrimaryComparison(kind, k.get("name", str, "", required=True), k.get("arm", str, "", required=True),
                                k.get("visit", float, required=kind == "outcome"),
                                k.get("design_reference", float, 0.0, required=True),
                                k.get("design_treatment", float, 0.0, required=True),
                                k.get("design_sd", float, required=kind == "outcome"))
    if kind == "event":
        for key in ("design_reference", "design_treatment"):
            if not 0 <= getattr(primary, key) <= 1:
                problems.append(f"key 'charter.primary.{key}' must be a rate in [0, 1] for an event")
    if primary.design_reference == primary.design_treatment:
        problems.append("key 'charter.primary': the design assumption needs a difference between the arms")
    if primary.design_sd is not None and primary.design_sd <= 0:
        problems.append("key 'charter.primary.design_sd' must be positive")
    return primary


def _futility(raw: Any, problems: list[str]) -> Futility | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append("key 'charter.futility' must be a table")
        return None
    k = _Keys(raw, "charter.futility.", problems)
    return Futility(k.choice("kind", FUTILITY_KINDS, "conditional_power"), k.choice("spending", SPENDING, "obf"),
                    k.get("gamma", float, -4.0), k.fraction("beta", 0.2, upper_open=True),
                    k.fraction("threshold", 0.1, upper_open=True))


def _rule(table: dict[str, Any], i: int, problems: list[str]) -> SafetyRule:
    k = _Keys(table, f"charter.safety_rules[{i}].", problems)
    kind, source = k.choice("kind", RULE_KINDS, "count"), k.choice("source", RULE_SOURCES, "ae")
    terms = k.get("terms", list, [])
    if not all(isinstance(t, str) for t in terms):
        problems.append(f"key 'charter.safety_rules[{i}].terms' must be a list of strings")
        terms = []
    rule = SafetyRule(
        k.get("name", str, "", required=True), k.get("label", str, "", required=True), kind, source,
        tuple(" ".join(t.upper().split()) for t in terms), k.get("serious_only", bool, False),
        k.get("event", str, "", required=source == "event"), k.get("within_days", int),
        k.get("pooled", bool, True),
        k.fraction("p0", 0.5, upper_open=True) if kind == "beta_binomial" else 0.0,
        k.fraction("probability", 0.9, upper_open=True) if kind == "beta_binomial" else 0.0,
        k.get("prior_a", float, 1.0), k.get("prior_b", float, 1.0),
        k.get("max_events", int, 0, required=kind == "count"))
    if source == "ae" and not rule.terms and not rule.serious_only:
        problems.append(f"key 'charter.safety_rules[{i}]': an AE rule needs 'terms' or 'serious_only = true'")
    if rule.prior_a <= 0 or rule.prior_b <= 0:
        problems.append(f"key 'charter.safety_rules[{i}]': prior_a and prior_b must be positive")
    if kind == "count" and rule.max_events < 1:
        problems.append(f"key 'charter.safety_rules[{i}].max_events' must be at least 1")
    return rule


def parse_charter(raw: dict[str, Any], problems: list[str]) -> Charter | None:
    """The [charter] table of a parsed trial TOML, or None when the trial has none; problems are appended."""
    table = raw.get("charter")
    if table is None:
        return None
    if not isinstance(table, dict):
        problems.append("key 'charter' must be a table")
        return None
    k = _Keys(table, "charter.", problems)
    planned = k.get("planned_subjects", int, 0, required=True)
    if planned <= 0:
        problems.append(f"key 'charter.planned_subjects' must be a positive integer, got {planned}")
    sides = k.get("sides", int, 2)
    if sides not in (1, 2):
        problems.append(f"key 'charter.sides' must be 1 or 2, got {sides}")
        sides = 2
    alpha = k.get("alpha", float, 0.05, required=True)
    if not 0 < alpha <= 0.5:
        problems.append(f"key 'charter.alpha' must be in (0, 0.5], got {alpha}")
    looks = _looks(table, planned, problems)
    _check_increasing(looks, problems)
    rules = [_rule(t, i, problems) for i, t in enumerate(_tables(table.get("safety_rules", []),
                                                                   "charter.safety_rules", problems))]
    names = [r.name for r in rules]
    if len(set(names)) != len(names):
        problems.append(f"key 'charter.safety_rules': each rule needs a distinct name, got {names}")
    return Charter(bool(k.get("illustrative", bool, False)), planned, looks, _primary(table.get("primary"), problems),
                   alpha, sides, k.choice("spending", SPENDING, "obf"), k.get("gamma", float, -4.0),
                   _futility(table.get("futility"), problems), tuple(rules))


def charter_problems(charter: Charter | None, event_names: set[str], outcome_codes: set[str],
                     arm_codes: set[str], reference_arm: str) -> list[str]:
    """What in the charter does not match the rest of the configuration (events, outcomes, arms)."""
    if charter is None:
        return []
    problems = []
    primary = charter.primary
    if primary is not None:
        known = event_names if primary.kind == "event" else outcome_codes
        if primary.name and primary.name not in known:
            problems.append(f"key 'charter.primary.name': no configured {primary.kind} {primary.name!r} "
                            f"(configured: {sorted(known)})")
        if primary.arm and primary.arm not in arm_codes:
            problems.append("key 'charter.primary.arm' is not one of the configured arm codes")
        elif primary.arm == reference_arm:
            problems.append("key 'charter.primary.arm' must not be the reference arm it is compared with")
    for i, rule in enumerate(charter.safety_rules):
        if rule.source == "event" and rule.event and rule.event not in event_names:
            problems.append(f"key 'charter.safety_rules[{i}].event': no configured event {rule.event!r}")
    return problems
