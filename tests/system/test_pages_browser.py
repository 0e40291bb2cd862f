"""Crash Stats' pages in a real browser (headless Chromium driven by Selenium), against live
processes: the collector, the processor and Crash Stats (what `jansky run` starts, here on free
ports), over a DATA_DIR holding the shared minidumps processed by the real processor, a crash
with hostile annotations sent through the collector, and synthetic crashes for volume.

Each test also checks the browser console stayed free of errors (script errors, CSP
violations, failed loads). Screenshots of every main page, desktop and phone width, anonymous
and logged in, go to var/test-artifacts/pages/.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.support.ui import Select

from jansky.crashid import create_crash_id
from jansky.queue import ALL_QUEUE_NAMES
from jansky.queue.sqlite import SqliteCrashQueue
from jansky.search.corpus import Corpus
from jansky.search.sqlite.backend import SqliteSearch
from jansky.storage import CrashNotFound, FilesystemCrashStorage
from tests.browser import PHONE, Browser, chromium
from tests.live import free_port, run_jansky, wait_until_serving
from tests.processed_crashes import process_shared_minidumps, raw_crash
from tests.servers import ROOT, shared_testdata

pytestmark = pytest.mark.system

STARTUP_SECONDS = 90.0
PROCESSING_SECONDS = 120.0
SYNTHETIC = 3000
PASSWORD = "browser-tests-password"
HOSTILE_SCRIPT = '<script>window.owned = "script";alert("owned")</script>'
HOSTILE_IMG = "<img src=x onerror=\"window.owned='img';alert('img')\">"
BUSY_SIGNATURE = "OOM | small"


@dataclass
class Site:
    url: str
    collector: str
    data_dir: Path
    env: dict[str, str]
    processes: dict[str, subprocess.Popen]
    real_crashes: list[dict[str, Any]]
    hostile_crash: str = ""
    logs: dict[str, Path] = field(default_factory=dict)

    @property
    def storage(self) -> FilesystemCrashStorage:
        return FilesystemCrashStorage(self.data_dir / "crashes")

    def queued(self) -> int:
        queue = SqliteCrashQueue(self.data_dir / "queue.db")
        try:
            counts = queue.counts()
            return sum(counts[name].visible + counts[name].in_flight for name in ALL_QUEUE_NAMES)
        finally:
            queue.close()

    def pause_processor(self) -> None:
        os.kill(self.processes["processor"].pid, signal.SIGSTOP)

    def resume_processor(self) -> None:
        os.kill(self.processes["processor"].pid, signal.SIGCONT)

    def wait_processed(self, crash_id: str, newer_than: str = "") -> dict[str, Any]:
        deadline = time.monotonic() + PROCESSING_SECONDS
        while time.monotonic() < deadline:
            try:
                processed = self.storage.load_processed_crash(crash_id)
            except CrashNotFound:
                processed = None
            if processed and processed.get("completed_datetime", "") > newer_than:
                return processed
            time.sleep(0.5)
        pytest.fail(f"{crash_id} was not processed in {PROCESSING_SECONDS}s:\n{self.tail()}")

    def tail(self) -> str:
        return "\n".join(
            f"--- {name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-30:])
            for name, path in self.logs.items()
        )


def seed(data_dir: Path) -> list[dict[str, Any]]:
    """The shared minidumps through the real processor, and synthetic crashes for volume."""
    storage = FilesystemCrashStorage(data_dir / "crashes")
    search = SqliteSearch(data_dir / "search.db")
    try:
        processed = process_shared_minidumps(storage, search, data_dir / "seed-work")
        corpus = Corpus(datetime.datetime.now(datetime.UTC), days=14, seed=11)
        result = search.index_crashes(corpus.crashes(SYNTHETIC))
        assert result.ok, result.failed[:3]
    finally:
        search.close()
    return processed


def make_users(env: dict[str, str]) -> None:
    code = (
        "from django.contrib.auth.models import Group, User\n"
        f"password = {PASSWORD!r}\n"
        "User.objects.create_superuser('admin', 'admin@example.com', password)\n"
        "hacker = User.objects.create_user('hacker', 'hacker@example.com', password)\n"
        "hacker.groups.add(Group.objects.get(name='Hackers'))\n"
        "User.objects.create_user('plain', 'plain@example.com', password)\n"
        # Bugs naming the busy signature, one fixed, as the bugassociations job leaves them.
        "from webapp.crashstats.models import Bug, BugAssociation\n"
        "for bug in (1900001, 1900002):\n"
        f"    BugAssociation.objects.create(bug_id=bug, signature={BUSY_SIGNATURE!r})\n"
        "Bug.objects.create(bug_id=1900001, summary='Crash in [@ OOM | small]',\n"
        "                   status='RESOLVED', resolution='FIXED')\n"
        "Bug.objects.create(bug_id=1900002, summary='OOM | small <b>', status='NEW')\n"
    )
    run_jansky(env, "manage", "shell", "-c", code)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    symbols = shared_testdata("rust-minidump") / "symbols"
    data_dir = tmp_path_factory.mktemp("pages-browser")
    env = {
        **{key: value for key, value in os.environ.items() if not key.startswith("DJANGO")},
        "DATA_DIR": str(data_dir),
        "STORAGE_URL": f"file://{data_dir / 'crashes'}",
        "QUEUE_URL": f"sqlite://{data_dir / 'queue.db'}",
        "SEARCH_URL": f"sqlite://{data_dir / 'search.db'}",
        "DATABASE_URL": "",
        "SYMBOLS_PATHS": str(symbols),
        "PROCESSOR_THREADS": "1",
        "PROCESSOR_IDLE_SECONDS": "0.2",
        "PROCESSOR_TEMPORARY_PATH": str(data_dir / "work"),
        "WEBAPP_WORKERS": "2",
        "WEBAPP_THREADS": "2",
        "WEBAPP_RATELIMIT_ANONYMOUS": "10000/m",
        "WEBAPP_RATELIMIT_AUTHENTICATED": "10000/m",
        "WEBAPP_LOG_LEVEL": "WARNING",
    }
    processed = seed(data_dir)
    run_jansky(env, "manage", "migrate", "--verbosity", "0")
    make_users(env)
    webapp_port, collector_port = free_port(), free_port()
    commands = {
        "collector": ("collector", "--bind", f"127.0.0.1:{collector_port}"),
        "processor": ("processor",),
        "webapp": ("webapp", "--bind", f"127.0.0.1:{webapp_port}"),
    }
    built = Site(
        url=f"http://127.0.0.1:{webapp_port}",
        collector=f"http://127.0.0.1:{collector_port}",
        data_dir=data_dir,
        env=env,
        processes={},
        real_crashes=processed,
    )
    try:
        for name, args in commands.items():
            log = data_dir / f"{name}.log"
            built.logs[name] = log
            built.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "jansky.cli", *args],
                env=env,
                cwd=ROOT,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        for name, url in (("webapp", built.url), ("collector", built.collector)):
            log, process = built.logs[name], built.processes[name]
            wait_until_serving(f"{url}/__lbheartbeat__", process, log, STARTUP_SECONDS)
        built.hostile_crash = submit_hostile_crash(built)
        built.wait_processed(built.hostile_crash)
        yield built
    finally:
        for process in built.processes.values():
            if process.poll() is None:
                os.kill(process.pid, signal.SIGCONT)
                process.terminate()
        for process in built.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def submit_hostile_crash(site: Site) -> str:
    dump = shared_testdata("rust-minidump") / "linux-mini.dmp"
    output = run_jansky(
        site.env,
        "submit",
        f"{site.collector}/submit",
        str(dump),
        "-a",
        "ProductName=Firefox",
        "-a",
        "Version=133.0",
        "-a",
        f"Notes={HOSTILE_SCRIPT} {HOSTILE_IMG}",
        "-a",
        f"MozCrashReason=MOZ_CRASH({HOSTILE_IMG})",
    )
    match = re.search(r"CrashID=bp-([0-9a-f-]{36})", output)
    assert match, output
    return match.group(1)


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Browser]:
    with chromium() as opened:
        yield opened


@pytest.fixture
def clean_console(browser: Browser) -> Iterator[Browser]:
    """Each test starts logged out and ends with an empty console."""
    browser.driver.delete_all_cookies()
    browser.collect_console()
    browser.console_errors.clear()
    yield browser
    browser.collect_console()
    assert browser.console_errors == [], json.dumps(browser.console_errors, indent=2)


def log_in(browser: Browser, site: Site, username: str, then: str = "/") -> None:
    browser.driver.delete_all_cookies()
    browser.get(f"{site.url}/login/?next={quote(then)}")
    browser.css("#id_username").send_keys(username)
    browser.css("#id_password").send_keys(PASSWORD)
    browser.css("#login-form button[type=submit]").click()
    browser.wait_for(lambda: "/login/" not in browser.driver.current_url, what="the login")
    browser.wait_for(lambda: username in browser.css(".account").text, what="the account link")


def real_crash(site: Site, product: str = "Firefox") -> dict[str, Any]:
    return next(crash for crash in site.real_crashes if crash["product"] == product)


# ---- the journeys ---------------------------------------------------------------------------


def test_search_with_a_facet_and_open_a_result(site: Site, clean_console: Browser) -> None:
    browser = clean_console
    crash = real_crash(site)
    browser.get(f"{site.url}/search/")
    Select(browser.css("#search-form select[name=product]")).select_by_visible_text("Firefox")
    row = browser.all("#filter-rows .filter-row")[-1]
    Select(row.find_element("css selector", "[data-field]")).select_by_value("signature")
    Select(row.find_element("css selector", "[data-operator]")).select_by_value("=")
    row.find_element("css selector", "[data-value]").send_keys(crash["signature"])
    browser.css("#add-row").click()  # a second line: its operators follow its field
    extra = browser.all("#filter-rows .filter-row")[-1]
    Select(extra.find_element("css selector", "[data-field]")).select_by_value("startup_crash")
    operators = Select(extra.find_element("css selector", "[data-operator]"))
    assert [option.text for option in operators.options][:2] == ["is true", "is false"]
    operators.select_by_value("__true__")
    assert not extra.find_element("css selector", "[data-value]").is_enabled()
    Select(extra.find_element("css selector", "[data-field]")).select_by_value("uptime")
    labels = [option.text for option in operators.options]
    assert "> (greater than)" in labels and "contains" not in labels
    extra.find_element("css selector", "[data-remove-row]").click()
    assert len(browser.all("#filter-rows .filter-row")) == 1
    browser.css("#more-options summary").click()
    facets = Select(browser.css("select[name=_facets]"))
    facets.deselect_all()
    facets.select_by_value("platform")
    browser.css("#search-form button[type=submit]").click()
    browser.wait_for(lambda: "Crash Reports" in browser.text(), what="search results")
    url = browser.driver.current_url
    assert "product=Firefox" in url and "_facets=platform" in url and "signature=%3D" in url
    browser.css("a[href='#facet-platform']").click()
    assert browser.css("#facet-platform").is_displayed()
    assert not browser.css("#results-reports").is_displayed()
    assert crash["os_name"] in browser.css("#facet-platform").text
    browser.css("a[href='#results-reports']").click()
    browser.css(f"#results-reports a[href='/report/index/{crash['uuid']}']").click()
    browser.wait_for(lambda: crash["uuid"] in browser.driver.current_url, what="the report")
    assert "Crash Report" in browser.driver.title
    assert crash["signature"] in browser.css("h1").text


def test_report_tabs(site: Site, clean_console: Browser) -> None:
    browser = clean_console
    crash = real_crash(site, "Thunderbird")  # the macOS dump with inlined frames
    browser.get(f"{site.url}/report/index/{crash['uuid']}")
    assert browser.css("#details").is_displayed() and not browser.css("#modules").is_displayed()
    assert "inlined" in browser.css("#crashing-thread-frames").text
    browser.css("a[href='#modules']").click()
    assert browser.css("#modules").is_displayed() and not browser.css("#details").is_displayed()
    assert browser.driver.current_url.endswith("#modules")
    assert "crash-client" in browser.css("#modules-table").text
    browser.css("a[href='#annotations']").click()
    assert "ProductName" in browser.css("#annotations").text
    browser.css("a[href='#details']").click()
    other = browser.css("#other-threads")
    assert other.get_attribute("open") is None
    other.find_element("css selector", "summary").click()
    assert other.get_attribute("open") is not None
    browser.driver.refresh()
    browser.wait_for(lambda: browser.css("#details").is_displayed(), what="the details tab")


def test_signature_graph_and_paging(site: Site, clean_console: Browser) -> None:
    browser = clean_console
    browser.get(f"{site.url}/signature/?signature={quote(BUSY_SIGNATURE)}")
    assert "Signature report for OOM | small" in browser.css("h1").text
    browser.css("#tab-graphs").click()
    canvas = browser.wait_for(
        lambda: browser.css("#signature-graph[data-drawn=true]"), what="the chart"
    )
    drawn = browser.driver.execute_script(
        "const c = arguments[0]; const blank = document.createElement('canvas');"
        "blank.width = c.width; blank.height = c.height;"
        "return c.width > 0 && c.toDataURL() !== blank.toDataURL();",
        canvas,
    )
    assert drawn, "the chart canvas is blank"
    assert "tab=graphs" in browser.driver.current_url
    browser.css("#tab-correlations").click()
    browser.wait_for(
        lambda: browser.all("[data-tab-content=correlations]"), what="the correlations tab"
    )
    assert "Over-represented attributes" in browser.text()
    assert "tab=correlations" in browser.driver.current_url
    browser.css("#tab-reports").click()
    browser.wait_for(lambda: browser.all("[data-tab-content=reports] .pagination"), what="pages")
    first_page = browser.css(".crash-table tbody tr td a").text
    browser.css(".pagination a[rel=next]").click()
    browser.wait_for(lambda: "page=2" in browser.driver.current_url, what="page 2 in the URL")
    browser.wait_for(
        lambda: browser.css(".pagination .current").text == "2", what="page 2 of the reports"
    )
    assert browser.css(".crash-table tbody tr td a").text != first_page
    browser.driver.back()
    browser.wait_for(lambda: browser.css(".pagination .current").text == "1", what="page 1 again")


def test_create_a_token(site: Site, clean_console: Browser) -> None:
    browser = clean_console
    log_in(browser, site, "hacker", then="/api/tokens/")
    assert "/api/tokens/" in browser.driver.current_url
    browser.css("input[name=permissions][value=view_pii]").click()
    browser.css("#id_notes").send_keys("browser test token")
    browser.css("#token-form button[type=submit]").click()
    key = browser.wait_for(lambda: browser.css("#new-token-key").text, what="the new key")
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert "browser test token" in browser.css("#tokens-table").text
    request = urllib.request.Request(f"{site.url}/api/whoami/", headers={"Auth-Token": key})
    with urllib.request.urlopen(request, timeout=10) as response:
        whoami = json.load(response)
    assert whoami["user"] == "hacker"
    assert [p["codename"] for p in whoami["permissions"]] == ["view_pii"]


def test_run_a_custom_query_from_a_search(site: Site, clean_console: Browser) -> None:
    browser = clean_console
    crash = real_crash(site)
    search = f"/search/?product=Firefox&signature=%3D{quote(crash['signature'])}"
    log_in(browser, site, "admin", then=search)
    browser.wait_for(lambda: "Crash Reports" in browser.text(), what="search results")
    browser.driver.find_element("link text", "Edit as a custom query").click()
    browser.wait_for(lambda: browser.all("#custom-query"), what="the custom query page")
    assert "crashes" in browser.css("#custom-query select[name=indices]").text
    browser.css("#custom-query button[type=submit]").click()
    browser.wait_for(lambda: browser.css("#custom-answer").is_displayed(), what="the answer")
    answer = json.loads(browser.css("#custom-answer").text)
    assert crash["uuid"] in [row[0] for row in answer["rows"]]
    assert browser.css("#custom-status").text.startswith("200")
    assert crash["uuid"] in browser.css("#custom-rows table").text
    assert browser.axe() == []
    browser.screenshot("custom-query-admin")
    browser.screenshot("custom-query-admin-phone", PHONE)


def test_try_an_api_endpoint_from_its_reference(site: Site, clean_console: Browser) -> None:
    browser = clean_console
    browser.get(f"{site.url}/api/")
    form = browser.css("#SuperSearchFields form[data-try-it]")
    form.find_element("css selector", "button[type=submit]").click()
    status = form.find_element("css selector", "[data-status]")
    browser.wait_for(lambda: "→ 200" in status.text, what="the answer")
    answer = json.loads(form.find_element("css selector", "[data-body-out]").text)
    assert answer["signature"]["name"] == "signature"


def test_reprocess_and_see_the_pending_page_turn_into_the_report(
    site: Site, clean_console: Browser
) -> None:
    browser = clean_console
    crash = real_crash(site, "Fenix")
    before = site.storage.load_processed_crash(crash["uuid"])["completed_datetime"]
    log_in(browser, site, "hacker", then=f"/report/index/{crash['uuid']}")
    browser.css("a[href='#reprocess']").click()
    site.pause_processor()  # so the pending page is certainly seen
    try:
        browser.css("#reprocess-form button").click()
        browser.wait_for(lambda: "Reprocessing crash" in browser.text(), what="the pending page")
        assert "reprocessed=" in browser.driver.current_url
    finally:
        site.resume_processor()
    site.wait_processed(crash["uuid"], newer_than=before)
    browser.wait_for(
        lambda: "Crash Report" in browser.driver.title, timeout=60, what="the report to return"
    )
    assert browser.driver.current_url.endswith(f"/report/index/{crash['uuid']}")


def test_pending_page_queues_a_stored_crash_and_turns_into_the_report(
    site: Site, clean_console: Browser
) -> None:
    browser = clean_console
    dump = (shared_testdata("rust-minidump") / "test.dmp").read_bytes()
    crash_id = create_crash_id()
    raw = raw_crash(crash_id, "Firefox", "133.0", "release", dump)
    site.storage.save_raw_crash(crash_id, raw, {"upload_file_minidump": dump})  # not queued
    site.pause_processor()
    try:
        browser.get(f"{site.url}/report/index/{crash_id}")
        assert "is not processed yet" in browser.text()
        assert "now queued with priority" in browser.text()
        assert site.queued() == 1
    finally:
        site.resume_processor()
    browser.wait_for(
        lambda: "Crash Report" in browser.driver.title, timeout=90, what="the processed report"
    )
    assert "(anonymous namespace)::CrashFunction" in browser.css("h1").text


def test_hostile_annotations_show_as_text_and_run_nothing(
    site: Site, clean_console: Browser
) -> None:
    browser = clean_console
    for user in (None, "admin"):
        if user:
            log_in(browser, site, user, then=f"/report/index/{site.hostile_crash}")
        else:
            browser.get(f"{site.url}/report/index/{site.hostile_crash}")
        details = browser.css("#details-table").text
        assert HOSTILE_SCRIPT in details and HOSTILE_IMG in details
        browser.css("a[href='#annotations']").click()
        assert HOSTILE_SCRIPT in browser.css("#annotations").text
        assert browser.all("main img") == []
        assert browser.driver.execute_script("return window.owned === undefined")
        with pytest.raises(NoAlertPresentException):
            browser.driver.switch_to.alert.text  # noqa: B018 (raises when there is no alert)


# ---- every main page: accessibility, screenshots ----------------------------------------------


def main_pages(site: Site) -> dict[str, str]:
    crash = real_crash(site, "Thunderbird")["uuid"]
    signature = quote(BUSY_SIGNATURE)
    return {
        "home": "/",
        "product": "/home/product/Firefox",
        "report": f"/report/index/{crash}",
        "signature-summary": f"/signature/?signature={signature}",
        "signature-graphs": f"/signature/?signature={signature}&tab=graphs",
        "signature-reports": f"/signature/?signature={signature}&tab=reports",
        "signature-correlations": f"/signature/?signature={signature}&tab=correlations",
        "signature-bugzilla": f"/signature/?signature={signature}&tab=bugzilla",
        "search": "/search/?product=Firefox&_facets=signature&_facets=version",
        "topcrashers": "/topcrashers/?product=Firefox",
        "documentation": "/documentation/",
        "supersearch-guide": "/documentation/supersearch/",
        "datadictionary-field": "/documentation/datadictionary/dataset/processed/field/signature",
        "api": "/api/",
        "tokens": "/api/tokens/",
        "profile": "/profile/",
        "login": "/login/",
        "not-found": "/no/such/page",
    }


@pytest.mark.timeout(1200)
def test_main_pages_are_accessible_and_photographed(site: Site, clean_console: Browser) -> None:
    browser = clean_console
    problems = {}
    for who in ("anonymous", "hacker"):
        if who != "anonymous":
            log_in(browser, site, who)
        for name, path in main_pages(site).items():
            if who == "anonymous" and name in {"tokens", "profile"}:
                continue  # they send anonymous visitors to the login page
            browser.get(f"{site.url}{path}", error_status=name == "not-found")
            if name == "signature-graphs":
                browser.wait_for(
                    lambda: browser.all("#signature-graph[data-drawn=true]"), what="the chart"
                )
            violations = browser.axe()
            if violations:
                problems[f"{who} {name}"] = violations
            browser.screenshot(f"{name}-{who}")
            browser.screenshot(f"{name}-{who}-phone", PHONE)
    assert problems == {}, json.dumps(problems, indent=2)
