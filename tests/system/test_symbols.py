"""Symbols end to end, on live processes: healing late symbols and Jansky as a symbol server.

For each deployment shape (files + SQLite; MinIO + ElasticMQ + OpenSearch), `jansky
processor` and `jansky webapp` run as real processes. The shared `test.dmp` is processed
without its symbols (signature `test_app.exe`); `jansky symbols upload` sends the shared
symbols; with no other step the webapp's healer queues the crash, the processor walks it again
with the uploaded symbols, and the crash signs `(anonymous namespace)::CrashFunction` in
storage and in search. Then `minidump-stackwalk --symbols-url=<site>/symbols`, and the
stackwalker service given the same URL, walk every shared minidump as they do from the local
symbol folder.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

from jansky.crashid import create_crash_id
from jansky.queue import STANDARD, open_queue
from jansky.schemas import ANONYMOUS
from jansky.search import open_search
from jansky.storage import CrashNotFound, open_storage
from processor.child_process import run_captured
from processor.config import default_stackwalker_path
from processor.service_stackwalker import ServiceStackwalker
from processor.stackwalker import Stackwalker
from processor.stackwalker_service import ServiceSettings, StackwalkerService
from tests.live import free_port, run_jansky, wait_until_serving
from tests.processed_crashes import raw_crash
from tests.servers import ROOT, provisioned, server_env, service_binaries, shared_testdata

pytestmark = pytest.mark.system

STARTUP_SECONDS = 90.0
HEAL_SECONDS = 120.0
UNSYMBOLIZED = "test_app.exe"
HEALED = "(anonymous namespace)::CrashFunction"
HEALED_UPSTREAM = "sadness_generator::raise_segfault"  # pipeline-inlines-macos-segv.dmp
BUCKET = "jansky-crashes"


def jansky(env: dict[str, str], *args: str) -> str:
    return run_jansky(env, *args, timeout=120)


def shape_env(shape: str, data_dir: Path) -> dict[str, str]:
    """The settings of one deployment shape; the servers' names are unique to this run."""
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.endswith("_URL") and key != "DJANGO_SETTINGS_MODULE"
    }
    env = {**base, "DATA_DIR": str(data_dir), "DJANGO_SUPERUSER_PASSWORD": "a-password-123"}
    if shape == "files":
        return env
    servers = server_env("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS", "SEARCH_URL")
    unique = uuid.uuid4().hex[:10]
    return {
        **env,
        **{key: value for key, value in servers.items() if key.startswith("AWS_")},
        "STORAGE_URL": f"s3://{BUCKET}/tests-symbols-{unique}",
        "QUEUE_URL": f"sqs://?prefix=jsy{unique}-",
        "SEARCH_URL": servers["SEARCH_URL"],
        "SEARCH_INDEX_TEMPLATE": f"jsy{unique}%Y%W",
        "SEARCH_REPLICAS": "0",
        "SEARCH_REFRESH_INTERVAL": "1s",
    }


def start(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "jansky.cli", *args],
            env=env,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


@dataclass
class Site:
    shape: str
    url: str
    env: dict[str, str]
    data_dir: Path
    token: str
    logs: list[Path]
    upstream: Path  # the folder an upstream symbol server (SYMBOLS_URLS) serves

    storage: Any
    queue: Any
    search: Any

    def log_text(self) -> str:
        return "\n".join(f"== {log.name}\n{log.read_text()[-6000:]}" for log in self.logs)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def clean_servers(env: dict[str, str]) -> None:
    if "STORAGE_URL" not in env:
        return
    prefix = env["STORAGE_URL"].removeprefix(f"s3://{BUCKET}/")
    aws = {
        "region_name": env["AWS_REGION"],
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
    }
    s3 = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL_S3"], **aws)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    sqs = boto3.client("sqs", endpoint_url=env["AWS_ENDPOINT_URL_SQS"], **aws)
    queue_prefix = env["QUEUE_URL"].split("prefix=")[1]
    for url in sqs.list_queues(QueueNamePrefix=queue_prefix).get("QueueUrls", []):
        sqs.delete_queue(QueueUrl=url)
    search_url = env["SEARCH_URL"].split("+", 1)[1]
    template = env["SEARCH_INDEX_TEMPLATE"].split("%")[0]
    request = urllib.request.Request(f"{search_url}/{template}*", method="DELETE")
    with urllib.request.urlopen(request, timeout=30):
        pass


