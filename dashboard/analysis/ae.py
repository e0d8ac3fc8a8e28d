"""Adverse-event summaries: overview, incidence by SOC / PT and by maximum severity, risk differences.

Pooled functions take no arm; the `_by_arm` functions take `arm_of` (USUBJID -> arm label) explicitly.
Wide frames name their count columns by group position (`n0`, `pct0`, `ev0`...): the arms in display
order, then the total; pooled frames have the total alone.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import confint_proportions_2indep

from dashboard.analysis.safety import GROUP, SEVERITIES, assign_groups, group_sizes, percent

OVERVIEW_CATEGORIES = (
    ("ANY", "Any adverse event"),
    ("RELATED", "Any related adverse event"),
    ("SERIOUS", "Any serious adverse event"),
    ("SEVERE", "Any severe (or grade 3+) adverse event"),
    ("DISCONT", "Any adverse event leading to discontinuation"),
    ("FATAL", "Any fatal adverse event"),
)
NOT_ASSESSABLE = ("NOT_ASSESSABLE", "Causality not assessable (AEREL missing or outside the configured vocabulary)")
DISCONT_SOURCES = {"AEACN": "action taken AEACN = drug withdrawn",
                   "DS": "disposition reason ADVERSE EVENT in DS; AEACN is not recorded in this study"}
# the AE columns each overview category is read from (`safety.adverse_events`)
CATEGORY_COLUMNS = {"SERIOUS": ("AESER",), "SEVERE": ("AESEV", "AETOXGR"), "DISCONT": ("AEACN",),
                    "FATAL": ("AEOUT", "AESDTH")}
KEYS = ["LEVEL", "AEBODSYS", "AEDECOD"]
ANY_LABEL = "Any adverse event"
SEVERITY_RANK = {"MILD": 1, "MODERATE": 2, "SEVERE": 3, "UNKNOWN": 3}


def subject_counts(events: pd.DataFrame, keys: list[str], sizes: pd.Series) -> pd.DataFrame:
    """Subjects and events per key and group, one row per key, columns n<i>, pct<i>, ev<i> by group position."""
    subjects = events.drop_duplicates([GROUP, *keys, "USUBJID"]).groupby([*keys, GROUP], sort=True).size()
    counted = events.groupby([*keys, GROUP], sort=True).size()
    groups = list(sizes.index)
    n = subjects.unstack(GROUP).reindex(columns=groups).fillna(0).astype(int)
    ev = counted.unstack(GROUP).reindex(index=n.index, columns=groups).fillna(0).astype(int)
    out = pd.DataFrame(index=n.index)
    for i, g in enumerate(groups):
        out[f"n{i}"] = n[g].to_numpy()
        out[f"pct{i}"] = percent(n[g].to_numpy(), sizes[g])
        out[f"ev{i}"] = ev[g].to_numpy()
    return out


def not_recorded(ae: pd.DataFrame, discont_source: str = "AEACN") -> dict[str, str]:
    """Overview category -> why it cannot be counted: every column it is read from is empty on every AE record
    (pharmaverse ADaM: AEACN), so 0 would be a number the data do not support. Discontinuation from DS is read
    from DS instead, so AEACN does not matter there."""
    out = {}
    for flag, names in CATEGORY_COLUMNS.items():
        if flag == "DISCONT" and discont_source == "DS":
            continue
        if not any(name in ae and ae[name].astype("str").str.strip().fillna("").ne("").any() for name in names):
            out[flag] = f"{' and '.join(names)} empty"
    return out


def overview_categories(events: pd.DataFrame, discont_source: str = "AEACN",
                        unrecorded: Mapping[str, str] | None = None) -> tuple[tuple[str, str], ...]:
    """The overview rows for these events: the discontinuation row names its source ('AEACN' or 'DS'), a row in
    `unrecorded` (`not_recorded`) says 'not recorded' and why; a row 'causality not assessable' follows when any
    event's AEREL is in neither configured list (counted, not dropped)."""
    source = DISCONT_SOURCES.get(discont_source, discont_source)
    unrecorded = unrecorded or {}
    rows = tuple((flag, f"{label}: not recorded ({unrecorded[flag]})" if flag in unrecorded else
                  f"{label} ({source})" if flag == "DISCONT" else label) for flag, label in OVERVIEW_CATEGORIES)
    if "NOT_ASSESSABLE" in events and events["NOT_ASSESSABLE"].any():
        rows += (NOT_ASSESSABLE,)
    return rows


