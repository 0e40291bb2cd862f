"""The signature rules, in the order Socorro runs them.

Rule 1 builds the signature from the crash's frames (or Java data); the others adjust it from
annotations. Each rule has a ``predicate`` and an ``action``; names match Socorro's so notes
and debug lines read the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from processor.signature.crashdata import get_crashing_thread
from processor.signature.frames import FrameNormalizer, FrameTrace, frame_list
from processor.signature.java import java_exception_signature, java_stack_trace_signature
from processor.signature.result import Result
from processor.signature.siglists import SignatureLists
from processor.signature.walk import FrameWalker

SIGNATURE_MAX_LENGTH = 255
_WHITESPACE = re.compile(r"\s")
_WHITESPACE_RUN = re.compile(r"\s\s+")
CrashData = Mapping[str, Any]


class Rule:
    """Base rule: runs its action when its predicate holds."""

    @property
    def name(self) -> str:
        return type(self).__name__

    def predicate(self, data: CrashData, result: Result) -> bool:
        return True

    def action(self, data: CrashData, result: Result) -> None:
        raise NotImplementedError


def _thread(data: CrashData, index: int) -> Any:
    """``threads[index]``, or None when there is no such thread."""
    threads = data.get("threads")
    if not isinstance(threads, list | tuple):
        return None
    try:
        return threads[index]
    except IndexError:
        return None


class SignatureGenerationRule(Rule):
    """Builds the signature from the Java trace, the Java exception, or the crashing thread."""

    def __init__(self, lists: SignatureLists) -> None:
        self.normalizer = FrameNormalizer(lists)
        self.walker = FrameWalker(lists)

    def action(self, data: CrashData, result: Result, crashing_thread: int | None = None) -> None:
        name = self.name
        java_trace = data.get("java_stack_trace")
        if java_trace:
            result.debug(name, "using JavaSignatureTool")
            signature, notes = java_stack_trace_signature(java_trace)
            for note in notes:
                result.info(name, note)
            result.set_signature(name, signature)
            return
        java_exception = data.get("java_exception")
        if java_exception:
            result.debug(name, "using JavaExceptionSignatureTool")
            signature, notes = java_exception_signature(java_exception)
            for note in notes:
                result.info(name, note)
            result.set_signature(name, signature)
            return
        result.debug(name, "using CSignatureTool")
        if crashing_thread is None:
            crashing_thread = get_crashing_thread(data)
        notes: list[str] = []
        traces: list[FrameTrace] | None = [] if result.frames is not None else None
        frames = frame_list(
            _thread(data, crashing_thread),
            data.get("os") == "Windows NT",
            self.normalizer,
            notes,
            traces,
        )
        debug: list[str] = [f"using signature lists from {self.walker.lists.source}"]
        signature = self.walker.generate(frames, crashing_thread, notes, debug, traces)
        if traces is not None:
            result.frames = traces
        result.thread = crashing_thread
        if frames:
            result.extra["proto_signature"] = " | ".join(frames)
            result.extra["normalized_frames"] = frames
        for note in notes:
            result.info(name, note)
        for line in debug:
            result.debug(name, line)
        if signature:
            result.set_signature(name, signature)


class StackwalkerErrorSignatureRule(Rule):
    """Appends the stackwalker's error to EMPTY signatures, which says why there were no frames."""

    def predicate(self, data: CrashData, result: Result) -> bool:
        return bool(result.signature.startswith("EMPTY") and data.get("mdsw_status_string"))

    def action(self, data: CrashData, result: Result) -> None:
        result.set_signature(self.name, f"{result.signature}; {data['mdsw_status_string']}")


class BadHardware(Rule):
    """Prepends ``bad hardware`` when the crash reason says the hardware failed."""

    def predicate(self, data: CrashData, result: Result) -> bool:
        reason = data.get("reason")
        return isinstance(reason, str) and "STATUS_DEVICE_DATA_ERROR" in reason

    def action(self, data: CrashData, result: Result) -> None:
        result.set_signature(self.name, f"bad hardware | {result.signature}")


