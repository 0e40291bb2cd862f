"""The body of an upload request, spooled to a temporary file on disk, never whole in memory.

Two shapes are taken: ``multipart/form-data`` with one file field (``curl -F file=@x.zip``,
Tecken's upload scripts) and a raw body (``curl --data-binary @x.zip``, ``jansky symbols
upload``). Either way the bytes go to a temporary file in 1 MiB chunks, and a body over the
limit stops the read as soon as the limit is passed.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError

from jansky.symbols.upload import UploadRejected

CHUNK_BYTES = 1 << 20
# Form boundaries and part headers on top of the file itself.
MULTIPART_OVERHEAD = 64 << 10


class _LimitedTemporaryFile(TemporaryFileUploadHandler):
    """Django's on-disk upload handler, stopped once a file passes ``limit`` bytes."""

    chunk_size = CHUNK_BYTES

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> Any:
        self.received += len(raw_data)
        if self.received > self.limit:
            raise StopUpload(connection_reset=True)
        return super().receive_data_chunk(raw_data, start)


def _too_big(limit: int) -> UploadRejected:
    return UploadRejected(f"the upload is over the limit of {limit:,} bytes", 413)


@contextlib.contextmanager
def spooled_upload(request: HttpRequest, limit: int) -> Iterator[tuple[Path, str]]:
    """The uploaded file on disk and its name; UploadRejected for a body over ``limit`` bytes
    or a form without exactly one file. The file is deleted on exit."""
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > limit + MULTIPART_OVERHEAD:
        raise _too_big(limit)
    if request.content_type == "multipart/form-data":
        with _form_file(request, limit) as spooled:
            yield spooled
        return
    with tempfile.NamedTemporaryFile(prefix="jansky-symbols-") as spool:
        received = 0
        while chunk := request.read(CHUNK_BYTES):
            received += len(chunk)
            if received > limit:
                raise _too_big(limit)
            spool.write(chunk)
        spool.flush()
        if received == 0:
            raise UploadRejected("the upload is empty: send a zip of .sym files or a .sym file")
        name = request.GET.get("filename") or "upload"
        yield Path(spool.name), name


@contextlib.contextmanager
def _form_file(request: HttpRequest, limit: int) -> Iterator[tuple[Path, str]]:
    handler = _LimitedTemporaryFile(request, limit)
    request.upload_handlers = [handler]
    try:
        files = request.FILES
    except MultiPartParserError as exc:
        raise UploadRejected(f"the form cannot be read: {exc}") from None
    if handler.received > limit:
        raise _too_big(limit)
    uploaded = [item for name in files for item in files.getlist(name)]
    try:
        if len(uploaded) != 1:
            raise UploadRejected(
                f"the form holds {len(uploaded)} files; send one zip or .sym file per upload"
            )
        yield Path(uploaded[0].temporary_file_path()), uploaded[0].name or "upload"
    finally:
        for item in uploaded:
            item.close()
