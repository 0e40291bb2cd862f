"""`jansky setup` and `jansky run --check` on the embedded default."""

from __future__ import annotations

from pathlib import Path

import pytest

from jansky.cli import main


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in ("STORAGE_URL", "QUEUE_URL", "SEARCH_URL", "DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    return data_dir


def test_setup_prepares_the_embedded_default(embedded: Path, capsys) -> None:
    assert main(["setup"]) == 0
    out = capsys.readouterr().out
    assert f"storage file://{embedded}/crashes: checked" in out
    assert (embedded / "queue.db").exists()
    # Running it again changes nothing and still succeeds.
    assert main(["setup"]) == 0


def test_setup_reports_an_unusable_storage_url(embedded: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("STORAGE_URL", "ftp://example/crashes")
    assert main(["setup"]) == 1
    assert "unsupported storage URL" in capsys.readouterr().err


def test_run_check_prepares_backends_without_serving(embedded: Path, capsys) -> None:
    assert main(["run", "--check"]) == 0
    assert "embedded backends are ready" in capsys.readouterr().out
    assert (embedded / "queue.db").exists()
