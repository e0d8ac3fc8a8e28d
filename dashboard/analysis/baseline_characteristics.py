"""Baseline characteristics of randomized subjects (pooled, or by arm) and eligibility checks against the protocol."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.analysis.recruitment import column, recorded
from dashboard.config import Eligibility, EligibilityCheck, TrialConfig

POOLED_LABEL = "All randomized"
SUMMARY_KEYS = ["characteristic", "statistic"]


@dataclass(frozen=True)
class Measure:
    """A baseline measurement: findings domain, test code, label and unit."""

    domain: str
    testcd: str
    label: str
    unit: str

    @property
    def title(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label


def baseline_measures(config: TrialConfig, lab_units: Mapping[str, str] | None = None) -> tuple[Measure, ...]:
    """Outcomes of the standard findings domains (VS, LB, QS, EG, ...), then the safety labs not among them,
    with the unit `lab_units` gives their test code (the unit the export reports, `labs.test_units`)."""
    units = {} if lab_units is None else dict(lab_units)
    measures = [Measure(o.domain, o.testcd, o.label, o.unit) for o in config.outcomes
                if o.domain not in config.custom_domains]     # any standard findings domain: VS, LB, QS, EG, ...
    known = {m.testcd for m in measures}
    safety = {"ALT": config.safety_labs.alt, "AST": config.safety_labs.ast,
              "Total bilirubin": config.safety_labs.bilirubin, "Creatinine": config.safety_labs.creatinine}
    for label, code in safety.items():
        if code and code not in known:
            measures.append(Measure("LB", code, label, str(units.get(code) or "")))
            known.add(code)
    return tuple(measures)


NOT_IN_CUT = "not in this cut"


def absent_measures(measures: Sequence[Measure], domains: Mapping[str, pd.DataFrame]) -> frozenset[str]:
    """Test codes of `measures` with no record at all in their domain (e.g. a safety lab the export does not
    deliver): shown once as 'not in this cut' rather than as rows of n = 0."""
    absent = set()
    for m in measures:
        frame = domains.get(m.domain, pd.DataFrame())
        test = f"{m.domain.upper()}TESTCD"
        if test not in frame or not (frame[test] == m.testcd).any():
            absent.add(m.testcd)
    return frozenset(absent)


def baseline_findings(findings: pd.DataFrame, domain: str, testcds: Sequence[str]) -> pd.DataFrame:
    """Baseline value per subject and test: the record flagged --BLFL = Y, else the last one on or before day 1."""
    p = domain.upper()
    empty = pd.DataFrame({"USUBJID": pd.Series(dtype="object"), "TESTCD": pd.Series(dtype="object"),
                          "value": pd.Series(dtype="float64")})
    if findings.empty or "USUBJID" not in findings:
        return empty
    test = column(findings, f"{p}TESTCD")
    wanted = [c for c in ("USUBJID", f"{p}TESTCD", f"{p}STRESN", f"{p}BLFL", f"{p}DY", f"{p}DT") if c in findings]
    rows = findings[wanted].loc[test.isin(list(testcds)).to_numpy()]
    value = pd.to_numeric(column(rows, f"{p}STRESN", "float"), errors="coerce")
    flagged = (column(rows, f"{p}BLFL") == "Y").to_numpy()
    day = pd.to_numeric(column(rows, f"{p}DY", "float"), errors="coerce").to_numpy()
    keep = value.notna().to_numpy() & (flagged | (day <= 1))
    frame = pd.DataFrame({"USUBJID": rows["USUBJID"].to_numpy()[keep],
                          "TESTCD": column(rows, f"{p}TESTCD").to_numpy()[keep],
                          "value": value.to_numpy()[keep], "flag": flagged[keep], "day": day[keep],
                          "date": column(rows, f"{p}DT", "date").to_numpy()[keep]})
    if frame.empty:
        return empty
    frame = frame.sort_values(["USUBJID", "TESTCD", "flag", "day", "date"],
                              ascending=[True, True, False, False, False], na_position="last", kind="stable")
    return frame.drop_duplicates(["USUBJID", "TESTCD"])[["USUBJID", "TESTCD", "value"]].reset_index(drop=True)


def baseline_values(subjects: pd.DataFrame, measures: Sequence[Measure],
                    domains: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per subject: USUBJID, AGE, SEX and one column per measure (test code) at baseline."""
    out = subjects[["USUBJID", "AGE", "SEX"]].reset_index(drop=True)
    for domain in sorted({m.domain for m in measures}):
        codes = [m.testcd for m in measures if m.domain == domain]
        found = baseline_findings(domains.get(domain, pd.DataFrame()), domain, codes)
        wide = found.pivot(index="USUBJID", columns="TESTCD", values="value") if len(found) else pd.DataFrame()
        for code in codes:
            out[code] = out["USUBJID"].map(wide[code]) if code in wide else np.nan
    return out


