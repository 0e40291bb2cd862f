"""Super Search benchmark: bulk indexing rate and query latency on every reachable backend.

Builds a synthetic corpus (Zipf signatures, five products with their versions, five
platforms, process types, 30 days; ``jansky.search.corpus``), indexes it into each backend,
then times five canonical queries. SQLite always runs (a temporary file); OpenSearch and
Elasticsearch run when `make services` has written var/services.env. Cluster indices get a
random prefix and are deleted at the end. Figures are printed; nothing is asserted.

    .venv/bin/python bench/search.py [--crashes 1000000] [--repeat 20] [--backends sqlite]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jansky.schemas import VIEW_PII
from jansky.search import SearchBackend, get_registry
from jansky.search.cluster.backend import ClusterSearch
from jansky.search.corpus import Corpus
from jansky.search.settings import SearchSettings
from jansky.search.sqlite.backend import SqliteSearch
from tests.servers import is_listening, read_services_env

PROGRESS_EVERY = 100_000


def queries() -> dict[str, dict[str, Any]]:
    distinct = "install_time" if "install_time" in get_registry() else "install_age"
    return {
        "default search": {},
        "signature facet, 7 days": {"_facets": "signature", "_results_number": "0"},
        "daily histogram by product": {
            "_histogram.date": "product",
            "_facets": [],
            "_results_number": "0",
        },
        f"cardinality of {distinct} per version": {
            "_aggs.version": f"_cardinality.{distinct}",
            "_facets": [],
            "_results_number": "0",
        },
        "substring search on signature": {"signature": "~Function1"},
    }


def with_progress(items: Iterator[Any], total: int, label: str) -> Iterator[Any]:
    started = time.perf_counter()
    for count, item in enumerate(items, 1):
        yield item
        if count % PROGRESS_EVERY == 0 or count == total:
            elapsed = time.perf_counter() - started
            print(
                f"  {label}: {count:,}/{total:,} indexed, {count / elapsed:,.0f} docs/s", flush=True
            )


def bench(name: str, backend: SearchBackend, corpus: Corpus, crashes: int, repeat: int) -> None:
    print(f"\n== {name}", flush=True)
    started = time.perf_counter()
    result = backend.index_crashes(with_progress(corpus.crashes(crashes), crashes, name))
    backend.refresh()
    elapsed = time.perf_counter() - started
    rate = result.indexed / elapsed
    print(
        f"  bulk index: {result.indexed:,} docs in {elapsed:.1f} s = {rate:,.0f} docs/s"
        f" ({len(result.failed)} failed; corpus generation included)"
    )
    for label, params in queries().items():
        timings = []
        answer: dict[str, Any] = {}
        for attempt in range(repeat + 2):
            began = time.perf_counter()
            # a new "now" per run, as for real requests: no cached answer can be reused
            now = corpus.now + timedelta(milliseconds=attempt)
            answer = backend.search(params, VIEW_PII, now=now)
            if attempt >= 2:  # two warm-up runs
                timings.append((time.perf_counter() - began) * 1000)
        timings.sort()
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        print(
            f"  {label:40s} p50 {statistics.median(timings):8.1f} ms   p95 {p95:8.1f} ms"
            f"   (total {answer['total']:,})",
            flush=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crashes", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per query")
    parser.add_argument("--signatures", type=int, default=20_000, help="distinct signatures")
    parser.add_argument("--backends", default="sqlite,opensearch,elasticsearch")
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    corpus = Corpus(now, days=30, seed=2024, signature_count=args.signatures)
    wanted = args.backends.split(",")
    env = read_services_env()
    print(f"{args.crashes:,} crashes over 30 days, {args.signatures:,} Zipf signatures")
    if "sqlite" in wanted:
        with tempfile.TemporaryDirectory() as tmp:
            backend = SqliteSearch(Path(tmp) / "search.db", timeout=600)
            bench("sqlite", backend, corpus, args.crashes, args.repeat)
            backend.close()
    for flavor, key in (("opensearch", "SEARCH_URL"), ("elasticsearch", "ELASTICSEARCH_URL")):
        url = env.get(key, "")
        if flavor not in wanted:
            continue
        if not url.startswith(f"{flavor}+") or not is_listening(url):
            print(f"\n== {flavor}: not reachable ({key}={url or 'unset'}), skipped")
            continue
        prefix = f"jbench{uuid.uuid4().hex[:8]}"
        settings = SearchSettings(index_template=f"{prefix}%Y%W", replicas=0, timeout=120)
        backend = ClusterSearch(flavor, url.split("+", 1)[1], settings)
        try:
            bench(flavor, backend, corpus, args.crashes, args.repeat)
        finally:
            backend.client.delete(backend.all_indices())
            backend.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
