"""From a thread's frames to the list of normalized frame strings.

Inline frames are flattened in front of their parent frame, only the first
``MAXIMUM_FRAMES_TO_CONSIDER`` items are used, and each item becomes one string: the
normalized function, else ``file#line``, else the module, else the unloaded module, else the
offset. Hostile values (frames that are not objects, fields of the wrong type, huge strings)
are neutralised here and reported as notes, so nothing later has to re-check types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from processor.signature import normalize
from processor.signature.siglists import SignatureLists

MAXIMUM_FRAMES_TO_CONSIDER = 40
# Longest text field used from a frame; longer values are cut (and noted). Real symbols stay
# far below this, and the cut bounds the time regexes can spend on hostile input.
MAX_FIELD_LENGTH = 65536
_CACHE_LIMIT = 50000

# Rust 1.34 emitted panic symbols without their module; (file path, function) -> full name.
RUST_134_PANIC_SYMBOLS = {
    ("src/liballoc/raw_vec.rs", "capacity_overflow"): "alloc::raw_vec::capacity_overflow",
    ("src/libcore/option.rs", "expect_failed"): "core::option::expect_failed",
    ("src/libcore/panicking.rs", "panic_bounds_check"): "core::panicking::panic_bounds_check",
    ("src/libcore/panicking.rs", "panic_fmt"): "core::panicking::panic_fmt",
    ("src/libcore/panicking.rs", "panic"): "core::panicking::panic",
    ("src/libcore/slice/mod.rs", "slice_index_order_fail"): "core::slice::slice_index_order_fail",
    ("src/libstd/panicking.rs", "begin_panic_fmt"): "std::panicking::begin_panic_fmt",
    ("src/libstd/panicking.rs", "continue_panic_fmt"): "std::panicking::continue_panic_fmt",
    ("src/libstd/panicking.rs", "rust_panic_with_hook"): "std::panicking::rust_panic_with_hook",
}
_PANIC_FUNCTIONS = frozenset(function for _, function in RUST_134_PANIC_SYMBOLS)


@dataclass
class FrameTrace:
    """What happened to one flattened frame (filled only when explaining)."""

    index: int
    frame_index: int
    inline_index: int | None
    raw: dict[str, Any]
    source: str = ""
    steps: list[tuple[str, str, str]] = field(default_factory=list)
    normalized: str = ""
    decision: str = "not reached"


class FrameNormalizer:
    """Normalizes frames with one set of lists, caching function results.

    Function names repeat heavily across crashes, so their normalization is cached (bounded);
    everything that depends on the frame's line number is recomputed per frame.
    """

    def __init__(self, lists: SignatureLists) -> None:
        self.lists = lists
        self._cache: dict[tuple[str, bool], tuple[str, str, bool]] = {}

    def function(self, function: str, rust: bool, line: object) -> str:
        """The normalized form of a function name (C++ rules, or Rust rules if ``rust``)."""
        key = (function, rust)
        cached = self._cache.get(key)
        if cached is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            if rust:
                collapsed = normalize.rust_collapse(function)
            else:
                collapsed = normalize.cpp_collapse(normalize.cpp_collapse_input(function))
            cached = (
                collapsed,
                normalize.finish(collapsed, rust),
                self.lists.line_numbers.match(collapsed),
            )
            self._cache[key] = cached
        collapsed, finished, wants_line = cached
        if wants_line:
            return normalize.finish(f"{collapsed}:{line}", rust)
        return finished

    def explain_function(self, function: str, rust: bool, line: object, trace: FrameTrace) -> str:
        """Like ``function`` but records every step into ``trace`` (uncached)."""
        steps = trace.steps
        if rust:
            collapsed = normalize.rust_collapse(function, steps)
        else:
            collapsed = normalize.cpp_collapse(normalize.cpp_collapse_input(function, steps), steps)
        matched = self.lists.line_numbers.first_matching_line(collapsed)
        if matched is not None:
            steps.append((f"line-number list ({matched!r})", collapsed, f"{collapsed}:{line}"))
            collapsed = f"{collapsed}:{line}"
        return normalize.finish(collapsed, rust, steps)

    def frame(
        self,
        module: str | None,
        function: str | None,
        file: str | None,
        line: object,
        offset: object,
        unloaded: list[Any] | None,
        trace: FrameTrace | None = None,
    ) -> str:
        """The one string that stands for this frame in the signature."""
        if function:
            rust = (normalize.parse_source_file(file) or "").endswith(".rs")
            if trace is not None:
                trace.source = f"function ({'Rust' if rust else 'C/C++'} rules)"
                return self.explain_function(function, rust, line, trace)
            return self.function(function, rust, line)
        if file and line:
            if trace is not None:
                trace.source = "file and line (no function)"
            return normalize.file_line(file, line)
        if module:
            if trace is not None:
                trace.source = "module (no function, file or line)"
            return module.strip("[]")
        if unloaded:
            if trace is not None:
                trace.source = "unloaded module"
            first = unloaded[0]
            name = first.get("module") if isinstance(first, dict) else None
            return f"(unloaded {name})"
        if offset:
            if trace is not None:
                trace.source = "offset only"
            return f"@{normalize.strip_leading_zeros(offset)}"
        if trace is not None:
            trace.source = "nothing usable"
        return ""


def _text(frame: dict[str, Any], key: str, notes: list[str], where: str) -> str | None:
    """A string field of a frame; other types are dropped and long strings cut, with a note."""
    value = frame.get(key)
    if value is None or (type(value) is str and len(value) <= MAX_FIELD_LENGTH):
        return value
    if isinstance(value, str):
        notes.append(f"{where}: {key} longer than {MAX_FIELD_LENGTH} characters was cut")
        return value[:MAX_FIELD_LENGTH]
    notes.append(f"{where}: {key} is {type(value).__name__}, not a string; ignored")
    return None


def _value(frame: dict[str, Any], key: str, notes: list[str], where: str) -> Any:
    """A field of any type (line, offset); only overlong strings are cut, with a note."""
    value = frame.get(key)
    if type(value) is str and len(value) > MAX_FIELD_LENGTH:
        notes.append(f"{where}: {key} longer than {MAX_FIELD_LENGTH} characters was cut")
        return value[:MAX_FIELD_LENGTH]
    return value


def fix_missing_module(file: str | None, function: str | None) -> str | None:
    """Give Rust 1.34 panic symbols their missing module, so that sentinels find them."""
    if function in _PANIC_FUNCTIONS:
        return RUST_134_PANIC_SYMBOLS.get((normalize.parse_source_file(file), function), function)
    return function


def _add_item(
    item: dict[str, Any],
    position: tuple[int, int | None],
    module: str | None,
    offset: object,
    unloaded: list[Any] | None,
    normalizer: FrameNormalizer,
    normalized: list[str],
    notes: list[str],
    traces: list[FrameTrace] | None,
) -> None:
    """Normalize one flattened item (an inline, or a frame itself) and append it."""
    frame_index, inline_index = position
    where = f"frame {frame_index}" + ("" if inline_index is None else f" inline {inline_index}")
    function = _text(item, "function", notes, where)
    file = _text(item, "file", notes, where)
    line = _value(item, "line", notes, where)
    trace = None
    if traces is not None:
        raw = {"function": function, "file": file, "line": line, "module": module}
        if inline_index is None:
            raw.update(offset=offset, unloaded_modules=unloaded)
        trace = FrameTrace(len(normalized), frame_index, inline_index, raw)
        traces.append(trace)
    fixed = fix_missing_module(file, function)
    if trace is not None and fixed != function:
        trace.steps.append(("Rust 1.34 panic symbol gets its module", function, fixed))
    value = normalizer.frame(module, fixed, file, line, offset, unloaded, trace)
    if trace is not None:
        trace.normalized = value
    normalized.append(value)


def frame_list(
    thread: object,
    lowercase_modules: bool,
    normalizer: FrameNormalizer,
    notes: list[str],
    traces: list[FrameTrace] | None = None,
) -> list[str]:
    """Normalized strings for the first frames (inlines included) of ``thread``."""
    if not isinstance(thread, dict):
        if thread is not None:
            notes.append(f"thread is {type(thread).__name__}, not an object; no frames used")
        return []
    frames = thread.get("frames")
    if not frames:
        return []
    if not isinstance(frames, list):
        notes.append(f"thread frames is {type(frames).__name__}, not a list; no frames used")
        return []
    normalized: list[str] = []
    for frame_index, frame in enumerate(frames):
        if len(normalized) >= MAXIMUM_FRAMES_TO_CONSIDER:
            break
        where = f"frame {frame_index}"
        if not isinstance(frame, dict):
            notes.append(f"{where} is {type(frame).__name__}, not an object; ignored")
            if traces is not None:
                trace = FrameTrace(len(normalized), frame_index, None, {"value": frame})
                trace.source = "not an object"
                traces.append(trace)
            normalized.append("")
            continue
        module = _text(frame, "module", notes, where)
        if module and lowercase_modules:
            module = module.lower()
        offset = _value(frame, "offset", notes, where)
        inlines = frame.get("inlines")
        if inlines and not isinstance(inlines, list):
            notes.append(f"{where}: inlines is {type(inlines).__name__}, not a list; ignored")
            inlines = None
        for inline_index, inline in enumerate(inlines or ()):
            if len(normalized) >= MAXIMUM_FRAMES_TO_CONSIDER:
                return normalized
            if not isinstance(inline, dict):
                notes.append(f"{where} inline {inline_index} is not an object; ignored")
                inline = {}
            position = (frame_index, inline_index)
            _add_item(inline, position, module, offset, None, normalizer, normalized, notes, traces)
        if len(normalized) >= MAXIMUM_FRAMES_TO_CONSIDER:
            break
        unloaded = frame.get("unloaded_modules")
        if unloaded and not isinstance(unloaded, list):
            notes.append(f"{where}: unloaded_modules is not a list; ignored")
            unloaded = None
        _add_item(
            frame,
            (frame_index, None),
            module,
            offset,
            unloaded,
            normalizer,
            normalized,
            notes,
            traces,
        )
    return normalized
