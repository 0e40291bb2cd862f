"""Payload parsing: header checks, gzip bounds, multipart structure and part classification."""

from __future__ import annotations

import gzip
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antenna.client import encode_report
from antenna.payload import (
    NOTE_BOTH_ENCODINGS,
    NOTE_JSON_VALUE_TOO_LARGE,
    NOTE_TEXT_TOO_LARGE,
    Deadline,
    Limits,
    MalformedPayload,
    ParseTimeout,
    PayloadTooLarge,
    check_request_headers,
    gunzip,
    parse_body,
    parse_header_value,
    part_fields,
    sanitize_dump_name,
    split_multipart,
)

BOUNDARY = "b0und"


def body_of(*parts: tuple[str, bytes]) -> bytearray:
    """A multipart body from (header block, data) pairs, with the closing delimiter."""
    out = [
        f"--{BOUNDARY}\r\n{headers}\r\n\r\n".encode() + data + b"\r\n" for headers, data in parts
    ]
    return bytearray(b"".join(out) + f"--{BOUNDARY}--\r\n".encode())


def field(name: str, value: bytes, extra: str = "") -> tuple[str, bytes]:
    return (f'Content-Disposition: form-data; name="{name}"{extra}', value)


def dump(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return (
        f'Content-Disposition: form-data; name="{name}"; filename="x.dmp"\r\n'
        f"Content-Type: {content_type}",
        data,
    )


def json_part(data: bytes, name: str = "extra"):
    return (
        f'Content-Disposition: form-data; name="{name}"; filename="extra.json"\r\n'
        "Content-Type: application/json",
        data,
    )


def parse(body: bytearray, encoding: str | None = None, limits: Limits | None = None):
    return parse_body(body, BOUNDARY, encoding, limits or Limits())


def reason_of(body: bytearray, encoding: str | None = None, limits: Limits | None = None) -> str:
    with pytest.raises(MalformedPayload) as info:
        parse(body, encoding, limits)
    return info.value.reason


@pytest.mark.parametrize(
    ("content_type", "length", "reason"),
    [
        (None, 10, "no_content_type"),
        ("  ", 10, "no_content_type"),
        ("text/plain", 10, "wrong_content_type"),
        ("application/x-www-form-urlencoded", 10, "wrong_content_type"),
        ("multipart/form-data", 10, "no_boundary"),
        ("multipart/form-data; boundary=", 10, "no_boundary"),
        ("multipart/form-data; boundary=x", 0, "no_content_length"),
    ],
)
def test_header_checks_in_order(content_type, length, reason):
    with pytest.raises(MalformedPayload) as info:
        check_request_headers(content_type, length)
    assert info.value.reason == reason


@pytest.mark.parametrize(
    ("content_type", "boundary"),
    [
        ("multipart/form-data; boundary=abc", "abc"),
        ('multipart/form-data; boundary="a b;c"', "a b;c"),
        ("Multipart/Form-Data; BOUNDARY=abc", "abc"),  # media types are case-insensitive
        ("multipart/form-data; charset=utf-8; boundary=abc", "abc"),  # any position
        ("multipart/mixed; boundary=abc", "abc"),
    ],
)
def test_boundary_is_found(content_type, boundary):
    assert check_request_headers(content_type, 10) == boundary


def test_chunked_upload_passes_header_checks():
    assert check_request_headers("multipart/form-data; boundary=x", None) == "x"


def test_parse_header_value_unescapes_quoted_pairs():
    assert parse_header_value('form-data; name="a\\"b"; filename=x.dmp') == (
        "form-data",
        {"name": 'a"b', "filename": "x.dmp"},
    )


def test_gunzip_ignores_trailing_junk():
    assert gunzip(gzip.compress(b"hello") + b"junk", 100) == b"hello"


@pytest.mark.parametrize("data", [b"not gzip at all", gzip.compress(b"hello" * 100)[:-10]])
def test_gunzip_bad_or_truncated(data):
    with pytest.raises(MalformedPayload) as info:
        gunzip(data, 10_000)
    assert info.value.reason == "bad_gzip"


def test_gunzip_bomb_stops_at_limit():
    bomb = gzip.compress(b"\0" * 50_000_000)
    with pytest.raises(PayloadTooLarge):
        gunzip(bomb, 1_000_000)
    assert len(gunzip(bomb, 50_000_000)) == 50_000_000


def test_form_fields_and_dumps():
    payload = parse(
        body_of(
            field("ProductName", b"Firefox"),
            field("Version", b"1"),
            dump("upload_file_minidump", b"abcd1234"),
            dump("memory_report", b"mr", "image/png"),
        )
    )
    assert payload.annotations == {"ProductName": "Firefox", "Version": "1"}
    assert payload.dumps == {"upload_file_minidump": b"abcd1234", "memory_report": b"mr"}
    assert payload.payload_type == "multipart"
    assert payload.notes == ["unknown content type: memory_report image/png"]


def test_gzipped_body_is_decompressed():
    encoded = encode_report(
        {"ProductName": "Firefox"}, {"upload_file_minidump": b"d"}, boundary=BOUNDARY
    )
    compressed = bytearray(gzip.compress(encoded.body))
    size = len(compressed)
    payload = parse(compressed, "GZIP")
    assert payload.compressed
    assert payload.size_sent == size
    assert payload.size == len(encoded.body)
    assert payload.annotations == {"ProductName": "Firefox"}


def test_x_gzip_is_gzip():
    encoded = encode_report({"A": "1"}, {}, boundary=BOUNDARY)
    assert parse(bytearray(gzip.compress(encoded.body)), "x-gzip").annotations == {"A": "1"}


def test_other_encodings_are_parsed_raw():
    encoded = encode_report({"A": "1"}, {}, boundary=BOUNDARY)
    assert parse(bytearray(encoded.body), "deflate").annotations == {"A": "1"}
    assert reason_of(bytearray(gzip.compress(encoded.body)), "deflate") == (
        "invalid_payload_structure"
    )


def test_gzip_header_on_plain_body_is_bad_gzip():
    assert reason_of(body_of(field("A", b"1")), "gzip") == "bad_gzip"


def test_decompressed_limit():
    encoded = encode_report({"A": "x" * 5000}, {}, boundary=BOUNDARY)
    with pytest.raises(PayloadTooLarge):
        parse(bytearray(gzip.compress(encoded.body)), "gzip", Limits(max_decompressed_bytes=1000))


def test_json_replaces_earlier_fields_and_later_fields_merge():
    payload = parse(
        body_of(
            field("Before", b"dropped"),
            json_part(b'{"ProductName": "Firefox", "Number": 3, "Nested": {"a": [1]}}'),
            field("After", b"kept"),
        )
    )
    assert payload.annotations == {
        "ProductName": "Firefox",
        "Number": 3,
        "Nested": {"a": [1]},
        "After": "kept",
    }
    assert payload.payload_type == "json"
    assert payload.notes == [NOTE_BOTH_ENCODINGS]


def test_last_json_part_wins_and_any_name_counts():
    payload = parse(body_of(json_part(b'{"A": "1"}'), json_part(b'{"B": "2"}', name="other")))
    assert payload.annotations == {"B": "2"}
    assert payload.notes == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{not json", "invalid_json"),
        (b'{"a": "\xff"}', "invalid_json"),
        (b'{"a": NaN}', "invalid_json"),
        (b"[" * 100_000 + b"]" * 100_000, "json_too_deep"),
        (b"[1, 2]", "invalid_json_value"),
        (b'"text"', "invalid_json_value"),
        (b"{}", "no_annotations"),
    ],
)
def test_json_errors(data, reason):
    assert reason_of(body_of(json_part(data))) == reason


