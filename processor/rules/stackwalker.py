"""Run the stackwalker on every minidump of a crash and store its results.

The main minidump's results go to the top of the processed crash; each other minidump
(``upload_file_minidump_browser``, ...) gets its own object and is listed in
``additional_minidumps``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from jansky import fastjson
from processor.metrics import METRICS
from processor.rules.base import CrashContext, Rule
from processor.service_stackwalker import ServiceStackwalker
from processor.stackwalker import Stackwalker, StackwalkResult

logger = logging.getLogger(__name__)

MAIN_DUMP = "upload_file_minidump"


class MinidumpStackwalkRule(Rule):
    """``json_dump``, ``mdsw_*``, ``stackwalk_version`` and ``additional_minidumps``."""

    def __init__(
        self, stackwalker: Stackwalker | ServiceStackwalker, version: str | None = None
    ) -> None:
        self.stackwalker = stackwalker
        self.version = version if version is not None else stackwalker.version()

    def close(self) -> None:
        self.stackwalker.close()

    def predicate(self, crash: CrashContext) -> bool:
        return any(name.startswith(MAIN_DUMP) for name in crash.dumps)

    def action(self, crash: CrashContext) -> None:
        evil_json = fastjson.encode_sorted(crash.raw_crash, default=str)
        additional = []
        for name in sorted(crash.dumps):
            if not name.startswith(MAIN_DUMP):
                continue
            result = self._walk(crash, name, crash.dumps[name], evil_json)
            fields = self._fields(result)
            if name == MAIN_DUMP:
                crash.processed_crash.update(fields)
            else:
                crash.processed_crash[name] = fields
                additional.append(name)
        crash.processed_crash["additional_minidumps"] = additional

    def _walk(
        self, crash: CrashContext, name: str, path: Path, evil_json: bytes
    ) -> StackwalkResult:
        result = self.stackwalker.run(path, f"{crash.crash_id}.{name}", evil_json)
        METRICS.incr(
            "minidumpstackwalk.run",
            tags=[
                f"outcome:{'success' if result.success else 'fail'}",
                f"exitcode:{result.return_code}",
            ],
        )
        for note in result.notes:
            crash.note(
                f"{self.name}: {note}" if name == MAIN_DUMP else f"{self.name}: {name}: {note}"
            )
        if not result.success:
            logger.info(
                "stackwalker failed crash_id=%s dump=%s rc=%d status=%s",
                crash.crash_id,
                name,
                result.return_code,
                result.status,
            )
        return result

    def _fields(self, result: StackwalkResult) -> dict[str, Any]:
        return {
            "json_dump": result.json_dump,
            "mdsw_return_code": result.return_code,
            "mdsw_status_string": result.status,
            "mdsw_stderr": result.stderr,
            "stackwalk_version": self.version,
            "success": result.success,
        }
