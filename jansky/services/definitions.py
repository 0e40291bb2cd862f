"""The local real servers: fixed loopback ports and credentials, how each one is launched from
what `bin/provision` installed, and how to tell that it answers.

server         endpoint                        names and credentials
minio          http://127.0.0.1:9100 (S3),     user jansky, password jansky-secret,
               http://127.0.0.1:9101 console   bucket jansky-crashes
elasticmq      http://127.0.0.1:9324 (SQS)     queues jansky-standard, jansky-priority,
                                               jansky-reprocessing, jansky-dead-letter
opensearch     http://127.0.0.1:9201           single node, plain http
elasticsearch  http://127.0.0.1:9202           single node, plain http, security off (optional)
postgres       127.0.0.1:5433                  database jansky, user jansky, password jansky
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from jansky.services.account import Account, hand_over
from jansky.services.paths import (
    ServicePaths,
    cache_dir,
    installed_version,
    java_home,
    postgres_bin_dir,
    service_paths,
)

HOST = "127.0.0.1"
ACCESS_KEY = "jansky"
SECRET_KEY = "jansky-secret"
REGION = "us-east-1"
BUCKET = "jansky-crashes"
QUEUE_PREFIX = "jansky-"
QUEUE_NAMES = ("standard", "priority", "reprocessing", "dead-letter")
DATABASE = "jansky"
DATABASE_USER = "jansky"
DATABASE_PASSWORD = "jansky"
SEARCH_HEAP = "512m"

PROVISION_HINT = "run `bin/provision` first (it installs every server into ~/.cache/jansky)"


class NotProvisioned(RuntimeError):
    """A server's binaries are missing: `bin/provision` has not installed them."""


@dataclass
class Launch:
    """Everything needed to start a server process in the background."""

    argv: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def http_get(url: str, timeout: float = 2.0) -> Answer | None:
    """What a GET to ``url`` returned, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, dict(exc.headers), exc.read())
    except (OSError, ValueError):
        return None


def base_env(paths: ServicePaths) -> dict[str, str]:
    """A small, predictable environment: nothing of the caller's AWS or database settings leaks."""
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "HOME": str(paths.state_dir),
    }


class Service(ABC):
    """One server: where it listens, how it starts and how to tell that it is healthy."""

    name: str
    port: int
    summary: str
    # A string in the process's command line, so a stale pid file never names a stranger.
    process_marker: str
    optional = False
    stop_signal = signal.SIGTERM
    start_timeout = 180.0

    def __init__(self, root: Path | None = None, cache: Path | None = None) -> None:
        self.paths = service_paths(self.name, root)
        self.cache = cache or cache_dir()

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    @abstractmethod
    def check_installed(self) -> None:
        """Raise :class:`NotProvisioned` saying what is missing."""

    @abstractmethod
    def prepare(self, account: Account | None) -> Launch:
        """Write configuration, initialise data on first use, and say how to launch."""

    @abstractmethod
    def is_healthy(self) -> bool:
        """Whether the server answers a real request."""

    @abstractmethod
    def environment(self) -> dict[str, str]:
        """The variables that point Jansky at this server."""

    def _state(self, account: Account | None, *subdirs: str) -> None:
        """Create the state folder and ``subdirs``, owned by ``account``.

        Only the named folders are handed over, never the linked copies of installed files.
        """
        state = self.paths.state_dir
        state.mkdir(parents=True, exist_ok=True)
        if account is not None:
            os.chown(state, account.uid, account.gid)
        for sub in subdirs:
            (state / sub).mkdir(exist_ok=True)
            hand_over(state / sub, account)


