"""`jansky setup` and `jansky run --check` on the embedded default."""

from __future__ import annotations

from pathlib import Path

import pytest

from jansky.cli import main
from jansky.commands.setup import without_password


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in ("STORAGE_URL", "QUEUE_URL", "SEARCH_URL", "DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    # The database is migrated by a child `jansky manage`, with Crash Stats' own settings.
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("DATA_DIR", str(data_dir))
    return data_dir


def test_setup_prepares_the_embedded_default(embedded: Path, capsys) -> None:
    assert main(["setup"]) == 0
    out = capsys.readouterr().out
    assert f"storage file://{embedded}/crashes: checked" in out
    assert f"database sqlite://{embedded}/webapp.db: migrated" in out
    assert (embedded / "queue.db").exists() and (embedded / "webapp.db").exists()
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


def test_passwords_in_printed_urls_are_hidden() -> None:
    assert without_password("postgres://jansky:secret@db:5432/jansky") == (
        "postgres://jansky:***@db:5432/jansky"
    )
    assert without_password("sqlite:///srv/webapp.db") == "sqlite:///srv/webapp.db"
    assert without_password("postgres://jansky@db/jansky") == "postgres://jansky@db/jansky"


def test_setup_stops_when_the_database_cannot_be_migrated(embedded, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://jansky:x@127.0.0.1:9/jansky")
    monkeypatch.setenv("WEBAPP_SECRET_KEY", "a-secret-key-long-enough-for-the-check-0123")
    assert main(["setup"]) == 1
    assert "migrating the database postgres://jansky:***@127.0.0.1:9/jansky failed" in (
        capsys.readouterr().err
    )


def test_run_refuses_a_port_that_is_not_a_number(embedded: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("RUN_WEBAPP_PORT", "eighty")
    assert main(["run", "--check"]) == 1
    assert "RUN_WEBAPP_PORT requires a value parseable by int" in capsys.readouterr().err
