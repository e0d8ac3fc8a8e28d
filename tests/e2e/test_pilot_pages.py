"""The second configured trial, from a public export nobody here wrote (CDISC pilot: three arms, a daily patch,
SDTM XPT as published): every page and tab as each role in Chromium, with screenshots
(test-artifacts/screenshots/pilot-<role>-<page>[-<tab>].png)."""

from __future__ import annotations

import pytest
from support import PILOT_CONFIG, ROLES
from test_pages import PAGES, console_errors, log_in, open_tabs, screenshot, visible_text, wait_for_page

from dashboard.config import load_trial_config

FAILURE_TEXT = ("Traceback", "Internal Server Error", "Callback error", "KeyError", "could not be shown")


@pytest.mark.parametrize("role", ROLES)
def test_pilot_trial_pages_as_each_role(browser, pilot_server, pilot_instance, role):
    config = load_trial_config(PILOT_CONFIG)
    log_in(browser, pilot_server, role, pilot_instance.passwords[role])
    nav = [a.get_attribute("href").removeprefix(pilot_server)
           for a in browser.find_elements("css selector", ".nav-pills a.nav-link")]
    assert nav == PAGES[role]
    for page in nav:
        browser.get(f"{pilot_server}{page}")
        wait_for_page(browser)
        text = visible_text(browser)
        assert "CDISCPILOT01" in text and "Data cut 2015-03-31" in text
        assert not [t for t in FAILURE_TEXT if t in text], (page, text[:2000])
        if role in ("admin", "investigator"):
            assert "CLOSED" not in text
            assert not [a.label for a in config.arms if a.label in browser.page_source]
        if role == "dsmb":
            assert not [a.label for a in config.arms if a.label in text]
        name = f"pilot-{role}-{page.strip('/').replace('/', '-')}"
        screenshot(browser, name)
        open_tabs(browser, f"pilot-{role}", page)
        text = visible_text(browser)
        assert not [t for t in FAILURE_TEXT if t in text], (page, text[:2000])
        assert not console_errors(browser), (role, page, console_errors(browser))
