"""Each role logs in with a real browser, opens each page it may see, and gets what it should.

Screenshots land in test-artifacts/screenshots/<role>-<page>[-<tab>].png.
"""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

import pytest
from support import ROLES
from coding_key_support import coded_demo_config
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from dashboard.config import load_trial_config

DATA_PAGES = ["/recruitment", "/safety", "/outcomes", "/monitoring", "/pack", "/meetings"]
PAGES = {"admin": [*DATA_PAGES, "/cuts", "/admin/users", "/admin/audit"],
         "investigator": DATA_PAGES,
         "dsmb": [*DATA_PAGES, "/cuts"],
         "statistician": [*DATA_PAGES, "/cuts"]}
IGNORED_CONSOLE = re.compile(r"favicon|DevTools")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def log_in(browser, live_server: str, username: str, password: str) -> None:
    browser.delete_all_cookies()
    browser.get(f"{live_server}/login")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
    WebDriverWait(browser, 20).until(EC.presence_of_element_located((By.ID, "page-content")))


def wait_for_page(browser, timeout: float = 30) -> None:
    """Until the router has filled the page and no Dash callback or graph is still loading."""
    wait = WebDriverWait(browser, timeout)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#page-content > *"))
    deadline = time.time() + timeout
    while time.time() < deadline:
        busy = browser.execute_script(
            "return document.querySelectorAll('[data-dash-is-loading=\"true\"], ._dash-loading').length")
        if not busy:
            break
        time.sleep(0.2)
    time.sleep(0.8)  # let plotly finish drawing before the screenshot


def console_errors(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser")
            if e["level"] == "SEVERE" and not IGNORED_CONSOLE.search(e["message"])]


def screenshot(browser, name: str) -> None:
    """A full-page PNG (not just the viewport): the viewport is made as tall as the page first, so grids and
    graphs below the fold are drawn as a user scrolling down would see them, then put back."""
    width = browser.execute_script("return window.innerWidth")
    height = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]["height"]
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": min(int(height), 8000), "deviceScaleFactor": 1, "mobile": False})
    try:
        time.sleep(0.5)                       # let the grids render the rows now in view
        shot = browser.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    (ARTIFACTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def visible_text(browser) -> str:
    return browser.find_element(By.TAG_NAME, "body").text


def open_tabs(browser, role: str, page: str) -> None:
    """Click through the page's tabs, screenshotting each."""
    tabs = browser.find_elements(By.CSS_SELECTOR, "#page-content .nav-tabs .nav-link")
    for i in range(len(tabs)):
        tab = browser.find_elements(By.CSS_SELECTOR, "#page-content .nav-tabs .nav-link")[i]
        label = re.sub(r"[^a-z0-9]+", "-", tab.text.lower()).strip("-") or str(i)
        tab.click()
        wait_for_page(browser)
        screenshot(browser, f"{role}-{page.strip('/').replace('/', '-')}-{label}")


@pytest.mark.parametrize("role", ROLES)
def test_role_sees_its_pages_without_errors(browser, live_server, demo_instance, role):
    config = coded_demo_config()
    log_in(browser, live_server, role, demo_instance.passwords[role])
    nav = [a.get_attribute("href").removeprefix(live_server)
           for a in browser.find_elements(By.CSS_SELECTOR, ".nav-pills a.nav-link")]
    assert nav == PAGES[role]
    for page in nav:
        browser.get(f"{live_server}{page}")
        wait_for_page(browser)
        text = visible_text(browser)
        assert "Data cut 2021-07-10" in text
        if role in ("admin", "investigator"):
            assert "OPEN" in text and "CLOSED" not in text
            for arm in config.arms:
                assert arm.label not in text and arm.coded_label not in text
        elif role == "dsmb":
            assert "CLOSED" in text
            assert all(arm.label not in text for arm in config.arms)
        screenshot(browser, f"{role}-{page.strip('/').replace('/', '-')}")
        open_tabs(browser, role, page)
        errors = console_errors(browser)
        assert not errors, f"{role} {page}: console errors {errors}"


def test_board_member_unmasks_with_a_reason(browser, live_server, demo_instance):
    config = load_trial_config()
    log_in(browser, live_server, "dsmb", demo_instance.passwords["dsmb"])
    browser.get(f"{live_server}/outcomes")
    wait_for_page(browser)
    assert all(arm.label not in visible_text(browser) for arm in config.arms)
    browser.find_element(By.ID, "unmask-open").click()
    WebDriverWait(browser, 10).until(EC.visibility_of_element_located((By.ID, "unmask-reason")))
    browser.find_element(By.ID, "unmask-confirm").click()
    WebDriverWait(browser, 10).until(EC.text_to_be_present_in_element((By.ID, "unmask-feedback"), "reason"))
    browser.find_element(By.ID, "unmask-reason").send_keys("Closed session decision, meeting of 2021-07-12")
    browser.find_element(By.ID, "unmask-confirm").click()
    try:
        WebDriverWait(browser, 20, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda d: "real arm names" in visible_text(d))
    except TimeoutException:
        pytest.fail("the header never switched to real arm names after unmasking")
    wait_for_page(browser)
    screenshot(browser, "dsmb-unmasked-outcomes")
    assert any(arm.label in visible_text(browser) for arm in config.arms) or \
        any(arm.label in browser.page_source for arm in config.arms)


def test_login_page_rejects_a_wrong_password(browser, live_server):
    browser.delete_all_cookies()
    browser.get(f"{live_server}/login")
    browser.find_element(By.NAME, "username").send_keys("investigator")
    browser.find_element(By.NAME, "password").send_keys("not-the-password-at-all")
    browser.find_element(By.CSS_SELECTOR, "form [type=submit]").click()
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: "Unknown user name or wrong password." in visible_text(d))
    screenshot(browser, "login-rejected")


