"""ADaM exports loaded as delivered (pharmaverse-adam, random-cdisc-adam): the numbers the Safety page functions
compute on the translated domains, against plain pandas on the XPT files; treatment variables sealed; the same
study through the SDTM and the ADaM route."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from support import SHARED_EXPORTS, km_median_reference

from dashboard import blinding, cuts
from dashboard.analysis import adam_flags
from dashboard.ingest.schema import is_sealed_name
from dashboard.analysis import recruitment as rec
from dashboard.analysis.ae import ae_incidence_by_arm
from dashboard.analysis import survival
from dashboard.analysis.safety import group_sizes
from dashboard.analysis.safety_base import safety_frames
from dashboard.config import PROJECT_ROOT, load_trial_config
from dashboard.ingest.load import load_cut

CASES = {
    "pharmaverse-adam": ("CDISCPILOT01-ADAM.toml", "2015-12-31"),
    "random-cdisc-adam": ("AB12345.toml", "2024-12-31"),
}


def _number(column: pd.Series) -> pd.Series:
    # pandas' XPORT reader turns some IBM zeros into 5.4e-79 (CNSR 0 in random-cdisc-adam): read them as 0
    return column.where(~(column.abs() < 1e-70), 0.0)


def _xpt(folder: str, name: str) -> pd.DataFrame:
    frame = pd.read_sas(SHARED_EXPORTS / folder / f"{name}.xpt", format="xport", encoding="utf-8")
    return frame.apply(lambda c: c.str.strip() if c.dtype == object or str(c.dtype) == "str" else
                       _number(c) if c.dtype.kind == "f" else c)


@pytest.fixture(scope="module", params=sorted(CASES))
def loaded(request, tmp_path_factory):
    """(export folder name, trial data as the statistician sees it, as a blinded role sees it, config, cut)."""
    folder = request.param
    config_name, cut = CASES[folder]
    base = tmp_path_factory.mktemp(folder)
    mp = pytest.MonkeyPatch()
    mp.setenv("DSMB_DATABASE_URL", f"sqlite:///{base}/audit.sqlite")
    config = load_trial_config(PROJECT_ROOT / "data" / "trials" / config_name)
    try:
        manifest = load_cut(SHARED_EXPORTS / folder, cut, "adam", "tester", config, root=base / "data")
        armed = blinding.trial_data(manifest.cut_id, blinding.Access.UNBLINDED, config, base / "data")
        blinded = blinding.trial_data(manifest.cut_id, blinding.Access.BLINDED, config, base / "data")
        yield folder, armed, blinded, config, cut
    finally:
        blinding.clear_caches()
        mp.undo()


def _teae_events(data, config, cut):
    """The Safety page's TEAE rows and population, as it derives them (ADaM flags TRTEMFL and SAFFL applied)."""
    frames = safety_frames({n: data.domain(n) for n in ("DM", "EX", "AE", "DS")}, config, cut)
    return frames.teae, frames.population


def _by_group(table: pd.DataFrame, sizes: pd.Series, row: pd.Series) -> dict[str, int]:
    return {label: int(table.loc[row, f"n{i}"].iloc[0]) for i, label in enumerate(sizes.index)}


def test_every_domain_translated(loaded):
    folder, armed, _, _, _ = loaded
    adsl = _xpt(folder, "adsl")
    # DS is derived from ADSL's end-of-study variables (EOSSTT, DCSREAS) where read (dashboard/derived_domains.py)
    assert set(armed.domain_names) == {"DM", "AE", "LB", "VS", "EX", "ADTTE", "DS"}
    assert set(armed.domain("DS")["DSCAT"]) <= {"DISPOSITION EVENT"}
    assert len(armed.domain("DM")) == len(adsl)
    assert len(armed.domain("AE")) == len(_xpt(folder, "adae"))
    assert armed.cut.randomized == int((~adsl["ARMCD"].str.upper().isin(["SCRNFAIL", ""])).sum())


