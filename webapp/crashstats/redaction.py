"""The one place where crash data is cut down to what a request may see.

Every API answer and every page that shows crash data goes through these functions; they are
driven by the crash schemas' ``permissions`` (``schemas/*.schema.yaml``) and the request's
:class:`~webapp.crashstats.permissions.Access`. Callers never decide on their own what is
protected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jansky.schemas import load_schema
from jansky.search import get_registry
from webapp.crashstats.permissions import Access

AGGREGATION_PREFIXES = ("histogram_", "cardinality_")


def processed_crash(document: Mapping[str, Any], access: Access) -> dict[str, Any]:
    """The processed crash as ``access`` may see it: public schema fields only, unless view_pii.

    Users with view_pii get the whole document, keys the schema does not list included.
    """
    return load_schema("processed_crash").redact(document, access.schema_permissions)


def raw_crash(document: Mapping[str, Any], access: Access) -> dict[str, Any]:
    """The raw crash (annotations and collector metadata) as ``access`` may see it."""
    return load_schema("raw_crash").redact(document, access.schema_permissions)


def search_response(response: dict[str, Any], access: Access) -> dict[str, Any]:
    """A Super Search response with nothing that names a field ``access`` may not see.

    The search layer already strips protected parameters before querying and protected
    columns from hits; this pass guarantees it for every answer, facets and sub-facets
    included, whatever produced the response.
    """
    if "hits" not in response:
        return response  # a _return_query answer: the query and index names, no crash data
    permissions = access.schema_permissions
    registry = get_registry()

    def visible(name: str) -> bool:
        field = registry.get(name)
        if field is None:
            for prefix in AGGREGATION_PREFIXES:
                if name.startswith(prefix):
                    field = registry.get(name[len(prefix) :])
                    break
        return field is not None and field.visible_to(permissions)

    def facets(value: Any) -> Any:
        if not isinstance(value, Mapping):
            return value
        return {name: buckets(sub) for name, sub in value.items() if visible(name)}

    def buckets(value: Any) -> Any:
        if isinstance(value, list):
            return [
                {**bucket, "facets": facets(bucket["facets"])}
                if isinstance(bucket, Mapping) and "facets" in bucket
                else bucket
                for bucket in value
            ]
        return value

    cleaned = dict(response)
    cleaned["hits"] = [
        {name: value for name, value in hit.items() if visible(name)} for hit in response["hits"]
    ]
    cleaned["facets"] = facets(response.get("facets", {}))
    return cleaned
