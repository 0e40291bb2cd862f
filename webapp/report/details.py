"""The Details tab: the key fields of a processed crash, in the order engineers read them.

Rows are read from the processed crash *after* redaction, so a protected field a viewer may
not see is simply absent; rows the viewer may see only thanks to view_pii are marked.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jansky.schemas import ANONYMOUS, load_schema
from webapp.crashstats.models import GraphicsDevice

# (label, processed crash key); protected keys are shown only to those who may see them.
DETAIL_FIELDS = (
    ("Signature", "signature"),
    ("UUID", "uuid"),
    ("Date Processed", "date_processed"),
    ("Uptime", "uptime"),
    ("Last Crash", "last_crash"),
    ("Install Age", "install_age"),
    ("Install Time", "install_time"),
    ("Product", "product"),
    ("Release Channel", "release_channel"),
    ("Version", "version"),
    ("Build ID", "build"),
    ("OS", "os_pretty_version"),
    ("OS Version", "os_version"),
    ("Android Version", "android_version"),
    ("Android Manufacturer", "android_manufacturer"),
    ("Android Model", "android_model"),
    ("Android CPU ABI", "android_cpu_abi"),
    ("Windows Error Reporting", "windows_error_reporting"),
    ("Build Architecture", "cpu_arch"),
    ("CPU Info", "cpu_info"),
    ("CPU Count", "cpu_count"),
    ("Adapter Vendor ID", "adapter_vendor_id"),
    ("Adapter Device ID", "adapter_device_id"),
    ("Adapter Driver Version", "adapter_driver_version"),
    ("Startup Crash", "startup_crash"),
    ("Guard Page Access", "has_guard_page_access"),
    ("Bit-flip Confidence", "possible_bit_flips_max_confidence"),
    ("Crash Inconsistencies", "crash_inconsistencies"),
    ("Process Type", "process_type"),
    ("Remote Type", "remote_type"),
    ("MOZ_CRASH Reason", "moz_crash_reason"),
    ("MOZ_CRASH Reason (Raw)", "moz_crash_reason_raw"),
    ("Crash Reason", "reason"),
    ("Crash Address", "address"),
    ("Last Error Value", "last_error_value"),
    ("Abort Message", "abort_message"),
    ("Mac Crash Info", "mac_crash_info"),
    ("Java Stack Trace", "java_stack_trace"),
    ("Java Stack Trace (Raw)", "java_stack_trace_raw"),
    ("Thread Count", "thread_count"),
    ("URL", "url"),
    ("User Comments", "user_comments"),
    ("Total Virtual Memory", "total_virtual_memory"),
    ("Available Virtual Memory", "available_virtual_memory"),
    ("Available Page File", "available_page_file"),
    ("Available Physical Memory", "available_physical_memory"),
    ("System Memory Use Percentage", "system_memory_use_percentage"),
    ("OOM Allocation Size", "oom_allocation_size"),
    ("PHC Kind", "phc_kind"),
    ("PHC Base Address", "phc_base_address"),
    ("PHC Usable Size", "phc_usable_size"),
    ("IPC Channel Error", "ipc_channel_error"),
    ("IPC Fatal Error Message", "ipc_fatal_error_msg"),
    ("Async Shutdown Timeout", "async_shutdown_timeout"),
    ("Accessibility", "accessibility"),
    ("Safe Mode", "safe_mode"),
    ("Garbage Collecting", "is_garbage_collecting"),
    ("Soft Errors", "soft_errors"),
    ("App Notes", "app_notes"),
    ("Processor Notes", "processor_notes"),
)
TIMESTAMP_FIELDS = {"install_time", "last_crash_time"}
SECONDS_FIELDS = {"uptime", "install_age", "last_crash"}
BYTES_FIELDS = {
    "total_virtual_memory",
    "available_virtual_memory",
    "available_page_file",
    "available_physical_memory",
    "oom_allocation_size",
    "phc_usable_size",
}
SIZE_UNITS = ("KiB", "MiB", "GiB", "TiB")
MULTILINE_FIELDS = {"java_stack_trace", "java_stack_trace_raw", "app_notes", "processor_notes"}


@dataclass(frozen=True)
class DetailRow:
    label: str
    key: str
    text: str
    description: str
    protected: bool
    multiline: bool = False
    link: str = ""  # "signature" links to the signature report


def duration(seconds: int) -> str:
    """``93784`` -> ``93,784 seconds (1 day, 2 hours, 3 minutes, 4 seconds)``."""
    parts = []
    remaining = seconds
    for name, size in (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count} {name}{'s' if count != 1 else ''}")
    spelled = ", ".join(parts) or "0 seconds"
    return f"{seconds:,} seconds ({spelled})" if seconds >= 60 else spelled


def size(value: int) -> str:
    """``1572864`` -> ``1,572,864 bytes (1.50 MiB)``."""
    if abs(value) < 1024:
        return f"{value:,} bytes"
    exponent = min(int(math.log(abs(value), 1024)), len(SIZE_UNITS))
    return f"{value:,} bytes ({value / 1024**exponent:.2f} {SIZE_UNITS[exponent - 1]})"


def format_value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, int) and key in SECONDS_FIELDS:
        return duration(value)
    if isinstance(value, int) and key in TIMESTAMP_FIELDS:
        moment = datetime.datetime.fromtimestamp(value, datetime.UTC)
        return f"{moment:%Y-%m-%d %H:%M:%S} UTC ({value})"
    if isinstance(value, int) and key in BYTES_FIELDS:
        return size(value)
    if isinstance(value, int) and key == "system_memory_use_percentage":
        return f"{value} %"
    if key in {"date_processed"} and isinstance(value, str):
        try:
            return f"{datetime.datetime.fromisoformat(value):%Y-%m-%d %H:%M:%S} UTC"
        except ValueError:
            return value
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, Mapping):
        return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    return str(value)


def _graphics_names(processed: Mapping[str, Any]) -> dict[str, str]:
    """Vendor and adapter names for the crash's adapter ids, when the table knows them."""
    vendor, device = processed.get("adapter_vendor_id"), processed.get("adapter_device_id")
    if not vendor:
        return {}
    rows = GraphicsDevice.objects.filter(vendor_hex=vendor)
    names: dict[str, str] = {}
    for row in rows:
        if row.vendor_name:
            names["adapter_vendor_id"] = row.vendor_name
        if device and row.adapter_hex == device and row.adapter_name:
            names["adapter_device_id"] = row.adapter_name
    return names


def detail_rows(processed: Mapping[str, Any]) -> list[DetailRow]:
    """The rows to show for an already redacted processed crash."""
    schema = load_schema("processed_crash")
    descriptions = {
        name: sub.get("description", "") for name, sub in schema.document["properties"].items()
    }
    names = _graphics_names(processed)
    rows = []
    for label, key in DETAIL_FIELDS:
        value = processed.get(key)
        if value is None or value == "" or value == []:
            continue
        text = format_value(key, value)
        if key in names:
            text = f"{text} ({names[key]})"
        rows.append(
            DetailRow(
                label=label,
                key=key,
                text=text,
                description=descriptions.get(key, ""),
                protected=not schema.can_see(key, ANONYMOUS),
                multiline=key in MULTILINE_FIELDS or isinstance(value, Mapping),
                link="signature" if key == "signature" else "",
            )
        )
    return rows
