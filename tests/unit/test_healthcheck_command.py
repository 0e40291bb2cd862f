"""`jansky healthcheck`: a URL's answer, or the configured backends."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from jansky.cli import main


class Answers(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/__lbheartbeat__" else 503)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_2xx_answer_is_healthy(server, capsys):
    assert main(["healthcheck", f"{server}/__lbheartbeat__"]) == 0
    assert capsys.readouterr().out.startswith("healthy:")


def test_an_error_answer_or_no_answer_is_unhealthy(server, capsys):
    assert main(["healthcheck", f"{server}/__heartbeat__"]) == 1
    assert "answered 503" in capsys.readouterr().err
    assert main(["healthcheck", "http://127.0.0.1:9/", "--timeout", "1"]) == 1
    assert "cannot reach http://127.0.0.1:9/" in capsys.readouterr().err
    assert main(["healthcheck", "ftp://example/"]) == 1


@pytest.fixture
def embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key in ("STORAGE_URL", "QUEUE_URL", "SEARCH_URL", "DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    return tmp_path


def test_answering_backends_are_healthy(embedded, capsys):
    assert main(["healthcheck"]) == 0
    assert "storage, queue and search answered" in capsys.readouterr().out


def test_a_backend_that_does_not_answer_is_named(embedded, monkeypatch, capsys):
    monkeypatch.setenv("SEARCH_URL", "opensearch+http://127.0.0.1:9")
    monkeypatch.setenv("SEARCH_TIMEOUT", "2")
    assert main(["healthcheck"]) == 1
    assert "unhealthy: search opensearch+http://127.0.0.1:9" in capsys.readouterr().err
