"""Compute crash signatures for crash data or processed crashes.

Reads one JSON document (crash data, or a processed crash with `json_dump`), a JSON list of
them, or JSON lines, from FILE or standard input, and prints one JSON result per crash:
signature, proto_signature, notes and normalized_frames (and debug_log with --debug).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from processor.signature.explain import explain
from processor.signature.generator import SignatureGenerator
from processor.signature.siglists import SignatureListError, load_configured_lists, load_lists

EXAMPLES = """\
  jansky signature crash.json
  jansky signature --explain processed_crash.json
  cat many.jsonl | jansky signature --lists ../shared/data/socorro-siglists
  echo '{"threads":[{"frames":[{"function":"void Foo::Bar(int)"}]}]}' | jansky signature
"""


class InputError(ValueError):
    """The input is not JSON (or JSON lines) holding crash objects."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", default="-", help="input file; '-' or none for stdin")
    parser.add_argument(
        "--lists",
        metavar="DIR",
        default=None,
        help="directory of signature lists (default: SIGNATURE_LISTS_DIR, else Jansky's own)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="explain, frame by frame, each normalization step, list match and rule",
    )
    parser.add_argument("--debug", action="store_true", help="include the debug log in results")


def read_documents(stream: TextIO) -> Iterator[tuple[str, Any]]:
    """``(label, document)`` pairs: one document, a list of them, or JSON lines."""
    text = stream.read()
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    except RecursionError as exc:
        raise InputError("input JSON is nested too deeply") from exc
    else:
        if isinstance(document, list):
            for index, item in enumerate(document):
                yield f"item {index}", item
        else:
            yield "input", document
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"line {number}", json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise InputError(f"line {number} is not valid JSON ({exc})") from exc


def _open(path: str) -> TextIO:
    if path == "-":
        return sys.stdin
    try:
        return open(path, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc


def run(args: argparse.Namespace) -> int:
    try:
        lists = load_lists(args.lists) if args.lists else load_configured_lists()
    except SignatureListError as exc:
        print(f"jansky signature: {exc}", file=sys.stderr)
        return 2
    generator = SignatureGenerator(lists)
    try:
        stream = _open(args.file)
        try:
            documents = list(read_documents(stream))
        finally:
            if stream is not sys.stdin:
                stream.close()
    except (InputError, UnicodeDecodeError) as exc:
        print(f"jansky signature: {exc}", file=sys.stderr)
        return 1
    many = len(documents) > 1
    for label, document in documents:
        result = generator.generate(document, explain=args.explain)
        if args.explain:
            heading = f"== {label} ==\n" if many else ""
            print(heading + explain(result, lists.source) + ("\n" if many else ""))
            continue
        output = result.to_dict()
        if not args.debug:
            del output["debug_log"]
        print(json.dumps(output) if many else json.dumps(output, indent=2))
    return 0
