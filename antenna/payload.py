"""Turn a crash report request body into annotations and dumps, within fixed size limits.

Pure functions over bytes: the caller reads the body (see :func:`read_body`), these check the
headers, decompress with a hard output bound, split the multipart body and classify each part
following Antenna's rules, so that every client that works with Socorro works here.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO, NamedTuple

from zlib_ng import zlib_ng

MIB = 1024 * 1024
MULTIPART_TYPES = frozenset({"multipart/form-data", "multipart/mixed"})
GZIP_ENCODINGS = frozenset({"gzip", "x-gzip"})
# Names that would overwrite the crash's own objects in storage (`dump` is the main minidump).
RESERVED_DUMP_NAMES = frozenset({"dump", "dump_names", "processed_crash", "raw_crash"})
MAX_DUMP_NAME_LENGTH = 30
READ_CHUNK = 1 * MIB

NOTE_BOTH_ENCODINGS = "includes annotations in both json-encoded extra and formdata parts"
NOTE_TEXT_TOO_LARGE = "extract payload text part exception: body part is too large"


class MalformedPayload(Exception):
    """The request cannot be a crash report; ``reason`` names why (`malformed_<reason>`)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"malformed crash report ({reason}){': ' + detail if detail else ''}")
        self.reason = reason


class PayloadTooLarge(Exception):
    """The body, as sent or decompressed, is over its configured limit."""


@dataclass(frozen=True)
class Limits:
    """Size bounds that keep one request's memory a small multiple of its body size."""

    max_body_bytes: int = 25 * MIB
    max_decompressed_bytes: int = 100 * MIB
    max_annotation_bytes: int = 20 * MIB


@dataclass
class Payload:
    """What a crash report carried, plus what the collector noticed while parsing it."""

    annotations: dict[str, Any]
    dumps: dict[str, bytes]
    notes: list[str] = field(default_factory=list)
    payload_type: str = "multipart"
    compressed: bool = False
    size_sent: int = 0
    size: int = 0


class Part(NamedTuple):
    """One multipart part: its header values and where its body lies in the buffer."""

    name: str | None
    filename: str | None
    content_type: str
    content_type_params: dict[str, str]
    start: int
    end: int


_TOKEN_PARAM = re.compile(r'\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)\s*(?:;|$)', re.DOTALL)
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)


def parse_header_value(value: str) -> tuple[str, dict[str, str]]:
    """Split ``type/sub; a=1; b="x y"`` into the lower-cased main value and its parameters."""
    main, _, rest = value.partition(";")
    params: dict[str, str] = {}
    position = 0
    while position < len(rest):
        match = _TOKEN_PARAM.match(rest, position)
        if not match:
            # Skip a malformed parameter up to the next separator, as mail and HTTP parsers do.
            next_sep = rest.find(";", position)
            if next_sep == -1:
                break
            position = next_sep + 1
            continue
        key, raw = match.group(1).lower(), match.group(2).strip()
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            raw = _QUOTED_PAIR.sub(r"\1", raw[1:-1])
        params.setdefault(key, raw)
        position = match.end()
    return main.strip().lower(), params


def check_request_headers(content_type: str | None, content_length: int | None) -> str:
    """Validate the request headers in Antenna's order; return the multipart boundary.

    ``content_length`` is None for chunked uploads, which are accepted (bounded later).
    """
    if not content_type or not content_type.strip():
        raise MalformedPayload("no_content_type")
    media_type, params = parse_header_value(content_type)
    if media_type not in MULTIPART_TYPES:
        raise MalformedPayload("wrong_content_type", media_type)
    boundary = params.get("boundary", "")
    if not boundary:
        raise MalformedPayload("no_boundary")
    if content_length is not None and content_length <= 0:
        raise MalformedPayload("no_content_length")
    return boundary


def read_body(stream: BinaryIO, content_length: int | None, max_bytes: int) -> bytearray:
    """Read the request body without ever holding more than ``max_bytes + 1`` bytes.

    With a Content-Length exactly that many bytes are read (fewer if the client stops early);
    without one (chunked) the stream is read to its end. Raises :class:`PayloadTooLarge`.
    """
    if content_length is not None:
        if content_length > max_bytes:
            raise PayloadTooLarge(f"Content-Length {content_length} is over {max_bytes}")
        buffer = bytearray(content_length)
        view = memoryview(buffer)
        filled = 0
        while filled < content_length:
            chunk = stream.read(min(READ_CHUNK, content_length - filled))
            if not chunk:
                break
            view[filled : filled + len(chunk)] = chunk
            filled += len(chunk)
        view.release()
        if filled < content_length:
            del buffer[filled:]
        return buffer
    buffer = bytearray()
    while True:
        chunk = stream.read(READ_CHUNK)
        if not chunk:
            return buffer
        buffer += chunk
        if len(buffer) > max_bytes:
            raise PayloadTooLarge(f"chunked body is over {max_bytes} bytes")


