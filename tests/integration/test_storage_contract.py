"""The crash storage contract, run against every backend with its real server (files, MinIO)."""

from __future__ import annotations

import datetime
import os
import random
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import botocore.config
import pytest

from jansky.crashid import InvalidCrashId, create_crash_id
from jansky.storage import (
    CrashNotFound,
    CrashStorage,
    InvalidDumpName,
    SaveAbandoned,
    StorageError,
    keys,
)
from jansky.storage import s3 as s3_module
from jansky.storage.fs import FilesystemCrashStorage
from jansky.storage.objects import ObjectCrashStorage
from jansky.storage.s3 import S3CrashStorage

BUCKET = "jansky-crashes"
PATH_STYLE = botocore.config.Config(s3={"addressing_style": "path"})
DAY = datetime.datetime(2024, 3, 9, 12, 0, tzinfo=datetime.UTC)
OTHER_DAY = datetime.datetime(2024, 3, 10, 0, 0, 1, tzinfo=datetime.UTC)

RAW_CRASH = {
    "ProductName": "Firefox",
    "Version": "124.0",
    "Comments": '\u00e9t\u00e9 \u2603 \u65e5\u672c\u8a9e \U0001f600 "quoted" \\ back',
    "Notes": "line one\nline two\ttab\x00nul",
    "metadata": {"dump_checksums": {"upload_file_minidump": "abc"}, "list": [1, 2.5, None]},
}
ALL_BYTES = bytes(range(256))
BIG_DUMP = random.Random(7).randbytes(400 * 1024)

DUMP_SETS = {
    "all-byte-values": {"upload_file_minidump": ALL_BYTES},
    "400KB": {"upload_file_minidump": BIG_DUMP},
    "several": {
        "upload_file_minidump": ALL_BYTES,
        "upload_file_minidump_browser": BIG_DUMP,
        "memory_report": b"\x1f\x8b" + ALL_BYTES[::-1],
        "empty.dump": b"",
    },
    "none": {},
}

BAD_IDS = [
    "../x",
    "a/b",
    "DE1BB258-CBBF-4589-A673-34F800160918",
    "de1bb258-cbbf-4589-a673-34f80016091",
    "de1bb258-cbbf-4589-a673-34f8001609180",
    "bp-de1bb258-cbbf-4589-a673-34f800160918",
    "de1bb258-cbbf-4589-a673-34f800160918\n",
    "../../../../../../../../tmp/de1bb258-cbbf-4589-a673-34f800160918",
    "",
    None,
    12,
    b"de1bb258-cbbf-4589-a673-34f800160918",
]


@pytest.fixture(params=["fs", pytest.param("s3", marks=pytest.mark.integration)])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CrashStorage]:
    if request.param == "fs":
        yield FilesystemCrashStorage(tmp_path / "crashes")
        return
    request.getfixturevalue("aws_env")
    s3_storage = S3CrashStorage(BUCKET, prefix=f"tests/{uuid.uuid4().hex}")
    yield s3_storage
    for key in stored_keys(s3_storage):
        s3_storage.client.delete_object(Bucket=BUCKET, Key=f"{s3_storage.prefix}/{key}")


@pytest.fixture
def unhealthy_storage(storage: CrashStorage, tmp_path: Path) -> ObjectCrashStorage:
    """The same backend pointed at a place that cannot hold crashes."""
    if isinstance(storage, FilesystemCrashStorage):
        root = tmp_path / "a-file"
        root.write_text("not a directory")
        return FilesystemCrashStorage(root)
    return S3CrashStorage(f"jansky-missing-{uuid.uuid4().hex[:12]}")


def stored_keys(storage: CrashStorage) -> set[str]:
    """Every key stored, read directly from the server rather than through the backend."""
    if isinstance(storage, FilesystemCrashStorage):
        return {
            str(path.relative_to(storage.root))
            for path in storage.root.rglob("*")
            if not path.is_dir()
        }
    assert isinstance(storage, S3CrashStorage)
    client = boto3.session.Session().client("s3", config=PATH_STYLE)
    prefix = storage.prefix + "/"
    found = set()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        found.update(item["Key"][len(prefix) :] for item in page.get("Contents", []))
    return found


def read_object(storage: CrashStorage, key: str) -> bytes:
    """One stored object, read directly from the server."""
    if isinstance(storage, FilesystemCrashStorage):
        return (storage.root / key).read_bytes()
    assert isinstance(storage, S3CrashStorage)
    response = (
        boto3.session.Session()
        .client("s3", config=PATH_STYLE)
        .get_object(Bucket=BUCKET, Key=f"{storage.prefix}/{key}")
    )
    return response["Body"].read()


