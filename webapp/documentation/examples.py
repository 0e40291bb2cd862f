"""Example Super Search queries for the documentation (each links to the page and the API)."""

from __future__ import annotations

from django.utils.http import urlencode

EXAMPLES = (
    ("Crashes of one product and version", "product=Firefox&version=133.0"),
    (
        "Several versions: values of one field are alternatives",
        "product=Firefox&version=133.0&version=134.0b5",
    ),
    ("Every beta of a version (a version ending in b)", "product=Firefox&version=134.0b"),
    ("Signatures containing a word", "signature=~OOM"),
    ("One exact signature", "signature==OOM | small"),
    ("Signatures starting with a prefix", "signature=^mozilla::ipc"),
    ("Signatures matching a regular expression", "signature=@js::.*GC.*"),
    ("Everything but a signature", "signature=!=OOM | small"),
    ("Crashes with a MOZ_CRASH reason", "moz_crash_reason=!__null__"),
    ("Startup crashes", "startup_crash=__true__"),
    ("Crashes within a minute of start", "uptime=<60"),
    ("A date range", "date=>=2024-10-01&date=<2024-10-08"),
    ("The top platforms of a signature", "signature==OOM | small&_facets=platform&_facets_size=10"),
    ("Versions per product", "_aggs.product=version&_results_number=0"),
    ("Crashes per day by process type", "_histogram.date=process_type&_results_number=0"),
    (
        "Installations per version",
        "_aggs.product.version=_cardinality.install_time&_results_number=0",
    ),
    (
        "Chosen columns, sorted",
        "_columns=date&_columns=signature&_columns=build_id&_sort=-build_id",
    ),
)


def encoded(query: str) -> str:
    """An example's query (written as people read it) properly URL-encoded."""
    pairs = [part.partition("=")[::2] for part in query.split("&")]
    return urlencode(pairs)


def examples() -> list[dict[str, str]]:
    return [
        {"title": title, "query": query, "encoded": encoded(query)} for title, query in EXAMPLES
    ]
