"""Rules that fit any product: identity, dates, platform, crash details from the stackwalker.

Every value read from the raw crash or the stackwalker JSON may be missing, null or of the wrong
type (crash data is hostile); the rules check types instead of trusting them.
"""

from __future__ import annotations

import datetime
import json
import re
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from processor.rules.annotations import loads_strict
from processor.rules.base import CrashContext, Rule

KEY_PATTERN = re.compile(r"^[a-zA-Z0-9_-]+$")
MAX_KEY_LENGTH = 100
MAX_FRAMES = 500
KEEP_HEAD_FRAMES = 250
SOFT_ERRORS_LIMIT = 4096
UNKNOWN = "unknown"
MAX_MAJOR_DIGITS = 9


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def json_dump(crash: CrashContext) -> dict[str, Any]:
    return as_dict(crash.processed_crash.get("json_dump"))


def crashing_thread_frames(dump: dict[str, Any]) -> list[dict[str, Any]]:
    """Frames of the crashing thread as signature generation sees them (threads[index])."""
    index = as_dict(dump.get("crash_info")).get("crashing_thread")
    threads = as_list(dump.get("threads"))
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(threads):
        return [
            frame
            for frame in as_list(as_dict(threads[index]).get("frames"))
            if isinstance(frame, dict)
        ]
    return []


def string_or(value: Any, default: str) -> str:
    return value if isinstance(value, str) else default


class DeNullRule(Rule):
    """Drop NUL characters from annotation names and values (they break storage and search)."""

    def action(self, crash: CrashContext) -> None:
        cleaned: dict[str, Any] = {}
        for key, value in crash.raw_crash.items():
            if isinstance(key, str) and "\0" in key:
                key = key.replace("\0", "")
            if isinstance(value, str) and "\0" in value:
                value = value.replace("\0", "")
            elif isinstance(value, bytes) and b"\0" in value:
                value = value.replace(b"\0", b"")
            cleaned[key] = value
        crash.raw_crash.clear()
        crash.raw_crash.update(cleaned)


class DeNoneRule(Rule):
    """Remove annotations whose value is null."""

    def action(self, crash: CrashContext) -> None:
        for key in [key for key, value in crash.raw_crash.items() if value is None]:
            del crash.raw_crash[key]


class CrashReportKeysRule(Rule):
    """``crash_report_keys``: the annotation and dump names sent, when they look like names."""

    def action(self, crash: CrashContext) -> None:
        names = set(crash.raw_crash) | set(crash.dumps)
        kept = {
            name[:MAX_KEY_LENGTH]
            for name in names
            if isinstance(name, str) and KEY_PATTERN.match(name)
        }
        if len(kept) < len(names):
            crash.note("invalidkeys: Crash report contains invalid keys")
        crash.processed_crash["crash_report_keys"] = sorted(kept)


class CollectorMetadataRule(Rule):
    """``collector_metadata``: what the collector recorded about the submission."""

    def action(self, crash: CrashContext) -> None:
        crash.processed_crash["collector_metadata"] = dict(as_dict(crash.raw_crash.get("metadata")))


class SubmittedFromRule(Rule):
    """``submitted_from``: which client UI sent the crash (the legacy infobar flag wins)."""

    def action(self, crash: CrashContext) -> None:
        infobar = crash.raw_crash.get("SubmittedFromInfobar") in ("1", "true", True)
        submitted_from = crash.raw_crash.get("SubmittedFrom")
        if infobar:
            submitted_from = "Infobar"
        crash.processed_crash["submitted_from"] = string_or(submitted_from, "Unknown")
        crash.processed_crash["submitted_from_infobar"] = infobar


class IdentifierRule(Rule):
    """``crash_id`` and ``uuid``, from the id the crash is stored under."""

    def action(self, crash: CrashContext) -> None:
        crash.processed_crash["crash_id"] = crash.crash_id
        crash.processed_crash["uuid"] = crash.crash_id


class MinidumpSha256HashRule(Rule):
    """``minidump_sha256_hash``: the collector's checksum of the main minidump."""

    def action(self, crash: CrashContext) -> None:
        checksums = as_dict(as_dict(crash.raw_crash.get("metadata")).get("dump_checksums"))
        crash.processed_crash["minidump_sha256_hash"] = string_or(
            checksums.get("upload_file_minidump"), ""
        )


