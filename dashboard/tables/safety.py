"""Safety tables: AG Grid column definitions, the rows of the grids ('n (%)' cells, the SOC/PT tree, the click
state of its classes) and the small summary tables (shift matrices, quadrant and baseline tables).

Pure: frames in, column definitions, row records or Dash table components out. Layouts own the ids; views call these.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import html
from dash.development.base_component import Component

from dashboard.analysis.labs import CATEGORIES
from dashboard.analysis.safety import GROUP, SEVERITIES
from dashboard.analysis.safety_base import NEVER_DOSED, NOT_IN_SAFETY, OTHER_ARM
from layouts.common import NUMBER_COLUMN

OPEN_MARK, CLOSED_MARK = "▾ ", "▸ "


NOT_RECORDED = "not recorded"


def n_pct(n: pd.Series, pct: pd.Series) -> list[str]:
    """'n (p.p%)' cells; '0' when nobody, 'n' alone when the percentage is undefined, 'not recorded' when the count
    is (NaN: the column it counts is empty throughout, `ae.not_recorded`)."""
    out = []
    for count, p in zip(n.to_numpy(), pct.to_numpy()):
        if pd.isna(count):
            out.append(NOT_RECORDED)
            continue
        count = int(count)
        out.append("0" if count == 0 else (f"{count}" if np.isnan(p) else f"{count} ({p:.1f}%)"))
    return out


def group_headers(sizes: pd.Series) -> list[str]:
    """Column headers of a group table: each group's label with its number of subjects, 'Group A (N=14)'."""
    return [f"{label} (N={int(n)})" for label, n in sizes.items()]


def fraction_cells(n: pd.Series, total: pd.Series, pct: pd.Series) -> list[str]:
    """'n/N (p.p%)' cells, for rows whose denominators differ from the column's N; '0/N' when nobody."""
    out = []
    for count, size, p in zip(n.to_numpy(), total.to_numpy(), pct.to_numpy()):
        count, size = int(count), int(size)
        out.append(f"{count}/{size}" if count == 0 or np.isnan(p) else f"{count}/{size} ({p:.1f}%)")
    return out


def group_count(table: pd.DataFrame) -> int:
    """How many groups a wide count table holds (columns N0, N1, ...)."""
    return sum(1 for c in table.columns if c.startswith("N") and c[1:].isdigit())


def count_cells(table: pd.DataFrame, keys: Sequence[str], *, fractions: bool = False) -> pd.DataFrame:
    """`keys` plus g<i> ('n (%)', or 'n/N (%)' with `fractions`) and e<i> (events) for every group of a wide
    count table."""
    out = table[list(keys)].copy()
    for i in range(group_count(table)):
        out[f"g{i}"] = (fraction_cells(table[f"n{i}"], table[f"N{i}"], table[f"pct{i}"]) if fractions
                        else n_pct(table[f"n{i}"], table[f"pct{i}"]))
        out[f"e{i}"] = event_cells(table[f"ev{i}"])
    return out


NO_COUNT = "—"


def event_cells(events: pd.Series) -> list[object]:
    """Event counts as integers; '—' where the count is not defined (NaN: a row counting subjects only)."""
    return [NO_COUNT if pd.isna(v) else int(v) for v in events.to_numpy()]


def risk_cell(rd: float, lo: float, hi: float) -> str:
    """'+12.5 (-3.1, 27.0)' in percentage points; '–' when undefined."""
    if np.isnan(rd):
        return "–"
    return f"{100 * rd:+.1f} ({100 * lo:.1f}, {100 * hi:.1f})"


def incidence_rows(table: pd.DataFrame, expanded: Collection[str] | None, severity: bool) -> pd.DataFrame:
    """Grid rows of an ordered incidence table: SOC cell with an expand mark, PT cell, counts, risk differences."""
    marks = np.where(table["LEVEL"] == "SOC",
                     np.where(table["AEBODSYS"].isin(list(expanded) if expanded is not None else
                                                     table["AEBODSYS"].tolist()), OPEN_MARK, CLOSED_MARK), "")
    out = pd.DataFrame({"LEVEL": table["LEVEL"].to_numpy(),
                        "SOC": np.where(table["LEVEL"] == "PT", "", marks + table["AEBODSYS"].astype(str)),
                        "PT": np.where(table["LEVEL"] == "PT", table["AEDECOD"].astype(str), "")})
    for i in range(group_count(table)):
        if severity:
            for sev in SEVERITIES:
                out[f"g{i}_{sev}"] = n_pct(table[f"n{i}_{sev}"], table[f"pct{i}_{sev}"])
        else:
            out[f"g{i}"] = n_pct(table[f"n{i}"], table[f"pct{i}"])
            out[f"e{i}"] = table[f"ev{i}"].astype(int).to_numpy()
    if not severity:
        for c in [c for c in table.columns if c.startswith("rd") and c[2:].isdigit()]:
            i = c[2:]
            out[c] = [risk_cell(r, lo, hi) for r, lo, hi in zip(table[c], table[f"lo{i}"], table[f"hi{i}"])]
    return out