def discard_body(stream: BinaryIO, content_length: int | None, max_bytes: int) -> None:
    """Read and drop up to ``max_bytes`` of what the client is still sending.

    Answering 413 while the client is still sending makes it fail with a broken pipe before it
    can read the answer; draining (bounded, in constant memory) lets it read the 413.
    """
    remaining = max_bytes if content_length is None else min(content_length, max_bytes)
    while remaining > 0:
        chunk = stream.read(min(READ_CHUNK, remaining))
        if not chunk:
            return
        remaining -= len(chunk)


def gunzip(body: bytes | bytearray, max_bytes: int) -> bytes:
    """Decompress one gzip member, producing at most ``max_bytes`` bytes.

    Trailing bytes after a complete member are ignored (as Antenna does); a truncated or
    corrupt stream is ``bad_gzip``; more output than allowed is :class:`PayloadTooLarge`.
    """
    # zlib-ng inflates the same streams as zlib, about four times faster.
    decompressor = zlib_ng.decompressobj(16 + zlib_ng.MAX_WBITS)
    try:
        output = decompressor.decompress(body, max_bytes + 1)
    except zlib_ng.error as exc:
        raise MalformedPayload("bad_gzip", str(exc)) from exc
    if len(output) > max_bytes:
        raise PayloadTooLarge(f"decompressed body is over {max_bytes} bytes")
    if not decompressor.eof:
        raise MalformedPayload("bad_gzip", "the gzip stream is truncated")
    return output


def _parse_part_headers(block: bytes) -> dict[str, str]:
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedPayload("invalid_payload_structure", "part headers are not UTF-8") from exc
    headers: dict[str, str] = {}
    last = None
    for line in text.split("\r\n"):
        if not line:
            continue
        if line[0] in " \t" and last is not None:
            headers[last] += " " + line.strip()
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise MalformedPayload("invalid_payload_structure", "a part header has no colon")
        last = name.strip().lower()
        headers[last] = value.strip()
    return headers


def split_multipart(body: bytes, boundary: str) -> list[Part]:
    """Locate every part of a multipart body (RFC 2046) without copying part bodies.

    A missing opening or closing delimiter, or a part without a header section, is
    ``invalid_payload_structure``.
    """
    delimiter = b"--" + boundary.encode("utf-8", "surrogateescape")
    if body.startswith(delimiter):
        position = len(delimiter)
    else:
        first = body.find(b"\r\n" + delimiter)
        if first == -1:
            raise MalformedPayload("invalid_payload_structure", "no opening boundary")
        position = first + 2 + len(delimiter)
    separator = b"\r\n" + delimiter
    parts: list[Part] = []
    while True:
        if body.startswith(b"--", position):
            return parts
        while body[position : position + 1] in (b" ", b"\t"):
            position += 1
        if not body.startswith(b"\r\n", position):
            raise MalformedPayload("invalid_payload_structure", "junk after a boundary")
        position += 2
        end = body.find(separator, position)
        if end == -1:
            raise MalformedPayload("invalid_payload_structure", "no closing boundary")
        if body.startswith(b"\r\n", position):
            headers_end, body_start = position, position + 2
        else:
            headers_end = body.find(b"\r\n\r\n", position, end)
            if headers_end == -1:
                raise MalformedPayload("invalid_payload_structure", "a part has no header end")
            body_start = headers_end + 4
        fields = _simple_part_fields(body, position, headers_end)
        if fields is None:
            fields = part_fields(bytes(body[position:headers_end]))
        parts.append(Part(*fields, start=body_start, end=end))
        position = end + len(separator)


# The header block nearly every client writes: a form-data disposition with a quoted name (and
# filename), optionally one bare content type. Matched in one step; anything else takes the
# general path, which gives the same answer for these blocks (a test checks).
_SIMPLE_PART_HEADERS = re.compile(
    rb'Content-Disposition: form-data; name="([^"\\\r\n]*)"(?:; filename="([^"\\\r\n]*)")?'
    rb"(?:\r\nContent-Type: ([A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+))?"
)
PartFields = tuple[str | None, str | None, str, dict[str, str]]


def _simple_part_fields(body: bytes, start: int, end: int) -> PartFields | None:
    """The fields of a common header block at ``body[start:end]``, or None for any other."""
    match = _SIMPLE_PART_HEADERS.fullmatch(body, start, end)
    if match is None:
        return None
    name, filename, content_type = match.groups()
    try:
        return (
            name.decode("utf-8"),
            None if filename is None else filename.decode("utf-8"),
            content_type.decode("ascii").lower() if content_type else "text/plain",
            {},
        )
    except UnicodeDecodeError:
        return None