def crash_key_set(crash_id: str, dump_names: list[str], processed: bool = False) -> set[str]:
    date = "20" + crash_id[-6:]
    found = {f"v1/raw_crash/{date}/{crash_id}", f"v1/dump_names/{crash_id}"}
    for name in dump_names:
        found.add(f"v1/{'dump' if name == 'upload_file_minidump' else name}/{crash_id}")
    if processed:
        found.add(f"v1/processed_crash/{crash_id}")
    return found


@pytest.mark.parametrize("dump_set", DUMP_SETS)
def test_raw_crash_round_trip(storage: CrashStorage, tmp_path: Path, dump_set: str):
    dumps = DUMP_SETS[dump_set]
    crash_id = create_crash_id(DAY)
    storage.save_raw_crash(crash_id, RAW_CRASH, dumps)

    assert storage.load_raw_crash(crash_id) == RAW_CRASH
    assert storage.load_dump_names(crash_id) == sorted(dumps)
    assert storage.load_dumps(crash_id) == dumps

    directory = tmp_path / "work"
    directory.mkdir()
    paths = storage.load_dumps_as_files(crash_id, directory)
    assert {name: path.read_bytes() for name, path in paths.items()} == dumps
    assert {path.name for path in paths.values()} == {
        f"{crash_id}.{name}.TEMPORARY.dump" for name in dumps
    }
    assert {path.parent for path in paths.values()} <= {directory}

    # Every backend stores Socorro's keys and formats.
    assert stored_keys(storage) == crash_key_set(crash_id, list(dumps))
    raw_key = f"v1/raw_crash/20240309/{crash_id}"
    assert read_object(storage, raw_key) == keys.encode_raw_crash(RAW_CRASH)
    assert read_object(storage, raw_key).isascii()
    assert read_object(storage, f"v1/dump_names/{crash_id}") == keys.encode_dump_names(dumps)


def test_main_dump_under_its_other_names(storage: CrashStorage):
    crash_id = create_crash_id(DAY)
    storage.save_raw_crash(crash_id, {}, {"": b"MDMP", "x": b"other"})
    assert read_object(storage, f"v1/dump/{crash_id}") == b"MDMP"
    assert storage.load_dumps(crash_id) == {"upload_file_minidump": b"MDMP", "x": b"other"}


def test_load_one_dump(storage: CrashStorage):
    crash_id = create_crash_id(DAY)
    storage.save_raw_crash(crash_id, {}, {"upload_file_minidump": b"MDMP", "x": b"other"})
    assert storage.load_dump(crash_id, "upload_file_minidump") == b"MDMP"
    assert storage.load_dump(crash_id, "x") == b"other"
    with pytest.raises(CrashNotFound, match="dump 'absent'"):
        storage.load_dump(crash_id, "absent")
    with pytest.raises(CrashNotFound):
        storage.load_dump(create_crash_id(DAY), "upload_file_minidump")


def test_saving_again_replaces_the_raw_crash(storage: CrashStorage):
    crash_id = create_crash_id(DAY)
    storage.save_raw_crash(crash_id, {"a": "1"}, {"upload_file_minidump": b"one"})
    storage.save_raw_crash(crash_id, {"b": "2"}, {"upload_file_minidump": b"two"})
    assert storage.load_raw_crash(crash_id) == {"b": "2"}
    assert storage.load_dumps(crash_id) == {"upload_file_minidump": b"two"}


def test_raw_crash_is_written_last(storage: CrashStorage, monkeypatch: pytest.MonkeyPatch):
    crash_id = create_crash_id(DAY)
    batches: list[list[str]] = []
    put_many = storage._put_many

    def recording_put_many(objects: list[tuple[str, bytes]]) -> None:
        put_many(objects)  # recorded once stored: a batch is durable when the call returns
        batches.append([key for key, _data in objects])

    monkeypatch.setattr(storage, "_put_many", recording_put_many)
    storage.save_raw_crash(crash_id, RAW_CRASH, DUMP_SETS["several"])
    assert batches[-1] == [f"v1/raw_crash/20240309/{crash_id}"]
    earlier = [key for batch in batches[:-1] for key in batch]
    assert f"v1/dump_names/{crash_id}" in earlier
    assert set(earlier) | set(batches[-1]) == crash_key_set(crash_id, list(DUMP_SETS["several"]))


