"""The crash queue interface shared by every backend.

Three logical queues carry crash ids (optionally ``<id>:<ruleset>``): ``priority``,
``standard`` and ``reprocessing``. Delivery is at least once: a received message is leased;
it is redelivered when the lease expires unless acknowledged, and a message received more than
``QUEUE_MAX_RECEIVES`` times moves to the dead-letter queue.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass

from everett.manager import Option

PRIORITY = "priority"
STANDARD = "standard"
REPROCESSING = "reprocessing"
DEAD_LETTER = "dead-letter"
QUEUE_NAMES = (PRIORITY, STANDARD, REPROCESSING)
ALL_QUEUE_NAMES = (*QUEUE_NAMES, DEAD_LETTER)


class QueueError(Exception):
    """The queue backend failed; the operation may be retried."""


class UnknownQueue(QueueError, ValueError):
    """A queue name that is not one of :data:`QUEUE_NAMES` (or the dead-letter queue)."""


def check_queue_name(queue: str, allow_dead_letter: bool = False) -> str:
    """Return ``queue`` if it names a logical queue, else raise :class:`UnknownQueue`.

    Only receive may read the dead-letter queue (to inspect it); nothing publishes to it.
    """
    allowed = ALL_QUEUE_NAMES if allow_dead_letter else QUEUE_NAMES
    if queue not in allowed:
        raise UnknownQueue(f"unknown queue {queue!r}: expected one of {', '.join(allowed)}")
    return queue


class QueueConfig:
    """Queue behaviour shared by every queue backend."""

    class Config:
        queue_lease_seconds = Option(
            default="300",
            parser=float,
            doc="Seconds a received message stays invisible before it is delivered again.",
        )
        queue_max_receives = Option(
            default="5",
            parser=int,
            doc="A message received more than this many times goes to the dead-letter queue.",
        )


@dataclass(frozen=True)
class Message:
    """One received message; ``receipt`` identifies this delivery for ack and release."""

    queue: str
    body: str
    receipt: str
    receive_count: int

    @property
    def crash_id(self) -> str:
        return self.body.partition(":")[0]

    @property
    def ruleset(self) -> str | None:
        return self.body.partition(":")[2] or None


@dataclass(frozen=True)
class QueueCounts:
    """How many messages a queue holds: ready for delivery, and leased or delayed."""

    visible: int
    in_flight: int


class CrashQueue(abc.ABC):
    """Publish, receive, acknowledge and release crash-id messages.

    ``publish`` validates every body (a crash id, optionally ``:ruleset``) and raises
    :class:`jansky.crashid.InvalidCrashId` before sending anything if one is invalid.
    """

    @abc.abstractmethod
    def publish(self, queue: str, bodies: Sequence[str]) -> None:
        """Send the bodies to ``queue`` (in batches); returns once all are durably queued."""

    @abc.abstractmethod
    def receive(
        self, queue: str, max_messages: int = 10, lease_seconds: float | None = None
    ) -> list[Message]:
        """Up to ``max_messages`` messages, leased for ``lease_seconds`` (the default lease)."""

    @abc.abstractmethod
    def ack(self, message: Message) -> None:
        """Delete the message for good; acknowledging twice or after expiry is harmless."""

    def ack_many(self, messages: Sequence[Message]) -> None:
        """Acknowledge several messages, in as few calls as the backend allows."""
        for message in messages:
            self.ack(message)

    @abc.abstractmethod
    def release(self, message: Message, delay_seconds: float = 0) -> None:
        """Give the message back for redelivery after ``delay_seconds``."""

    @abc.abstractmethod
    def check_health(self) -> None:
        """Raise :class:`QueueError` unless the queues can be used now."""
