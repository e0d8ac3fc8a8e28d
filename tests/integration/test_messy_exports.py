"""Real-export variants (`demo generate --messy`) load with the expected warnings and the clean export's numbers,
or are refused with a clear message (issue 11, Acceptance).

Every reference number is computed here, in plain pandas, from the clean export's frames (as the generator
writes them); every compared number is computed, in plain pandas, from what the loaded cut gives the pages
(`blinding.trial_data`: the clinical part restricted to the cut date, and the arms for an unblinded reader).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from coding_key_support import coded_demo_config

from dashboard import blinding, cuts
from dashboard.config import load_trial_config
from dashboard.demo.generator import build_trajectory, cut_export, write_export
from dashboard.demo.messy import contradicted_subject, contradicting_visit, messy_variant, variant_formats
from dashboard.ingest.findings import IngestError
from dashboard.ingest.load import load_cut

CUT_DATE = "2021-07-10"
FORMATS = {"lb": "xpt", "ae": "xpt"}          # as the committed final demo cut
NOT_RANDOMIZED = ("SCRNFAIL", "NOTASSGN")


@dataclass
class Loaded:
    """One export's load: the manifest and its data root, or the refusal."""

    folder: Path
    root: Path
    manifest: cuts.CutManifest | None = None
    refusal: IngestError | None = None

    def warnings(self) -> pd.DataFrame:
        assert self.manifest is not None, f"refused: {self.refusal}"
        return cuts.read_cut_warnings(self.manifest.cut_id, self.root)

    def data(self, access: blinding.Access = blinding.Access.BLINDED) -> blinding.TrialData:
        assert self.manifest is not None, f"refused: {self.refusal}"
        return blinding.trial_data(self.manifest.cut_id, access, CONFIG, self.root)


CONFIG = load_trial_config()


@pytest.fixture(scope="module")
def clean() -> dict[str, pd.DataFrame]:
    return cut_export(build_trajectory(CONFIG), CUT_DATE)


@pytest.fixture(scope="module")
def loaded(clean, tmp_path_factory):
    """`loaded(name)`: the clean export ("clean") or a variant, written and loaded once into its own data root."""
    base = tmp_path_factory.mktemp("messy")
    done: dict[str, Loaded] = {}

    def get(name: str) -> Loaded:
        if name not in done:
            domains = clean if name == "clean" else messy_variant(name, clean, CONFIG, dt.date.fromisoformat(CUT_DATE))
            done[name] = write_and_load(name, domains, base)
        return done[name]

    return get


def write_and_load(name: str, domains: dict[str, pd.DataFrame], base: Path) -> Loaded:
    """Write `domains` as an export folder and load it; an IngestError is kept, anything else fails the test."""
    result = Loaded(base / "exports" / name, base / "roots" / name)
    write_export(domains, result.folder, dt.date.fromisoformat(CUT_DATE), variant_formats(domains, FORMATS))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DSMB_DATABASE_URL", f"sqlite:///{base / f'audit-{name}.sqlite'}")
        try:
            result.manifest = load_cut(result.folder, CUT_DATE, name, "test-loader", CONFIG, root=result.root)
        except IngestError as exc:
            result.refusal = exc
    return result


# --- the numbers, in plain pandas ----------------------------------------------------------------------------

def reference_numbers(clean: dict[str, pd.DataFrame]) -> dict[str, object]:
    """From the clean export's frames."""
    dm, ae, lb = clean["dm"], clean["ae"], clean["lb"]
    return {
        "randomized": sorted(dm.loc[~dm["ARMCD"].isin(NOT_RANDOMIZED), "USUBJID"]),
        "subjects with any AE": sorted(ae["USUBJID"].unique()),
        "AEs per preferred term": ae["AEDECOD"].value_counts().sort_index().to_dict(),
        "lab rows": len(lb),
        "lab mean by visit": lab_means(lb),
    }


def loaded_numbers(data: blinding.TrialData) -> dict[str, object]:
    """From what the pages get of a loaded cut."""
    dm, ae, lb = data.dm, data.ae, data.lb
    return {
        "randomized": sorted(dm.loc[dm["RANDFL"] == "Y", "USUBJID"]),
        "subjects with any AE": sorted(ae["USUBJID"].unique()),
        "AEs per preferred term": ae["AEDECOD"].value_counts().sort_index().to_dict(),
        "lab rows": len(lb),
        "lab mean by visit": lab_means(lb),
    }


def lab_means(lb: pd.DataFrame) -> dict[tuple[str, str], float]:
    values = pd.to_numeric(lb["LBSTRESN"], errors="coerce")
    means = values.groupby([lb["LBTESTCD"].astype(str), lb["VISIT"].astype(str)]).mean().dropna()
    return {key: round(float(value), 9) for key, value in means.items()}


