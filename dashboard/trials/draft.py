"""`trials draft`: a trial configuration written from an export itself, every guess marked for review.

The draft names the arms (the design: codes and labels), never which subject got which arm, and no count
by arm. It reads the export through the loader's own readers, so case and blanks are handled alike.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from dashboard.ingest.findings import Findings
from dashboard.ingest.readers import SourceTable
from dashboard.ingest.schema import RANDOMIZATION
from dashboard.trials import draft_measures as measures
from dashboard.trials.draft_adam import adam_enrollment, adam_header, adam_sections
from dashboard.trials.draft_schedule import draft_dosing, draft_followup, draft_visits, ts_value
from dashboard.trials.export import frame, norm, not_randomized, read_export_tables, text, unknown_stems
from dashboard.trials.render import Draft, Field, Section, guessed, render, sections

NOT_ARM_LABELS = frozenset({"SCREEN FAILURE", "NOT ASSIGNED", "NOT TREATED", "UNPLANNED TREATMENT"})
REFERENCE_WORDS = ("PLACEBO", "CONTROL")


def draft_study(ts: pd.DataFrame, dm: pd.DataFrame) -> Section:
    """[study]: id and title from TS (else DM), sponsor and phase from TS."""
    ts_id = text(ts["STUDYID"]).dropna() if "STUDYID" in ts else pd.Series(dtype="str")
    dm_id = text(dm["STUDYID"]).dropna() if "STUDYID" in dm else pd.Series(dtype="str")
    study_id = Field("id", str(ts_id.iloc[0]), "from TS STUDYID") if len(ts_id) else \
        Field("id", str(dm_id.iloc[0]) if len(dm_id) else "", "from DM STUDYID")
    title = ts_value(ts, "TITLE")
    fields = [study_id,
              Field("title", title, "from TS TITLE") if title else guessed("title", study_id.value, "TS has no TITLE")]
    for key, code in (("sponsor", "SPONSOR"), ("phase", "TPHASE")):
        value = ts_value(ts, code)
        fields.append(Field(key, value, f"from TS {code}") if value else Field(key, None, f"TS has no {code}"))
    fields += [guessed("blinded_treatment_label", "Study treatment (blinded)",
                       "shown to blinded users wherever a product name would appear (EX.EXTRT)"),
               Field("safety_arm_basis", "actual", "default: safety views by the arm actually received (ACTARMCD)"),
               Field("efficacy_arm_basis", "planned", "default: efficacy views by the arm randomized to (ARMCD)")]
    return Section("study", tuple(fields))


def randomized(dm: pd.DataFrame) -> pd.DataFrame:
    """DM rows of randomized subjects: an arm code that is no screen-failure / not-assigned code."""
    if "ARMCD" not in dm:
        return dm.iloc[0:0]
    return dm[~not_randomized(text(dm["ARMCD"]))]


def draft_enrollment(ts: pd.DataFrame, dm: pd.DataFrame) -> Section:
    """[enrollment]: target from TS PLANSUB, dates from DM RFSTDTC (guesses), sites from DM SITEID."""
    planned = ts_value(ts, "PLANSUB")
    chosen = randomized(dm)
    if planned and planned.strip().isdigit() and int(planned) > 0:
        target = Field("target", int(planned), "from TS PLANSUB (planned number of subjects)")
    else:
        target = guessed("target", max(len(chosen), 1), "number of randomized subjects in DM (TS has no PLANSUB)")
    starts = pd.to_datetime(chosen["RFSTDT"]).dropna() if "RFSTDT" in chosen else pd.Series(dtype="datetime64[ns]")
    first = starts.min().date() if len(starts) else dt.date.today()
    last = starts.max().date() if len(starts) else first
    sites = sorted(set(text(dm["SITEID"]).dropna())) if "SITEID" in dm else []
    return Section("enrollment", (
        target,
        guessed("first_randomization_planned", first, "earliest DM RFSTDTC of a randomized subject (first dose, "
                                                      "not the planned date)"),
        guessed("planned_end", max(last, first), "latest DM RFSTDTC of a randomized subject (the planned date of "
                                                 "the last randomization is not in the export)"),
        Field("sites", sites, "from DM SITEID")),
        comment=("Planned accrual is linear between the two dates unless planned_rate_per_week is given.",))


def arm_pairs(ta: pd.DataFrame, dm: pd.DataFrame, listed: pd.DataFrame | None = None
              ) -> tuple[list[tuple[str, str]], str]:
    """Distinct (code, label) of the real arms, from TA, else DM, else the randomization list; screen-failure
    and not-assigned codes left out (compared normalized)."""
    candidates = [(ta, "TA"), (dm, "DM"), (listed if listed is not None else pd.DataFrame(), "the randomization list")]
    source, name = next(((f, n) for f, n in candidates if {"ARMCD", "ARM"} <= set(f.columns)), candidates[1])
    if not {"ARMCD", "ARM"} <= set(source.columns):
        return [], name
    pairs = pd.DataFrame({"CODE": text(source["ARMCD"]), "LABEL": text(source["ARM"])}).dropna(subset=["CODE"])
    pairs = pairs[~not_randomized(pairs["CODE"]) & ~norm(pairs["LABEL"]).isin(NOT_ARM_LABELS)]
    counts = pairs.groupby(["CODE", "LABEL"], dropna=False).size().reset_index(name="N")
    counts = counts.sort_values(["CODE", "N"], ascending=[True, False], kind="stable").drop_duplicates("CODE")
    labels = [str(lbl) if isinstance(lbl, str) else str(c) for c, lbl in zip(counts["CODE"], counts["LABEL"])]
    return list(zip(counts["CODE"].astype(str), labels)), name


def draft_arms(ta: pd.DataFrame, dm: pd.DataFrame, rng: random.Random | None = None,
               listed: pd.DataFrame | None = None) -> list[Section]:
    """[[arms]]: codes and labels and a reference arm guessed from placebo/control; never a coded label (the coding
    key comes with each cut, sealed: docs/ingest.md). `rng` is kept for callers; nothing is drawn any more."""
    pairs, source = arm_pairs(ta, dm, listed)
    reference = next((code for code, label in pairs if any(w in label.upper() for w in REFERENCE_WORDS)), None)
    pairs.sort(key=lambda p: (p[0] != reference, p[1].upper()))
    rows = []
    for code, label in pairs:
        fields = [Field("code", code, f"from {source} ARMCD"), Field("label", label, f"from {source} ARM")]
        if code == reference:
            fields.append(guessed("reference", True, "the label names placebo or control"))
        rows.append(fields)
    comment = ("Arms: code as in ARMCD and the real label. THE CODING KEY (which arm the board sees as which Group)",
               "must be kept from blinded staff, so it is not kept here: supply it with each cut as coding.csv",
               "(ARMCD,CODED_LABEL) next to randomization.csv, or `cuts load --coding FILE`; it is sealed then.")
    if reference is None:
        comment += ("No arm label names placebo or control: no reference arm guessed (the first arm is used); "
                    "add reference = true to one arm.",)
    return sections("arms", rows, comment)


def draft_sections(tables: Mapping[str, SourceTable], custom: Mapping[str, str],
                   rng: random.Random | None = None) -> list[Section]:
    """Every section of the draft, in the order a reader expects them."""
    ts, dm = frame(tables, "TS"), frame(tables, "DM")
    ae = frame(tables, "AE")
    visits = draft_visits(tables, dm)
    arms = draft_arms(frame(tables, "TA"), dm, rng, frame(tables, RANDOMIZATION))
    out = [draft_study(ts, dm), adam_enrollment(draft_enrollment(ts, dm), dm), *arms,
           Section("unblinding", (guessed("board_may_unmask", False, "not in the export: set it from the DSMB "
                                                                     "charter"),)),
           draft_dosing(frame(tables, "EX"), ts), draft_followup(visits, ts), *visits,
           *measures.draft_outcomes(tables, custom), measures.draft_safety_labs(frame(tables, "LB")),
           *measures.draft_events(dm, frame(tables, "DS"), ae)]
    optional = [measures.draft_custom_domains(tables, custom),
                measures.draft_screen_failure_reasons(frame(tables, "IE")), measures.draft_eligibility(ts)]
    out += [s for s in optional if s is not None]
    out.append(Section("vocabulary", (), comment=(*measures.vocabulary_comment(ae),
                                                  "Uncomment and edit to replace a default list."),
                       commented_out=True))
    return out


def header(export: str) -> tuple[str, ...]:
    """The comment lines at the top of a draft."""
    return (f"Trial configuration drafted by `python -m dashboard trials draft` from {export}",
            f"on {dt.date.today().isoformat()}. Every key marked `# guessed: ...` was inferred from the data:",
            "check it against the protocol, then write `# reviewed: ...` in its place. Keys marked `from ...`",
            "are copied from the export. Every key is described in docs/configuration.md.",
            "This file names the arms (the design), never which subject got which arm.")


def draft_config(tables: Mapping[str, SourceTable], export: str, custom: Mapping[str, str] | None = None,
                 rng: random.Random | None = None) -> Draft:
    """The drafted configuration of an export's tables."""
    return Draft(header(export) + adam_header(tables),
                 (*draft_sections(tables, custom or {}, rng), *adam_sections(tables)))


def draft_export(folder: Path | str, findings: Findings, rng: random.Random | None = None) -> Draft:
    """Read an export folder and draft its configuration; files of no SDTMIG domain that hold findings
    (--TESTCD, --STRESN) are proposed as custom domains, the other ones ignored with a warning."""
    folder = Path(folder)
    candidates = measures.custom_candidates(unknown_stems(folder))
    tables = read_export_tables(folder, frozenset(candidates), findings)
    found = set(measures.findings_domains(tables))
    custom = {d: label for d, label in candidates.items() if d in found}
    for domain in sorted(set(candidates) & set(tables) - set(custom)):
        findings.warning(tables[domain].name, "ignored: no SDTMIG domain, and no findings (--TESTCD, --STRESN) "
                                              "to propose as a custom domain", kind="unknown file ignored")
    tables = {d: s for d, s in tables.items() if d not in candidates or d in custom}
    return draft_config(tables, str(folder), custom, rng)


def draft_text(folder: Path | str, findings: Findings, rng: random.Random | None = None) -> str:
    """The drafted configuration of an export folder as TOML text."""
    return render(draft_export(folder, findings, rng))