def clicked_class(cell: dict | None) -> str | None:
    """The system organ class named by a click on the SOC column of the incidence grid, if any."""
    if not isinstance(cell, dict) or cell.get("colId") != "SOC" or not isinstance(cell.get("value"), str):
        return None
    value = cell["value"]
    for mark in (OPEN_MARK, CLOSED_MARK):
        if value.startswith(mark):
            return value[len(mark):]
    return None


def toggle(expanded: Sequence[str] | None, name: str | None) -> list[str]:
    """The expanded classes after clicking `name` (sorted, so the store never depends on click order)."""
    current = set(expanded or [])
    if name:
        current ^= {name}
    return sorted(current)


def shift_matrix(shift: pd.DataFrame, group: str) -> tuple[list[str], list[list[object]]]:
    """Header and rows of one group's shift table (baseline in rows, worst post-baseline in columns)."""
    part = shift[shift[GROUP] == group].pivot(index="BASELINE", columns="WORST", values="N")
    part = part.reindex(index=list(CATEGORIES), columns=list(CATEGORIES)).fillna(0).astype(int)
    header = ["Baseline \\ worst post-baseline", *[c.title() for c in CATEGORIES], "Total"]
    rows = [[b.title(), *part.loc[b].tolist(), int(part.loc[b].sum())] for b in CATEGORIES]
    rows.append(["Total", *part.sum(axis=0).astype(int).tolist(), int(part.to_numpy().sum())])
    return header, rows


def band_rows(bands: pd.DataFrame, column: str, groups: Sequence[str], categories: Sequence[str]) -> list[list[str]]:
    """Rows: category, then 'n (%)' per group."""
    rows = []
    for cat in categories:
        row: list[str] = [cat]
        for g in groups:
            hit = bands[(bands[GROUP] == g) & (bands[column] == cat)]
            row.extend(n_pct(hit["N"], hit["PCT"]) or ["0"])
        rows.append(row)
    return rows


def _median_iqr(median: float, q1: float, q3: float, n: int, decimals: int) -> str:
    if n == 0 or np.isnan(median):
        return "–"
    return f"{median:,.{decimals}f} ({q1:,.{decimals}f} to {q3:,.{decimals}f}), n={n}"


def lab_decimals(summary: pd.DataFrame, significant: int = 3) -> int:
    """One number of decimals for every value of a test's table: `significant` digits of its typical baseline
    (the median of the first statistic's medians), 0 to 4; so 8.97 (1.31 to 16.90), not 8.967 (1.312 to 16.9)."""
    first = summary[summary["STAT"] == summary["STAT"].iloc[0]] if len(summary) else summary
    typical = float(np.nanmedian(np.abs(first["MEDIAN"].to_numpy(float)))) if len(first) else np.nan
    if not np.isfinite(typical) or typical == 0:
        return 2
    return int(min(4, max(0, significant - 1 - int(np.floor(np.log10(typical))))))


def baseline_rows(summary: pd.DataFrame, groups: Sequence[str], unit: str) -> list[list[str]]:
    """Rows of the baseline and change table: statistic with its unit, then 'median (Q1 to Q3), n' per group, every
    number with the test's decimals (`lab_decimals`)."""
    rows, decimals = [], lab_decimals(summary)
    for key in dict.fromkeys(summary["STAT"]):
        part = summary[summary["STAT"] == key].set_index(GROUP)
        label = str(part["LABEL"].iloc[0]) + (f" ({unit})" if unit else "")
        rows.append([label, *(_median_iqr(*part.loc[g, ["MEDIAN", "Q1", "Q3"]], int(part.loc[g, "N"]), decimals)
                              for g in groups)])
    return rows


