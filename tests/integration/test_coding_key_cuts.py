"""The coding key travels with the cut: loaded from coding.csv (or --coding FILE), sealed, read through blinding only.

The configuration of NCT05019287 holds no coded label, yet the board sees "Group A" / "Group B" from the cut; the
same clinical cut loaded under two different keys gives the blinded roles byte-identical responses; a key that is
missing falls back on the configuration (with a notice for armed roles only) or leaves the board a notice.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from coding_key_support import demo_coding
from crawl import crawl
from dash_client import DashClient, login
from support import BLINDED_ROLES, DEMO_EXPORTS, PROJECT_ROOT, make_app, make_instance

from dashboard import blinding, cuts, memo
from dashboard.blinding import Access
from dashboard.config import load_trial_config
from dashboard.ingest import cli
from dashboard.ingest.coding import CODING_FILE
from dashboard.ingest.findings import IngestError
from dashboard.ingest.load import check_export, load_cut

FINAL = DEMO_EXPORTS / "final"
CUT_DATE = "2021-07-10"
SWAPPED_KEY = "ARMCD,CODED_LABEL\nMENSC,Group A\nPBO,Group B\n"
NCT_CONFIG = PROJECT_ROOT / "data" / "trials" / "NCT05019287.toml"


def _export(base: Path, key: str | None = None, *, keep_key: bool = True) -> Path:
    """A copy of the demo's final export at `base/export`; its coding.csv replaced by `key`, or removed."""
    folder = base / "export"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(FINAL, folder)
    if key is not None:
        (folder / CODING_FILE).write_text(key, encoding="utf-8")
    elif not keep_key:
        (folder / CODING_FILE).unlink()
    return folder


def _config_with_key(base: Path) -> Path:
    """NCT05019287's configuration with the old-style coded_label lines (the fallback)."""
    text = NCT_CONFIG.read_text(encoding="utf-8")
    text = text.replace('label = "MenSC secretome"\n', 'label = "MenSC secretome"\ncoded_label = "Group B"\n')
    text = text.replace('label = "Saline placebo"\n', 'label = "Saline placebo"\ncoded_label = "Group A"\n')
    path = base / "with_key.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _fresh() -> None:
    blinding.clear_caches()
    memo.clear()


def test_the_board_sees_coded_groups_from_the_cut_though_the_configuration_has_none(tmp_path):
    config = load_trial_config()
    assert not config.has_coding
    cut = load_cut(_export(tmp_path), CUT_DATE, "Final", "tester", config, root=tmp_path / "data")
    _fresh()
    board = blinding.trial_data(cut.cut_id, Access.CODED, config, tmp_path / "data")
    # independently: the randomization list's arm of each subject, named by the delivered coding.csv
    listed = pd.read_csv(FINAL / "randomization.csv", dtype=str).set_index("USUBJID")["ARMCD"]
    key = pd.read_csv(FINAL / "coding.csv", dtype=str).set_index("ARMCD")["CODED_LABEL"]
    expected = listed.map(key).value_counts().sort_index()
    assert board.arm_labels == ("Group A", "Group B") and board.coding_notice == ""
    assert board.arm_of.astype(str).value_counts().sort_index().to_dict() == expected.to_dict()
    assert board.config.arm_label("PBO", coded=True) == key["PBO"] and board.coding == demo_coding()
    assert len(board.warnings) == len(blinding.trial_data(cut.cut_id, Access.BLINDED, config, tmp_path / "data")
                                      .warnings)
    blinded = blinding.trial_data(cut.cut_id, Access.BLINDED, config, tmp_path / "data")
    assert not blinded.config.has_coding and not hasattr(blinded, "coding")


