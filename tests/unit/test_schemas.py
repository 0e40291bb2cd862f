"""The raw and processed crash schemas: contents, permissions, validation, redaction, search."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from jansky.schemas import ANONYMOUS, SCHEMA_DIR, VIEW_PII, load_schema, user_permissions
from tests.servers import shared_testdata

CRASH_ID = "de1bb258-cbbf-4589-a673-34f800160918"


def words(text: str) -> list[str]:
    return text.split()


# crashstats.md 6.2: the protected top-level fields of each schema.
RAW_PROTECTED = {
    "metadata", "additional_minidumps", "Breadcrumbs", "Comments", "DumperError",
    "GleanClientId", "GMPLibraryPath", "JavaException", "JavaStackTrace", "ModuleSignatureInfo",
    "MozCrashReason", "PHCAllocStack", "PHCBaseAddress", "PHCFreeStack", "PHCKind",
    "PHCUsableSize", "RemoteType", "URL",
}  # fmt: skip
# Protected raw fields Jansky adds beyond Socorro's list: Crashpad's client id.
RAW_PROTECTED_ADDED = {"guid"}
PROCESSED_PROTECTED = {
    "breadcrumbs", "collector_metadata", "dumper_error", "glean_client_id", "gmp_library_path",
    "has_guard_page_access", "java_stack_trace_raw", "mac_boot_args", "mdsw_return_code",
    "mdsw_stderr", "memory_report", "memory_report_error", "moz_crash_reason_raw",
    "phc_alloc_stack", "phc_base_address", "phc_free_stack", "phc_kind", "phc_usable_size",
    "remote_type", "signature_debug", "soft_errors", "submitted_from_infobar", "url",
    "user_comments",
}  # fmt: skip

# processor.md 13: key processed fields and whether they are public.
PROCESSED_PUBLIC_KEY_FIELDS = words("""
    uuid crash_id signature proto_signature processor_notes processor_history success
    started_datetime completed_datetime date_processed submitted_timestamp client_crash_date
    crash_time install_age uptime startup_time install_time last_crash product version build
    release_channel productid vendor major_version process_type report_type json_dump
    mdsw_status_string stackwalk_version additional_minidumps upload_file_minidump_browser
    crashing_thread crashing_thread_name reason address last_error_value crash_inconsistencies
    possible_bit_flips_max_confidence cpu_arch cpu_info cpu_microcode_version cpu_count os_name
    os_version os_pretty_version thread_count modules_in_stack missing_symbols topmost_filenames
    abort_message oom_allocation_size js_large_allocation_failure moz_crash_reason
    java_stack_trace java_exception hang ipc_channel_error ipc_message_name
    async_shutdown_timeout addons addons_checked accessibility distribution_id crash_report_keys
    minidump_sha256_hash memory_measures telemetry_environment submitted_from utility_actors_name
""")

# processor.md 12.3: annotations and collector fields the raw schema names.
RAW_NAMED_FIELDS = words("""
    metadata submitted_timestamp uuid version ProductName Version BuildID ReleaseChannel
    ProcessType CrashTime StartupTime InstallTime OOMAllocationSize AbortMessage MozCrashReason
    JavaStackTrace JavaException TelemetryEnvironment ModuleSignatureInfo Breadcrumbs URL
    Comments Hang ipc_channel_error IPCMessageName AsyncShutdownTimeout additional_minidumps
