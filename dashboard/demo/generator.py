"""Deterministic synthetic SDTM exports of a trial, at any data-cut date.

The trial runs one fixed "full" trajectory per (configuration, subjects, sites, seed); a cut keeps what
had happened by its date. An interim and a final cut of the same seed are therefore consistent: records
of the interim cut reappear unchanged in the final cut, except AEs whose end date, outcome, severity or
seriousness became known later, and DM / HO / PR / SE values that were still open.

XPT files: pyreadstat 1.3 (`write_xport`) has no encoding option and always stores text as UTF-8, so
the one non-ASCII verbatim term ("Fièvre") is stored UTF-8 encoded, not cp1252; read such files with
`pyreadstat.read_xport(path)` (default / encoding="utf-8"). The creation and modification stamps in
the XPT headers are set to the cut date so that files are byte-identical between runs.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from dashboard.config import DEFAULT_TRIAL_CONFIG, PROJECT_ROOT, TrialConfig, load_trial_config
from dashboard.demo.adverse_events import ae_frame
from dashboard.demo.cut import cut_domains
from dashboard.demo.findings import lb_frame, visit_schedule
from dashboard.demo.messy import messy_variant, variant_formats
from dashboard.demo.records import (dose_schedule, ds_frame, ex_frame, ho_frame, ie_frame, pr_frame,
                                    randomization_frame, se_frame, suppdm_frame)
from dashboard.demo.timeline import Cohort, as_date, build_cohort, plan_scale
from dashboard.demo.vitals import ct_domain, ct_frame, vs_frame
from dashboard.ingest.coding import CODING_FILE

DEFAULT_SEED = 20210417
STREAMS = ("cohort", "doses", "ae", "schedule", "lb", "vs", "ct", "coding")
FORMATS = ("csv", "xpt")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
XPT_STAMP = re.compile(rb"\d\d[A-Z]{3}\d\d:\d\d:\d\d:\d\d")
DEMO_EXPORT_ROOT = PROJECT_ROOT / "data" / "exports" / "NCT05019287"
# Committed demo cuts: folder, cut date, domains written as XPT (the rest CSV).
DEMO_CUTS = (("interim", dt.date(2021, 5, 10), ()), ("final", dt.date(2021, 7, 10), ("lb", "ae")))


@dataclass
class Trajectory:
    """The full course of a synthetic trial: the cohort and every domain with internal timing columns."""

    cohort: Cohort
    domains: dict[str, pd.DataFrame]


def build_trajectory(config: TrialConfig, *, subjects: int | None = None, sites: int | None = None,
                     seed: int = DEFAULT_SEED) -> Trajectory:
    """The full trajectory; each part draws from its own random stream of `seed`."""
    rng = {name: np.random.default_rng([seed, k]) for k, name in enumerate(STREAMS)}
    cohort = build_cohort(config, plan_scale(config, subjects, sites), rng["cohort"])
    doses = dose_schedule(cohort, rng["doses"])
    schedule = visit_schedule(cohort, rng["schedule"])
    ct_name = ct_domain(cohort)[0].lower()
    domains = {
        "ie": ie_frame(cohort), "ds": ds_frame(cohort), "ex": ex_frame(cohort, doses),
        "ae": ae_frame(cohort, doses, rng["ae"]), "lb": lb_frame(cohort, schedule, rng["lb"]),
        "vs": vs_frame(cohort, schedule, rng["vs"]), ct_name: ct_frame(cohort, schedule, rng["ct"]),
        "pr": pr_frame(cohort), "ho": ho_frame(cohort), "se": se_frame(cohort, doses),
        "suppdm": suppdm_frame(cohort), "randomization": randomization_frame(cohort),
    }
    return Trajectory(cohort, domains)


def coding_frame(config: TrialConfig, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The coding key delivered with the demo's randomization list (coding.csv: ARMCD, CODED_LABEL): the
    configuration's own coded labels if it still has them, else "Group A", "Group B", ... in a random order drawn
    from the `coding` stream of `seed` (NCT05019287's seed codes placebo as Group A)."""
    if config.has_coding:
        labels = [arm.coded_label for arm in config.arms]
    else:
        letters = [f"Group {string.ascii_uppercase[i]}" for i in range(len(config.arms))]
        labels = [str(x) for x in np.random.default_rng([seed, STREAMS.index("coding")]).permutation(letters)]
    return pd.DataFrame({"ARMCD": list(config.arm_codes), "CODED_LABEL": labels}, dtype="str")


def write_coding(config: TrialConfig, out_dir: Path | str, seed: int = DEFAULT_SEED) -> Path:
    """Write the demo's coding key as `coding.csv` in an export folder."""
    path = Path(out_dir) / CODING_FILE
    coding_frame(config, seed).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    return path


