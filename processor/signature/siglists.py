"""Signature lists: the four data files that steer the frame walk.

Lists are plain text, one entry a line, ``#`` comments and blank lines ignored. Jansky ships its
own lists in ``processor/signature/lists/``; ``SIGNATURE_LISTS_DIR`` points at another directory
holding the same four files (for example Socorro's lists, for parity).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from everett.manager import Option

from jansky.config import config_manager

DEFAULT_LISTS_DIR = Path(__file__).parent / "lists"

IRRELEVANT = "irrelevant_signature_re"
PREFIX = "prefix_signature_re"
SENTINELS = "signature_sentinels"
LINE_NUMBERS = "signatures_with_line_numbers_re"
LIST_NAMES = (IRRELEVANT, PREFIX, SENTINELS, LINE_NUMBERS)

# A sentinel is an exact frame string, or (frame string, predicate over the frame list) for
# sentinels that only apply when the predicate holds.
Sentinel = str | tuple[str, Callable[[Sequence[str]], bool]]

# Never matches: used when a regex list is empty, because an empty pattern would match everything.
_NEVER = re.compile(r"(?!)")


class SignatureListsConfig:
    """Signature generation: which signature lists steer the frame walk."""

    class Config:
        signature_lists_dir = Option(
            default="",
            doc=(
                "Directory holding the four signature list files (`irrelevant_signature_re.txt`, "
                "`prefix_signature_re.txt`, `signature_sentinels.txt`, "
                "`signatures_with_line_numbers_re.txt`); empty uses Jansky's own lists."
            ),
        )


class SignatureListError(Exception):
    """A signature list file is missing or cannot be read."""


class BadRegularExpressionLineError(SignatureListError):
    """A line of a regex list does not compile; the message names the file and line."""


@dataclass(frozen=True)
class RegexList:
    """One regex list: its lines, and all of them joined into one pattern.

    Lines are joined with ``|`` and tested with ``re.match``: each line is anchored at the start
    and free at the end, exactly like Socorro.
    """

    lines: tuple[str, ...]
    pattern: re.Pattern[str]
    line_patterns: tuple[re.Pattern[str], ...] = field(repr=False)

    def match(self, text: str) -> bool:
        return self.pattern.match(text) is not None

    def first_matching_line(self, text: str) -> str | None:
        """The first line that matches ``text`` (for explanations; slower than ``match``)."""
        for line, compiled in zip(self.lines, self.line_patterns, strict=True):
            if compiled.match(text):
                return line
        return None


def build_regex_list(lines: Sequence[str], source: str = "<memory>") -> RegexList:
    """Compile each line (naming the bad one on error), then the joined pattern."""
    compiled = []
    for number, line in enumerate(lines, start=1):
        try:
            compiled.append(re.compile(line))
        except re.error as exc:
            raise BadRegularExpressionLineError(
                f"{source}: entry {number} {line!r} is not a valid regular expression ({exc}); "
                "fix or remove that line"
            ) from exc
    if not lines:
        return RegexList(lines=(), pattern=_NEVER, line_patterns=())
    try:
        pattern = re.compile("|".join(lines))
    except re.error as exc:
        raise BadRegularExpressionLineError(
            f"{source}: the entries compile one by one but not joined with '|' ({exc}); "
            "look for inline flags such as (?i) that are not at the start of the first line"
        ) from exc
    return RegexList(lines=tuple(lines), pattern=pattern, line_patterns=tuple(compiled))


@dataclass(frozen=True)
class SignatureLists:
    """The four lists, ready to use."""

    irrelevant: RegexList
    prefix: RegexList
    sentinels: tuple[Sentinel, ...]
    line_numbers: RegexList
    source: str

    @classmethod
    def from_lines(
        cls,
        irrelevant: Sequence[str] = (),
        prefix: Sequence[str] = (),
        sentinels: Sequence[Sentinel] = (),
        line_numbers: Sequence[str] = (),
        source: str = "<memory>",
    ) -> SignatureLists:
        """Lists given in code (tests, and callers that build their own)."""
        return cls(
            irrelevant=build_regex_list(irrelevant, f"{source}:{IRRELEVANT}"),
            prefix=build_regex_list(prefix, f"{source}:{PREFIX}"),
            sentinels=tuple(sentinels),
            line_numbers=build_regex_list(line_numbers, f"{source}:{LINE_NUMBERS}"),
            source=source,
        )


def read_list_file(path: Path) -> list[str]:
    """The entries of one list file: stripped lines, without blanks and ``#`` comments."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise SignatureListError(
            f"signature list {path} does not exist; a lists directory needs all of "
            f"{', '.join(name + '.txt' for name in LIST_NAMES)}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise SignatureListError(f"signature list {path} is not valid UTF-8 ({exc})") from exc
    except OSError as exc:
        raise SignatureListError(f"signature list {path} cannot be read ({exc})") from exc
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            entries.append(line)
    return entries


def load_lists(directory: str | Path | None = None) -> SignatureLists:
    """Load the lists from ``directory``, or Jansky's own lists when it is empty or None."""
    folder = Path(directory) if directory else DEFAULT_LISTS_DIR
    if not folder.is_dir():
        raise SignatureListError(
            f"signature lists directory {folder} does not exist; set SIGNATURE_LISTS_DIR (or "
            "--lists) to a directory holding the four list files, or leave it empty"
        )
    entries = {name: read_list_file(folder / f"{name}.txt") for name in LIST_NAMES}
    return SignatureLists(
        irrelevant=build_regex_list(entries[IRRELEVANT], str(folder / f"{IRRELEVANT}.txt")),
        prefix=build_regex_list(entries[PREFIX], str(folder / f"{PREFIX}.txt")),
        sentinels=tuple(entries[SENTINELS]),
        line_numbers=build_regex_list(entries[LINE_NUMBERS], str(folder / f"{LINE_NUMBERS}.txt")),
        source=str(folder),
    )


def load_configured_lists(env: dict[str, str] | None = None) -> SignatureLists:
    """Load the lists named by ``SIGNATURE_LISTS_DIR`` (``env`` for tests, else the process)."""
    config = config_manager(env).with_options(SignatureListsConfig)
    return load_lists(config("signature_lists_dir") or None)
