"""Real crashes through the whole pipeline: crashgen crashes in each of its ways, its symbols are
uploaded, and the crashes are submitted as Firefox's crash reporter sends them; prints each
crash's signature and report page once Crash Stats has processed it.

Run it beside `jansky run` (in another terminal, from the same folder and settings): it builds
crashgen and its symbols (`bin/provision crashgen`), uploads the symbols with a new API token of
Crash Stats' first superuser (or the token given), makes one minidump per kind of crash with
crashgen's crash handler, posts them to the collector with Firefox-style annotations (an
`extra` JSON part), and waits until each is searchable. Against another stack (docker compose),
give its URLs and a token carrying "Upload Symbols".
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from everett import ConfigurationError

from antenna.client import encode_report, post_report
from jansky.commands.healthcheck import check_url
from jansky.commands.run import load_run_settings
from jansky.crashgen import Crashgen, CrashgenError, GeneratedCrash, build_crashgen
from jansky.symbols.client import Server, UploadFailed, collect, send_all
from jansky.symbols.command import TOKEN_VARIABLE, print_summary

EXAMPLES = """\
  jansky demo                                 against `jansky run` on this machine
  jansky demo --kind panic --kind oom         only these kinds of crash
  jansky demo --out demo-dumps/               keep the minidumps (to send again: jansky submit)
  jansky demo --collector http://localhost:8800 --webapp http://localhost:8000 --token $TOKEN
                                              against the docker compose stack
"""

WAIT_SECONDS = 120.0
POLL_SECONDS = 0.5
TOKEN_DAYS = 1
TOKEN_NOTES = "jansky demo: crashgen's symbols"
UPLOAD_BATCH_BYTES = 1 << 30  # as `jansky symbols upload` packs them by default


class DemoError(Exception):
    """A step of the demo cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Submitted:
    """A crash the collector accepted."""

    crash: GeneratedCrash
    crash_id: str


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--collector", metavar="URL", help="the collector's base URL (default: jansky run's)"
    )
    parser.add_argument(
        "--webapp", metavar="URL", help="Crash Stats' base URL (default: jansky run's, from RUN_*)"
    )
    parser.add_argument(
        "--token",
        default=os.environ.get(TOKEN_VARIABLE, ""),
        metavar="KEY",
        help=(
            f"API token with 'Upload Symbols' (default: ${TOKEN_VARIABLE}, else a new token of "
            "the first superuser in the Crash Stats database the settings name)"
        ),
    )
    parser.add_argument(
        "--kind",
        action="append",
        default=[],
        metavar="KIND",
        help="a kind of crash (repeat; default: every kind crashgen knows)",
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="keep the minidumps in this folder")
    parser.add_argument(
        "--wait",
        type=float,
        default=WAIT_SECONDS,
        metavar="SECONDS",
        help=f"seconds to wait for the crashes to be processed (default {WAIT_SECONDS:g})",
    )


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    try:
        collector, webapp = _urls(args)
        with ExitStack() as stack:
            out = args.out or Path(stack.enter_context(tempfile.TemporaryDirectory()))
            where = str(out) if args.out else "a temporary folder (--out keeps them)"
            token, submitted = demonstrate(collector, webapp, args.token, args.kind, out, where)
            processed = wait_until_processed(webapp, token, submitted, args.wait)
    except (DemoError, CrashgenError, ConfigurationError, ValueError) as exc:
        print(f"jansky demo: {exc}", file=sys.stderr)
        return 1
    print_results(webapp, submitted, processed, time.monotonic() - started)
    return 0 if len(processed) == len(submitted) else 1


def _urls(args: argparse.Namespace) -> tuple[str, str]:
    settings = load_run_settings()
    collector = (args.collector or settings.collector_url).rstrip("/")
    webapp = (args.webapp or settings.webapp_url).rstrip("/")
    for name, url in (("the collector", collector), ("Crash Stats", webapp)):
        problem = check_url(f"{url}/__lbheartbeat__", timeout=5)
        if problem:
            raise DemoError(
                f"{name} does not answer ({problem}); start `jansky run` first (in another "
                "terminal), or give --collector and --webapp"
            )
    return collector, webapp


def demonstrate(
    collector: str, webapp: str, token: str, kinds: Sequence[str], out: Path, where: str
) -> tuple[str, list[Submitted]]:
    """Every step up to the crashes being accepted by the collector; the token used, and the
    crashes."""
    step("building crashgen and its symbols (bin/provision crashgen)")
    crashgen = build_crashgen(echo=lambda line: print(f"    {line}"))
    known = crashgen.kinds()
    unknown = sorted(set(kinds) - set(known))
    if unknown:
        raise DemoError(f"crashgen knows no kind {', '.join(unknown)}; it knows {' '.join(known)}")
    chosen = list(kinds) or known
    if not token:
        username, token = new_upload_token()
        step(f"a new API token of superuser {username}, with Upload Symbols, for a day")
    step(f"uploading crashgen's symbols to {webapp}")
    upload_symbols(crashgen, webapp, token)
    step(f"crashing crashgen {len(chosen)} ways, minidumps in {where}")
    out.mkdir(parents=True, exist_ok=True)
    crashes = []
    for kind in chosen:
        crash = crashgen.crash(kind, out)
        print(f"    {kind:<20} {crash.dump.name} ({crash.dump.stat().st_size // 1024} KiB)")
        crashes.append(crash)
    step(f"submitting them to {collector}/submit as Firefox does (annotations in `extra`)")
    return token, [submit(collector, crash) for crash in crashes]