def test_the_key_is_sealed_and_the_clinical_part_does_not_change_with_it(tmp_path):
    config = load_trial_config()
    a = load_cut(_export(tmp_path / "a"), CUT_DATE, "Final", "tester", config, root=tmp_path / "a" / "data")
    b = load_cut(_export(tmp_path / "b", SWAPPED_KEY), CUT_DATE, "Final", "tester", config,
                 root=tmp_path / "b" / "data")
    assert a.cut_id == b.cut_id
    parts = [cuts.cut_dir(m.cut_id, tmp_path / n / "data") for m, n in ((a, "a"), (b, "b"))]
    assert (parts[0] / cuts.SEALED_DIRNAME / "coding.parquet").exists()
    assert not any("coding" in p.name for p in (parts[0] / cuts.CLINICAL_DIRNAME).iterdir())
    for name in sorted(p.name for p in (parts[0] / cuts.CLINICAL_DIRNAME).iterdir() if p.suffix == ".parquet"):
        assert (parts[0] / cuts.CLINICAL_DIRNAME / name).read_bytes() == \
            (parts[1] / cuts.CLINICAL_DIRNAME / name).read_bytes(), name
    manifests = [cuts.read_manifest(m.cut_id, tmp_path / n / "data") for m, n in ((a, "a"), (b, "b"))]
    assert manifests[0].inputs == manifests[1].inputs and manifests[0].domain_rows == manifests[1].domain_rows
    assert "coding.csv" not in (parts[0] / cuts.MANIFEST_FILE).read_text()
    _fresh()
    assert blinding.trial_data(b.cut_id, Access.CODED, config, tmp_path / "b" / "data").coding == \
        {"MENSC": "Group A", "PBO": "Group B"}


def test_a_key_with_a_duplicate_label_refuses_the_load_naming_file_row_and_column(tmp_path):
    config = load_trial_config()
    export = _export(tmp_path, "ARMCD,CODED_LABEL\nMENSC,Group A\nPBO,Group A\n")
    with pytest.raises(IngestError) as refusal:
        load_cut(export, CUT_DATE, "Final", "tester", config, root=tmp_path / "data")
    errors = [f for f in refusal.value.findings if f.file == CODING_FILE]
    assert [(f.row, f.column) for f in errors] == [(2, "CODED_LABEL")]
    assert "Group A" not in str(errors[0])
    assert cuts.active_cut_id(tmp_path / "data") is None
    assert [(f.row, f.column) for f in check_export(export, config).errors if f.file == CODING_FILE] == \
        [(2, "CODED_LABEL")]


def test_the_key_file_in_the_export_is_not_an_unknown_file(tmp_path):
    config = load_trial_config()
    with_key, without = check_export(_export(tmp_path / "a"), config), \
        check_export(_export(tmp_path / "b", keep_key=False), config)
    assert [str(f) for f in with_key.items] == [str(f) for f in without.items]


