"""Socorro's production rules: which Mozilla crashes are kept, sampled or dropped.

The order matters: the first rule that decides wins. ``build_rules`` takes the supported
products and Android package names so a deployment can narrow or widen them.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from antenna.throttler import WHOLE_CRASH, Result, Rule, Sample

PRODUCTS = (
    "Fenix",
    "Firefox",
    "Firefox Enterprise",
    "Focus",
    "MozillaVPN",
    "ReferenceBrowser",
    "Thunderbird",
)
PACKAGE_NAMES = {
    "Fenix": ("org.mozilla.firefox", "org.mozilla.firefox_beta", "org.mozilla.fenix"),
    "Focus": (
        "org.mozilla.focus",
        "org.mozilla.focus.beta",
        "org.mozilla.focus.nightly",
        "org.mozilla.klar",
    ),
    "ReferenceBrowser": ("org.mozilla.reference.browser",),
}
BUILD_ID = re.compile(r"^20\d{12}$")
MAX_BUILD_AGE = datetime.timedelta(days=730)
INFOBAR_VERSION = re.compile(r"^5[2-9]\.")
BACKGROUND_PROCESSES = frozenset({"gpu", "plugin", "rdd", "socket", "utility"})
OLDEST_SUPPORTED_WINDOWS_BUILD = 9600


def _text(crash: Mapping[str, Any], key: str) -> str:
    """An annotation as text ("" when absent): JSON clients may send any type."""
    return str(crash[key]) if key in crash else ""


def has_old_build_id(build_id: str) -> bool:
    """A well-formed BuildID whose date is more than two years ago."""
    if not BUILD_ID.match(build_id):
        return False
    try:
        built = datetime.datetime.strptime(build_id[:8], "%Y%m%d").replace(tzinfo=datetime.UTC)
    except ValueError:
        return False
    return built < datetime.datetime.now(datetime.UTC) - MAX_BUILD_AGE


def is_hang_in_browser(crash: Mapping[str, Any]) -> bool:
    return "HangID" in crash and crash.get("ProcessType", "browser") == "browser"


def is_old_infobar_submission(crash: Mapping[str, Any]) -> bool:
    return (
        crash.get("ProductName") == "Firefox"
        and crash.get("SubmittedFromInfobar") == "true"
        and bool(INFOBAR_VERSION.match(str(crash.get("Version", ""))))
        and str(crash.get("BuildID", "")) < "20171226"
    )


def is_esr_on_unsupported_windows(crash: Mapping[str, Any]) -> bool:
    """Firefox ESR on Windows 8.1 or older, per the TelemetryEnvironment annotation."""
    if crash.get("ProductName") != "Firefox" or crash.get("ReleaseChannel") != "esr":
        return False
    environment = crash.get("TelemetryEnvironment")
    if not isinstance(environment, str):
        return False
    system_os = json.loads(environment).get("system", {}).get("os", {})
    build_number = system_os.get("windowsBuildNumber")
    return (
        system_os.get("name") == "Windows_NT"
        and isinstance(build_number, int)
        and build_number <= OLDEST_SUPPORTED_WINDOWS_BUILD
    )


def build_rules(
    products: Sequence[str] = PRODUCTS,
    package_names: Mapping[str, Sequence[str]] = PACKAGE_NAMES,
) -> list[Rule]:
    """Socorro's rules for ``products`` (empty: any product) and their Android packages."""
    product_set = frozenset(products)

    def is_unsupported_product(crash: Mapping[str, Any]) -> bool:
        return bool(product_set) and _text(crash, "ProductName") not in product_set

    def is_unsupported_package(crash: Mapping[str, Any]) -> bool:
        allowed = package_names.get(_text(crash, "ProductName"))
        return allowed is not None and _text(crash, "Android_PackageName") not in allowed

    return [
        Rule("has_old_buildid", "BuildID", has_old_build_id, Result.REJECT),
        Rule("has_hangid_and_browser", WHOLE_CRASH, is_hang_in_browser, Result.REJECT),
        Rule("infobar_is_true", WHOLE_CRASH, is_old_infobar_submission, Result.REJECT),
        Rule(
            "b2g",
            "ProductName",
            lambda name: name.lower() == "b2g" and "B2G" not in product_set,
            Result.FAKEACCEPT,
        ),
        Rule("unsupported_product", WHOLE_CRASH, is_unsupported_product, Result.REJECT),
        Rule("unsupported_packagename", WHOLE_CRASH, is_unsupported_package, Result.REJECT),
        Rule("throttleable_0", "Throttleable", lambda value: value == "0", Result.ACCEPT),
        Rule("has_comments", "Comments", lambda _value: True, Result.ACCEPT),
        Rule("has_phc", "PHCKind", lambda _value: True, Result.ACCEPT),
        Rule("is_background", "ProcessType", BACKGROUND_PROCESSES.__contains__, Result.ACCEPT),
        Rule(
            "is_shutdownkill",
            "ipc_channel_error",
            lambda value: value == "ShutDownKill",
            Sample(10, Result.CONTINUE, Result.REJECT),
        ),
        Rule(
            "is_firefox_esr_unsupported_windows",
            WHOLE_CRASH,
            is_esr_on_unsupported_windows,
            Sample(25, Result.CONTINUE, Result.REJECT),
        ),
        Rule(
            "is_alpha_beta_esr",
            "ReleaseChannel",
            lambda value: value in {"aurora", "beta", "esr"},
            Result.ACCEPT,
        ),
        Rule(
            "is_nightly", "ReleaseChannel", lambda value: value.startswith("nightly"), Result.ACCEPT
        ),
        Rule(
            "is_firefox_desktop",
            WHOLE_CRASH,
            lambda crash: (
                crash.get("ProductName") == "Firefox" and crash.get("ReleaseChannel") == "release"
            ),
            Sample(10, Result.ACCEPT, Result.REJECT),
        ),
        Rule("accept_everything", WHOLE_CRASH, lambda _crash: True, Result.ACCEPT),
    ]


RULES = build_rules()
