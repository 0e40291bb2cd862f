"""Collector throughput, latency and memory under ordinary, heavy and hostile traffic.

Starts `jansky collector` on loopback against the files + SQLite backends and, when
`make services` is running, against MinIO + ElasticMQ. Load generator processes beside it post
real minidump bytes padded to a 400 KB median with 50 annotations, half gzipped, from 8, 16, 64
and 256 kept-alive connections.

Prints, per backend and number of clients: accepted crashes/s, 503s, p50/p99 latency, how busy
the cores were, and the peak RSS of each worker; the CPU each accepted crash cost (collector,
load generator, and on the servers MinIO and ElasticMQ, which share the same cores); then the
peak RSS of a worker for each hostile body (gzip bomb, `extra` expansions, many parts, a folded
header) next to the largest body the collector accepts. Targets (issue 17): accepted/s at 16,
64 and 256 clients at least the figure at 8; no 503 while a core is idle; peak RSS growth under
every hostile body at most 3x the largest accepted body.

    .venv/bin/python bench/collector.py [--seconds 10] [--clients 8,16,64,256] [--backends fs,s3]
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from antenna.client import encode_report  # noqa: E402
from bench.support import http_load  # noqa: E402
from bench.support.filesystem import file_create_cost  # noqa: E402
from bench.support.hostile_bodies import hostile_requests, largest_accepted  # noqa: E402
from bench.support.processes import cpu_seconds, server_pids  # noqa: E402
from tests.servers import is_listening, read_services_env  # noqa: E402
from tests.system.test_collector import free_port  # noqa: E402

JANSKY = Path(sys.executable).with_name("jansky")
MEDIAN_BYTES = 400_000
REPORTS = 40
MIB = 1024 * 1024
DECOMPRESSED_LIMIT = 100 * MIB  # the default COLLECTOR_MAX_DECOMPRESSED_BYTES


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


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak_rss(pids: list[int]) -> None:
    """Start each process's high-water mark afresh (Linux: ``5`` to ``clear_refs``)."""
    for pid in pids:
        Path(f"/proc/{pid}/clear_refs").write_text("5")


