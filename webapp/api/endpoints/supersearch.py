"""Super Search over the API: SuperSearch, SuperSearchUnredacted and SuperSearchFields."""

from __future__ import annotations

import functools
from typing import Any

from jansky.search import get_registry
from jansky.search.fields import OPERATORS
from webapp.api.declarations import Call, Endpoint, Param
from webapp.crashstats import supersearch
from webapp.crashstats.permissions import VIEW_PII

META_PARAMETERS = (
    Param(
        "_columns",
        "list",
        doc="Fields returned in each hit, in this order (default uuid, date, signature, "
        "product, version). An unknown field is a 400; a protected one you may not see is "
        "silently left out.",
    ),
    Param("_sort", "list", doc="Sort keys: a field, or -field for descending."),
    Param(
        "_facets",
        "list",
        doc="Terms aggregations (default signature); also _histogram.<field> and "
        "_cardinality.<field>.",
    ),
    Param(
        "_facets_size",
        "int",
        doc="Buckets per terms aggregation, 0 to 10,000 (default 50); 0 turns every "
        "aggregation off.",
    ),
    Param("_results_number", "int", doc="Hits per page, 0 to 1,000 (default 100)."),
    Param("_results_offset", "int", doc="Hits to skip; offset + number is at most 10,000."),
    Param(
        "_return_query",
        "str",
        doc="true: return the backend query and the indices it would search, without running it.",
    ),
    Param(
        "_aggs.",
        "list",
        prefix=True,
        doc="_aggs.<f1>[.<f2>[.<f3>]]=<leaf>: nested terms aggregations on f1 -> f2 -> f3, each "
        "value a field, _histogram.<field> or _cardinality.<field> computed per bucket.",
    ),
    Param(
        "_histogram.",
        "list",
        prefix=True,
        doc="_histogram.<field>=<sub-aggregation>: buckets over a date, integer or float "
        "field (key histogram_<field>), with sub-aggregations per bucket.",
    ),
    Param(
        "_histogram_interval.",
        "str",
        prefix=True,
        doc="_histogram_interval.<field>: minute, hour, day (default), week, month, quarter "
        "or year for dates; a positive number for numbers (default 1).",
    ),
)

RETURNS = (
    '{"hits": [{column: value}], "total": int, "facets": {name: [{"term", "count", '
    '"facets"?}] | {"value": n}}, "errors": [...]}; with _return_query: {"query", "indices"}'
)
EXAMPLE = {
    "hits": [
        {
            "uuid": "de1bb258-cbbf-4589-a673-34f800160918",
            "date": "2016-09-18T12:00:00.123456+00:00",
            "signature": "OOM | small",
            "product": "Firefox",
            "version": "133.0",
        }
    ],
    "total": 1,
    "facets": {"signature": [{"term": "OOM | small", "count": 1}]},
    "errors": [],
}


@functools.cache
def field_parameters() -> tuple[Param, ...]:
    """One list parameter per Super Search field: the filters (the registry is per process)."""
    return tuple(
        Param(field.name, "list", doc=field.description or field.name) for field in get_registry()
    )


def describe_fields() -> list[dict[str, Any]]:
    """Each filter field with its type and operators, for the reference."""
    return [
        {
            "name": field.name,
            "query_type": field.query_type,
            "operators": [op or "(none: matches)" for op in OPERATORS[field.validation_type]],
            "protected": field.is_protected,
            "permissions_needed": [f"crashstats.{VIEW_PII}"] if field.is_protected else [],
            "description": field.description,
        }
        for field in get_registry()
    ]


class SuperSearch(Endpoint):
    """Search crashes with Socorro's Super Search language.

    Filters are field names with optionally an operator in front of each value
    (`signature=~OOM`, `date=>=2024-10-01`, `product=Firefox&product=Fenix`). Fields that
    hold protected data are dropped from filters, columns, facets, aggregations and sorting
    unless you may see them; the answer never contains them.
    """

    name = "SuperSearch"
    summary = "Search crashes: hits, total and facets."
    parameters = META_PARAMETERS
    returns = RETURNS
    example = EXAMPLE
    cache_seconds = 300

    def all_parameters(self) -> tuple[Param, ...]:
        return META_PARAMETERS + field_parameters()

    def handle(self, call: Call) -> Any:
        return supersearch.search(call.raw, call.access)

    def describe_extra(self) -> dict[str, Any]:
        return {
            "fields": describe_fields(),
            "multi_level_aggregations": list(supersearch.MULTI_LEVEL_AGGS),
        }


class SuperSearchUnredacted(SuperSearch):
    """Super Search including protected data; needs the permission that protected fields need."""

    name = "SuperSearchUnredacted"
    summary = "Search crashes, protected fields included."
    permission = VIEW_PII


class SuperSearchFields(Endpoint):
    """Every Super Search field: type, storage, permissions and description."""

    name = "SuperSearchFields"
    summary = "The Super Search fields and how each is stored and protected."
    returns = (
        "{name: {name, namespace, in_database_name, query_type, data_validation_type, "
        "form_field_choices, has_full_version, is_exposed, is_returned, storage_mapping, "
        "permissions_needed, description, webapp_permissions_needed, source_key, "
        "destination_keys}}"
    )
    example = {
        "signature": {
            "name": "signature",
            "query_type": "string",
            "data_validation_type": "str",
            "permissions_needed": [],
        }
    }
    cache_seconds = 300

    def handle(self, call: Call) -> Any:
        return {
            name: {**description, "webapp_permissions_needed": description["permissions_needed"]}
            for name, description in supersearch.fields().items()
        }
