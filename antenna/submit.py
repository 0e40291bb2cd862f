"""Send crash reports (minidumps plus annotations) to a collector, like a crash reporter.

One report: prints the collector's answer and exits 0 only when the crash was accepted
(`CrashID=bp-...`). With --count (and --concurrency), a load run: the reports are sent from
several connections at once, a progress bar runs, and a summary follows (accepted, rejected
by reason, errors, rate, latency percentiles); it exits 0 only when every report was accepted.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from antenna.client import EncodedReport, encode_report, post_report
from antenna.load import send_load

EXAMPLES = """\
  jansky submit http://127.0.0.1:8800/submit crash.dmp -a ProductName=Firefox -a Version=120.0
  jansky submit http://127.0.0.1:8800/submit crash.dmp --gzip            as Crashpad sends it
  jansky submit http://127.0.0.1:8800/submit crash.dmp --json-extra      as Firefox sends it
  jansky submit http://127.0.0.1:8800/submit a.dmp b.dmp --count 1000 --concurrency 16
  jansky submit http://127.0.0.1:8800/submit a.dmp --count 200 --ids accepted.txt
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", help="the collector's submit URL, e.g. http://127.0.0.1:8800/submit")
    parser.add_argument(
        "dumps",
        type=Path,
        nargs="+",
        metavar="DUMP",
        help="minidump files (upload_file_minidump); a load run cycles through them",
    )
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
    parser.add_argument(
        "--count", type=int, default=1, help="reports to send (default 1; more is a load run)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=1, help="connections sending at once (default 1)"
    )
    parser.add_argument("--ids", type=Path, metavar="FILE", help="write accepted crash ids here")


def parse_annotations(pairs: list[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings as a dict; raises ValueError naming a pair without ``=``."""
    annotations = {"ProductName": "Test", "Version": "1.0"}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"annotation {pair!r} must look like KEY=VALUE")
        annotations[key] = value
    return annotations


def _reports(args: argparse.Namespace) -> list[EncodedReport]:
    annotations = parse_annotations(args.annotation)
    if args.count < 1 or args.concurrency < 1:
        raise ValueError("--count and --concurrency must be at least 1")
    return [
        encode_report(
            annotations,
            {"upload_file_minidump": dump.read_bytes()},
            json_extra=args.json_extra,
            compress=args.gzip,
        )
        for dump in args.dumps
    ]


def _write_ids(path: Path | None, ids: list[str]) -> None:
    if path is not None:
        path.write_text("".join(f"{crash_id}\n" for crash_id in ids))


def run(args: argparse.Namespace) -> int:
    try:
        reports = _reports(args)
    except (ValueError, OSError) as exc:
        print(f"jansky submit: {exc}", file=sys.stderr)
        return 2
    if args.count == 1 and len(reports) == 1:
        try:
            response = post_report(args.url, reports[0], timeout=args.timeout)
        except OSError as exc:
            print(f"jansky submit: cannot reach {args.url}: {exc}", file=sys.stderr)
            return 1
        print(f"{response.status} {response.body.strip()}")
        _write_ids(args.ids, [response.crash_id] if response.crash_id else [])
        return 0 if response.crash_id else 1
    with tqdm(total=args.count, unit="report", file=sys.stderr, disable=None) as bar:
        summary = send_load(
            args.url,
            reports,
            args.count,
            args.concurrency,
            args.timeout,
            on_answer=lambda: bar.update(1),
        )
    print("\n".join(summary.lines()))
    _write_ids(args.ids, summary.accepted)
    return 0 if len(summary.accepted) == args.count else 1
