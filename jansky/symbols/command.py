"""Breakpad symbols: upload them to Crash Stats, or run the healing of crashes that lacked them.

`jansky symbols upload` sends .sym files, folders of them and zips in the store's layout to
a Crash Stats server (`POST /symbols/upload`) with an API token carrying "Upload Symbols";
crashes that lacked the new symbols are then reprocessed by the server on its own.
`jansky symbols heal` runs that healing in this process (when SYMBOLS_HEALING=false keeps the
web workers from doing it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path
from typing import Any

from jansky.queue import QueueError
from jansky.search import SearchError
from jansky.symbols.client import Server, UploadFailed, collect, send_all
from processor.sizes import parse_size

EXAMPLES = """\
  jansky symbols upload --token=$TOKEN build/symbols/          every .sym under the folder
  jansky symbols upload --url=https://crash-stats.example.com app.sym libfoo.so.sym
  jansky symbols upload symbols.zip       a zip in the <debug_file>/<debug_id>/<file>.sym layout
  JANSKY_API_TOKEN=... jansky symbols upload dump_syms_output/
  jansky symbols heal                     heal crashes as uploads arrive (until stopped)
  jansky symbols heal --once              heal what is waiting, then exit
"""

DEFAULT_URL = "http://127.0.0.1:8000"
TOKEN_VARIABLE = "JANSKY_API_TOKEN"
SHOWN_FILES = 20


def configure(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    upload = commands.add_parser(
        "upload",
        help="upload .sym files, folders of them, or zips in the store's layout",
        description="Upload Breakpad symbols to Crash Stats (POST /symbols/upload).",
        epilog=f"examples:\n{EXAMPLES}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    upload.add_argument("paths", nargs="+", type=Path, metavar="PATH", help=".sym, folder or zip")
    upload.add_argument(
        "--url", default=DEFAULT_URL, help=f"the Crash Stats server (default {DEFAULT_URL})"
    )
    upload.add_argument(
        "--token",
        default=os.environ.get(TOKEN_VARIABLE, ""),
        help=f"API token with 'Upload Symbols' (default: ${TOKEN_VARIABLE})",
    )
    upload.add_argument(
        "--batch-size",
        default="1gb",
        type=parse_size,
        help="symbol bytes per uploaded zip (default 1gb; keep it under the server's limit)",
    )
    upload.add_argument("--quiet", action="store_true", help="no progress bar")
    heal = commands.add_parser(
        "heal",
        help="reprocess crashes that lacked symbols uploaded since (the healer)",
        description=(
            "Run the healer: queue for reprocessing the crashes that lacked uploaded symbols, "
            "at SYMBOLS_HEAL_RATE crashes a second. Uses the Crash Stats settings "
            "(DATABASE_URL, SEARCH_URL, QUEUE_URL)."
        ),
    )
    heal.add_argument("--once", action="store_true", help="heal what is waiting, then exit")


def run(args: argparse.Namespace) -> int:
    if args.action == "heal":
        return _heal(args.once)
    return _upload(args)


def _upload(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    if not args.token:
        print(
            f"jansky symbols upload: no API token: pass --token or set {TOKEN_VARIABLE} "
            "(create one with 'Upload Symbols' at /api/tokens/)",
            file=sys.stderr,
        )
        return 2
    try:
        inputs = collect(args.paths)
    except (OSError, ValueError) as exc:
        print(f"jansky symbols upload: {exc}", file=sys.stderr)
        return 2
    for reason in inputs.skipped:
        print(f"skipped {reason}", file=sys.stderr)
    if not inputs.symbols and not inputs.zips:
        print("jansky symbols upload: no symbol files found", file=sys.stderr)
        return 1
    server = Server(args.url, args.token)
    answers: list[dict[str, Any]] = []
    bar = tqdm(
        total=inputs.total_bytes, unit="B", unit_scale=True, desc="uploading", disable=args.quiet
    )
    try:
        for answer in send_all(inputs, server, args.batch_size, bar.update):
            answers.append(answer)  # kept as they come: the summary shows what was sent
    except UploadFailed as exc:
        bar.close()
        print_summary(answers)
        print(f"jansky symbols upload: the upload failed: {exc}", file=sys.stderr)
        return 1
    bar.close()
    print_summary(answers)
    return 0


def print_summary(answers: list[dict[str, Any]]) -> None:
    """What the uploads brought, and where to follow the healing they started."""
    files = [item for answer in answers for item in answer.get("files", [])]
    if not answers:
        return
    counts = {outcome: 0 for outcome in ("new", "replaced", "unchanged")}
    for item in files:
        counts[item.get("outcome", "")] = counts.get(item.get("outcome", ""), 0) + 1
    print(
        f"{len(files)} symbol file{'s' if len(files) != 1 else ''}: {counts['new']} new, "
        f"{counts['replaced']} replaced, {counts['unchanged']} already stored"
    )
    fresh = [item for item in files if item.get("outcome") in ("new", "replaced")]
    for item in fresh[:SHOWN_FILES]:
        print(f"  {item['outcome']:8} {item['debug_file']}/{item['debug_id']}")
    if len(fresh) > SHOWN_FILES:
        print(f"  ... and {len(fresh) - SHOWN_FILES} more")
    if fresh:
        print("Crashes that lacked them are being reprocessed; follow it at:")
        for answer in answers:
            if answer.get("new") or answer.get("replaced"):
                print(f"  {answer.get('url')}")


def _heal(once: bool) -> int:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    django.setup()
    from django.conf import settings

    from webapp.symbols.healing import Healer, HealerThread

    rate = settings.JANSKY_SYMBOLS.heal_rate
    if once:
        try:
            queued = Healer(rate).run_until_idle()
        except (SearchError, QueueError) as exc:
            print(f"jansky symbols heal: {exc}", file=sys.stderr)
            return 1
        print(f"queued {queued} crashes for reprocessing")
        return 0
    thread = HealerThread(rate)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: thread.stopped.set())
    print(f"healing at up to {rate:g} crashes a second; Ctrl-C to stop")
    with contextlib.suppress(KeyboardInterrupt):
        thread.run()
    thread.healer.lease.release()
    return 0
