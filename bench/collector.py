"""Collector throughput, latency and memory under realistic crash reports.

Starts gunicorn (the collector) on loopback against the files + SQLite backends and, when
`jansky services start` is running, against MinIO + ElasticMQ. Load generator processes beside
it post real minidump bytes padded to a 400 KB median with 50 annotations, half gzipped.

Prints, per backend: accepted crashes/s at full load with p50/p99 latency; p50/p99 at half that
rate; where the CPU goes per accepted crash (collector workers, load generator and, on the
servers, MinIO and ElasticMQ, which share the same cores); peak RSS per worker; and the peak
memory of one large request relative to its body.

    .venv/bin/python bench/collector.py [--seconds 10] [--clients 8]
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from antenna.client import encode_report  # noqa: E402
from bench.support.filesystem import file_create_cost  # noqa: E402
from bench.support.processes import cpu_seconds, server_pids  # noqa: E402
from tests.servers import is_listening, read_services_env  # noqa: E402
from tests.system.test_collector import free_port  # noqa: E402

GUNICORN = Path(sys.executable).with_name("gunicorn")
MEDIAN_BYTES = 400_000
REPORTS = 40
# Built once before the load processes fork, so building them is not part of the measurement.
PREBUILT: list[tuple[bytes, dict[str, str]]] = []


def testdata_dumps() -> list[bytes]:
    base = Path(os.environ.get("JANSKY_TESTDATA_DIR", ROOT.parent / "shared" / "testdata"))
    dumps = [path.read_bytes() for path in sorted((base / "rust-minidump").glob("*.dmp"))]
    if not dumps:
        sys.exit(f"no minidumps under {base}/rust-minidump: set JANSKY_TESTDATA_DIR")
    return dumps


def make_reports(seed: int = 1) -> list[tuple[bytes, dict[str, str]]]:
    """Reports whose sizes are log-normal around a 400 KB median; every other one gzipped."""
    rng = random.Random(seed)
    dumps = testdata_dumps()
    material = b"".join(dumps)
    reports = []
    for index in range(REPORTS):
        size = int(min(3_000_000, max(50_000, rng.lognormvariate(0, 0.6) * MEDIAN_BYTES)))
        dump = bytearray(dumps[index % len(dumps)])
        while len(dump) < size:  # pad with real minidump bytes, so they compress like dumps
            start = rng.randrange(len(material))
            dump += material[start : start + size - len(dump)]
        annotations = {f"Annotation{n:02d}": f"value {n} {rng.random()}" for n in range(48)}
        annotations.update(ProductName="Firefox", Version="120.0")
        report = encode_report(
            annotations, {"upload_file_minidump": bytes(dump)}, compress=index % 2 == 1
        )
        reports.append((report.body, report.headers))
    return reports


def http_request(port: int, body: bytes, headers: dict[str, str]) -> bytes:
    """The whole HTTP/1.1 request, so a client sends it with one call."""
    headers = {**headers, "Content-Length": str(len(body))}
    lines = ["POST /submit HTTP/1.1", f"Host: 127.0.0.1:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def read_response(sock: socket.socket) -> tuple[int, bytes, bool]:
    """Status, body and whether the server closes the connection, from one HTTP/1.1 answer."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.lower(): value.strip() for name, _, value in (x.partition(":") for x in lines[1:])
    }
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        body += chunk
    return int(lines[0].split()[1]), body, headers.get("connection", "").lower() == "close"


def client_loop(port: int, duration: float, interval: float, seed: int, results: Any) -> None:
    """Post reports for ``duration`` s (every ``interval`` s if > 0, else back to back).

    A bare socket client (each request prebuilt and sent in one call) keeps the load
    generator's own CPU small: it shares the two cores with the collector.
    """
    requests = [http_request(port, body, headers) for body, headers in PREBUILT]
    latencies, accepted, other, refused = [], 0, 0, 0
    sock = None
    end = time.monotonic() + duration
    next_send = time.monotonic()
    index = seed
    while time.monotonic() < end:
        if interval:
            pause = next_send - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            next_send += interval
        request = requests[index % len(requests)]
        index += 1
        started = time.perf_counter()
        try:
            if sock is None:
                sock = socket.create_connection(("127.0.0.1", port), timeout=60)
            sock.sendall(request)
            status, text, closing = read_response(sock)
        except OSError:
            if sock is not None:
                sock.close()
            sock = None
            other += 1
            continue
        latencies.append(time.perf_counter() - started)
        if status == 200 and text.startswith(b"CrashID="):
            accepted += 1
        elif status == 503:
            # That worker had COLLECTOR_MAX_IN_FLIGHT reports: back off briefly, and reconnect
            # (it did not read this body, so the connection cannot carry another request).
            refused += 1
            latencies.pop()
            closing = True
            time.sleep(0.05)
        else:
            other += 1
        if closing:
            sock.close()
            sock = None
    if sock is not None:
        sock.close()
    results.put((latencies, accepted, other, refused))


