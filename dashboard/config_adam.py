"""The [adam] section of a trial configuration: which ADaM flags and parameters the analyses read (docs/adam.md).

Only read for a cut loaded from ADaM datasets; an SDTM cut ignores it. Every problem is reported at once, naming
its key, as for [charter] (`dashboard.config_charter`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

CURVES = ("events", "event-free")      # cumulative incidence (1 - S) rising, or the event-free probability S
# The ADSL population flags the loader keeps in DM (ADaMIG 1.3), and the BDS / OCCDS analysis record flags it keeps:
# a configured flag must be one of them. Other flags are left out: a sponsor flag could name an arm ("PBOFL").
POPULATION_FLAG = re.compile(r"^(ITT|SAF|EFF|FAS|PPROT|COMPL|ENRL|RAND|COMP\d\d)FL$")
ANALYSIS_FLAG = re.compile(r"^ANL\d\dFL$")
_CODE = re.compile(r"^[A-Za-z0-9_]{1,8}$")         # a PARAMCD: 8 characters at most (ADaMIG)


@dataclass(frozen=True)
class TteParameter:
    """One ADTTE parameter the Outcomes page shows: its PARAMCD, a label, and which way its curve is drawn."""
    paramcd: str
    label: str
    curve: str = "event-free"       # "event-free" (survival, as the Outcomes page draws ADTTE) or "events" (1 - S)

    @property
    def event_free(self) -> bool:
        return self.curve == "event-free"


@dataclass(frozen=True)
class AdamConfig:
    """The [adam] keys; the defaults are ADaMIG's names, so a trial without [adam] reads EFFFL and ANL01FL."""
    efficacy_flag: str = "EFFFL"                      # ADSL flag of the efficacy population (EFFFL, ITTFL, FASFL)
    analysis_flag: str = "ANL01FL"                    # BDS flag of the records an analysis uses
    measures: tuple[tuple[str, str], ...] = ()        # (configured test code, PARAMCD) where they differ
    tte: tuple[TteParameter, ...] = ()                # ADTTE parameters to show, in this order; () = every one
    configured: bool = False                          # whether the file has an [adam] table at all

    def paramcd(self, testcd: str) -> str:
        """The ADaM PARAMCD of a configured test code (the code itself when no mapping names it)."""
        return dict(self.measures).get(testcd, testcd)

    def measure_of(self, paramcd: str) -> str | None:
        """The configured test code a PARAMCD is mapped to, or None when no mapping names it."""
        return next((testcd for testcd, code in self.measures if code == paramcd), None)


def _text(table: dict[str, Any], key: str, default: str, problems: list[str]) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"key 'adam.{key}' must be non-empty text, got {value!r}")
        return default
    return value.strip()


def _flag(table: dict[str, Any], key: str, default: str, pattern: re.Pattern, what: str,
          problems: list[str]) -> str:
    value = _text(table, key, default, problems)
    if not pattern.match(value):
        problems.append(f"key 'adam.{key}' must name {what}, got {value!r}")
        return default
    return value


def _configured_codes(raw: dict[str, Any]) -> set[str]:
    """The test codes the rest of the file names: outcomes, safety labs, eligibility checks (read as given)."""
    outcomes = raw.get("outcomes", [])
    codes = {t.get("testcd") for t in outcomes if isinstance(t, dict)} if isinstance(outcomes, list) else set()
    labs = raw.get("safety_labs", {})
    codes |= set(labs.values()) if isinstance(labs, dict) else set()
    return {c for c in codes if isinstance(c, str)}


def _measures(table: dict[str, Any], raw: dict[str, Any], problems: list[str]) -> tuple[tuple[str, str], ...]:
    value = table.get("measures", {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        problems.append("key 'adam.measures' must be a table of text (configured test code = \"PARAMCD\")")
        return ()
    known = _configured_codes(raw)
    for testcd, paramcd in value.items():
        if testcd not in known:
            problems.append(f"key 'adam.measures.{testcd}': no outcome or safety lab has test code {testcd!r} "
                            f"(configured: {sorted(known)})")
        if not _CODE.match(paramcd.strip()):
            problems.append(f"key 'adam.measures.{testcd}' must be a PARAMCD (8 letters, digits or _ at most), "
                            f"got {paramcd!r}")
    targets = [p.strip() for p in value.values()]
    if len(set(targets)) != len(targets):
        problems.append(f"key 'adam.measures': two test codes map to one PARAMCD, got {targets}")
    return tuple((testcd, paramcd.strip()) for testcd, paramcd in value.items())


def _tte(table: dict[str, Any], problems: list[str]) -> tuple[TteParameter, ...]:
    value = table.get("tte", [])
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        problems.append("key 'adam.tte' must be an array of tables ([[adam.tte]])")
        return ()
    params = []
    for i, t in enumerate(value):
        prefix = f"adam.tte[{i}]."
        paramcd, label, curve = t.get("paramcd"), t.get("label"), t.get("curve", "event-free")
        for key, item in (("paramcd", paramcd), ("label", label)):
            if not isinstance(item, str) or not item.strip():
                problems.append(f"key '{prefix}{key}' must be non-empty text, got {item!r}")
        if curve not in CURVES:
            problems.append(f"key '{prefix}curve' must be one of {list(CURVES)}, got {curve!r}")
            curve = "event-free"
        params.append(TteParameter(str(paramcd or "").strip(), str(label or "").strip(), curve))
    codes = [p.paramcd for p in params]
    if len(set(codes)) != len(codes):
        problems.append(f"key 'adam.tte': each parameter needs a distinct paramcd, got {codes}")
    return tuple(params)


def parse_adam(raw: dict[str, Any], problems: list[str]) -> AdamConfig:
    """The [adam] table of a parsed trial TOML (the defaults when it has none); problems are appended."""
    table = raw.get("adam")
    if table is None:
        return AdamConfig()
    if not isinstance(table, dict):
        problems.append("key 'adam' must be a table")
        return AdamConfig()
    return AdamConfig(efficacy_flag=_flag(table, "efficacy_flag", "EFFFL", POPULATION_FLAG,
                                          "an ADSL population flag (ITTFL, SAFFL, EFFFL, FASFL, PPROTFL, COMPLFL, "
                                          "ENRLFL, RANDFL or COMPxxFL)", problems),
                      analysis_flag=_flag(table, "analysis_flag", "ANL01FL", ANALYSIS_FLAG,
                                          "an analysis record flag ANLxxFL", problems),
                      measures=_measures(table, raw, problems), tte=_tte(table, problems), configured=True)
