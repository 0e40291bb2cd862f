"""The signature report: its page, every tab as a fragment, the graph data, and permissions."""

from __future__ import annotations

import datetime
from urllib.parse import quote

import pytest

from tests.unit.webapp.conftest import make_user
from tests.unit.webapp.crashdata import SECRET
from tests.unit.webapp.markup import unsafe_markup
from tests.unit.webapp.pagedata import HOSTILE, index_crashes
from webapp.crashstats.models import Bug, BugAssociation, GraphicsDevice

NOW = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
SIGNATURE = f"Foo::Bar{HOSTILE}"
Q = f"signature={quote(SIGNATURE)}"


@pytest.fixture
def crashes(db, crash_backends) -> list[str]:
    base = {"signature": SIGNATURE, "product": "Firefox", "cpu_arch": "amd64"}
    specs = [
        {
            **base,
            "version": "133.0" if n % 3 else "134.0b5",
            "when": NOW - datetime.timedelta(days=n % 3, hours=1),
            "uptime": 30 if n < 8 else 4000,
            "startup_crash": n < 2,
            "install_time": 1_700_000_000 + n % 4,
            "adapter_vendor_id": "0x10de",
            "adapter_device_id": "0x1234",
            "os_pretty_version": "Windows 10" if n % 2 else "Windows 11",
        }
        for n in range(12)
    ]
    specs.append({"signature": "Something::else", "product": "Firefox", "version": "133.0"})
    return index_crashes(crash_backends, *specs)


def get(client, path: str, query: str = Q, **extra) -> tuple[int, str]:
    suffix = "&".join(f"{key}={quote(str(value))}" for key, value in extra.items())
    response = client.get(f"{path}?{query}{'&' + suffix if suffix else ''}")
    return response.status_code, response.content.decode()


def test_page_renders_the_summary(anonymous, crashes):
    GraphicsDevice.objects.create(
        vendor_hex="0x10de", adapter_hex="0x1234", vendor_name="NVIDIA", adapter_name="GTX 1234"
    )
    status, html = get(anonymous, "/signature/")
    assert status == 200
    assert "Signature report for" in html and HOSTILE not in html and "&lt;script&gt;" in html
    assert "<strong>12</strong> crashes" in html
    assert "Potential Startup Crash" in html and "Startup Window Crash" in html
    assert "Windows 10" in html and "Windows 11" in html and "amd64" in html
    assert "134.0b5" in html and "~4" in html  # installations of a version
    assert "&lt; 1 min" in html and "&gt; 1 hour" in html
    assert "NVIDIA" in html and "GTX 1234" in html
    assert 'data-tab="comments"' not in html  # anonymous users have no Comments tab
    assert unsafe_markup(html) == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "exactly one signature"),
        ("signature=a&signature=b", "exactly one signature"),
        ("signature=%00", "NUL"),
    ],
)
def test_signature_parameter_is_checked(anonymous, query, message):
    status, html = get(anonymous, "/signature/", query)
    assert status == 400 and message in html


def test_reports_tab_pages_and_sorts(anonymous, crashes, monkeypatch):
    monkeypatch.setattr("webapp.crashstats.tables.PER_PAGE", 5)
    status, html = get(anonymous, "/signature/reports/")
    assert status == 200
    assert "12 crashes" in html and html.count('href="/report/index/') == 5
    assert "tab=reports&amp;page=2" in html and "tab=reports&amp;page=3" in html
    status, html = get(anonymous, "/signature/reports/", page=3)
    assert html.count('href="/report/index/') == 2
    status, html = get(anonymous, "/signature/reports/", _sort="uptime", _columns="uptime")
    assert status == 200 and 'aria-sort="ascending"' in html and ">uptime<" in html


def test_reports_tab_drops_columns_the_viewer_may_not_see(anonymous, make_client, crashes):
    _, html = get(anonymous, "/signature/reports/", _columns="user_comments")
    assert SECRET not in html
    _, html = get(make_client(make_user("pii", "view_pii")), "/signature/reports/", _columns="url")
    assert SECRET in html


def test_aggregation_tab(anonymous, crashes):
    status, html = get(anonymous, "/signature/aggregation/version/")
    assert status == 200
    assert "133.0" in html and "134.0b5" in html and "66.67 %" in html
    status, html = get(anonymous, "/signature/aggregation/user_comments/")
    assert status == 400 and "not permitted" in html
    status, html = get(anonymous, "/signature/aggregation/no_such_field/")
    assert status == 400


