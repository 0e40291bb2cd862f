"""Configuration: embedded defaults, URL overrides, and the generated reference."""

from __future__ import annotations

from pathlib import Path

from jansky.cli import main
from jansky.config import documented_options, load_core_settings, render_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_embedded_defaults_live_under_data_dir(tmp_path: Path) -> None:
    settings = load_core_settings({"DATA_DIR": str(tmp_path)})
    assert settings.data_dir == tmp_path
    assert settings.storage_url == f"file://{tmp_path}/crashes"
    assert settings.queue_url == f"sqlite://{tmp_path}/queue.db"
    assert settings.search_url == f"sqlite://{tmp_path}/search.db"
    assert settings.symbols_urls == ()


def test_urls_from_the_environment_win(tmp_path: Path) -> None:
    settings = load_core_settings(
        {
            "DATA_DIR": str(tmp_path),
            "STORAGE_URL": "s3://bucket/prefix",
            "QUEUE_URL": "sqs://?prefix=x-",
            "SYMBOLS_URLS": "https://a.example/,https://b.example/",
        }
    )
    assert settings.storage_url == "s3://bucket/prefix"
    assert settings.queue_url == "sqs://?prefix=x-"
    assert settings.symbols_urls == ("https://a.example/", "https://b.example/")


def test_every_option_is_documented() -> None:
    options = list(documented_options(env={}))
    keys = [option.key for option in options]
    assert len(keys) == len(set(keys)), "an option is declared twice"
    assert {"DATA_DIR", "STORAGE_URL", "QUEUE_URL", "SEARCH_URL", "DATABASE_URL"} <= set(keys)
    undocumented = [option.key for option in options if not option.doc.strip()]
    assert undocumented == []


def test_configuration_reference_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text()
    assert committed == render_markdown(), "run `make docs` to regenerate docs/configuration.md"


def test_config_command_prints_options_and_set_values(capsys, monkeypatch) -> None:
    monkeypatch.setenv("QUEUE_URL", "sqs://?prefix=y-")
    assert main(["config"]) == 0
    out = capsys.readouterr().out
    assert "STORAGE_URL  default: (empty)" in out
    assert "QUEUE_URL  default: (empty)  [set: sqs://?prefix=y-]" in out
