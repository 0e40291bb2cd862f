"""The processor's metrics reach dogstatsd when PROCESSOR_STATSD_HOST is set."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import markus
import pytest

import processor
from processor.command import configure_metrics_from
from processor.config import load_processor_settings
from processor.metrics import METRIC_NAMES, METRICS


@pytest.fixture
def statsd():
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(10)
    yield receiver
    receiver.close()
    markus.configure([])


def test_metrics_go_to_the_configured_dogstatsd(statsd, tmp_path):
    port = statsd.getsockname()[1]
    settings = load_processor_settings(
        {
            "DATA_DIR": str(tmp_path),
            "PROCESSOR_STATSD_HOST": "127.0.0.1",
            "PROCESSOR_STATSD_PORT": str(port),
        }
    )
    configure_metrics_from(settings)
    METRICS.incr("retry", tags=["stage:index"])
    line = statsd.recv(4096).decode()
    assert line.startswith("socorro.processor.retry:1|c|#stage:index,host:")


def test_no_dogstatsd_by_default(tmp_path):
    settings = load_processor_settings({"DATA_DIR": str(tmp_path)})
    assert (settings.statsd_host, settings.statsd_port, settings.metrics_log) == ("", 8125, False)


def test_every_emitted_metric_is_listed_with_its_kind():
    call = re.compile(r'METRICS\.(incr|gauge|timing|histogram)\(\s*"([^"]+)"')
    emitted = {
        (name, kind)
        for path in Path(processor.__file__).parent.rglob("*.py")
        for kind, name in call.findall(path.read_text())
    }
    assert len(emitted) > 10
    assert {(name, kind) for name, (kind, _doc) in METRIC_NAMES.items()} >= emitted
