"""Crash Stats' symbol server, uploads, history, missing symbols and healing (embedded backends)."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from jansky.crashid import create_crash_id
from jansky.queue import REPROCESSING
from jansky.symbols import missing
from tests.unit.symbols.conftest import (
    LINUX_ID,
    TEST_APP_ID,
    TEST_APP_PATH,
    make_zip,
    small_sym,
)
from tests.unit.webapp.conftest import make_user
from webapp.symbols.healing import Healer, Lease
from webapp.symbols.models import HealingJob, SymbolFile, SymbolUpload

LIBAPP = f"libapp.so/{LINUX_ID}/libapp.so.sym"
APP_TERM = f"test_app.pdb/{TEST_APP_ID}/test_app.exe/45d35f6c2d000"
LIBAPP_CODE_ID = "0123456789ABCDEF0123456789ABCDEF01234567"


@pytest.fixture
def uploader(db) -> User:
    return make_user("uploader", "upload_symbols")


@pytest.fixture
def upload_token(uploader, token_for) -> str:
    return token_for(uploader, "upload_symbols")


@pytest.fixture
def test_app_sym() -> Path:
    from tests.servers import shared_testdata

    return shared_testdata("rust-minidump") / "symbols" / TEST_APP_PATH


def store_root(crash_backends) -> Path:
    return Path(crash_backends.storage.root) / "symbols"


def tree(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def post_zip(client, path: Path, token: str | None = None):
    headers = {"Auth-Token": token} if token else {}
    return client.post(
        "/symbols/upload?filename=up.zip",
        data=path.read_bytes(),
        content_type="application/zip",
        headers=headers,
    )


def index_crash(crash_backends, modules: list[str], hours_ago: float = 1) -> str:
    when = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=hours_ago)
    crash_id = create_crash_id(when)
    crash_backends.search.index_crash(
        crash_id,
        {
            "uuid": crash_id,
            "date_processed": when.isoformat(),
            "product": "Test",
            "signature": "test_app.exe",
            missing.FIELD: modules,
        },
    )
    return crash_id


def queued(crash_backends) -> list[str]:
    messages = crash_backends.queue.receive(REPROCESSING, max_messages=10)
    return sorted(message.body for message in messages)


# ---- who may upload ---------------------------------------------------------------------------


def test_uploads_need_a_token_with_upload_symbols(
    anonymous, make_client, uploader, token_for, hacker, tmp_path, crash_backends
):
    upload = make_zip(tmp_path / "up.zip", {LIBAPP: small_sym()})
    refusals = [
        post_zip(anonymous, upload),
        post_zip(make_client(uploader), upload),  # a session is not enough: a token is needed
        post_zip(anonymous, upload, token_for(uploader)),  # a token without the permission
        post_zip(anonymous, upload, token_for(hacker, "view_pii", "reprocess_crashes")),
    ]
    for response in refusals:
        assert response.status_code == 403
        assert "requires an API token" in response.json()["error"]
        assert "'Upload Symbols' permission" in response.json()["error"]
    response = post_zip(anonymous, upload, "0" * 32)
    assert (response.status_code, response.json()["error"]) == (403, "API Token not matched")
    assert not store_root(crash_backends).exists()
    assert SymbolUpload.objects.count() == 0


def test_a_token_loses_upload_symbols_with_its_owner(anonymous, uploader, upload_token, tmp_path):
    uploader.user_permissions.clear()
    response = post_zip(
        anonymous, make_zip(tmp_path / "up.zip", {LIBAPP: small_sym()}), upload_token
    )
    assert response.status_code == 403


def test_tokens_do_not_open_the_upload_pages(anonymous, upload_token):
    response = anonymous.get("/symbols/uploads/", headers={"Auth-Token": upload_token})
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# ---- uploading --------------------------------------------------------------------------------


def test_a_zip_is_stored_recorded_and_heals(
    anonymous, upload_token, tmp_path, test_app_sym, crash_backends
):
    upload = make_zip(
        tmp_path / "up.zip", {TEST_APP_PATH: test_app_sym.read_bytes(), LIBAPP: small_sym()}
    )
    response = post_zip(anonymous, upload, upload_token)
    assert response.status_code == 201, response.content
    answer = response.json()
    assert (answer["new"], answer["replaced"], answer["unchanged"]) == (2, 0, 0)
    assert answer["url"] == f"http://testserver/symbols/uploads/{answer['id']}/"
    by_path = {f"{item['debug_file']}/{item['debug_id']}": item for item in answer["files"]}
    assert (
        by_path[f"test_app.pdb/{TEST_APP_ID}"]["sha256"]
        == hashlib.sha256(test_app_sym.read_bytes()).hexdigest()
    )
    assert by_path[f"libapp.so/{LINUX_ID}"]["code_id"] == LIBAPP_CODE_ID
    assert tree(store_root(crash_backends)) == {TEST_APP_PATH, LIBAPP}
    assert (store_root(crash_backends) / TEST_APP_PATH).read_bytes() == test_app_sym.read_bytes()
    assert SymbolFile.objects.count() == 2
    assert HealingJob.objects.filter(state=HealingJob.PENDING).count() == 2


def test_uploading_again_is_idempotent_and_changed_files_replace(
    anonymous, upload_token, tmp_path, crash_backends
):
    first = make_zip(tmp_path / "one.zip", {LIBAPP: small_sym()})
    assert post_zip(anonymous, first, upload_token).status_code == 201
    again = post_zip(anonymous, first, upload_token).json()
    assert (again["new"], again["replaced"], again["unchanged"]) == (0, 0, 1)
    assert HealingJob.objects.count() == 1  # nothing new to heal
    changed = make_zip(tmp_path / "two.zip", {LIBAPP: small_sym(extra="INFO GENERATOR x\n")})
    replaced = post_zip(anonymous, changed, upload_token).json()
    assert (replaced["new"], replaced["replaced"], replaced["unchanged"]) == (0, 1, 0)
    assert (store_root(crash_backends) / LIBAPP).read_bytes() == small_sym(
        extra="INFO GENERATOR x\n"
    )
    assert (
        SymbolFile.objects.get().sha256
        == hashlib.sha256(small_sym(extra="INFO GENERATOR x\n")).hexdigest()
    )
    assert HealingJob.objects.count() == 2


def test_a_single_sym_file_as_a_body_or_a_form_field(
    anonymous, upload_token, test_app_sym, crash_backends
):
    response = anonymous.post(
        "/symbols/upload",
        data=small_sym(),
        content_type="text/plain",
        headers={"Auth-Token": upload_token},
    )
    assert response.status_code == 201
    form = {"file": SimpleUploadedFile("test_app.sym", test_app_sym.read_bytes())}
    response = anonymous.post("/symbols/upload", data=form, headers={"Auth-Token": upload_token})
    assert response.status_code == 201, response.content
    assert SymbolUpload.objects.order_by("id").last().file_name == "test_app.sym"
    assert tree(store_root(crash_backends)) == {TEST_APP_PATH, LIBAPP}
    two = {
        "a": SimpleUploadedFile("a.sym", small_sym()),
        "b": SimpleUploadedFile("b.sym", small_sym()),
    }
    response = anonymous.post("/symbols/upload", data=two, headers={"Auth-Token": upload_token})
    assert response.status_code == 400
    assert "holds 2 files" in response.json()["error"]


@pytest.mark.parametrize(
    ("members", "status", "message"),
    [
        ({f"../../{LIBAPP}": small_sym()}, 400, "not a plain relative path"),
        ({f"/tmp/{LINUX_ID}/libapp.so.sym": small_sym()}, 400, "absolute path"),
        ({f"libapp.so/6{LINUX_ID[1:]}/libapp.so.sym": small_sym()}, 400, "MODULE line names"),
        ({LIBAPP: small_sym() + b"\n" * (8 << 20)}, 413, "zip bomb"),
        ({LIBAPP: b"not symbols"}, 400, "MODULE line"),
    ],
    ids=["zip-slip", "absolute", "mismatched-module", "zip-bomb", "not-symbols"],
)
def test_hostile_uploads_are_refused_and_write_nothing(
    anonymous, upload_token, tmp_path, crash_backends, members, status, message
):
    upload = make_zip(tmp_path / "hostile.zip", members)
    before = tree(tmp_path)
    response = post_zip(anonymous, upload, upload_token)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert tree(tmp_path) == before  # nothing in the store, nothing anywhere else
    rejected = SymbolUpload.objects.get()
    assert (rejected.status, message in rejected.error) == (SymbolUpload.REJECTED, True)
    assert HealingJob.objects.count() == 0


@pytest.mark.parametrize("extra", [10_000, 100_000_000], ids=["while-reading", "by-length"])
def test_uploads_over_the_size_limit_are_refused(
    anonymous, upload_token, settings, crash_backends, extra
):
    symbols = settings.JANSKY_SYMBOLS
    limit = 100_000
    settings.JANSKY_SYMBOLS = dataclasses.replace(
        symbols, limits=dataclasses.replace(symbols.limits, max_upload_bytes=limit)
    )
    # Just over the limit, the body is read until it passes it; far over, its length says so.
    big = small_sym() + b"INFO x\n" * ((limit + min(extra, 10 << 20)) // 7)
    response = anonymous.post(
        "/symbols/upload", data=big, content_type="text/plain", headers={"Auth-Token": upload_token}
    )
    assert response.status_code == 413
    assert "over the limit of 100,000 bytes" in response.json()["error"]
    form = {"file": SimpleUploadedFile("big.sym", big)}
    response = anonymous.post("/symbols/upload", data=form, headers={"Auth-Token": upload_token})
    assert response.status_code == 413
    assert "over the limit of 100,000 bytes" in response.json()["error"]
    assert not store_root(crash_backends).exists()
    rejected = SymbolUpload.objects.order_by("id")
    assert [item.status for item in rejected] == ["rejected", "rejected"]
    assert "over the limit" in rejected[0].error


def test_an_empty_upload_is_refused(anonymous, upload_token):
    empty = anonymous.post(
        "/symbols/upload", data=b"", content_type="text/plain", headers={"Auth-Token": upload_token}
    )
    assert (empty.status_code, "empty" in empty.json()["error"]) == (400, True)
    assert SymbolUpload.objects.get().status == "rejected"


# ---- serving ----------------------------------------------------------------------------------


def test_symbol_files_are_served_in_the_breakpad_layout(
    anonymous, upload_token, tmp_path, test_app_sym
):
    post_zip(
        anonymous,
        make_zip(tmp_path / "up.zip", {TEST_APP_PATH: test_app_sym.read_bytes()}),
        upload_token,
    )
    url = f"/symbols/{TEST_APP_PATH}?code_file=test_app.exe&code_id=45D35F6C2d000"
    response = anonymous.get(url)
    assert response.status_code == 200
    assert response["Content-Length"] == str(test_app_sym.stat().st_size)
    assert b"".join(response.streaming_content) == test_app_sym.read_bytes()
    head = anonymous.head(f"/symbols/{TEST_APP_PATH}")
    assert (head.status_code, head["Content-Length"]) == (200, str(test_app_sym.stat().st_size))
    assert (
        anonymous.get(f"/symbols/test_app.pdb/{TEST_APP_ID.lower()}/test_app.sym").status_code
        == 200
    )
    for path in (
        f"test_app.pdb/6{TEST_APP_ID[1:]}/test_app.sym",
        f"test_app.pdb/{TEST_APP_ID}/other.sym",
        f"..%2F..%2Fetc/{TEST_APP_ID}/passwd",
        "a/b/c",
    ):
        assert anonymous.get(f"/symbols/{path}").status_code == 404, path
        assert anonymous.head(f"/symbols/{path}").status_code == 404, path
    assert anonymous.post(f"/symbols/{TEST_APP_PATH}").status_code == 405


def test_lookups_by_code_file_and_id_redirect_to_the_debug_file(anonymous, upload_token, tmp_path):
    post_zip(anonymous, make_zip(tmp_path / "up.zip", {LIBAPP: small_sym()}), upload_token)
    response = anonymous.get(f"/symbols/libapp.so/{LIBAPP_CODE_ID.lower()}/libapp.so.sym")
    assert response.status_code == 302
    assert response["Location"] == f"/symbols/{LIBAPP}"
    assert anonymous.get(f"/symbols/libapp.so/{'1' * 40}/libapp.so.sym").status_code == 404


# ---- history ----------------------------------------------------------------------------------


def test_the_history_shows_ones_own_uploads_and_their_healing(
    make_client, anonymous, uploader, upload_token, token_for, tmp_path, crash_backends
):
    index_crash(crash_backends, [f"libapp.so/{LINUX_ID}/libapp.so/{LIBAPP_CODE_ID}"])
    answer = post_zip(
        anonymous, make_zip(tmp_path / "up.zip", {LIBAPP: small_sym()}), upload_token
    ).json()
    other = make_user("other", "upload_symbols")
    post_zip(
        anonymous,
        make_zip(tmp_path / "bad.zip", {"x.sym": small_sym()}),
        token_for(other, "upload_symbols"),
    )
    Healer(rate=100).step()
    page = make_client(uploader).get("/symbols/uploads/")
    assert page.status_code == 200
    assert b"up.zip" in page.content and b"bad.zip" not in page.content
    assert b"1 of 1 crashes queued (done)" in page.content
    detail = make_client(uploader).get(f"/symbols/uploads/{answer['id']}/")
    assert detail.status_code == 200
    assert b"1 of 1 modules done" in detail.content
    assert f"libapp.so/{LINUX_ID}".encode() in detail.content
    as_json = anonymous.get(f"/symbols/upload/{answer['id']}", headers={"Auth-Token": upload_token})
    assert as_json.json()["healing"] == {
        "modules": 1,
        "modules_done": 1,
        "crashes": 1,
        "queued": 1,
        "finished": True,
    }
    mine = SymbolUpload.objects.get(user=other)
    assert make_client(uploader).get(f"/symbols/uploads/{mine.pk}/").status_code == 403
    assert make_client(other).get("/symbols/uploads/").content.count(b"rejected") == 1
    assert make_client(make_user("nobody")).get("/symbols/uploads/").status_code == 403


# ---- missing symbols --------------------------------------------------------------------------


def test_missing_symbols_are_ranked_in_the_page_the_api_and_the_csv(anonymous, crash_backends):
    kernel = "kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.dll/44ab9a84f4000"
    index_crash(crash_backends, [APP_TERM, kernel])
    index_crash(crash_backends, [APP_TERM])
    api = anonymous.get("/api/MissingSymbols/?days=7").json()
    assert [(hit["debug_file"], hit["crashes"]) for hit in api["hits"]] == [
        ("test_app.pdb", 2),
        ("kernel32.pdb", 1),
    ]
    assert (api["total"], api["crashes"]) == (2, 2)
    assert anonymous.get("/api/MissingSymbols/?days=0").status_code == 400
    page = anonymous.get("/symbols/missing/")
    assert page.status_code == 200 and b"45d35f6c2d000" in page.content
    csv = anonymous.get("/symbols/missing.csv?limit=1")
    assert b"".join(csv.streaming_content).decode().splitlines() == [
        "debug_file,debug_id,code_file,code_id",
        f"test_app.pdb,{TEST_APP_ID},test_app.exe,45d35f6c2d000",
    ]
    assert anonymous.get("/symbols/missing/?days=abc").status_code == 400


# ---- healing ----------------------------------------------------------------------------------


def test_healing_queues_the_crashes_that_lacked_an_uploaded_module(
    anonymous, upload_token, tmp_path, test_app_sym, crash_backends
):
    lacking = [index_crash(crash_backends, [APP_TERM], hours) for hours in (1, 2, 3)]
    index_crash(crash_backends, ["kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/k.dll/1"])
    index_crash(crash_backends, [APP_TERM], hours_ago=24 * 60)  # older than SYMBOLS_HEAL_DAYS
    post_zip(
        anonymous,
        make_zip(tmp_path / "up.zip", {TEST_APP_PATH: test_app_sym.read_bytes()}),
        upload_token,
    )
    assert Healer(rate=100).step() == 3
    assert queued(crash_backends) == sorted(lacking)
    job = HealingJob.objects.get()
    assert (job.state, job.crashes, job.queued) == (HealingJob.DONE, 3, 3)
    # The crashes' code file and id, which the PDB's symbols did not name, are learned.
    row = SymbolFile.objects.get()
    assert (row.code_file, row.code_id) == ("test_app.exe", "45D35F6C2D000")
    response = anonymous.get("/symbols/test_app.exe/45D35F6C2D000/test_app.exe.sym")
    assert (response.status_code, response["Location"]) == (302, f"/symbols/{TEST_APP_PATH}")
    # Symbols replaced by another upload that names no binary either keep what was learned.
    changed = test_app_sym.read_bytes() + b"PUBLIC 1000 0 extra\n"
    answer = post_zip(
        anonymous, make_zip(tmp_path / "again.zip", {TEST_APP_PATH: changed}), upload_token
    ).json()
    assert answer["replaced"] == 1
    assert SymbolFile.objects.get().code_id == "45D35F6C2D000"


def test_healing_keeps_to_its_rate(anonymous, upload_token, tmp_path, crash_backends):
    lacking = [
        index_crash(crash_backends, [f"libapp.so/{LINUX_ID}/libapp.so/1"], hours / 10)
        for hours in range(1, 11)
    ]
    post_zip(anonymous, make_zip(tmp_path / "up.zip", {LIBAPP: small_sym()}), upload_token)
    now = [1000.0]
    healer = Healer(rate=3, clock=lambda: now[0])
    assert healer.step() == 3  # one second's worth to start
    assert healer.step() == 0  # no time has passed
    now[0] += 1
    assert healer.step() == 3
    now[0] += 60  # idle time does not pile up past two seconds' worth
    assert healer.step() == 4
    now[0] += 1
    assert healer.step() == 0  # the last crash was at the end of the walk; the job is done
    assert HealingJob.objects.get().state == HealingJob.DONE
    messages = []
    while batch := crash_backends.queue.receive(REPROCESSING, max_messages=10):
        messages += [message.body for message in batch]
        for message in batch:
            crash_backends.queue.ack(message)
    assert sorted(messages) == sorted(lacking)


def test_one_healer_at_a_time(anonymous, upload_token, tmp_path, crash_backends):
    index_crash(crash_backends, [f"libapp.so/{LINUX_ID}/libapp.so/1"])
    post_zip(anonymous, make_zip(tmp_path / "up.zip", {LIBAPP: small_sym()}), upload_token)
    first, second = Healer(100, Lease("first")), Healer(100, Lease("second"))
    assert first.lease.acquire()
    assert second.step() == 0
    assert HealingJob.objects.get().state == HealingJob.PENDING
    from webapp.symbols.models import HealerLease

    HealerLease.objects.update(expires=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
    assert second.step() == 1  # the first one's lease lapsed
    assert not first.lease.acquire()


def test_healing_once_runs_until_no_job_is_left(anonymous, upload_token, tmp_path, crash_backends):
    from webapp.symbols.models import HealerLease

    lacking = index_crash(crash_backends, [f"libapp.so/{LINUX_ID}/libapp.so/1"])
    post_zip(anonymous, make_zip(tmp_path / "up.zip", {LIBAPP: small_sym()}), upload_token)
    assert Healer(rate=100).run_until_idle() == 1
    assert queued(crash_backends) == [lacking]
    assert HealingJob.objects.get().state == HealingJob.DONE
    assert not HealerLease.objects.exists()  # released for the web workers' healers


def test_a_store_that_fails_answers_503(anonymous, crash_backends, monkeypatch):
    from jansky.storage import StorageError
    from jansky.symbols.store import FileSymbolStore

    def broken(self, key):
        raise StorageError("disk gone")

    monkeypatch.setattr(FileSymbolStore, "open", broken)
    response = anonymous.get(f"/symbols/{TEST_APP_PATH}")
    assert (response.status_code, response["Retry-After"]) == (503, "30")