def test_a_failed_save_leaves_no_raw_crash(storage: CrashStorage, monkeypatch: pytest.MonkeyPatch):
    crash_id = create_crash_id(DAY)
    put_many = storage._put_many

    def failing_put_many(objects: list[tuple[str, bytes]]) -> None:
        failing = f"v1/memory_report/{crash_id}"
        if any(key == failing for key, _data in objects):
            put_many([(key, data) for key, data in objects if key != failing])
            raise StorageError(f"{failing}: disk on fire")
        put_many(objects)

    monkeypatch.setattr(storage, "_put_many", failing_put_many)
    with pytest.raises(StorageError, match="disk on fire"):
        storage.save_raw_crash(crash_id, RAW_CRASH, DUMP_SETS["several"])

    # what the failed save had written is gone too: nothing would ever find it to delete it
    assert stored_keys(storage) == set()
    with pytest.raises(CrashNotFound):
        storage.load_raw_crash(crash_id)
    assert list(storage.list_crash_ids(DAY.date())) == []


def test_an_abandoned_save_leaves_nothing(storage: CrashStorage, monkeypatch: pytest.MonkeyPatch):
    """The collector gave up waiting (``cancel``) while the dumps were being written."""
    crash_id, kept_id = create_crash_id(DAY), create_crash_id(DAY)
    storage.save_raw_crash(kept_id, RAW_CRASH, DUMP_SETS["several"])
    cancel = threading.Event()
    put_many = storage._put_many

    def put_many_then_give_up(objects: list[tuple[str, bytes]]) -> None:
        put_many(objects)
        cancel.set()

    monkeypatch.setattr(storage, "_put_many", put_many_then_give_up)
    with pytest.raises(SaveAbandoned):
        storage.save_raw_crash(crash_id, RAW_CRASH, DUMP_SETS["several"], cancel=cancel)
    assert stored_keys(storage) == crash_key_set(kept_id, list(DUMP_SETS["several"]))
    # a crash saved before under the same id keeps its dumps when a second save is given up
    cancel.clear()
    with pytest.raises(SaveAbandoned):
        storage.save_raw_crash(kept_id, RAW_CRASH, DUMP_SETS["several"], cancel=cancel)
    assert storage.load_dumps(kept_id) == DUMP_SETS["several"]


def test_unstorable_input_writes_nothing(storage: CrashStorage):
    crash_id = create_crash_id(DAY)
    with pytest.raises(InvalidDumpName):
        storage.save_raw_crash(crash_id, RAW_CRASH, {"upload_file_minidump": b"x", "../x": b"y"})
    with pytest.raises(InvalidDumpName):
        storage.save_raw_crash(crash_id, RAW_CRASH, {"processed_crash": b"y"})
    with pytest.raises(keys.CrashDataError):
        storage.save_raw_crash(crash_id, {"x": object()}, {"upload_file_minidump": b"x"})
    with pytest.raises(TypeError):
        storage.save_raw_crash(crash_id, RAW_CRASH, {"upload_file_minidump": "text"})
    with pytest.raises(keys.CrashDataError):
        storage.save_processed_crash(crash_id, {"x": object()})
    assert stored_keys(storage) == set()


def test_missing_crash(storage: CrashStorage, tmp_path: Path):
    crash_id = create_crash_id(DAY)
    loads = [
        storage.load_raw_crash,
        storage.load_dump_names,
        storage.load_dumps,
        storage.load_processed_crash,
        lambda crash_id: storage.load_dumps_as_files(crash_id, tmp_path),
    ]
    for load in loads:
        with pytest.raises(CrashNotFound) as info:
            load(crash_id)
        assert info.value.crash_id == crash_id
        assert crash_id in str(info.value)


def test_missing_processed_crash(storage: CrashStorage):
    crash_id = create_crash_id(DAY)
    storage.save_raw_crash(crash_id, RAW_CRASH, {})
    with pytest.raises(CrashNotFound, match="processed crash"):
        storage.load_processed_crash(crash_id)


def test_processed_crash_round_trip_and_overwrite(storage: CrashStorage):
    crash_id = create_crash_id(DAY)
    processed = {
        "uuid": crash_id,
        "signature": "OOM | small \u2603",
        "date_processed": datetime.datetime(2024, 3, 9, 12, 30, tzinfo=datetime.UTC),
        "json_dump": {"threads": [{"frames": [{"offset": "0x1"}]}]},
    }
    storage.save_processed_crash(crash_id, processed)
    assert storage.load_processed_crash(crash_id) == {
        **processed,
        "date_processed": "2024-03-09T12:30:00+00:00",
    }
    storage.save_processed_crash(crash_id, {"uuid": crash_id, "signature": "second"})
    assert storage.load_processed_crash(crash_id) == {"uuid": crash_id, "signature": "second"}
    assert stored_keys(storage) == {f"v1/processed_crash/{crash_id}"}


