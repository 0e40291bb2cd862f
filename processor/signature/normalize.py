"""Turning one frame's function name into its signature form (C/C++ and Rust rules).

These are pure functions. Each optionally records what it changed into ``steps`` (a list of
``(step name, before, after)``), which ``--explain`` shows; the fast path passes None.
"""

from __future__ import annotations

import re

Steps = list[tuple[str, str, str]] | None

# Characters that matter when splitting a function into space-separated tokens.
_TOKEN_CHARS = re.compile(r"[ (){}\[\]<>`']")
_OPENERS = {"(": ")", "{": "}", "[": "]", "<": ">", "`": "'"}
_CLOSERS = frozenset(_OPENERS.values())
_SLICE_CHARS = {
    "<": re.compile(r"[<>]"),
    "(": re.compile(r"[()]"),
    "[": re.compile(r"[\[\]]"),
}
_CV_REF_SUFFIXES = ("const", "const&", "const &", "&&", "&")
_LAMBDA_NUMBER = re.compile(r"::\$_\d+::")
_SPACE_BEFORE = re.compile(r" (?=[*&,])")
_COMMA_WITHOUT_SPACE = re.compile(r",(?! )")
_RUST_HASH = re.compile(r"::h[0-9a-fA-F]+$")
# Nesting depth up to which IPC::ParamTraits<...> contents are collapsed recursively.
_MAX_RECURSION = 32


def _record(steps: Steps, name: str, before: str, after: str) -> None:
    if steps is not None and before != after:
        steps.append((name, before, after))


def parse_source_file(source_file: object) -> str | None:
    """The path part of a frame's ``file``, or None when its form is not recognised.

    ``vcs:root:path:rev`` gives ``path``, ``c:\\dir\\f.cpp`` gives the part after the drive,
    an absolute POSIX path is returned as is; anything else (such as ``src/lib.rs``) is None.
    """
    if not source_file or not isinstance(source_file, str):
        return None
    parts = source_file.split(":")
    if len(parts) == 4:
        return parts[2]
    if len(parts) == 2:
        return parts[1]
    if source_file.startswith("/"):
        return source_file
    return None


def drop_prefix_and_return_type(function: str) -> str:
    """Keep the last space-separated token, ignoring spaces inside brackets and quotes.

    ``static void * Allocator<X>::malloc(unsigned __int64)`` gives
    ``Allocator<X>::malloc(unsigned __int64)``. A trailing argument list or ``[clone ...]``
    separated by a space is joined back onto the name.
    """
    if " " not in function:
        return function
    pending: list[str] = []
    cuts = []
    for match in _TOKEN_CHARS.finditer(function):
        char = match.group()
        if char in _OPENERS:
            pending.append(_OPENERS[char])
        elif char in _CLOSERS:
            if pending and pending[-1] == char:
                pending.pop()
        elif not pending:
            cuts.append(match.start())
    tokens = []
    start = 0
    for cut in cuts:
        tokens.append(function[start:cut])
        start = cut + 1
    if start < len(function):
        tokens.append(function[start:])
    while len(tokens) > 1 and tokens[-1].startswith(("(", "[clone")):
        tokens[-2:] = [f"{tokens[-2]} {tokens[-1]}"]
    return tokens[-1]


