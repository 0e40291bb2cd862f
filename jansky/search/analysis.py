"""How text fields are split into words, for both backends.

Words are computed here, in Python, for SQLite and for the cluster alike (the cluster indexes
them whitespace-separated in a ``words.<field>`` field), so both backends agree by
construction and the cluster needs no analysis plugin. ``jansky_words`` (the default) splits
on anything that is not a letter, digit or underscore; ``semicolon_keywords`` splits on
``;`` and trims. Both lower-case; words longer than ``MAX_WORD`` characters are cut into
pieces. A bare value on a text field matches when its words appear in that order, next to
each other, among the field's words.
"""

from __future__ import annotations

import re

_NOT_WORD = re.compile(r"[^\w]+")
_SPACE = re.compile(r"\s")
WORDS = "jansky_words"
SEMICOLON = "semicolon_keywords"
MAX_WORD = 120  # the cluster's whitespace tokenizer cuts at 255 UTF-16 units
SPACE_MARK = "\u2423"  # stands for whitespace inside a semicolon-separated word


def tokens(text: str, analyzer: str | None) -> list[str]:
    if analyzer == SEMICOLON:
        raw = [_SPACE.sub(SPACE_MARK, part.strip()) for part in text.lower().split(";")]
    else:
        raw = _NOT_WORD.split(text.lower())
    words: list[str] = []
    for word in raw:
        if len(word) > MAX_WORD:
            words += [word[start : start + MAX_WORD] for start in range(0, len(word), MAX_WORD)]
        elif word:
            words.append(word)
    return words


def phrase_in(words: list[str], phrase: list[str]) -> bool:
    """Whether ``phrase`` occurs as consecutive words of ``words`` (never for no words)."""
    if not phrase or len(phrase) > len(words):
        return False
    size = len(phrase)
    first = phrase[0]
    return any(
        words[index] == first and words[index : index + size] == phrase
        for index in range(len(words) - size + 1)
    )
