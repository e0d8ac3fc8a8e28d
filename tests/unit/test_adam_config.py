"""The [adam] section: parsed and validated (every problem named by its key), checked against an export, the measure
mapping applied, the flags and ADTTE parameters read by the analysis helpers, and drafted by `trials draft`."""

from __future__ import annotations

import copy
import tomllib

import pandas as pd
import pyarrow as pa
import pytest

from dashboard.analysis import adam_flags
from dashboard.config import PROJECT_ROOT, AdamConfig, ConfigError, TteParameter, load_trial_config, parse_trial_config
from dashboard.ingest.adam.configured import check_adam_config, map_measures
from dashboard.ingest.findings import Findings
from dashboard.ingest.readers import TEXT, SourceTable

ADAM_CONFIG = PROJECT_ROOT / "data" / "trials" / "CDISCPILOT01-ADAM.toml"
SDTM_CONFIG = PROJECT_ROOT / "data" / "trials" / "CDISCPILOT01.toml"


def _raw(path=ADAM_CONFIG) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _problems(adam: dict) -> str:
    raw = _raw()
    raw["adam"] = adam
    with pytest.raises(ConfigError) as caught:
        parse_trial_config(raw)
    return " | ".join(caught.value.problems)


def test_the_committed_adam_configurations_parse():
    pilot = load_trial_config(ADAM_CONFIG).adam
    assert pilot.configured and pilot.efficacy_flag == "RANDFL" and pilot.analysis_flag == "ANL01FL"
    assert [p.paramcd for p in pilot.tte] == ["OS", "PFS", "RSD"] and all(p.event_free for p in pilot.tte)
    ab = load_trial_config(PROJECT_ROOT / "data" / "trials" / "AB12345.toml").adam
    assert ab.efficacy_flag == "ITTFL" and "TNE" not in {p.paramcd for p in ab.tte}


def test_a_trial_without_adam_reads_the_adamig_names():
    adam = load_trial_config(SDTM_CONFIG).adam
    assert adam == AdamConfig() and not adam.configured
    assert (adam.efficacy_flag, adam.analysis_flag, adam.measures, adam.tte) == ("EFFFL", "ANL01FL", (), ())


def test_measures_map_a_configured_code_to_its_paramcd():
    raw = _raw()
    raw["outcomes"][1]["testcd"] = "SBP"
    raw.pop("charter")                 # its primary outcome is named SYSBP
    raw["adam"]["measures"] = {"SBP": "SYSBP"}
    adam = parse_trial_config(raw).adam
    assert adam.paramcd("SBP") == "SYSBP" and adam.paramcd("ALT") == "ALT"
    assert adam.measure_of("SYSBP") == "SBP" and adam.measure_of("ALT") is None


@pytest.mark.parametrize("adam, expected", [
    ({"efficacy_flag": "PBOFL"}, "key 'adam.efficacy_flag' must name an ADSL population flag"),
    ({"efficacy_flag": ""}, "key 'adam.efficacy_flag' must be non-empty text"),
    ({"analysis_flag": "ABLFL"}, "key 'adam.analysis_flag' must name an analysis record flag ANLxxFL"),
    ({"measures": {"WEIGHT": "WT"}}, "key 'adam.measures.WEIGHT': no outcome or safety lab has test code 'WEIGHT'"),
    ({"measures": {"ALT": "a very long code"}}, "key 'adam.measures.ALT' must be a PARAMCD"),
    ({"measures": {"ALT": "X", "SYSBP": "X"}}, "key 'adam.measures': two test codes map to one PARAMCD"),
    ({"measures": {"ALT": 3}}, "key 'adam.measures' must be a table of text"),
    ({"tte": [{"paramcd": "OS", "label": "OS", "curve": "up"}]}, "key 'adam.tte[0].curve' must be one of"),
    ({"tte": [{"paramcd": "OS"}]}, "key 'adam.tte[0].label' must be non-empty text"),
    ({"tte": [{"paramcd": "OS", "label": "a"}, {"paramcd": "OS", "label": "b"}]},
     "key 'adam.tte': each parameter needs a distinct paramcd"),
    ({"tte": {"paramcd": "OS"}}, "key 'adam.tte' must be an array of tables"),
])
def test_every_invalid_value_is_named_by_its_key(adam, expected):
    assert expected in _problems(adam)


def test_all_problems_at_once():
    problems = _problems({"efficacy_flag": "X", "analysis_flag": "Y", "tte": [{"paramcd": "", "label": ""}]})
    assert all(key in problems for key in ("adam.efficacy_flag", "adam.analysis_flag", "adam.tte[0].paramcd",
                                           "adam.tte[0].label"))


def test_adam_must_be_a_table():
    raw = _raw()
    raw["adam"] = "EFFFL"
    with pytest.raises(ConfigError, match="key 'adam' must be a table"):
        parse_trial_config(raw)


def _table(domain: str, name: str, columns: dict) -> SourceTable:
    arrays = {k: pa.array(v, type=pa.float64() if isinstance(v[0], float) else TEXT) for k, v in columns.items()}
    return SourceTable(domain, name, pa.table(arrays))


def _config(mutate) -> object:
    raw = copy.deepcopy(_raw())
    mutate(raw)
    return parse_trial_config(raw)


