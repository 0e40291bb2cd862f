"""Symbols: GETs per second served by Crash Stats, and the processor with a cold and a warm cache.

1. Serving: `jansky webapp` (gunicorn, 2 workers x 4 threads) serves the store of the shared
   test symbols plus a 256 MiB synthetic symbol file, uploaded first with `jansky symbols
   upload`. Client processes with kept-alive connections ask for `/symbols/...` as
   minidump-stackwalk does, for a few seconds per kind of request: the 818 KB `test_app.sym`,
   a file the store does not have (404: what processors ask most, for every module without
   symbols) and HEAD. Prints requests/s, MB/s and latency, then the web workers' peak resident
   memory while the 256 MiB file is uploaded and downloaded four at a time (files are
   streamed, never held whole).
2. The processor, symbols from a symbol server: `jansky processor` (stackwalker service) with
   SYMBOLS_URLS at the webapp's `/symbols/` and its own store lookup off, so every symbol file
   it uses goes through the on-disk symbols cache. Cold: an empty cache and a new processor
   (the service's memory empty too). Warm: the cache the cold run filled, a new processor.
   On rust-minidump's test dumps and on the large-symbol corpus (a 134 MB symbol file,
   bench/support/symbol_corpus.py, built into ~/.cache/jansky once).

With --servers the store, crashes, queue and search are MinIO, ElasticMQ and OpenSearch from
var/services.env. Figures are printed; nothing is asserted.

    .venv/bin/python bench/symbols.py [--seconds S] [--clients N] [--rounds R] [--servers]
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.processor import (  # noqa: E402
    DUMP_NAMES,
    DUMPS_DIR,
    clean_up_servers,
    environment,
    fresh_data_dir,
    queued_run,
)
from bench.support.symbol_corpus import ensure_corpus  # noqa: E402

TEST_APP = "test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym"
ABSENT = "ntdll.pdb/36515FB5D04345E491F672FA2E2878C02/ntdll.sym"
BIG_ID = "B16B16B16B16B16B16B16B16B16B16B10"
BIG = f"big.so/{BIG_ID}/big.so.sym"
BIG_BYTES = 256 << 20
STARTUP_SECONDS = 90.0


def jansky(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "jansky.cli", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"jansky {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_webapp(env: dict[str, str], workdir: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    with (workdir / "webapp.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "jansky.cli", "webapp", f"--bind=127.0.0.1:{port}"],
            env={**os.environ, **env, "WEBAPP_WORKERS": "2", "WEBAPP_THREADS": "4"},
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/__lbheartbeat__", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.3)
    sys.exit(f"jansky webapp did not start; see {workdir / 'webapp.log'}")


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def peak_resident_mib(pids: list[int]) -> float:
    """The largest peak resident size (VmHWM) among ``pids``, in MiB."""
    peaks = []
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
    return max(peaks, default=0.0)


def write_big_symbols(path: Path) -> None:
    """A 256 MiB symbol file of FUNC and line records that compresses as real ones do (about
    five times), written in pieces."""
    with path.open("wb") as output:
        output.write(f"MODULE Linux x86_64 {BIG_ID} big.so\nFILE 0 src/big.c\n".encode())
        number = 0
        while output.tell() < BIG_BYTES:
            lines = []
            for _ in range(4096):
                address = 0x1000 + number * 0x40
                lines.append(
                    f"FUNC {address:x} 40 0 ns{number % 997}::Type{number % 131}::call{number}"
                    f"(int, char const*)\n{address:x} 20 {number % 5000 + 1} 0\n"
                    f"{address + 0x20:x} 20 {number % 5000 + 2} 0\n"
                )
                number += 1
            output.write("".join(lines).encode())


def _client(url: str, path: str, method: str, seconds: float, queue: Any) -> None:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    latencies = []
    received = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        connection.request(method, f"/symbols/{path}")
        response = connection.getresponse()
        while chunk := response.read(1 << 20):
            received += len(chunk)
        latencies.append(time.perf_counter() - started)
    connection.close()
    queue.put((latencies, received))


def _client_process(url: str, path: str, method: str, seconds: float, threads: int, out) -> None:
    import queue as queues

    results: queues.Queue = queues.Queue()
    workers = [
        threading.Thread(target=_client, args=(url, path, method, seconds, results))
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    latencies, received = [], 0
    while not results.empty():
        more, size = results.get()
        latencies += more
        received += size
    out.put((latencies, received))


def load(url: str, path: str, method: str, seconds: float, clients: int) -> tuple[float, ...]:
    """Requests/s, MB/s, p50 and p95 ms with ``clients`` connections in two processes."""
    out: multiprocessing.Queue = multiprocessing.Queue()
    per_process = [clients // 2, clients - clients // 2]
    processes = [
        multiprocessing.Process(
            target=_client_process, args=(url, path, method, seconds, count, out)
        )
        for count in per_process
        if count
    ]
    started = time.perf_counter()
    for process in processes:
        process.start()
    latencies, received = [], 0
    for _ in processes:
        more, size = out.get()
        latencies += more
        received += size
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return (
        len(latencies) / elapsed,
        received / elapsed / 1e6,
        quantiles[49] * 1000,
        quantiles[94] * 1000,
    )


def serving(
    env: dict[str, str], workdir: Path, args: argparse.Namespace
) -> tuple[subprocess.Popen, str]:
    """Part 1; returns the webapp and its URL (it keeps running for part 2)."""
    token = jansky(env, "manage", "createtoken", "bench", "--permission=upload_symbols").strip()
    process, url = start_webapp(env, workdir)
    workers = worker_pids(process.pid)
    at_start = peak_resident_mib(workers)
    big = workdir / "big.sym"
    write_big_symbols(big)
    started = time.perf_counter()
    jansky(env, "symbols", "upload", "--quiet", f"--url={url}", f"--token={token}", str(big))
    upload_seconds = time.perf_counter() - started
    upload_peak = peak_resident_mib(workers)
    big.unlink()
    jansky(
        env, "symbols", "upload", "--quiet", f"--url={url}", f"--token={token}",
        str(DUMPS_DIR / "symbols"),
    )  # fmt: skip
    print(f"\n== serving /symbols/ ({args.clients} connections, {args.seconds:g} s each)")
    print(f"{'request':<32} {'req/s':>8} {'MB/s':>8} {'p50 ms':>8} {'p95 ms':>8}")
    for label, path, method in (
        ("GET test_app.sym (818 KB)", TEST_APP, "GET"),
        ("GET a missing file (404)", ABSENT, "GET"),
        ("HEAD test_app.sym", TEST_APP, "HEAD"),
    ):
        rate, mbps, p50, p95 = load(url, path, method, args.seconds, args.clients)
        print(f"{label:<32} {rate:8.0f} {mbps:8.1f} {p50:8.1f} {p95:8.1f}")
    rate, mbps, p50, _p95 = load(url, BIG, "GET", args.seconds, 4)
    print(f"{'GET a 256 MiB file, 4 at once':<32} {rate:8.2f} {mbps:8.1f} {p50:8.1f}")
    print(
        f"upload of the 256 MiB file: {upload_seconds:.1f} s; web worker peak memory "
        f"{at_start:.0f} MiB at start, {upload_peak:.0f} MiB after the upload, "
        f"{peak_resident_mib(workers):.0f} MiB after the downloads"
    )
    return process, url


def cold_and_warm(
    title: str,
    crashes: list[tuple[str, bytes]],
    env: dict[str, str],
    workdir: Path,
    rounds: int,
) -> None:
    cache = workdir / "symbols-cache"
    rates: dict[str, list[float]] = {"cold": [], "warm": []}
    downloaded = 0
    for _round in range(rounds):
        shutil.rmtree(cache, ignore_errors=True)
        for state in ("cold", "warm"):
            with fresh_data_dir(env, workdir) as run_env:
                run_env = {
                    **run_env,
                    "STACKWALKER_SYMBOLS_CACHE_PATH": str(cache),
                    "STACKWALKER_SYMBOLS_TMP_PATH": str(workdir / "symbols-tmp"),
                }
                rates[state].append(queued_run(run_env, workdir, crashes))
            if state == "cold":
                downloaded = sum(path.stat().st_size for path in cache.rglob("*") if path.is_file())
    print(f"\n== the processor on {title}: {len(crashes)} crashes per run, {rounds} rounds")
    print(f"symbols downloaded into the cache by a cold run: {downloaded / 1e6:.1f} MB")
    for state, label in (
        ("cold", "cold: empty cache, new processor"),
        ("warm", "warm: filled cache, new processor"),
    ):
        values = rates[state]
        print(f"{label:<36} {min(values):7.1f}-{max(values):.1f} crashes/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per kind of request")
    parser.add_argument("--clients", type=int, default=8, help="connections for the GETs")
    parser.add_argument("--rounds", type=int, default=3, help="cold and warm runs of each")
    parser.add_argument("--crashes", type=int, default=100, help="test-dump crashes per run")
    parser.add_argument("--large-crashes", type=int, default=4, help="large-corpus crashes per run")
    parser.add_argument("--no-large", action="store_true", help="skip the large-symbol corpus")
    parser.add_argument("--only-serving", action="store_true", help="skip the processor runs")
    parser.add_argument("--servers", action="store_true", help="MinIO, ElasticMQ, OpenSearch")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="jansky-bench-symbols-"))
    env = environment(workdir, args.servers)
    env.pop("SYMBOLS_PATHS", None)
    env.update(SYMBOLS_HEALING="false", DJANGO_SUPERUSER_PASSWORD="bench-password-123")
    jansky(env, "setup")
    jansky(env, "manage", "migrate", "--verbosity=0")
    jansky(env, "manage", "createsuperuser", "--noinput", "--username=bench", "--email=b@x.org")
    print(f"store: {env.get('STORAGE_URL', 'files under ' + env['DATA_DIR'])}; 2 shared cores")
    webapp = None
    try:
        webapp, url = serving(env, workdir, args)
        if args.only_serving:
            return
        processor_env = {**env, "SYMBOLS_URLS": f"{url}/symbols", "SYMBOLS_STORE_LOOKUP": "false"}
        dumps = [(name, (DUMPS_DIR / name).read_bytes()) for name in DUMP_NAMES]
        crashes = [dumps[index % len(dumps)] for index in range(args.crashes)]
        cold_and_warm("rust-minidump's test dumps", crashes, processor_env, workdir, args.rounds)
        if not args.no_large:
            manifest = ensure_corpus()
            token = jansky(env, "manage", "createtoken", "bench", "--permission=upload_symbols")
            jansky(
                env, "symbols", "upload", "--quiet", f"--url={url}", f"--token={token.strip()}",
                manifest["symbols_path"],
            )  # fmt: skip
            large = [(Path(path).name, Path(path).read_bytes()) for path in manifest["dumps"]]
            crashes = [large[index % len(large)] for index in range(args.large_crashes)]
            cold_and_warm(
                "the large-symbol corpus (134 MB of symbols)",
                crashes,
                processor_env,
                workdir,
                args.rounds,
            )
    finally:
        if webapp is not None:
            os.killpg(webapp.pid, signal.SIGTERM)
            webapp.wait(30)
        if args.servers:
            clean_up_servers(env)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
