"""`jansky webapp` and `jansky manage`: settings errors, gunicorn options, management commands."""

from __future__ import annotations

from jansky.cli import main
from jansky.gunicorn_server import GunicornServer
from webapp.command import gunicorn_options
from webapp.config import load_webapp_settings


def test_webapp_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "postgres://jansky:jansky@127.0.0.1:5433/jansky")
    monkeypatch.delenv("WEBAPP_SECRET_KEY", raising=False)
    assert main(["webapp"]) == 2
    assert "WEBAPP_SECRET_KEY is required" in capsys.readouterr().err


def test_gunicorn_options(tmp_path):
    settings = load_webapp_settings({"DATA_DIR": str(tmp_path), "WEBAPP_TIMEOUT": "45"})
    options = gunicorn_options(settings, "127.0.0.1:9000", workers=2, threads=1)
    assert options["bind"] == "127.0.0.1:9000" and options["workers"] == 2
    assert options["worker_class"] == "sync" and options["timeout"] == 45
    server = GunicornServer(options, lambda: None)
    assert server.cfg.control_socket_disable is True and server.cfg.accesslog == "-"
    assert gunicorn_options(settings, "x:1", 1, 4)["worker_class"] == "gthread"


def test_manage_runs_django_commands(db, capsys):
    assert main(["manage", "check"]) == 0
    assert "no issues" in capsys.readouterr().out


def test_help_lists_the_commands(capsys):
    for command in ("webapp", "manage"):
        try:
            main([command, "--help"])
        except SystemExit as exit:
            assert exit.code == 0
        assert "examples:" in capsys.readouterr().out
