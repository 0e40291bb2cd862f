"""The cluster's regular expression syntax, matched in linear time for the SQLite backend.

Super Search's ``@`` operator uses Lucene's regexp syntax with no optional operators
(``flags: NONE``): ``. ? + * {n} {n,} {n,m} | ( ) [..] [^..] "literal" \\x``, plus the
``\\d \\s \\w`` classes and their negations. A pattern always matches the whole value.
Patterns become an automaton determinized lazily, with the same state limit the cluster
uses, so hostile patterns cannot take exponential time; there is no backtracking.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

MAX_NFA_STATES = 20_000
MAX_DFA_STATES = 10_000
MAX_PATTERN_LENGTH = 1000


class RegexError(ValueError):
    """The pattern is malformed or too complex to match safely."""


@dataclass(frozen=True)
class CharSet:
    ranges: tuple[tuple[int, int], ...]
    negated: bool = False

    def __contains__(self, char: str) -> bool:
        code = ord(char)
        inside = any(low <= code <= high for low, high in self.ranges)
        return inside != self.negated


ANY = CharSet((), negated=True)
CLASSES = {
    "d": CharSet(((48, 57),)),
    "s": CharSet(((9, 13), (32, 32))),
    "w": CharSet(((48, 57), (65, 90), (95, 95), (97, 122))),
}


class _Nfa:
    def __init__(self) -> None:
        self.eps: list[list[int]] = []
        self.moves: list[list[tuple[CharSet, int]]] = []

    def state(self) -> int:
        if len(self.eps) >= MAX_NFA_STATES:
            raise RegexError("pattern is too complex")
        self.eps.append([])
        self.moves.append([])
        return len(self.eps) - 1


class _Parser:
    """Recursive descent over the pattern, building NFA fragments (start, end)."""

    def __init__(self, pattern: str, nfa: _Nfa) -> None:
        self.text = pattern
        self.pos = 0
        self.nfa = nfa

    def more(self) -> bool:
        return self.pos < len(self.text)

    def peek(self, chars: str) -> bool:
        return self.more() and self.text[self.pos] in chars

    def take(self) -> str:
        if not self.more():
            raise RegexError("unexpected end of pattern")
        char = self.text[self.pos]
        self.pos += 1
        return char

    def parse(self) -> tuple[int, int]:
        if not self.text:
            return self.literal("")
        fragment = self.union()
        if self.more():
            raise RegexError(f"unexpected {self.text[self.pos]!r} at position {self.pos}")
        return fragment

    def union(self) -> tuple[int, int]:
        branches = [self.concat()]
        while self.peek("|"):
            self.pos += 1
            branches.append(self.concat())
        if len(branches) == 1:
            return branches[0]
        start, end = self.nfa.state(), self.nfa.state()
        for first, last in branches:
            self.nfa.eps[start].append(first)
            self.nfa.eps[last].append(end)
        return start, end

    def concat(self) -> tuple[int, int]:
        if not self.more() or self.peek("|)"):
            raise RegexError(f"empty expression at position {self.pos}")
        first, last = self.repeat()
        while self.more() and not self.peek("|)"):
            start, end = self.repeat()
            self.nfa.eps[last].append(start)
            last = end
        return first, last

    def repeat(self) -> tuple[int, int]:
        begin = self.pos
        fragment = self.simple()
        source = self.text[begin : self.pos]
        while self.peek("?*+{"):
            char = self.take()
            if char == "?":
                fragment = self.bounded(fragment, source, 0, 1)
            elif char == "*":
                fragment = self.star(fragment)
            elif char == "+":
                fragment = self.bounded(fragment, source, 1, None)
            else:
                low, high = self.braces()
                fragment = self.bounded(fragment, source, low, high)
            source = self.text[begin : self.pos]
        return fragment

    def braces(self) -> tuple[int, int | None]:
        low = self.number()
        high: int | None = low
        if self.peek(","):
            self.pos += 1
            high = self.number() if not self.peek("}") else None
        if self.take() != "}":
            raise RegexError("expected '}'")
        if high is not None and high < low:
            raise RegexError("bad repetition bounds")
        return low, high

    def number(self) -> int:
        start = self.pos
        while self.peek("0123456789"):
            self.pos += 1
        if start == self.pos:
            raise RegexError(f"expected a number at position {start}")
        return int(self.text[start : self.pos])

    def star(self, fragment: tuple[int, int]) -> tuple[int, int]:
        first, last = fragment
        start, end = self.nfa.state(), self.nfa.state()
        self.nfa.eps[start] += [first, end]
        self.nfa.eps[last] += [first, end]
        return start, end

    def bounded(
        self, fragment: tuple[int, int], source: str, low: int, high: int | None
    ) -> tuple[int, int]:
        """Repeat by rebuilding the sub-pattern; each copy is an independent fragment."""
        copies = [fragment] + [self.rebuild(source) for _ in range(max(low, high or 0, 1) - 1)]
        start = self.nfa.state()
        current = start
        for index in range(low):
            first, last = copies[index]
            self.nfa.eps[current].append(first)
            current = last
        if high is None:
            looped = self.star(self.rebuild(source) if low else copies[0])
            self.nfa.eps[current].append(looped[0])
            return start, looped[1]
        end = self.nfa.state()
        self.nfa.eps[current].append(end)
        for index in range(low, high):
            first, last = copies[index]
            self.nfa.eps[current].append(first)
            self.nfa.eps[last].append(end)
            current = last
        return start, end

    def rebuild(self, source: str) -> tuple[int, int]:
        parser = _Parser(source, self.nfa)
        fragment = parser.repeat()
        return fragment

    def simple(self) -> tuple[int, int]:
        char = self.take()
        if char == ".":
            return self.chars(ANY)
        if char == '"':
            end = self.text.find('"', self.pos)
            if end < 0:
                raise RegexError("unterminated quoted string")
            literal = self.text[self.pos : end]
            self.pos = end + 1
            return self.literal(literal)
        if char == "(":
            if self.peek(")"):
                self.pos += 1
                return self.literal("")
            fragment = self.union()
            if self.take() != ")":
                raise RegexError("expected ')'")
            return fragment
        if char == "[":
            return self.chars(self.char_class())
        if char == "\\":
            return self.chars(self.escape())
        return self.chars(CharSet(((ord(char), ord(char)),)))

    def escape(self) -> CharSet:
        char = self.take()
        if char.lower() in CLASSES:
            found = CLASSES[char.lower()]
            return found if char.islower() else CharSet(found.ranges, negated=True)
        return CharSet(((ord(char), ord(char)),))

    def char_class(self) -> CharSet:
        negated = self.peek("^")
        if negated:
            self.pos += 1
        ranges: list[tuple[int, int]] = []
        first = True
        while first or not self.peek("]"):
            first = False
            char = self.take()
            if char == "\\":
                escaped = self.escape()
                if escaped.negated:
                    raise RegexError("negated classes cannot be used inside [...]")
                if len(escaped.ranges) > 1 or escaped.ranges[0][0] != escaped.ranges[0][1]:
                    ranges.extend(escaped.ranges)
                    continue
                low = escaped.ranges[0][0]
            else:
                low = ord(char)
            high = low
            if self.peek("-") and self.pos + 1 < len(self.text) and self.text[self.pos + 1] != "]":
                self.pos += 1
                upper = self.take()
                high = ord(self.take()) if upper == "\\" else ord(upper)
                if high < low:
                    raise RegexError("bad character range")
            ranges.append((low, high))
        self.pos += 1
        return CharSet(tuple(ranges), negated)

    def chars(self, charset: CharSet) -> tuple[int, int]:
        start, end = self.nfa.state(), self.nfa.state()
        self.nfa.moves[start].append((charset, end))
        return start, end

    def literal(self, text: str) -> tuple[int, int]:
        start = current = self.nfa.state()
        for char in text:
            following = self.nfa.state()
            self.nfa.moves[current].append((CharSet(((ord(char), ord(char)),)), following))
            current = following
        return start, current


class Matcher:
    """A compiled pattern; ``fullmatch`` runs in time linear in the value's length."""

    def __init__(self, nfa: _Nfa, start: int, accept: int) -> None:
        self._nfa = nfa
        self._accept = accept
        self._start = self._closure({start})
        self._transitions: dict[tuple[frozenset[int], str], frozenset[int]] = {}
        self._states: set[frozenset[int]] = {self._start}

    def _closure(self, states: set[int]) -> frozenset[int]:
        stack = list(states)
        seen = set(states)
        while stack:
            for target in self._nfa.eps[stack.pop()]:
                if target not in seen:
                    seen.add(target)
                    stack.append(target)
        return frozenset(seen)

    def _step(self, states: frozenset[int], char: str) -> frozenset[int]:
        key = (states, char)
        found = self._transitions.get(key)
        if found is None:
            targets = {
                target
                for state in states
                for charset, target in self._nfa.moves[state]
                if char in charset
            }
            found = self._closure(targets)
            if found not in self._states:
                if len(self._states) >= MAX_DFA_STATES:
                    raise RegexError("pattern is too complex")
                self._states.add(found)
            self._transitions[key] = found
        return found

    def fullmatch(self, value: str) -> bool:
        states = self._start
        for char in value:
            states = self._step(states, char)
            if not states:
                return False
        return self._accept in states


@lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Matcher:
    """Parse ``pattern``; raises :class:`RegexError` when it is malformed or too long."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise RegexError(f"longer than {MAX_PATTERN_LENGTH} characters")
    nfa = _Nfa()
    start, accept = _Parser(pattern, nfa).parse()
    return Matcher(nfa, start, accept)
