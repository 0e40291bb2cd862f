"""The large-symbol corpus for the stackwalker benchmarks: real symbol files of 100 MB and more,
and real minidumps that need them.

Real products ship symbol files of 100 MB to 1 GB (a browser's main library), and parsing them
is most of what a stackwalk costs. The corpus is made here, from sources, with the project's own
tools:

1. a large program built with full debug information: the stackwalker service itself
   (``stackwalker/``: tokio, reqwest, rustls, the rust-minidump crates, ...), built from its lock
   file in release mode with ``debug = "full"``, in a target folder of the corpus's own;
2. its Breakpad symbol file, made by the provisioned ``dump_syms`` with inline records
   (``--inlines``, as Mozilla makes Firefox's);
3. minidumps of that program running, written by ``crashgen snapshot`` (minidump-writer, the
   out-of-process writer crashgen's crash monitor uses) while it walks the test dumps: every
   thread's stack runs through the program, so each walk needs its symbols.

(A Go program was tried first: MinIO's symbol file is 66-82 MB, and minidump-writer reads a
code id for Go binaries that dump_syms does not write, so its symbols are never found.)

It lives in ``~/.cache/jansky/bench/symbol-corpus`` (not in the project) and is reused when
present; ``--rebuild`` makes it again.

    .venv/bin/python -m bench.support.symbol_corpus [--dumps N] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("JANSKY_CACHE_DIR", Path.home() / ".cache" / "jansky"))
CORPUS = CACHE / "bench" / "symbol-corpus"
DUMP_SYMS = CACHE / "cargo" / "bin" / "dump_syms"
CRASHGEN = CACHE / "crashgen" / "bin" / "crashgen"
TESTDATA = Path(os.environ.get("JANSKY_TESTDATA_DIR", ROOT.parent / "shared" / "testdata"))
MIN_SYMBOL_BYTES = 100_000_000
MANIFEST = "manifest.json"
PROGRAM = "jansky-stackwalker"


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(args), flush=True)
    return subprocess.run(args, check=True, **kwargs)


def build_program(corpus: Path) -> Path:
    """The stackwalker service built with full debug information (its own target folder)."""
    binary = corpus / "bin" / PROGRAM
    if binary.exists():
        return binary
    if not shutil.which("cargo"):
        sys.exit("building the corpus needs cargo")
    print("building the stackwalker with full debug information (minutes on two cores)")
    target = corpus / "target"
    env = {**os.environ, "CARGO_TARGET_DIR": str(target), "CARGO_PROFILE_RELEASE_DEBUG": "full"}
    manifest = ROOT / "stackwalker" / "Cargo.toml"
    run(["cargo", "build", "--release", "--locked", "--manifest-path", str(manifest)], env=env)
    binary.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(target / "release" / PROGRAM, binary)
    shutil.rmtree(target)  # gigabytes of objects with debug information
    return binary


def make_symbols(binary: Path, corpus: Path) -> Path:
    """The program's Breakpad symbols, in a symbol store under the corpus."""
    store = corpus / "symbols"
    found = sorted(store.rglob("*.sym")) if store.exists() else []
    if not found:
        if not DUMP_SYMS.exists():
            sys.exit(f"no dump_syms at {DUMP_SYMS}: run `bin/provision dump_syms`")
        command = [str(DUMP_SYMS), "--inlines", "--store", str(store), str(binary)]
        run(command, stdout=subprocess.DEVNULL)
        found = sorted(store.rglob("*.sym"))
    symbols = found[0]
    size = symbols.stat().st_size
    if size < MIN_SYMBOL_BYTES:
        sys.exit(f"{symbols} has only {size:,} bytes; the corpus needs >= {MIN_SYMBOL_BYTES:,}")
    return symbols


def frame(header: dict, body: bytes = b"") -> bytes:
    """One request in the service's protocol (stackwalker/src/protocol.rs)."""
    encoded = json.dumps(header).encode()
    return struct.pack("<II", 4 + len(encoded) + len(body), len(encoded)) + encoded + body


def keep_walking(service: subprocess.Popen, stop: threading.Event) -> None:
    """Send walks of the test dumps, a few at a time, until ``stop``; drain the answers."""
    assert service.stdin is not None and service.stdout is not None
    dumps = sorted((TESTDATA / "rust-minidump").glob("*.dmp"))
    symbols = {"paths": [str(TESTDATA / "rust-minidump" / "symbols")]}
    answers = threading.Thread(target=drain, args=(service.stdout,), daemon=True)
    answers.start()
    request = 0
    while not stop.is_set():
        for dump in dumps:
            request += 1
            header = {"id": request, "dump": str(dump), "symbols": symbols}
            service.stdin.write(frame(header))
        service.stdin.flush()
        time.sleep(0.01)


def drain(stream) -> None:
    while stream.read(1 << 16):
        pass


def snapshot_dumps(binary: Path, corpus: Path, count: int) -> list[Path]:
    """Minidumps of the running program, taken while it walks minidumps."""
    if not CRASHGEN.exists():
        sys.exit(f"no crashgen at {CRASHGEN}: run `bin/provision crashgen`")
    if not (TESTDATA / "rust-minidump").is_dir():
        sys.exit(f"no test dumps under {TESTDATA} (set JANSKY_TESTDATA_DIR)")
    dumps = corpus / "dumps"
    dumps.mkdir(parents=True, exist_ok=True)
    service = subprocess.Popen(
        [str(binary), "--max-walks=4"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    stop = threading.Event()
    walker = threading.Thread(target=keep_walking, args=(service, stop), daemon=True)
    walker.start()
    try:
        time.sleep(1)
        taken = []
        for index in range(count):
            path = dumps / f"{PROGRAM}-{index:02d}.dmp"
            run([str(CRASHGEN), "snapshot", str(service.pid), "--out", str(path)])
            taken.append(path)
            time.sleep(0.3)
        return taken
    finally:
        stop.set()
        service.kill()
        service.wait(30)


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
