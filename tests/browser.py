"""Headless Chromium for the browser tests of Crash Stats' pages (Selenium + chromedriver).

Debian's ``chromium`` and ``chromium-driver`` (installed by ``bin/provision chromium``) are
driven through WebDriver with a fresh profile each time. :class:`Browser` adds what the tests
check on every page: the console's errors (CSP violations and failed loads included), an
axe-core accessibility run (axe-core from the front end's npm packages, injected by WebDriver,
never served by the site) and screenshots at desktop and phone widths.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.servers import ROOT, unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE_SCRIPT = ROOT / "webapp" / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "var" / "test-artifacts" / "pages"
DESKTOP = (1366, 900)
PHONE = (390, 844)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--lang=en-US",
)
SERIOUS = ("serious", "critical")


class Browser:
    """One Chromium with its own profile; every page visited is remembered for the checks."""

    def __init__(self, driver: Any, profile: Path) -> None:
        self.driver = driver
        self.profile = profile
        self.console_errors: list[dict[str, Any]] = []

    # ---- navigation ----------------------------------------------------------------------

    def get(self, url: str, error_status: bool = False) -> None:
        """Open ``url``; ``error_status``: the page itself answers 4xx on purpose, which the
        console reports as a failed load (of that page only: anything else still counts)."""
        self.driver.get(url)
        self.wait_for(
            lambda: self.driver.execute_script("return document.readyState") == "complete"
        )
        errors = self.collect_console()
        if error_status:
            own = f"{url} - Failed to load resource: the server responded with a status of 4"
            for entry in errors:
                if entry["message"].startswith(own):
                    self.console_errors.remove(entry)

    def wait_for(self, condition: Callable[[], Any], timeout: float = 20, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                result = condition()
            except Exception:  # an element not there yet, a page still loading
                result = None
            if result:
                return result
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")
            time.sleep(0.2)

    def css(self, selector: str) -> Any:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def all(self, selector: str) -> list[Any]:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def text(self) -> str:
        return self.driver.execute_script("return document.body.innerText")

    # ---- checks ----------------------------------------------------------------------------

    def collect_console(self) -> list[dict[str, Any]]:
        """The console's errors since the last call (SEVERE: script errors, CSP, failed loads)."""
        errors = [
            entry for entry in self.driver.get_log("browser") if entry.get("level") == "SEVERE"
        ]
        self.console_errors.extend(errors)
        return errors

    def axe(self) -> list[dict[str, Any]]:
        """Serious and critical axe-core violations of the current page."""
        if not AXE_SCRIPT.exists():
            unavailable(f"no axe-core at {AXE_SCRIPT} (run `make assets`)")
        self.driver.execute_script(AXE_SCRIPT.read_text())
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']}).then("
            "r => done(JSON.stringify(r.violations)),"
            "e => done(JSON.stringify({error: String(e)})));"
        )
        violations = json.loads(result)
        if isinstance(violations, dict):
            raise AssertionError(f"axe-core failed: {violations['error']}")
        return [
            {
                "id": violation["id"],
                "impact": violation["impact"],
                "help": violation["help"],
                "nodes": [node["target"] for node in violation["nodes"][:5]],
            }
            for violation in violations
            if violation.get("impact") in SERIOUS
        ]

    def screenshot(self, name: str, size: tuple[int, int] = DESKTOP) -> Path:
        """A full-page PNG under var/test-artifacts/pages/ at ``size`` (width, height)."""
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        width, height = size
        self.driver.set_window_size(width, height)
        full_height = self.driver.execute_script(
            "return Math.max(document.documentElement.scrollHeight, document.body.scrollHeight)"
        )
        self.driver.set_window_size(width, min(max(height, full_height), 6000))
        path = ARTIFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(*DESKTOP)
        return path


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium; fails (never skips) when it is not installed."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        unavailable(f"no {CHROMIUM} or {CHROMEDRIVER} (run `bin/provision chromium`)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = Path(tempfile.mkdtemp(prefix="jansky-chromium-"))
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={DESKTOP[0]},{DESKTOP[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=str(CHROMEDRIVER), log_output=str(profile / "driver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_script_timeout(60)
    try:
        yield Browser(driver, profile)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