class OOMSignature(Rule):
    """Marks out-of-memory crashes: ``OOM | small`` replaces, ``OOM | large|unknown`` prefixes."""

    FRAGMENTS = (
        "NS_ABORT_OOM",
        "mozalloc_handle_oom",
        "CrashAtUnhandlableOOM",
        "AutoEnterOOMUnsafeRegion",
        "alloc::oom::oom",
    )
    REASONS = ("STATUS_FATAL_MEMORY_EXHAUSTION", "STATUS_NO_MEMORY")
    LAST_ERRORS = ("ERROR_COMMITMENT_LIMIT", "ERROR_NOT_ENOUGH_MEMORY")
    SMALL = 262144

    def predicate(self, data: CrashData, result: Result) -> bool:
        if data.get("oom_allocation_size"):
            return True
        signature = result.signature
        if not signature:
            return False
        if any(fragment in signature for fragment in self.FRAGMENTS):
            return True
        thread = _thread(data, get_crashing_thread(data))
        if isinstance(thread, dict) and thread.get("last_error_value") in self.LAST_ERRORS:
            return True
        if data.get("reason") in self.REASONS:
            return True
        return data.get("js_large_allocation_failure") == "Reporting"

    def action(self, data: CrashData, result: Result) -> None:
        if data.get("js_large_allocation_failure") == "Reporting":
            result.set_signature(self.name, f"OOM | large | {result.signature}")
            return
        try:
            size = int(data.get("oom_allocation_size"))  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            result.set_signature(self.name, f"OOM | unknown | {result.signature}")
            return
        if size <= self.SMALL:
            result.set_signature(self.name, "OOM | small")
        else:
            result.set_signature(self.name, f"OOM | large | {result.signature}")


def abort_message_text(message: str) -> str:
    """The part of an abort message worth grouping by: no preamble, file, line or locale text."""
    if "###!!! ABORT:" in message:
        message = message.split("###!!! ABORT:", 1)[1]
    if ": file " in message:
        message = message.split(": file ", 1)[0]
    if "unable to find a usable font" in message:
        opening = message.find("(")
        if opening != -1:
            closing = message.rfind(")")
            if closing != -1:
                message = message[:opening] + message[closing + 1 :]
    message = "".join(char for char in message if " " <= char <= "~").strip()
    if len(message) > 80:
        message = message[:77] + "..."
    return message


class AbortSignature(Rule):
    """Prepends ``Abort | <message>`` from the abort message annotation."""

    def predicate(self, data: CrashData, result: Result) -> bool:
        return bool(data.get("abort_message"))

    def action(self, data: CrashData, result: Result) -> None:
        message = str(data["abort_message"])
        if "###!!! ABORT: file " in message:
            result.set_signature(self.name, f"Abort | {result.signature}")
            return
        result.set_signature(
            self.name, f"Abort | {abort_message_text(message)} | {result.signature}"
        )


class SignatureShutdownTimeout(Rule):
    """Replaces the signature with the AsyncShutdownTimeout phase and blocking conditions."""

    def predicate(self, data: CrashData, result: Result) -> bool:
        return bool(data.get("async_shutdown_timeout"))

    def action(self, data: CrashData, result: Result) -> None:
        parts = ["AsyncShutdownTimeout"]
        try:
            shutdown = json.loads(data["async_shutdown_timeout"])
            phase = shutdown.get("phase")
            # The phase is kept even when the conditions then fail to parse (as in Socorro).
            parts.append(phase if isinstance(phase, str) else "(unknown)")
            conditions = sorted(
                str(item["name"] if isinstance(item, dict) else item)
                for item in shutdown.get("conditions") or []
            )
            parts.append(",".join(conditions) if conditions else "(none)")
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            parts.append("UNKNOWN")
            result.info(self.name, f"Error parsing AsyncShutdownTimeout: {exc}")
        result.info(
            self.name,
            f'Signature replaced with a Shutdown Timeout signature, was: "{result.signature}"',
        )
        result.set_signature(self.name, " | ".join(parts))


