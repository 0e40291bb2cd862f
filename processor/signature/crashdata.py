"""The crash-data dict signature generation reads, and how to build it from a processed crash."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Processed crash field -> crash data key, copied as they are (missing gives None).
_COPIED = (
    "hang",
    "js_large_allocation_failure",
    "abort_message",
    "mdsw_status_string",
    "async_shutdown_timeout",
    "ipc_channel_error",
    "ipc_message_name",
)


def int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def get_crashing_thread(crash_data: Mapping[str, Any]) -> int:
    """The crashing thread index; a missing or unusable value gives 0 (as Socorro does)."""
    try:
        return int(crash_data.get("crashing_thread", 0))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 0


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def is_processed_crash(data: Mapping[str, Any]) -> bool:
    """Processed crashes carry the stackwalker output in ``json_dump``; crash data does not."""
    return "json_dump" in data


def convert_to_crash_data(processed_crash: Mapping[str, Any]) -> dict[str, Any]:
    """Crash data from a processed crash, field by field as Socorro converts it."""
    crash_data: dict[str, Any] = {key: processed_crash.get(key) for key in _COPIED}
    crash_data["oom_allocation_size"] = int_or_none(processed_crash.get("oom_allocation_size"))
    crash_data["additional_minidumps"] = processed_crash.get("additional_minidumps", [])
    crash_data["original_signature"] = processed_crash.get("signature", "")
    if "json_dump" in processed_crash:
        json_dump = processed_crash["json_dump"]
        crash_data["crashing_thread"] = _dig(json_dump, "crash_info", "crashing_thread")
        crash_data["reason"] = _dig(json_dump, "crash_info", "type")
        crash_data["threads"] = _dig(json_dump, "threads")
        crash_data["os"] = _dig(json_dump, "system_info", "os")
    if "java_exception" in processed_crash:
        crash_data["java_exception"] = processed_crash["java_exception"]
    if "java_stack_trace" in processed_crash:
        crash_data["java_stack_trace"] = processed_crash["java_stack_trace"]
    return crash_data
