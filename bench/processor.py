"""Processor throughput against bare minidump-stackwalk, and collector-to-searchable latency.

1. Throughput: the same crashes (rust-minidump's test dumps, with their symbols) go through
   (a) bare `minidump-stackwalk` runs invoked as the processor invokes it (JSON and log
   captured in memory), one, two and four per core at once (Socorro's slower `--output-file` and
   `--log-file` invocation is shown too, outside the ratio), and (b) the full processor
   (queue -> storage -> rules + stackwalker -> storage -> search -> ack) in this process with one,
   two and four threads per core, and as `jansky processor` with one process per core. Prints
   crashes/s for each and the best-to-best ratio (target: >= 0.9), and the same comparison in
   CPU time per crash (user + system, stackwalkers included), which other load on a shared
   machine disturbs far less than wall-clock throughput.
2. Latency: a `jansky processor` process runs while crashes arrive at a moderate rate, saved and
   queued as the collector does; prints p50/p90/max from queueing to searchable (target p50 < 2 s).
3. Stackwalkers: on the test dumps and on the large-symbol corpus (symbol files of 100 MB and
   more, bench/support/symbol_corpus.py, built into ~/.cache/jansky once), side by side in
   alternating rounds: bare `minidump-stackwalk` (one process per dump, one and two per core at
   once), the processor with one stackwalker process per crash (STACKWALKER_MODE=process), and
   the processor with the stackwalker service; crashes/s and CPU per crash (the service's
   included) as ranges over the rounds, the service's peak memory, and service / bare (targets:
   >= 1.2 on the test dumps, >= 5 on the large corpus).

Runs on the embedded default (files, SQLite queue and search) in a temporary directory; with
--servers, on MinIO, ElasticMQ and OpenSearch from var/services.env. Figures are printed;
nothing is asserted.

    .venv/bin/python bench/processor.py [--crashes N] [--rate PER_SECOND] [--servers]
    .venv/bin/python bench/processor.py --only-stackwalkers [--large-crashes N]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.support.filesystem import file_create_cost  # noqa: E402
from bench.support.processes import cpu_seconds as process_cpu_seconds  # noqa: E402
from bench.support.processes import server_pids  # noqa: E402
from bench.support.symbol_corpus import ensure_corpus  # noqa: E402
from jansky.crashid import create_crash_id  # noqa: E402
from jansky.queue import STANDARD, open_queue  # noqa: E402
from jansky.schemas import VIEW_PII, load_schema  # noqa: E402
from jansky.search import SearchError, load_search_settings, open_search  # noqa: E402
from jansky.storage import open_storage  # noqa: E402
from processor.child_process import run_captured  # noqa: E402
from processor.config import (  # noqa: E402
    cpu_count,
    default_service_path,
    default_stackwalker_path,
    load_processor_settings,
)
from processor.pipeline import Pipeline  # noqa: E402
from processor.processing import CrashProcessor  # noqa: E402
from processor.rules.stackwalker import MinidumpStackwalkRule  # noqa: E402
from processor.rulesets import build_rulesets  # noqa: E402
from processor.service_stackwalker import ServiceStackwalker  # noqa: E402
from processor.stackwalker import Stackwalker  # noqa: E402
from processor.stackwalker_service import ServiceSettings, StackwalkerService  # noqa: E402
from processor.worker import Worker  # noqa: E402
from tests.servers import read_services_env  # noqa: E402

TESTDATA = Path(os.environ.get("JANSKY_TESTDATA_DIR", ROOT.parent / "shared" / "testdata"))
DUMPS_DIR = TESTDATA / "rust-minidump"
DUMP_NAMES = [
    "test.dmp",
    "linux-mini.dmp",
    "pipeline-inlines-macos-segv.dmp",
    "simple-crashpad.dmp",
    "invalid-parameter.dmp",
]
PROCESSOR = (
    "import argparse, sys; from processor import command; p = argparse.ArgumentParser(); "
    "command.configure(p); sys.exit(command.run(p.parse_args(sys.argv[1:])))"
)


def environment(workdir: Path, servers: bool) -> dict[str, str]:
    env = {
        "DATA_DIR": str(workdir / "var"),
        "SYMBOLS_PATHS": str(DUMPS_DIR / "symbols"),
        "PROCESSOR_TEMPORARY_PATH": str(workdir / "tmp"),
    }
    if not servers:
        return env
    services = read_services_env()
    if not services:
        sys.exit("--servers needs var/services.env: run `make services` first")
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    env.update({key: value for key, value in services.items() if key.startswith("AWS_")})
    env.update(
        STORAGE_URL=f"s3://jansky-crashes/bench/{prefix}",
        QUEUE_URL=f"sqs://?prefix={prefix}-",
        SEARCH_URL=services["SEARCH_URL"],
        SEARCH_INDEX_TEMPLATE=f"{prefix}%Y%W",
        SEARCH_REPLICAS="0",
    )
    os.environ.update({key: value for key, value in env.items() if key.startswith("AWS_")})
    from jansky.queue.sqs import SqsCrashQueue

    SqsCrashQueue(prefix=f"{prefix}-").create_queues()
    return env


def clean_up_servers(env: dict[str, str]) -> None:
    """Delete the objects, queues and indices this run created on the servers."""
    import boto3

    region = env.get("AWS_REGION")
    bucket, _, prefix = env["STORAGE_URL"].removeprefix("s3://").partition("/")
    s3 = boto3.client("s3", region_name=region)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
    sqs = boto3.client("sqs", region_name=region)
    queue_prefix = env["QUEUE_URL"].partition("prefix=")[2]
    for url in sqs.list_queues(QueueNamePrefix=queue_prefix).get("QueueUrls", []):
        sqs.delete_queue(QueueUrl=url)
    search = open_search(env["SEARCH_URL"], env={**os.environ, **env})
    search.client.delete(search.all_indices())


class Backends:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        full = {**os.environ, **env}
        var = Path(env["DATA_DIR"])
        self.storage = open_storage(env.get("STORAGE_URL", f"file://{var / 'crashes'}"), env=full)
        self.queue = open_queue(env.get("QUEUE_URL", f"sqlite://{var / 'queue.db'}"), env=full)
        self.search = open_search(env.get("SEARCH_URL", f"sqlite://{var / 'search.db'}"), env=full)

    def submit(self, dump: bytes, name: str, publish: bool = True) -> str:
        """What the collector does: save the raw crash and dumps, then queue the id."""
        crash_id = create_crash_id()
        raw = {
            "uuid": crash_id,
            "ProductName": "Bench",
            "Version": "1.0",
            "submitted_timestamp": datetime.datetime.now(datetime.UTC).isoformat(),
            "DumpName": name,
        }
        self.storage.save_raw_crash(crash_id, raw, {"upload_file_minidump": dump})
        if publish:
            self.queue.publish(STANDARD, [crash_id])
        return crash_id

    def outstanding(self) -> int:
        counts = self.queue.counts()[STANDARD]
        return counts.visible + counts.in_flight

    def searchable(self, crash_ids: list[str]) -> set[str]:
        """Which of ``crash_ids`` a search finds now (one query for all of them)."""
        params = {"uuid": crash_ids, "_columns": ["uuid"], "_results_number": str(len(crash_ids))}
        return {hit["uuid"] for hit in self.search.search(params, VIEW_PII)["hits"]}


def stackwalker(env: dict[str, str], workdir: Path) -> Stackwalker:
    return Stackwalker(
        default_stackwalker_path(),
        symbols_paths=[str(DUMPS_DIR / "symbols")],
        symbols_cache_path=workdir / "var" / "symbols-cache",
        symbols_tmp_path=workdir / "var" / "symbols-tmp",
    )


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its children that have exited."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def bare_throughput(
    walker: Stackwalker, paths: list[Path], workdir: Path, cores: int, socorro: bool = False
) -> tuple[float, float]:
    """Bare runs invoked as the processor invokes them (JSON and log captured in memory files,
    :mod:`processor.child_process`), or with Socorro's ``--output-file`` and ``--log-file``
    when ``socorro``."""
    out = workdir / "bare"
    out.mkdir(exist_ok=True)

    def walk(item: tuple[int, Path]) -> None:
        index, path = item
        args = walker.command(path)
        if socorro:
            args[-1:-1] = [
                f"--output-file={out / f'{index}.json'}",
                f"--log-file={out}/{index}.log",
            ]
            subprocess.run(args, check=False, stdin=subprocess.DEVNULL)
        else:
            run_captured(args, b"", walker.kill_timeout)

    started, cpu = time.perf_counter(), cpu_seconds()
    with ThreadPoolExecutor(max_workers=cores) as pool:
        list(pool.map(walk, enumerate(paths)))
    return len(paths) / (time.perf_counter() - started), (cpu_seconds() - cpu) / len(paths)


def processor_throughput(
    backends: Backends,
    walker: Stackwalker | ServiceStackwalker,
    dumps: list[tuple[str, bytes]],
    threads: int,
    servers: dict[str, int],
) -> tuple[float, float, dict[str, float]]:
    """Crashes/s, CPU seconds per crash (this process and its stackwalkers, the service too),
    and CPU seconds per crash of each server in ``servers`` (name -> pid)."""
    for name, dump in dumps:
        backends.submit(dump, name)
    pipeline = Pipeline(
        build_rulesets(load_schema("processed_crash"), MinidumpStackwalkRule(walker))
    )
    # Acks batched as `jansky processor` batches them (PROCESSOR_ACK_BATCH_SECONDS).
    ack_delay = load_processor_settings({**os.environ, **backends.env}).ack_batch_seconds
    processor = CrashProcessor(
        backends.storage, backends.search, backends.queue, pipeline, ack_delay=ack_delay
    )
    done = threading.Semaphore(0)

    def handle(message: Any) -> None:
        processor.handle(message)
        done.release()

    worker = Worker(
        backends.queue, handle, threads=threads, prefetch=threads * 2, idle_seconds=0.01
    )
    thread = threading.Thread(target=worker.run, daemon=True)
    servers_before = {name: process_cpu_seconds([pid]) for name, pid in servers.items()}
    started, cpu = time.perf_counter(), cpu_seconds() + service_cpu_seconds(walker)
    thread.start()
    for _ in dumps:
        done.acquire()
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds() + service_cpu_seconds(walker) - cpu
    worker.stop()
    thread.join()
    processor.close()
    server_cpu = {
        name: (process_cpu_seconds([pid]) - servers_before[name]) / len(dumps)
        for name, pid in servers.items()
    }
    return len(dumps) / elapsed, cpu / len(dumps), server_cpu


def service_cpu_seconds(walker: Stackwalker | ServiceStackwalker) -> float:
    """CPU time of the running stackwalker service (a restarted one's predecessor is reaped,
    so its time is in the children's usage)."""
    pid = walker.service.pid if isinstance(walker, ServiceStackwalker) else None
    return process_cpu_seconds([pid]) if pid else 0.0


def start_processor(env: dict[str, str], workdir: Path, **options: str) -> subprocess.Popen:
    """`jansky processor` as a separate process (logs in the work directory)."""
    with (workdir / "processor.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-c", PROCESSOR, "--log-level", "WARNING"],
            env={**os.environ, **env, **options},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def processes_throughput(
    env: dict[str, str], workdir: Path, dumps: list[tuple[str, bytes]], processes: int
) -> float:
    """`jansky processor` with PROCESSOR_PROCESSES and one stackwalker process per crash, as the
    bare runs it is compared with (3. compares modes)."""
    return queued_run(
        env,
        workdir,
        dumps,
        PROCESSOR_PROCESSES=str(processes),
        STACKWALKER_MODE="process",
    )


def queued_run(
    env: dict[str, str], workdir: Path, dumps: list[tuple[str, bytes]], **options: str
) -> float:
    """Crashes/s of a new `jansky processor` (with ``options`` in its environment) over
    ``dumps``, queued once it is running.

    The run ends at the last ``completed_datetime`` of the processed crashes (set just before
    the crash is saved and indexed, a few milliseconds), not when the queue empties: acks wait
    up to PROCESSOR_ACK_BATCH_SECONDS to go out in batches, which would add most of a second
    to a run this short.
    """
    backends = Backends(env)
    ids = [backends.submit(dump, name, publish=False) for name, dump in dumps]
    process = start_processor(env, workdir, PROCESSOR_IDLE_SECONDS="0.05", **options)
    try:
        time.sleep(3)  # startup: imports, the stackwalker check, connections
        started = datetime.datetime.now(datetime.UTC)
        backends.queue.publish(STANDARD, ids)
        while backends.outstanding():
            if process.poll() is not None:
                sys.exit(f"the processor exited; see {workdir / 'processor.log'}")
            time.sleep(0.05)
        finished = max(
            datetime.datetime.fromisoformat(
                backends.storage.load_processed_crash(crash_id)["completed_datetime"]
            )
            for crash_id in ids
        )
        return len(ids) / (finished - started).total_seconds()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)


