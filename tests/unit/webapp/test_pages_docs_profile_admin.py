"""Documentation pages (generated from the schemas and the API declarations), the profile page
and the Django admin."""

from __future__ import annotations

import pytest
from django.contrib import admin

from jansky.search import get_registry
from tests.unit.webapp.conftest import make_user
from tests.unit.webapp.pagedata import index_crashes
from webapp.api.endpoints import ENDPOINTS
from webapp.documentation import dictionary

DOC_PAGES = [
    "/documentation/",
    "/documentation/supersearch/",
    "/documentation/supersearch/examples/",
    "/documentation/supersearch/api/",
    "/documentation/datadictionary/",
    "/documentation/protected_data_access/",
]


@pytest.mark.parametrize("path", DOC_PAGES)
def test_documentation_pages(anonymous, path):
    assert anonymous.get(path).status_code == 200


def test_field_reference_lists_every_field_with_operators_and_aggregations(anonymous):
    html = anonymous.get("/documentation/supersearch/api/").content.decode()
    for field in get_registry():
        assert f'id="field-{field.name}"' in html
    assert "_histogram.uptime" in html and "_cardinality.install_time" in html
    assert "_aggs.product" in html


def test_data_dictionary_covers_both_schemas(anonymous):
    html = anonymous.get("/documentation/datadictionary/").content.decode()
    for dataset in ("annotation", "processed"):
        for entry in dictionary.entries(dataset):
            assert f">{entry.path}</a>" in html
    processed = {entry.path: entry for entry in dictionary.entries("processed")}
    assert processed["json_dump/threads/[]/frames/[]/registers"].protected
    assert not processed["json_dump/threads/[]/frames/[]/function"].protected
    assert processed["user_comments"].protected and not processed["signature"].protected
    assert processed["json_dump/system_info/cpu_count"].search_fields[0].name == "cpu_count"


def test_data_dictionary_field_pages(anonymous, crash_backends):
    index_crashes(crash_backends, {"product": "Firefox", "signature": "OOM | small"})
    html = anonymous.get("/documentation/datadictionary/dataset/processed/field/signature").content
    html = html.decode()
    assert "OOM | small" in html and "/documentation/supersearch/api/#field-signature" in html
    html = anonymous.get(
        "/documentation/datadictionary/dataset/processed/field/json_dump/threads/[]/frames/[]/registers"
    ).content.decode()
    assert "protected" in html
    html = anonymous.get(
        "/documentation/datadictionary/dataset/annotation/field/ProductName"
    ).content.decode()
    assert "Copied into" in html and "/field/product" in html
    response = anonymous.get("/documentation/datadictionary/dataset/processed/field/nope")
    assert response.status_code == 404
    assert anonymous.get("/documentation/datadictionary/dataset/nope/field/x").status_code == 404


def test_memory_dump_access_redirects(anonymous):
    response = anonymous.get("/documentation/memory_dump_access/")
    assert response.status_code == 301
    assert response["Location"] == "/documentation/protected_data_access/"


def test_api_reference_has_a_try_it_form_per_endpoint(anonymous):
    html = anonymous.get("/api/").content.decode()
    for name, endpoint in ENDPOINTS.items():
        method = "get" if endpoint.methods[0] == "GET" else "post"
        assert f'<form class="try-it" method="{method}" action="/api/{name}/"' in html
    assert 'name="crash_id" required' in html and "data-extra" in html and "data-json-body" in html


def test_profile(make_client, anonymous):
    response = anonymous.get("/profile/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    html = make_client(make_user("alice", "view_pii")).get("/profile/").content.decode()
    assert "alice@example.com" in html
    assert html.count('badge-ok">Yes') == 1 and "View Personal Identifiable Information" in html
    html = make_client(make_user("root", is_superuser=True)).get("/profile/").content.decode()
    assert "access to everything" in html and html.count('badge-ok">Yes') == 6


def test_profile_counts_tokens(make_client, token_for):
    user = make_user("bob")
    token_for(user)
    assert "1 active" in make_client(user).get("/profile/").content.decode()


def test_admin_pages_of_every_registered_model(make_client, db):
    client = make_client(make_user("root", is_superuser=True, is_staff=True))
    assert client.get("/siteadmin/").status_code == 200
    for model in admin.site._registry:
        meta = model._meta
        url = f"/siteadmin/{meta.app_label}/{meta.model_name}/"
        assert client.get(url).status_code == 200, url
        assert client.get(f"{url}add/").status_code in {200, 403}, url
    names = {model._meta.label for model in admin.site._registry}
    assert {
        "crashstats.Signature",
        "crashstats.BugAssociation",
        "crashstats.Bug",
        "crashstats.StatusMessage",
        "crashstats.ProductVersion",
        "crashstats.GraphicsDevice",
        "crashstats.Platform",
        "crashstats.MissingProcessedCrash",
        "tokens.Token",
        "accounts.PolicyException",
        "symbols.SymbolFile",
        "symbols.SymbolUpload",
        "symbols.HealingJob",
        "symbols.UpstreamProbe",
    } <= names


def test_admin_is_for_staff_only(make_client, db):
    response = make_client(make_user("plain")).get("/siteadmin/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_symbol_uploads_show_in_the_admin_with_their_files(make_client, db):
    from webapp.symbols.models import SymbolUpload, UploadedSymbol

    upload = SymbolUpload.objects.create(file_name="up.zip", size=9, status=SymbolUpload.STORED)
    UploadedSymbol.objects.create(
        upload=upload,
        debug_file="xul.pdb",
        debug_id="A" * 33,
        size=9,
        sha256="0" * 64,
        outcome=UploadedSymbol.NEW,
    )
    client = make_client(make_user("root", is_superuser=True, is_staff=True))
    page = client.get(f"/siteadmin/symbols/symbolupload/{upload.pk}/change/")
    assert page.status_code == 200 and b"xul.pdb" in page.content