def idle_share(previous: list[int] | None = None) -> tuple[float, list[int]]:
    """The share of all cores' time spent idle since ``previous`` (a /proc/stat reading)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    if previous is None:
        return 0.0, fields
    delta = [now - before for now, before in zip(fields, previous, strict=True)]
    return (delta[3] + delta[4]) / max(sum(delta), 1), fields


def start_server(env: dict[str, str], workers: int, log: Path) -> tuple[subprocess.Popen, int]:
    """`jansky collector` on a free port, its output in ``log``."""
    port = free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(
            [str(JANSKY), "collector", f"--bind=127.0.0.1:{port}", f"--workers={workers}"],
            env={**os.environ, "COLLECTOR_LOG_LEVEL": "WARNING", **env},
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while (
        not is_listening(f"http://127.0.0.1:{port}", 0.2) or len(worker_pids(process.pid)) < workers
    ):
        if time.monotonic() > deadline or process.poll() is not None:
            sys.exit(f"the collector did not start (see {log})")
        time.sleep(0.1)
    time.sleep(1.0)  # let every worker finish booting
    return process, port


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(60)


def bench_backend(
    name: str, env: dict[str, str], args: argparse.Namespace, servers: dict[str, int] | None = None
) -> None:
    """Each number of clients in turn; ``servers`` (name -> pid) have their CPU per crash shown."""
    servers = servers or {}
    log = Path(tempfile.mkstemp(prefix="jansky-bench-collector-", suffix=".log")[1])
    http_load.PREBUILT[:] = []
    process, port = start_server(env, args.workers, log)
    http_load.PREBUILT.extend(http_load.http_request(port, b, h) for b, h in make_reports())
    failed = False
    rates: dict[int, float] = {}
    try:
        http_load.run_load(port, 8, 2)  # warm up
        workers = worker_pids(process.pid)
        for clients in args.clients:
            reset_peak_rss(workers)
            watched = {"collector": workers, **{server: [pid] for server, pid in servers.items()}}
            cpu_before = {who: cpu_seconds(pids) for who, pids in watched.items()}
            load_before = os.times()
            _, stat_before = idle_share()
            result = http_load.run_load(port, clients, args.seconds)
            idle, _ = idle_share(stat_before)
            load_after = os.times()
            rss = [peak_rss_mib(pid) for pid in workers]
            accepted = max(result.accepted, 1)
            cpu = {
                who: (cpu_seconds(pids) - cpu_before[who]) / accepted * 1000
                for who, pids in watched.items()
            }
            load_cpu = (load_after.children_user + load_after.children_system) - (
                load_before.children_user + load_before.children_system
            )
            cpu["load generator"] = load_cpu / accepted * 1000
            rates[clients] = result.rate
            print(
                f"{name} {clients:>3} clients: {result.rate:5.0f} accepted/s, "
                f"503s {result.refused}, failed {result.other}, p50 {result.quantile(0.5):.0f} ms, "
                f"p99 {result.quantile(0.99):.0f} ms, cores idle {idle:.0%}, peak RSS per worker "
                + ", ".join(f"{value:.0f}" for value in rss)
                + " MiB"
            )
            print(
                f"{name} {clients:>3} clients: CPU per accepted crash: "
                + ", ".join(f"{who} {value:.1f} ms" for who, value in cpu.items())
            )
            if result.refused and idle > 0.1:
                print(
                    f"{name} {clients:>3} clients: MISSED: 503s while {idle:.0%} of the cores idled"
                )
            failed = failed or bool(result.other) or not result.accepted
    finally:
        stop_server(process)
    base = rates.get(8)
    if base:
        ratios = ", ".join(f"{n}: {rate / base:.2f}x" for n, rate in rates.items() if n != 8)
        verdict = "met" if all(rate >= base for rate in rates.values()) else "MISSED"
        print(f"{name}: accepted/s relative to 8 clients: {ratios} (target >= 1: {verdict})")
    if failed:
        tail = log.read_text(errors="replace").splitlines()[-20:]
        print(f"{name}: requests failed; the collector's log ({log}) ends with:", *tail, sep="\n  ")
    else:
        log.unlink()


def post_once(port: int, body: bytes, headers: dict[str, str]) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        connection.request("POST", "/submit", body=body, headers=headers)
        response = connection.getresponse()
        return f"{response.status} {response.read().decode(errors='replace').strip()[:60]}"
    except OSError as exc:
        return f"no answer ({exc!r})"
    finally:
        connection.close()


def bench_hostile_memory(env: dict[str, str]) -> None:
    """Peak RSS growth of a one-worker collector for each hostile body, on a fresh worker."""
    log = Path(tempfile.mkstemp(prefix="jansky-bench-hostile-", suffix=".log")[1])
    requests = [largest_accepted(DECOMPRESSED_LIMIT), *hostile_requests()]
    largest = None
    print(
        "memory: peak RSS growth of one worker over its idle peak, per body "
        f"(limits: 25 MiB sent, {DECOMPRESSED_LIMIT // MIB} MiB inflated)"
    )
    for name, body, headers in requests:
        process, port = start_server(env, 1, log)
        try:
            worker = worker_pids(process.pid)[0]
            warm = encode_report({"ProductName": "Test"}, {"upload_file_minidump": b"x"})
            post_once(port, warm.body, warm.headers)
            baseline = peak_rss_mib(worker)
            answer = post_once(port, body, headers)
            grown = peak_rss_mib(worker) - baseline
        finally:
            stop_server(process)
        inflated = len(gzip.decompress(body)) if "Content-Encoding" in headers else len(body)
        if largest is None:
            largest = inflated / MIB
        print(
            f"memory: {name}: {len(body) / MIB:.1f} MiB sent, {inflated / MIB:.1f} MiB inflated "
            f"-> {answer}; worker peak RSS +{grown:.0f} MiB = {grown / largest:.2f}x the largest "
            "accepted body"
        )
    log.unlink()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", default="8,16,64,256", help="comma-separated client counts")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--backends", default="fs,s3", help="comma-separated: fs, s3")
    parser.add_argument(
        "--no-hostile", action="store_true", help="skip the hostile-body memory figures"
    )
    args = parser.parse_args()
    args.clients = [int(n) for n in args.clients.split(",")]
    backends = set(args.backends.split(","))
    reports = make_reports()
    sent = sorted(len(body) for body, _ in reports)
    plain = sorted(
        len(gzip.decompress(body) if "Content-Encoding" in headers else body)
        for body, headers in reports
    )
    print(
        f"reports: {len(reports)}, median {plain[len(plain) // 2] / 1000:.0f} KB uncompressed, "
        f"{sent[len(sent) // 2] / 1000:.0f} KB as sent (half gzipped), 50 annotations; "
        f"{args.workers} collector workers; load average before: {os.getloadavg()[0]:.1f} on "
        f"{os.cpu_count()} cores"
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
            if not args.no_hostile:
                bench_hostile_memory(fs_env)
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