class Minio(Service):
    name = "minio"
    port = 9100
    console_port = 9101
    summary = "S3 (MinIO)"
    process_marker = "minio"

    @property
    def binary(self) -> Path:
        return self.cache / "go" / "bin" / "minio"

    def check_installed(self) -> None:
        if not self.binary.is_file():
            raise NotProvisioned(f"minio: {self.binary} is missing; {PROVISION_HINT}")

    def prepare(self, account: Account | None) -> Launch:
        self._state(account, "data", "certs")
        binary = self.paths.state_dir / "bin" / "minio"
        mirror(self.binary, binary, installed_version("minio", self.cache) or "")
        env = base_env(self.paths) | {
            "MINIO_ROOT_USER": ACCESS_KEY,
            "MINIO_ROOT_PASSWORD": SECRET_KEY,
            "MINIO_UPDATE": "off",
        }
        argv = [
            str(binary), "server", "--quiet",
            "--address", f"{HOST}:{self.port}",
            "--console-address", f"{HOST}:{self.console_port}",
            "--certs-dir", str(self.paths.state_dir / "certs"),
            str(self.paths.state_dir / "data"),
        ]  # fmt: skip
        return Launch(argv, self.paths.state_dir, env)

    def is_healthy(self) -> bool:
        answer = http_get(f"{self.endpoint}/minio/health/live")
        return (
            answer is not None
            and answer.status == 200
            and "minio" in answer.headers.get("Server", "").lower()
        )

    def environment(self) -> dict[str, str]:
        return {"STORAGE_URL": f"s3://{BUCKET}", "AWS_ENDPOINT_URL_S3": self.endpoint}


ELASTICMQ_CONFIG = """\
include classpath("application.conf")
pekko.loglevel = "INFO"
node-address {{ protocol = "http", host = "{host}", port = {port}, context-path = "" }}
rest-sqs {{ enabled = true, bind-port = {port}, bind-hostname = "{host}", sqs-limits = strict }}
rest-stats {{ enabled = false }}
aws {{ region = "{region}", accountId = "000000000000" }}
messages-storage {{
  enabled = true
  driver-class = "org.h2.Driver"
  uri = "jdbc:h2:{data}"
  username = ""
  password = ""
  prune-data-on-init = false
}}
"""

LOGBACK_CONFIG = """\
<configuration>
  <appender name="out" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{ISO8601} %-5level %logger{20} %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="out"/></root>
</configuration>
"""


class ElasticMQ(Service):
    name = "elasticmq"
    port = 9324
    summary = "SQS (ElasticMQ)"
    process_marker = "org.elasticmq.server.Main"

    @property
    def lib_dir(self) -> Path:
        return self.cache / "elasticmq" / "lib"

    def check_installed(self) -> None:
        if not any(self.lib_dir.glob("elasticmq-server_*.jar")):
            raise NotProvisioned(f"elasticmq: no server jar in {self.lib_dir}; {PROVISION_HINT}")
        if not shutil.which("java"):
            raise NotProvisioned("elasticmq: `java` is not on PATH; install a JDK 17 or newer")

    def prepare(self, account: Account | None) -> Launch:
        state = self.paths.state_dir
        self._state(account, "data")
        (state / "elasticmq.conf").write_text(
            ELASTICMQ_CONFIG.format(
                host=HOST, port=self.port, region=REGION, data=state / "data" / "messages"
            )
        )
        (state / "logback.xml").write_text(LOGBACK_CONFIG)
        lib = state / "lib"
        mirror(self.lib_dir, lib, installed_version("elasticmq", self.cache) or "")
        # The C1 compiler alone and the serial collector halve ElasticMQ's CPU per request on
        # a small machine: C2 keeps recompiling through runs of a few thousand requests
        # (measured: DeleteMessage 4.4-6.0 ms -> 2.1-2.9 ms, a one-id SendMessageBatch 4.2 ->
        # 2.2 ms).
        argv = [
            "java", "-Xms64m", "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
            f"-Dconfig.file={state / 'elasticmq.conf'}",
            f"-Dlogback.configurationFile={state / 'logback.xml'}",
            "-cp", f"{lib}/*",
            "org.elasticmq.server.Main",
        ]  # fmt: skip
        return Launch(argv, state, base_env(self.paths))

    def is_healthy(self) -> bool:
        answer = http_get(f"{self.endpoint}/?Action=ListQueues")
        return answer is not None and answer.status == 200 and b"ListQueuesResponse" in answer.body

    def environment(self) -> dict[str, str]:
        return {"QUEUE_URL": f"sqs://?prefix={QUEUE_PREFIX}", "AWS_ENDPOINT_URL_SQS": self.endpoint}


