"""Browser fixtures: the real app on a loopback port, driven by Debian's headless Chromium."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="session")
def live_server(demo_app) -> Iterator[str]:
    """Serve the demo app on 127.0.0.1 in a background thread."""
    server = make_server("127.0.0.1", 0, demo_app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; each test logs in afresh after clearing cookies."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail("chromium and chromedriver are required for the browser tests: run `make browser`")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="dsmb-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1440,1000", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def pilot_instance(tmp_path_factory):
    """The public CDISC pilot SDTM export (three arms, daily patch) loaded as delivered at two cut dates."""
    from support import PILOT_CONFIG, PILOT_SDTM, make_instance

    return make_instance(tmp_path_factory.mktemp("pilot"), [
        (PILOT_SDTM, "2014-06-30", "Interim"), (PILOT_SDTM, "2015-03-31", "Final")], PILOT_CONFIG)


@pytest.fixture(scope="session")
def pilot_server(pilot_instance) -> Iterator[str]:
    """The app configured for the pilot trial, on its own loopback port."""
    from support import PILOT_CONFIG, make_app

    server = make_server("127.0.0.1", 0, make_app(pilot_instance, PILOT_CONFIG).server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
