"""Crash Stats page benchmark (``bench/webapp.py pages``): p50/p95 of whole page responses.

The main pages at 1,000,000 indexed crashes, on SQLite and on OpenSearch.

Each figure is a page requested through Django's test client: every middleware, the session,
rate-limit bookkeeping, the search or storage calls, redaction and template rendering. Targets
(two cores): report page p50 < 100 ms, signature report summary p50 < 300 ms, top crashers
(7 days) p50 < 500 ms on OpenSearch. Figures are printed; nothing is asserted.

The corpus (``jansky.search.corpus``) spans the 30 days before its generation and the 14 days
after, so that the last 7 days are fully populated for two weeks: it is cached between runs,
as a SQLite file under ~/.cache/jansky/bench/pages/ and as indices ``jbpages...`` on the local
OpenSearch, and rebuilt when older than that or when its size or seed changes (``--fresh``
forces it; ``--drop-cache`` deletes the cache and exits). Report pages read crashes stored in
files, whose processed crash holds the largest real stackwalker output of the shared test data.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from bench.support.webapp import configure_django, percentile, stackwalker_output
from jansky.search.corpus import Corpus
from tests.servers import is_listening, read_services_env

CACHE_DIR = Path(os.environ.get("JANSKY_CACHE_DIR", Path.home() / ".cache" / "jansky"))
PAGES_CACHE = CACHE_DIR / "bench" / "pages"
DAYS_BEFORE, DAYS_AFTER = 30, 14
SIGNATURES = 2000
SEED = 2026
INDEX_PREFIX = "jbpages"
STORED_CRASHES = 20
WARMUP = 3
PROGRESS_EVERY = 100_000


@dataclass(frozen=True)
class CorpusKey:
    crashes: int
    seed: int
    signatures: int
    generated: str  # ISO time the corpus was generated for

    @property
    def generated_at(self) -> datetime.datetime:
        return datetime.datetime.fromisoformat(self.generated)

    def matches(self, crashes: int) -> bool:
        age = datetime.datetime.now(datetime.UTC) - self.generated_at
        return (
            self.crashes == crashes
            and self.seed == SEED
            and self.signatures == SIGNATURES
            and age < datetime.timedelta(days=DAYS_AFTER - 1)
        )

    def corpus(self) -> Corpus:
        end = self.generated_at + datetime.timedelta(days=DAYS_AFTER)
        return Corpus(
            end, days=DAYS_BEFORE + DAYS_AFTER, seed=self.seed, signature_count=SIGNATURES
        )


def read_key(path: Path) -> CorpusKey | None:
    try:
        return CorpusKey(**json.loads(path.read_text()))
    except (FileNotFoundError, ValueError, TypeError):
        return None


def with_progress(items: Iterator[Any], total: int, label: str) -> Iterator[Any]:
    started = time.perf_counter()
    for count, item in enumerate(items, 1):
        yield item
        if count % PROGRESS_EVERY == 0 or count == total:
            rate = count / (time.perf_counter() - started)
            print(f"  {label}: {count:,}/{total:,} indexed, {rate:,.0f} crashes/s", flush=True)


def fill(backend: Any, key: CorpusKey, label: str) -> None:
    started = time.perf_counter()
    result = backend.index_crashes(
        with_progress(key.corpus().crashes(key.crashes), key.crashes, label)
    )
    backend.refresh()
    minutes = (time.perf_counter() - started) / 60
    print(f"  {label}: {result.indexed:,} crashes generated and indexed in {minutes:.1f} min")
    if result.failed:
        print(f"  {label}: {len(result.failed)} failed, e.g. {result.failed[:2]}")


def new_key(crashes: int) -> CorpusKey:
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    return CorpusKey(crashes, SEED, SIGNATURES, now.isoformat())


def cached_sqlite(crashes: int, fresh: bool) -> Path:
    """The SQLite search file holding the corpus, built if needed."""
    from jansky.search.sqlite.backend import SqliteSearch

    path = PAGES_CACHE / f"search-{crashes}.db"
    key_path = path.with_suffix(".json")
    key = read_key(key_path)
    if not fresh and key is not None and key.matches(crashes) and path.exists():
        print(f"  sqlite: cached corpus of {key.generated} ({path})")
        return path
    PAGES_CACHE.mkdir(parents=True, exist_ok=True)
    for stale in (path, key_path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    key = new_key(crashes)
    backend = SqliteSearch(path, timeout=600)
    try:
        fill(backend, key, "sqlite")
    finally:
        backend.close()
    key_path.write_text(json.dumps(asdict(key)))
    return path


def cluster_settings(crashes: int) -> Any:
    from jansky.search.settings import SearchSettings

    return SearchSettings(index_template=f"{INDEX_PREFIX}{crashes}_%Y%W", replicas=0, timeout=300)


def cached_opensearch(url: str, crashes: int, fresh: bool) -> None:
    """Indices on the local OpenSearch holding the corpus, built if needed."""
    from jansky.search.cluster.backend import ClusterSearch

    key_path = PAGES_CACHE / f"opensearch-{crashes}.json"
    key = read_key(key_path)
    backend = ClusterSearch("opensearch", url.split("+", 1)[1], cluster_settings(crashes))
    try:
        if not fresh and key is not None and key.matches(crashes):
            indexed = count(backend)
            if indexed == crashes:
                print(f"  opensearch: cached corpus of {key.generated} ({indexed:,} crashes)")
                return
        drop_indices(backend)
        key_path.unlink(missing_ok=True)
        key = new_key(crashes)
        fill(backend, key, "opensearch")
        PAGES_CACHE.mkdir(parents=True, exist_ok=True)
        key_path.write_text(json.dumps(asdict(key)))
    finally:
        backend.close()


def count(backend: Any) -> int:
    indices = backend.all_indices()
    if not indices:
        return 0
    body = {"size": 0, "track_total_hits": True, "query": {"match_all": {}}}
    return backend.client.search(indices, body)["hits"]["total"]["value"]


def drop_indices(backend: Any) -> None:
    indices = backend.all_indices()
    if indices:
        backend.client.delete(indices)


def drop_cache(url: str) -> None:
    from jansky.search.cluster.backend import ClusterSearch

    for path in PAGES_CACHE.glob("*"):
        if path.name.startswith("opensearch-") and url:
            crashes = int(path.stem.split("-", 1)[1])
            backend = ClusterSearch("opensearch", url.split("+", 1)[1], cluster_settings(crashes))
            drop_indices(backend)
            backend.close()
        path.unlink()
    print(f"dropped {PAGES_CACHE} and its OpenSearch indices")


def store_crashes(storage: Any, corpus: Corpus) -> list[str]:
    """Crashes for the report page: raw crash, dump names, a real ~100 kB stackwalker output."""
    json_dump = stackwalker_output()
    ids = []
    for crash_id, crash in corpus.crashes(STORED_CRASHES):
        crash.update(
            json_dump=json_dump,
            crashing_thread=0,
            user_comments="a protected comment",
            completed_datetime=crash["date_processed"],
            processor_notes="benchmark crash",
        )
        raw = {
            "ProductName": crash["product"],
            "Version": crash["version"],
            "uuid": crash_id,
            "URL": "https://example.com/",
            "metadata": {"dump_checksums": {"upload_file_minidump": "0" * 64}},
        }
        storage.save_raw_crash(crash_id, raw, {"upload_file_minidump": b"MDMP"})
        storage.save_processed_crash(crash_id, crash)
        ids.append(crash_id)
    return ids


def time_page(label: str, client: Any, urls: Callable[[], str], repeat: int) -> list[float]:
    timings = []
    status = 0
    for attempt in range(repeat + WARMUP):
        url = urls()
        began = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - began) * 1000
        status = response.status_code
        if status != 200:
            raise SystemExit(f"{label}: {url} answered {status}: {response.content[:300]!r}")
        if attempt >= WARMUP:
            timings.append(elapsed)
    print(
        f"  {label:48s} p50 {statistics.median(timings):7.1f} ms   p95 "
        f"{percentile(timings, 0.95):7.1f} ms",
        flush=True,
    )
    return timings


def cycle(values: list[str]) -> Callable[[], str]:
    position = {"index": -1}

    def next_value() -> str:
        position["index"] = (position["index"] + 1) % len(values)
        return values[position["index"]]

    return next_value


def bench_search_pages(name: str, clients: dict[str, Any], repeat: int) -> None:
    from django.core.cache import cache

    from webapp.crashstats import products
    from webapp.crashstats.permissions import ANONYMOUS_ACCESS
    from webapp.crashstats.supersearch import search

    cache.clear()
    began = time.perf_counter()
    catalogue = products.catalogue()
    print(
        f"\n== {name}: products and versions (cold, then cached per process for "
        f"{products.CACHE_SECONDS // 60} min): {(time.perf_counter() - began) * 1000:.0f} ms"
    )
    version = catalogue.default_versions("Firefox")[0].version
    facets = search(
        {"_results_number": "0", "_facets": "signature", "_facets_size": "200"}, ANONYMOUS_ACCESS
    )["facets"]["signature"]
    top, typical = facets[0], facets[min(99, len(facets) - 1)]
    print(
        f"  top signature {top['term']!r}: {top['count']:,} crashes in 7 days; "
        f"rank {min(100, len(facets))} {typical['term']!r}: {typical['count']:,}"
    )
    anonymous = clients["anonymous"]
    pages = {
        "signature summary, top signature": f"/signature/?signature={quote(top['term'])}",
        f"signature summary, rank-{min(100, len(facets))} signature": (
            f"/signature/?signature={quote(typical['term'])}"
        ),
        "signature reports tab, top signature": (
            f"/signature/reports/?signature={quote(top['term'])}"
        ),
        "signature graphs tab (product), top signature": (
            f"/signature/graph/product/?signature={quote(top['term'])}"
        ),
        f"top crashers Firefox {version}, 7 days": (
            f"/topcrashers/?product=Firefox&version={version}&days=7"
        ),
        "top crashers Firefox, all versions, any process": (
            "/topcrashers/?product=Firefox&version=&process_type=any&days=7"
        ),
        "Super Search Firefox, signature facet, 50 hits": (
            "/search/?product=Firefox&_facets=signature"
        ),
        "home page": "/",
    }
    for label, url in pages.items():
        time_page(label, anonymous, cycle([url]), repeat)
    bench_correlations(anonymous, top["term"], repeat)


def bench_correlations(client: Any, signature: str, repeat: int) -> None:
    """The Correlations tab with its reference facets searched each time, then cached."""
    from webapp.signature import correlations

    url = f"/signature/correlations/?signature={quote(signature)}"
    cached_for = correlations.REFERENCE_SECONDS
    correlations.REFERENCE_SECONDS = 0  # expires at once: every request searches both sides
    try:
        time_page("correlations tab, top signature, cold", client, cycle([url]), repeat)
    finally:
        correlations.REFERENCE_SECONDS = cached_for
    time_page("correlations tab, top signature, cached", client, cycle([url]), repeat)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--crashes", type=int, default=1_000_000, help="indexed crashes")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per figure")
    parser.add_argument("--fresh", action="store_true", help="rebuild the cached corpus")
    parser.add_argument(
        "--drop-cache", action="store_true", help="delete the cached corpus (file and indices)"
    )


def run(args: argparse.Namespace) -> int:
    url = read_services_env().get("SEARCH_URL", "")
    if args.drop_cache:
        drop_cache(url if url.startswith("opensearch+") and is_listening(url) else "")
        return 0
    wanted = args.backends.split(",")
    print(
        f"{args.crashes:,} crashes, {SIGNATURES:,} Zipf signatures, spread over {DAYS_BEFORE} "
        f"days before and {DAYS_AFTER} after the corpus' generation; {args.repeat} timed "
        "requests per figure after warm-up, anonymous unless said",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="jansky-bench-pages-") as tmp:
        data_dir = Path(tmp)
        configure_django(data_dir)
        import dataclasses

        from django.conf import settings
        from django.contrib.auth.models import User
        from django.test import Client
        from django.test.utils import override_settings

        from webapp.crashstats import backends

        hacker = User.objects.create_superuser("bench", "bench@example.com", "bench")
        clients = {"anonymous": Client(), "superuser": Client()}
        clients["superuser"].force_login(hacker)
        ids = store_crashes(backends.storage(), Corpus(datetime.datetime.now(datetime.UTC), days=1))
        print("\n== report page (crash storage in files, ~100 kB stackwalker output)")
        for who, client in clients.items():
            time_page(
                f"report page, {who}",
                client,
                cycle([f"/report/index/{i}" for i in ids]),
                args.repeat,
            )
        if "sqlite" in wanted:
            path = cached_sqlite(args.crashes, args.fresh)
            core = dataclasses.replace(settings.JANSKY_CORE, search_url=f"sqlite://{path}")
            with override_settings(JANSKY_CORE=core):
                bench_search_pages("sqlite", clients, args.repeat)
            backends.reset()
        if "opensearch" in wanted:
            if not url.startswith("opensearch+") or not is_listening(url):
                print(f"\n== opensearch: not reachable (SEARCH_URL={url or 'unset'}), skipped")
            else:
                cached_opensearch(url, args.crashes, args.fresh)
                core = dataclasses.replace(settings.JANSKY_CORE, search_url=url)
                with override_settings(
                    JANSKY_CORE=core, JANSKY_SEARCH=cluster_settings(args.crashes)
                ):
                    bench_search_pages("opensearch", clients, args.repeat)
                backends.reset()
    return 0