def test_charset_is_honoured():
    payload = parse(
        body_of(
            (
                'Content-Disposition: form-data; name="A"\r\n'
                "Content-Type: text/plain; charset=latin-1",
                "é".encode("latin-1"),
            )
        )
    )
    assert payload.annotations == {"A": "é"}


@pytest.mark.parametrize(
    ("content_type", "value", "charset"),
    [
        ("text/plain", b"\xff\xfe", "utf-8"),
        ("text/plain; charset=no-such-charset", b"x", "no-such-charset"),
        ("text/plain; charset=rot13", b"x", "rot13"),
    ],
)
def test_undecodable_text_is_dropped_with_a_note(content_type, value, charset):
    payload = parse(
        body_of(
            field("Kept", b"yes"),
            (f'Content-Disposition: form-data; name="Bad"\r\nContent-Type: {content_type}', value),
        )
    )
    assert payload.annotations == {"Kept": "yes"}
    assert payload.notes == [
        f"extract payload text part exception: invalid text or charset: {charset}"
    ]


def test_oversized_text_is_dropped_with_a_note():
    payload = parse_body(
        body_of(field("Kept", b"yes"), field("Big", b"x" * 101)),
        BOUNDARY,
        None,
        Limits(max_annotation_bytes=100),
    )
    assert payload.annotations == {"Kept": "yes"}
    assert payload.notes == [NOTE_TEXT_TOO_LARGE]


