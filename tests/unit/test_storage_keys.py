"""The storage key layout, dump-name rules and JSON formats."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jansky.crashid import InvalidCrashId
from jansky.storage import keys

SAFE_PART = re.compile(r"[A-Za-z0-9_.-]+")
CRASH_ID = "de1bb258-cbbf-4589-a673-34f800160918"


def test_keys_follow_socorro_layout():
    assert keys.raw_crash_key(CRASH_ID) == f"v1/raw_crash/20160918/{CRASH_ID}"
    assert keys.dump_names_key(CRASH_ID) == f"v1/dump_names/{CRASH_ID}"
    assert keys.processed_crash_key(CRASH_ID) == f"v1/processed_crash/{CRASH_ID}"
    assert keys.dump_key(CRASH_ID, "memory_report") == f"v1/memory_report/{CRASH_ID}"
    assert keys.raw_crash_prefix(datetime.date(2016, 9, 18)) == "v1/raw_crash/20160918/"


@pytest.mark.parametrize("name", ["upload_file_minidump", "", None])
def test_main_dump_is_stored_as_dump(name):
    assert keys.dump_key(CRASH_ID, name) == f"v1/dump/{CRASH_ID}"
    assert keys.dump_file_name(CRASH_ID, name) == (
        f"{CRASH_ID}.upload_file_minidump.TEMPORARY.dump"
    )


def test_dump_file_name():
    assert keys.dump_file_name(CRASH_ID, "upload_file_minidump_browser") == (
        f"{CRASH_ID}.upload_file_minidump_browser.TEMPORARY.dump"
    )


def test_crash_keys_start_with_raw_crash():
    assert keys.crash_keys(CRASH_ID, ["upload_file_minidump", "x"]) == [
        f"v1/raw_crash/20160918/{CRASH_ID}",
        f"v1/dump/{CRASH_ID}",
        f"v1/x/{CRASH_ID}",
        f"v1/dump_names/{CRASH_ID}",
        f"v1/processed_crash/{CRASH_ID}",
    ]


@pytest.mark.parametrize(
    "name",
    [
        "upload_file_minidump_flash1",
        "memory_report",
        "a.b-c_D9",
        "x" * keys.MAX_DUMP_NAME_LENGTH,
    ],
)
def test_valid_dump_names(name):
    assert keys.validate_dump_name(name) == name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty"),
        ("a/b", "only letters"),
        ("a\\b", "only letters"),
        ("..", "must not start with '.'"),
        (".hidden", "must not start with '.'"),
        ("a..b", "'..'"),
        ("caf\u00e9", "only letters"),
        ("a b", "only letters"),
        ("a\x00b", "only letters"),
        ("a\n", "only letters"),
        ("processed_crash", "reserved"),
        ("raw_crash", "reserved"),
        ("dump_names", "reserved"),
        ("dump", "reserved"),
        ("x" * (keys.MAX_DUMP_NAME_LENGTH + 1), "longer than"),
        (3, "expected a string"),
    ],
)
def test_invalid_dump_names(name, reason):
    with pytest.raises(keys.InvalidDumpName, match=reason):
        keys.validate_dump_name(name)


def test_two_names_for_the_main_dump_are_rejected():
    with pytest.raises(keys.InvalidDumpName, match="same dump"):
        keys.normalize_dump_names(["upload_file_minidump", ""])


@pytest.mark.parametrize(
    "bad_id",
    [
        "../x",
        "a/b",
        CRASH_ID.upper(),
        CRASH_ID[:-1],
        CRASH_ID + "\n",
        "bp-" + CRASH_ID,
        CRASH_ID[:-6] + "991399",
        None,
        3,
    ],
)
def test_every_key_validates_the_crash_id(bad_id):
    for build in (keys.raw_crash_key, keys.dump_names_key, keys.processed_crash_key):
        with pytest.raises(InvalidCrashId):
            build(bad_id)
    with pytest.raises(InvalidCrashId):
        keys.dump_key(bad_id, "upload_file_minidump")
    with pytest.raises(InvalidCrashId):
        keys.dump_file_name(bad_id, "upload_file_minidump")


def test_an_impossible_date_never_becomes_a_storage_path():
    """``20`` + an impossible ``YYMMDD`` would be a date folder no daily listing ever reaches."""
    impossible = CRASH_ID[:-6] + "991399"
    with pytest.raises(InvalidCrashId, match="991399 is not a real date"):
        keys.raw_crash_key(impossible)
    assert not keys.is_storable_crash_id(impossible)


def test_raw_crash_json_is_sorted_ascii_utf8():
    data = keys.encode_raw_crash({"b": "\u00e9\u2603", "a": "1"})
    assert data == b'{"a": "1", "b": "\\u00e9\\u2603"}'
    assert keys.decode_raw_crash(data) == {"a": "1", "b": "\u00e9\u2603"}


def test_processed_crash_json_has_iso_dates_and_sorted_keys():
    when = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.UTC)
    data = keys.encode_processed_crash({"z": 1, "date_processed": when, "day": when.date()})
    assert list(json.loads(data)) == ["date_processed", "day", "z"]
    assert keys.decode_processed_crash(data) == {
        "date_processed": "2024-05-06T07:08:09+00:00",
        "day": "2024-05-06",
        "z": 1,
    }


def test_processed_crash_json_is_compact_ascii_and_finite():
    data = keys.encode_processed_crash({"b": "\u00e9", "a": [1, float("nan")]})
    assert data == b'{"a":[1,null],"b":"\\u00e9"}'


def test_unstorable_processed_crash_is_a_clear_error():
    with pytest.raises(keys.CrashDataError, match="processed crash cannot be stored as JSON"):
        keys.encode_processed_crash({"x": object()})


@pytest.mark.parametrize(
    "value", [{"x": float("nan")}, {"x": object()}, {"x": datetime.date(2024, 1, 1)}]
)
def test_unstorable_raw_crash_is_a_clear_error(value):
    with pytest.raises(keys.CrashDataError, match="raw crash cannot be stored as JSON"):
        keys.encode_raw_crash(value)


@pytest.mark.parametrize("data", [b"[1]", b"\xff", b"{", b'"text"'])
def test_stored_crash_that_is_not_an_object_is_an_error(data):
    with pytest.raises(keys.CrashDataError):
        keys.decode_raw_crash(data)
    with pytest.raises(keys.CrashDataError):
        keys.decode_processed_crash(data)


def test_dump_names_json():
    assert keys.encode_dump_names([]) == b"[]"
    assert keys.encode_dump_names(["b", None, "a"]) == b'["a", "b", "upload_file_minidump"]'


@pytest.mark.parametrize(
    ("stored", "names"),
    [
        (b"[]", []),
        (b'["dump", "x"]', ["upload_file_minidump", "x"]),
        (b'["", "upload_file_minidump"]', ["upload_file_minidump"]),
    ],
)
def test_stored_dump_names_are_normalized(stored, names):
    assert keys.decode_dump_names(stored) == names


@pytest.mark.parametrize("stored", [b"{}", b'["../x"]', b"[1]", b"nope"])
def test_unusable_stored_dump_names(stored):
    with pytest.raises(keys.CrashDataError):
        keys.decode_dump_names(stored)


def _stays_under_root(key: str) -> bool:
    """Whether ``key`` joined to a root can only name a plain file below that root."""
    parts = key.split("/")
    return (
        parts[0] == "v1"
        and len(parts) >= 3
        and all(SAFE_PART.fullmatch(part) and not part.startswith(".") for part in parts)
        and not PurePosixPath(key).is_absolute()
    )


@given(name=st.one_of(st.text(), st.text(alphabet="./\\-_aZ9\x00"), st.none()))
def test_hostile_dump_names_never_escape_the_root(name):
    try:
        key = keys.dump_key(CRASH_ID, name)
    except keys.InvalidDumpName:
        return
    assert _stays_under_root(key)
    assert key.split("/")[1] not in {"raw_crash", "dump_names", "processed_crash"}
    assert "/" not in keys.dump_file_name(CRASH_ID, name)


CRASH_ID_SHAPE = r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{6}[0-9]{6}"


@given(
    crash_id=st.one_of(
        st.text(),
        st.text(alphabet="0123456789abcdef-./\n"),
        st.from_regex(CRASH_ID_SHAPE),
        st.from_regex(CRASH_ID_SHAPE, fullmatch=True),
        st.binary(),
    )
)
def test_hostile_crash_ids_never_escape_the_root(crash_id):
    for build in (keys.raw_crash_key, keys.dump_names_key, keys.processed_crash_key):
        try:
            key = build(crash_id)
        except InvalidCrashId:
            continue
        assert _stays_under_root(key)
        assert key.endswith("/" + crash_id)