def _decimals(values: pd.Series) -> int:
    typical = values.abs().median()
    if pd.isna(typical) or typical >= 100:
        return 0
    return 1 if typical >= 10 else 2


def _continuous(values: pd.Series, decimals: int) -> list[str]:
    v = values.dropna()
    if v.empty:
        return ["0", "–", "–", "–"]
    f = f"{{:.{decimals}f}}"
    sd = f.format(v.std()) if len(v) > 1 else "–"
    q1, med, q3 = v.quantile([0.25, 0.5, 0.75])
    return [str(len(v)), f"{f.format(v.mean())} ({sd})", f"{f.format(med)} [{f.format(q1)}, {f.format(q3)}]",
            f"{f.format(v.min())}, {f.format(v.max())}"]


def _categorical(values: pd.Series, categories: Sequence[str]) -> list[str]:
    v = values.fillna("").astype(str).str.strip().replace("", "Missing")
    n = len(v)
    counts = v.value_counts()
    return [str(n)] + [f"{int(counts.get(c, 0))} ({100.0 * counts.get(c, 0) / n:.1f} %)" if n else "0"
                       for c in categories]


def _row_keys(values: pd.DataFrame, measures: Sequence[Measure],
              absent: frozenset[str] = frozenset()) -> tuple[list[tuple[str, str]], list[str], dict]:
    """Row labels (characteristic, statistic), sex categories and decimals, all from the pooled values."""
    sexes = sorted(values["SEX"].fillna("").astype(str).str.strip().replace("", "Missing").unique().tolist(),
                   key=lambda s: (s == "Missing", s))
    decimals = {m.testcd: _decimals(values[m.testcd]) for m in measures}
    decimals["AGE"] = 1
    stats = ["n", "Mean (SD)", "Median [Q1, Q3]", "Min, max"]
    keys = [("Age (years)", s) for s in stats] + [("Sex", "n")] + [("Sex", f"{s}, n (%)") for s in sexes]
    for m in measures:
        keys += [(m.title, NOT_IN_CUT)] if m.testcd in absent else [(m.title, s) for s in stats]
    return keys, sexes, decimals


def _group_column(values: pd.DataFrame, measures: Sequence[Measure], sexes: list[str], decimals: dict,
                  absent: frozenset[str] = frozenset()) -> list[str]:
    cells = _continuous(values["AGE"], decimals["AGE"]) + _categorical(values["SEX"], sexes)
    for m in measures:
        cells += [""] if m.testcd in absent else _continuous(values[m.testcd], decimals[m.testcd])
    return cells


