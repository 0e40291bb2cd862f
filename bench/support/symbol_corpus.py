"""The large-symbol corpus for the stackwalker benchmarks: real symbol files of 100 MB and more,
and real minidumps that need them.

Real products ship symbol files of 100 MB to 1 GB (a browser's main library), and parsing them
is most of what a stackwalk costs. The corpus is made here, from sources, with the project's own
tools:

1. a large program built with debug information from Go sources: MinIO (the version
   bin/provision pins) together with eight of the largest AWS SDK clients (aws-sdk-go v1, which
   MinIO already depends on), with aggressive inlining (``-gcflags=all=-l=4``) and linked by the
   system linker (``-linkmode=external``: minidump-writer finds the GNU build id there, the id
   ``dump_syms`` names the symbols by; with Go's own linker it does not);
2. its Breakpad symbol file, made by the provisioned ``dump_syms`` with inline records
   (``--inlines``, as Mozilla makes Firefox's);
3. minidumps of the program running as a MinIO server, written by ``crashgen snapshot``
   (minidump-writer, the out-of-process writer crashgen's crash monitor uses): every thread's
   stack runs through the program, so each walk needs its symbols. They are about 200 MB each:
   minidump-writer copies a thread's stack from its stack pointer to the end of its mapping,
   and one of the Go runtime's threads always has its stack in a mapping that large.

(MinIO alone gives 66 MB of symbols, 82 MB with inline records and 94 MB with more inlining;
the stackwalker service built with full debug information gives 28-37 MB.)

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
PROGRAM = "minio-aws"
AWS_SDK_VERSION = "v1.55.7"
AWS_CLIENTS = {
    "cloudformation": "CloudFormation",
    "ec2": "EC2",
    "glue": "Glue",
    "iot": "IoT",
    "quicksight": "QuickSight",
    "rds": "RDS",
    "sagemaker": "SageMaker",
    "ssm": "SSM",
}


def minio_version() -> str:
    """The MinIO version bin/provision pins (one pin for the project)."""
    match = re.search(r"^MINIO_VERSION=(\S+)$", (ROOT / "bin" / "provision").read_text(), re.M)
    if not match:
        sys.exit("cannot find MINIO_VERSION in bin/provision")
    return match.group(1)


def program_source() -> str:
    """MinIO's main, with the AWS clients' types kept (their methods are linked in: MinIO's
    templates use reflection, so the linker keeps every method of a type in an interface)."""
    imports = "".join(
        f'\t"github.com/aws/aws-sdk-go/service/{name}"\n' for name in sorted(AWS_CLIENTS)
    )
    clients = "".join(f"\t(*{name}.{kind})(nil),\n" for name, kind in sorted(AWS_CLIENTS.items()))
    return (
        'package main\n\nimport (\n\t"fmt"\n\t"os"\n\n'
        + imports
        + '\tminio "github.com/minio/minio/cmd"\n)\n\n'
        + "var clients = []interface{}{\n"
        + clients
        + "}\n\n"
        + "func main() {\n"
        + '\tif len(os.Args) > 1 && os.Args[1] == "clients" {\n'
        + "\t\tfmt.Println(len(clients))\n\t\treturn\n\t}\n"
        + "\tminio.Main(os.Args)\n}\n"
    )


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(args), flush=True)
    return subprocess.run(args, check=True, **kwargs)


def build_program(corpus: Path) -> Path:
    """The program, built from its Go sources with DWARF (the module proxy brings them)."""
    binary = corpus / "bin" / PROGRAM
    if binary.exists():
        return binary
    if not shutil.which("go") or not shutil.which("cc"):
        sys.exit("building the corpus needs the go toolchain and a C compiler (for linking)")
    print("building MinIO and AWS clients with debug information (minutes on two cores)")
    source = corpus / "src"
    source.mkdir(parents=True, exist_ok=True)
    (source / "main.go").write_text(program_source())
    (source / "go.mod").write_text(
        f"module jansky.bench/{PROGRAM}\n\ngo 1.24\n\nrequire (\n"
        f"\tgithub.com/aws/aws-sdk-go {AWS_SDK_VERSION}\n"
        f"\tgithub.com/minio/minio {minio_version()}\n)\n"
    )
    env = {**os.environ, "CGO_ENABLED": "1"}
    run(["go", "mod", "tidy"], cwd=source, env=env)
    run(
        [
            "go",
            "build",
            "-gcflags=all=-l=4",
            "-ldflags=-linkmode=external",
            "-o",
            str(binary),
            ".",
        ],
        cwd=source,
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
        command = [str(DUMP_SYMS), "--inlines", "--store", str(store), str(binary)]
        run(command, stdout=subprocess.DEVNULL)
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


def wait_until_serving(server: subprocess.Popen, health: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(health, timeout=2).close()
            return
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("the corpus program did not start")
            time.sleep(0.5)


def snapshot_dumps(binary: Path, corpus: Path, count: int) -> list[Path]:
    """Minidumps of the program running as a MinIO server."""
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
            wait_until_serving(server, f"http://127.0.0.1:{port}/minio/health/live")
            taken = []
            for index in range(count):
                time.sleep(1)  # the threads caught doing different things
                path = dumps / f"{PROGRAM}-{index:02d}.dmp"
                run([str(CRASHGEN), "snapshot", str(server.pid), "--out", str(path)])
                taken.append(path)
            return taken
        finally:
            server.terminate()
            server.wait(30)


def ensure_corpus(dumps: int = 4, rebuild: bool = False) -> dict:
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
    parser.add_argument("--dumps", type=int, default=4, help="minidumps to take (default 4)")
    parser.add_argument("--rebuild", action="store_true", help="make the corpus again")
    args = parser.parse_args()
    manifest = ensure_corpus(args.dumps, args.rebuild)
    for path, size in manifest["symbol_files"].items():
        print(f"symbol file {path}: {size / 1e6:.0f} MB")
    print(f"{len(manifest['dumps'])} minidumps in {CORPUS / 'dumps'}")


if __name__ == "__main__":
    main()