def test_list_crash_ids_for_a_date(storage: CrashStorage):
    day_ids = sorted(create_crash_id(DAY) for _ in range(5))
    other_id = create_crash_id(OTHER_DAY)
    for crash_id in [*day_ids, other_id]:
        storage.save_raw_crash(crash_id, {"n": crash_id}, {})
    storage.save_processed_crash(create_crash_id(DAY), {"only": "processed"})

    assert sorted(storage.list_crash_ids(DAY.date())) == day_ids
    assert list(storage.list_crash_ids(OTHER_DAY.date())) == [other_id]
    assert list(storage.list_crash_ids(datetime.date(2024, 3, 11))) == []


def test_list_crash_ids_by_prefix(storage: CrashStorage):
    day_ids = sorted(create_crash_id(DAY) for _ in range(40))
    for crash_id in day_ids:
        storage.save_raw_crash(crash_id, {"n": crash_id}, {})

    digits = storage.listing_prefix_digits
    prefixes = {crash_id[:digits] for crash_id in day_ids}
    listed = [list(storage.list_crash_ids(DAY.date(), prefix)) for prefix in sorted(prefixes)]
    assert sorted(crash_id for part in listed for crash_id in part) == day_ids
    for part in listed:
        assert len({crash_id[:digits] for crash_id in part}) == 1
    first = day_ids[0]
    assert list(storage.list_crash_ids(DAY.date(), first[:8])) == [
        crash_id for crash_id in day_ids if crash_id.startswith(first[:8])
    ]
    for bad in ("G", "../", "ABC", "0" * 9, "a/b", None):
        with pytest.raises(ValueError, match="invalid crash id prefix"):
            list(storage.list_crash_ids(DAY.date(), bad))


def test_list_crash_dates_and_prune(storage: CrashStorage):
    assert list(storage.list_crash_dates()) == []
    crash_ids = [create_crash_id(OTHER_DAY), create_crash_id(DAY), create_crash_id(DAY)]
    for crash_id in crash_ids:
        storage.save_raw_crash(crash_id, {"n": crash_id}, {})
    storage.save_processed_crash(create_crash_id(datetime.datetime(2024, 1, 2)), {"a": 1})

    assert list(storage.list_crash_dates()) == [DAY.date(), OTHER_DAY.date()]
    storage.prune_date(DAY.date())  # crashes are still filed under it: nothing changes
    assert list(storage.list_crash_dates()) == [DAY.date(), OTHER_DAY.date()]
    for crash_id in crash_ids[1:]:
        storage.delete_crash(crash_id)
    storage.prune_date(DAY.date())
    storage.prune_date(datetime.date(2020, 1, 1))
    assert list(storage.list_crash_dates()) == [OTHER_DAY.date()]
    storage.save_raw_crash(crash_ids[1], {"n": "again"}, {})  # a pruned date fills again
    assert list(storage.list_crash_ids(DAY.date())) == [crash_ids[1]]


def test_has_processed_crash(storage: CrashStorage):
    crash_id = create_crash_id(DAY)
    storage.save_raw_crash(crash_id, RAW_CRASH, {})
    assert not storage.has_processed_crash(crash_id)
    storage.save_processed_crash(crash_id, {"uuid": crash_id})
    assert storage.has_processed_crash(crash_id)
    storage.delete_crash(crash_id)
    assert not storage.has_processed_crash(crash_id)


def test_delete_crash(storage: CrashStorage):
    crash_id, kept_id = create_crash_id(DAY), create_crash_id(DAY)
    for each in (crash_id, kept_id):
        storage.save_raw_crash(each, RAW_CRASH, DUMP_SETS["several"])
        storage.save_processed_crash(each, {"uuid": each})

    storage.delete_crash(crash_id)

    for load in (storage.load_raw_crash, storage.load_dumps, storage.load_processed_crash):
        with pytest.raises(CrashNotFound):
            load(crash_id)
    assert list(storage.list_crash_ids(DAY.date())) == [kept_id]
    assert stored_keys(storage) == crash_key_set(kept_id, list(DUMP_SETS["several"]), True)
    storage.delete_crash(crash_id)
    storage.delete_crash(create_crash_id(DAY))
    assert storage.load_dumps(kept_id) == DUMP_SETS["several"]


