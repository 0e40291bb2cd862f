"""Turn a crash report request body into annotations and dumps, within explicit limits.

Pure functions over bytes: the caller reads the body (:mod:`antenna.body`), these check the
headers, decompress with a hard output bound, split the multipart body and classify each part
following Antenna's rules, so that every client that works with Socorro works here. Every step
is linear in the body and bounded by :class:`Limits` (parts, dumps, header block sizes, JSON
size, depth and element count, and a deadline), so no body can cost more than a small multiple
of its size in memory or time.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from zlib_ng import zlib_ng

from antenna.json_shape import JsonShapeError, check_json_shape

MIB = 1024 * 1024
MULTIPART_TYPES = frozenset({"multipart/form-data", "multipart/mixed"})
GZIP_ENCODINGS = frozenset({"gzip", "x-gzip"})
# Names that would overwrite the crash's own objects in storage (`dump` is the main minidump).
RESERVED_DUMP_NAMES = frozenset({"dump", "dump_names", "processed_crash", "raw_crash"})
MAX_DUMP_NAME_LENGTH = 30

NOTE_BOTH_ENCODINGS = "includes annotations in both json-encoded extra and formdata parts"
NOTE_TEXT_TOO_LARGE = "extract payload text part exception: body part is too large"
NOTE_JSON_VALUE_TOO_LARGE = "extract payload json value exception: value is too large: "


class MalformedPayload(Exception):
    """The request cannot be a crash report; ``reason`` names why (`malformed_<reason>`)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"malformed crash report ({reason}){': ' + detail if detail else ''}")
        self.reason = reason


class PayloadTooLarge(Exception):
    """The body, as sent or decompressed, is over its configured limit."""


class ParseTimeout(Exception):
    """Parsing went past its deadline (a safety net: every step is linear and bounded)."""


@dataclass(frozen=True)
class Limits:
    """Bounds that keep one request's memory a small multiple of its body size, and its parse
    time linear in it. Each has its own reject reason (see docs/collector.md)."""

    max_body_bytes: int = 25 * MIB
    max_decompressed_bytes: int = 100 * MIB
    max_annotation_bytes: int = 20 * MIB
    max_parts: int = 1000
    max_dumps: int = 20
    max_part_header_bytes: int = 8 * 1024
    max_json_bytes: int = 20 * MIB
    max_json_depth: int = 32
    max_json_elements: int = 100_000
    parse_seconds: float = 10.0


class Deadline:
    """A point in time a long step must not pass; checked between bounded units of work."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.at = clock() + seconds

    def check(self) -> None:
        if self.clock() > self.at:
            raise ParseTimeout(f"parsing took longer than {self.seconds}s")


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
    """Header name -> value; folded (continuation) lines are joined once, in linear time."""
    try:
        text = block.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedPayload("invalid_payload_structure", "part headers are not UTF-8") from exc
    pieces: dict[str, list[str]] = {}
    last: list[str] | None = None
    for line in text.split("\r\n"):
        if not line:
            continue
        if line[0] in " \t" and last is not None:
            last.append(line.strip())
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise MalformedPayload("invalid_payload_structure", "a part header has no colon")
        last = pieces[name.strip().lower()] = [value.strip()]
    return {name: " ".join(values) for name, values in pieces.items()}


def split_multipart(
    body: bytes | bytearray,
    boundary: str,
    limits: Limits = Limits(),
    deadline: Deadline | None = None,
) -> list[Part]:
    """Locate every part of a multipart body (RFC 2046) without copying part bodies.

    A missing opening or closing delimiter, or a part without a header section, is
    ``invalid_payload_structure``; more than ``limits.max_parts`` parts is ``too_many_parts``
    and a header block over ``limits.max_part_header_bytes`` is ``part_headers_too_large``.
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
        if len(parts) >= limits.max_parts:
            raise MalformedPayload("too_many_parts", f"more than {limits.max_parts} parts")
        if deadline is not None:
            deadline.check()
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
        if headers_end - position > limits.max_part_header_bytes:
            raise MalformedPayload(
                "part_headers_too_large",
                f"a part's headers are over {limits.max_part_header_bytes} bytes",
            )
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


