"""Run a Super Search query against SEARCH_URL and print the JSON response.

Every Super Search parameter is an option: a field filter (`--product=Firefox`, repeat it for
OR, prefix an operator: `--signature=~OOM`, `--date=>=2024-10-01`) or a meta parameter
(`--_facets`, `--_columns`, `--_sort`, `--_aggs.product.version`, `--_histogram.date`, ...).
Use `=` between option and value when the value starts with `-` or `!`. `--fields` prints
every field with its type and permissions. Same code path as the API.
"""

from __future__ import annotations

import argparse
import json
import sys

from jansky.schemas import ANONYMOUS, VIEW_PII
from jansky.search import BadArgumentError, InvalidSearchUrl, SearchError, get_registry, open_search

EXAMPLES = """\
  jansky search --product=Firefox --_facets=signature --_results_number=0
  jansky search --signature='~OOM' --date='>=2024-10-01' --_columns=uuid --_columns=signature
  jansky search --_aggs.product.version=platform --_histogram.date=product
  jansky search --_facets=_cardinality.install_age --_facets_size=0 --pii
  jansky search --fields
  jansky search --search-url=opensearch+http://127.0.0.1:9201 --url=__null__ --pii
"""
META_LISTS = ("_columns", "_sort", "_facets")
MULTI_LEVEL_AGGS = (
    "_aggs.product.version",
    "_aggs.android_cpu_abi.android_manufacturer.android_model",
)
META_VALUES = ("_results_number", "_results_offset", "_facets_size", "_return_query")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.allow_abbrev = False  # a misspelt field must be an error, not another field
    parser.add_argument(
        "--search-url", dest="opt_url", metavar="URL", help="search backend (default: SEARCH_URL)"
    )
    parser.add_argument(
        "--pii",
        dest="opt_pii",
        action="store_true",
        help="search as a user holding view_pii (protected fields)",
    )
    parser.add_argument(
        "--fields", dest="opt_fields", action="store_true", help="print the Super Search fields"
    )
    parser.add_argument(
        "--compact", dest="opt_compact", action="store_true", help="print JSON on one line"
    )
    parser.add_argument(
        "--param",
        dest="opt_param",
        action="append",
        metavar="KEY=VALUE",
        help="any parameter, e.g. --param _aggs.product.version.platform=process_type",
    )
    meta = parser.add_argument_group("meta parameters (repeat to give several values)")
    for name in META_LISTS + META_VALUES:
        meta.add_argument(f"--{name}", action="append", metavar="VALUE", dest=name)
    fields = parser.add_argument_group(
        "filters", "--FIELD=[!][OPERATOR]VALUE for every field `--fields` lists"
    )
    for name in MULTI_LEVEL_AGGS:
        meta.add_argument(f"--{name}", action="append", metavar="FIELD", dest=name)
    for field in get_registry():
        fields.add_argument(
            f"--{field.name}",
            action="append",
            metavar="VALUE",
            dest=field.name,
            help=argparse.SUPPRESS,
        )
        for prefix in ("_aggs", "_histogram", "_histogram_interval"):
            fields.add_argument(
                f"--{prefix}.{field.name}",
                action="append",
                metavar="VALUE",
                dest=f"{prefix}.{field.name}",
                help=argparse.SUPPRESS,
            )


def collect_params(args: argparse.Namespace) -> dict[str, list[str]]:
    """The Super Search parameters given on the command line."""
    params = {
        name: values
        for name, values in vars(args).items()
        if not name.startswith("opt_") and isinstance(values, list)
    }
    for pair in args.opt_param or []:
        key, _, value = pair.partition("=")
        params.setdefault(key, []).append(value)
    return params


def run(args: argparse.Namespace) -> int:
    indent = None if args.opt_compact else 2
    if args.opt_fields:
        print(json.dumps(get_registry().super_search_fields(), indent=indent))
        return 0
    params = collect_params(args)
    try:
        backend = open_search(args.opt_url)
        result = backend.search(params, VIEW_PII if args.opt_pii else ANONYMOUS)
    except BadArgumentError as exc:
        print(f"jansky search: {exc}", file=sys.stderr)
        return 2
    except (SearchError, InvalidSearchUrl) as exc:
        print(f"jansky search: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=indent, ensure_ascii=False))
    return 0