class ModuleURLRewriteRule(Rule):
    """Hide symbol URLs pointing at localhost and drop query strings (tokens) from the rest."""

    def predicate(self, crash: CrashContext) -> bool:
        return bool(json_dump(crash).get("modules"))

    def action(self, crash: CrashContext) -> None:
        for module in as_list(json_dump(crash).get("modules")):
            url = as_dict(module).get("symbol_url")
            if not isinstance(url, str) or not url:
                continue
            parts = urlsplit(url)
            if parts.hostname in ("localhost", "127.0.0.1", "::1"):
                module["symbol_url"] = None
                crash.note(f"Redacting symbol url for module {module.get('filename')}")
            elif parts.query:
                module["symbol_url"] = urlunsplit(parts._replace(query=""))


class CrashingThreadInfoRule(Rule):
    """``crashing_thread``, ``reason``, ``address`` and friends from ``crash_info``."""

    def predicate(self, crash: CrashContext) -> bool:
        return bool(json_dump(crash))

    def action(self, crash: CrashContext) -> None:
        dump = json_dump(crash)
        info = as_dict(dump.get("crash_info"))
        processed = crash.processed_crash
        thread = info.get("crashing_thread")
        processed["crashing_thread"] = (
            thread if isinstance(thread, int) and not isinstance(thread, bool) else None
        )
        if processed["crashing_thread"] is None:
            crash.note("mdsw did not identify the crashing thread")
        crashing = as_dict(dump.get("crashing_thread"))
        name = crashing.get("thread_name")
        processed["crashing_thread_name"] = name if isinstance(name, str) else None
        processed["reason"] = string_or(info.get("type"), "")
        processed["address"] = _address(info)
        last_error = crashing.get("last_error_value")
        if isinstance(last_error, str):
            processed["last_error_value"] = last_error


def _address(info: dict[str, Any]) -> str | None:
    address = info.get("address")
    if not isinstance(address, str):
        return None
    adjusted = as_dict(info.get("adjusted_address"))
    kind = adjusted.get("kind")
    if kind == "null-pointer":
        return "0x" + "0" * (16 if len(address) == 18 else 8)
    if kind == "non-canonical" and isinstance(adjusted.get("address"), str):
        return adjusted["address"]
    return address


class TruncateStacksRule(Rule):
    """Keep at most 500 frames per thread: the first 250, a marker, and the last 249."""

    def predicate(self, crash: CrashContext) -> bool:
        return bool(json_dump(crash))

    def action(self, crash: CrashContext) -> None:
        dumps = [json_dump(crash)]
        for name in as_list(crash.processed_crash.get("additional_minidumps")):
            if isinstance(name, str):
                dumps.append(as_dict(as_dict(crash.processed_crash.get(name)).get("json_dump")))
        for dump in dumps:
            threads = [dump.get("crashing_thread"), *as_list(dump.get("threads"))]
            for index, thread in enumerate(threads):
                if not isinstance(thread, dict):
                    continue
                frames = thread.get("frames")
                if isinstance(frames, list) and len(frames) > MAX_FRAMES:
                    dropped = len(frames) - (MAX_FRAMES - 1)
                    tail = MAX_FRAMES - KEEP_HEAD_FRAMES - 1
                    marker = {"truncated": {"msg": f"{dropped} frames truncated"}}
                    thread["frames"] = [*frames[:KEEP_HEAD_FRAMES], marker, *frames[-tail:]]
                    thread["truncated"] = True
                    where = "crashing_thread" if index == 0 else f"thread {index - 1}"
                    crash.note(f"{where}: {dropped} frames truncated")


class PossibleBitFlipsRule(Rule):
    """``possible_bit_flips_max_confidence``: the stackwalker's best bit-flip guess, 0-100."""

    def action(self, crash: CrashContext) -> None:
        flips = as_list(as_dict(json_dump(crash).get("crash_info")).get("possible_bit_flips"))
        confidences = [
            flip["confidence"]
            for flip in flips
            if isinstance(flip, dict) and isinstance(flip.get("confidence"), int | float)
        ]
        if confidences:
            crash.processed_crash["possible_bit_flips_max_confidence"] = int(max(confidences) * 100)