def test_names_values_and_duplicates():
    payload = parse(
        body_of(
            field("Annoté", b"a\0b"),
            field("=?utf-8?q?x?=", b"literal"),
            field("Dup", b"first"),
            field("Dup", b"second"),
            ("Content-Disposition: form-data", b"no name: dropped"),
            ("Content-Type: text/plain", b"no disposition: dropped"),
        )
    )
    assert payload.annotations == {
        "Annoté": "a\0b",
        "=?utf-8?q?x?=": "literal",
        "Dup": "second",
    }


def test_text_with_filename_is_a_dump():
    payload = parse(body_of(field("A", b"1"), field("notes", b"text", '; filename="n.txt"')))
    assert payload.dumps == {"notes": b"text"}
    assert payload.notes == ["unknown content type: notes text/plain"]


@pytest.mark.parametrize(
    ("name", "sanitized"),
    [
        ("dumpΔname", "dumpname"),
        ("upload_file_minidump_" + "x" * 20, "upload_file_minidump_xxxxxxxxx"),
        ("../../etc/passwd", "etcpasswd"),
        ("a.b-c", "abc"),
    ],
)
def test_sanitize_dump_name(name, sanitized):
    assert sanitize_dump_name(name) == sanitized


@pytest.mark.parametrize(
    "name", ["dump", "dump_names", "raw_crash", "processed_crash", "ΔΔ", "d/u.m-p"]
)
def test_reserved_and_empty_dump_names(name):
    assert reason_of(body_of(field("A", b"1"), dump(name, b"x"))) == "invalid_dump_name"


def test_several_dumps_and_no_dump():
    payload = parse(
        body_of(
            field("A", b"1"),
            dump("upload_file_minidump", b"1"),
            dump("upload_file_minidump_browser", b"2"),
        )
    )
    assert sorted(payload.dumps) == ["upload_file_minidump", "upload_file_minidump_browser"]
    assert parse(body_of(field("A", b"1"))).dumps == {}


@pytest.mark.parametrize(
    "body",
    [
        b"foobarbaz",
        b'--wrong\r\nContent-Disposition: form-data; name="A"\r\n\r\n1\r\n--wrong--\r\n',
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="A"\r\n\r\n1'.encode(),  # no end
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="A"\r\n1\r\n--{BOUNDARY}--'.encode(),
        f"--{BOUNDARY}\r\nno colon here\r\n\r\n1\r\n--{BOUNDARY}--".encode(),
        f"--{BOUNDARY}junk\r\n\r\n1\r\n--{BOUNDARY}--".encode(),
        (
            f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=".encode()
            + b'"\xff"'
            + f"\r\n\r\n1\r\n--{BOUNDARY}--".encode()
        ),
    ],
)
def test_invalid_structure(body):
    assert reason_of(bytearray(body)) == "invalid_payload_structure"