def test_delete_crashes_in_batches(storage: CrashStorage, monkeypatch: pytest.MonkeyPatch):
    # S3 sends three keys per DeleteObjects here, so the batches are split many times over
    monkeypatch.setattr(s3_module, "DELETE_BATCH", 3)
    doomed = [create_crash_id(DAY) for _ in range(4)]
    kept = [create_crash_id(DAY), create_crash_id(OTHER_DAY)]
    for crash_id in doomed[1:] + kept:
        storage.save_raw_crash(crash_id, RAW_CRASH, DUMP_SETS["several"])
    storage.save_raw_crash(doomed[0], RAW_CRASH, {})  # a crash without dumps
    storage.save_processed_crash(doomed[1], {"uuid": doomed[1]})

    storage.delete_crashes([*doomed, create_crash_id(DAY)])  # an absent crash is no error

    expected = set().union(*(crash_key_set(each, list(DUMP_SETS["several"])) for each in kept))
    assert stored_keys(storage) == expected
    storage.delete_crashes([])
    assert list(storage.list_crash_ids(DAY.date())) == [kept[0]]


def test_concurrent_savers_and_loaders(storage: CrashStorage):
    shared_id = create_crash_id(DAY)
    versions = [
        (
            {"version": str(n), "pad": "\u00e9" * 5000 * n},
            {"upload_file_minidump": bytes([n]) * 50000},
        )
        for n in range(1, 4)
    ]
    storage.save_raw_crash(shared_id, *versions[0])
    stop = threading.Event()

    def rewrite_shared() -> int:
        count = 0
        while not stop.is_set():
            storage.save_raw_crash(shared_id, *versions[count % len(versions)])
            count += 1
        return count

    def read_shared(_: int) -> None:
        raw_crash = storage.load_raw_crash(shared_id)
        assert raw_crash in [raw for raw, _dumps in versions]
        dump = storage.load_dumps(shared_id)["upload_file_minidump"]
        assert dump in [dumps["upload_file_minidump"] for _raw, dumps in versions]

    def save_and_load(n: int) -> str:
        crash_id = create_crash_id(DAY)
        dumps = {"upload_file_minidump": os.urandom(1000 + n), f"extra{n % 3}": bytes([n % 256])}
        storage.save_raw_crash(crash_id, {"n": str(n)}, dumps)
        storage.save_processed_crash(crash_id, {"n": n})
        assert storage.load_raw_crash(crash_id) == {"n": str(n)}
        assert storage.load_dumps(crash_id) == dumps
        assert storage.load_processed_crash(crash_id) == {"n": n}
        return crash_id

    with ThreadPoolExecutor(max_workers=8) as pool:
        writers = [pool.submit(rewrite_shared) for _ in range(2)]
        saved = list(pool.map(save_and_load, range(40)))
        list(pool.map(read_shared, range(40)))
        stop.set()
        assert all(writer.result() > 0 for writer in writers)

    assert sorted(storage.list_crash_ids(DAY.date())) == sorted([shared_id, *saved])


@pytest.mark.parametrize("bad_id", BAD_IDS, ids=repr)
def test_every_method_rejects_invalid_crash_ids(
    storage: CrashStorage, tmp_path: Path, bad_id: object
):
    work = tmp_path / "work"
    work.mkdir()
    calls = [
        lambda: storage.save_raw_crash(bad_id, RAW_CRASH, {"upload_file_minidump": b"x"}),
        lambda: storage.save_raw_crash(bad_id, RAW_CRASH, {}),
        lambda: storage.load_raw_crash(bad_id),
        lambda: storage.load_dump_names(bad_id),
        lambda: storage.load_dumps(bad_id),
        lambda: storage.load_dumps_as_files(bad_id, work),
        lambda: storage.save_processed_crash(bad_id, {"uuid": "x"}),
        lambda: storage.load_processed_crash(bad_id),
        lambda: storage.delete_crash(bad_id),
        lambda: storage.has_processed_crash(bad_id),
    ]
    for call in calls:
        with pytest.raises(InvalidCrashId, match="invalid crash id"):
            call()
    assert stored_keys(storage) == set()
    assert list(work.iterdir()) == []
    assert sorted(path.name for path in tmp_path.iterdir()) in (["work"], ["crashes", "work"])


def test_check_health(storage: CrashStorage):
    storage.check_health()
    assert stored_keys(storage) == set()


def test_check_health_fails_clearly(unhealthy_storage: ObjectCrashStorage):
    location = unhealthy_storage.describe()
    with pytest.raises(StorageError, match=location.split("://")[1]) as info:
        unhealthy_storage.check_health()
    assert "Not a directory" in str(info.value) or "create the bucket first" in str(info.value)