def cut_export(trajectory: Trajectory, cut_date: dt.date | str) -> dict[str, pd.DataFrame]:
    """The domains as exported at `cut_date` (file stem -> frame)."""
    return cut_domains(trajectory.cohort, trajectory.domains, as_date(cut_date))


def generate_export(config: TrialConfig, out_dir: Path | str, *, cut_date: dt.date | str,
                    subjects: int | None = None, sites: int | None = None, seed: int = DEFAULT_SEED,
                    formats: dict[str, str] | None = None, messy: Sequence[str] = ()) -> dict:
    """Write one export folder for `cut_date` and return a summary (subjects, rows per file).

    Each name in `messy` also writes that real-export variant (`dashboard.demo.messy`) to `out_dir/<name>/`.
    """
    domains = cut_export(build_trajectory(config, subjects=subjects, sites=sites, seed=seed), cut_date)
    variants = {name: messy_variant(name, domains, config, as_date(cut_date)) for name in dict.fromkeys(messy)}
    write_export(domains, out_dir, as_date(cut_date), formats)
    write_coding(config, out_dir, seed)
    summary = export_summary(domains, as_date(cut_date))
    for name, variant in variants.items():
        write_export(variant, Path(out_dir) / name, as_date(cut_date), variant_formats(variant, formats or {}))
        write_coding(config, Path(out_dir) / name, seed)
        summary.setdefault("messy", {})[name] = {"rows": {stem: len(frame) for stem, frame in variant.items()}}
    return summary


def export_summary(domains: dict[str, pd.DataFrame], cut_date: dt.date) -> dict:
    """Subjects screened / randomized / screen failures and rows per domain."""
    armcd = domains["dm"]["ARMCD"]
    return {"cut_date": cut_date.isoformat(), "screened": len(armcd),
            "randomized": int((~armcd.isin(["SCRNFAIL", "NOTASSGN"])).sum()),
            "screen_failures": int((armcd == "SCRNFAIL").sum()),
            "not_assigned": int((armcd == "NOTASSGN").sum()),
            "rows": {name: len(frame) for name, frame in domains.items()}}


def write_export(domains: dict[str, pd.DataFrame], out_dir: Path | str, cut_date: dt.date,
                 formats: dict[str, str] | None = None) -> list[Path]:
    """Write each domain as `<name>.csv` or `<name>.xpt` (randomization always CSV); returns the paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    chosen = {k.lower(): v.lower() for k, v in (formats or {}).items()}
    unknown = {k: v for k, v in chosen.items() if v not in FORMATS or k not in domains or k == "randomization"}
    if unknown:
        raise ValueError(f"unsupported formats {unknown}: domains {sorted(domains)}, formats {FORMATS}")
    paths = []
    for name, frame in domains.items():
        fmt = chosen.get(name, "csv")
        for stale in FORMATS:
            (out / f"{name}.{stale}").unlink(missing_ok=True)
        path = out / f"{name}.{fmt}"
        if fmt == "xpt":
            write_xpt(frame, path, name.upper(), cut_date)
        else:
            frame.to_csv(path, index=False, lineterminator="\n", float_format="%.10g", encoding="utf-8")
        paths.append(path)
    return paths


def write_xpt(frame: pd.DataFrame, path: Path, table_name: str, stamp: dt.date) -> None:
    """SAS transport v5 with numeric columns as numbers and header stamps fixed to `stamp`."""
    data = frame.copy()
    for column in data.columns:
        if pd.api.types.is_numeric_dtype(data[column]):
            data[column] = data[column].astype("float64")
        else:
            data[column] = data[column].fillna("").astype(object)
    pyreadstat.write_xport(data, str(path), file_format_version=5, table_name=table_name[:8])
    raw = path.read_bytes()
    split = raw.find(b"HEADER RECORD*******OBS")
    fixed = f"{stamp.day:02d}{MONTHS[stamp.month - 1]}{stamp.year % 100:02d}:00:00:00".encode()
    path.write_bytes(XPT_STAMP.sub(fixed, raw[:split]) + raw[split:])


def write_demo_exports(root: Path | str = DEMO_EXPORT_ROOT) -> dict[str, dict]:
    """Write the committed demo cuts (`interim/` 2021-05-10, `final/` 2021-07-10) under `root`."""
    config = load_trial_config(DEFAULT_TRIAL_CONFIG)
    trajectory = build_trajectory(config, seed=DEFAULT_SEED)
    summaries = {}
    for folder, cut_date, xpt in DEMO_CUTS:
        domains = cut_export(trajectory, cut_date)
        write_export(domains, Path(root) / folder, cut_date, {d: "xpt" for d in xpt})
        write_coding(config, Path(root) / folder)
        summaries[folder] = export_summary(domains, cut_date)
    return summaries