def test_truncated_body_is_invalid_structure():
    body = body_of(field("A", b"1"), dump("upload_file_minidump", b"x" * 100))
    assert reason_of(body[:60]) == "invalid_payload_structure"


def test_preamble_and_padding_are_allowed():
    body = bytearray(
        b"preamble\r\n"
        + bytes(body_of(field("A", b"1"))).replace(
            f"--{BOUNDARY}\r\n".encode(), f"--{BOUNDARY}  \r\n".encode()
        )
    )
    assert parse(body).annotations == {"A": "1"}


def test_empty_form_has_no_annotations():
    assert reason_of(bytearray(f"--{BOUNDARY}--\r\n".encode())) == "no_annotations"
    assert reason_of(body_of(dump("upload_file_minidump", b"x"))) == "no_annotations"


# Pieces of part header blocks: the common shapes (taken by the fast path) and near misses
# (other casing, spacing, escapes, parameters) that must fall through to the general parser.
_NAMES = st.text(st.sampled_from('abcZ09_ ;=é"\\\t'), max_size=8)
_DISPOSITIONS = st.builds(
    lambda lead, name, filename: (
        f'{lead}; name="{name}"' + ("" if filename is None else f'; filename="{filename}"')
    ),
    st.sampled_from(
        [
            "Content-Disposition: form-data",
            "content-disposition: form-data",
            "Content-Disposition:form-data",
            "Content-Disposition: attachment",
        ]
    ),
    _NAMES,
    st.none() | _NAMES,
)
_CONTENT_TYPES = st.sampled_from(
    [
        "",
        "\r\nContent-Type: application/octet-stream",
        "\r\nContent-Type: Application/JSON",
        "\r\nContent-Type: text/plain; charset=latin-1",
        "\r\ncontent-type: text/plain",
        "\r\nContent-Type: text/plain ",
        "\r\nContent-Type: x",
    ]
)


@given(disposition=_DISPOSITIONS, content_type=_CONTENT_TYPES)
def test_fast_header_path_agrees_with_the_general_parser(disposition, content_type):
    block = (disposition + content_type).encode("utf-8")
    data = b"--b\r\n" + block + b"\r\n\r\nvalue\r\n--b--\r\n"
    try:
        expected = part_fields(block)
    except MalformedPayload as exc:
        with pytest.raises(MalformedPayload) as raised:
            split_multipart(data, "b")
        assert raised.value.reason == exc.reason
        return
    (part,) = split_multipart(data, "b")
    assert (part.name, part.filename, part.content_type, part.content_type_params) == expected
    assert data[part.start : part.end] == b"value"


# Limits found by probing the collector as an attacker would (issue 17): each fails on the
# collector as it was, which parsed them all.


def test_too_many_parts_is_refused_before_they_are_classified():
    limits = Limits(max_parts=50)
    fields = [field(f"f{n}", b"v") for n in range(50)]
    assert parse_body(body_of(*fields), BOUNDARY, None, limits).annotations["f49"] == "v"
    assert reason_of(body_of(*fields, field("one_more", b"v")), limits=limits) == "too_many_parts"


def test_too_many_dumps():
    limits = Limits(max_dumps=3)
    dumps = [dump(f"d{n}", b"MDMP") for n in range(3)]
    payload = parse_body(body_of(field("a", b"1"), *dumps), BOUNDARY, None, limits)
    assert sorted(payload.dumps) == ["d0", "d1", "d2"]
    repeated = parse_body(body_of(field("a", b"1"), *dumps, dumps[0]), BOUNDARY, None, limits)
    assert len(repeated.dumps) == 3  # the same name again replaces, it is not one more
    assert reason_of(body_of(field("a", b"1"), *dumps, dump("d3", b"x")), limits=limits) == (
        "too_many_dumps"
    )


def test_one_hundred_thousand_tiny_dumps_stop_at_the_dump_limit():
    body = body_of(field("a", b"1"), *[dump(f"d{n}", b"x") for n in range(100_000)])
    assert reason_of(body) == "too_many_parts"
    assert reason_of(body, limits=Limits(max_parts=200_000)) == "too_many_dumps"