def _open_safety_listings(browser, live_server: str) -> None:
    browser.get(f"{live_server}/safety")
    wait_for_page(browser)
    tab = next(t for t in browser.find_elements(By.CSS_SELECTOR, "#page-content .nav-tabs .nav-link")
               if "SAE" in t.text)
    tab.click()
    WebDriverWait(browser, 20).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#safety-sae-grid .ag-center-cols-container .ag-row"))
    wait_for_page(browser)


def test_clicking_a_subject_opens_a_profile_without_arm(browser, live_server, demo_instance):
    config = coded_demo_config()
    log_in(browser, live_server, "investigator", demo_instance.passwords["investigator"])
    _open_safety_listings(browser, live_server)
    cell = browser.find_element(By.CSS_SELECTOR, "#safety-sae-grid .ag-center-cols-container .ag-row .ag-cell")
    cell.click()
    WebDriverWait(browser, 20).until(EC.visibility_of_element_located((By.ID, "safety-profile-graph")))
    wait_for_page(browser)
    modal = browser.find_element(By.CSS_SELECTOR, ".modal-content").text
    assert "NCT05019287-" in modal
    assert all(arm.label not in modal and arm.coded_label not in modal for arm in config.arms)
    screenshot(browser, "investigator-safety-patient-profile")
    assert not console_errors(browser)


def test_statistician_downloads_a_stamped_closed_listing(browser, live_server, demo_instance, tmp_path):
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    log_in(browser, live_server, "statistician", demo_instance.passwords["statistician"])
    _open_safety_listings(browser, live_server)
    browser.find_element(By.ID, "safety-sae-csv").click()
    WebDriverWait(browser, 20).until(lambda d: [p for p in tmp_path.glob("*.csv")])
    (path,) = tmp_path.glob("*.csv")
    assert "2021-07-10" in path.name and "CLOSED" in path.name
    first_lines = path.read_text(encoding="utf-8").splitlines()[:3]
    assert first_lines[1] == "# Data cut 2021-07-10 · CLOSED (by arm)"


def _rows(browser, grid_id: str, *columns: str) -> list[tuple[str, ...]]:
    """The text shown in some columns of a grid's rendered rows (pinned or not), row by row; read in one step,
    as the grid may redraw its rows between two reads."""
    return [tuple(row) for row in browser.execute_script("""
        const [gridId, columns] = arguments, rows = new Map();
        for (const cell of document.querySelectorAll(`#${gridId} .ag-row .ag-cell[col-id]`)) {
            const index = Number(cell.closest('[row-index]').getAttribute('row-index'));
            if (!rows.has(index)) rows.set(index, {});
            rows.get(index)[cell.getAttribute('col-id')] = cell.innerText;
        }
        return [...rows.keys()].sort((a, b) => a - b).map(i => columns.map(c => rows.get(i)[c] ?? null));""",
        grid_id, list(columns))]


def test_listings_show_partial_dates_and_cut_ids_as_given(browser, live_server, demo_instance):
    """A grid guessing types from its first row once showed cut ids and partial dates as empty cells."""
    log_in(browser, live_server, "statistician", demo_instance.passwords["statistician"])
    browser.get(f"{live_server}/cuts")
    wait_for_page(browser)
    WebDriverWait(browser, 20).until(lambda d: len(_rows(d, "cuts-table", "cut_id")) >= 2)
    cut_ids = [cut_id for (cut_id,) in _rows(browser, "cuts-table", "cut_id")]
    assert all(re.fullmatch(r"2021-0[57]-10-[0-9a-f]{8}", cut_id) for cut_id in cut_ids), cut_ids
    # subject 01-004 has an SAE, and an AE whose start date is known to the month only (AESEQ 7: 2021-04)
    _open_safety_listings(browser, live_server)
    subject_filter = browser.find_element(By.CSS_SELECTOR, "#safety-sae-grid .ag-floating-filter input")
    subject_filter.send_keys("01-004")
    WebDriverWait(browser, 20).until(
        lambda d: set(_rows(d, "safety-sae-grid", "USUBJID")) == {("NCT05019287-01-004",)})
    browser.find_element(By.CSS_SELECTOR, "#safety-sae-grid .ag-center-cols-container .ag-row .ag-cell").click()
    WebDriverWait(browser, 20).until(lambda d: len(_rows(d, "safety-profile-events", "AESEQ")) >= 7)
    shown = dict(_rows(browser, "safety-profile-events", "AESEQ", "AESTDTC"))
    assert shown["7"] == "2021-04" and shown["1"] == "2021-04-20", shown
    assert all(shown.values()), shown
