"""Symbol uploads: check everything an upload holds, then store what is new.

An upload is a zip of ``.sym`` files in the ``<debug_file>/<debug_id>/<file>.sym`` layout or
one ``.sym`` file, already on local disk (the web server spools request bodies to temporary
files). It is handled in two passes so that a bad upload writes nothing:

1. :func:`inspect_upload` reads it all: every zip member's name (no absolute paths, no ``..``,
   only the layout), declared sizes against the limits (a zip bomb is refused from its
   directory, before anything is inflated; ``zipfile`` never inflates past a member's declared
   size and checks its CRC), each file's MODULE line against its path, and its SHA-256.
2. :func:`store_upload` copies the files the caller wants (new or changed) into the store,
   streamed member by member; if one write fails, the files this upload added are removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import zipfile
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from jansky.symbols.layout import InvalidSymbolName, SymbolKey, parse_symbol_path
from jansky.symbols.store import CHUNK_BYTES, SymbolStore
from jansky.symbols.symfile import HEADER_BYTES, InvalidSymbolFile, SymbolHeader, parse_header

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
# Compression methods zipfile can inflate: stored, deflate, bzip2, lzma.
SUPPORTED_METHODS = frozenset({0, 8, 12, 14})
RATIO_CHECK_BYTES = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")


class UploadRejected(ValueError):
    """An upload refused as a whole; ``status`` is the HTTP status (400, or 413 for sizes)."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class UploadLimits:
    """What one upload may hold."""

    max_upload_bytes: int  # the upload itself (the zip, compressed)
    max_file_bytes: int  # one symbol file, uncompressed
    max_total_bytes: int  # every symbol file of the upload, uncompressed
    max_files: int
    max_ratio: int  # uncompressed / compressed, per zip member over 1 MiB


@dataclass(frozen=True)
class SymbolUploadFile:
    """One checked symbol file of an upload."""

    header: SymbolHeader
    size: int
    sha256: str
    member: str | None  # its zip member, None when the upload is the .sym file itself

    @property
    def key(self) -> SymbolKey:
        return self.header.key


@dataclass(frozen=True)
class InspectedUpload:
    """An upload that passed every check."""

    path: Path
    is_zip: bool
    files: tuple[SymbolUploadFile, ...]


def inspect_upload(path: Path, limits: UploadLimits, name: str = "upload") -> InspectedUpload:
    """Check the upload at ``path`` (``name`` labels messages); UploadRejected says why not."""
    size = path.stat().st_size
    if size > limits.max_upload_bytes:
        raise UploadRejected(
            f"{name} is {size:,} bytes, over the limit of {limits.max_upload_bytes:,}", 413
        )
    with path.open("rb") as stream:
        magic = stream.read(4)
    if magic in ZIP_MAGIC:
        return InspectedUpload(path, True, tuple(_inspect_zip(path, limits, name)))
    if magic == b"MODU":
        return InspectedUpload(path, False, (_inspect_sym(path, limits, name),))
    raise UploadRejected(
        f"{name} is neither a zip of .sym files nor a Breakpad .sym file "
        "(a .sym file starts with a MODULE line)"
    )


def _inspect_sym(path: Path, limits: UploadLimits, name: str) -> SymbolUploadFile:
    size = path.stat().st_size
    if size > limits.max_file_bytes:
        raise UploadRejected(
            f"{name} is {size:,} bytes, over the limit of {limits.max_file_bytes:,} per file", 413
        )
    with path.open("rb") as stream:
        header, digest, read = _read_symbol_file(stream, name)
    return SymbolUploadFile(header, read, digest, None)


def _inspect_zip(path: Path, limits: UploadLimits, name: str) -> list[SymbolUploadFile]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise UploadRejected(f"{name} is not a readable zip file: {exc}") from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        _check_directory(members, limits, name)
        files = []
        seen: dict[SymbolKey, str] = {}
        for info in members:
            key = _member_key(info.filename)
            if key in seen:
                raise UploadRejected(
                    f"zip members {seen[key]!r} and {info.filename!r} are the same symbol file"
                )
            seen[key] = info.filename
            try:
                with archive.open(info) as stream:
                    header, digest, read = _read_symbol_file(stream, info.filename)
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
                message = f"zip member {info.filename!r} cannot be read: {exc}"
                raise UploadRejected(message) from None
            if header.key != key:
                raise UploadRejected(
                    f"zip member {info.filename!r}: its MODULE line names {header.key}, "
                    f"not {key} as its path does"
                )
            files.append(SymbolUploadFile(header, read, digest, info.filename))
    if not files:
        raise UploadRejected(f"{name} holds no .sym file")
    return files