def test_completers_from_adsl_end_of_study_status(loaded):
    folder, armed, _, config, cut = loaded
    adsl = _xpt(folder, "adsl")
    status = rec.subject_status(armed.dm, armed.ds, armed.ex, cut, planned_doses=config.planned_doses,
                                interval_days=config.dose_interval_days, vocabulary=config.vocabulary)
    completed = adsl.loc[adsl.get("EOSSTT", pd.Series("", index=adsl.index)).str.upper() == "COMPLETED", "USUBJID"]
    assert set(status.loc[status["STATUS"] == rec.COMPLETED, "USUBJID"]) == set(completed)


def test_treatment_variables_never_in_the_clinical_part(loaded):
    folder, armed, blinded, config, _ = loaded
    adsl = _xpt(folder, "adsl")
    arm_values = set()
    for name in ("ARM", "ARMCD", "ACTARM", "ACTARMCD", "TRT01P", "TRT01A", "TRT02P", "TRT02A"):
        if name in adsl:
            arm_values |= {v.upper() for v in adsl[name] if v and v.upper() not in ("SCRNFAIL", "SCREEN FAILURE")}
    for domain in blinded.domain_names:
        frame = blinded.domain(domain)
        # EX keeps EXTRT with the blinded label only (the real one is sealed)
        assert not [c for c in frame.columns if is_sealed_name(c) and c != "EXTRT"], domain
        if "EXTRT" in frame:
            assert set(frame["EXTRT"]) == {config.blinded_treatment_label}
        for column in frame.columns:
            if frame[column].dtype.kind in "OUT" or str(frame[column].dtype) in ("str", "string"):
                values = set(frame[column].dropna().astype(str).str.upper())
                assert not values & arm_values, (domain, column)
    assert not hasattr(blinded, "arm_of")


def test_subjects_with_any_teae_by_arm(loaded):
    folder, armed, _, config, cut = loaded
    adae, adsl = _xpt(folder, "adae"), _xpt(folder, "adsl")
    safety = set(adsl.loc[adsl["SAFFL"] == "Y", "USUBJID"])
    rows = adae[(adae["TRTEMFL"] == "Y") & adae["USUBJID"].isin(safety)]
    actual = adsl.set_index("USUBJID")["ACTARM"]
    expected = rows.groupby(rows["USUBJID"].map(actual))["USUBJID"].nunique().to_dict()
    expected["All subjects"] = rows["USUBJID"].nunique()
    teae, population = _teae_events(armed, config, cut)
    sizes = group_sizes(population, armed.treated_arm_of)
    table = ae_incidence_by_arm(teae, population, armed.treated_arm_of)
    assert _by_group(table, sizes, table["LEVEL"] == "ALL") == expected
    assert int(sizes["All subjects"]) == len(safety)


def test_top_preferred_terms_by_arm(loaded):
    folder, armed, _, config, cut = loaded
    adae, adsl = _xpt(folder, "adae"), _xpt(folder, "adsl")
    safety = set(adsl.loc[adsl["SAFFL"] == "Y", "USUBJID"])
    rows = adae[(adae["TRTEMFL"] == "Y") & adae["USUBJID"].isin(safety)]
    rows = rows.assign(ARM=rows["USUBJID"].map(adsl.set_index("USUBJID")["ACTARM"]))
    top = rows.groupby("AEDECOD")["USUBJID"].nunique().sort_values(ascending=False, kind="stable").head(5)
    teae, population = _teae_events(armed, config, cut)
    sizes = group_sizes(population, armed.treated_arm_of)
    table = ae_incidence_by_arm(teae, population, armed.treated_arm_of)
    for term in top.index:
        expected = rows[rows["AEDECOD"] == term].groupby("ARM")["USUBJID"].nunique().to_dict()
        got = _by_group(table, sizes, (table["LEVEL"] == "PT") & (table["AEDECOD"] == term))
        assert {k: v for k, v in got.items() if v and k != "All subjects"} == expected, term
        assert got["All subjects"] == top[term]