def step(text: str) -> None:
    print(f"- {text}", flush=True)


def new_upload_token() -> tuple[str, str]:
    """A token with "Upload Symbols" for Crash Stats' first superuser, expiring in a day, made
    in the database the settings name (jansky run's, with the same DATA_DIR); (user, key)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.db import DatabaseError

    from webapp.config import WebappConfigurationError

    try:
        django.setup()
        from django.contrib.auth import get_user_model
        from django.utils import timezone

        from webapp.tokens.models import create_token

        superuser = (
            get_user_model()
            .objects.filter(is_superuser=True, is_active=True)
            .order_by("pk")
            .first()
        )
        if superuser is None:
            raise DemoError(
                "Crash Stats has no superuser to make an upload token for: start `jansky run` "
                f"(it creates one), or pass --token (or set {TOKEN_VARIABLE})"
            )
        expires = timezone.now() + datetime.timedelta(days=TOKEN_DAYS)
        _, key = create_token(superuser, ["upload_symbols"], notes=TOKEN_NOTES, expires=expires)
    except (DatabaseError, ImproperlyConfigured, WebappConfigurationError) as exc:
        raise DemoError(
            f"cannot make an upload token in Crash Stats' database ({exc}); pass --token "
            f"(or set {TOKEN_VARIABLE}) with one that carries Upload Symbols"
        ) from None
    return superuser.get_username(), key


def upload_symbols(crashgen: Crashgen, webapp: str, token: str) -> None:
    """`jansky symbols upload` of crashgen's symbol store."""
    inputs = collect([crashgen.symbols])
    answers = []
    try:
        for answer in send_all(inputs, Server(webapp, token), UPLOAD_BATCH_BYTES, lambda _: None):
            answers.append(answer)
    except UploadFailed as exc:
        raise DemoError(f"uploading the symbols failed: {exc}") from None
    print_summary(answers)


def submit(collector: str, crash: GeneratedCrash) -> Submitted:
    report = encode_report(
        crash.annotations, {"upload_file_minidump": crash.dump.read_bytes()}, json_extra=True
    )
    try:
        response = post_report(f"{collector}/submit", report)
    except OSError as exc:
        raise DemoError(f"cannot submit {crash.dump.name}: {exc}") from None
    if not response.crash_id:
        answer = f"{response.status} {response.body.strip()}"
        raise DemoError(f"the collector refused {crash.dump.name}: {answer}")
    return Submitted(crash, response.crash_id)


def wait_until_processed(
    webapp: str, token: str, submitted: Sequence[Submitted], seconds: float
) -> dict[str, str]:
    """Crash id -> signature of each crash Super Search finds within ``seconds`` (asked with
    the token: the API's rate limit is higher with one)."""
    from tqdm import tqdm

    params = [("uuid", item.crash_id) for item in submitted]
    params += [("_columns", "uuid"), ("_columns", "signature")]
    params.append(("_results_number", str(len(submitted))))
    request = urllib.request.Request(
        f"{webapp}/api/SuperSearch/?{urllib.parse.urlencode(params)}",
        headers={"Auth-Token": token},
    )
    found: dict[str, str] = {}
    deadline = time.monotonic() + seconds
    bar = tqdm(total=len(submitted), unit="crash", desc="processed", file=sys.stdout, disable=None)
    with bar:
        while len(found) < len(submitted) and time.monotonic() < deadline:
            for hit in _search(request):
                if hit["uuid"] not in found:
                    found[hit["uuid"]] = hit["signature"]
                    bar.update(1)
            if len(found) < len(submitted):
                time.sleep(POLL_SECONDS)
    return found


def _search(request: urllib.request.Request) -> list[dict[str, str]]:
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["hits"]
    except (OSError, ValueError, KeyError) as exc:
        raise DemoError(f"Crash Stats' Super Search API did not answer: {exc}") from None


def print_results(
    webapp: str, submitted: Sequence[Submitted], processed: dict[str, str], seconds: float
) -> None:
    print(
        f"\n{len(processed)} of {len(submitted)} crashes in Crash Stats, {seconds:.1f} s after "
        "the demo started:"
    )
    width = max(len(item.crash.kind) for item in submitted)
    for item in submitted:
        signature = processed.get(item.crash_id, "(not processed yet)")
        print(f"  {item.crash.kind:<{width}}  {signature}")
        print(f"  {'':<{width}}  {webapp}/report/index/{item.crash_id}")
    product = submitted[0].crash.annotations.get("ProductName", "crashgen")
    query = urllib.parse.urlencode({"product": product, "_facets": "signature"})
    print(f"Every crash of {product}, by signature: {webapp}/search/?{query}")
    if len(processed) < len(submitted):
        print(
            "Some crashes are not processed yet: is the processor running? Their pages say "
            "when they are.",
            file=sys.stderr,
        )
