"""crashstats-tools, unchanged, against a live `jansky webapp` (Socorro's own client).

One `jansky webapp` (gunicorn) serves a DATA_DIR holding the shared minidumps processed by the
real processor plus 2,500 synthetic crashes (so that `--num=all` pages through several 1,000
hit pages). Each crashstats-tools command of the compatibility contract runs in a child
process, through the package's own entry points; its output is compared with what the search
layer and the storage hold.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jansky.queue import REPROCESSING
from jansky.queue.sqlite import SqliteCrashQueue
from jansky.schemas import ANONYMOUS, VIEW_PII
from jansky.search.corpus import Corpus
from jansky.search.sqlite.backend import SqliteSearch
from jansky.storage import FilesystemCrashStorage
from tests.live import free_port, run_jansky, wait_until_serving
from tests.processed_crashes import PROTECTED_MARK, process_shared_minidumps
from tests.servers import ROOT

pytestmark = pytest.mark.system

STARTUP_SECONDS = 60.0
SYNTHETIC = 2500
TODAY = datetime.datetime.now(datetime.UTC).date()
# Runs a crashstats-tools console script by name from the package's own entry points (another
# installed package also has a `fetch-data` script).
RUNNER = (
    "import sys\n"
    "from importlib.metadata import distribution\n"
    "name = sys.argv.pop(1)\n"
    "scripts = {ep.name: ep for ep in distribution('crashstats-tools').entry_points}\n"
    "sys.argv[0] = name\n"
    "sys.exit(scripts[name].load()())\n"
)


@dataclass
class Site:
    url: str
    data_dir: Path
    env: dict[str, str]
    processed: list[dict[str, Any]]
    pii_token: str
    reprocess_token: str
    plain_token: str

    def search(self, params: dict[str, Any], pii: bool = False) -> dict[str, Any]:
        search = SqliteSearch(self.data_dir / "search.db")
        try:
            return search.search(params, VIEW_PII if pii else ANONYMOUS)
        finally:
            search.close()

    def tool(
        self, name: str, *args: str, token: str | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess:
        env = {key: value for key, value in os.environ.items() if key != "CRASHSTATS_API_TOKEN"}
        env["COLUMNS"] = "200"
        if token:
            env["CRASHSTATS_API_TOKEN"] = token
        return subprocess.run(
            [sys.executable, "-c", RUNNER, name, f"--host={self.url}", *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    data_dir = tmp_path_factory.mktemp("crashstats-tools")
    storage = FilesystemCrashStorage(data_dir / "crashes")
    search = SqliteSearch(data_dir / "search.db")
    processed = process_shared_minidumps(storage, search, data_dir / "processing")
    now = datetime.datetime.now(datetime.UTC)
    assert search.index_crashes(Corpus(now, days=20, seed=9).crashes(SYNTHETIC)).ok
    search.close()
    env = {
        # The child processes read their own settings: none of the test run's.
        **{
            key: value
            for key, value in os.environ.items()
            if not key.endswith("_URL") and key != "DJANGO_SETTINGS_MODULE"
        },
        "DATA_DIR": str(data_dir),
        "WEBAPP_RATELIMIT_ANONYMOUS": "600/m",
        "DJANGO_SUPERUSER_PASSWORD": "a-password-for-the-tests",
    }
    run_jansky(env, "manage", "migrate", "--verbosity=0")
    run_jansky(
        env,
        "manage",
        "createsuperuser",
        "--noinput",
        "--username=admin",
        "--email=admin@example.com",
    )
    pii = run_jansky(
        env, "manage", "createtoken", "admin", "--permission=view_pii", "--permission=view_rawdump"
    ).strip()
    reprocess = run_jansky(env, "manage", "createtoken", "admin", "--permission=reprocess_crashes")
    plain = run_jansky(env, "manage", "createtoken", "admin").strip()
    port = free_port()
    log = data_dir / "webapp.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jansky.cli",
                "webapp",
                f"--bind=127.0.0.1:{port}",
                "--workers=2",
                "--threads=4",
            ],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{url}/__lbheartbeat__", process, log, STARTUP_SECONDS)
        yield Site(url, data_dir, env, processed, pii, reprocess.strip(), plain)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(30)


def rows(output: str, delimiter: str = "\t") -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(output), delimiter=delimiter) if row]


def test_supersearch_columns_and_headers(site):
    result = site.tool(
        "supersearch",
        "--product=Firefox",
        "--num=5",
        "--_columns=uuid",
        "--_columns=signature",
        "--headers",
    )
    assert result.returncode == 0, result.stderr
    expected = site.search(
        {
            "product": "Firefox",
            "_columns": ["uuid", "signature"],
            "_sort": "-date",
            "_results_number": 5,
            "_facets_size": 0,
        }
    )
    lines = result.stdout.splitlines()
    assert lines[0] == "uuid\tsignature"
    assert [line.split("\t")[0] for line in lines[1:]] == [hit["uuid"] for hit in expected["hits"]]


def test_supersearch_pages_through_everything(site):
    start, end = TODAY - datetime.timedelta(days=14), TODAY + datetime.timedelta(days=1)
    result = site.tool(
        "supersearch", "--num=all", f"--date=>={start}", f"--date=<{end}", "--format=csv"
    )
    assert result.returncode == 0, result.stderr
    uuids = [row[0] for row in rows(result.stdout, ",")]  # no header row by default
    expected = site.search({"date": [f">={start}", f"<{end}"], "_results_number": 0})["total"]
    assert expected > 1000  # several pages of 1,000
    assert len(uuids) == len(set(uuids)) == expected


def test_supersearch_url_and_exact_signature(site):
    url = f"{site.url}/search/?product=Firefox&signature=~OOM&_facets=signature&_columns=uuid"
    result = site.tool("supersearch", f"--supersearch-url={url}", "--num=2")
    assert result.returncode == 0, result.stderr
    expected = site.search(
        {
            "product": "Firefox",
            "signature": "~OOM",
            "_sort": "-date",
            "_results_number": 2,
            "_columns": "uuid",
        }
    )
    assert result.stdout.split() == [hit["uuid"] for hit in expected["hits"]]
    result = site.tool(
        "supersearch",
        "--signature==OOM | small",
        "--_columns=uuid",
        "--_columns=build_id",
        "--format=tab",
        "--num=all",
    )
    assert result.returncode == 0, result.stderr
    expected = site.search({"signature": "=OOM | small", "_results_number": 0})["total"]
    lines = result.stdout.splitlines()
    assert len(lines) == expected > 0
    assert all(line.split("\t")[1].isdigit() for line in lines)


def test_supersearch_protected_column_needs_view_pii(site):
    result = site.tool("supersearch", "--_columns=url", "--product=Firefox", "--num=3")
    assert result.returncode != 0
    assert "url: no data" in result.stderr
    with_token = site.tool(
        "supersearch",
        "--_columns=url",
        "--product=Firefox",
        "--num=1",
        "--url=!__null__",
        token=site.pii_token,
    )
    assert with_token.returncode == 0, with_token.stderr
    assert PROTECTED_MARK in with_token.stdout


def facet_table(output: str) -> dict[str, str]:
    """``term -> count`` from supersearchfacet's tab output (title and header rows dropped)."""
    return {row[0]: row[1] for row in rows(output)[2:]}


