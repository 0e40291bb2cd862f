"""The signature report's Correlations tab: over-represented values against all crashes."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.unit.webapp.markup import unsafe_markup
from tests.unit.webapp.pagedata import HOSTILE, index_crashes
from webapp.signature import correlations
from webapp.signature.correlations import z_score

# Every compared attribute the same for every crash, unless a test says otherwise.
ALIKE = {
    "product": "Firefox",
    "version": "133.0",
    "release_channel": "release",
    "platform_pretty_version": "Windows 10",
    "cpu_arch": "amd64",
    "cpu_microcode_version": "0xf0",
    "process_type": "parent",
    "adapter_vendor_id": "0x10de",
    "adapter_driver_version": "31.0.15",
    "addons": ["ublock@example.com:1.0"],
    "accessibility": False,
    "safe_mode": False,
    "dom_fission_enabled": True,
    "startup_crash": False,
    "has_device_touch_screen": False,
    "bios_manufacturer": "Dell",
    "android_model": None,
    "android_version": None,
}
ARM = "Arm::only"
MIXED = "Like::the::rest"


@pytest.fixture
def crashes(db, crash_backends) -> None:
    # 30 of the 100 crashes are on arm64: all of ARM's, and 3 of MIXED's 10, like the whole.
    specs = [
        {**ALIKE, "signature": ARM, "cpu_arch": "arm64", "bios_manufacturer": HOSTILE}
        for _ in range(27)
    ]
    specs += [{**ALIKE, "signature": MIXED, "cpu_arch": "arm64"} for _ in range(3)]
    specs += [{**ALIKE, "signature": MIXED} for _ in range(7)]
    specs += [{**ALIKE, "signature": f"Other::{n % 5}"} for n in range(63)]
    # Another product's crashes are not the population Firefox signatures are compared with.
    specs += [{**ALIKE, "product": "Fenix", "signature": "Fenix::x", "cpu_arch": "arm64"}] * 50
    index_crashes(crash_backends, *specs)


def tab(client, signature: str) -> str:
    response = client.get(f"/signature/correlations/?signature={quote(signature)}")
    assert response.status_code == 200
    return response.content.decode()


def test_over_represented_values_are_listed(anonymous, crashes):
    html = tab(anonymous, ARM)
    assert "this signature's 27 crashes" in html and "all 100 crashes" in html
    table = html.split('id="correlations-table"', 1)[1]
    rows = table.split("<tr>")[2:]
    assert len(rows) == 2  # arm64 and the BIOS maker; nothing where it is like the rest
    assert "arm64" in rows[0] or "arm64" in rows[1]
    arm = next(row for row in rows if "arm64" in row)
    assert "100.00 %" in arm and "30.00 %" in arm and "+70.00" in arm
    assert HOSTILE not in html and "&lt;script&gt;" in html
    assert unsafe_markup(html) == []


def test_a_signature_like_the_rest_shows_nothing(anonymous, crashes):
    assert "No attribute stands out" in tab(anonymous, MIXED)


def test_the_reference_is_searched_once_per_filters(anonymous, crashes, monkeypatch):
    searched = []
    real = correlations.search_for_tab

    def counting(query, access):
        searched.append("signature" in query)
        return real(query, access)

    monkeypatch.setattr(correlations, "search_for_tab", counting)
    tab(anonymous, ARM)
    tab(anonymous, MIXED)
    assert searched == [True, False, True]  # the second signature reuses the reference


def test_the_tab_is_in_the_page(anonymous, crashes):
    response = anonymous.get(f"/signature/?signature={quote(ARM)}&tab=correlations")
    assert response.status_code == 200
    assert 'data-tab-content="correlations"' in response.content.decode()


def test_z_score():
    assert z_score(0, 0, 1, 10) == 0.0
    assert z_score(30, 30, 30, 100) == pytest.approx(6.75, abs=0.01)
    assert z_score(5, 10, 50, 100) == 0.0
    assert z_score(1, 10, 50, 100) < 0