def mirror(source: Path, target: Path, version: str) -> None:
    """Make ``target`` a copy of the file or folder ``source`` (hard links where possible).

    The servers run as the service user, who cannot read a cache under a private home; a
    linked copy under ``var/services`` costs no space and stays root-owned and read-only.
    It is redone only when the installed version changes.
    """
    marker = target.with_name(target.name + ".source")
    wanted = f"{source} {version}"
    if target.exists() and marker.is_file() and marker.read_text() == wanted:
        return
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    elif target.exists():
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)

    def link_or_copy(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    if source.is_dir():
        shutil.copytree(source, target, symlinks=True, copy_function=link_or_copy)
    else:
        link_or_copy(str(source), str(target))
    marker.write_text(wanted)


# jvm.options entries that name files relative to the working folder, which the OpenSearch
# launcher sets to the (read-only) distribution: point them at the server's own folders.
RELATIVE_JVM_PATHS = (
    ("=logs/", "={state}/logs/"),
    ("HeapDumpPath=data", "HeapDumpPath={state}/data"),
)


class SearchServer(Service):
    """OpenSearch and Elasticsearch: the same shape, different names for the same knobs."""

    tool: str  # the folder and stamp name `bin/provision` uses
    transport_port: int
    config_name: str
    extra_settings: dict[str, str] = {}
    conf_env: str  # the variable naming the config folder
    java_opts_env: str
    java_home_env: str

    @property
    def install_dir(self) -> Path:
        return self.cache / self.tool

    @property
    def version(self) -> str | None:
        return installed_version(self.tool, self.cache)

    def check_installed(self) -> None:
        launcher = self.install_dir / "bin" / self.tool
        if not launcher.is_file() or not self.version:
            raise NotProvisioned(f"{self.name}: {launcher} is missing; {PROVISION_HINT}")
        if java_home() is None:
            raise NotProvisioned(f"{self.name}: `java` is not on PATH; install a JDK 17 or newer")

    def settings(self) -> dict[str, str]:
        state = self.paths.state_dir
        return {
            "cluster.name": f"jansky-{self.name}",  # is_healthy() checks it
            "node.name": f"jansky-{self.name}",
            "path.data": str(state / "data"),
            "path.logs": str(state / "logs"),
            "network.host": HOST,
            "http.port": str(self.port),
            "transport.port": str(self.transport_port),
            "discovery.type": "single-node",
            "cluster.routing.allocation.disk.threshold_enabled": "false",
            **self.extra_settings,
        }

    def prepare(self, account: Account | None) -> Launch:
        state = self.paths.state_dir
        home = state / "home"
        state.mkdir(parents=True, exist_ok=True)
        mirror(self.install_dir, home, self.version or "")
        config = state / "config"
        config.mkdir(exist_ok=True)
        # Start from the distribution's own files (jvm.options, log4j2, ...), then our settings.
        shutil.copytree(home / "config", config, dirs_exist_ok=True)
        jvm_options = config / "jvm.options"
        text = jvm_options.read_text()
        for relative, absolute in RELATIVE_JVM_PATHS:
            text = text.replace(relative, absolute.format(state=state))
        jvm_options.write_text(text)
        lines = [f"{key}: {json.dumps(value)}" for key, value in self.settings().items()]
        (config / self.config_name).write_text("\n".join(lines) + "\n")
        self._state(account, "config", "data", "logs")
        env = base_env(self.paths) | {
            self.conf_env: str(config),
            self.java_opts_env: f"-Xms{SEARCH_HEAP} -Xmx{SEARCH_HEAP}",
            self.java_home_env: str(java_home()),
        }
        return Launch([str(home / "bin" / self.tool)], state, env)

    def cluster_health(self) -> dict | None:
        answer = http_get(f"{self.endpoint}/_cluster/health")
        if answer is None or answer.status != 200:
            return None
        try:
            return json.loads(answer.body)
        except ValueError:
            return None

    def is_healthy(self) -> bool:
        health = self.cluster_health()
        return (
            health is not None
            and health.get("cluster_name") == f"jansky-{self.name}"
            and health.get("status") in {"green", "yellow"}
        )


class OpenSearch(SearchServer):
    name = "opensearch"
    tool = "opensearch"
    port = 9201
    transport_port = 9301
    summary = "OpenSearch"
    process_marker = "opensearch"
    config_name = "opensearch.yml"
    conf_env = "OPENSEARCH_PATH_CONF"
    java_opts_env = "OPENSEARCH_JAVA_OPTS"
    java_home_env = "OPENSEARCH_JAVA_HOME"

    def environment(self) -> dict[str, str]:
        return {"SEARCH_URL": f"opensearch+http://{HOST}:{self.port}"}


class Elasticsearch(SearchServer):
    name = "elasticsearch"
    tool = "elasticsearch"
    port = 9202
    transport_port = 9302
    summary = "Elasticsearch (optional)"
    process_marker = "elasticsearch"
    optional = True
    config_name = "elasticsearch.yml"
    extra_settings = {"xpack.security.enabled": "false"}
    conf_env = "ES_PATH_CONF"
    java_opts_env = "ES_JAVA_OPTS"
    java_home_env = "ES_JAVA_HOME"

    def environment(self) -> dict[str, str]:
        return {"ELASTICSEARCH_URL": f"elasticsearch+http://{HOST}:{self.port}"}


class Postgres(Service):
    name = "postgres"
    port = 5433
    summary = "PostgreSQL"
    process_marker = "postgres"
    # SIGINT is PostgreSQL's "fast" shutdown: it does not wait for clients to disconnect.
    stop_signal = signal.SIGINT

    @property
    def bin_dir(self) -> Path | None:
        return postgres_bin_dir()

    @property
    def endpoint(self) -> str:
        return f"postgres://{HOST}:{self.port}"

    def check_installed(self) -> None:
        if self.bin_dir is None:
            raise NotProvisioned(
                f"postgres: no /usr/lib/postgresql/*/bin/postgres; {PROVISION_HINT}"
            )

    def prepare(self, account: Account | None) -> Launch:
        bin_dir = self.bin_dir
        assert bin_dir is not None, "check_installed() first"
        state = self.paths.state_dir
        data = state / "data"
        self._state(account, "run")
        if not (data / "PG_VERSION").is_file():
            self._initdb(bin_dir, data, account)
        data.chmod(0o700)
        argv = [
            str(bin_dir / "postgres"), "-D", str(data), "-p", str(self.port),
            "-k", str(state / "run"), "-c", f"listen_addresses={HOST}",
            # A disposable development server: durability is traded for speed.
            "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        ]  # fmt: skip
        return Launch(argv, state, base_env(self.paths))

    def _initdb(self, bin_dir: Path, data: Path, account: Account | None) -> None:
        if data.exists():
            shutil.rmtree(data)
        password_file = self.paths.state_dir / "initdb-password"
        password_file.write_text(DATABASE_PASSWORD + "\n")
        password_file.chmod(0o600)
        hand_over(password_file, account)
        command = [
            str(bin_dir / "initdb"), "-D", str(data), "-U", DATABASE_USER,
            f"--pwfile={password_file}", "--auth-local=trust", "--auth-host=scram-sha-256",
            "-E", "UTF8", "--no-locale",
        ]  # fmt: skip
        kwargs = account.process_kwargs() if account else {}
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                check=False,
                cwd=self.paths.state_dir,
                env=base_env(self.paths),
                **kwargs,
            )
        finally:
            password_file.unlink(missing_ok=True)
        if result.returncode != 0:
            raise RuntimeError(f"postgres: initdb failed: {result.stderr.strip()}")

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:

        return psycopg.connect(
            host=HOST,
            port=self.port,
            user=DATABASE_USER,
            password=DATABASE_PASSWORD,
            dbname=dbname,
            connect_timeout=2,
            autocommit=True,
        )

    def is_healthy(self) -> bool:
        try:
            with self.connect() as connection:
                connection.execute("select 1")
            return True
        except psycopg.Error:
            return False

    def environment(self) -> dict[str, str]:
        url = f"postgres://{DATABASE_USER}:{DATABASE_PASSWORD}@{HOST}:{self.port}/{DATABASE}"
        return {"DATABASE_URL": url}


SERVICE_CLASSES: tuple[type[Service], ...] = (Minio, ElasticMQ, OpenSearch, Elasticsearch, Postgres)
SERVICE_NAMES = tuple(cls.name for cls in SERVICE_CLASSES)


def all_services(root: Path | None = None, cache: Path | None = None) -> list[Service]:
    return [cls(root, cache) for cls in SERVICE_CLASSES]