def test_supersearchfacet_terms(site):
    start, end = TODAY - datetime.timedelta(days=6), TODAY
    result = site.tool(
        "supersearchfacet",
        "--product=Firefox",
        "--_facets=version",
        f"--start-date={start}",
        f"--end-date={end}",
        "--format=tab",
    )
    assert result.returncode == 0, result.stderr
    expected = site.search(
        {
            "product": "Firefox",
            "_facets": "version",
            "_results_number": 0,
            "date": [f">={start} 00:00:00", f"<{end} 23:59:59"],
        }
    )
    table = facet_table(result.stdout)
    for bucket in expected["facets"]["version"]:
        assert table[bucket["term"]] == str(bucket["count"])
    assert table["total"] == str(expected["total"])


def test_supersearchfacet_histogram_aggs_and_cardinality(site):
    start, end = TODAY - datetime.timedelta(days=3), TODAY
    dates = (f"--start-date={start}", f"--end-date={end}")
    window = {"date": [f">={start} 00:00:00", f"<{end} 23:59:59"], "_results_number": 0}

    histogram = site.tool("supersearchfacet", "--_histogram.date=product", *dates, "--format=tab")
    assert histogram.returncode == 0, histogram.stderr
    lines = rows(histogram.stdout)
    assert lines[0] == ["histogram_date.product"]
    products = lines[1][1:-1]
    expected = site.search({**window, "_histogram.date": "product", "_facets": []})
    assert len(lines) == 2 + len(expected["facets"]["histogram_date"])
    for line, bucket in zip(lines[2:], expected["facets"]["histogram_date"], strict=True):
        counts = {sub["term"]: sub["count"] for sub in bucket["facets"]["product"]}
        assert line[0] == bucket["term"][:10]  # the day, without T00:00:00+00:00
        assert line[1:-1] == [str(counts.get(product, 0)) for product in products]
        assert line[-1] == str(bucket["count"])

    nested = site.tool(
        "supersearchfacet",
        "--_aggs.product.version=_cardinality.install_time",
        *dates,
        "--format=tab",
    )
    assert nested.returncode == 0, nested.stderr
    expected = site.search({**window, "_aggs.product.version": "_cardinality.install_time"})
    wanted = {
        f"{product['term']} / {version['term']} / value": str(
            version["facets"]["cardinality_install_time"]["value"]
        )
        for product in expected["facets"]["product"]
        for version in product["facets"]["version"]
    }
    shown = facet_table(nested.stdout)
    assert shown.pop("total") == str(expected["total"])
    assert shown == wanted

    cardinality = site.tool(
        "supersearchfacet", "--_facets=_cardinality.build_id", *dates, "--format=csv"
    )
    assert cardinality.returncode == 0, cardinality.stderr
    expected = site.search({**window, "_facets": "_cardinality.build_id"})
    value = expected["facets"]["cardinality_build_id"]["value"]
    assert rows(cardinality.stdout, ",")[-1] == ["value", str(value)]

    raw = site.tool(
        "supersearchfacet", "--product=Firefox", "--_facets=platform", *dates, "--format=raw"
    )
    assert raw.returncode == 0, raw.stderr
    expected = site.search({**window, "product": "Firefox", "_facets": "platform"})
    payload = json.loads(raw.stdout)
    assert payload["total"] == expected["total"]
    assert payload["facets"]["platform"] == expected["facets"]["platform"]