def subjects_only(discont_source: str) -> tuple[str, ...]:
    """Overview rows whose events cannot be counted: the DS reason ADVERSE EVENT names no AE, so the
    discontinuation row from DS counts subjects only (its events would be every TEAE of those subjects)."""
    return ("DISCONT",) if discont_source == "DS" else ()


def _overview(events: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series | None,
              categories: tuple[tuple[str, str], ...] | None = None,
              no_events: Collection[str] = (), unrecorded: Collection[str] = ()) -> pd.DataFrame:
    sizes = group_sizes(population, arm_of)
    flagged = assign_groups(events.assign(ANY=True), arm_of)
    rows = []
    for flag, label in categories or OVERVIEW_CATEGORIES:
        part = flagged[flagged[flag]].assign(CATEGORY=flag)
        counts = subject_counts(part, ["CATEGORY"], sizes).reindex([flag]).fillna(0)
        rows.append(counts.assign(LABEL=label))
    out = finish_counts(pd.concat(rows).rename_axis("CATEGORY").reset_index(), sizes, ["CATEGORY", "LABEL"])
    blank = out["CATEGORY"].isin(list(no_events)).to_numpy()
    for i in range(len(sizes)):
        out[f"ev{i}"] = out[f"ev{i}"].astype("float64").where(~blank)     # NaN: shown as '—', not a count
    unknown = out["CATEGORY"].isin(list(unrecorded)).to_numpy()
    for i in range(len(sizes)):                                          # NaN: shown as 'not recorded', not 0
        for name in (f"n{i}", f"pct{i}", f"ev{i}"):
            out[name] = out[name].astype("float64").where(~unknown)
    return out


def finish_counts(frame: pd.DataFrame, sizes: pd.Series, keys: list[str]) -> pd.DataFrame:
    """Integer counts, N per group as columns N<i>, keys first."""
    for i in range(len(sizes)):
        frame[f"n{i}"] = frame[f"n{i}"].astype(int)
        frame[f"ev{i}"] = frame[f"ev{i}"].astype(int)
        frame[f"N{i}"] = int(sizes.iloc[i])
    value_columns = [c for c in frame.columns if c not in keys]
    return frame[keys + value_columns].reset_index(drop=True)


def ae_overview(events: pd.DataFrame, population: pd.DataFrame,
                categories: tuple[tuple[str, str], ...] | None = None, no_events: Collection[str] = (),
                unrecorded: Collection[str] = ()) -> pd.DataFrame:
    """Subjects (n, %) and events per overview category (default `OVERVIEW_CATEGORIES`), pooled over all subjects;
    the categories in `no_events` get no event count (NaN), those in `unrecorded` no count at all (NaN)."""
    return _overview(events, population, None, categories, no_events, unrecorded)


def ae_overview_by_arm(events: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series,
                       categories: tuple[tuple[str, str], ...] | None = None,
                       no_events: Collection[str] = (), unrecorded: Collection[str] = ()) -> pd.DataFrame:
    """Subjects (n, %) and events per overview category for each arm and the total (`no_events`, `unrecorded` as
    pooled)."""
    return _overview(events, population, arm_of, categories, no_events, unrecorded)


