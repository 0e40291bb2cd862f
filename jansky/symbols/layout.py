"""Names in the Breakpad symbol layout, ``<debug_file>/<debug_id>/<file>.sym``, checked.

Every name that reaches a path or an object key comes through here: uploads, the ``/symbols/``
routes and the missing-symbols records. A name is refused unless it is a plain file name (no
separators, no ``.`` or ``..``, no control characters), so no key built from it can leave the
store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Breakpad debug ids: 32 hex digits (a GUID, or the first 16 bytes of an ELF build id or Mach-O
# UUID) and an age in hex (one digit, or more for a PDB rebuilt many times).
_DEBUG_ID = re.compile(r"^[0-9A-Fa-f]{32,40}$")
_CODE_ID = re.compile(r"^[0-9A-Fa-f]{1,80}$")
_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f/\\:]")
NULL_DEBUG_ID = "0" * 33
MAX_NAME_LENGTH = 255
SYM_SUFFIX = ".sym"


class InvalidSymbolName(ValueError):
    """A debug file, debug id or file name that cannot be part of the store's layout."""


@dataclass(frozen=True, order=True)
class SymbolKey:
    """One symbol file of the store: ``<debug_file>/<debug_id>/<file name>``."""

    debug_file: str
    debug_id: str  # upper-case, as Breakpad looks it up

    @property
    def file_name(self) -> str:
        return sym_file_name(self.debug_file)

    @property
    def path(self) -> str:
        """The relative path in the layout, as symbol servers and the stackwalker use it."""
        return f"{self.debug_file}/{self.debug_id}/{self.file_name}"

    def __str__(self) -> str:
        return f"{self.debug_file}/{self.debug_id}"


def check_file_name(name: str, what: str = "debug file") -> str:
    """``name`` if it can be one component of a path in the store; InvalidSymbolName if not."""
    if not name or name in (".", "..") or len(name) > MAX_NAME_LENGTH:
        raise InvalidSymbolName(f"{what} {name!r} is not a file name")
    if _FORBIDDEN.search(name):
        raise InvalidSymbolName(
            f"{what} {name!r} has a path separator, a colon or a control character"
        )
    if name != name.strip():
        raise InvalidSymbolName(f"{what} {name!r} starts or ends with white space")
    return name


def check_debug_id(debug_id: str) -> str:
    """The debug id in upper case; InvalidSymbolName unless it is 32 to 40 hex digits."""
    if not _DEBUG_ID.match(debug_id):
        raise InvalidSymbolName(f"debug id {debug_id!r} is not 32 to 40 hexadecimal digits")
    if set(debug_id) == {"0"}:
        raise InvalidSymbolName(
            "debug id is all zeros (the null id: the module's id was unknown to dump_syms)"
        )
    return debug_id.upper()


def check_code_id(code_id: str) -> str:
    """The code id in upper case; InvalidSymbolName unless it is hexadecimal."""
    if not _CODE_ID.match(code_id):
        raise InvalidSymbolName(f"code id {code_id!r} is not hexadecimal")
    return code_id.upper()


def sym_file_name(debug_file: str) -> str:
    """The symbol file's name for ``debug_file``: ``.pdb`` becomes ``.sym``, else ``.sym`` is
    added (``xul.pdb`` -> ``xul.sym``, ``libxul.so`` -> ``libxul.so.sym``), as Breakpad does."""
    parts = debug_file.split(".")
    if len(parts) > 1 and parts[-1].lower() == "pdb":
        parts.pop()
    return ".".join([*parts, "sym"])


def code_lookup_file_name(code_file: str) -> str:
    """The file name of a lookup by code file and code id (``xul.dll`` -> ``xul.sym``,
    ``app.exe`` -> ``app.exe.sym``), as minidump-stackwalk asks for it."""
    parts = code_file.split(".")
    if len(parts) > 1 and parts[-1].lower() == "dll":
        parts.pop()
    return ".".join([*parts, "sym"])


def symbol_key(debug_file: str, debug_id: str) -> SymbolKey:
    """A checked key."""
    return SymbolKey(check_file_name(debug_file), check_debug_id(debug_id))


def parse_symbol_path(debug_file: str, debug_id: str, file_name: str) -> SymbolKey:
    """The key of ``<debug_file>/<debug_id>/<file_name>``; InvalidSymbolName unless the three
    parts are valid and the file name is the one the debug file gives."""
    key = symbol_key(debug_file, debug_id)
    check_file_name(file_name, "file name")
    if file_name != key.file_name:
        raise InvalidSymbolName(
            f"the symbol file of {debug_file!r} is named {key.file_name!r}, not {file_name!r}"
        )
    return key
