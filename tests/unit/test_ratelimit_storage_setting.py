"""DSMB_RATELIMIT_STORAGE_URI, as the README documents it, is read from the environment (it was only a config key)."""

from __future__ import annotations


def test_the_limiter_store_comes_from_the_environment(tmp_path, monkeypatch):
    from dashboard.app_factory import create_app

    monkeypatch.setenv("DSMB_RATELIMIT_STORAGE_URI", "memory://?from=env")
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "INSTANCE_PATH": str(tmp_path),
                      "DSMB_DATA_ROOT": tmp_path / "data", "DSMB_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite"})
    assert app.server.config["DSMB_RATELIMIT_STORAGE_URI"] == "memory://?from=env"


def test_without_it_each_process_counts_alone(tmp_path, monkeypatch):
    from dashboard.app_factory import create_app

    monkeypatch.delenv("DSMB_RATELIMIT_STORAGE_URI", raising=False)
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 32, "INSTANCE_PATH": str(tmp_path),
                      "DSMB_DATA_ROOT": tmp_path / "data", "DSMB_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite"})
    assert app.server.config["DSMB_RATELIMIT_STORAGE_URI"] == "memory://"