@pytest.fixture(scope="module", params=["files", "servers"])
def site(request, tmp_path_factory) -> Iterator[Site]:
    shape = request.param
    provisioned(service_binaries()[0], "stackwalker")
    data_dir = tmp_path_factory.mktemp(f"symbols-{shape}")
    upstream = data_dir / "upstream"
    upstream.mkdir()
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(upstream))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        **shape_env(shape, data_dir),
        "SYMBOLS_URLS": f"http://127.0.0.1:{server.server_address[1]}",
    }
    jansky(env, "setup")
    jansky(env, "manage", "migrate", "--verbosity=0")
    jansky(
        env,
        "manage",
        "createsuperuser",
        "--noinput",
        "--username=admin",
        "--email=admin@example.com",
    )
    token = jansky(env, "manage", "createtoken", "admin", "--permission=upload_symbols").strip()
    storage, queue, search = open_backends(env, data_dir)
    port = free_port()
    logs = [data_dir / "processor.log", data_dir / "webapp.log"]
    processor = start(env, logs[0], "processor")
    webapp = start(env, logs[1], "webapp", f"--bind=127.0.0.1:{port}", "--workers=2")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{url}/__lbheartbeat__", webapp, logs[1], STARTUP_SECONDS)
        yield Site(shape, url, env, data_dir, token, logs, upstream, storage, queue, search)
    finally:
        stop(webapp)
        stop(processor)
        server.shutdown()
        server.server_close()
        search.close()
        clean_servers(env)


def open_backends(env: dict[str, str], data_dir: Path) -> tuple[Any, Any, Any]:
    """The site's storage, queue and search, opened here with its settings."""
    saved = {key: os.environ.get(key) for key in env}
    os.environ.update(env)
    try:
        return (
            open_storage(env.get("STORAGE_URL") or f"file://{data_dir / 'crashes'}"),
            open_queue(env.get("QUEUE_URL") or f"sqlite://{data_dir / 'queue.db'}"),
            open_search(
                env.get("SEARCH_URL") or f"sqlite://{data_dir / 'search.db'}",
                env=env,
            ),
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def submit(site: Site, dump: Path) -> str:
    crash_id = create_crash_id()
    data = dump.read_bytes()
    annotations = raw_crash(crash_id, "Symbols", "1.0", "release", data)
    site.storage.save_raw_crash(crash_id, annotations, {"upload_file_minidump": data})
    site.queue.publish(STANDARD, [crash_id])
    return crash_id


def signatures(site: Site, crash_id: str) -> tuple[str | None, str | None]:
    """The crash's signature in storage and in search (None until it is there)."""
    try:
        stored = site.storage.load_processed_crash(crash_id).get("signature")
    except CrashNotFound:
        stored = None
    week_ago = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=7)).isoformat()
    answer = site.search.search(
        {"uuid": crash_id, "_columns": ["signature"], "date": f">={week_ago}", "_facets_size": 0},
        ANONYMOUS,
    )
    hits = answer["hits"]
    return stored, hits[0]["signature"] if hits else None


def settled_signature(site: Site, crash_id: str, seconds: float) -> str:
    """The signature storage and search agree on, once they do."""
    deadline = time.monotonic() + seconds
    seen: tuple[str | None, str | None] = (None, None)
    while time.monotonic() < deadline:
        seen = signatures(site, crash_id)
        if seen[0] is not None and seen[0] == seen[1]:
            return seen[0]
        time.sleep(0.5)
    pytest.fail(f"{crash_id}: storage and search say {seen}\n{site.log_text()}")


