"""Property-based tests: hostile bodies never cause a 500, a store or an undocumented answer."""

from __future__ import annotations

import gzip
import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antenna.client import encode_report
from antenna.payload import Limits, parse_body
from tests.unit.collector.test_app import Collector

MALFORMED_REASONS = {
    "no_content_type",
    "wrong_content_type",
    "no_boundary",
    "no_content_length",
    "bad_gzip",
    "invalid_json",
    "invalid_json_value",
    "invalid_dump_name",
    "invalid_payload_structure",
    "no_annotations",
    "too_many_parts",
    "too_many_dumps",
    "part_headers_too_large",
    "json_too_large",
    "json_too_deep",
    "json_too_many_elements",
}
ANSWER = re.compile(
    r"^(CrashID=bp-[0-9a-f-]{36}\n|Discarded=malformed_([a-z_]+)|Discarded=too_large)$"
)
LIMITS = {"COLLECTOR_MAX_BODY_BYTES": "200000", "COLLECTOR_MAX_DECOMPRESSED_BYTES": "400000"}
COLLECTOR = Collector(env=LIMITS)
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Names a client might send: any text without line breaks (they would end the header).
names = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), min_size=1, max_size=40
)
values = st.text(max_size=200)
dump_bytes = st.binary(max_size=2000)


def post(body: bytes, headers: dict[str, str]):
    before = COLLECTOR.storage.save_calls
    response = COLLECTOR.client.simulate_post("/submit", body=body, headers=headers)
    saved = COLLECTOR.storage.save_calls - before
    return response, saved


def check_answer(response, saved: int) -> None:
    assert response.status_code in (200, 400, 413), response.status_code
    match = ANSWER.match(response.text)
    assert match, response.text
    if match.group(2):
        assert match.group(2) in MALFORMED_REASONS
    if response.status_code != 200:
        assert saved == 0
    else:
        crash_id = response.text[len("CrashID=bp-") : -1]
        raw = COLLECTOR.storage.raw[crash_id]
        json.dumps(raw, allow_nan=False)  # the stored raw crash is strict JSON


@SETTINGS
@given(
    body=st.binary(max_size=5000),
    boundary=st.sampled_from(["x", "b0und", "--", "a b"]),
    encoding=st.sampled_from([None, "gzip", "x-gzip", "deflate"]),
)
def test_random_bodies(body, boundary, encoding):
    headers = {"Content-Type": f'multipart/form-data; boundary="{boundary}"'}
    if encoding:
        headers["Content-Encoding"] = encoding
    check_answer(*post(body, headers))


@SETTINGS
@given(
    annotations=st.dictionaries(names, values, max_size=8),
    dumps=st.dictionaries(names, dump_bytes, max_size=4),
    json_extra=st.booleans(),
    compress=st.booleans(),
    cut=st.one_of(st.none(), st.integers(min_value=0)),
    flip=st.one_of(st.none(), st.tuples(st.integers(min_value=0), st.integers(1, 255))),
)
def test_mutated_reports(annotations, dumps, json_extra, compress, cut, flip):
    report = encode_report(annotations, dumps, json_extra=json_extra, compress=compress)
    body = bytearray(report.body)
    if cut is not None:
        del body[cut % (len(body) + 1) :]
    if flip is not None and body:
        position, mask = flip
        body[position % len(body)] ^= mask
    headers = {k: v for k, v in report.headers.items() if k != "Content-Length"}
    check_answer(*post(bytes(body), headers))


@SETTINGS
@given(
    annotations=st.dictionaries(names, values, min_size=1, max_size=8),
    dumps=st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,29}", fullmatch=True), dump_bytes, max_size=4
    ),
    json_extra=st.booleans(),
)
def test_well_formed_reports_round_trip(annotations, dumps, json_extra):
    dumps = {
        name: data
        for name, data in dumps.items()
        if name not in {"dump", "dump_names", "raw_crash", "processed_crash"}
    }
    report = encode_report(annotations, dumps, json_extra=json_extra, boundary="zz-boundary-zz")
    payload = parse_body(bytearray(report.body), "zz-boundary-zz", None, Limits())
    assert payload.annotations == annotations
    assert payload.dumps == dumps


@settings(max_examples=10, deadline=None)
@given(count=st.integers(1000, 20000), named=st.booleans())
def test_huge_part_counts(count, named):
    disposition = b'Content-Disposition: form-data; name="a"' if named else b"X-Other: 1"
    part = b"--x\r\n" + disposition + b"\r\n\r\n1\r\n"
    body = part * count + b"--x--\r\n"
    check_answer(*post(body[:200000], {"Content-Type": "multipart/form-data; boundary=x"}))


@settings(max_examples=5, deadline=None)
@given(size=st.integers(400_001, 5_000_000))
def test_gzip_bombs_are_413(size):
    report = encode_report({"A": "1"}, {"upload_file_minidump": b"\0" * size}, compress=True)
    response, saved = post(report.body, report.headers)
    assert (response.status_code, response.text, saved) == (413, "Discarded=too_large", 0)


@SETTINGS
@given(value=st.binary(min_size=1, max_size=50).filter(lambda b: not _is_utf8(b)))
def test_invalid_utf8_values_are_dropped_not_fatal(value):
    body = (
        b'--x\r\nContent-Disposition: form-data; name="Good"\r\n\r\nyes\r\n'
        b'--x\r\nContent-Disposition: form-data; name="Bad"\r\n\r\n' + value + b"\r\n--x--\r\n"
    )
    response, _ = post(body, {"Content-Type": "multipart/form-data; boundary=x"})
    check_answer(response, 1)
    raw = COLLECTOR.storage.raw[response.text[len("CrashID=bp-") : -1]]
    assert "Bad" not in raw and raw["Good"] == "yes"


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_compressed_junk_is_bad_gzip():
    response, saved = post(
        gzip.compress(b"x")[:-3],
        {"Content-Type": "multipart/form-data; boundary=x", "Content-Encoding": "gzip"},
    )
    assert (response.status_code, response.text, saved) == (400, "Discarded=malformed_bad_gzip", 0)