def latency(
    env: dict[str, str], dumps: list[tuple[str, bytes]], rate: float, workdir: Path
) -> list[float]:
    backends = Backends(env)
    process = start_processor(env, workdir)
    pending: dict[str, float] = {}
    latencies: list[float] = []
    lock = threading.Lock()
    finished = threading.Event()

    def watch() -> None:
        while not finished.is_set() or pending:
            with lock:
                waiting = list(pending)
            try:
                found = backends.searchable(waiting) if waiting else set()
            except SearchError:  # e.g. the week's index is being created
                found = set()
            now = time.perf_counter()
            with lock:
                for crash_id in found:
                    latencies.append(now - pending.pop(crash_id))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        time.sleep(2)  # let the processor start (stackwalker check, imports)
        for name, dump in dumps:
            crash_id = backends.submit(dump, name)
            with lock:
                pending[crash_id] = time.perf_counter()
            time.sleep(1 / rate)
        finished.set()
        watcher.join(120)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(60)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crashes", type=int, default=150, help="crashes for the throughput run")
    parser.add_argument("--latency-crashes", type=int, default=40)
    parser.add_argument("--rate", type=float, default=4.0, help="crashes/s for the latency run")
    parser.add_argument("--servers", action="store_true", help="MinIO + ElasticMQ + OpenSearch")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds (best kept)")
    parser.add_argument(
        "--only-stackwalkers", action="store_true", help="only the stackwalker comparison (3.)"
    )
    parser.add_argument(
        "--stackwalker-rounds", type=int, default=3, help="rounds of the stackwalker comparison"
    )
    parser.add_argument(
        "--large-crashes", type=int, default=16, help="crashes per run on the large corpus"
    )
    parser.add_argument(
        "--no-large-corpus", action="store_true", help="skip the large-symbol corpus"
    )
    args = parser.parse_args()
    if not (DUMPS_DIR / "test.dmp").exists():
        sys.exit(f"no test dumps at {DUMPS_DIR} (set JANSKY_TESTDATA_DIR)")
    cores = cpu_count()
    originals = [(name, (DUMPS_DIR / name).read_bytes()) for name in DUMP_NAMES]
    dumps = [originals[i % len(originals)] for i in range(args.crashes)]
    with tempfile.TemporaryDirectory(prefix="jansky-bench-") as tmp:
        workdir = Path(tmp)
        env = environment(workdir, args.servers)
        try:
            if not args.only_stackwalkers:
                run(args, env, workdir, cores, originals, dumps)
            compare_stackwalkers(args, env, workdir, cores, dumps)
        finally:
            if args.servers:
                clean_up_servers(env)