class CrashInconsistenciesRule(Rule):
    """``crash_inconsistencies`` as the stackwalker found them."""

    def predicate(self, crash: CrashContext) -> bool:
        return bool(json_dump(crash))

    def action(self, crash: CrashContext) -> None:
        found = as_dict(json_dump(crash).get("crash_info")).get("crash_inconsistencies")
        crash.processed_crash["crash_inconsistencies"] = found if isinstance(found, list) else None


class HasGuardPageAccessRule(Rule):
    """``has_guard_page_access``: the crash touched a likely guard page."""

    def action(self, crash: CrashContext) -> None:
        accesses = as_list(as_dict(json_dump(crash).get("crash_info")).get("memory_accesses"))
        if any(as_dict(access).get("is_likely_guard_page") is True for access in accesses):
            crash.processed_crash["has_guard_page_access"] = True


class MajorVersionRule(Rule):
    """``major_version``: the number before the first dot of the version, else 0."""

    def action(self, crash: CrashContext) -> None:
        version = crash.raw_crash.get("Version")
        head = version.split(".", 1)[0] if isinstance(version, str) else ""
        head = head if len(head) <= MAX_MAJOR_DIGITS else ""
        crash.processed_crash["major_version"] = (
            int(head) if head.isascii() and head.isdigit() else 0
        )


class PluginRule(Rule):
    """Plugin name, file and version for the legacy plugin process type."""

    def predicate(self, crash: CrashContext) -> bool:
        return crash.raw_crash.get("ProcessType") == "plugin"

    def action(self, crash: CrashContext) -> None:
        for annotation, field in (
            ("PluginFilename", "plugin_filename"),
            ("PluginName", "plugin_name"),
            ("PluginVersion", "plugin_version"),
        ):
            crash.processed_crash[field] = string_or(crash.raw_crash.get(annotation), "")


class ProcessTypeRule(Rule):
    """``process_type``, ``parent`` when absent (``main`` is an old name for it)."""

    def action(self, crash: CrashContext) -> None:
        process_type = string_or(crash.raw_crash.get("ProcessType"), "parent").strip() or "parent"
        crash.processed_crash["process_type"] = "parent" if process_type == "main" else process_type


class AccessibilityRule(Rule):
    """``accessibility``: whether accessibility services were active."""

    def action(self, crash: CrashContext) -> None:
        crash.processed_crash["accessibility"] = crash.raw_crash.get("Accessibility") == "Active"


class AddonsRule(Rule):
    """``addons`` as ``id:version`` strings and ``addons_checked``."""

    def action(self, crash: CrashContext) -> None:
        checked = crash.raw_crash.get("EMCheckCompatibility")
        crash.processed_crash["addons_checked"] = (
            checked.lower() == "true" if isinstance(checked, str) else None
        )
        addons = crash.raw_crash.get("Add-ons")
        if not isinstance(addons, str) or not addons:
            crash.processed_crash["addons"] = []
            return
        result = []
        for item in addons.split(","):
            if not item:
                continue
            if ":" not in item:
                item = f"{item}:NO_VERSION"
            result.append(unquote(item))
        crash.processed_crash["addons"] = result


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def _epoch_of(timestamp: Any) -> int | None:
    if not isinstance(timestamp, str):
        return None
    try:
        parsed = datetime.datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return int(parsed.timestamp())


class DatesAndTimesRule(Rule):
    """Submission, crash and install times, and the ages derived from them."""

    def action(self, crash: CrashContext) -> None:
        raw, processed = crash.raw_crash, crash.processed_crash
        submitted = raw.get("submitted_timestamp")
        submitted_epoch = _epoch_of(submitted)
        if submitted_epoch is None:
            crash.note("submitted_timestamp is missing or not an ISO date; using now")
            now = datetime.datetime.now(datetime.UTC)
            submitted, submitted_epoch = now.isoformat(), int(now.timestamp())
        processed["submitted_timestamp"] = submitted
        processed["date_processed"] = submitted
        crash_time = _int_or_none(
            raw.get("CrashTime")[:10] if isinstance(raw.get("CrashTime"), str) else None
        )
        if crash_time is None or not 0 <= crash_time < 2**40:
            crash_time = submitted_epoch
        if crash_time == submitted_epoch:
            crash.note("client_crash_date is unknown")
        processed["crash_time"] = crash_time
        processed["client_crash_date"] = datetime.datetime.fromtimestamp(
            crash_time, datetime.UTC
        ).isoformat()
        install_time = _int_or_none(raw.get("InstallTime"))
        processed["install_age"] = crash_time - install_time if install_time is not None else 0
        startup_time = _int_or_none(raw.get("StartupTime"))
        processed["uptime"] = max(0, crash_time - startup_time) if startup_time is not None else 0
        processed["last_crash"] = _int_or_none(raw.get("SecondsSinceLastCrash"))