def enclosed_slices(text: str, opener: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each top-level ``opener...closer`` slice of ``text``.

    Nesting is counted; an unmatched closer is an ordinary character and an unclosed opener
    runs to the end of the text.
    """
    slices = []
    depth = 0
    start = 0
    for match in _SLICE_CHARS[opener].finditer(text):
        if match.group() == opener:
            if depth == 0:
                start = match.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                slices.append((start, match.end()))
    if depth:
        slices.append((start, len(text)))
    return slices


def collapse_types(text: str, _depth: int = 0) -> str:
    """Replace each top-level ``<...>`` with ``<T>``, except where the contents matter.

    Kept: ``<name omitted>``, slices containing `` as `` or `` in `` (``<unknown in foo.dll>``),
    and operator names such as ``operator<``; after ``IPC::ParamTraits`` the contents are
    collapsed recursively instead.
    """
    if "<" not in text:
        return text
    out = []
    previous = 0
    for start, end in enclosed_slices(text, "<"):
        before = text[previous:start]
        piece = text[start:end]
        out.append(before)
        if (
            piece == "<name omitted>"
            or " as " in piece
            or " in " in piece
            or before.endswith("operator")
        ):
            out.append(piece)
        elif before.endswith("IPC::ParamTraits") and _depth < _MAX_RECURSION:
            closed = piece.endswith(">") and len(piece) > 1
            inner = piece[1:-1] if closed else piece[1:]
            out.append("<" + collapse_types(inner, _depth + 1) + (">" if closed else ""))
        else:
            out.append("<T>")
        previous = end
    out.append(text[previous:])
    return "".join(out)


def collapse_rust_types(text: str) -> str:
    """Replace each top-level ``<...>`` with ``<T>`` unless it is a trait impl (`` as ``)."""
    if "<" not in text:
        return text
    out = []
    previous = 0
    for start, end in enclosed_slices(text, "<"):
        out.append(text[previous:start])
        piece = text[start:end]
        out.append(piece if " as " in piece else "<T>")
        previous = end
    out.append(text[previous:])
    return "".join(out)


def collapse_arguments(text: str, keep_special: bool = True) -> str:
    """Delete each top-level ``(...)``, except ``(anonymous namespace)`` and ``operator()``."""
    if "(" not in text:
        return text
    out = []
    previous = 0
    for start, end in enclosed_slices(text, "("):
        before = text[previous:start]
        piece = text[start:end]
        out.append(before)
        if keep_special and (piece == "(anonymous namespace)" or before.endswith("operator")):
            out.append(piece)
        previous = end
    out.append(text[previous:])
    return "".join(out)


def drop_brackets(text: str) -> str:
    """Delete each top-level ``[...]`` (used for ``[clone .cold.123]`` PGO labels)."""
    out = []
    previous = 0
    for start, end in enclosed_slices(text, "["):
        out.append(text[previous:start])
        previous = end
    out.append(text[previous:])
    return "".join(out)


def fix_spacing(text: str) -> str:
    """No space before ``*``, ``&`` or ``,``; one space after every comma."""
    if " " in text:
        text = _SPACE_BEFORE.sub("", text)
    if "," in text:
        text = _COMMA_WITHOUT_SPACE.sub(", ", text)
    return text


def strip_rust_hash(text: str) -> str:
    """Remove the ``::h0123abcd...`` uniqueness hash rustc appends to symbols."""
    return _RUST_HASH.sub("", text) if "::h" in text else text


def cpp_collapse_input(function: str, steps: Steps = None) -> str:
    """C++ steps before type collapsing: qualifiers, return type, namespaces, lambdas."""
    for suffix in _CV_REF_SUFFIXES:
        if function.endswith(suffix):
            before = function
            function = function[: -len(suffix)].strip()
            _record(steps, f"drop trailing '{suffix}'", before, function)
    if "::operator" not in function:
        before = function
        function = drop_prefix_and_return_type(function)
        _record(steps, "drop prefix and return type", before, function)
    if "`anonymous namespace'" in function:
        before = function
        function = function.replace("`anonymous namespace'", "(anonymous namespace)")
        _record(steps, "normalize `anonymous namespace'", before, function)
    if "$_" in function:
        before = function
        function = _LAMBDA_NUMBER.sub("::$::", function)
        _record(steps, "drop lambda number", before, function)
    return function


def cpp_collapse(function: str, steps: Steps = None) -> str:
    """C++ steps that remove detail: template arguments, argument lists, cold clones."""
    before = function
    function = collapse_types(function)
    _record(steps, "collapse template arguments", before, function)
    before = function
    function = collapse_arguments(function)
    _record(steps, "drop argument list", before, function)
    if "clone .cold" in function:
        before = function
        function = drop_brackets(function)
        _record(steps, "drop [clone .cold] label", before, function)
    return function


def rust_collapse(function: str, steps: Steps = None) -> str:
    """Rust steps before the line-number list: return type, generics, argument lists."""
    before = function
    function = drop_prefix_and_return_type(function)
    _record(steps, "drop prefix and return type", before, function)
    before = function
    function = collapse_rust_types(function)
    _record(steps, "collapse generic arguments", before, function)
    before = function
    function = collapse_arguments(function, keep_special=False)
    _record(steps, "drop argument list", before, function)
    return function


def finish(function: str, rust: bool, steps: Steps = None) -> str:
    """Steps after the line-number list: spacing, and for Rust the symbol hash."""
    before = function
    function = fix_spacing(function)
    _record(steps, "fix spaces and commas", before, function)
    if rust:
        before = function
        function = strip_rust_hash(function)
        _record(steps, "drop Rust hash", before, function)
    return function


def strip_leading_zeros(offset: object) -> object:
    """``0x0000000000032ec0`` gives ``0x32ec0``; a value that is not hex is returned as is."""
    try:
        return hex(int(offset, 16))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return offset


def file_line(file: str, line: object) -> str:
    """``<basename>#<line>`` for frames with a source location but no function."""
    name = file.rstrip("/\\")
    name = name.rsplit("\\")[-1] if "\\" in name else name.rsplit("/")[-1]
    return f"{name}#{line}"