def run(
    args: argparse.Namespace,
    env: dict[str, str],
    workdir: Path,
    cores: int,
    originals: list[tuple[str, bytes]],
    dumps: list[tuple[str, bytes]],
) -> None:
    walker = stackwalker(env, workdir)
    paths = []
    for index, (name, dump) in enumerate(dumps):
        path = workdir / f"{index}.{name}"
        path.write_bytes(dump)
        paths.append(path)
    backend_name = "MinIO + ElasticMQ + OpenSearch" if args.servers else "files + SQLite"
    print(f"{len(dumps)} crashes ({', '.join(DUMP_NAMES)}), {cores} cores, {backend_name}")
    print(f"file create cost before the runs: {file_create_cost(workdir):.0f} us")
    print(f"stackwalker: {walker.version()}")
    if args.servers:
        interval = load_search_settings({**os.environ, **env}).refresh_interval
        print(f"search refresh interval: {interval} (SEARCH_REFRESH_INTERVAL; adds to latency)")
    bare_throughput(walker, paths[: cores * 2], workdir, cores)  # warm the page cache
    # Alternate the runs and keep each one's best, so that a burst of other load on the machine
    # does not decide the ratio.
    bare: dict[int, float] = {}
    socorro_flags = 0.0
    full: dict[str, float] = {}
    bare_cpu = full_cpu = float("inf")  # CPU seconds per crash, least disturbed run
    servers = server_pids(["minio", "elasticmq", "opensearch"]) if args.servers else {}
    best_rate, server_cpu = 0.0, {}  # the servers' CPU per crash in the fastest in-process run
    for _round in range(args.rounds):
        for at_once in (cores, cores * 2, cores * 4):
            rate, cpu = bare_throughput(walker, paths, workdir, at_once)
            bare[at_once] = max(bare.get(at_once, 0.0), rate)
            bare_cpu = min(bare_cpu, cpu)
        rate, _cpu = bare_throughput(walker, paths, workdir, cores * 2, socorro=True)
        socorro_flags = max(socorro_flags, rate)
        # More threads than cores keep the cores busy while threads wait on fsyncs (or, with
        # remote servers, on the network; there crashes indexed together also share a bulk
        # request).
        for threads in (cores, cores * 2, cores * 4):
            rate, cpu, servers_cpu = processor_throughput(
                Backends(env), walker, dumps, threads, servers
            )
            full[f"{threads} threads"] = max(full.get(f"{threads} threads", 0.0), rate)
            full_cpu = min(full_cpu, cpu)
            if rate > best_rate:
                best_rate, server_cpu = rate, servers_cpu
        rate = processes_throughput(env, workdir, dumps, cores)
        key = f"{cores} processes x 4 threads"
        full[key] = max(full.get(key, 0.0), rate)
    for at_once, rate in bare.items():
        print(f"bare minidump-stackwalk ({at_once} at once): {rate:8.1f} crashes/s")
    print(
        f"bare minidump-stackwalk with --output-file and --log-file, as Socorro runs it "
        f"({cores * 2} at once): "
        f"{socorro_flags:8.1f} crashes/s (not in the ratio)"
    )
    for how, rate in full.items():
        print(f"full processor ({how}): {rate:8.1f} crashes/s")
    ratio = max(full.values()) / max(bare.values())
    print(f"best processor / best bare stackwalker: {ratio:.2f} (target >= 0.90)")
    print(
        f"CPU per crash (user + system, least of the runs): bare {bare_cpu * 1000:.1f} ms, "
        f"processor {full_cpu * 1000:.1f} ms in-process with its stackwalkers; "
        f"bare / processor {bare_cpu / full_cpu:.2f} (the same ratio, less sensitive to other "
        "load on the machine)"
    )
    if server_cpu:
        shares = ", ".join(f"{name} {value * 1000:.1f} ms" for name, value in server_cpu.items())
        print(f"server CPU per crash in the fastest in-process run: {shares}")
    sample = [originals[i % len(originals)] for i in range(args.latency_crashes)]
    measured = sorted(latency(env, sample, args.rate, workdir))
    if measured:
        p90 = measured[min(len(measured) - 1, int(len(measured) * 0.9))]
        print(
            f"queued -> searchable at {args.rate:.0f} crashes/s ({len(measured)} crashes, "
            "stackwalker service): "
            f"p50 {statistics.median(measured):.2f} s, p90 {p90:.2f} s, "
            f"max {measured[-1]:.2f} s (target p50 < 2 s)"
        )
    else:
        print("latency: no crash became searchable (see the processor log)")