def assert_same_numbers(result: Loaded, clean: dict[str, pd.DataFrame]) -> None:
    expected, got = reference_numbers(clean), loaded_numbers(result.data())
    for name, value in expected.items():
        assert got[name] == value, f"{result.folder.name}: {name} differs from the clean export"
    assert result.manifest.randomized == len(expected["randomized"])


def arms_by_subject(result: Loaded) -> dict[str, str]:
    return {str(k): str(v) for k, v in result.data(blinding.Access.UNBLINDED).arm_of.items()}


def reference_arms(clean: dict[str, pd.DataFrame]) -> dict[str, str]:
    listed = clean["randomization"]
    return {s: CONFIG.arm_label(code, False) for s, code in zip(listed["USUBJID"], listed["ARMCD"], strict=True)}


def reference_randomization_dates(clean: dict[str, pd.DataFrame]) -> dict[str, str]:
    listed = clean["randomization"]
    return dict(zip(listed["USUBJID"], listed["RANDDTC"], strict=True))


def randomization_dates(result: Loaded) -> dict[str, str]:
    dm = result.data().randomized
    return {s: (d.date().isoformat() if pd.notna(d) else "") for s, d in zip(dm["USUBJID"], dm["RANDDT"], strict=True)}


def new_warnings(result: Loaded, clean_result: Loaded) -> pd.DataFrame:
    """The variant's warnings of kinds the clean export does not have."""
    warnings = result.warnings()
    return warnings[~warnings["kind"].isin(set(clean_result.warnings()["kind"]))]


def mentioning(warnings: pd.DataFrame, pattern: str) -> pd.DataFrame:
    """Findings whose kind, column or message match `pattern` (case-insensitive)."""
    text = warnings["kind"].fillna("") + " | " + warnings["column"].fillna("") + " | " + warnings["message"].fillna("")
    return warnings[text.str.contains(pattern, flags=re.IGNORECASE, regex=True)]


def described(warnings: pd.DataFrame) -> str:
    return "\n".join(f"{r.file} [{r.kind}] {r.column}: {r.message}" for r in warnings.itertuples()) or "(none)"


# --- the clean export: the baseline every variant is compared with ------------------------------------------

def test_clean_export_loads_with_the_reference_numbers(loaded, clean):
    result = loaded("clean")
    assert result.refusal is None, result.refusal
    assert_same_numbers(result, clean)
    assert arms_by_subject(result) == reference_arms(clean)
    assert randomization_dates(result) == reference_randomization_dates(clean)


# --- variants that must load, with their warnings and the clean numbers ---------------------------------------

def test_visitnum_as_study_days_loads_mapped_by_name_with_a_warning(loaded, clean):
    result = loaded("visitnum-days")
    assert result.refusal is None, result.refusal
    visits = mentioning(new_warnings(result, loaded("clean")), r"VISITNUM")
    assert len(visits), "VISITNUM values that are not the configuration's must be warned about (mapped by name)\n" + \
        described(result.warnings())
    assert_same_numbers(result, clean)
    # what the pages get pairs every configured visit name with its configured number (keyed on either, the same)
    configured = {v.name: float(v.num) for v in CONFIG.visits}
    data = result.data()
    for name in ("lb", "vs", "ie", "ex", "ct"):
        frame = data.domain(name)
        scheduled = frame[frame["VISIT"].isin(list(configured))]
        assert len(scheduled) and (scheduled["VISITNUM"] == scheduled["VISIT"].map(configured)).all(), name


def test_permissible_variables_absent_load_and_hodecod_is_derived_from_hoterm(loaded, clean):
    result = loaded("permissible-absent")
    assert result.refusal is None, result.refusal
    ho = result.data().ho
    assert "HODECOD" in ho.columns, "HODECOD (Permissible) is derived from HOTERM"
    assert ho.sort_values(["USUBJID", "HOSEQ"])["HODECOD"].tolist() == \
        clean["ho"].sort_values(["USUBJID", "HOSEQ"])["HODECOD"].tolist()
    assert len(mentioning(result.warnings(), r"HODECOD")), "the derivation is said, not silent\n" + \
        described(result.warnings())
    assert_same_numbers(result, clean)


def test_mixed_case_terminology_loads_compared_normalized(loaded, clean):
    result = loaded("mixed-case")
    assert result.refusal is None, result.refusal
    assert_same_numbers(result, clean)
    dm, ds = clean["dm"], clean["ds"]
    failures = set(dm.loc[dm["ARMCD"] == "SCRNFAIL", "USUBJID"]) | set(ds.loc[ds["DSDECOD"] == "SCREEN FAILURE",
                                                                              "USUBJID"])
    got = result.data().dm
    assert set(got.loc[got["SCRNFFL"] == "Y", "USUBJID"]) == failures
    assert arms_by_subject(result) == reference_arms(clean)
    assert randomization_dates(result) == reference_randomization_dates(clean)


