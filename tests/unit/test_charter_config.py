"""The [charter] section: parsed from both trial files, and every invalid value reported with its key."""

import copy
import tomllib

import pytest

from dashboard.config import PROJECT_ROOT, ConfigError, load_trial_config, parse_trial_config

NCT = PROJECT_ROOT / "data" / "trials" / "NCT05019287.toml"
PILOT = PROJECT_ROOT / "data" / "trials" / "CDISCPILOT01.toml"


def _raw(path=NCT):
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _problems(mutate):
    raw = _raw()
    mutate(raw["charter"])
    with pytest.raises(ConfigError) as caught:
        parse_trial_config(raw)
    return " | ".join(caught.value.problems)


def test_both_trials_have_an_illustrative_charter():
    nct, pilot = load_trial_config(NCT).charter, load_trial_config(PILOT).charter
    assert nct.illustrative and pilot.illustrative
    assert nct.fractions == (0.5, 1.0) and nct.primary.name == "intubation" and nct.spending == "obf"
    assert {r.name for r in nct.safety_rules} == {"serious_infusion_reaction", "early_death"}
    assert "illustrative" in NCT.read_text(encoding="utf-8").split("[charter]")[0].lower()
    assert pilot.spending == "hsd" and pilot.futility.kind == "beta_spending"


def test_a_trial_without_charter_has_none():
    raw = _raw()
    del raw["charter"]
    assert parse_trial_config(raw).charter is None


def test_looks_must_increase():
    assert "fraction must increase" in _problems(lambda c: c["looks"].reverse())


@pytest.mark.parametrize("value", [0.0, 1.5, -0.2])
def test_fractions_in_zero_one(value):
    assert "in (0, 1]" in _problems(lambda c: c["looks"][0].update(fraction=value))


@pytest.mark.parametrize("value", [0.0, 0.7, -0.01])
def test_alpha_in_range(value):
    assert "charter.alpha" in _problems(lambda c: c.update(alpha=value))


def test_subjects_give_the_fraction_and_must_increase():
    raw = _raw()
    raw["charter"]["looks"] = [{"subjects": 10}, {"subjects": 29}]
    assert parse_trial_config(raw).charter.fractions == pytest.approx((10 / 29, 1.0))
    raw["charter"]["looks"] = [{"subjects": 20}, {"subjects": 10}]
    with pytest.raises(ConfigError):
        parse_trial_config(raw)


def test_unknown_spending_sides_event_and_rule_kind_are_reported_together():
    def mutate(c):
        c["spending"] = "haybittle"
        c["sides"] = 3
        c["primary"]["name"] = "no-such-event"
        c["safety_rules"][0]["kind"] = "bayes"
        c["safety_rules"][1]["event"] = "nothing"
    text = _problems(mutate)
    for key in ("charter.spending", "charter.sides", "charter.primary.name", "charter.safety_rules[0].kind",
                "charter.safety_rules[1].event"):
        assert key in text


def test_primary_arm_must_be_configured_and_not_the_reference_and_no_code_is_quoted():
    text = _problems(lambda c: c["primary"].update(arm="XYZ"))
    assert "charter.primary.arm" in text and "XYZ" not in text
    assert "reference arm" in _problems(lambda c: c["primary"].update(arm="PBO"))


def test_count_rule_needs_max_events_and_ae_rule_needs_terms():
    assert "max_events" in _problems(lambda c: c["safety_rules"][1].pop("max_events"))

    def no_terms(c):
        c["safety_rules"][0].pop("terms")
        c["safety_rules"][0]["serious_only"] = False
    assert "needs 'terms'" in _problems(no_terms)


def test_design_rates_in_range_and_different():
    assert "design_reference" in _problems(lambda c: c["primary"].update(design_reference=1.5))
    assert "difference" in _problems(lambda c: c["primary"].update(design_treatment=0.5))


def test_trials_check_warns_of_rule_terms_without_ae_records_and_an_unconfigured_primary_visit():
    import pandas as pd

    from dashboard.monitoring.charter_check import charter_warnings

    config = load_trial_config(NCT)
    ae = pd.DataFrame({"AEDECOD": ["Infusion  related reaction"], "AETERM": ["IRR"]})
    messages = [m for _, m in charter_warnings(config, ae)]
    assert not any("'INFUSION RELATED REACTION'" in m for m in messages)
    assert any("'ANAPHYLACTIC REACTION'" in m for m in messages)
    raw = _raw(PILOT)
    raw["charter"]["primary"]["visit"] = 99
    pilot = parse_trial_config(raw)
    assert any("visit 99 is not a configured visit" in m for _, m in charter_warnings(pilot, ae))
