"""Send a crash report (a minidump plus annotations) to a collector, like a crash reporter.

Prints the collector's answer; exits 0 only when the crash was accepted (`CrashID=bp-...`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from antenna.client import encode_report, post_report

EXAMPLES = """\
  jansky submit http://127.0.0.1:8800/submit crash.dmp -a ProductName=Firefox -a Version=120.0
  jansky submit http://127.0.0.1:8800/submit crash.dmp --gzip            as Crashpad sends it
  jansky submit http://127.0.0.1:8800/submit crash.dmp --json-extra      as Firefox sends it
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", help="the collector's submit URL, e.g. http://127.0.0.1:8800/submit")
    parser.add_argument("dump", type=Path, help="the minidump file (upload_file_minidump)")
    parser.add_argument(
        "-a",
        "--annotation",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an annotation (repeatable); ProductName defaults to Test, Version to 1.0",
    )
    parser.add_argument("--gzip", action="store_true", help="gzip the body (Content-Encoding)")
    parser.add_argument(
        "--json-extra", action="store_true", help="send annotations as one JSON part `extra`"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds (default 30)")


def parse_annotations(pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings as a dict; raises ValueError naming a pair without ``=``."""
    annotations = {"ProductName": "Test", "Version": "1.0"}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"annotation {pair!r} must look like KEY=VALUE")
        annotations[key] = value
    return annotations


def run(args: argparse.Namespace) -> int:
    try:
        annotations = parse_annotations(args.annotation)
        dump = args.dump.read_bytes()
    except (ValueError, OSError) as exc:
        print(f"jansky submit: {exc}", file=sys.stderr)
        return 2
    report = encode_report(
        annotations, {"upload_file_minidump": dump}, json_extra=args.json_extra, compress=args.gzip
    )
    try:
        response = post_report(args.url, report, timeout=args.timeout)
    except OSError as exc:
        print(f"jansky submit: cannot reach {args.url}: {exc}", file=sys.stderr)
        return 1
    print(f"{response.status} {response.body.strip()}")
    return 0 if response.crash_id else 1
