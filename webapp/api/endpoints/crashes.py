"""One crash: ProcessedCrash, RawCrash (annotations or a dump) and CrashVerify."""

from __future__ import annotations

import datetime
from typing import Any

from django.http import HttpResponse

from jansky.crashid import InvalidCrashId, date_from_crash_id, parse_crash_id
from jansky.storage import CrashNotFound, InvalidDumpName
from jansky.storage.keys import MAIN_DUMP_KEY_NAME, MAIN_DUMP_NAME, normalize_dump_name
from webapp.api.declarations import Call, Endpoint, Param
from webapp.api.errors import ApiError, BinaryPermissionRequired, CrashIDNotFound, bad_request
from webapp.crashstats import backends, redaction, supersearch
from webapp.crashstats.permissions import ANONYMOUS_ACCESS, VIEW_RAWDUMP

CRASH_ID = Param("crash_id", "crash_id", required=True, doc="The crash id.")
MEMORY_REPORT = "memory_report"
VERIFY_WINDOW_DAYS = 5


class ProcessedCrash(Endpoint):
    """The processed crash: the processor's output for one crash.

    Without the view_pii permission, only the fields the schema marks public are returned.
    A crash that is stored but not processed yet answers 404 (a page can poll until it is).
    """

    name = "ProcessedCrash"
    summary = "The processed crash (public fields only without view_pii)."
    parameters = (CRASH_ID,)
    returns = "the processed crash JSON"
    example = {"uuid": "de1bb258-cbbf-4589-a673-34f800160918", "signature": "OOM | small"}

    def handle(self, call: Call) -> Any:
        crash_id = call.params["crash_id"]
        try:
            document = backends.storage().load_processed_crash(crash_id)
        except CrashNotFound:
            raise CrashIDNotFound(f"{crash_id} has no processed crash") from None
        return redaction.processed_crash(document, call.access)


class RawCrash(Endpoint):
    """The raw crash as the collector stored it, or one of its dumps.

    `format=meta` (the default) returns the annotations and the collector's `metadata`,
    protected annotations only with view_pii. `format=raw` downloads a dump (view_rawdump):
    `name` is the dump's name, `upload_file_minidump` (or `dump`, or nothing) for the main
    minidump.
    """

    name = "RawCrash"
    summary = "Crash annotations (format=meta) or a minidump download (format=raw)."
    parameters = (
        CRASH_ID,
        Param(
            "format",
            choices=("meta", "raw"),
            default="meta",
            doc="meta: the annotations as JSON; raw: a dump, as application/octet-stream.",
        ),
        Param(
            "name",
            doc="The dump to download with format=raw (default: the main minidump; the names "
            "are the keys of metadata.dump_checksums).",
        ),
    )
    returns = "format=meta: the annotations JSON; format=raw: the dump's bytes"
    example = {"ProductName": "Firefox", "Version": "133.0", "metadata": {"dump_checksums": {}}}

    def handle(self, call: Call) -> Any:
        crash_id = call.params["crash_id"]
        storage = backends.storage()
        if call.params["format"] == "raw":
            return self._dump(call, crash_id)
        try:
            document = storage.load_raw_crash(crash_id)
        except CrashNotFound:
            raise CrashIDNotFound(f"{crash_id} has no raw crash") from None
        return redaction.raw_crash(document, call.access)

    def _dump(self, call: Call, crash_id: str) -> HttpResponse:
        if not call.access.has(VIEW_RAWDUMP):
            raise BinaryPermissionRequired(VIEW_RAWDUMP)
        requested = call.params["name"] or ""
        try:
            name = normalize_dump_name(None if requested == MAIN_DUMP_KEY_NAME else requested)
        except InvalidDumpName as exc:
            raise bad_request(exc) from None
        try:
            data = backends.storage().load_dump(crash_id, name)
        except CrashNotFound:
            raise CrashIDNotFound(f"{crash_id} has no dump {name!r}") from None
        if name == MAIN_DUMP_NAME:
            filename = f"{crash_id}.dmp"
        elif name == MEMORY_REPORT:
            filename = "memory_report.json.gz"
        else:
            filename = f"{crash_id}-{name}.dmp"
        response = HttpResponse(data, content_type="application/octet-stream")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        response["Cache-Control"] = "private, no-store"
        return response


class CrashVerify(Endpoint):
    """Where a crash is: in storage as raw and processed crash, and in the search index."""

    name = "CrashVerify"
    summary = "Whether a crash's raw crash, processed crash and search entry exist."
    parameters = (Param("crash_id", required=True, doc="The crash id."),)
    returns = '{"uuid", "raw_crash": bool, "processed_crash": bool, "elasticsearch_crash": bool}'
    example = {
        "uuid": "de1bb258-cbbf-4589-a673-34f800160918",
        "raw_crash": True,
        "processed_crash": True,
        "elasticsearch_crash": True,
    }

    def handle(self, call: Call) -> Any:
        try:
            crash_id = parse_crash_id(call.params["crash_id"])
        except InvalidCrashId:
            raise ApiError("unknown crash id") from None
        storage = backends.storage()
        return {
            "uuid": crash_id,
            "raw_crash": _exists(lambda: storage.load_raw_crash(crash_id)),
            "processed_crash": _exists(lambda: storage.load_processed_crash(crash_id)),
            "elasticsearch_crash": is_indexed(crash_id),
        }


def _exists(load: Any) -> bool:
    try:
        load()
    except CrashNotFound:
        return False
    return True


def is_indexed(crash_id: str) -> bool:
    """Whether the search index holds the crash (searched a few days around its id's date)."""
    day = date_from_crash_id(crash_id) or datetime.datetime.now(datetime.UTC).date()
    start = day - datetime.timedelta(days=VERIFY_WINDOW_DAYS)
    end = day + datetime.timedelta(days=VERIFY_WINDOW_DAYS + 1)
    params = {
        "uuid": crash_id,
        "date": [f">={start.isoformat()}", f"<{end.isoformat()}"],
        "_columns": "uuid",
        "_results_number": "1",
        "_facets_size": "0",
    }
    return supersearch.search(params, ANONYMOUS_ACCESS)["total"] > 0
