"""The default rules and the schema-driven annotation copying."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processor.rules import general
from processor.rules import mozilla as moz
from processor.rules.annotations import ConversionFailed, CopyFromRawCrashRule, convert
from processor.rules.base import CrashContext
from tests.unit.processor.conftest import CRASH_ID


def context(raw: dict[str, Any] | None = None, processed: dict[str, Any] | None = None, dumps=None):
    return CrashContext(CRASH_ID, raw or {}, dumps or {}, processed or {}, Path("/tmp"))


def apply(rule, crash: CrashContext) -> CrashContext:
    if rule.predicate(crash):
        rule.action(crash)
    return crash


# ---- annotations -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "type_name", "expected"),
    [
        ("1", "boolean", True),
        ("true", "boolean", True),
        ("0", "boolean", False),
        ("false", "boolean", False),
        (" 42 ", "integer", 42),
        ("-7", "integer", -7),
        ("1.5", "number", 1.5),
        ("text  \n", "string", "text"),
        ('{"a": 1}', "object", {"a": 1}),
    ],
)
def test_convert(value, type_name, expected):
    assert convert(value, type_name, "Ann") == expected


@pytest.mark.parametrize(
    ("value", "type_name", "note"),
    [
        ("yes", "boolean", "Ann has non-boolean value 'yes'"),
        ("1.5", "integer", "Ann has a non-int value"),
        ("9" * 30, "integer", "Ann has an int value out of range"),
        ("nan", "number", "Ann has a non-finite float value"),
        ("{", "object", "Ann is not valid JSON"),
        ('{"a": NaN}', "object", "Ann is not valid JSON"),
        ("[1]", "object", "Ann is not a JSON object"),
    ],
)
def test_convert_failures_say_why(value, type_name, note):
    with pytest.raises(ConversionFailed) as info:
        convert(value, type_name, "Ann")
    assert str(info.value) == note


@given(st.text(max_size=50), st.sampled_from(["boolean", "integer", "number", "string", "object"]))
def test_convert_never_raises_anything_but_conversion_failed(value, type_name):
    with contextlib.suppress(ConversionFailed):
        convert(value, type_name, "Ann")


def test_copy_uses_the_schema_sources_and_types(schema):
    raw = {
        "ProductName": "Firefox ",
        "BuildID": "20240101000000",
        "StartupTime": "1000",
        "SafeMode": "1",
        "UptimeTS": "12.5",
        "OOMAllocationSize": "not a number",
        "JavaException": '{"exception": {"values": []}}',
    }
    crash = apply(CopyFromRawCrashRule(schema), context(raw))
    processed = crash.processed_crash
    assert processed["product"] == "Firefox"
    assert processed["build"] == "20240101000000"
    assert processed["startup_time"] == 1000
    assert processed["safe_mode"] is True
    assert processed["uptime_ts"] == 12.5
    assert "oom_allocation_size" not in processed
    assert "OOMAllocationSize has a non-int value" in crash.notes
    assert processed["java_exception"] == {"exception": {"values": []}}
    assert schema.validate(processed) == []


def test_every_source_annotation_is_copied(schema):
    """Adding a field with a source_annotation to the schema is all it takes."""
    rule = CopyFromRawCrashRule(schema)
    assert {spec.field for spec in rule.specs} == set(schema.source_annotations())


# ---- general rules ---------------------------------------------------------------------------


def test_denull_and_denone():
    crash = context({"Ke\0y": "va\0lue", "Gone": None})
    apply(general.DeNullRule(), crash)
    apply(general.DeNoneRule(), crash)
    assert crash.raw_crash == {"Key": "value"}


def test_crash_report_keys_drop_bad_names():
    crash = apply(
        general.CrashReportKeysRule(),
        context({"Good": "1", "bad key!": "2"}, dumps={"upload_file_minidump": Path("/x")}),
    )
    assert crash.processed_crash["crash_report_keys"] == ["Good", "upload_file_minidump"]
    assert "invalidkeys: Crash report contains invalid keys" in crash.notes


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ({"address": "0x0000000000000045"}, "0x0000000000000045"),
        ({"address": "0x00000045", "adjusted_address": {"kind": "null-pointer"}}, "0x00000000"),
        (
            {"address": "0x0000000000000045", "adjusted_address": {"kind": "null-pointer"}},
            "0x0000000000000000",
        ),
        (
            {"address": "0xdead", "adjusted_address": {"kind": "non-canonical", "address": "0x1"}},
            "0x1",
        ),
    ],
)
def test_crashing_thread_address(info, expected):
    crash = apply(
        general.CrashingThreadInfoRule(),
        context(processed={"json_dump": {"crash_info": {**info, "crashing_thread": 0}}}),
    )
    assert crash.processed_crash["address"] == expected


def test_truncate_stacks_reports_the_real_count():
    frames = [{"frame": n} for n in range(600)]
    dump = {"threads": [{"frames": list(frames)}]}
    crash = apply(general.TruncateStacksRule(), context(processed={"json_dump": dump}))
    kept = dump["threads"][0]["frames"]
    assert len(kept) == 500
    assert kept[249] == {"frame": 249}
    assert kept[250] == {"truncated": {"msg": "101 frames truncated"}}
    assert kept[-1] == {"frame": 599}
    assert len({frame.get("frame") for frame in kept} - {None}) == 600 - 101
    assert crash.notes == ["thread 0: 101 frames truncated"]


def test_dates_and_times():
    raw = {
        "submitted_timestamp": "2024-01-02T03:04:05+00:00",
        "CrashTime": "1704164600",
        "InstallTime": "1704160000",
        "StartupTime": "1704164000",
        "SecondsSinceLastCrash": "nope",
    }
    processed = apply(general.DatesAndTimesRule(), context(raw)).processed_crash
    assert processed["date_processed"] == raw["submitted_timestamp"]
    assert processed["crash_time"] == 1704164600
    assert processed["install_age"] == 4600
    assert processed["uptime"] == 600
    assert processed["last_crash"] is None
    assert processed["client_crash_date"] == "2024-01-02T03:03:20+00:00"


def test_addons_and_theme_name():
    raw = {"Add-ons": "a%40b:1.0,{972ce4c6-7e08-4474-a285-3208198ce6fd},c:2"}
    crash = apply(general.AddonsRule(), context(raw))
    apply(moz.ThemePrettyNameRule(), crash)
    assert crash.processed_crash["addons"] == [
        "a@b:1.0",
        "{972ce4c6-7e08-4474-a285-3208198ce6fd}:NO_VERSION (default theme)",
        "c:2",
    ]


@pytest.mark.parametrize(
    ("os_name", "os_version", "pretty"),
    [
        ("Windows NT", "10.0.19045", "Windows 10"),
        ("Windows NT", "10.0.22631", "Windows 11"),
        ("Windows NT", "6.1.7601", "Windows 7"),
        ("Windows NT", "4.0", "Windows Unknown"),
        ("Mac OS X", "13.4.1 22F82", "macOS 13"),
        ("Mac OS X", "10.15.7", "OS X 10.15"),
        ("Linux", "5.1", "Linux"),
        ("Android", "34", "Android 34"),
        ("Solaris", "11", "Solaris"),
    ],
)
def test_os_pretty_version(os_name, os_version, pretty):
    crash = context(processed={"os_name": os_name, "os_version": os_version})
    assert (
        apply(general.OSPrettyVersionRule(), crash).processed_crash["os_pretty_version"] == pretty
    )


def test_report_type_hang_from_watchdog_frame():
    dump = {
        "crash_info": {"crashing_thread": 0},
        "threads": [{"frames": [{"function": "mozilla::RunWatchdog(void*)"}]}],
    }
    crash = apply(general.ReportTypeRule(), context(processed={"json_dump": dump}))
    assert crash.processed_crash["report_type"] == "hang"


def test_platform_info_fills_only_gaps():
    crash = context(
        {"OS": "Linux", "CPUArchitecture": "arm64"},
        {"os_name": "Unknown", "cpu_arch": "amd64", "os_version": "", "cpu_info": "unknown"},
    )
    processed = apply(general.PlatformInfoRule(), crash).processed_crash
    assert processed["os_name"] == "Linux"
    assert processed["cpu_arch"] == "amd64"


def test_java_stack_trace_drops_messages():
    trace = (
        "java.lang.IllegalStateException: secret user data\n"
        "\tat org.mozilla.Foo.bar(Foo.java:10)\n"
        "\tat org.mozilla.Foo.baz(Foo.java:20)\n"
        "Caused by: java.lang.Error: more\n"
        "\tat x.y(Z.java:1)\n"
    )
    processed = apply(
        general.JavaStackTraceRule(), context({"JavaStackTrace": trace})
    ).processed_crash
    assert processed["java_stack_trace"] == (
        "java.lang.IllegalStateException\n"
        "\tat org.mozilla.Foo.bar(Foo.java:10)\n"
        "\tat org.mozilla.Foo.baz(Foo.java:20)"
    )
    assert processed["java_stack_trace_raw"] == trace


def test_breadcrumbs_accept_the_sentry_wrapper_and_reject_junk(schema):
    good = json.dumps({"values": [{"timestamp": "2024-01-01T00:00:00", "message": "x"}]})
    crash = apply(general.BreadcrumbsRule(schema), context({"Breadcrumbs": good}))
    assert crash.processed_crash["breadcrumbs"][0]["message"] == "x"
    bad = apply(general.BreadcrumbsRule(schema), context({"Breadcrumbs": "{"}))
    assert "breadcrumbs" not in bad.processed_crash
    assert bad.notes == ["Breadcrumbs: malformed: JSONDecodeError"]


def test_module_url_rewrite():
    modules = [
        {"filename": "a", "symbol_url": "http://localhost:8000/a.sym"},
        {"filename": "b", "symbol_url": "https://symbols.example.com/b.sym?token=1"},
    ]
    crash = apply(
        general.ModuleURLRewriteRule(), context(processed={"json_dump": {"modules": modules}})
    )
    assert [module["symbol_url"] for module in modules] == [
        None,
        "https://symbols.example.com/b.sym",
    ]
    assert crash.notes == ["Redacting symbol url for module a"]


# ---- mozilla rules ---------------------------------------------------------------------------


def test_fenix_and_esr_versions():
    fenix = context(processed={"product": "Fenix", "version": "Nightly 240101"})
    assert apply(moz.FenixVersionRewriteRule(), fenix).processed_crash["version"] == "0.0a1"
    esr = context(processed={"release_channel": "esr", "version": "115.6.0"})
    assert apply(moz.ESRVersionRewrite(), esr).processed_crash["version"] == "115.6.0esr"


def test_beta_version_lookup_and_fallback():
    asked = []

    def lookup(product: str, channel: str, build_id: str) -> str | None:
        asked.append((product, channel, build_id))
        return "121.0b3" if build_id == "20231201" else None

    processed = {
        "product": "Firefox",
        "release_channel": "beta",
        "build": "20231201",
        "version": "121.0",
    }
    assert (
        apply(moz.BetaVersionRule(lookup), context(processed=processed)).processed_crash["version"]
        == "121.0b3"
    )
    unknown = context(processed={**processed, "build": "20231202", "version": "121.0"})
    apply(moz.BetaVersionRule(lookup), unknown)
    assert unknown.processed_crash["version"] == "121.0b0"
    assert asked == [("Firefox", "beta", "20231201"), ("Firefox", "beta", "20231202")]


def test_phc():
    raw = {"PHCKind": "FreedPage", "PHCBaseAddress": "4096", "PHCUsableSize": "32"}
    processed = apply(moz.PHCRule(), context(raw)).processed_crash
    assert processed == {
        "phc_kind": "FreedPage",
        "phc_base_address": "0x1000",
        "phc_usable_size": 32,
    }


def test_moz_crash_reason_sanitized():
    raw = {"MozCrashReason": "Failed to load module C:\\Users\\me\\x.dll"}
    processed = apply(moz.MozCrashReasonRule(), context(raw)).processed_crash
    assert processed["moz_crash_reason"] == "sanitized--see moz_crash_reason_raw"
    assert processed["moz_crash_reason_raw"] == raw["MozCrashReason"]