def compare_stackwalkers(
    args: argparse.Namespace,
    env: dict[str, str],
    workdir: Path,
    cores: int,
    dumps: list[tuple[str, bytes]],
) -> None:
    """Bare minidump-stackwalk, the processor with one per crash, the processor with the
    service: on the test dumps, then on the large-symbol corpus."""
    corpora = [("the test dumps", dumps, [str(DUMPS_DIR / "symbols")], 1.2)]
    if args.servers:
        print("(the large-symbol corpus runs on files + SQLite only: its dumps are ~200 MB)")
    elif not args.no_large_corpus:
        manifest = ensure_corpus()
        large = [(Path(path).name, Path(path).read_bytes()) for path in manifest["dumps"]]
        sizes = ", ".join(f"{size / 1e6:.0f} MB" for size in manifest["symbol_files"].values())
        print(
            f"large-symbol corpus: {len(large)} minidumps of {manifest['program']}, symbols {sizes}"
        )
        crashes = [large[index % len(large)] for index in range(args.large_crashes)]
        corpora.append(("the large-symbol corpus", crashes, [manifest["symbols_path"]], 5.0))
    for title, crashes, symbols, target in corpora:
        compare_on(title, crashes, symbols, target, env, workdir, cores, args.stackwalker_rounds)


@contextlib.contextmanager
def fresh_data_dir(env: dict[str, str], folder: Path) -> Iterator[dict[str, str]]:
    """A DATA_DIR of its own for one run, deleted after it (the large corpus's dumps are about
    200 MB each, stored once per crash)."""
    if "STORAGE_URL" in env:
        yield env
        return
    data_dir = folder / f"var-{uuid.uuid4().hex[:6]}"
    try:
        yield {**env, "DATA_DIR": str(data_dir)}
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def compare_on(
    title: str,
    crashes: list[tuple[str, bytes]],
    symbols: list[str],
    target: float,
    env: dict[str, str],
    workdir: Path,
    cores: int,
    rounds: int,
) -> None:
    folder = workdir / f"stackwalkers-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    paths = []
    for index, (name, dump) in enumerate(crashes):
        path = folder / f"{index}.{name}"
        path.write_bytes(dump)
        paths.append(path)
    one_shot = Stackwalker(
        default_stackwalker_path(),
        symbols_paths=symbols,
        symbols_cache_path=folder / "symbols-cache",
        symbols_tmp_path=folder / "symbols-tmp",
        kill_timeout=900,
    )
    threads = cores * 2
    rates: dict[str, list[float]] = {}
    cpus: dict[str, list[float]] = {}
    peaks: list[int] = []

    def record(label: str, rate: float, cpu: float) -> None:
        rates.setdefault(label, []).append(rate)
        cpus.setdefault(label, []).append(cpu)

    print(f"\n== stackwalkers on {title}: {len(crashes)} crashes per run, {rounds} rounds")
    for _round in range(rounds):
        for at_once in (cores, cores * 2):
            rate, cpu = bare_throughput(one_shot, paths, folder, at_once)
            record(f"bare minidump-stackwalk, {at_once} at once", rate, cpu)
        with fresh_data_dir(env, folder) as run_env:
            rate, cpu, _ = processor_throughput(Backends(run_env), one_shot, crashes, threads, {})
        record(f"processor, one minidump-stackwalk per crash, {threads} threads", rate, cpu)
        service = StackwalkerService(
            ServiceSettings(
                default_service_path(), cache_size=4 << 30, max_memory=0, max_walks=threads
            )
        )
        walker = ServiceStackwalker(one_shot, service)
        with fresh_data_dir(env, folder) as run_env:
            rate, cpu, _ = processor_throughput(Backends(run_env), walker, crashes, threads, {})
        record(f"processor, stackwalker service, {threads} threads", rate, cpu)
        peaks.append(service.peak_memory())
    for label, values in rates.items():
        spent = cpus[label]
        print(
            f"{label:<58} {min(values):8.2f}-{max(values):<8.2f} crashes/s   "
            f"CPU {min(spent) * 1000:8.1f}-{max(spent) * 1000:<8.1f} ms/crash"
        )
    bare_best = max(max(values) for label, values in rates.items() if label.startswith("bare"))
    service_rates = next(values for label, values in rates.items() if "service" in label)
    one_shot_rates = next(values for label, values in rates.items() if "per crash" in label)
    print(
        f"service / best bare: {min(service_rates) / bare_best:.2f}-"
        f"{max(service_rates) / bare_best:.2f} (target >= {target:g}); "
        f"one process per crash / best bare: {max(one_shot_rates) / bare_best:.2f}"
    )
    print(
        "stackwalker service peak memory (VmHWM): "
        f"{min(peaks) / 2**20:.0f}-{max(peaks) / 2**20:.0f} MiB"
    )


if __name__ == "__main__":
    main()
