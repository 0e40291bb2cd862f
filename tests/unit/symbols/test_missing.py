"""Missing-symbol records in the search index: terms, ranking, crashes to heal, the CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from jansky.crashid import create_crash_id
from jansky.schemas import ANONYMOUS
from jansky.search.sqlite.backend import SqliteSearch
from jansky.symbols import missing
from jansky.symbols.layout import symbol_key
from tests.unit.symbols.conftest import TEST_APP_ID

NOW = datetime.now(UTC).replace(microsecond=0)
APP = "test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.exe/45d35f6c2d000"
KERNEL = "kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.dll/44ab9a84f4000"


@pytest.fixture
def search(tmp_path):
    backend = SqliteSearch(tmp_path / "search.db")
    yield lambda params: backend.search(params, ANONYMOUS, now=NOW)
    backend.close()


def index(tmp_path, crashes):
    backend = SqliteSearch(tmp_path / "search.db")
    ids = []
    for when, modules, product in crashes:
        crash_id = create_crash_id(when)
        backend.index_crash(
            crash_id,
            {
                "uuid": crash_id,
                "date_processed": when.isoformat(),
                "product": product,
                "signature": "sig",
                missing.FIELD: modules,
            },
        )
        ids.append(crash_id)
    backend.close()
    return ids


def test_module_terms_name_debug_file_and_id_then_code_file_and_id():
    module = {
        "filename": "test_app.exe",
        "debug_file": "c:\\build\\test_app.pdb",
        "debug_id": "5a9832e5287241c1838ed98914e9b7ff1",
        "code_id": "45d35f6c2d000",
    }
    assert missing.module_term(module) == APP
    parsed = missing.parse_term(APP, 3)
    assert parsed.key == symbol_key("test_app.pdb", TEST_APP_ID)
    assert (parsed.code_file, parsed.code_id, parsed.crashes) == (
        "test_app.exe",
        "45d35f6c2d000",
        3,
    )
    assert missing.module_term({**module, "debug_id": "0" * 33}) is None
    assert missing.module_term({**module, "debug_file": None}) is None
    assert missing.module_term({**module, "code_id": None}).endswith("/test_app.exe/")
    assert missing.parse_term("a/b") is None


def test_modules_are_ranked_by_the_crashes_lacking_them(tmp_path, search):
    hour = timedelta(hours=1)
    index(
        tmp_path,
        [
            (NOW - hour, [APP, KERNEL], "Firefox"),
            (NOW - 2 * hour, [APP], "Firefox"),
            (NOW - 3 * hour, [KERNEL], "Thunderbird"),
            (NOW - 4 * hour, [APP], "Thunderbird"),
            (NOW - 5 * hour, [], "Firefox"),
            (NOW - timedelta(days=10), [KERNEL], "Firefox"),
        ],
    )
    modules, crashes = missing.rank_recent(search, 7, 10, now=NOW)
    assert [(module.term, module.crashes) for module in modules] == [(APP, 3), (KERNEL, 2)]
    assert crashes == 4
    firefox, _ = missing.rank_recent(search, 7, 10, "Firefox", now=NOW)
    assert [(module.term, module.crashes) for module in firefox] == [(APP, 2), (KERNEL, 1)]
    top, _ = missing.rank_recent(search, 7, 1, now=NOW)
    assert [(module.term, module.crashes) for module in top] == [(APP, 3)]
    key = symbol_key("test_app.pdb", TEST_APP_ID)
    assert missing.count_crashes(search, key, NOW - timedelta(days=7), NOW) == 3
    assert missing.code_info(search, key, NOW - timedelta(days=7), NOW) == (
        "test_app.exe",
        "45D35F6C2D000",
    )
    lines = "".join(missing.to_csv(modules)).splitlines()
    assert lines == [
        "debug_file,debug_id,code_file,code_id",
        "test_app.pdb,5A9832E5287241C1838ED98914E9B7FF1,test_app.exe,45d35f6c2d000",
        "kernel32.pdb,BCE8785C57B44245A669896B6A19B9542,kernel32.dll,44ab9a84f4000",
    ]
    assert "".join(missing.to_csv([])) == "debug_file,debug_id,code_file,code_id\n"


def test_crashes_are_walked_newest_first_across_equal_dates(tmp_path, search):
    same = NOW - timedelta(hours=2)
    crashes = [(same, [APP], "Firefox")] * 5 + [
        (NOW - timedelta(hours=hours), [APP], "Firefox") for hours in (1, 3, 4)
    ]
    crashes.append((NOW - timedelta(hours=5), [KERNEL], "Firefox"))
    ids = index(tmp_path, crashes)
    key = symbol_key("test_app.pdb", TEST_APP_ID)
    cursor = missing.CrashCursor(NOW.isoformat(), [])
    walked = []
    while cursor is not None:
        batch, cursor = missing.crashes_lacking(search, key, NOW - timedelta(days=1), cursor, 2)
        assert len(batch) <= 2
        walked += batch
    assert sorted(walked) == sorted(ids[:-1])  # each once, the kernel32-only crash never
    assert walked[0] == ids[5]  # the newest


def test_crashes_healed_meanwhile_do_not_make_the_walk_skip_others(tmp_path, search):
    hours = [1, 2, 3, 4, 5, 6]
    ids = index(tmp_path, [(NOW - timedelta(hours=h), [APP], "Firefox") for h in hours])
    key = symbol_key("test_app.pdb", TEST_APP_ID)
    first, cursor = missing.crashes_lacking(
        search, key, NOW - timedelta(days=1), missing.CrashCursor(NOW.isoformat(), []), 3
    )
    assert first == ids[:3]
    backend = SqliteSearch(tmp_path / "search.db")
    for crash_id, h in zip(first, hours, strict=False):  # reprocessed and healed
        when = NOW - timedelta(hours=h)
        backend.index_crash(
            crash_id, {"uuid": crash_id, "date_processed": when.isoformat(), missing.FIELD: []}
        )
    backend.close()
    rest, cursor = missing.crashes_lacking(search, key, NOW - timedelta(days=1), cursor, 3)
    assert rest == ids[3:]
    assert cursor is None  # a short page: nothing older is left