def test_cli_loads_a_key_kept_apart_with_coding_and_says_when_there_is_none(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DSMB_DATA_ROOT", str(tmp_path / "data"))
    monkeypatch.setenv("DSMB_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("DSMB_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    monkeypatch.setenv("DSMB_TRIAL_CONFIG", str(NCT_CONFIG))
    export = _export(tmp_path, keep_key=False)
    key = tmp_path / "statistician" / "key.csv"
    key.parent.mkdir()
    key.write_text(SWAPPED_KEY, encoding="utf-8")
    assert cli.main(["cuts", "load", str(export), "--cut-date", CUT_DATE, "--coding", str(key)]) == 0
    assert "no coding key" not in capsys.readouterr().out
    first = cuts.active_cut_id(tmp_path / "data")
    _fresh()
    board = blinding.trial_data(first, Access.CODED, load_trial_config(), tmp_path / "data")
    assert board.coding == {"MENSC": "Group A", "PBO": "Group B"}
    # the same export again with another key is new input: a new cut, the stored one untouched
    (export / CODING_FILE).write_text("ARMCD,CODED_LABEL\nMENSC,Group B\nPBO,Group A\n", encoding="utf-8")
    assert cli.main(["cuts", "load", str(export), "--cut-date", CUT_DATE]) == 0
    second = cuts.active_cut_id(tmp_path / "data")
    assert second != first
    _fresh()
    assert blinding.trial_data(first, Access.CODED, load_trial_config(), tmp_path / "data").coding["PBO"] == "Group B"
    assert blinding.trial_data(second, Access.CODED, load_trial_config(), tmp_path / "data").coding["PBO"] == "Group A"
    (export / CODING_FILE).unlink()
    export_again = _export(tmp_path / "other", keep_key=False)
    assert cli.main(["cuts", "load", str(export_again), "--cut-date", "2021-07-11"]) == 0
    assert "no coding key" in capsys.readouterr().out


def test_without_a_key_the_configuration_is_the_fallback_seen_only_by_armed_roles(tmp_path):
    fallback = load_trial_config(_config_with_key(tmp_path))
    cut = load_cut(_export(tmp_path, keep_key=False), CUT_DATE, "Final", "tester", fallback, root=tmp_path / "data")
    keyed = load_cut(_export(tmp_path / "k"), CUT_DATE, "Final", "tester", fallback, root=tmp_path / "k" / "data")
    _fresh()
    board = blinding.trial_data(cut.cut_id, Access.CODED, fallback, tmp_path / "data")
    assert board.coding == {"MENSC": "Group B", "PBO": "Group A"}
    assert board.coding_notice == blinding.CODING_FROM_CONFIG
    assert blinding.CODING_FROM_CONFIG in board.warnings["message"].tolist()
    blinded = blinding.trial_data(cut.cut_id, Access.BLINDED, fallback, tmp_path / "data").warnings
    blinded_keyed = blinding.trial_data(keyed.cut_id, Access.BLINDED, fallback, tmp_path / "k" / "data").warnings
    assert blinded.to_csv() == blinded_keyed.to_csv()
    assert blinding.CODING_FROM_CONFIG not in blinded.to_csv()


def test_with_no_key_anywhere_the_board_gets_a_notice_and_the_statistician_real_names(tmp_path):
    instance = make_instance(tmp_path, [(_export(tmp_path / "x", keep_key=False), CUT_DATE, "Final")])
    _fresh()
    config = load_trial_config()
    cut_id = cuts.active_cut_id(instance.root)
    statistician = blinding.trial_data(cut_id, Access.UNBLINDED, config, instance.root)
    assert statistician.arm_labels == ("Saline placebo", "MenSC secretome")
    assert statistician.coding_notice == blinding.NO_CODING
    with pytest.raises(blinding.NoCodingKey):
        blinding.trial_data(cut_id, Access.CODED, config, instance.root)
    app = make_app(instance)
    board = DashClient(login(app.server.test_client(), "dsmb", instance.passwords["dsmb"]))
    page = str(board.open_page("/outcomes"))
    assert "no coding key" in page and "Traceback" not in page


@pytest.fixture(scope="module")
def key_twins(tmp_path_factory):
    """Two installations of the same final cut (same export folder path), under the demo key and the swapped one."""
    base = tmp_path_factory.mktemp("key-twins")
    instances = []
    for name, key in (("a", None), ("b", SWAPPED_KEY)):
        export = _export(base, key)
        instances.append(make_instance(base / name, [(export, CUT_DATE, "Final")]))
    return [(instance, make_app(instance)) for instance in instances]


def _crawl(pair, role: str):
    instance, app = pair
    _fresh()
    return crawl(DashClient(login(app.server.test_client(), role, instance.passwords[role])))


@pytest.mark.parametrize("role", BLINDED_ROLES)
def test_two_coding_keys_give_blinded_roles_byte_identical_responses(key_twins, role):
    a, b = (_crawl(pair, role) for pair in key_twins)
    assert [e.request for e in a] == [e.request for e in b] and len(a) > 20
    for ea, eb in zip(a, b):
        assert (ea.status, ea.body) == (eb.status, eb.body), f"{role}: '{ea.request}' changes with the coding key"


def test_the_twins_really_differ_for_the_board(key_twins):
    """Guard against a test that cannot fail: what the board is shown does change with the key."""
    _fresh()
    config = load_trial_config()
    arms = [blinding.trial_data(cuts.active_cut_id(i.root), Access.CODED, config, i.root).arm_of for i, _ in key_twins]
    assert arms[0].index.equals(arms[1].index)
    assert (arms[0].astype(str) != arms[1].astype(str)).all()         # every subject in the other group