class BreadcrumbsRule(Rule):
    """``breadcrumbs``: the Sentry-style breadcrumb list, when it is well formed."""

    def __init__(self, schema: Any = None) -> None:
        self.schema = schema

    def predicate(self, crash: CrashContext) -> bool:
        return "Breadcrumbs" in crash.raw_crash

    def action(self, crash: CrashContext) -> None:
        try:
            data = loads_strict(crash.raw_crash["Breadcrumbs"])
        except (TypeError, ValueError, RecursionError) as exc:
            crash.note(f"Breadcrumbs: malformed: {type(exc).__name__}")
            return
        if isinstance(data, dict) and "values" in data:
            data = data["values"]
        if not isinstance(data, list):
            crash.note("Breadcrumbs: malformed: not a list")
            return
        if self.schema is not None:
            problems = self.schema.validate({"breadcrumbs": data})
            if problems:
                crash.note(f"Breadcrumbs: malformed: {problems[0].path}")
                return
        crash.processed_crash["breadcrumbs"] = data


class JavaStackTraceRule(Rule):
    """``java_stack_trace_raw`` as sent and ``java_stack_trace`` without exception messages."""

    def predicate(self, crash: CrashContext) -> bool:
        return isinstance(crash.raw_crash.get("JavaStackTrace"), str)

    def action(self, crash: CrashContext) -> None:
        raw_trace = crash.raw_crash["JavaStackTrace"]
        crash.processed_crash["java_stack_trace_raw"] = raw_trace
        public = sanitize_java_stack_trace(raw_trace)
        if public is None:
            crash.note("JavaStackTraceRule: malformed")
            public = "malformed"
        crash.processed_crash["java_stack_trace"] = public