class SignatureRunWatchDog(Rule):
    """Shutdown hangs: re-sign from thread 0 (the stuck main thread), prefixed ``shutdownhang``."""

    def __init__(self, generation: SignatureGenerationRule) -> None:
        self.generation = generation

    def predicate(self, data: CrashData, result: Result) -> bool:
        return "RunWatchdog" in result.signature

    def action(self, data: CrashData, result: Result) -> None:
        self.generation.action(data, result, crashing_thread=0)
        result.set_signature(self.name, f"shutdownhang | {result.signature}")


class SignatureIPCChannelError(Rule):
    """Replaces the signature with ``IPCError-browser|content | <error>``."""

    def predicate(self, data: CrashData, result: Result) -> bool:
        return bool(data.get("ipc_channel_error"))

    def action(self, data: CrashData, result: Result) -> None:
        minidumps = data.get("additional_minidumps") or []
        browser = isinstance(minidumps, list | tuple | str | dict) and (
            "upload_file_minidump_browser" in minidumps
        )
        process = "browser" if browser else "content"
        error = str(data["ipc_channel_error"])[:100]
        result.info(self.name, "IPC Channel Error stomped on signature")
        result.set_signature(self.name, f"IPCError-{process} | {error}")


class SignatureIPCMessageName(Rule):
    """Appends the name of the IPC message being handled."""

    def predicate(self, data: CrashData, result: Result) -> bool:
        return bool(data.get("ipc_message_name"))

    def action(self, data: CrashData, result: Result) -> None:
        name = data["ipc_message_name"]
        result.set_signature(self.name, f"{result.signature} | IPC_Message_Name={name}")


class StackOverflowSignature(Rule):
    """Prepends ``stackoverflow`` for stack overflow exceptions."""

    def predicate(self, data: CrashData, result: Result) -> bool:
        return data.get("reason") == "EXCEPTION_STACK_OVERFLOW"

    def action(self, data: CrashData, result: Result) -> None:
        result.set_signature(self.name, f"stackoverflow | {result.signature}")


class HungProcess(Rule):
    """Prepends ``hang: <type>`` for hang reports."""

    def predicate(self, data: CrashData, result: Result) -> bool:
        return data.get("hang") is not None

    def action(self, data: CrashData, result: Result) -> None:
        result.set_signature(self.name, f"hang: {data.get('hang')} | {result.signature}")


class SigPrintableCharsOnly(Rule):
    """Keeps only printable ASCII, so that signatures are safe to show and search."""

    def predicate(self, data: CrashData, result: Result) -> bool:
        signature = result.signature
        return not (signature.isascii() and signature.isprintable())

    def action(self, data: CrashData, result: Result) -> None:
        stripped = result.signature.strip()
        cleaned = "".join(char for char in stripped if " " <= char <= "~")
        if cleaned != stripped:
            result.info(self.name, "unprintable characters removed")
        result.set_signature(self.name, cleaned)


class SigFixWhitespace(Rule):
    """Trims the signature and turns every whitespace run into one space."""

    def action(self, data: CrashData, result: Result) -> None:
        original = result.signature
        signature = _WHITESPACE_RUN.sub(" ", _WHITESPACE.sub(" ", original.strip()))
        if signature != original:
            result.set_signature(self.name, signature)


class SigTruncate(Rule):
    """Cuts signatures longer than 255 characters to 252 plus ``...``."""

    def predicate(self, data: CrashData, result: Result) -> bool:
        return len(result.signature) > SIGNATURE_MAX_LENGTH

    def action(self, data: CrashData, result: Result) -> None:
        result.set_signature(self.name, f"{result.signature[: SIGNATURE_MAX_LENGTH - 3]}...")
        result.info(self.name, "SigTrunc: signature truncated due to length")


def default_ruleset(lists: SignatureLists) -> list[Rule]:
    """Socorro HEAD's rule order."""
    generation = SignatureGenerationRule(lists)
    return [
        generation,
        StackwalkerErrorSignatureRule(),
        BadHardware(),
        OOMSignature(),
        AbortSignature(),
        SignatureShutdownTimeout(),
        SignatureRunWatchDog(generation),
        SignatureIPCChannelError(),
        SignatureIPCMessageName(),
        StackOverflowSignature(),
        HungProcess(),
        SigPrintableCharsOnly(),
        SigFixWhitespace(),
        SigTruncate(),
    ]
