"""Queue crashes for reprocessing (ids from the arguments or, one per line, from stdin).

Each id is published to the reprocessing queue of QUEUE_URL, optionally with a ruleset:
`default` reprocesses everything, `regenerate_signature` only recomputes the signature from
the stored processed crash.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator

from tqdm import tqdm

from jansky.crashid import InvalidCrashId, parse_crash_id
from jansky.queue import REPROCESSING, QueueError, make_body, open_queue_from_settings
from processor.rulesets import RULESET_NAMES

EXAMPLES = """\
  jansky reprocess 3f7c2a10-1b2c-4d5e-8f90-a1b2c3250101
  jansky reprocess --ruleset regenerate_signature bp-3f7c2a10-1b2c-4d5e-8f90-a1b2c3250101
  jansky search --signature='=OOM | small' --_columns=uuid | jansky reprocess
"""

BATCH = 100


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("crash_ids", nargs="*", metavar="ID", help="crash ids (bp- prefix ok)")
    parser.add_argument(
        "--ruleset",
        choices=RULESET_NAMES,
        default=None,
        help="ruleset to run (default: the processor's `default`)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def read_ids(args: Iterable[str], stdin: Iterable[str]) -> Iterator[str]:
    """Ids from ``args``, else from ``stdin``; blank lines and ``#`` comments are skipped."""
    source = args if args else (line.strip() for line in stdin)
    for item in source:
        if item and not item.startswith("#"):
            yield item


def bodies_for(ids: Iterable[str], ruleset: str | None) -> list[str]:
    """Validated queue bodies; raises InvalidCrashId naming the first bad id."""
    return [make_body(parse_crash_id(crash_id), ruleset) for crash_id in ids]


def run(args: argparse.Namespace) -> int:
    try:
        bodies = bodies_for(read_ids(args.crash_ids, sys.stdin), args.ruleset)
    except InvalidCrashId as exc:
        print(f"jansky reprocess: {exc}; nothing was queued", file=sys.stderr)
        return 2
    if not bodies:
        print("jansky reprocess: no crash ids given (arguments or stdin)", file=sys.stderr)
        return 2
    queue = open_queue_from_settings()
    with tqdm(total=len(bodies), unit="crash", disable=args.quiet, file=sys.stderr) as bar:
        for start in range(0, len(bodies), BATCH):
            batch = bodies[start : start + BATCH]
            try:
                queue.publish(REPROCESSING, batch)
            except QueueError as exc:
                print(
                    f"jansky reprocess: {exc}; {start} of {len(bodies)} were queued",
                    file=sys.stderr,
                )
                return 1
            bar.update(len(batch))
    print(f"queued {len(bodies)} crashes for reprocessing", file=sys.stderr)
    return 0