def test_kaplan_meier_median_and_number_at_risk(loaded):
    folder, armed, _, _, _ = loaded
    adtte, adsl = _xpt(folder, "adtte"), _xpt(folder, "adsl")
    paramcd = "OS"
    ref = adtte[adtte["PARAMCD"] == paramcd]
    planned = adsl.set_index("USUBJID")["ARM"]
    tte = adam_flags.tte_frame(armed.domain("ADTTE"), paramcd)
    for label in sorted(set(planned[ref["USUBJID"]])):
        mine = ref[ref["USUBJID"].map(planned) == label]
        app = tte[tte["USUBJID"].map(armed.arm_of) == label]
        expected = km_median_reference(mine["AVAL"].to_numpy(float), (mine["CNSR"] == 0).to_numpy(int))
        got = survival.median_time(survival.curve(survival.times_frame(app["USUBJID"], app["TIME"], app["EVENT"])))
        assert (np.isnan(expected) and np.isnan(got)) or got == pytest.approx(expected), label
    days = [0, 30, 90, 180, 365]
    table = survival.by_arm(survival.times_frame(tte["USUBJID"], tte["TIME"], tte["EVENT"]), days,
                            arm_of=armed.arm_of).at_risk
    for label in sorted(set(planned[ref["USUBJID"]])):
        mine = ref.loc[ref["USUBJID"].map(planned) == label, "AVAL"]
        got = table[table["GROUP"] == label].set_index("DAY")["AT_RISK"].to_dict()
        assert got == {d: int((mine >= d).sum()) for d in days}, label


def test_lab_change_from_baseline_by_visit(loaded):
    folder, armed, _, _, _ = loaded
    adlb = _xpt(folder, "adlb")
    keep = ((adlb["PARAMCD"] == "ALT") & (adlb["ABLFL"] != "Y") & (adlb["DTYPE"] == "") & adlb["CHG"].notna()
            & adlb["AVISITN"].notna())
    if (adlb["ANL01FL"] == "Y").any():
        keep &= adlb["ANL01FL"] == "Y"
    expected = adlb[keep].groupby("AVISITN")["CHG"].agg(["size", "mean"])
    got = adam_flags.change_from_baseline(armed.domain("LB"), "LBTESTCD", "ALT").set_index("AVISITN")
    assert list(got.index) == pytest.approx(list(expected.index))
    assert got["N"].tolist() == expected["size"].tolist()
    assert got["MEAN"].to_numpy() == pytest.approx(expected["mean"].to_numpy())


ALLOCATION = ("ARM", "ARMCD", "ACTARM", "ACTARMCD", "TRT01P", "TRT01A", "TRTP", "TRTA")


def _reallocated(source: Path, target: Path) -> None:
    """The ADaM export with the allocation of the randomized subjects rotated by one (every treatment variable of
    every dataset, and ADEX's EXTRT/EXDOSE by the new arm), everything else byte for byte as read."""
    adsl = pyreadstat.read_xport(str(source / "adsl.xpt"), disable_datetime_conversion=True)[0]
    real = adsl[adsl["ARMCD"].str.upper() != "SCRNFAIL"]
    rotated = real[list(ALLOCATION[:6])].iloc[np.r_[1:len(real), 0]].set_axis(real["USUBJID"])
    adex = pyreadstat.read_xport(str(source / "adex.xpt"), disable_datetime_conversion=True)[0]
    dose = adex[adex["EXTRT"] != ""].groupby("TRT01A")[["EXTRT", "EXDOSE"]].first()
    target.mkdir()
    for path in sorted(source.glob("*.xpt")):
        frame, meta = pyreadstat.read_xport(str(path), disable_datetime_conversion=True)
        moved = frame["USUBJID"].isin(rotated.index)
        for column in ALLOCATION:
            if column in frame:
                new = frame.loc[moved, "USUBJID"].map(rotated[column if column in rotated else
                                                            {"TRTP": "TRT01P", "TRTA": "TRT01A"}[column]])
                frame.loc[moved, column] = new
        if path.stem == "adex":
            records = frame["EXTRT"] != ""
            frame.loc[records, "EXTRT"] = frame.loc[records, "TRT01A"].map(dose["EXTRT"])
            frame.loc[records, "EXDOSE"] = frame.loc[records, "TRT01A"].map(dose["EXDOSE"])
        pyreadstat.write_xport(frame, str(target / path.name), file_format_version=5,
                               table_name=path.stem.upper(), variable_format=meta.original_variable_types)