def sanitize_java_stack_trace(text: str) -> str | None:
    """The exception class and ``at`` frames of the first exception; None if unparseable."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return None
    head = lines[0].split(":", 1)[0].strip()
    if not head or " " in head:
        return None
    frames = []
    for line in lines[1:]:
        if line.startswith(("Caused by:", "Suppressed:")):
            break
        if line.startswith("at "):
            frames.append(f"\t{line}")
        elif not line.startswith("..."):
            return None
    return "\n".join([head, *frames])


class MacBootArgsRule(Rule):
    """``mac_boot_args`` (protected) and the public ``has_mac_boot_args``."""

    def predicate(self, crash: CrashContext) -> bool:
        return isinstance(json_dump(crash).get("mac_boot_args"), str)

    def action(self, crash: CrashContext) -> None:
        crash.processed_crash["mac_boot_args"] = json_dump(crash)["mac_boot_args"].strip()
        crash.processed_crash["has_mac_boot_args"] = True


class MacCrashInfoRule(Rule):
    """``mac_crash_info``: the macOS crash-info records as JSON text."""

    def predicate(self, crash: CrashContext) -> bool:
        info = as_dict(json_dump(crash).get("mac_crash_info"))
        records = info.get("num_records")
        return isinstance(records, int) and records > 0

    def action(self, crash: CrashContext) -> None:
        crash.processed_crash["mac_crash_info"] = json.dumps(
            json_dump(crash)["mac_crash_info"], sort_keys=True
        )


class ReportTypeRule(Rule):
    """``report_type``: ``hang`` for IPC errors, shutdown timeouts and watchdog stacks."""

    def action(self, crash: CrashContext) -> None:
        processed = crash.processed_crash
        hang = "ipc_channel_error" in processed or "async_shutdown_timeout" in processed
        if not hang:
            hang = any(
                "RunWatchdog" in string_or(frame.get("function"), "")
                for frame in crashing_thread_frames(json_dump(crash))
            )
        processed["report_type"] = "hang" if hang else "crash"


class CPUInfoRule(Rule):
    """CPU architecture, description, count and microcode from the minidump."""

    def action(self, crash: CrashContext) -> None:
        info = as_dict(json_dump(crash).get("system_info"))
        processed = crash.processed_crash
        processed["cpu_info"] = string_or(info.get("cpu_info"), UNKNOWN)
        count = info.get("cpu_count")
        processed["cpu_count"] = (
            count if isinstance(count, int) and not isinstance(count, bool) else 0
        )
        processed["cpu_arch"] = string_or(info.get("cpu_arch"), UNKNOWN)
        microcode = info.get("cpu_microcode_version")
        processed["cpu_microcode_version"] = microcode if isinstance(microcode, str) else None


ANDROID_ABI_ARCH = {"armeabi-v7a": "arm", "arm64-v8a": "arm64", "x86_64": "amd64", "x86": "x86"}


class AndroidCPUInfoRule(Rule):
    """On Android without a minidump CPU, take the architecture from the ABI annotation."""

    def predicate(self, crash: CrashContext) -> bool:
        return crash.processed_crash.get("cpu_arch", UNKNOWN) == UNKNOWN and isinstance(
            crash.raw_crash.get("Android_CPU_ABI"), str
        )

    def action(self, crash: CrashContext) -> None:
        abi = crash.raw_crash["Android_CPU_ABI"].strip()
        crash.processed_crash["cpu_arch"] = ANDROID_ABI_ARCH.get(abi, abi or UNKNOWN)


class OSInfoRule(Rule):
    """``os_name`` and ``os_version`` from the minidump."""

    def action(self, crash: CrashContext) -> None:
        info = as_dict(json_dump(crash).get("system_info"))
        crash.processed_crash["os_name"] = string_or(info.get("os"), "Unknown").strip()
        crash.processed_crash["os_version"] = string_or(info.get("os_ver"), "").strip()


class AndroidOSInfoRule(Rule):
    """On Android, the OS version is the SDK level from ``Android_Version``."""

    def predicate(self, crash: CrashContext) -> bool:
        name = crash.processed_crash.get("os_name", "Unknown")
        return name in ("Unknown", "Android") and isinstance(
            crash.raw_crash.get("Android_Version"), str
        )

    def action(self, crash: CrashContext) -> None:
        token = crash.raw_crash["Android_Version"].split(" ", 1)[0]
        if token.isascii() and token.isdigit():
            crash.processed_crash["os_name"] = "Android"
            crash.processed_crash["os_version"] = token


class PlatformInfoRule(Rule):
    """Fill CPU and OS fields from annotations where the minidump said nothing."""

    FIELDS = (
        ("cpu_arch", "CPUArchitecture", UNKNOWN),
        ("cpu_info", "CPUInfo", UNKNOWN),
        ("os_name", "OS", "Unknown"),
        ("os_version", "OSVersion", ""),
    )

    def action(self, crash: CrashContext) -> None:
        for field, annotation, sentinel in self.FIELDS:
            value = crash.raw_crash.get(annotation)
            if (
                crash.processed_crash.get(field, sentinel) == sentinel
                and isinstance(value, str)
                and value
            ):
                crash.processed_crash[field] = value.strip()


WINDOWS_VERSIONS = {
    "5.0": "Windows 2000",
    "5.1": "Windows XP",
    "5.2": "Windows XP",
    "6.0": "Windows Vista",
    "6.1": "Windows 7",
    "6.2": "Windows 8",
    "6.3": "Windows 8.1",
    "10.0": "Windows 10",
}
WINDOWS_11_FIRST_BUILD = "10.0.21996"


class OSPrettyVersionRule(Rule):
    """``os_pretty_version``: a readable OS name such as ``Windows 10`` or ``macOS 13``."""

    def action(self, crash: CrashContext) -> None:
        processed = crash.processed_crash
        name = string_or(processed.get("os_name"), "Unknown")
        version = string_or(processed.get("os_version"), "")
        processed["os_pretty_version"] = self.pretty(crash, name, version)

    def pretty(self, crash: CrashContext, name: str, version: str) -> str:
        parts = version.split(".")
        if name.startswith("Windows"):
            pretty = WINDOWS_VERSIONS.get(".".join(parts[:2]), "Windows Unknown")
            if pretty == "Windows 10" and version >= WINDOWS_11_FIRST_BUILD:
                pretty = "Windows 11"
            return pretty
        if name == "Mac OS X":
            if parts[0].isdigit() and int(parts[0]) >= 11:
                return f"macOS {parts[0]}"
            if len(parts) >= 2 and all(part.isdigit() for part in parts[:2]):
                return f"OS X {parts[0]}.{parts[1]}"
            return "OS X Unknown"
        if name == "Linux":
            lsb = as_dict(json_dump(crash).get("lsb_release")).get("description")
            if isinstance(lsb, str) and lsb:
                return lsb
            description = crash.raw_crash.get("LinuxLSBDescription")
            return description if isinstance(description, str) and description else "Linux"
        if name == "Android":
            return f"Android {version}".strip()
        return name


def _frame_file(frame: dict[str, Any]) -> str | None:
    for inline in as_list(frame.get("inlines")):
        file = as_dict(inline).get("file")
        if isinstance(file, str) and file:
            return file
    file = frame.get("file")
    return file if isinstance(file, str) and file else None


class TopMostFilesRule(Rule):
    """``topmost_filenames``: the first source file on the crashing stack."""

    def action(self, crash: CrashContext) -> None:
        found = None
        for frame in crashing_thread_frames(json_dump(crash)):
            found = _frame_file(frame)
            if found:
                break
        crash.processed_crash["topmost_filenames"] = found


_FILENAME_CLEAN = re.compile(r"[^A-Za-z0-9_.-]")
_HEX_CLEAN = re.compile(r"[^A-Fa-f0-9]")


class ModulesInStackRule(Rule):
    """``modules_in_stack``: ``file/debugid`` of every module on the crashing stack."""

    def action(self, crash: CrashContext) -> None:
        dump = json_dump(crash)
        by_name = {
            module.get("filename"): module
            for module in as_list(dump.get("modules"))
            if isinstance(module, dict)
        }
        entries = set()
        for frame in crashing_thread_frames(dump):
            module = by_name.get(frame.get("module"))
            if module is None or not isinstance(module.get("filename"), str):
                continue
            filename = _FILENAME_CLEAN.sub("", module["filename"])
            debug_id = _HEX_CLEAN.sub("", string_or(module.get("debug_id"), ""))
            entries.add(f"{filename}/{debug_id}")
        crash.processed_crash["modules_in_stack"] = ";".join(sorted(entries))


class MissingSymbolsRule(Rule):
    """``missing_symbols``: ``file/version/debugid[/codeid]`` of modules without symbols."""

    def action(self, crash: CrashContext) -> None:
        entries = set()
        for module in as_list(json_dump(crash).get("modules")):
            if not isinstance(module, dict) or module.get("missing_symbols") is not True:
                continue
            parts = [
                string_or(module.get("filename"), "None"),
                string_or(module.get("version"), "None"),
                string_or(module.get("debug_id"), "None"),
            ]
            code_id = module.get("code_id")
            if isinstance(code_id, str) and code_id:
                parts.append(code_id)
            entries.add("/".join(part.replace("/", "\\/") for part in parts))
        crash.processed_crash["missing_symbols"] = ";".join(sorted(entries))


class SoftErrorsRule(Rule):
    """``soft_errors``: the stackwalker's non-fatal problems, as JSON text (protected)."""

    def predicate(self, crash: CrashContext) -> bool:
        return "soft_errors" in json_dump(crash)

    def action(self, crash: CrashContext) -> None:
        crash.processed_crash["soft_errors"] = json.dumps(json_dump(crash)["soft_errors"])[
            :SOFT_ERRORS_LIMIT
        ]


class ThreadCountRule(Rule):
    """``thread_count`` as the stackwalker counted."""

    def action(self, crash: CrashContext) -> None:
        count = json_dump(crash).get("thread_count")
        crash.processed_crash["thread_count"] = (
            count if isinstance(count, int) and not isinstance(count, bool) else None
        )