def wait_for(site: Site, crash_id: str, expected: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    seen = (None, None)
    while time.monotonic() < deadline:
        seen = signatures(site, crash_id)
        if seen == (expected, expected):
            return
        time.sleep(0.5)
    pytest.fail(f"{crash_id}: storage and search say {seen}, not {expected!r}\n{site.log_text()}")


def upload_json(site: Site, upload_url: str) -> dict[str, Any]:
    upload_id = upload_url.rstrip("/").rsplit("/", 1)[1]
    request = urllib.request.Request(
        f"{site.url}/symbols/upload/{upload_id}", headers={"Auth-Token": site.token}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def upload_symbols(site: Site, path: Path) -> str:
    """What `jansky symbols upload` prints for ``path`` (its progress bar goes to stderr)."""
    return jansky(
        site.env, "symbols", "upload", f"--url={site.url}", f"--token={site.token}", str(path)
    )


def test_a_crash_heals_when_its_symbols_are_uploaded(site):
    data = shared_testdata("rust-minidump")
    crash_id = submit(site, data / "test.dmp")
    wait_for(site, crash_id, UNSYMBOLIZED, STARTUP_SECONDS)
    missing = json.loads(
        urllib.request.urlopen(f"{site.url}/api/MissingSymbols/", timeout=10).read()
    )
    assert "test_app.pdb" in [hit["debug_file"] for hit in missing["hits"]]

    output = upload_symbols(site, data / "symbols" / "test_app.pdb")
    assert "1 symbol file: 1 new, 0 replaced, 0 already stored" in output
    page_url = next(line.strip() for line in output.splitlines() if "/symbols/uploads/" in line)

    wait_for(site, crash_id, HEALED, HEAL_SECONDS)  # no other step: the healer did it
    progress = upload_json(site, page_url)["healing"]
    assert progress == {
        "modules": 1,
        "modules_done": 1,
        "crashes": 1,
        "queued": 1,
        "finished": True,
    }
    page = urllib.request.urlopen(page_url, timeout=10)  # the page needs a login
    assert "/login/" in page.geturl()

    again = upload_symbols(site, data / "symbols" / "test_app.pdb")
    assert "1 symbol file: 0 new, 0 replaced, 1 already stored" in again
    # The healer on its own (SYMBOLS_HEALING=false deployments) finds nothing left to do.
    assert jansky(site.env, "symbols", "heal", "--once") == "queued 0 crashes for reprocessing\n"


def test_a_crash_heals_when_its_symbols_appear_upstream(site):
    data = shared_testdata("rust-minidump")
    crash_id = submit(site, data / "pipeline-inlines-macos-segv.dmp")
    unsymbolized = settled_signature(site, crash_id, STARTUP_SECONDS)
    assert unsymbolized != HEALED_UPSTREAM
    assert "0 found" in jansky(site.env, "cron", "upstreamsymbols")

    shutil.copytree(data / "symbols" / "crash-client", site.upstream / "crash-client")
    output = jansky(site.env, "cron", "upstreamsymbols", "--recheck-hours=0")
    assert "crash-client/509C0610949836F7B70BD88BCF03E5400: found at http://127.0.0.1:" in output
    wait_for(site, crash_id, HEALED_UPSTREAM, HEAL_SECONDS)  # the healer and the processor
    assert "1 found" not in jansky(site.env, "cron", "upstreamsymbols", "--recheck-hours=0")


def shared_dumps() -> list[Path]:
    return sorted(shared_testdata("rust-minidump").glob("*.dmp"))


def without_symbol_urls(output: bytes) -> Any:
    """The stackwalker's JSON without ``symbol_url``, the one field that names where symbols
    came from (null from a folder, the URL from a server)."""
    data = json.loads(output) if output else None
    for module in (data or {}).get("modules", []):
        module.pop("symbol_url", None)
    return data


def test_minidump_stackwalk_uses_jansky_as_its_symbol_server(site, tmp_path):
    data = shared_testdata("rust-minidump")
    upload_symbols(site, data / "symbols")
    binary = default_stackwalker_path()
    symbol_server = f"{site.url}/symbols"
    one_shot = Stackwalker(
        binary,
        symbols_urls=[symbol_server],
        symbols_cache_path=tmp_path / "cache",
        symbols_tmp_path=tmp_path / "tmp",
        kill_timeout=60,
    )
    local = Stackwalker(binary, symbols_paths=[str(data / "symbols")], kill_timeout=60)
    service = ServiceStackwalker(
        Stackwalker(
            binary,
            symbols_urls=[symbol_server],
            symbols_cache_path=tmp_path / "service-cache",
            symbols_tmp_path=tmp_path / "service-tmp",
            kill_timeout=60,
        ),
        StackwalkerService(ServiceSettings(str(service_binaries()[0]), 1 << 30, 0)),
    )
    one_shot.make_symbol_directories()
    try:
        for dump in shared_dumps():
            code, output, _log = run_captured(local.command(dump), b"", 60)
            expected = (code, without_symbol_urls(output))
            code, output, _log = run_captured(one_shot.command(dump), b"", 60)
            assert (code, without_symbol_urls(output)) == expected, dump.name
            walked = service.run(dump, dump.name)
            assert (
                walked.return_code,
                without_symbol_urls(
                    json.dumps(walked.json_dump).encode() if walked.json_dump else b""
                ),
            ) == expected, dump.name
        with_symbols = json.loads(run_captured(one_shot.command(data / "test.dmp"), b"", 60)[1])
        urls = {module.get("symbol_url") for module in with_symbols["modules"]}
        assert f"{symbol_server}/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym" in {
            (url or "").split("?")[0] for url in urls
        }
    finally:
        service.close()
    cached = tmp_path / "cache" / "test_app.pdb" / "5A9832E5287241C1838ED98914E9B7FF1"
    sym = data / "symbols" / "test_app.pdb" / "5A9832E5287241C1838ED98914E9B7FF1" / "test_app.sym"
    # The cached copy is the served file plus the stackwalker's INFO URL line.
    assert (cached / "test_app.sym").read_bytes().startswith(sym.read_bytes())
    digest = hashlib.sha256(sym.read_bytes()).hexdigest()
    served = urllib.request.urlopen(f"{symbol_server}/test_app.pdb/{cached.name}/test_app.sym")
    assert hashlib.sha256(served.read()).hexdigest() == digest