def _simple_part_fields(body: bytes | bytearray, start: int, end: int) -> PartFields | None:
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


def parse_json_annotations(
    data: bytes | memoryview,
    limits: Limits = Limits(),
) -> dict[str, Any]:
    """The JSON annotation object; ``invalid_json`` / ``invalid_json_value`` otherwise.

    Its size, depth and element count are checked before it is parsed (``json_too_large``,
    ``json_too_deep``, ``json_too_many_elements``). NaN and Infinity are refused: they would
    make the stored raw crash invalid JSON.
    """
    if len(data) > limits.max_json_bytes:
        raise MalformedPayload("json_too_large", f"over {limits.max_json_bytes} bytes")
    data = bytes(data)  # copied only once its size is known to be within the limit
    try:
        check_json_shape(data, limits.max_json_depth, limits.max_json_elements)
    except JsonShapeError as exc:
        raise MalformedPayload(exc.reason, str(exc)) from exc
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MalformedPayload("invalid_json", type(exc).__name__) from exc
    if not isinstance(value, dict):
        raise MalformedPayload("invalid_json_value", f"got a JSON {type(value).__name__}")
    return value


def _json_value_size(value: Any) -> int:
    """Bytes a JSON annotation value takes as UTF-8 text (strings) or as compact JSON."""
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _drop_large_json_values(
    annotations: dict[str, Any], limits: Limits, notes: list[str]
) -> dict[str, Any]:
    """The per-annotation size limit, applied to JSON values as to form fields: drop, note."""
    for name in [name for name, value in annotations.items() if not isinstance(value, int | float)]:
        if _json_value_size(annotations[name]) > limits.max_annotation_bytes:
            del annotations[name]
            notes.append(NOTE_JSON_VALUE_TOO_LARGE + name[:100])
    return annotations


def classify_parts(
    body: bytes | bytearray,
    parts: list[Part],
    limits: Limits,
    deadline: Deadline | None = None,
) -> Payload:
    """Apply Antenna's part rules: JSON replaces annotations, text adds one, others are dumps."""
    annotations: dict[str, Any] = {}
    dumps: dict[str, bytes] = {}
    notes: list[str] = []
    seen_json = seen_text = False
    with memoryview(body) as view:
        for part in parts:
            if deadline is not None:
                deadline.check()
            if not part.name:
                continue
            data = view[part.start : part.end]
            if part.content_type.startswith("application/json"):
                annotations = parse_json_annotations(data, limits)
                annotations = _drop_large_json_values(annotations, limits, notes)
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
                if name not in dumps and len(dumps) >= limits.max_dumps:
                    raise MalformedPayload("too_many_dumps", f"more than {limits.max_dumps} dumps")
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
    inflate_slot: contextlib.AbstractContextManager[Any] | None = None,
    deadline: Deadline | None = None,
) -> Payload:
    """Decompress (if gzip) and parse a body read by :mod:`antenna.body`.

    ``on_decompress(seconds, ok)`` is told how long decompression took, for metrics.
    ``inflate_slot`` is held while decompressing, so a worker can bound how many bodies are
    inflated at once; the compressed copy is freed as soon as the inflated one exists.
    """
    size_sent = len(body)
    compressed = (content_encoding or "").strip().lower() in GZIP_ENCODINGS
    deadline = deadline or Deadline(limits.parse_seconds)
    data: bytes | bytearray = body
    if compressed:
        started = time.perf_counter()
        try:
            with inflate_slot or contextlib.nullcontext():
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
    parts = split_multipart(data, boundary, limits, deadline)
    payload = classify_parts(data, parts, limits, deadline)
    payload.compressed = compressed
    payload.size_sent = size_sent
    payload.size = len(data)
    return payload
