"""A job's output: logged line by line as it is written, and its end kept for the log row."""

from __future__ import annotations

import io
import logging
import threading

logger = logging.getLogger("cronrun.output")


class CapturedOutput(io.TextIOBase):
    """A text stream for a command's stdout and stderr (Django's ``call_command`` takes it)."""

    def __init__(self, job: str, limit: int) -> None:
        super().__init__()
        self.job = job
        self.limit = limit
        self._partial = ""
        self._kept: list[str] = []
        self._kept_size = 0
        self._dropped = 0
        self._lock = threading.Lock()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        with self._lock:
            self._keep(text)
            lines = (self._partial + text).split("\n")
            self._partial = lines.pop()
        for line in lines:
            logger.info("job=%s %s", self.job, line.rstrip("\r"))
        return len(text)

    def flush(self) -> None:
        with self._lock:
            line, self._partial = self._partial, ""
        if line:
            logger.info("job=%s %s", self.job, line)

    def _keep(self, text: str) -> None:
        self._kept.append(text)
        self._kept_size += len(text)
        while self._kept_size > self.limit and self._kept:
            oldest = self._kept[0]
            excess = self._kept_size - self.limit
            if len(oldest) <= excess:
                self._kept.pop(0)
                self._kept_size -= len(oldest)
                self._dropped += len(oldest)
            else:
                self._kept[0] = oldest[excess:]
                self._kept_size -= excess
                self._dropped += excess

    def text(self) -> str:
        """What was written, or its last ``limit`` characters after a note of what was cut."""
        with self._lock:
            kept = "".join(self._kept)
            dropped = self._dropped
        if dropped:
            return f"[{dropped:,} earlier characters not kept]\n{kept}"
        return kept