def baseline_summary(values: pd.DataFrame, measures: Sequence[Measure],
                     absent: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Pooled table: characteristic, statistic, and one column 'All randomized (N=..)'; a measure in `absent`
    (no record in the cut, `absent_measures`) is one row 'not in this cut'."""
    keys, sexes, decimals = _row_keys(values, measures, absent)
    table = pd.DataFrame(keys, columns=SUMMARY_KEYS)
    table[f"{POOLED_LABEL} (N={len(values)})"] = _group_column(values, measures, sexes, decimals, absent)
    return table


def baseline_summary_by_arm(values: pd.DataFrame, measures: Sequence[Measure], arm_of: pd.Series,
                            arm_labels: Sequence[str], absent: frozenset[str] = frozenset()) -> pd.DataFrame:
    """The pooled table plus one column per arm ('Group A (N=..)'), arms in display order."""
    table = baseline_summary(values, measures, absent)
    _, sexes, decimals = _row_keys(values, measures, absent)
    arm = values["USUBJID"].map(arm_of.astype(object))
    for label in arm_labels:
        group = values.loc[(arm == label).to_numpy()]
        table[f"{label} (N={len(group)})"] = _group_column(group, measures, sexes, decimals, absent)
    return table


DEVIATION_COLUMNS = ["USUBJID", "SITEID", "check", "value", "protocol_rule", "source"]


def _flag(frame: pd.DataFrame, mask: pd.Series, check: str, values: pd.Series | str, rule: str,
          source: str) -> pd.DataFrame:
    sub = frame.loc[mask.to_numpy()]
    shown = values[mask.to_numpy()].to_numpy() if isinstance(values, pd.Series) else values
    return pd.DataFrame({"USUBJID": sub["USUBJID"].to_numpy(), "SITEID": sub["SITEID"].to_numpy(), "check": check,
                         "value": shown, "protocol_rule": rule, "source": source})


def _number(values: pd.Series, unit: str) -> pd.Series:
    return values.map(lambda v: f"{v:g}{unit}" if pd.notna(v) else "not recorded")


# CDISC controlled-terminology names of common vital-sign tests, for checks on a test no outcome names.
TEST_NAMES = {"OXYSAT": "SpO2", "RESP": "respiratory rate", "SYSBP": "systolic blood pressure",
              "DIABP": "diastolic blood pressure", "PULSE": "pulse rate", "HR": "heart rate", "TEMP": "temperature",
              "WEIGHT": "weight", "HEIGHT": "height", "BMI": "body mass index"}


def _lower_first(name: str) -> str:
    """'Respiratory rate' -> 'respiratory rate' inside a sentence; 'SpO2' and 'CD4+ T cells' stay as they are."""
    first = name.split(" ", 1)[0]
    return name[0].lower() + name[1:] if first[1:].islower() else name


def _check_values(frame: pd.DataFrame, check: EligibilityCheck, domains: Mapping[str, pd.DataFrame] | None,
                  values: pd.DataFrame) -> pd.Series:
    """The value each randomized subject is checked on: a DM column, or the test's baseline in its domain (from
    `domains` when given, else the column of `values` named by the test code)."""
    if check.domain == "DM":
        return pd.to_numeric(column(frame, check.variable, "float"), errors="coerce")
    if domains is not None:
        found = baseline_findings(domains.get(check.domain, pd.DataFrame()), check.domain, [check.variable])
        return frame["USUBJID"].map(found.set_index("USUBJID")["value"]).astype("float64")
    if check.variable in values:
        return frame["USUBJID"].map(values.set_index("USUBJID")[check.variable]).astype("float64")
    return pd.Series(np.nan, index=frame.index, dtype="float64")


def check_rule(check: EligibilityCheck) -> str:
    """The protocol rule as shown: a DM range is spelled out ('Age 25 to 75 years'), a findings check by its label."""
    if check.domain != "DM":
        return check.label
    if check.min is not None and check.max is not None:
        return f"{check.label} {check.min:g} to {check.max:g}{check.unit}"
    return f"{check.label} at least {check.min:g}" if check.min is not None else f"{check.label} at most {check.max:g}"


def _check_deviations(frame: pd.DataFrame, check: EligibilityCheck, value: pd.Series, name: str) -> pd.DataFrame:
    """Rows for one check: below min (or not above it), above max, and not recorded."""
    rule, shown, unit, parts = check_rule(check), _number(value, check.unit), check.unit, []
    subject = name if check.domain == "DM" else f"Baseline {_lower_first(name)}"
    unit = "" if check.domain == "DM" else unit     # 'Age below 25', 'Baseline SpO2 above 90 %'
    if check.min is not None:
        low = value <= check.min if check.min_exclusive else value < check.min
        word = "not above" if check.min_exclusive else "below"
        parts.append(_flag(frame, low, f"{subject} {word} {check.min:g}{unit}", shown, rule, check.domain))
    if check.max is not None:
        parts.append(_flag(frame, value > check.max, f"{subject} above {check.max:g}{unit}", shown, rule,
                           check.domain))
    parts.append(_flag(frame, value.isna(), f"{subject} not recorded", shown, rule, check.domain))
    return pd.concat(parts, ignore_index=True)


def eligibility_deviations(randomized: pd.DataFrame, values: pd.DataFrame, ie: pd.DataFrame,
                           eligibility: Eligibility, reason_labels: Mapping[str, str], *,
                           domains: Mapping[str, pd.DataFrame] | None = None,
                           test_names: Mapping[str, str] | None = None,
                           consent_recorded: bool = True) -> pd.DataFrame:
    """Possible protocol deviations among randomized subjects, one row per subject and check, sorted by subject.

    The checks are the configuration's (`Eligibility.all_checks`): a DM variable, or a findings test at baseline.
    A test is named by `test_names` (the configured outcome labels), else its CDISC name, else its code.
    `consent_recorded` False (the export records informed consent for nobody: DM RFICDTC empty, no DS record)
    leaves out the per-subject "no informed consent recorded" rows; the caller says consent was not checked."""
    frame = randomized.merge(values.drop(columns=["AGE", "SEX"], errors="ignore"), on="USUBJID", how="left")
    names = {**TEST_NAMES, **(test_names or {})}
    parts = []
    for check in eligibility.all_checks():
        name = check.label if check.domain == "DM" else names.get(check.variable, check.variable)
        value = _check_values(frame, check, domains, values)
        parts.append(_check_deviations(frame, check, value.reset_index(drop=True).set_axis(frame.index), name))
    parts.append(_consent_checks(frame, consent_recorded))
    parts.append(_ie_failures(frame, ie, reason_labels))
    return combine_deviations(*parts)


def _consent_checks(frame: pd.DataFrame, consent_recorded: bool = True) -> pd.DataFrame:
    day = frame["RAND_DT"].dt.date.astype(str)
    before = frame["CONSENT_DT"] > frame["RAND_DT"]
    dosed_early = (frame["DOSES"] > 0) & (frame["DAY1_DT"] < frame["RAND_DT"])
    return pd.concat([
        _flag(frame, ~frame["CONSENTED"] & consent_recorded, "No informed consent recorded", "",
              "Signed informed consent", "DM/DS"),
        _flag(frame, before, "Randomized before informed consent",
              "consent " + frame["CONSENT_DT"].dt.date.astype(str) + ", randomized " + day,
              "Consent before randomization", "DM/DS"),
        _flag(frame, dosed_early, "Dosed before randomization",
              "first infusion " + frame["DAY1_DT"].dt.date.astype(str) + ", randomized " + day,
              "Randomization before the first infusion", "EX"),
    ], ignore_index=True)


def _ie_failures(frame: pd.DataFrame, ie: pd.DataFrame, reason_labels: Mapping[str, str]) -> pd.DataFrame:
    """Criteria recorded as not met (IE) for subjects who were nevertheless randomized."""
    if "USUBJID" not in ie or ie.empty:
        return pd.DataFrame(columns=DEVIATION_COLUMNS)
    rows = ie.loc[ie["USUBJID"].isin(frame["USUBJID"])]
    code = column(rows, "IETESTCD").fillna("").astype(str)
    test = column(rows, "IETEST").fillna("").astype(str)
    reason = [reason_labels.get(c) or t or c for c, t in zip(code, test)]
    site = rows["USUBJID"].map(frame.set_index("USUBJID")["SITEID"])
    result = column(rows, "IEORRES").fillna("").astype(str)
    return pd.DataFrame({"USUBJID": rows["USUBJID"].to_numpy(), "SITEID": site.to_numpy(),
                         "check": [f"Criterion not met: {r}" for r in reason],
                         "value": np.where(recorded(result), code + " = " + result, code),
                         "protocol_rule": [reason_labels.get(c, "") for c in code], "source": "IE"})


TREATED_AS_OTHER_ARM = "Dosed with another arm's product"


def treatment_deviations(randomized: pd.DataFrame, arm_of: pd.Series, treated_arm_of: pd.Series) -> pd.DataFrame:
    """Closed session only: randomized subjects treated as an arm other than their own (DM ACTARMCD vs ARMCD).

    `arm_of` and `treated_arm_of` are the planned and actual arm labels of `ArmedTrialData` (coded or real as
    the access allows); the actual arm is the planned one where ACTARMCD names no arm (not treated), so only a
    subject given another arm's product is listed. Never called for a blinded user: the pooled listing is
    `eligibility_deviations` alone, whatever happened here.
    """
    planned = randomized["USUBJID"].map(arm_of.astype(object))
    treated = randomized["USUBJID"].map(treated_arm_of.astype(object))
    mismatch = planned.notna() & treated.notna() & (planned != treated)
    value = "randomized to " + planned.astype(str) + ", treated as " + treated.astype(str)
    return _flag(randomized, mismatch, TREATED_AS_OTHER_ARM, value, "Treatment as randomized",
                 "DM ARMCD / ACTARMCD")[DEVIATION_COLUMNS]


def combine_deviations(*listings: pd.DataFrame) -> pd.DataFrame:
    """Deviation listings as one, one row per subject and check, sorted by subject then check."""
    parts = [listing for listing in listings if len(listing)]
    if not parts:
        return pd.DataFrame(columns=DEVIATION_COLUMNS)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["USUBJID", "check"], kind="stable").reset_index(drop=True)[DEVIATION_COLUMNS]