MAX_IDS = 20


def _per_arm(counts: pd.Series) -> str:
    return " · ".join(f"{arm} {int(n)}" for arm, n in counts.items() if n)


def _ids(subjects: pd.Series) -> str:
    shown = ", ".join(subjects.astype(str).head(MAX_IDS))
    more = len(subjects) - MAX_IDS
    return shown + (f" and {more} more" if more > 0 else "")


def population_lines(sizes: pd.Series, randomized: int, difference: pd.DataFrame, basis: str,
                     arms: Sequence[str] = (), saffl: bool = False) -> list[str]:
    """The page's population statement: the safety population with its N (per arm when `arms`), the randomized
    N, and who is in one set and not the other (counts per arm and subject ids; arms only when `arms` is given);
    `saffl` when the delivered SAFFL restricted it (an ADaM cut), so the definition names the flag."""
    total = int(sizes.iloc[-1])
    per_arm = f" ({_per_arm(sizes.drop(sizes.index[-1]))})" if arms else ""
    who = "randomized subjects with at least one dose" + (" and SAFFL = Y (ADSL)" if saffl else "")
    lines = [f"Safety population ({basis}): {who}, N = {total}{per_arm}. Randomized: N = {randomized}."]
    for reason, said in ((NEVER_DOSED, "Randomized but never dosed, so not in the safety population"),
                         (NOT_IN_SAFETY, "Randomized and dosed, but left out of the safety population (SAFFL = N)")):
        left = difference[difference["REASON"] == reason]
        if len(left):
            by_arm = f" ({_per_arm(left['PLANNED'].value_counts().reindex(list(arms)).fillna(0))}, as randomized)" \
                if arms else ""
            lines.append(f"{said}: {len(left)}{by_arm}: {_ids(left['USUBJID'])}.")
    moved = difference[difference["REASON"] == OTHER_ARM]
    if arms and len(moved):
        pairs = moved.groupby(["PLANNED", "TREATED"], sort=True).size()
        text = "; ".join(f"randomized {p}, treated {t}: {int(n)}" for (p, t), n in pairs.items())
        lines.append(f"Treated in another arm than randomized: {len(moved)} ({text}): {_ids(moved['USUBJID'])}.")
    if len(lines) == 1:
        lines[0] += " The two sets are the same subjects" + (" in the same arms." if arms else ".")
    return lines


# Column definitions for the grids (pure helpers the callbacks use).
# Every column shares the card's width (flex) from a small minimum, so three or four arms and the total fit
# without a horizontal scroll; text that does not fit wraps (the row grows) and shows in full on hover.
# a wrapped cell's lines sit close together (the theme's line height is one whole row); words break between
# letters only when one cannot fit on a line of its own
WRAPPED_CELLS = {"wrapText": True, "autoHeight": True,
                 "cellStyle": {"lineHeight": "1.35", "paddingTop": "7px", "paddingBottom": "7px",
                               "wordBreak": "normal", "overflowWrap": "break-word"}}
# narrower cell padding than the theme's 17 px, so counts of four arms and the total fit on one line
COMPACT = {"--ag-cell-horizontal-padding": "8px"}
COMPACT_LISTING = {**COMPACT, "--ag-font-size": "12px"}      # listings hold up to 17 columns
GROUP_HEADER = {"wrapHeaderText": True, "autoHeaderHeight": True}


def _label_column(field: str, header: str, *, flex: int = 3, min_width: int = 170) -> dict[str, Any]:
    """A row-label column: widest share of the card, wrapped, the full label on hover."""
    return {"field": field, "headerName": header, "flex": flex, "minWidth": min_width, "tooltipField": field,
            **WRAPPED_CELLS}


def _count_column(field: str, header: str, min_width: int, flex: int = 3) -> dict[str, Any]:
    return {"field": field, "headerName": header, "type": "rightAligned", "flex": flex, "minWidth": min_width,
            **WRAPPED_CELLS}


def count_columns(groups: Sequence[str], *, events: bool = True, cell: str = "n (%)") -> list[dict[str, Any]]:
    """One column group per group header ('Group A (N=14)'): `cell` ('n (%)') and, optionally, the events."""
    columns = []
    for i, label in enumerate(groups):
        children = [_count_column(f"g{i}", cell, 76)]
        if events:
            children.append(_count_column(f"e{i}", "Events", 58, flex=2))
        columns.append({"headerName": label, "headerTooltip": label, "children": children, **GROUP_HEADER})
    return columns