def test_clinical_part_same_under_another_allocation(tmp_path, monkeypatch):
    """The ADaM route seals as the SDTM route does: another allocation gives the same cut id and byte-identical
    clinical files, while the sealed allocation differs."""
    monkeypatch.setenv("DSMB_DATABASE_URL", f"sqlite:///{tmp_path}/audit.sqlite")
    config = load_trial_config(PROJECT_ROOT / "data" / "trials" / "CDISCPILOT01-ADAM.toml")
    first, second = tmp_path / "first", tmp_path / "second"
    _reallocated(SHARED_EXPORTS / "pharmaverse-adam", tmp_path / "rotated")
    ids = []
    for root, folder in ((first, SHARED_EXPORTS / "pharmaverse-adam"), (second, tmp_path / "rotated")):
        ids.append(load_cut(folder, "2015-12-31", "x", "tester", config, root=root).cut_id)
    assert ids[0] == ids[1]
    clinical = [{p.name: p.read_bytes() for p in sorted((cuts.cut_dir(ids[0], root) / "clinical").glob("*.parquet"))
                 if p.name != "_warnings.parquet"} for root in (first, second)]
    assert clinical[0].keys() == clinical[1].keys() and clinical[0] == clinical[1]
    arms = [blinding.trial_data(ids[0], blinding.Access.UNBLINDED, config, root).arm_of for root in (first, second)]
    blinding.clear_caches()
    assert (arms[0] != arms[1].reindex(arms[0].index)).any()


def test_same_study_through_both_routes(tmp_path, monkeypatch):
    """pharmaverse SDTM and pharmaverse ADaM describe one trial. TEAE incidence by arm from both routes differs by
    one derivation rule only: admiral's TRTEMFL ends 30 days after the last dose (TRTEDT + 30), the SDTM route's
    TEAE has no end window. Safety population (254) and the arm received are the same in both."""
    monkeypatch.setenv("DSMB_DATABASE_URL", f"sqlite:///{tmp_path}/audit.sqlite")
    routes = {}
    for name, folder, config_name in (("sdtm", "pharmaverse-sdtm", "CDISCPILOT01.toml"),
                                      ("adam", "pharmaverse-adam", "CDISCPILOT01-ADAM.toml")):
        config = load_trial_config(PROJECT_ROOT / "data" / "trials" / config_name)
        cut = load_cut(SHARED_EXPORTS / folder, "2015-12-31", name, "tester", config, root=tmp_path / name).cut_id
        data = blinding.trial_data(cut, blinding.Access.UNBLINDED, config, tmp_path / name)
        frames = safety_frames({n: data.domain(n) for n in ("DM", "EX", "AE", "DS")}, config, "2015-12-31")
        events, population = frames.events, frames.population
        if name == "adam":
            events = adam_flags.with_adam_teae(events, data.domain("AE"))
            population = adam_flags.safety_population(population, data.domain("DM"))
        teae = events[events["TEAE"] & events["USUBJID"].isin(population["USUBJID"])]
        routes[name] = (set(zip(teae["USUBJID"], teae["AESEQ"])), set(population["USUBJID"]), data.treated_arm_of)
    blinding.clear_caches()
    sdtm, adam = routes["sdtm"], routes["adam"]
    assert sdtm[1] == adam[1] and len(adam[1]) == 254
    assert sdtm[2].to_dict() == adam[2].to_dict()
    # the rule, in plain pandas on the ADaM files: AE start more than 30 days after the last dose
    adae, adsl = _xpt("pharmaverse-adam", "adae"), _xpt("pharmaverse-adam", "adsl")
    last = adae["USUBJID"].map(adsl.set_index("USUBJID")["TRTEDT"])
    late = adae[(adae["ASTDT"] > last + 30) & adae["USUBJID"].isin(adam[1])]
    assert sdtm[0] - adam[0] == set(zip(late["USUBJID"], late["AESEQ"].astype(float)))
    assert adam[0] <= sdtm[0]
    assert len(sdtm[0] - adam[0]) == 4          # one subject (01-705-1303), four AEs 37 days after the last dose
