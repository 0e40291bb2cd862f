"""The Super Search page: URL state, the field builder's operators, results, facets, errors."""

from __future__ import annotations

import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import QueryDict
from hypothesis import given
from hypothesis import strategies as st

from jansky.search import get_registry
from tests.unit.webapp.conftest import make_user
from tests.unit.webapp.crashdata import SECRET
from tests.unit.webapp.markup import unsafe_markup
from tests.unit.webapp.pagedata import HOSTILE, index_crashes
from webapp.crashstats import filters
from webapp.crashstats.models import BugAssociation

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
REGISTRY = list(get_registry())


@pytest.fixture
def crashes(db, crash_backends) -> list[str]:
    specs = [
        {"signature": "OOM | small", "product": "Firefox", "version": "133.0", "uptime": 10},
        {"signature": "OOM | small", "product": "Firefox", "version": "134.0b5", "uptime": 99},
        {"signature": HOSTILE, "product": "Firefox", "version": "133.0", "uptime": 500},
        {"signature": "Fenix::crash", "product": "Fenix", "version": "133.1.0", "uptime": 5},
    ]
    return index_crashes(crash_backends, *specs)


def search(client, **params) -> tuple[int, str]:
    response = client.get("/search/", params)
    return response.status_code, response.content.decode()


def test_empty_search_shows_the_form_only(anonymous, crashes):
    status, html = search(anonymous)
    assert status == 200 and 'id="search-form"' in html and "Crash Reports" not in html
    status, html = search(anonymous, product="Firefox", _dont_run="1")
    assert status == 200 and "Crash Reports" not in html


def test_search_with_a_facet(anonymous, crashes):
    status, html = search(anonymous, product="Firefox", _facets="version")
    assert status == 200
    assert "3 crashes from" in html
    assert "version facet" in html and "66.67 %" in html
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert html.count('href="/report/index/') == 3
    assert "/api/SuperSearch/?product=Firefox&amp;_facets=version" in html
    assert unsafe_markup(html) == []


def test_facet_terms_link_to_narrower_searches(anonymous, crashes):
    BugAssociation.objects.create(bug_id=99, signature="OOM | small")
    _, html = search(anonymous, product="Firefox", _facets=["signature", "version"])
    assert "/signature/?product=Firefox&amp;signature=OOM+%7C+small" in html
    assert (
        "/search/?product=Firefox&amp;_facets=signature&amp;_facets=version&amp;version=133.0"
        in html
    )
    assert "show_bug.cgi?id=99" in html  # the signature facet's bugs


def test_sorting_and_paging_links(anonymous, crashes, monkeypatch):
    monkeypatch.setattr("webapp.crashstats.tables.PER_PAGE", 2)
    _, html = search(anonymous, product="Firefox", _sort="uptime", _columns=["uptime", "signature"])
    assert 'aria-sort="ascending"' in html
    assert "_sort=-uptime" in html  # clicking again sorts descending
    assert "page=2" in html
    status, html = search(anonymous, product="Firefox", _sort="uptime", page="2")
    assert status == 200 and html.count('href="/report/index/') == 1