def test_graphs_tab_and_json(anonymous, crashes):
    status, html = get(anonymous, "/signature/graph/version/")
    assert status == 200
    assert 'id="signature-graph"' in html and 'id="signature-graph-data"' in html
    assert html.count("<tr><td>20") == 3  # three days with crashes
    response = anonymous.get(f"/signature/graphs/version/?{Q}")
    assert response.status_code == 200
    data = response.json()
    assert data["aggregation"] == "version" and data["total"] == 12
    assert {bucket["term"] for bucket in data["term_counts"]} == {"133.0", "134.0b5"}
    assert len(data["aggregates"]) == 3
    response = anonymous.get(f"/signature/graphs/user_comments/?{Q}")
    assert response.status_code == 400 and "not permitted" in response.json()["error"]


def test_comments_tab_needs_view_pii(anonymous, make_client, crashes):
    status, html = get(anonymous, "/signature/comments/")
    assert status == 403 and SECRET not in html
    client = make_client(make_user("pii", "view_pii"))
    status, html = get(client, "/signature/comments/")
    assert status == 200 and f"{SECRET}user_comments" in html
    _, page = get(client, "/signature/")
    assert 'data-tab="comments"' in page


def test_bugzilla_tab(anonymous, crashes):
    BugAssociation.objects.create(bug_id=111, signature=SIGNATURE)
    BugAssociation.objects.create(bug_id=111, signature="Related::sig")
    status, html = get(anonymous, "/signature/bugzilla/")
    assert status == 200 and "bug 111" in html and "Related::sig" in html
    assert "bug-resolved" not in html  # the job has not read the bug: a plain link


def test_bugs_show_their_state(anonymous, crashes):
    BugAssociation.objects.create(bug_id=111, signature=SIGNATURE)
    BugAssociation.objects.create(bug_id=112, signature=SIGNATURE)
    Bug.objects.create(
        bug_id=111, summary=f"Crash in {HOSTILE}", status="RESOLVED", resolution="FIXED"
    )
    Bug.objects.create(bug_id=112, summary="Still crashing", status="NEW")
    status, html = get(anonymous, "/signature/bugzilla/")
    assert status == 200
    assert 'title="RESOLVED FIXED: Crash in ' in html and 'class="bug-resolved">bug 111</a>' in html
    assert 'title="NEW: Still crashing">bug 112</a>' in html
    assert HOSTILE not in html and unsafe_markup(html) == []


@pytest.mark.parametrize(
    "tab", ["summary", "reports", "aggregations", "graphs", "correlations", "bugzilla"]
)
def test_every_tab_in_the_page_url(anonymous, crashes, tab):
    status, html = get(anonymous, "/signature/", tab=tab)
    assert status == 200 and f'data-tab-content="{tab}"' in html


def test_filters_narrow_every_tab(anonymous, crashes):
    status, html = get(anonymous, "/signature/", version="134.0b5")
    assert status == 200 and "<strong>4</strong> crashes" in html
    status, html = get(
        anonymous, "/signature/", date=f"<{(NOW - datetime.timedelta(days=1)):%Y-%m-%d}"
    )
    assert status == 200


def test_filter_form_builds_the_url(anonymous, crashes):
    response = anonymous.get(
        "/signature/",
        {
            "_form": "1",
            "signature": SIGNATURE,
            "date_from": "2024-10-01",
            "date_to": "2024-10-07",
            "_field": ["version", "uptime"],
            "_op": ["", "<"],
            "_value": ["134.0b5", "60"],
            "tab": "reports",
        },
    )
    assert response.status_code == 302
    location = response["Location"]
    assert "date=%3E%3D2024-10-01&date=%3C2024-10-08" in location
    assert (
        "version=134.0b5" in location and "uptime=%3C60" in location and "tab=reports" in location
    )


def test_bad_filter_value_is_400(anonymous, crashes):
    status, html = get(anonymous, "/signature/", uptime="abc")
    assert status == 400 and "not a valid int" in html


def test_summary_falls_back_to_platform_names(anonymous, db, crash_backends):
    index_crashes(crash_backends, {"signature": "Plain::os", "os_name": "Linux"})
    _, html = get(anonymous, "/signature/summary/", "signature=Plain%3A%3Aos")
    section = html.split("<h3>Operating System</h3>", 1)[1].split("</section>", 1)[0]
    assert "Linux" in section
