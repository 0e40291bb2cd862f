"""Every page, for every kind of visitor: the security headers, no inline script or style, CSRF
on every form, crash data escaped, and no protected data in what anonymous visitors get."""

from __future__ import annotations

import datetime
from urllib.parse import quote

import pytest

from tests.unit.webapp.conftest import make_user
from tests.unit.webapp.crashdata import SECRET
from tests.unit.webapp.markup import forms_without_csrf, unsafe_markup
from tests.unit.webapp.pagedata import (
    HOSTILE,
    HOSTILE_SIGNATURE,
    store_raw_only,
    store_report_crash,
)
from webapp.crashstats.csp import POLICY

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
SIGNATURE = quote(HOSTILE_SIGNATURE)


@pytest.fixture
def site(db, crash_backends) -> dict[str, str]:
    crash_id, _ = store_report_crash(crash_backends, NOW)
    pending = store_raw_only(crash_backends, NOW)
    return {"crash": crash_id, "pending": pending}


def pages(site: dict[str, str]) -> list[str]:
    crash = site["crash"]
    return [
        "/",
        "/home/product/Firefox",
        f"/report/index/{crash}",
        f"/report/index/{site['pending']}",
        "/report/index/not-a-crash-id",
        f"/signature/?signature={SIGNATURE}",
        *(
            f"/signature/?signature={SIGNATURE}&tab={tab}"
            for tab in ("aggregations", "reports", "graphs", "comments", "bugzilla")
        ),
        f"/signature/reports/?signature={SIGNATURE}&_columns=url&_columns=user_comments",
        f"/signature/aggregation/product/?signature={SIGNATURE}",
        "/search/",
        "/search/?product=Firefox&_facets=signature&_facets=url"
        "&_columns=url&_columns=user_comments&_columns=signature",
        "/search/results/?product=Firefox&_columns=user_comments",
        "/topcrashers/?product=Firefox&version=133.0",
        "/documentation/",
        "/documentation/supersearch/",
        "/documentation/datadictionary/",
        "/documentation/datadictionary/dataset/processed/field/user_comments",
        "/documentation/protected_data_access/",
        "/api/",
        "/api/tokens/",
        "/profile/",
        "/login/",
        "/no/such/page",
    ]


def clients(make_client):
    return {
        "anonymous": make_client(),
        "plain": make_client(make_user("plain")),
        "superuser": make_client(make_user("root", is_superuser=True, is_staff=True)),
    }


def test_every_page_is_safe_for_every_visitor(make_client, site):
    for who, client in clients(make_client).items():
        for path in pages(site):
            response = client.get(path)
            where = f"{who} {path}"
            assert response.status_code in {200, 302, 400, 403, 404}, where
            assert response["Content-Security-Policy"] == POLICY, where
            assert response["X-Frame-Options"] == "DENY", where
            if response.status_code == 302 or "html" not in response["Content-Type"]:
                continue
            html = response.content.decode()
            assert unsafe_markup(html) == [], where
            assert forms_without_csrf(html) == [], where
            assert HOSTILE not in html, where
            if who != "superuser":
                assert SECRET not in html, where


def test_the_policy_is_strict():
    assert "'unsafe-inline'" not in POLICY and "'unsafe-eval'" not in POLICY
    assert "script-src 'self'" in POLICY and "object-src 'none'" in POLICY
    assert "frame-ancestors 'none'" in POLICY and "http" not in POLICY


def test_static_files_get_the_policy_and_long_caching(anonymous, db):
    from webapp.crashstats.assets import manifest

    response = anonymous.get(f"/static/build/{manifest()['crashstats/site.js']}")
    assert response.status_code == 200
    assert "max-age=315360000" in response["Cache-Control"]
    assert "immutable" in response["Cache-Control"]