def test_map_measures_renames_the_test_code_keeps_paramcd_and_warns():
    config = _config(lambda r: (r["outcomes"][1].update(testcd="SBP"), r["adam"].update(measures={"SBP": "SYSBP"}),
                                r.pop("charter")))          # the charter names the outcome SYSBP
    vs = _table("VS", "advs.xpt", {"USUBJID": ["S-1", "S-1"], "VSTESTCD": ["SYSBP", "DIABP"],
                                   "PARAMCD": ["SYSBP", "DIABP"]})
    sdtm = _table("LB", "lb.xpt", {"USUBJID": ["S-1"], "LBTESTCD": ["SYSBP"], "PARAMCD": ["SYSBP"]})
    findings = Findings()
    out = map_measures({"VS": vs, "LB": sdtm}, config.adam, findings)
    assert out["VS"].table["VSTESTCD"].to_pylist() == ["SBP", "DIABP"]
    assert out["VS"].table["PARAMCD"].to_pylist() == ["SYSBP", "DIABP"]
    assert out["LB"] is sdtm                                   # an SDTM table is never mapped
    assert [(f.file, f.column, f.kind) for f in findings.items] == [("advs.xpt", "VSTESTCD", "measure mapped")]
    assert "1 records of PARAMCD 'SYSBP'" in findings.items[0].message
    assert map_measures({"VS": vs}, load_trial_config(ADAM_CONFIG).adam, findings)["VS"] is vs


def _adam_tables(dm_columns: dict, with_anl: bool = True) -> dict[str, SourceTable]:
    lb = {"USUBJID": ["S-1"], "LBTESTCD": ["ALT"], "PARAMCD": ["ALT"], **({"ANL01FL": ["Y"]} if with_anl else {})}
    return {"DM": _table("DM", "adsl.xpt", {"USUBJID": ["S-1"], **dm_columns}), "LB": _table("LB", "adlb.xpt", lb),
            "ADTTE": _table("ADTTE", "adtte.xpt", {"USUBJID": ["S-1"], "PARAMCD": ["OS"]})}


def test_check_warns_about_every_key_the_export_cannot_honour():
    config = _config(lambda r: r["adam"].update(efficacy_flag="EFFFL", measures={"ALT": "ALAT"}))
    findings = Findings()
    check_adam_config(_adam_tables({"SAFFL": ["Y"]}, with_anl=False), config, findings)
    text = " | ".join(f"{f.file}: {f.message}" for f in findings.items)
    assert "adsl.xpt: efficacy population flag EFFFL" in text
    assert "adlb.xpt: analysis record flag ANL01FL" in text
    assert "maps 'ALT' to PARAMCD 'ALAT', which has no record" in text
    assert "adam.tte[1]: PARAMCD 'PFS' has no record (ADTTE has OS)" in text
    assert {f.severity.value if hasattr(f.severity, "value") else f.severity for f in findings.items} == {"warning"}


def test_check_is_quiet_when_the_export_honours_every_key():
    config = _config(lambda r: r["adam"].update(efficacy_flag="SAFFL", tte=[{"paramcd": "OS", "label": "OS"}]))
    findings = Findings()
    check_adam_config(_adam_tables({"SAFFL": ["Y"]}), config, findings)
    assert findings.items == []


def test_an_adam_section_on_an_sdtm_export_is_said_unused():
    findings = Findings()
    tables = {"DM": _table("DM", "dm.xpt", {"USUBJID": ["S-1"]})}
    check_adam_config(tables, load_trial_config(ADAM_CONFIG), findings)
    assert len(findings.items) == 1 and "export is SDTM" in findings.items[0].message
    check_adam_config(tables, load_trial_config(SDTM_CONFIG), Findings())


def test_flag_helpers_read_the_configured_flags():
    dm = pd.DataFrame({"USUBJID": ["A", "B", "C"], "EFFFL": ["Y", "N", "Y"], "FASFL": ["N", "Y", "Y"]})
    assert list(adam_flags.efficacy_population(dm, AdamConfig())) == ["A", "C"]
    assert list(adam_flags.efficacy_population(dm, AdamConfig(efficacy_flag="FASFL"))) == ["B", "C"]
    assert adam_flags.efficacy_population(dm, AdamConfig(efficacy_flag="PPROTFL")) is None
    lb = pd.DataFrame({"LBTESTCD": ["ALT"] * 4, "AVISITN": [2.0, 2.0, 4.0, 4.0], "AVISIT": ["W2", "W2", "W4", "W4"],
                       "CHG": [1.0, 3.0, 5.0, 7.0], "ANL01FL": ["Y", "", "Y", "Y"], "ANL02FL": ["", "Y", "", "Y"]})
    first = adam_flags.change_from_baseline(lb, "LBTESTCD", "ALT", AdamConfig().analysis_flag)
    second = adam_flags.change_from_baseline(lb, "LBTESTCD", "ALT", "ANL02FL")
    assert first["MEAN"].tolist() == [1.0, 6.0] and second["MEAN"].tolist() == [3.0, 7.0]


def test_tte_parameters_configured_or_every_paramcd():
    adtte = pd.DataFrame({"PARAMCD": ["PFS", "OS", "OS"], "PARAM": ["Progression", "Overall", "Overall"]})
    configured = AdamConfig(tte=(TteParameter("OS", "Overall survival", "event-free"),))
    assert adam_flags.tte_parameters(adtte, configured) == configured.tte
    assert adam_flags.tte_parameters(adtte, AdamConfig()) == (TteParameter("OS", "Overall"),
                                                              TteParameter("PFS", "Progression"))
    curve = pd.DataFrame({"TIME": [0.0, 10.0], "SURV": [1.0, 0.75]})
    assert adam_flags.curve_values(curve, configured.tte[0]).tolist() == [1.0, 0.75]
    assert adam_flags.curve_values(curve, TteParameter("X", "x", "events")).tolist() == [0.0, 0.25]
    assert TteParameter("X", "x").event_free              # the default, as the Outcomes page draws ADTTE