""")

# processor.md 9, rule 6: annotation -> processed field copies.
ANNOTATION_COPIES = {
    "product": "ProductName", "version": "Version", "build": "BuildID",
    "release_channel": "ReleaseChannel", "startup_time": "StartupTime",
    "oom_allocation_size": "OOMAllocationSize", "abort_message": "AbortMessage", "hang": "Hang",
    "ipc_channel_error": "ipc_channel_error", "ipc_message_name": "IPCMessageName",
    "async_shutdown_timeout": "AsyncShutdownTimeout",
    "js_large_allocation_failure": "JSLargeAllocationFailure", "java_exception": "JavaException",
    "telemetry_environment": "TelemetryEnvironment", "user_comments": "Comments", "url": "URL",
}  # fmt: skip

# processor.md 14.2 and crashstats.md 5.1: name -> (query_type, storage_type, full, source).
MEMORY = [
    "explicit", "gfx_textures", "ghost_windows", "heap_allocated", "heap_overhead",
    "heap_unclassified", "host_object_urls", "images", "js_main_runtime", "private", "resident",
    "resident_unique", "system_heap_allocated", "top_none_detached", "vsize",
    "vsize_max_contiguous",
]  # fmt: skip
SEARCH_TABLE = {
    "signature": ("string", "text", True, "signature"),
    "proto_signature": ("string", "text", True, "proto_signature"),
    "date": ("date", "date", False, "date_processed"),
    "uuid": ("enum", "keyword", False, "uuid"),
    "product": ("enum", "text", True, "product"),
    "version": ("enum", "keyword", False, "version"),
    "release_channel": ("enum", "keyword", False, "release_channel"),
    "build_id": ("integer", "long", False, "build"),
    "platform": ("enum", "text", True, "os_name"),
    "platform_version": ("string", "text", True, "os_version"),
    "platform_pretty_version": ("string", "text", True, "os_pretty_version"),
    "cpu_arch": ("enum", "keyword", False, "cpu_arch"),
    "cpu_count": ("integer", "short", False, "json_dump.system_info.cpu_count"),
    "process_type": ("string", "keyword", False, "process_type"),
    "report_type": ("string", "keyword", False, "report_type"),
    "reason": ("string", "text", True, "reason"),
    "address": ("string", "keyword", False, "address"),
    "crashing_thread": ("integer", "integer", False, "crashing_thread"),
    "moz_crash_reason": ("string", "text", True, "moz_crash_reason"),
    "abort_message": ("string", "text", True, "abort_message"),
    "oom_allocation_size": ("integer", "long", False, "oom_allocation_size"),
    "uptime": ("integer", "long", False, "uptime"),
    "install_age": ("integer", "long", False, "install_age"),
    "addons": ("string", "keyword", False, "addons"),
    "accessibility": ("bool", "boolean", False, "accessibility"),
    "startup_crash": ("bool", "boolean", False, "startup_crash"),
    "user_comments": ("string", "text", True, "user_comments"),
    "url": ("string", "keyword", False, "url"),
    "uptime_ts": ("float", "double", False, "uptime_ts"),
    "collector_notes": ("string", "text", True, "collector_metadata.collector_notes"),
    **{f"memory_{m}": ("integer", "long", False, f"memory_measures.{m}") for m in MEMORY},
}
SEMICOLON_FIELDS = [
    "modules_in_stack", "missing_symbols", "topmost_filenames", "app_init_dlls", "useragent_locale",
]  # fmt: skip
# crashstats.md 5.1: the protected Super Search fields.
PROTECTED_SEARCH = {
    "collector_notes", "dumper_error", "glean_client_id", "gmp_library_path",
    "has_guard_page_access", "java_stack_trace_raw", "mac_boot_args", "moz_crash_reason_raw",
    "phc_alloc_stack", "phc_base_address", "phc_free_stack", "phc_kind", "phc_usable_size",
    "remote_type", "soft_errors", "url", "user_comments",
}  # fmt: skip

# crashstats.md 6.2: nested protected paths, each with a public neighbour.
NESTED_PROTECTED = [
    ("json_dump.threads.frames.registers", "json_dump.threads.frames.function"),
    ("json_dump.crashing_thread.frames.0.registers.rip", "json_dump.crashing_thread.frames.0.line"),
    ("json_dump.crashing_thread.frames[].registers", "json_dump.crashing_thread.frames[].module"),
    (
        "json_dump.crash_info.memory_accesses.is_likely_guard_page",
        "json_dump.crash_info.memory_accesses.address",
    ),
    (
        "json_dump.crash_info.instruction_pointer_update.is_likely_guard_page",
        "json_dump.crash_info.instruction_pointer_update.address",
    ),
    ("json_dump.mac_boot_args", "json_dump.lsb_release.description"),
    ("json_dump.soft_errors", "json_dump.status"),
    (
        "java_exception.exception.values.stacktrace.value",
        "java_exception.exception.values.stacktrace.type",
    ),
]
NESTED_PROTECTED += [
    (f"upload_file_minidump_browser.{hidden}", f"upload_file_minidump_browser.{shown}")
    for hidden, shown in NESTED_PROTECTED
    if hidden.startswith("json_dump")
]
NESTED_PROTECTED.append(
    ("upload_file_minidump_browser.mdsw_stderr", "upload_file_minidump_browser.mdsw_status_string")
)


@pytest.fixture(scope="module")
def raw():
    return load_schema("raw_crash")


@pytest.fixture(scope="module")
def processed():
    return load_schema("processed_crash")


def stackwalk_dir() -> Path:
    return shared_testdata("rust-minidump/stackwalk-json")


def read_stackwalk(name: str) -> dict[str, Any]:
    """The JSON of an insta snapshot: the text after its front matter."""
    text = (stackwalk_dir() / name).read_text(encoding="utf-8")
    return json.loads(text.split("---\n", 2)[2])


def realistic_processed_crash() -> dict[str, Any]:
    """A processed crash with every kind of protected data, around real stackwalker output."""
    json_dump = read_stackwalk("linux_json_pretty.snap")
    json_dump["crash_info"]["memory_accesses"] = [
        {"address": "0x7ffd1000", "size": 8, "access_type": "write", "is_likely_guard_page": True}
    ]
    json_dump["crash_info"]["instruction_pointer_update"] = {
        "address": "0x0",
        "is_likely_guard_page": True,
    }
    json_dump["mac_boot_args"] = "-v keepsyms=1"
    browser_dump = read_stackwalk("json-pretty.snap")
    browser_dump["mac_boot_args"] = "-v"
    return {
        "uuid": CRASH_ID,
        "crash_id": CRASH_ID,
        "signature": "libc.so.6@0x3a1b0 | crash",
        "product": "Firefox",
        "version": "128.0",
        "build": "20240701094545",
        "release_channel": "release",
        "date_processed": "2016-09-18T12:01:02.123456+00:00",
        "os_name": "Linux",
        "cpu_count": json_dump["system_info"]["cpu_count"],
        "success": True,
        "processor_notes": "",
        "json_dump": json_dump,
        "mdsw_status_string": "OK",
        "mdsw_return_code": 0,
        "mdsw_stderr": "INFO reading /tmp/x.dmp",
        "additional_minidumps": ["upload_file_minidump_browser"],
        "upload_file_minidump_browser": {
            "json_dump": browser_dump,
            "mdsw_status_string": "OK",
            "mdsw_return_code": 0,
            "mdsw_stderr": "INFO reading /tmp/y.dmp",
            "success": True,
        },
        "user_comments": "it crashed while I wrote to jane@example.com",
        "url": "https://example.com/account?id=42",
        "moz_crash_reason": "MOZ_RELEASE_ASSERT(ok)",
        "moz_crash_reason_raw": "MOZ_RELEASE_ASSERT(ok) user=jane",
        "collector_metadata": {"collector_notes": [], "payload": "multipart", "payload_size": 721},
        "breadcrumbs": [{"timestamp": "2016-09-18T12:00:00", "category": "nav", "message": "x"}],
        "has_guard_page_access": True,
        "mac_boot_args": "-v keepsyms=1",
        "soft_errors": json.dumps(json_dump["soft_errors"])[:4096],
        "phc_kind": "FreedPage",
        "java_exception": {
            "exception": {
                "values": [
                    {
                        "stacktrace": {
                            "type": "java.lang.IllegalStateException",
                            "module": "java.lang",
                            "value": "secret token abc123",
                            "frames": [
                                {
                                    "module": "org.mozilla.Foo",
                                    "function": "bar",
                                    "filename": "Foo.java",
                                    "lineno": 12,
                                    "in_app": True,
                                }
                            ],
                        }
                    }
                ]
            }
        },
        "memory_measures": {m: 1024 for m in MEMORY},
        "telemetry_environment": {
            "build": {"applicationName": "Firefox", "buildId": "20240701094545"},
            "profile": {"creationDate": 19000},
        },
        "not_in_schema": "kept only for users holding every permission",
    }


def key_paths(value: Any, prefix: str = "") -> Iterator[str]:
    """Dotted path of every object key in ``value`` (array elements add no segment)."""
    if isinstance(value, dict):
        for key, sub in value.items():
            path = f"{prefix}.{key}" if prefix else key
            yield path
            yield from key_paths(sub, path)
    elif isinstance(value, list):
        for item in value:
            yield from key_paths(item, prefix)


def frames_of(json_dump: dict[str, Any]) -> list[dict[str, Any]]:
    frames = list(json_dump["crashing_thread"]["frames"])
    for thread in json_dump["threads"]:
        frames.extend(thread["frames"])
    return frames


def without_protected_parts(json_dump: dict[str, Any]) -> dict[str, Any]:
    """What an anonymous user should see of stackwalker output, per crashstats.md 6.2."""
    expected = copy.deepcopy(json_dump)
    for key in ("mac_boot_args", "soft_errors", "handles"):
        expected.pop(key, None)
    for frame in frames_of(expected):
        frame.pop("registers", None)
    crash_info = expected["crash_info"]
    for access in crash_info.get("memory_accesses") or []:
        access.pop("is_likely_guard_page", None)
    if crash_info.get("instruction_pointer_update"):
        crash_info["instruction_pointer_update"].pop("is_likely_guard_page", None)
    return expected


# ---- loading -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["raw_crash", "processed_crash"])
def test_schema_loads_and_passes_the_metaschema(name):
    schema = load_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema.document)
    assert schema.document["default_permissions"] == ["public", "protected"]
    assert schema.origin == str(SCHEMA_DIR / f"{name}.schema.yaml")


def test_schemas_are_cached_by_name_and_loadable_from_a_path(processed):
    assert load_schema("processed_crash") is processed
    again = load_schema("processed_crash", SCHEMA_DIR / "processed_crash.schema.yaml")
    assert again is not processed
    assert again.document == processed.document


@pytest.mark.parametrize("name", ["raw_crash", "processed_crash"])
def test_every_property_has_a_description(name):
    document = yaml.safe_load((SCHEMA_DIR / f"{name}.schema.yaml").read_text())
    schema = load_schema(name)
    missing = [
        prop
        for prop in schema.properties
        if not document["properties"][prop].get("description", "").strip()
    ]
    assert missing == []


# ---- field coverage ------------------------------------------------------------------------------


def test_raw_schema_names_the_reference_fields(raw):
    assert set(RAW_NAMED_FIELDS) - set(raw.properties) == set()


def test_processed_key_fields_exist_with_their_permission(processed):
    assert set(PROCESSED_PUBLIC_KEY_FIELDS) <= set(processed.public_fields())
    assert set(PROCESSED_PROTECTED) <= set(processed.protected_fields())


def test_protected_top_level_fields_match_the_reference(raw, processed):
    assert set(raw.protected_fields()) == RAW_PROTECTED | RAW_PROTECTED_ADDED
    assert len(RAW_PROTECTED) == 18
    assert set(processed.protected_fields()) == PROCESSED_PROTECTED
    assert len(PROCESSED_PROTECTED) == 24


@pytest.mark.parametrize("name", ["raw_crash", "processed_crash"])
def test_public_and_protected_fields_partition_the_properties(name):
    schema = load_schema(name)
    public, protected = schema.public_fields(), schema.protected_fields()
    assert set(public).isdisjoint(protected)
    assert sorted(public + protected) == sorted(schema.properties)


def test_source_annotations_name_raw_properties(raw, processed):
    sources = processed.source_annotations()
    assert set(sources.values()) - set(raw.properties) == set()
    for field, annotation in ANNOTATION_COPIES.items():
        assert sources[field] == annotation


def test_raw_annotations_are_strings(raw):
    collector_fields = {"metadata", "submitted_timestamp", "uuid", "version"}
    for name in set(raw.properties) - collector_fields:
        assert raw.document["properties"][name]["type"] == "string", name


# ---- permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("hidden", "shown"), NESTED_PROTECTED)
def test_nested_protected_paths(processed, hidden, shown):
    assert not processed.can_see(hidden, ANONYMOUS)
    assert processed.can_see(hidden, VIEW_PII)
    assert processed.can_see(shown, ANONYMOUS)
    assert processed.permissions_of(hidden) == {"public", "protected"}


def test_a_path_under_a_map_takes_the_map_permissions(processed, raw):
    assert processed.permissions_of("collector_metadata.dump_checksums.upload_file_minidump") == {
        "public",
        "protected",
    }
    assert processed.can_see("telemetry_environment.experiments.some-study.branch", ANONYMOUS)
    assert processed.can_see("json_dump.proc_limits.max_open_files.soft", ANONYMOUS)
    assert not raw.can_see("metadata.anything.below", ANONYMOUS)


def test_unknown_paths_need_every_permission(processed, raw):
    assert processed.permissions_of("no_such_field") == {"public", "protected"}
    assert processed.permissions_of("json_dump.no_such_key") == {"public", "protected"}
    assert not raw.can_see("SomeNewAnnotation", ANONYMOUS)
    assert raw.can_see("SomeNewAnnotation", VIEW_PII)


def test_a_protected_parent_hides_its_children(processed):
    assert processed.permissions_of("collector_metadata.payload") == {"public", "protected"}
    assert not processed.can_see("breadcrumbs.message", ANONYMOUS)


def test_user_permissions_follow_view_pii():
    assert user_permissions(False) == ANONYMOUS == {"public"}
    assert user_permissions(True) == VIEW_PII == {"public", "protected"}


# ---- validation ----------------------------------------------------------------------------------


def test_realistic_documents_validate(processed):
    assert processed.validate(realistic_processed_crash()) == []
    for name in ["json-pretty.snap", "json-pretty-unloaded.snap", "macos_inlines_json_pretty.snap"]:
        assert processed.validate({"json_dump": read_stackwalk(name)}) == [], name


def test_raw_crash_example_validates(raw):
    raw_crash = {
        "ProductName": "Firefox",
        "Version": "1",
        "metadata": {"collector_notes": [], "dump_checksums": {}, "payload": "multipart"},
        "submitted_timestamp": "2026-11-22T08:11:00.316087+00:00",
        "uuid": CRASH_ID,
        "version": 2,
        "UnknownAnnotation": "anything",
    }
    assert raw.validate(raw_crash) == []


def test_wrong_types_are_reported_with_paths(processed, raw):
    document = {
        "uuid": 5,
        "success": "yes",
        "json_dump": {"threads": [{"frames": [{"line": "ten"}]}], "system_info": []},
        "possible_bit_flips_max_confidence": 101,
    }
    problems = {problem.path: problem.message for problem in processed.validate(document)}
    assert set(problems) == {
        "uuid",
        "success",
        "json_dump.threads.0.frames.0.line",
        "json_dump.system_info",
        "possible_bit_flips_max_confidence",
    }
    assert "is not of type 'string'" in problems["uuid"]
    assert [(p.path, p.message) for p in raw.validate({"version": "2"})] == [
        ("version", "'2' is not of type 'integer'")
    ]


@pytest.mark.parametrize(
    ("document", "valid"),
    [(None, False), ([], False), ("text", False), ({"uuid": {1, 2}}, False), ({1: "x"}, True)],
)
def test_validate_never_raises(processed, document, valid):
    assert (processed.validate(document) == []) is valid


def test_long_values_give_short_messages(processed):
    (problem,) = processed.validate({"signature": ["x" * 100_000]})
    assert problem.path == "signature"
    assert len(problem.message) <= 300


# ---- redaction -----------------------------------------------------------------------------------


def test_redaction_of_a_realistic_crash_for_anonymous_users(processed):
    crash = realistic_processed_crash()
    original = copy.deepcopy(crash)
    shown = processed.redact(crash, ANONYMOUS)

    assert crash == original
    assert set(shown).isdisjoint(PROCESSED_PROTECTED | {"not_in_schema"})
    assert set(shown) == set(crash) - PROCESSED_PROTECTED - {"not_in_schema"}
    assert shown["json_dump"] == without_protected_parts(crash["json_dump"])
    assert shown["json_dump"]["crash_info"]["memory_accesses"] == [
        {"address": "0x7ffd1000", "size": 8, "access_type": "write"}
    ]
    assert all("registers" not in frame for frame in frames_of(shown["json_dump"]))
    assert any("registers" in frame for frame in frames_of(crash["json_dump"]))
    browser = shown["upload_file_minidump_browser"]
    assert set(browser) == {"json_dump", "mdsw_status_string", "success"}
    assert browser["json_dump"] == without_protected_parts(
        crash["upload_file_minidump_browser"]["json_dump"]
    )
    (exception,) = shown["java_exception"]["exception"]["values"]
    assert set(exception["stacktrace"]) == {"type", "module", "frames"}
    assert exception["stacktrace"]["frames"][0]["function"] == "bar"
    assert shown["telemetry_environment"] == {"build": crash["telemetry_environment"]["build"]}
    assert shown["memory_measures"] == crash["memory_measures"]


def test_redacted_documents_hold_only_visible_paths_and_still_validate(processed):
    shown = processed.redact(realistic_processed_crash(), ANONYMOUS)
    hidden = [path for path in key_paths(shown) if not processed.can_see(path, ANONYMOUS)]
    assert hidden == []
    assert processed.validate(shown) == []


def test_view_pii_users_get_the_whole_document(processed):
    crash = realistic_processed_crash()
    shown = processed.redact(crash, VIEW_PII)
    assert shown == crash
    shown["json_dump"]["threads"].clear()
    assert crash["json_dump"]["threads"], "redact must return a copy"


def test_raw_crash_redaction(raw):
    raw_crash = {
        "ProductName": "Firefox",
        "URL": "https://example.com/private",
        "metadata": {"user_agent": "x"},
        "uuid": CRASH_ID,
        "UnknownAnnotation": "x",
    }
    assert raw.redact(raw_crash, ANONYMOUS) == {"ProductName": "Firefox", "uuid": CRASH_ID}
    assert raw.redact(raw_crash, VIEW_PII) == raw_crash


def test_redaction_of_values_that_do_not_match_the_schema(processed):
    crash = {"json_dump": {"threads": "not a list", "crash_info": [{"address": "x"}]}, "uuid": 5}
    assert processed.redact(crash, ANONYMOUS) == {
        "json_dump": {"threads": "not a list", "crash_info": [{}]},
        "uuid": 5,
    }


VOCABULARY = [
    "json_dump", "threads", "crashing_thread", "frames", "registers", "rip", "function",
    "crash_info", "memory_accesses", "is_likely_guard_page", "address", "mac_boot_args",
    "soft_errors", "upload_file_minidump_browser", "mdsw_stderr", "java_exception", "exception",
    "values", "stacktrace", "value", "user_comments", "signature", "collector_metadata",
    "telemetry_environment", "experiments", "build", "unknown",
]  # fmt: skip
documents = st.recursive(
    st.none() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(VOCABULARY), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(VOCABULARY), documents, max_size=5))
def test_redaction_agrees_with_can_see(document):
    processed = load_schema("processed_crash")
    shown = processed.redact(document, ANONYMOUS)
    assert [path for path in key_paths(shown) if not processed.can_see(path, ANONYMOUS)] == []


# ---- search descriptors --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SEARCH_TABLE))
def test_reference_search_fields(processed, name):
    fields = {field.name: field for field in processed.search_fields()}
    query_type, storage_type, full, source = SEARCH_TABLE[name]
    field = fields[name]
    assert (field.query_type, field.storage_type, field.has_full_version, field.source) == (
        query_type,
        storage_type,
        full,
        source,
    )
    assert field.description


@pytest.mark.parametrize("name", SEMICOLON_FIELDS)
def test_semicolon_analyzed_fields(processed, name):
    (field,) = [field for field in processed.search_fields() if field.name == name]
    assert (field.query_type, field.storage_type, field.analyzer) == (
        "string",
        "text",
        "semicolon_keywords",
    )
    assert not field.has_full_version


def test_search_names_are_unique_and_permissions_come_from_the_schema(processed):
    fields = processed.search_fields()
    names = [field.name for field in fields]
    assert len(names) == len(set(names))
    assert {f.name for f in fields if not processed.can_see(f.source, ANONYMOUS)} == (
        PROTECTED_SEARCH
    )
    assert {f.name for f in fields if "protected" in f.permissions} == PROTECTED_SEARCH


def test_search_fields_declared_away_from_their_value(processed):
    fields = {field.name: field for field in processed.search_fields()}
    assert fields["cpu_count"].path == "cpu_count"
    assert fields["cpu_count"].source == "json_dump.system_info.cpu_count"
    assert fields["collector_notes"].path == "collector_metadata.collector_notes"
    assert fields["memory_vsize"].path == "memory_measures.vsize"
    assert fields["date"].types == ("string",)