def part_fields(block: bytes) -> PartFields:
    """Name, filename, content type and its parameters from a part's header block."""
    headers = _parse_part_headers(block)
    _disposition, disposition_params = parse_header_value(headers.get("content-disposition", ""))
    content_type, type_params = parse_header_value(headers.get("content-type", "text/plain"))
    return (
        disposition_params.get("name"),
        disposition_params.get("filename", disposition_params.get("filename*")),
        content_type or "text/plain",
        type_params,
    )


_NOT_NAME_CHARS = re.compile(r"[^a-zA-Z0-9_]")


def sanitize_dump_name(name: str) -> str:
    """Keep ASCII letters, digits and ``_``, at most 30 characters (safe as a storage key)."""
    return _NOT_NAME_CHARS.sub("", name)[:MAX_DUMP_NAME_LENGTH]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json_annotations(data: bytes) -> dict[str, Any]:
    """The JSON annotation object; ``invalid_json`` / ``invalid_json_value`` otherwise.

    NaN and Infinity are refused: they would make the stored raw crash invalid JSON.
    """
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedPayload("invalid_json", type(exc).__name__) from exc
    if not isinstance(value, dict):
        raise MalformedPayload("invalid_json_value", f"got a JSON {type(value).__name__}")
    return value


def classify_parts(body: bytes | bytearray, parts: list[Part], limits: Limits) -> Payload:
    """Apply Antenna's part rules: JSON replaces annotations, text adds one, others are dumps."""
    annotations: dict[str, Any] = {}
    dumps: dict[str, bytes] = {}
    notes: list[str] = []
    seen_json = seen_text = False
    with memoryview(body) as view:
        for part in parts:
            if not part.name:
                continue
            data = view[part.start : part.end]
            if part.content_type.startswith("application/json"):
                annotations = parse_json_annotations(bytes(data))
                seen_json = True
            elif part.content_type.startswith("text/plain") and part.filename is None:
                text = _decode_text(data, part, limits, notes)
                if text is not None:
                    annotations[part.name] = text
                    seen_text = True
            else:
                name = sanitize_dump_name(part.name)
                if not name or name in RESERVED_DUMP_NAMES:
                    raise MalformedPayload("invalid_dump_name", repr(part.name))
                if part.content_type != "application/octet-stream":
                    notes.append(f"unknown content type: {name} {part.content_type}")
                dumps[name] = bytes(data)
            data.release()
    if seen_json and seen_text:
        notes.append(NOTE_BOTH_ENCODINGS)
    if not annotations:
        raise MalformedPayload("no_annotations")
    return Payload(
        annotations=annotations,
        dumps=dumps,
        notes=notes,
        payload_type="json" if seen_json else "multipart",
    )


def _decode_text(data: memoryview, part: Part, limits: Limits, notes: list[str]) -> str | None:
    """A text annotation's value, or None (with a note) when it must be dropped."""
    charset = part.content_type_params.get("charset", "utf-8")
    if len(data) > limits.max_annotation_bytes:
        notes.append(NOTE_TEXT_TOO_LARGE)
        return None
    try:
        return bytes(data).decode(charset)
    except (LookupError, ValueError):  # unknown charset, or bytes that charset cannot decode
        notes.append(f"extract payload text part exception: invalid text or charset: {charset}")
        return None


def parse_body(
    body: bytearray,
    boundary: str,
    content_encoding: str | None,
    limits: Limits,
    on_decompress: Callable[[float, bool], None] | None = None,
) -> Payload:
    """Decompress (if gzip) and parse a body read by :func:`read_body`.

    ``on_decompress(seconds, ok)`` is told how long decompression took, for metrics.
    """
    size_sent = len(body)
    compressed = (content_encoding or "").strip().lower() in GZIP_ENCODINGS
    data: bytes | bytearray = body
    if compressed:
        started = time.perf_counter()
        try:
            data = gunzip(body, limits.max_decompressed_bytes)
        except MalformedPayload:
            if on_decompress:
                on_decompress(time.perf_counter() - started, False)
            raise
        if on_decompress:
            on_decompress(time.perf_counter() - started, True)
        body.clear()  # the compressed copy is no longer needed: free it before parsing
    elif size_sent > limits.max_decompressed_bytes:
        raise PayloadTooLarge(f"body is over {limits.max_decompressed_bytes} bytes")
    payload = classify_parts(data, split_multipart(data, boundary), limits)
    payload.compressed = compressed
    payload.size_sent = size_sent
    payload.size = len(data)
    return payload