def _check_directory(members: list[zipfile.ZipInfo], limits: UploadLimits, name: str) -> None:
    """Names, counts and declared sizes, before any member is inflated."""
    if len(members) > limits.max_files:
        raise UploadRejected(
            f"{name} holds {len(members):,} files, over the limit of {limits.max_files:,}", 413
        )
    total = 0
    for info in members:
        _member_key(info.filename)
        if info.flag_bits & 0x1:
            raise UploadRejected(f"zip member {info.filename!r} is encrypted")
        if info.compress_type not in SUPPORTED_METHODS:
            raise UploadRejected(
                f"zip member {info.filename!r} uses compression method {info.compress_type}; "
                "use deflate (or store, bzip2, lzma)"
            )
        if info.file_size > limits.max_file_bytes:
            raise UploadRejected(
                f"zip member {info.filename!r} is {info.file_size:,} bytes uncompressed, over "
                f"the limit of {limits.max_file_bytes:,} per file",
                413,
            )
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECK_BYTES and ratio > limits.max_ratio:
            raise UploadRejected(
                f"zip member {info.filename!r} inflates {ratio:,.0f} times "
                f"({info.compress_size:,} to {info.file_size:,} bytes), over the limit of "
                f"{limits.max_ratio}: refused as a zip bomb",
                413,
            )
        total += info.file_size
    if total > limits.max_total_bytes:
        raise UploadRejected(
            f"{name} holds {total:,} bytes uncompressed, over the limit of "
            f"{limits.max_total_bytes:,}",
            413,
        )


def _member_key(member: str) -> SymbolKey:
    """The key a zip member's name gives; UploadRejected for names outside the layout."""
    if member.startswith(("/", "\\")) or _DRIVE.match(member):
        raise UploadRejected(f"zip member {member!r} has an absolute path")
    parts = member.split("/")
    if "\\" in member or any(part in ("", ".", "..") for part in parts):
        raise UploadRejected(
            f"zip member {member!r} is not a plain relative path (no '..', '.', empty parts "
            "or backslashes)"
        )
    if len(parts) != 3:
        raise UploadRejected(
            f"zip member {member!r} is not in the <debug_file>/<debug_id>/<file>.sym layout"
        )
    try:
        return parse_symbol_path(*parts)
    except InvalidSymbolName as exc:
        raise UploadRejected(f"zip member {member!r}: {exc}") from None


def _read_symbol_file(stream: BinaryIO, name: str) -> tuple[SymbolHeader, str, int]:
    """The header, SHA-256 and size of a whole symbol file, read in chunks."""
    digest = hashlib.sha256()
    head = stream.read(HEADER_BYTES)
    try:
        header = parse_header(head)
    except InvalidSymbolFile as exc:
        raise UploadRejected(f"{name}: {exc}") from None
    digest.update(head)
    size = len(head)
    while chunk := stream.read(CHUNK_BYTES):
        digest.update(chunk)
        size += len(chunk)
    return header, digest.hexdigest(), size


def store_upload(
    upload: InspectedUpload,
    store: SymbolStore,
    wanted: Iterable[SymbolUploadFile],
    new_keys: Collection[SymbolKey] = (),
    progress: Callable[[SymbolUploadFile], None] | None = None,
) -> None:
    """Copy the ``wanted`` files of ``upload`` into ``store``, streamed.

    If a write fails, the files of ``new_keys`` (those the store did not have) written so far
    are removed again before the error is raised: a failed upload adds nothing.
    """
    written: list[SymbolKey] = []
    try:
        with contextlib.ExitStack() as stack:
            archive = stack.enter_context(zipfile.ZipFile(upload.path)) if upload.is_zip else None
            for item in wanted:
                opened = archive.open(item.member or "") if archive else upload.path.open("rb")
                with opened as stream:
                    written.append(item.key)
                    store.put(item.key, stream)
                if progress:
                    progress(item)
    except BaseException:
        for key in written:
            if key in new_keys:
                store.delete(key)
        raise
