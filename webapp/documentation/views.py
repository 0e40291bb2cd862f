"""Documentation pages; the reference parts are generated from the schemas and the field
registry, the same sources the pipeline runs on."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from jansky.search import get_registry
from jansky.search.fields import OPERATORS
from jansky.search.params import (
    DEFAULT_COLUMNS,
    DEFAULT_FACETS_SIZE,
    DEFAULT_RESULTS_NUMBER,
    MAX_DAYS,
    MAX_RESULTS_NUMBER,
)
from webapp.crashstats import filters, supersearch, tables
from webapp.crashstats.permissions import GROUPS, PERMISSIONS
from webapp.documentation import dictionary, examples, usage


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "documentation/home.html")


@require_GET
def supersearch_guide(request: HttpRequest) -> HttpResponse:
    operators = [
        {
            "type": validation_type,
            "operators": [
                {"operator": operator, "label": filters.OPERATOR_LABELS[operator]}
                for operator in operators
            ],
        }
        for validation_type, operators in filters.BUILDER_OPERATORS.items()
    ]
    context = {
        "operators": operators,
        "defaults": {
            "columns": DEFAULT_COLUMNS,
            "results_number": DEFAULT_RESULTS_NUMBER,
            "max_results_number": MAX_RESULTS_NUMBER,
            "facets_size": DEFAULT_FACETS_SIZE,
            "max_days": MAX_DAYS,
        },
        "multi_level_aggs": supersearch.MULTI_LEVEL_AGGS,
    }
    return render(request, "documentation/supersearch.html", context)


@require_GET
def supersearch_examples(request: HttpRequest) -> HttpResponse:
    return render(
        request, "documentation/supersearch_examples.html", {"examples": examples.examples()}
    )


@require_GET
def supersearch_fields(request: HttpRequest) -> HttpResponse:
    """Every Super Search field: type, operators, permissions and the aggregation names."""
    described = []
    for field in get_registry():
        names = []
        if field.aggregatable and field.validation_type != "datetime":
            names += [f"_aggs.{field.name}", f"_cardinality.{field.name}"]
        elif field.aggregatable:
            names.append(f"_cardinality.{field.name}")
        if field.histogrammable:
            names += [f"_histogram.{field.name}", f"_histogram_interval.{field.name}"]
        described.append(
            {
                "field": field,
                "operators": [op or "(none)" for op in OPERATORS[field.validation_type]],
                "aggregations": names,
            }
        )
    return render(request, "documentation/supersearch_api.html", {"fields": described})


@require_GET
def datadictionary(request: HttpRequest) -> HttpResponse:
    datasets = [
        {
            "name": name,
            "title": dictionary.DATASET_TITLES[name],
            "entries": dictionary.entries(name),
        }
        for name in dictionary.DATASETS
    ]
    return render(request, "documentation/datadictionary.html", {"datasets": datasets})


@require_GET
def datadictionary_field(request: HttpRequest, dataset: str, field_path: str) -> HttpResponse:
    entry = dictionary.find(dataset, field_path)
    if entry is None:
        raise Http404(f"The {dataset} data has no field {field_path!r}.")
    context = {
        "entry": entry,
        "dataset_title": dictionary.DATASET_TITLES[dataset],
        "source": dictionary.find("annotation", entry.source_annotation)
        if entry.source_annotation
        else None,
        "fed": dictionary.fed_by(entry.path)
        if dataset == "annotation" and entry.depth == 0
        else [],
        "top_values": [
            {
                "field": search_field,
                "values": _linked(search_field, usage.top_values(search_field.name)),
            }
            for search_field in entry.search_fields
            if not search_field.is_protected and search_field.aggregatable
        ],
        "top_products": usage.top_products(entry.path)
        if dataset == "annotation" and entry.depth == 0
        else [],
    }
    return render(request, "documentation/datadictionary_field.html", context)


def _linked(search_field: Any, buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each common value with a link to the crashes that have exactly it."""
    return [
        {
            **bucket,
            "url": f"{reverse('supersearch:search')}?"
            f"{urlencode({search_field.name: tables.exact_value(search_field, bucket['term'])})}",
        }
        for bucket in buckets
    ]


@require_GET
def protected_data_access(request: HttpRequest) -> HttpResponse:
    context = {
        "permissions": PERMISSIONS,
        "groups": GROUPS,
        "protected_fields": [field.name for field in get_registry() if field.is_protected],
    }
    return render(request, "documentation/protected_data_access.html", context)
