"""How each server is configured and launched, checked on fake installs in a temporary cache."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from jansky.services import control
from jansky.services.definitions import (
    SERVICE_NAMES,
    NotProvisioned,
    OpenSearch,
    all_services,
    mirror,
)

JVM_OPTIONS = """\
-Xms1g
-XX:HeapDumpPath=data
-XX:ErrorFile=logs/hs_err_pid%p.log
9-:-Xlog:gc*,gc+age=trace,safepoint:file=logs/gc.log:utctime,pid,tags:filecount=32
"""


def test_every_server_has_its_own_port(tmp_path: Path) -> None:
    ports = [service.port for service in all_services(tmp_path, tmp_path)]
    assert len(set(ports)) == len(ports) == len(SERVICE_NAMES)


def test_missing_binaries_say_to_provision(tmp_path: Path) -> None:
    for service in all_services(tmp_path, tmp_path / "empty-cache"):
        if service.name == "postgres":
            continue  # comes from Debian, not from the cache
        with pytest.raises(NotProvisioned, match="bin/provision"):
            service.check_installed()


def test_select_rejects_unknown_names() -> None:
    with pytest.raises(control.ServicesError, match="unknown server"):
        control.select(["minio", "redis"])
    assert [s.name for s in control.select(["postgres", "minio"])] == ["minio", "postgres"]


def test_mirror_links_once_per_version(tmp_path: Path) -> None:
    source = tmp_path / "install"
    (source / "lib").mkdir(parents=True)
    (source / "lib" / "a.jar").write_text("a")
    target = tmp_path / "copy"
    mirror(source, target, "1.0")
    assert (target / "lib" / "a.jar").read_text() == "a"
    assert os.stat(target / "lib" / "a.jar").st_ino == os.stat(source / "lib" / "a.jar").st_ino

    (source / "lib" / "b.jar").write_text("b")
    mirror(source, target, "1.0")
    assert not (target / "lib" / "b.jar").exists()  # same version: left as it was
    mirror(source, target, "1.1")
    assert (target / "lib" / "b.jar").read_text() == "b"


def test_opensearch_prepare_writes_its_own_config(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    install = cache / "opensearch"
    (install / "bin").mkdir(parents=True)
    (install / "bin" / "opensearch").write_text("#!/bin/sh\n")
    (install / "config").mkdir()
    (install / "config" / "jvm.options").write_text(JVM_OPTIONS)
    (cache / "stamps").mkdir()
    (cache / "stamps" / "opensearch").write_text("2.19.6\n")

    server = OpenSearch(tmp_path / "services", cache)
    launch = server.prepare(account=None)

    state = tmp_path / "services" / "opensearch"
    settings = (state / "config" / "opensearch.yml").read_text()
    assert 'http.port: "9201"' in settings
    assert 'discovery.type: "single-node"' in settings
    assert f'path.data: "{state / "data"}"' in settings
    options = (state / "config" / "jvm.options").read_text()
    assert f"file={state}/logs/gc.log" in options
    assert f"HeapDumpPath={state}/data" in options
    assert "=logs/" not in options
    assert launch.argv == [str(state / "home" / "bin" / "opensearch")]
    assert launch.env["OPENSEARCH_PATH_CONF"] == str(state / "config")
    assert launch.env["OPENSEARCH_JAVA_OPTS"] == "-Xms512m -Xmx512m"
    assert "AWS_ACCESS_KEY_ID" not in launch.env
