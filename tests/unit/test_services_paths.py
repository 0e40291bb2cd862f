"""Where `jansky services` finds the provisioned tools and keeps the servers' state."""

from __future__ import annotations

from pathlib import Path

from jansky.services import paths


def test_cache_dir_defaults_to_the_home_cache() -> None:
    assert paths.cache_dir({}) == Path.home() / ".cache" / "jansky"


def test_cache_dir_follows_the_override(tmp_path: Path) -> None:
    assert paths.cache_dir({"JANSKY_CACHE_DIR": str(tmp_path)}) == tmp_path


def test_installed_version_reads_the_stamp(tmp_path: Path) -> None:
    (tmp_path / "stamps").mkdir()
    (tmp_path / "stamps" / "postgresql").write_text("15.18 /usr/lib/postgresql/15/bin/postgres\n")
    (tmp_path / "stamps" / "empty").write_text("")
    assert paths.installed_version("postgresql", tmp_path) == "15.18"
    assert paths.installed_version("empty", tmp_path) is None
    assert paths.installed_version("minio", tmp_path) is None


def test_service_paths_layout(tmp_path: Path) -> None:
    layout = paths.service_paths("minio", tmp_path)
    assert layout.pid_file == tmp_path / "minio.pid"
    assert layout.log_file == tmp_path / "minio.log"
    assert layout.state_dir == tmp_path / "minio"


def _server(root: Path, version: str, with_binary: bool = True) -> None:
    bin_dir = root / version / "bin"
    bin_dir.mkdir(parents=True)
    if with_binary:
        (bin_dir / "postgres").write_text("")


def test_postgres_bin_dir_picks_the_newest_server(tmp_path: Path) -> None:
    _server(tmp_path, "9.6")
    _server(tmp_path, "15")
    _server(tmp_path, "16", with_binary=False)  # client-only install: no server binary
    assert paths.postgres_bin_dir(tmp_path) == tmp_path / "15" / "bin"


def test_postgres_bin_dir_none_without_a_server(tmp_path: Path) -> None:
    assert paths.postgres_bin_dir(tmp_path / "missing") is None
    _server(tmp_path, "15", with_binary=False)
    assert paths.postgres_bin_dir(tmp_path) is None