def overview_columns(groups: Sequence[str], *, cell: str = "n (%)") -> list[dict[str, Any]]:
    return [_label_column("LABEL", ""), *count_columns(groups, cell=cell)]


def incidence_columns(groups: Sequence[str], comparisons: Sequence[str] | Mapping[int, str],
                      severity: bool) -> list[dict[str, Any]]:
    """System organ class / preferred term, counts per group (or per group and severity), risk differences:
    `comparisons` maps the arm position i of each column rd<i> to its label (a list: positions 1, 2, ...)."""
    columns: list[dict[str, Any]] = [
        {**_label_column("SOC", "System organ class", flex=2, min_width=140), "sortable": False},
        {**_label_column("PT", "Preferred term", flex=2, min_width=120), "sortable": False}]
    if severity:
        for i, label in enumerate(groups):
            columns.append({"headerName": label, "headerTooltip": label, **GROUP_HEADER, "children": [
                {**_count_column(f"g{i}_{sev}", sev.title(), 62), "sortable": False}
                for sev in ("MILD", "MODERATE", "SEVERE")]})
    else:
        columns.extend({**c, "children": [{**ch, "sortable": False} for ch in c["children"]]}
                       for c in count_columns(groups))
        labelled = comparisons.items() if isinstance(comparisons, Mapping) else enumerate(comparisons, start=1)
        for i, label in labelled:
            header = f"{label} (95% CI)"
            columns.append({**_count_column(f"rd{i}", header, 96, flex=5), "headerTooltip": header,
                            "sortable": False})
    return columns


NARROW_FIELDS = frozenset({"AESEQ", "ADY", "AENDY", "DTHDY", "FATAL", "SERIOUS", "AESER", "CHANGE"})
FLAG_TEXT_FIELDS = frozenset({"TEAE", "IR"})        # 'Y (same day, time unknown)', 'Y (date only)'
WIDE_FIELDS = frozenset({"AEBODSYS", "AEDECOD", "AETERM", "CAUSE", "CHANGED_COLUMNS"})
CODED_FIELDS = frozenset({"AESEV", "AEREL", "AEACN", "AEOUT"})
NUMBER_FIELDS = frozenset({"AESEQ", "ADY", "AENDY", "DTHDY"})
DATE_FIELDS = frozenset({"AESTDTC", "AEENDTC", "DTHDTC", "DTHDT"})
# display only: a line may break after '/' in coded terms (RECOVERED/RESOLVED), never inside a word
BREAK_AFTER_SLASH = {"function": "params.value == null ? '' : String(params.value).replaceAll('/', '/\u200b')"}


def _listing_width(field: str) -> dict[str, Any]:
    """Minimum width and share of the spare width of a listing column, by what it holds."""
    if field == "USUBJID":
        return {"minWidth": 128, "flex": 1}
    if field in NARROW_FIELDS:
        return {"minWidth": 50, "flex": 1}
    if field in FLAG_TEXT_FIELDS:
        return {"minWidth": 60, "flex": 1}
    if field in DATE_FIELDS:
        return {"minWidth": 88, "flex": 1}
    if field in CODED_FIELDS:
        return {"minWidth": 96, "flex": 2, "valueFormatter": BREAK_AFTER_SLASH}
    return {"minWidth": 84, "flex": 3} if field in WIDE_FIELDS else {"minWidth": 80, "flex": 1}


def listing_columns(fields: Sequence[str], labels: dict[str, str]) -> list[dict[str, Any]]:
    """Listing columns sized by what they hold, all sharing the card's width; long text wraps between words (coded
    terms also after '/') and shows in full on hover."""
    return [{"field": f, "headerName": labels.get(f, f), "tooltipField": f, "wrapHeaderText": True,
             "autoHeaderHeight": True, **WRAPPED_CELLS, **_listing_width(f),
             **(NUMBER_COLUMN if f in NUMBER_FIELDS else {})} for f in fields]


def summary_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Component:
    """A small striped table (shift tables, quadrant counts)."""
    return dbc.Table([html.Thead(html.Tr([html.Th(h) for h in header])),
                      html.Tbody([html.Tr([html.Td(v) for v in row]) for row in rows])],
                     bordered=False, striped=True, hover=True, size="sm", className="mb-0")
