"""Site chrome: home pages, products and versions, pickers, banners, error pages, assets."""

from __future__ import annotations

import datetime

import pytest

from tests.unit.webapp.pagedata import HOSTILE, index_crashes
from webapp.crashstats import products
from webapp.crashstats.assets import manifest
from webapp.crashstats.models import ProductVersion, StatusMessage

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@pytest.fixture
def crashes(db, crash_backends) -> None:
    versions = {"133.0": 60, "133.0.3": 55, "134.0b5": 52, "135.0a1": 51, "132.0": 50, "1.0": 2}
    specs = [
        {"product": "Firefox", "version": version}
        for version, count in versions.items()
        for _ in range(count)
    ]
    specs += [{"product": "Fenix", "version": "133.1.0"}] * 3
    index_crashes(crash_backends, *specs)


def test_version_order_and_featured_versions():
    ordered = sorted(
        ["133.0", "135.0a1", "134.0b9", "133.0.3", "128.5.0esr", "134.0b10", "134.0rc1", "junk"],
        key=products.version_key,
        reverse=True,
    )
    assert ordered == [
        "135.0a1",
        "134.0rc1",
        "134.0b10",
        "134.0b9",
        "133.0.3",
        "133.0",
        "128.5.0esr",
        "junk",
    ]
    assert products.featured(["133.0", "133.0.3", "134.0b5", "135.0a1", "132.0", "128.5.0esr"]) == {
        "135.0a1",
        "133.0.3",
        "132.0",
    }


def test_catalogue_from_crash_data(crashes):
    catalogue = products.build_catalogue()
    assert catalogue.products == ("Firefox", "Fenix")
    firefox = [version.version for version in catalogue.versions_of("Firefox")]
    assert firefox == ["135.0a1", "134.0b5", "133.0.3", "133.0", "132.0"]  # 1.0 is too rare
    assert {v.version for v in catalogue.featured("Firefox")} == {"135.0a1", "133.0.3", "132.0"}
    # Fenix has no version with 50 crashes: all of them are listed rather than none.
    assert [v.version for v in catalogue.versions_of("Fenix")] == ["133.1.0"]


def test_catalogue_prefers_the_product_versions_table(crashes):
    for version in ("136.0", "135.0", "135.0b2"):
        ProductVersion.objects.create(
            product_name="Firefox",
            release_channel="beta" if "b" in version else "release",
            major_version=int(version.split(".")[0]),
            release_version=version,
            version_string=version,
            build_id="20241001000000",
        )
    ProductVersion.objects.create(
        product_name="Thunderbird",
        release_channel="release",
        major_version=128,
        release_version="128.0",
        version_string="128.0",
        build_id="1",
    )
    catalogue = products.build_catalogue()
    assert [v.version for v in catalogue.versions_of("Firefox")] == ["136.0", "135.0", "135.0b2"]
    assert "Thunderbird" in catalogue.products  # known from the table, even without crashes
    assert [v.version for v in catalogue.versions_of("Fenix")] == ["133.1.0"]


def test_home_lists_products(anonymous, crashes):
    html = anonymous.get("/").content.decode()
    assert "/home/product/Firefox" in html and "/home/product/Fenix" in html
    assert "/topcrashers/?product=Firefox&amp;version=135.0a1" in html
    assert '<option value="Firefox" selected>' in html  # the header's product picker


def test_home_without_crashes(anonymous, crash_backends):
    response = anonymous.get("/")
    assert response.status_code == 200 and "No crashes yet" in response.content.decode()


def test_product_home(anonymous, crashes):
    response = anonymous.get("/home/product/Firefox")
    html = response.content.decode()
    assert response.status_code == 200 and "Firefox Crash Data" in html
    assert "process_type=content" in html and "Firefox 133.0.3" in html
    assert anonymous.get("/home/product/Nope").status_code == 404
    response = anonymous.get("/home/product/Firefox", {"version": "9.9"})
    assert response.status_code == 302 and response["Location"] == "/home/product/Firefox"
    html = anonymous.get("/home/product/Firefox", {"version": "133.0"}).content.decode()
    assert "Firefox 133.0<" in html and "Firefox 135.0a1" not in html


def test_pickers_without_javascript(anonymous, crashes):
    assert anonymous.get("/home/pick/", {"product": "Fenix"})["Location"] == "/home/product/Fenix"
    response = anonymous.get("/home/pick/", {"product": "Fenix", "version": "133.1.0"})
    assert response["Location"] == "/topcrashers/?product=Fenix&version=133.1.0"
    assert anonymous.get("/home/pick/", {"product": "Nope"})["Location"] == "/"


def test_status_messages_show_escaped_with_bug_links(anonymous, crash_backends):
    StatusMessage.objects.create(message=f"Outage, see bug 1234567 {HOSTILE}", severity="critical")
    StatusMessage.objects.create(message="Hidden", enabled=False)
    html = anonymous.get("/").content.decode()
    assert 'class="banner banner-critical"' in html
    assert '<a href="https://bugzilla.mozilla.org/show_bug.cgi?id=1234567">bug 1234567</a>' in html
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert "Hidden" not in html


def test_error_pages_are_html_for_pages_and_json_for_json_views(anonymous, crash_backends):
    response = anonymous.get("/no/such/page")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
    assert "Page Not Found" in response.content.decode()
    response = anonymous.get("/api/NoSuchThing/")
    assert response.status_code == 404 and response.json()["error"]
    response = anonymous.get("/signature/graphs/product/")
    assert response.status_code == 400 and "exactly one signature" in response.json()["error"]


def test_server_errors_are_pages_without_the_database(anonymous, crash_backends, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("webapp.crashstats.views.products.catalogue", broken)
    anonymous.raise_request_exception = False
    response = anonymous.get("/")
    assert response.status_code == 500
    assert "Internal Server Error" in response.content.decode()
    monkeypatch.setattr("webapp.report.views.backends.storage", broken)
    response = anonymous.get("/report/status/de1bb258-cbbf-4589-a673-34f800160918/")
    assert response.status_code == 500 and response.json()["error"] == "Internal Server Error"


def test_suspicious_requests_get_the_400_page(anonymous, crash_backends):
    response = anonymous.get("/", headers={"host": "evil.example.com"})
    assert response.status_code == 400
    assert "malformed" in response.content.decode()


def test_built_assets_are_served_with_hashed_names(anonymous, crash_backends):
    html = anonymous.get("/").content.decode()
    built = manifest()
    for name in ("crashstats/site.css", "crashstats/site.js"):
        assert f"/static/build/{built[name]}" in html
        assert built[name] != name and "-" in built[name].rsplit("/", 1)[-1]


def test_old_addresses_redirect(anonymous):
    response = anonymous.get("/query/", {"product": "Firefox"})
    assert response.status_code == 301 and response["Location"] == "/search/?product=Firefox"
    assert anonymous.get("/your-crashes/")["Location"] == "/profile/"
    assert anonymous.get("/permissions/")["Location"] == "/profile/"
