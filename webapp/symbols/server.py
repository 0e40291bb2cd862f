"""The Breakpad symbol server: ``GET``/``HEAD /symbols/<debug_file>/<debug_id>/<file>.sym``.

Files are streamed from the store (sendfile for a store on files, 1 MiB chunks from S3), never
read whole. ``minidump-stackwalk --symbols-url=<site>/symbols`` adds ``?code_file=&code_id=``,
which is ignored. A lookup by ``<code_file>/<code_id>/<name>.sym`` (the stackwalker's fallback
for modules without debug information, as Tecken answers it) redirects with a 302 to the file
of the debug file and id that code file and id were uploaded with.
"""

from __future__ import annotations

import logging

from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from jansky.storage import StorageError
from jansky.symbols.layout import (
    InvalidSymbolName,
    SymbolKey,
    check_code_id,
    check_file_name,
    code_lookup_file_name,
    parse_symbol_path,
)
from jansky.symbols.store import StoredSymbols
from webapp.symbols.models import SymbolFile
from webapp.symbols.uploads import store_for_request

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; charset=utf-8"


def _not_found(what: str) -> HttpResponse:
    return HttpResponse(f"Symbol file not found: {what}\n", status=404, content_type=CONTENT_TYPE)


@require_http_methods(["GET", "HEAD"])
def symbol_file(request: HttpRequest, first: str, second: str, name: str) -> HttpResponse:
    requested = f"{first}/{second}/{name}"
    try:
        key = parse_symbol_path(first, second, name)
    except InvalidSymbolName:
        key = None
    store = store_for_request()
    if key is not None:
        try:
            if request.method == "HEAD":
                size = store.size(key)
                if size is not None:
                    return _head(size)
            else:
                stored = store.open(key)
                if stored is not None:
                    return _stream(stored)
        except StorageError as exc:
            logger.error("event=symbols_read_failed key=%s error=%r", key, exc)
            response = HttpResponse(
                "The symbol store did not answer; try again later\n",
                status=503,
                content_type=CONTENT_TYPE,
            )
            response["Retry-After"] = "30"
            return response
    debug_key = _by_code(first, second, name)
    if debug_key is None:
        return _not_found(requested)
    url = reverse(
        "symbols:file", args=[debug_key.debug_file, debug_key.debug_id, debug_key.file_name]
    )
    return HttpResponseRedirect(url)


def _by_code(code_file: str, code_id: str, name: str) -> SymbolKey | None:
    """The debug file and id uploaded with this code file and id, if any."""
    try:
        check_file_name(code_file, "code file")
        code_id = check_code_id(code_id)
    except InvalidSymbolName:
        return None
    if name != code_lookup_file_name(code_file):
        return None
    row = (
        SymbolFile.objects.filter(code_file=code_file, code_id=code_id).order_by("-updated").first()
    )
    return row.key if row is not None else None


def _head(size: int) -> HttpResponse:
    response = HttpResponse(content_type=CONTENT_TYPE)
    response["Content-Length"] = str(size)
    return response


def _stream(stored: StoredSymbols) -> HttpResponse:
    if stored.path is not None:
        response: HttpResponse = FileResponse(stored.stream, content_type=CONTENT_TYPE)
    else:

        def body():
            try:
                yield from stored.chunks()
            finally:
                stored.close()

        response = StreamingHttpResponse(body(), content_type=CONTENT_TYPE)
    response["Content-Length"] = str(stored.size)
    return response
