"""Walk minidumps through the stackwalker service, with one-shot minidump-stackwalk as the net.

The service (``jansky-stackwalker``) prints the JSON and log minidump-stackwalk prints for the
same dump, symbols and flags, so a crash gets the same ``json_dump`` and status either way. A
dump on which the service fails (it panics on it, the walk exceeds STACKWALKER_KILL_TIMEOUT, the
service dies or outgrows its memory limit with the walk in flight) is walked once more in a
one-shot minidump-stackwalk process, with a processor note saying so. A walk that was only in
flight when the service was killed for another walk's sake is sent to the restarted service.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from processor.metrics import METRICS
from processor.stackwalker import Stackwalker, StackwalkResult, empty_dump_result, interpret
from processor.stackwalker_service import (
    ServiceFailure,
    ServiceUnavailable,
    StackwalkerService,
    rust_minidump_release,
    service_version,
)

logger = logging.getLogger(__name__)

WALKED = "walked"
# Why a walk fell back to one-shot minidump-stackwalk: metric tag -> processor note (public, so
# it names the kind of failure only).
FALLBACK_REASONS = {
    "timeout": "timed out",
    "memory": "over its memory limit",
    "died": "died",
    "panicked": "panicked",
    "refused": "refused the request",
    "unavailable": "could not start",
    "restarted": "restarted twice during the walk",
}


def count_symbol_sources(sources: dict[str, int], has_servers: bool) -> None:
    """Metrics from where one walk's modules got their symbols: ``symbols.lookup`` by source,
    and the on-disk symbols cache's hits and misses (a module neither in memory nor in a local
    folder is looked for in the cache, when there are symbol servers, and fetched on a miss)."""
    for source, count in sources.items():
        if isinstance(count, int) and count > 0:
            METRICS.incr("symbols.lookup", value=count, tags=[f"source:{source}"])
    if not has_servers:
        return
    hits = sources.get("cache", 0)
    if hits:
        METRICS.incr("symbols_cache.hit", value=hits)
    for outcome, source in (("downloaded", "download"), ("not_found", "missing")):
        if sources.get(source, 0):
            METRICS.incr("symbols_cache.miss", value=sources[source], tags=[f"outcome:{outcome}"])


def service_flags(extra_args: Sequence[str]) -> dict[str, Any]:
    """The request fields for minidump-stackwalk flags in STACKWALKER_EXTRA_ARGS.

    ValueError names a flag the service does not take (use STACKWALKER_MODE=process for it).
    """
    fields: dict[str, Any] = {}
    for arg in extra_args:
        flag, has_value, value = arg.partition("=")
        if flag == "--symbols-download-timeout-secs" and has_value and value.isdigit():
            fields["download_timeout_secs"] = int(value)
        elif flag == "--features" and has_value:
            fields["features"] = value
        elif arg == "--recover-function-args":
            fields["recover_function_args"] = True
        elif arg == "--pretty":
            fields["pretty"] = True
        elif arg == "--verbose=error":
            continue
        else:
            raise ValueError(
                f"STACKWALKER_EXTRA_ARGS has {arg!r}, which the stackwalker service does not "
                "take (it takes --symbols-download-timeout-secs=N, --features=NAME, "
                "--recover-function-args, --pretty); set STACKWALKER_MODE=process to use it"
            )
    return fields


class ServiceStackwalker:
    """The stackwalker rule's walker in service mode (the same interface as Stackwalker)."""

    def __init__(self, one_shot: Stackwalker, service: StackwalkerService) -> None:
        self.one_shot = one_shot
        self.service = service
        flags = service_flags(one_shot.extra_args)
        timeout = flags.pop("download_timeout_secs", None)
        self._symbols: dict[str, Any] = {
            "urls": list(one_shot.symbols_urls),
            "paths": [str(path) for path in one_shot.symbols_paths],
            "cache": str(one_shot.symbols_cache_path) if one_shot.symbols_cache_path else None,
            "tmp": str(one_shot.symbols_tmp_path) if one_shot.symbols_tmp_path else None,
        }
        if timeout is not None:
            self._symbols["download_timeout_secs"] = timeout
        self._flags = flags

    def version(self) -> str:
        """minidump-stackwalk's version: the service prints its output, built on its crates.

        Raises StackwalkerUnavailable/ServiceUnavailable when either program is missing, or when
        they are built on different rust-minidump releases (their outputs could differ).
        """
        version = self.one_shot.version()
        service = service_version(self.service.settings.path)
        ours, theirs = rust_minidump_release(service), rust_minidump_release(version)
        if ours is None or ours != theirs:
            raise ServiceUnavailable(
                f"the stackwalker service ({service}) and {version} are built on different "
                "rust-minidump releases, so their outputs could differ; rebuild the service "
                "with `bin/provision stackwalker`, or set STACKWALKER_MODE=process"
            )
        return version

    def run(self, dump_path: Path, name: str, evil_json: bytes | None = None) -> StackwalkResult:
        """Walk ``dump_path`` (``name`` labels notes); ``evil_json`` is the raw crash JSON."""
        if dump_path.stat().st_size == 0:
            return empty_dump_result(name)
        self.one_shot.make_symbol_directories()
        header = {
            "op": "walk",
            "dump": str(dump_path),
            "symbols": self._symbols,
            "evil_json": evil_json is not None,
            **self._flags,
        }
        walked = self._walk(header, evil_json or b"")
        if isinstance(walked, StackwalkResult):
            return walked
        METRICS.incr("stackwalker_service.fallback", tags=[f"reason:{walked}"])
        logger.warning("walking %s with one-shot minidump-stackwalk: service %s", name, walked)
        result = self.one_shot.run(dump_path, name, evil_json)
        result.notes.insert(
            0,
            f"stackwalker service failed ({FALLBACK_REASONS[walked]}); walked again by a "
            "one-shot minidump-stackwalk",
        )
        return result

    def close(self) -> None:
        """Stop the service (it also stops by itself when the processor exits)."""
        self.service.close()

    def _walk(self, header: dict[str, Any], body: bytes) -> StackwalkResult | str:
        """The result, or why the service gave none (a key of FALLBACK_REASONS)."""
        for _attempt in range(2):
            try:
                answer = self.service.request(header, body, self.one_shot.kill_timeout)
            except ServiceUnavailable as exc:
                logger.error("%s", exc)
                return "unavailable"
            except ServiceFailure as failure:
                if failure.suspect:
                    return failure.kind
                continue  # killed for another walk's sake: walk it on the restarted service
            if answer.outcome == WALKED:
                count_symbol_sources(answer.symbols or {}, bool(self._symbols["urls"]))
                return interpret(answer.exit_code, answer.output, answer.log)
            logger.error("stackwalker service %s a walk: %s", answer.outcome, answer.message)
            return answer.outcome if answer.outcome in FALLBACK_REASONS else "refused"
        return "restarted"