def _incidence(events: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series | None) -> pd.DataFrame:
    sizes = group_sizes(population, arm_of)
    grouped = assign_groups(events[["USUBJID", "AEBODSYS", "AEDECOD"]], arm_of)
    any_ae = subject_counts(grouped.assign(LEVEL="ALL", AEBODSYS=ANY_LABEL, AEDECOD=""), KEYS, sizes)
    any_ae = any_ae.reindex(pd.MultiIndex.from_tuples([("ALL", ANY_LABEL, "")], names=KEYS)).fillna(0)
    soc = subject_counts(grouped.assign(LEVEL="SOC", AEDECOD=""), KEYS, sizes)
    pt = subject_counts(grouped.assign(LEVEL="PT"), KEYS, sizes)
    out = pd.concat([any_ae, soc, pt]).reset_index()
    return finish_counts(out, sizes, KEYS)


def ae_incidence(events: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Subjects with an event per SOC and PT (a subject counts once per term), pooled; first row: any event."""
    return _incidence(events, population, None)


def ae_incidence_by_arm(events: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series,
                        reference: int = 0) -> pd.DataFrame:
    """Incidence per SOC and PT for each arm and the total, with each arm's risk difference against the reference
    arm (position `reference` in display order)."""
    table = _incidence(events, population, arm_of)
    return add_risk_differences(table, n_arms=len(group_sizes(population, arm_of)) - 1, reference=reference)


def add_risk_differences(table: pd.DataFrame, n_arms: int, reference: int = 0) -> pd.DataFrame:
    """Columns rd<i>, lo<i>, hi<i> for every arm i but the reference: arm i minus the reference arm in proportion,
    95 % Newcombe hybrid-score interval."""
    out = table.copy()
    n0, N0 = out[f"n{reference}"].to_numpy(float), out[f"N{reference}"].to_numpy(float)
    for i in (i for i in range(n_arms) if i != reference):
        ni, Ni = out[f"n{i}"].to_numpy(float), out[f"N{i}"].to_numpy(float)
        ok = (Ni > 0) & (N0 > 0)
        rd = np.full(len(out), np.nan)
        lo = np.full(len(out), np.nan)
        hi = np.full(len(out), np.nan)
        if ok.any():
            low, upp = confint_proportions_2indep(ni[ok], Ni[ok], n0[ok], N0[ok], method="newcomb", compare="diff")
            rd[ok] = ni[ok] / Ni[ok] - n0[ok] / N0[ok]
            lo[ok], hi[ok] = np.atleast_1d(low), np.atleast_1d(upp)
        out[f"rd{i}"], out[f"lo{i}"], out[f"hi{i}"] = rd, lo, hi
    return out


def _max_severity(events: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series | None) -> pd.DataFrame:
    sizes = group_sizes(population, arm_of)
    rank = events["AESEV"].map(SEVERITY_RANK).fillna(3).astype(int)
    base = events[["USUBJID", "AEBODSYS", "AEDECOD"]].assign(RANK=rank.to_numpy())
    levels = [base.assign(LEVEL="ALL", AEBODSYS=ANY_LABEL, AEDECOD=""), base.assign(LEVEL="SOC", AEDECOD=""),
              base.assign(LEVEL="PT")]
    worst = pd.concat(levels, ignore_index=True).groupby([*KEYS, "USUBJID"], sort=False)["RANK"].max()
    worst = assign_groups(worst.reset_index(), arm_of)
    table = None
    for sev in SEVERITIES:
        part = subject_counts(worst[worst["RANK"] == SEVERITY_RANK[sev]], KEYS, sizes)
        part = part.rename(columns={c: f"{c}_{sev}" for c in part.columns})
        table = part if table is None else table.join(part, how="outer")
    table = table.fillna(0) if table is not None else pd.DataFrame()
    keys = _incidence(events, population, arm_of)[KEYS]
    table = table.reindex(pd.MultiIndex.from_frame(keys)).fillna(0).reset_index()
    for i in range(len(sizes)):
        for sev in SEVERITIES:
            table[f"n{i}_{sev}"] = table[f"n{i}_{sev}"].astype(int)
            table[f"pct{i}_{sev}"] = percent(table[f"n{i}_{sev}"], sizes.iloc[i])
        table[f"N{i}"] = int(sizes.iloc[i])
    return table[KEYS + [c for c in table.columns if c not in KEYS and not c.startswith("ev")]]


def ae_max_severity(events: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    """Subjects by their maximum severity per SOC and PT (unknown severity counts as severe), pooled."""
    return _max_severity(events, population, None)


def ae_max_severity_by_arm(events: pd.DataFrame, population: pd.DataFrame, arm_of: pd.Series) -> pd.DataFrame:
    """Subjects by their maximum severity per SOC and PT, for each arm and the total."""
    return _max_severity(events, population, arm_of)


def order_incidence(table: pd.DataFrame, sort: str = "incidence") -> pd.DataFrame:
    """Classes then their terms: by total subjects (descending) or alphabetically; 'rd' orders by the first risk
    difference column's |rd| (closed only)."""
    total = max(int(c[1:]) for c in table.columns if c.startswith("N") and c[1:].isdigit())
    first_rd = next((c for c in table.columns if c.startswith("rd") and c[2:].isdigit()), None)
    if sort == "rd" and first_rd:
        # + 0.0 turns -0.0 into 0.0: a sort key holding both was reported to fail ('categories must be unique')
        score = -table[first_rd].abs().fillna(-1.0) + 0.0
    elif sort == "alpha":
        score = pd.Series(0.0, index=table.index)
    elif f"n{total}" in table:
        score = -table[f"n{total}"].astype(float)
    else:
        score = -sum(table[f"n{total}_{sev}"].astype(float) for sev in SEVERITIES)
    level = table["LEVEL"].map({"ALL": 0, "SOC": 1, "PT": 1})
    soc_rows = table["LEVEL"] == "SOC"
    soc_score = pd.Series(score[soc_rows].to_numpy(), index=table.loc[soc_rows, "AEBODSYS"])
    keyed = table.assign(_level=level, _soc=table["AEBODSYS"].map(soc_score).fillna(0.0),
                         _is_pt=(table["LEVEL"] == "PT").astype(int), _score=score.where(table["LEVEL"] == "PT", 0.0))
    keyed = keyed.sort_values(["_level", "_soc", "AEBODSYS", "_is_pt", "_score", "AEDECOD"], kind="stable")
    return keyed.drop(columns=["_level", "_soc", "_is_pt", "_score"]).reset_index(drop=True)


def visible_rows(table: pd.DataFrame, expanded: Collection[str] | None) -> pd.DataFrame:
    """Rows of an ordered incidence table with terms shown only under expanded classes (None: all expanded)."""
    if expanded is None:
        return table
    keep = (table["LEVEL"] != "PT") | table["AEBODSYS"].isin(list(expanded))
    return table[keep].reset_index(drop=True)


FOREST_MIN_INCIDENCE = 0.10


def forest_rows(table: pd.DataFrame, top_n: int) -> pd.DataFrame:
    """Preferred terms reported in at least 10 % of subjects of any arm, highest arm incidence first, at most `top_n`.

    Selecting by incidence in any arm (not overall) keeps a term frequent in one arm only, which is
    the imbalance a board looks for.
    """
    groups = sorted(int(c[1:]) for c in table.columns if c.startswith("N") and c[1:].isdigit())
    arms = groups[:-1] or groups  # the last group is all subjects together
    pts = table[table["LEVEL"] == "PT"]
    highest = pd.concat([pts[f"n{i}"] / pts[f"N{i}"].where(pts[f"N{i}"] > 0) for i in arms], axis=1).max(axis=1)
    pts = pts.assign(_rate=-highest)[highest >= FOREST_MIN_INCIDENCE]
    pts = pts.sort_values(["_rate", "AEDECOD", "AEBODSYS"], kind="stable").head(max(int(top_n), 0))
    return pts.drop(columns="_rate").reset_index(drop=True)
