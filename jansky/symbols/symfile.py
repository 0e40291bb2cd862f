"""What a Breakpad symbol file says about itself: its MODULE line and its code id.

A ``.sym`` file starts with ``MODULE <os> <arch> <debug id> <debug file>``; ``dump_syms`` may
follow it with ``INFO CODE_ID <code id> [<code file>]``. Only the first lines are read: the
rest (FILE, FUNC, line and STACK records) is the stackwalker's business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from jansky.symbols.layout import (
    InvalidSymbolName,
    SymbolKey,
    check_code_id,
    check_file_name,
    symbol_key,
)

HEADER_BYTES = 4096
MAX_HEADER_LINES = 8


class InvalidSymbolFile(ValueError):
    """Not a Breakpad symbol file, or one whose MODULE line cannot name it."""


@dataclass(frozen=True)
class SymbolHeader:
    """The identity of a symbol file."""

    os: str
    arch: str
    key: SymbolKey
    code_file: str  # empty when unknown; the debug file itself outside Windows
    code_id: str  # empty when the file has no INFO CODE_ID line


def parse_header(head: bytes) -> SymbolHeader:
    """The MODULE line and code id from the first bytes of a symbol file.

    InvalidSymbolFile says what is wrong, for the uploader.
    """
    text = head[:HEADER_BYTES].decode("utf-8", errors="replace")
    lines = text.splitlines()
    if not lines or not lines[0].startswith("MODULE "):
        raise InvalidSymbolFile("does not start with a Breakpad MODULE line")
    if len(lines) == 1 and len(head) >= HEADER_BYTES:
        raise InvalidSymbolFile("its MODULE line is longer than 4096 bytes")
    parts = lines[0].rstrip("\r").split(" ", 4)
    if len(parts) != 5 or not all(parts):
        raise InvalidSymbolFile(
            f"MODULE line {lines[0][:200]!r} is not 'MODULE <os> <arch> <debug id> <debug file>'"
        )
    _, os_name, arch, debug_id, debug_file = parts
    try:
        key = symbol_key(debug_file, debug_id)
    except InvalidSymbolName as exc:
        raise InvalidSymbolFile(f"MODULE line: {exc}") from None
    # On Linux and macOS the binary is its own debug file; a PDB names no binary.
    code_file = "" if os_name.lower() == "windows" else key.debug_file
    code_id = ""
    for line in lines[1:MAX_HEADER_LINES]:
        fields = line.rstrip("\r").split(" ", 3)
        if fields[:2] != ["INFO", "CODE_ID"] or len(fields) < 3:
            continue
        try:
            code_id = check_code_id(fields[2])
            if len(fields) == 4:
                # Some dump_syms versions write the binary's path: its last part is its name.
                leaf = re.split(r"[/\\]", fields[3].strip())[-1]
                code_file = check_file_name(leaf, "code file")
        except InvalidSymbolName as exc:
            raise InvalidSymbolFile(f"INFO CODE_ID line: {exc}") from None
        break
    return SymbolHeader(os_name, arch, key, code_file, code_id)