def run_load(port: int, clients: int, duration: float, rate: float = 0.0) -> dict:
    context = multiprocessing.get_context("fork")  # the children share PREBUILT
    results = context.Queue()
    interval = clients / rate if rate else 0.0
    processes = [
        context.Process(target=client_loop, args=(port, duration, interval, n, results))
        for n in range(clients)
    ]
    for process in processes:
        process.start()
    latencies, accepted, other, refused = [], 0, 0, 0
    for _ in processes:
        part, ok, bad, busy = results.get()
        latencies += part
        accepted += ok
        other += bad
        refused += busy
    for process in processes:
        process.join()
    latencies.sort()
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    return {
        "rate": accepted / duration,
        "p50": quantiles[49] * 1000,
        "p99": quantiles[98] * 1000,
        "accepted": accepted,
        "other": other,
        "refused": refused,
    }


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start_server(
    env: dict[str, str], workers: int, threads: int, log: Path | None = None
) -> tuple[subprocess.Popen, int]:
    """gunicorn serving the collector on a free port; its output goes to ``log`` if given."""
    port = free_port()
    output = log.open("ab") if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(
        [
            str(GUNICORN),
            "antenna.app:create_app()",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            f"--threads={threads}",
            "--worker-class=gthread",
            "--timeout=30",
            "--no-control-socket",  # one shared path per user: never used, and racy
        ],
        env={**os.environ, "COLLECTOR_LOG_LEVEL": "WARNING", **env},
        cwd=ROOT,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    if log is not None:
        output.close()  # the child has its own copy
    deadline = time.monotonic() + 30
    while not is_listening(f"http://127.0.0.1:{port}", 0.2):
        if time.monotonic() > deadline or process.poll() is not None:
            sys.exit(f"the collector did not start{f' (see {log})' if log else ''}")
        time.sleep(0.1)
    time.sleep(1.0)  # let every worker boot
    return process, port


def bench_backend(
    name: str, env: dict[str, str], args: argparse.Namespace, servers: dict[str, int] | None = None
) -> None:
    """Full load, then half rate; ``servers`` (name -> pid) have their CPU per crash shown too."""
    servers = servers or {}
    descriptor, log_name = tempfile.mkstemp(prefix="jansky-bench-collector-", suffix=".log")
    os.close(descriptor)
    log = Path(log_name)
    process, port = start_server(env, args.workers, args.threads, log)
    try:
        run_load(port, args.clients, 2)  # warm up
        workers = worker_pids(process.pid)
        watched = {"collector": workers, **{server: [pid] for server, pid in servers.items()}}
        cpu_before = {who: cpu_seconds(pids) for who, pids in watched.items()}
        clients_before = os.times()
        full = run_load(port, args.clients, args.seconds)
        clients_after = os.times()
        accepted = max(full["accepted"], 1)
        cpu_per_crash = {
            who: (cpu_seconds(pids) - cpu_before[who]) / accepted * 1000
            for who, pids in watched.items()
        }
        cpu_per_crash["load generator"] = (
            (
                (clients_after.children_user + clients_after.children_system)
                - (clients_before.children_user + clients_before.children_system)
            )
            / accepted
            * 1000
        )
        half = run_load(port, args.clients, args.seconds, rate=full["rate"] / 2)
        rss = [peak_rss_mib(pid) for pid in worker_pids(process.pid)]
    finally:
        process.terminate()
        process.wait(30)
    print(
        f"{name}: {full['rate']:.0f} crashes/s accepted with {args.clients} clients "
        f"(p50 {full['p50']:.1f} ms, p99 {full['p99']:.1f} ms, refused 503 {full['refused']}, "
        f"failed {full['other']})"
    )
    print(
        f"{name}: at half rate ({full['rate'] / 2:.0f}/s): p50 {half['p50']:.1f} ms, "
        f"p99 {half['p99']:.1f} ms"
    )
    shares = ", ".join(f"{who} {value:.1f} ms" for who, value in cpu_per_crash.items())
    print(f"{name}: CPU per accepted crash at full load: {shares}")
    print(f"{name}: peak RSS per worker: {', '.join(f'{value:.0f} MiB' for value in rss)}")
    if full["other"] or half["other"] or not full["accepted"]:
        tail = log.read_text(errors="replace").splitlines()[-20:]
        print(f"{name}: requests failed; the collector's log ({log}) ends with:", *tail, sep="\n  ")
    else:
        log.unlink()


def bench_request_memory(env: dict[str, str]) -> None:
    """Peak RSS growth of a one-thread worker for one large request, per body byte."""
    dump = bytes(random.Random(2).randbytes(1_000_000)) * 20  # 20 MB, compresses 20:1
    for compress in (False, True):
        process, port = start_server(env, 1, 1)
        try:
            worker = worker_pids(process.pid)[0]
            small = encode_report({"ProductName": "Firefox"}, {"upload_file_minidump": b"x"})
            post(port, small.body, small.headers)
            baseline = peak_rss_mib(worker)
            report = encode_report(
                {"ProductName": "Firefox"}, {"upload_file_minidump": dump}, compress=compress
            )
            post(port, report.body, report.headers)
            grown = peak_rss_mib(worker) - baseline
        finally:
            process.terminate()
            process.wait(30)
        size = len(report.body) / 2**20
        decompressed = len(gzip.decompress(report.body)) if compress else len(report.body)
        print(
            f"memory: one {'gzipped' if compress else 'plain'} request, {size:.1f} MiB sent "
            f"({decompressed / 2**20:.1f} MiB parsed): worker peak RSS +{grown:.0f} MiB "
            f"= {grown / (decompressed / 2**20):.1f}x the parsed body"
        )


def post(port: int, body: bytes, headers: dict[str, str]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("POST", "/submit", body=body, headers=headers)
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        sys.exit(f"large request failed: {response.status}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--backends", default="fs,s3", help="comma-separated: fs, s3")
    args = parser.parse_args()
    backends = set(args.backends.split(","))
    PREBUILT.extend(make_reports())
    sent = sorted(len(body) for body, _ in PREBUILT)
    plain = sorted(
        len(gzip.decompress(body) if "Content-Encoding" in headers else body)
        for body, headers in PREBUILT
    )
    print(
        f"reports: {len(PREBUILT)}, median {plain[len(plain) // 2] / 1000:.0f} KB uncompressed, "
        f"{sent[len(sent) // 2] / 1000:.0f} KB as sent (half gzipped), 50 annotations; "
        f"{args.workers} workers x {args.threads} threads, {args.clients} client processes; "
        f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    if "fs" in backends:
        with tempfile.TemporaryDirectory() as tmp:
            print(f"file create cost before the fs run: {file_create_cost(Path(tmp)):.0f} us")
            fs_env = {
                "DATA_DIR": tmp,
                "STORAGE_URL": f"file://{tmp}/crashes",
                "QUEUE_URL": f"sqlite://{tmp}/queue.db",
            }
            bench_backend("fs+sqlite", fs_env, args)
            bench_request_memory(fs_env)
    if "s3" not in backends:
        return 0
    services = read_services_env()
    s3, sqs = services.get("AWS_ENDPOINT_URL_S3", ""), services.get("AWS_ENDPOINT_URL_SQS", "")
    if not (s3 and sqs and is_listening(s3) and is_listening(sqs)):
        print("minio+elasticmq: skipped (start them with `make services`)")
        return 0
    from jansky.queue import open_queue

    prefix = f"jansky-bench-{uuid.uuid4().hex[:8]}-"
    aws = {key: value for key, value in services.items() if key.startswith("AWS_")}
    os.environ.update(aws)
    aws_env = {
        **aws,
        "STORAGE_URL": f"s3://jansky-crashes/{prefix}",
        "QUEUE_URL": f"sqs://?prefix={prefix}",
    }
    open_queue(aws_env["QUEUE_URL"], aws_env).create_queues()  # type: ignore[attr-defined]
    bench_backend("minio+elasticmq", aws_env, args, server_pids(["minio", "elasticmq"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