def test_results_fragment(anonymous, crashes):
    response = anonymous.get("/search/results/", {"product": "Fenix"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "1 crash from" in html and "Fenix::crash" in html


def test_protected_fields_are_left_out_for_anonymous(anonymous, make_client, crashes):
    params = {"product": "Firefox", "_columns": ["url", "user_comments"], "_facets": "url"}
    _, html = search(anonymous, **params)
    assert SECRET not in html and "url facet" not in html
    _, html = search(make_client(make_user("pii", "view_pii")), **params)
    assert SECRET in html and "url facet" in html


def test_bad_values_explain_themselves(anonymous, crashes):
    status, html = search(anonymous, uptime="abc")
    assert status == 400 and "Bad value for parameter uptime: not a valid int" in html
    status, html = search(anonymous, date="2024-01-01")
    assert status == 400 and "date must have a prefix operator" in html


def test_form_submission_becomes_the_canonical_url(anonymous):
    response = anonymous.get(
        "/search/",
        {
            "_form": "1",
            "product": "Firefox",
            "version": "",
            "_field": ["signature", "uptime", "startup_crash", "signature", "url"],
            "_op": ["~", ">=", "__true__", "!^", "__null__"],
            "_value": ["OOM", "60", "", "js::", ""],
            "_facets": ["signature"],
            "_columns": ["date", "signature"],
            "_sort": ["-date"],
        },
    )
    assert response.status_code == 302
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query == {
        "product": ["Firefox"],
        "signature": ["~OOM", "!^js::"],
        "uptime": [">=60"],
        "startup_crash": ["__true__"],
        "url": ["__null__"],
        "_columns": ["date", "signature"],
    }


def test_form_state_round_trips(anonymous, crashes):
    _, html = search(
        anonymous, product="Firefox", signature=["~OOM", "!$small"], uptime=">=5", _dont_run="1"
    )
    assert '<option value="~" selected>contains</option>' in html
    assert '<option value="!$" selected>does not end with</option>' in html
    assert '<option value="&gt;=" selected>&gt;= (at least)</option>' in html
    assert 'value="OOM"' in html and 'value="small"' in html


def test_fields_json(anonymous):
    response = anonymous.get("/search/fields/", {"exclude": "date"})
    assert response.status_code == 200
    fields = response.json()
    assert "date" not in fields and "signature" in fields and "user_comments" not in fields
    signature = fields["signature"]
    assert signature["valueType"] == "string"
    assert {op["value"] for op in signature["operators"]} >= {"", "!", "=", "~", "^", "$", "@"}


def test_quick_search(anonymous, crashes):
    response = anonymous.get("/search/quick/", {"query": f" bp-{crashes[0]} "})
    assert response.status_code == 302 and response["Location"] == f"/report/index/{crashes[0]}"
    response = anonymous.get("/search/quick/", {"query": "OOM | small"})
    assert response["Location"] == "/search/?signature=~OOM+%7C+small"
    assert anonymous.get("/search/quick/", {"query": ""})["Location"] == "/search/"


def test_page_searches_are_rate_limited(anonymous, crashes, settings):
    settings.RATELIMIT_ENABLE = True
    settings.JANSKY_WEBAPP = type(settings.JANSKY_WEBAPP)(
        **{**settings.JANSKY_WEBAPP.__dict__, "ratelimit_anonymous": "2/m"}
    )
    assert search(anonymous, product="Firefox")[0] == 200
    assert search(anonymous, product="Firefox")[0] == 200
    status, html = search(anonymous, product="Firefox")
    assert status == 429 and "too many requests" in html.lower()
    assert search(anonymous)[0] == 200  # the form alone runs no search


# ---- the builder's operators --------------------------------------------------------------


def test_every_operator_of_the_language_has_a_label():
    for validation_type, operators in filters.BUILDER_OPERATORS.items():
        from jansky.search.fields import OPERATORS

        for operator in OPERATORS[validation_type]:
            assert operator in operators or f"!{operator}" in operators, (validation_type, operator)
        assert all(operator in filters.OPERATOR_LABELS for operator in operators)


@given(
    field=st.sampled_from(REGISTRY),
    data=st.data(),
    value=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12),
)
def test_rows_join_back_to_the_value_they_came_from(field, data, value):
    operator = data.draw(st.sampled_from(filters.BUILDER_OPERATORS[field.validation_type]))
    row = filters.Row(field.name, operator, "" if operator in filters.VALUELESS else value)
    raw = row.joined()
    assert filters.split_value(field, raw) == (row.operator, row.value) or (
        # a bare value that itself starts with an operator (or with "!", the negation) reads as
        # that operator, as in the API: the query language has no escape for it
        operator in {"", "!"} and (raw.lstrip("!")[:1] in "=~^$@<>_" or value.startswith("!"))
    )


def test_rows_from_the_form_skip_empty_and_unknown_lines():
    data = QueryDict(mutable=True)
    data.setlist("_field", ["signature", "no_such_field", "uptime", "url"])
    data.setlist("_op", ["~", "", "<", "bogus"])
    data.setlist("_value", ["", "x", "5", "y"])
    rows = filters.rows_from_form(data)
    assert rows == [filters.Row("uptime", "<", "5"), filters.Row("url", "", "y")]
