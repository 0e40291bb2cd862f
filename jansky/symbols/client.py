"""The client side of ``jansky symbols upload``: find symbol files, pack them, send them.

Paths may be ``.sym`` files, folders (searched for ``.sym`` files at any depth, whatever their
layout: each file's MODULE line says where it belongs) and zips already in the store's layout
(sent as they are). Loose files are packed into zips of at most ``batch_bytes`` of symbols in
the ``<debug_file>/<debug_id>/<file>.sym`` layout, one temporary zip at a time, and each zip
is streamed to ``POST /symbols/upload`` with the token in ``Auth-Token``.
"""

from __future__ import annotations

import http.client
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

from jansky.symbols.layout import SymbolKey
from jansky.symbols.symfile import HEADER_BYTES, InvalidSymbolFile, parse_header
from jansky.symbols.upload import ZIP_MAGIC

SEND_BLOCK_BYTES = 1 << 20
TIMEOUT_SECONDS = 600.0


class UploadFailed(Exception):
    """An upload the server refused or could not take; the message is the server's."""


@dataclass(frozen=True)
class LocalSymbols:
    path: Path
    key: SymbolKey
    size: int


@dataclass
class Inputs:
    """What the paths hold: loose symbol files by key, and zips to send as they are."""

    symbols: dict[SymbolKey, LocalSymbols] = field(default_factory=dict)
    zips: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # why each skipped file was skipped

    @property
    def total_bytes(self) -> int:
        return sum(item.size for item in self.symbols.values()) + sum(
            path.stat().st_size for path in self.zips
        )


def collect(paths: Iterable[Path]) -> Inputs:
    """Sort ``paths`` into symbol files and zips; FileNotFoundError for a missing path,
    ValueError for a named file that is neither."""
    inputs = Inputs()
    for path in paths:
        if path.is_dir():
            for found in sorted(path.rglob("*.sym")):
                if found.is_file():
                    _add_symbols(inputs, found, named=False)
        elif path.is_file():
            with path.open("rb") as stream:
                magic = stream.read(4)
            if magic in ZIP_MAGIC:
                inputs.zips.append(path)
            else:
                _add_symbols(inputs, path, named=True)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return inputs


def _add_symbols(inputs: Inputs, path: Path, named: bool) -> None:
    with path.open("rb") as stream:
        head = stream.read(HEADER_BYTES)
    try:
        header = parse_header(head)
    except InvalidSymbolFile as exc:
        if named:
            raise ValueError(f"{path} is neither a zip nor a Breakpad .sym file: {exc}") from None
        inputs.skipped.append(f"{path}: {exc}")
        return
    if header.key in inputs.symbols:
        inputs.skipped.append(f"{path}: same module as {inputs.symbols[header.key].path}")
        return
    inputs.symbols[header.key] = LocalSymbols(path, header.key, path.stat().st_size)


def batches(symbols: Iterable[LocalSymbols], batch_bytes: int) -> Iterator[list[LocalSymbols]]:
    """Groups of files of at most ``batch_bytes`` together (a bigger file goes alone)."""
    batch: list[LocalSymbols] = []
    size = 0
    for item in symbols:
        if batch and size + item.size > batch_bytes:
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item.size
    if batch:
        yield batch


def pack(batch: list[LocalSymbols], directory: str | None = None) -> Path:
    """A temporary zip of ``batch`` in the store's layout (delete it when sent)."""
    handle, name = tempfile.mkstemp(prefix="jansky-symbols-", suffix=".zip", dir=directory)
    os.close(handle)
    with zipfile.ZipFile(name, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for item in batch:
            archive.write(item.path, item.key.path)
    return Path(name)


def send_all(
    inputs: Inputs, server: Server, batch_bytes: int, progress: Callable[[float], Any]
) -> Iterator[dict[str, Any]]:
    """Send the zips as they are, then the loose files in zips of at most ``batch_bytes`` of
    symbols; yields the server's answer to each. ``progress`` gets symbol bytes as they go;
    UploadFailed stops at the first upload the server refuses."""
    for path in inputs.zips:
        yield server.upload(path, path.name, progress)
    for number, batch in enumerate(batches(inputs.symbols.values(), batch_bytes), 1):
        packed = pack(batch)
        try:
            report = _scaled(progress, sum(item.size for item in batch), packed)
            yield server.upload(packed, f"symbols-{number}.zip", report)
        finally:
            packed.unlink()


def _scaled(
    update: Callable[[float], Any], symbol_bytes: int, packed: Path
) -> Callable[[int], Any]:
    """Progress in symbol bytes for the bytes of a packed zip sent."""
    scale = symbol_bytes / max(packed.stat().st_size, 1)
    return lambda sent: update(sent * scale)


class _Progressed:
    """A file read for sending, reporting each block's size."""

    def __init__(self, stream: BinaryIO, report: Callable[[int], None]) -> None:
        self.stream = stream
        self.report = report

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.report(len(data))
        return data


@dataclass(frozen=True)
class Server:
    """Where uploads go: the Crash Stats base URL and an API token."""

    url: str
    token: str

    def upload(self, path: Path, name: str, report: Callable[[int], None]) -> dict[str, Any]:
        """Send the file at ``path``; the server's JSON answer, or UploadFailed."""
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UploadFailed(f"{self.url!r} is not an http:// or https:// URL")
        kind = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        connection = kind(
            parts.hostname, parts.port, timeout=TIMEOUT_SECONDS, blocksize=SEND_BLOCK_BYTES
        )
        target = f"{parts.path.rstrip('/')}/symbols/upload?filename={quote(name)}"
        headers = {
            "Auth-Token": self.token,
            "Content-Type": "application/zip" if path.suffix == ".zip" else "text/plain",
            "Content-Length": str(path.stat().st_size),
            "User-Agent": "jansky-symbols-upload",
        }
        try:
            with path.open("rb") as stream:
                connection.request(
                    "POST", target, body=_Progressed(stream, report), headers=headers
                )
            response = connection.getresponse()
            body = response.read()
        except OSError as exc:
            raise UploadFailed(f"cannot reach {self.url}: {exc}") from None
        finally:
            connection.close()
        try:
            answer = json.loads(body)
        except ValueError:
            answer = {"error": body.decode("utf-8", "replace")[:500]}
        if response.status != 201:
            error = answer.get("error") if isinstance(answer, dict) else None
            raise UploadFailed(f"{response.status} {error or response.reason}")
        return answer