def test_fetch_data_with_a_token(site, tmp_path):
    crash_id = site.processed[0]["uuid"]
    out = tmp_path / "out"
    result = site.tool(
        "fetch-data",
        "--raw",
        "--dumps",
        "--processed",
        str(out),
        crash_id,
        f"bp-{crash_id}",
        f"{site.url}/report/index/{crash_id}",
        token=site.pii_token,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    storage = FilesystemCrashStorage(site.data_dir / "crashes")
    date = "20" + crash_id[-6:]
    assert json.loads((out / "raw_crash" / date / crash_id).read_text()) == (
        storage.load_raw_crash(crash_id)
    )
    assert json.loads((out / "dump_names" / crash_id).read_text()) == ["upload_file_minidump"]
    assert (out / "upload_file_minidump" / crash_id).read_bytes() == storage.load_dump(
        crash_id, "upload_file_minidump"
    )
    assert json.loads((out / "processed_crash" / crash_id).read_text()) == (
        storage.load_processed_crash(crash_id)
    )


def test_fetch_data_with_workers_from_stdin(site, tmp_path):
    ids = [crash["uuid"] for crash in site.processed]
    out = tmp_path / "out"
    # crashstats-tools 2.1.0's worker processes race to create the same folders (it checks, then
    # makedirs): one crash fetched alone first makes them, as a second run of the tool would.
    first = site.tool("fetch-data", "--processed", str(out), ids[0], token=site.pii_token)
    assert first.returncode == 0, first.stderr + first.stdout
    result = site.tool(
        "fetch-data",
        "--workers=4",
        "--processed",
        str(out),
        token=site.pii_token,
        stdin="\n".join(ids) + "\n",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    for crash_id in ids:
        assert (out / "processed_crash" / crash_id).exists()
        assert (out / "raw_crash" / f"20{crash_id[-6:]}" / crash_id).exists()


def test_fetch_data_without_a_token_gets_public_data_only(site, tmp_path):
    crash_id = site.processed[1]["uuid"]
    out = tmp_path / "out"
    result = site.tool("fetch-data", "--raw", "--processed", str(out), crash_id)
    assert result.returncode == 0, result.stderr + result.stdout
    raw = (out / "raw_crash" / f"20{crash_id[-6:]}" / crash_id).read_text()
    processed = (out / "processed_crash" / crash_id).read_text()
    assert PROTECTED_MARK not in raw + processed
    assert json.loads(processed)["signature"] == site.processed[1]["signature"]


def test_reprocess(site):
    ids = [crash["uuid"] for crash in site.processed[:2]]
    result = site.tool("reprocess", *ids, token=site.reprocess_token)
    assert result.returncode == 0, result.stderr + result.stdout
    result = site.tool(
        "reprocess", "--ruleset=regenerate_signature", ids[0], token=site.reprocess_token
    )
    assert result.returncode == 0, result.stderr + result.stdout
    queue = SqliteCrashQueue(site.data_dir / "queue.db")
    bodies = sorted(message.body for message in queue.receive(REPROCESSING, max_messages=10))
    assert bodies == sorted([*ids, f"{ids[0]}:regenerate_signature"])


def test_refusals(site):
    bad = site.tool("supersearch", "--num=1", token="0" * 32)
    assert bad.returncode != 0
    assert "HTTP 403: API Token not matched" in bad.stderr + bad.stdout
    refused = site.tool("reprocess", site.processed[0]["uuid"], token=site.plain_token)
    assert "requires the 'Reprocess Crashes' permission" in refused.stderr
    queue = SqliteCrashQueue(site.data_dir / "queue.db")
    assert queue.receive(REPROCESSING) == []
