"""`jansky symbols upload`'s client side: finding symbol files, packing them, its errors."""

from __future__ import annotations

import zipfile

import pytest

from jansky.cli import main
from jansky.symbols.client import batches, collect, pack
from jansky.symbols.layout import symbol_key
from tests.unit.symbols.conftest import LINUX_ID, TEST_APP_ID, TEST_APP_PATH, make_zip, small_sym


def test_folders_are_searched_for_symbol_files_whatever_their_layout(tmp_path, test_app_sym):
    (tmp_path / "out" / "deep").mkdir(parents=True)
    (tmp_path / "out" / "deep" / "anything.sym").write_bytes(small_sym())
    (tmp_path / "out" / "copy.sym").write_bytes(small_sym())  # the same module again
    (tmp_path / "out" / "notes.sym").write_text("not symbols")
    (tmp_path / "out" / "readme.txt").write_text("ignored")
    archive = make_zip(tmp_path / "ready.zip", {TEST_APP_PATH: test_app_sym.read_bytes()})
    inputs = collect([tmp_path / "out", archive, test_app_sym])
    assert set(inputs.symbols) == {
        symbol_key("libapp.so", LINUX_ID),
        symbol_key("test_app.pdb", TEST_APP_ID),
    }
    assert inputs.zips == [archive]
    assert len(inputs.skipped) == 2  # the duplicate and the file that is not symbols
    assert inputs.total_bytes == (
        len(small_sym()) + test_app_sym.stat().st_size + archive.stat().st_size
    )


def test_named_files_must_be_symbols_or_zips(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ValueError, match=r"neither a zip nor a Breakpad \.sym file"):
        collect([tmp_path / "notes.txt"])
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        collect([tmp_path / "absent"])


def test_files_are_packed_in_the_store_layout_in_bounded_batches(tmp_path, test_app_sym):
    (tmp_path / "a.sym").write_bytes(small_sym())
    inputs = collect([tmp_path / "a.sym", test_app_sym])
    groups = list(batches(inputs.symbols.values(), batch_bytes=1000))
    assert [len(group) for group in groups] == [1, 1]  # test_app.sym alone is over 1000 bytes
    assert len(list(batches(inputs.symbols.values(), batch_bytes=1 << 30))) == 1
    packed = pack(list(inputs.symbols.values()), str(tmp_path))
    with zipfile.ZipFile(packed) as archive:
        assert sorted(archive.namelist()) == sorted(
            [TEST_APP_PATH, f"libapp.so/{LINUX_ID}/libapp.so.sym"]
        )
        assert archive.read(TEST_APP_PATH) == test_app_sym.read_bytes()


def test_the_command_says_what_is_missing(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("JANSKY_API_TOKEN", raising=False)
    (tmp_path / "a.sym").write_bytes(small_sym())
    assert main(["symbols", "upload", str(tmp_path / "a.sym")]) == 2
    assert "no API token" in capsys.readouterr().err
    assert main(["symbols", "upload", "--token=x", str(tmp_path / "absent")]) == 2
    assert "no such file or folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["symbols", "upload", "--token=x", str(tmp_path / "empty")]) == 1
    assert "no symbol files found" in capsys.readouterr().err
    # Nothing listens on port 9: the error names the server.
    code = main(
        ["symbols", "upload", "--quiet", "--token=x", "--url=http://127.0.0.1:9", str(tmp_path)]
    )
    assert code == 1
    assert "cannot reach http://127.0.0.1:9" in capsys.readouterr().err
