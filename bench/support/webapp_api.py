"""Crash Stats API benchmark (``bench/webapp.py api``): what the Django stack adds over the
direct call.

Indexes a synthetic corpus (``jansky.search.corpus``, 100,000 crashes by default) into SQLite
and, when `make services` has written var/services.env, OpenSearch; stores a few crashes whose
processed crash holds a real stackwalker output (~100 kB, from the shared test data). Then
times, side by side and interleaved, each API call through the whole Django stack (WSGI
handler, every middleware, rate limits, token and session lookups, validation, redaction,
JSON) with Django's test client, and the same work done directly: ``SearchBackend.search`` for
SuperSearch, ``CrashStorage.load_*`` for ProcessedCrash and RawCrash. Figures are printed;
nothing is asserted. Target: the API adds at most 10 ms at p50.
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bench.support.webapp import configure_django, percentile, stackwalker_output
from jansky.schemas import ANONYMOUS
from jansky.search.corpus import Corpus
from tests.servers import is_listening, read_services_env

STORED_CRASHES = 20
WARMUP = 3


def store_crashes(storage: Any, corpus: Corpus) -> list[str]:
    """Crashes with a raw crash, a 200 kB minidump and a processed crash with a real json_dump."""
    json_dump = stackwalker_output()
    ids = []
    for crash_id, crash in corpus.crashes(STORED_CRASHES):
        crash["json_dump"] = json_dump
        crash["user_comments"] = "a protected comment"
        raw = {
            "ProductName": crash["product"],
            "Version": crash["version"],
            "uuid": crash_id,
            "URL": "https://example.com/",
            "metadata": {"dump_checksums": {}},
        }
        storage.save_raw_crash(crash_id, raw, {"upload_file_minidump": os.urandom(200_000)})
        storage.save_processed_crash(crash_id, crash)
        ids.append(crash_id)
    return ids


def compare(label: str, api: Callable[[], Any], direct: Callable[[], Any], repeat: int) -> None:
    """Interleaved timings of both calls; prints p50/p95 of each and the p50 difference."""
    api_ms: list[float] = []
    direct_ms: list[float] = []
    for attempt in range(repeat + WARMUP):
        for call, timings in ((direct, direct_ms), (api, api_ms)):
            began = time.perf_counter()
            call()
            if attempt >= WARMUP:
                timings.append((time.perf_counter() - began) * 1000)
    api_p50, direct_p50 = statistics.median(api_ms), statistics.median(direct_ms)
    print(
        f"  {label:40s} direct p50 {direct_p50:7.1f} p95 {percentile(direct_ms, 0.95):7.1f}"
        f"   API p50 {api_p50:7.1f} p95 {percentile(api_ms, 0.95):7.1f}"
        f"   added p50 {api_p50 - direct_p50:+6.1f} ms",
        flush=True,
    )


def queries() -> dict[str, dict[str, Any]]:
    return {
        "SuperSearch default (100 hits)": {},
        "SuperSearch signature facet": {"_facets": "signature", "_results_number": "0"},
        "SuperSearch 1,000 uuids (a tools page)": {
            "_columns": "uuid",
            "_results_number": "1000",
            "_facets_size": "0",
            "_sort": "-date",
        },
        "SuperSearch product=Firefox, 3 facets": {
            "product": "Firefox",
            "_facets": ["signature", "platform", "version"],
        },
    }


def bench_backend(name: str, client: Any, crashes: int, repeat: int, now: datetime.datetime):
    from webapp.crashstats import backends

    search = backends.search()
    print(f"\n== {name}: indexing {crashes:,} crashes", flush=True)
    started = time.perf_counter()
    corpus = Corpus(now, days=30, seed=2024, signature_count=2000)
    result = search.index_crashes(corpus.crashes(crashes))
    search.refresh()
    print(f"  indexed {result.indexed:,} in {time.perf_counter() - started:.0f} s", flush=True)
    for label, params in queries().items():

        def api(params: dict[str, Any] = params) -> None:
            response = client.get("/api/SuperSearch/", params)
            assert response.status_code == 200, response.content[:300]

        def direct(params: dict[str, Any] = params) -> None:
            search.search(params, ANONYMOUS)

        compare(label, api, direct, repeat)


def bench_storage(client: Any, ids: list[str], repeat: int) -> None:
    from webapp.crashstats import backends

    storage = backends.storage()
    print("\n== crash storage (files)", flush=True)
    for label, path, load in (
        (
            "ProcessedCrash (~100 kB json_dump)",
            "/api/ProcessedCrash/",
            storage.load_processed_crash,
        ),
        ("RawCrash meta", "/api/RawCrash/", storage.load_raw_crash),
    ):
        order = itertools.cycle(ids)

        def api(path: str = path, order: Iterator[str] = order) -> None:
            response = client.get(path, {"crash_id": next(order)})
            assert response.status_code == 200, response.content[:300]

        def direct(load: Callable[[str], Any] = load, order: Iterator[str] = order) -> None:
            load(next(order))

        compare(label, api, direct, repeat)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--crashes", type=int, default=100_000, help="indexed crashes")
    parser.add_argument("--repeat", type=int, default=40, help="timed calls per figure")


def run(args: argparse.Namespace) -> int:
    wanted = args.backends.split(",")
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="jansky-bench-webapp-") as tmp:
        data_dir = Path(tmp)
        configure_django(data_dir)
        import dataclasses

        from django.conf import settings
        from django.test import Client
        from django.test.utils import override_settings

        from jansky.search.settings import SearchSettings
        from webapp.crashstats import backends

        client = Client()
        print(f"{args.crashes:,} crashes over 30 days; {args.repeat} timed calls per figure,")
        print("API through Django's test client (the whole middleware stack), anonymous caller")
        ids = store_crashes(backends.storage(), Corpus(now, days=1, seed=7))
        bench_storage(client, ids, args.repeat)
        if "sqlite" in wanted:
            bench_backend("sqlite", client, args.crashes, args.repeat, now)
        url = read_services_env().get("SEARCH_URL", "")
        if "opensearch" in wanted:
            if not url.startswith("opensearch+") or not is_listening(url):
                print(f"\n== opensearch: not reachable (SEARCH_URL={url or 'unset'}), skipped")
            else:
                core = dataclasses.replace(settings.JANSKY_CORE, search_url=url)
                prefix = f"jbweb{uuid.uuid4().hex[:8]}"
                search = SearchSettings(index_template=f"{prefix}%Y%W", replicas=0, timeout=120)
                with override_settings(JANSKY_CORE=core, JANSKY_SEARCH=search):
                    try:
                        bench_backend("opensearch", client, args.crashes, args.repeat, now)
                    finally:
                        cluster = backends.search()
                        cluster.client.delete(cluster.all_indices())
                        backends.reset()
        backends.reset()
    return 0
