"""The `jansky collector` and `jansky submit` command modules."""

from __future__ import annotations

import argparse
import socket
import threading

import pytest

from antenna import command, submit
from antenna.config import ConfigurationError, load_collector_settings
from jansky.gunicorn_server import GunicornServer


def test_gunicorn_options_follow_the_settings():
    settings = load_collector_settings(
        {"COLLECTOR_WORKER_TIMEOUT": "40", "COLLECTOR_KEEPALIVE_SECONDS": "7"}
    )
    options = command.gunicorn_options(settings, "127.0.0.1:9", workers=2)
    assert options["worker_class"] == "antenna.worker.CollectorWorker"
    assert (options["timeout"], options["keepalive"], options["workers"]) == (40, 7, 2)
    server = GunicornServer(options, lambda: None)
    assert server.cfg.control_socket_disable is True and server.cfg.accesslog == "-"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"COLLECTOR_MAX_BYTES_IN_FLIGHT": "1000"}, "COLLECTOR_MAX_BYTES_IN_FLIGHT"),
        ({"COLLECTOR_THREADS": "0"}, "COLLECTOR_THREADS"),
        ({"COLLECTOR_BODY_MIN_RATE": "0"}, "COLLECTOR_BODY_MIN_RATE"),
        ({"COLLECTOR_HEADER_TIMEOUT_SECONDS": "-1"}, "COLLECTOR_HEADER_TIMEOUT_SECONDS"),
        ({"COLLECTOR_MAX_ATTEMPTS": "0"}, "COLLECTOR_MAX_ATTEMPTS"),
    ],
)
def test_contradictory_settings_are_refused_by_name(env, named):
    with pytest.raises(ConfigurationError, match=named):
        load_collector_settings(env)


def test_command_arguments():
    parser = argparse.ArgumentParser()
    command.configure(parser)
    args = parser.parse_args(["--workers", "3"])
    assert (args.bind, args.workers, args.threads) == ("127.0.0.1:8800", 3, None)


def test_submit_annotations():
    assert submit.parse_annotations(["ProductName=Firefox", "Note=a=b"]) == {
        "ProductName": "Firefox",
        "Version": "1.0",
        "Note": "a=b",
    }
    with pytest.raises(ValueError, match="KEY=VALUE"):
        submit.parse_annotations(["novalue"])


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 48\r\n\r\nCrashID=bp-",  # cut off mid-body
        b"garbage\r\n\r\n",  # not HTTP
    ],
)
def test_submit_reports_a_broken_answer_instead_of_a_traceback(tmp_path, capsys, answer):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def answer_once() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(1 << 20)
            connection.sendall(answer)

    server = threading.Thread(target=answer_once, daemon=True)
    server.start()
    dump = tmp_path / "crash.dmp"
    dump.write_bytes(b"MDMP")
    parser = argparse.ArgumentParser()
    submit.configure(parser)
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/submit"
    args = parser.parse_args([url, str(dump)])
    assert submit.run(args) == 1
    assert "cannot reach" in capsys.readouterr().err
    server.join(10)
    listener.close()
