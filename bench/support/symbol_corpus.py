"""The large-symbol corpus for the stackwalker benchmarks: real symbol files of 100 MB and more,
and real minidumps that need them.

Real products ship symbol files of 100 MB to 1 GB (a browser's main library), and parsing them
is most of what a stackwalk costs. The corpus is made here, from sources, with the project's own
tools:

1. a large program built with debug information: MinIO (the version bin/provision pins), built
   from its Go sources with DWARF and without optimisation or inlining
   (``-gcflags=all=-N -l``), as a debug build is;
2. its Breakpad symbol file, made by the provisioned ``dump_syms``;
3. minidumps of the running program, written by ``crashgen snapshot`` (minidump-writer, the
   same out-of-process writer crashgen's crash monitor uses), a few seconds apart while it
   serves requests: every thread's stack runs through the program, so each walk needs its
   symbols.

It lives in ``~/.cache/jansky/bench/symbol-corpus`` (not in the project) and is reused when
present; ``--rebuild`` makes it again.

    .venv/bin/python -m bench.support.symbol_corpus [--dumps N] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("JANSKY_CACHE_DIR", Path.home() / ".cache" / "jansky"))
CORPUS = CACHE / "bench" / "symbol-corpus"
DUMP_SYMS = CACHE / "cargo" / "bin" / "dump_syms"
CRASHGEN = CACHE / "crashgen" / "bin" / "crashgen"
MIN_SYMBOL_BYTES = 100_000_000
MANIFEST = "manifest.json"


def minio_version() -> str:
    """The MinIO version bin/provision pins (one pin for the project)."""
    match = re.search(r"^MINIO_VERSION=(\S+)$", (ROOT / "bin" / "provision").read_text(), re.M)
    if not match:
        sys.exit("cannot find MINIO_VERSION in bin/provision")
    return match.group(1)


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(args), flush=True)
    return subprocess.run(args, check=True, **kwargs)


def build_program(corpus: Path) -> Path:
    """MinIO built from source with DWARF, without optimisation or inlining."""
    binary = corpus / "bin" / "minio"
    if binary.exists():
        return binary
    if not shutil.which("go"):
        sys.exit("building the corpus needs the go toolchain")
    print("building MinIO with debug information (several minutes on two cores)", flush=True)
    env = {**os.environ, "GOBIN": str(binary.parent), "CGO_ENABLED": "0"}
    run(
        ["go", "install", "-gcflags=all=-N -l", f"github.com/minio/minio@{minio_version()}"],
        env=env,
    )
    return binary


def make_symbols(binary: Path, corpus: Path) -> Path:
    """The program's Breakpad symbols, in a symbol store under the corpus."""
    store = corpus / "symbols"
    found = sorted(store.rglob("*.sym")) if store.exists() else []
    if not found:
        if not DUMP_SYMS.exists():
            sys.exit(f"no dump_syms at {DUMP_SYMS}: run `bin/provision dump_syms`")
        run([str(DUMP_SYMS), "--store", str(store), str(binary)], stdout=subprocess.DEVNULL)
        found = sorted(store.rglob("*.sym"))
    symbols = found[0]
    size = symbols.stat().st_size
    if size < MIN_SYMBOL_BYTES:
        sys.exit(f"{symbols} has only {size:,} bytes; the corpus needs >= {MIN_SYMBOL_BYTES:,}")
    return symbols


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def snapshot_dumps(binary: Path, corpus: Path, count: int) -> list[Path]:
    """Minidumps of the running program, taken while it serves requests."""
    if not CRASHGEN.exists():
        sys.exit(f"no crashgen at {CRASHGEN}: run `bin/provision crashgen`")
    dumps = corpus / "dumps"
    dumps.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="corpus-minio-") as data:
        env = {
            **os.environ,
            "MINIO_ROOT_USER": "corpus",
            "MINIO_ROOT_PASSWORD": "corpus-password",
            "MINIO_BROWSER": "off",
        }
        server = subprocess.Popen(
            [str(binary), "server", data, "--address", f"127.0.0.1:{port}", "--quiet"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            health = f"http://127.0.0.1:{port}/minio/health/live"
            deadline = time.monotonic() + 120
            while True:
                try:
                    urllib.request.urlopen(health, timeout=2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        sys.exit("the corpus program did not start")
                    time.sleep(0.5)
            taken = []
            for index in range(count):
                # Some requests between snapshots, so the threads are caught doing other things.
                for _ in range(20):
                    urllib.request.urlopen(health, timeout=2).close()
                path = dumps / f"minio-{index:02d}.dmp"
                run([str(CRASHGEN), "snapshot", str(server.pid), "--out", str(path)])
                taken.append(path)
                time.sleep(0.5)
            return taken
        finally:
            server.terminate()
            server.wait(30)


def ensure_corpus(dumps: int = 8, rebuild: bool = False) -> dict:
    """The corpus manifest (symbols paths, dumps, sizes), building what is missing."""
    manifest_path = CORPUS / MANIFEST
    if rebuild and CORPUS.exists():
        shutil.rmtree(CORPUS)
    if manifest_path.exists():
        return json.loads(manifest_path.read_text())
    CORPUS.mkdir(parents=True, exist_ok=True)
    binary = build_program(CORPUS)
    symbols = make_symbols(binary, CORPUS)
    taken = snapshot_dumps(binary, CORPUS, dumps)
    manifest = {
        "program": str(binary),
        "program_bytes": binary.stat().st_size,
        "symbols_path": str(CORPUS / "symbols"),
        "symbol_files": {str(symbols): symbols.stat().st_size},
        "dumps": [str(path) for path in taken],
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dumps", type=int, default=8, help="minidumps to take (default 8)")
    parser.add_argument("--rebuild", action="store_true", help="make the corpus again")
    args = parser.parse_args()
    manifest = ensure_corpus(args.dumps, args.rebuild)
    for path, size in manifest["symbol_files"].items():
        print(f"symbol file {path}: {size / 1e6:.0f} MB")
    print(f"{len(manifest['dumps'])} minidumps in {CORPUS / 'dumps'}")


if __name__ == "__main__":
    main()