def test_lb_split_over_several_files_is_merged_by_domain(loaded, clean):
    result = loaded("split-lb")
    assert result.refusal is None, result.refusal
    ignored = mentioning(result.warnings(), r"ignored")
    assert not len(ignored[ignored["file"].str.match(r"lb..\.")]), described(ignored)
    assert {"lbch.xpt", "lbhe.xpt", "lbco.xpt", "lbim.xpt"} <= {f.name for f in result.manifest.inputs}
    lb = result.data().lb
    assert not lb.duplicated(["USUBJID", "LBSEQ"]).any()
    assert_same_numbers(result, clean)


def test_allocation_only_in_dm_loads_with_a_warning(loaded, clean):
    result = loaded("dm-allocation-only")
    assert result.refusal is None, result.refusal
    said = mentioning(new_warnings(result, loaded("clean")), r"randomi[sz]ation")
    assert len(said), "the missing randomization list is said, with what was used instead\n" + \
        described(result.warnings())
    assert len(mentioning(new_warnings(result, loaded("clean")), r"allocation from DM")), described(result.warnings())
    assert_same_numbers(result, clean)
    assert arms_by_subject(result) == reference_arms(clean)
    assert randomization_dates(result) == reference_randomization_dates(clean), "DS RANDOMIZED gives the dates"


def test_no_randomization_date_anywhere_loads_naming_what_was_used(loaded, clean):
    result = loaded("no-randomized")
    assert result.refusal is None, result.refusal
    said = mentioning(new_warnings(result, loaded("clean")), r"RFSTDTC")
    assert len(said), "a warning names what was used instead of a randomization date\n" + \
        described(result.warnings())
    assert_same_numbers(result, clean)
    assert arms_by_subject(result) == reference_arms(clean)
    dm = clean["dm"].set_index("USUBJID")
    for subject, date in randomization_dates(result).items():
        assert date in ("", dm.loc[subject, "RFSTDTC"][:10]), f"{subject}: randomization date from nowhere"


def test_records_after_the_cut_are_counted_per_domain_and_excluded_from_every_number(loaded, clean):
    result = loaded("after-cut")
    assert result.refusal is None, result.refusal
    variant = messy_variant("after-cut", clean, CONFIG, dt.date.fromisoformat(CUT_DATE))
    added = {f"{name}.{FORMATS.get(name, 'csv')}": len(variant[name]) - len(clean[name]) for name in ("ae", "lb", "vs")}
    late = result.warnings()
    late = late[late["kind"] == "date after cut"]
    assert late.groupby("file")["count"].sum().to_dict() == added
    for file, count in added.items():
        said = mentioning(result.warnings()[result.warnings()["file"] == file], rf"\b{count}\b.*after the cut")
        assert len(said), f"{file}: the load warnings count its {count} late records\n" + described(result.warnings())
    assert_same_numbers(result, clean)


# --- contradictory data: refused, with messages that say what contradicts what ---------------------------------

def refusal_of(loaded) -> IngestError:
    result = loaded("contradictory")
    assert result.refusal is not None, "contradictory data must be refused"
    assert cuts.active_cut_id(result.root) is None and not cuts.list_cuts(result.root)
    return result.refusal


def test_randomized_subject_recorded_as_screen_failure_is_refused(loaded, clean):
    refusal = refusal_of(loaded)
    subject = contradicted_subject(clean)
    named = [f for f in refusal.errors if subject in str(f) and re.search(r"screen.?fail", str(f), re.IGNORECASE)]
    assert named, "an error names the subject and the screen failure:\n" + "\n".join(map(str, refusal.errors))


def test_visit_pairs_contradicting_the_configuration_are_refused_listing_the_pair(loaded):
    refusal = refusal_of(loaded)
    configured, renamed = contradicting_visit(CONFIG)
    listed = [f for f in refusal.errors if renamed in str(f) and re.search(r"\b3(\.0)?\b", str(f))]
    assert listed, f"an error lists the pair (3, {renamed!r}) against ({configured!r}):\n" + \
        "\n".join(map(str, refusal.errors))


def test_refusal_messages_quote_no_allocation(loaded):
    refusal = refusal_of(loaded)
    secrets = {a.code for a in CONFIG.arms} | {a.label for a in CONFIG.arms} | {a.coded_label for a in coded_demo_config().arms}
    for finding in refusal.findings:
        assert not any(secret in str(finding) for secret in secrets), str(finding)