def test_part_header_block_over_its_limit():
    limits = Limits(max_part_header_bytes=200)
    padding = "X-Pad: " + "p" * 100
    fine = body_of(('Content-Disposition: form-data; name="a"\r\n' + padding, b"1"))
    assert parse_body(fine, BOUNDARY, None, limits).annotations == {"a": "1"}
    folded = 'Content-Disposition: form-data; name="a"' + "\r\n x" * 100
    assert reason_of(body_of((folded, b"1")), limits=limits) == "part_headers_too_large"


def test_folded_header_lines_are_joined():
    folded = 'Content-Disposition: form-data;\r\n name="a";\r\n\tfilename="x.dmp"'
    assert part_fields(folded.encode()) == ("a", "x.dmp", "text/plain", {})
    long_fold = "Content-Disposition: form-data" + "\r\n ;x=1" * 2000 + '\r\n ;name="n"'
    assert part_fields(long_fold.encode())[0] == "n"


def test_json_expansion_is_refused_before_it_is_parsed():
    """99 MiB of ``[{},{},...]`` (107 KB gzipped) once took 3 GB and 15 s to accept."""
    expansion = b'{"a":[' + b"{}," * 400_000 + b"{}]}"
    assert reason_of(body_of(json_part(expansion))) == "json_too_many_elements"
    compressed = bytearray(gzip.compress(bytes(body_of(json_part(expansion)))))
    assert reason_of(compressed, "gzip") == "json_too_many_elements"


def test_json_depth_and_size_limits():
    deep = b'{"a":' + b"[" * 40 + b"]" * 40 + b"}"
    assert reason_of(body_of(json_part(deep)), limits=Limits(max_json_depth=32)) == "json_too_deep"
    shallow = b'{"a":' + b"[" * 10 + b"]" * 10 + b"}"
    assert parse_body(body_of(json_part(shallow)), BOUNDARY, None, Limits()).annotations
    big = json.dumps({"a": "x" * 5000}).encode()
    assert (
        reason_of(body_of(json_part(big)), limits=Limits(max_json_bytes=4000)) == "json_too_large"
    )


def test_json_strings_holding_brackets_and_commas_are_not_elements():
    annotations = {f"k{n}": "[{,}]" * 50 for n in range(100)}
    body = body_of(json_part(json.dumps(annotations).encode()))
    limits = Limits(max_json_elements=200, max_json_depth=3)
    assert parse_body(body, BOUNDARY, None, limits).annotations == annotations


def test_oversized_json_values_are_dropped_like_oversized_fields():
    """A 50 MiB string in ``extra`` was stored whole; the same form field was dropped."""
    limits = Limits(max_annotation_bytes=1000)
    annotations = {"ProductName": "Firefox", "Big": "x" * 1001, "Nested": {"k": "y" * 1000},
                   "Fits": "z" * 1000, "Count": 10**30}  # fmt: skip
    payload = parse_body(
        body_of(json_part(json.dumps(annotations).encode())), BOUNDARY, None, limits
    )
    assert payload.annotations == {"ProductName": "Firefox", "Fits": "z" * 1000, "Count": 10**30}
    assert payload.notes == [
        NOTE_JSON_VALUE_TOO_LARGE + "Big",
        NOTE_JSON_VALUE_TOO_LARGE + "Nested",
    ]


def test_multibyte_json_values_are_measured_in_bytes():
    limits = Limits(max_annotation_bytes=10)
    body = body_of(json_part(json.dumps({"a": "é" * 6, "b": "é" * 5}).encode()))
    assert parse_body(body, BOUNDARY, None, limits).annotations == {"b": "é" * 5}


def test_parse_deadline_stops_between_parts():
    ticks = iter(range(1000))
    deadline = Deadline(5.0, clock=lambda: float(next(ticks)))
    body = body_of(*[field(f"f{n}", b"v") for n in range(20)])
    with pytest.raises(ParseTimeout):
        parse_body(body, BOUNDARY, None, Limits(), deadline=deadline)
