"""`sim view` in a real browser: headless Chromium (Selenium) steps three months and reads them.

The test starts ``python -m sim view`` on a free local port, clicks Mesa's Step
button three times, reads the month, the grey premium and every cell of the
country table (the exact TPP in ``data-tpp`` and the H100e a reader sees), and
holds them to ``ExportControlModel(...).results()`` of a separate run with the
same scenario and seed. It saves a screenshot (``SIM_VIEW_SCREENSHOT`` names a
copy to keep). It needs Debian's ``chromium`` and ``chromium-driver``, which
``.ci/run`` installs; where they cannot be installed, ``.ci/run`` says why in
``SIM_CHROMIUM_UNAVAILABLE`` and the test is skipped with that reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.model import ExportControlModel
from sim.reference import H100E_TPP

REPO = Path(__file__).resolve().parent.parent
GOLDEN = REPO / "tests" / "data" / "golden" / "scenario.toml"
SEED, MONTHS = 0, 3
WAIT_S = 60  # each wait below: the server's start, the page's load, one step's redraw

COLUMNS = {  # the page's column: (metric, summed over the months so far?)
    "shipped_month": ("shipped_tpp", False), "shipped_total": ("shipped_tpp", True),
    "quota_used": ("quota_used_tpp", False), "quota_remaining": ("quota_remaining_tpp", False),
    "attempted_total": ("diversion_attempted_tpp", True),
    "seized_total": ("diversion_seized_tpp", True),
}


def _chromium() -> tuple[str, str]:
    """Return the Chromium and ChromeDriver paths, or skip (or fail in CI) without them."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser and driver:
        return browser, driver
    reason = os.environ.get("SIM_CHROMIUM_UNAVAILABLE")
    if reason:
        pytest.skip(f"Chromium cannot be installed on this machine: {reason}")
    if os.environ.get("CI"):
        pytest.fail("chromium and chromedriver are missing: .ci/run should have installed "
                    "Debian's chromium and chromium-driver")
    pytest.skip("Chromium is not installed here: apt-get install chromium chromium-driver "
                "(as .ci/run does)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"sim view exited with {server.returncode}: {log.read_text()[-2000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    pytest.fail(f"sim view did not listen on {port} within {WAIT_S} s: {log.read_text()[-2000:]}")


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "sim", "view", str(GOLDEN), "--seed", str(SEED),
             "--port", str(port)], cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(port, process, log)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def browser():
    chromium, chromedriver = _chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--window-size=1600,1250"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_page_load_timeout(WAIT_S)
    driver.set_script_timeout(WAIT_S)
    try:
        yield driver
    finally:
        driver.quit()


def _click_step(driver, attempts: int = 5) -> None:
    """Click the one Step button, found again if the page re-renders it before the click."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    for attempt in range(attempts):
        try:
            buttons = [b for b in driver.find_elements(By.TAG_NAME, "button")
                       if b.text.strip().lower() == "step"]
            assert len(buttons) == 1, [b.text for b in driver.find_elements(By.TAG_NAME, "button")]
            buttons[0].click()
            return
        except StaleElementReferenceException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)


def _read(browser, element_id: str, attribute: str | None = None, attempts: int = 5) -> str:
    """An element's attribute (or text), read again if the page re-renders the element."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    for attempt in range(attempts):
        try:
            element = browser.find_element(By.ID, element_id)
            return element.text if attribute is None else element.get_attribute(attribute)
        except StaleElementReferenceException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def _country_table(browser, attempts: int = 5) -> tuple[list, dict]:
    """Read the country rows' codes and cells, again if the page re-renders while reading."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    for attempt in range(attempts):
        try:
            rows = browser.find_elements(By.CSS_SELECTOR, "#sim-countries tr[data-country]")
            codes = [r.get_attribute("data-country") for r in rows]
            cells = {(code, column): (cell.get_attribute("data-tpp"), cell.text.strip())
                     for code, row in zip(codes, rows, strict=True) for column in COLUMNS
                     for cell in [row.find_element(By.CSS_SELECTOR,
                                                   f'td[data-column="{column}"]')]}
            return codes, cells
        except StaleElementReferenceException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def test_three_months_in_the_browser_are_the_model_results(server, browser, tmp_path):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(server)
    wait = WebDriverWait(browser, WAIT_S, ignored_exceptions=(StaleElementReferenceException,))
    wait.until(lambda d: d.find_elements(By.ID, "sim-step"))
    assert _read(browser, "sim-step", "data-value") == "0"
    for month in range(1, MONTHS + 1):
        _click_step(browser)
        wait.until(lambda d, m=month: _read(d, "sim-step", "data-value") == str(m))
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#sim-countries tr[data-country]"))

    model = ExportControlModel(GOLDEN, seed=SEED, agent_reporters=False).run()
    results, last = model.results(), MONTHS - 1
    assert _read(browser, "sim-date") == results.dates[last]
    premium = _read(browser, "sim-premium", "data-value")
    assert float(premium) == results.metric("grey_premium")[0, last]

    codes, cells = _country_table(browser)
    assert codes == list(results.countries)
    seen_nonzero = set()
    for c, code in enumerate(codes):
        for column, (metric, summed) in COLUMNS.items():
            values = results.metric(metric)[0, : last + 1, c]
            expected = int(values.sum() if summed else values[-1])
            tpp, text = cells[code, column]
            where = f"{code} {column}"
            assert int(tpp) == expected, where
            assert text == f"{expected / H100E_TPP:,.0f}", where
            if expected:
                seen_nonzero.add(column)
    assert seen_nonzero == set(COLUMNS), "the golden seed exercises every column"

    shot = tmp_path / "sim-view.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    if os.environ.get("SIM_VIEW_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["SIM_VIEW_SCREENSHOT"])
