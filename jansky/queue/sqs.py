"""Crash queues on Amazon SQS (or ElasticMQ): the production backend.

Queues are named ``<prefix>standard``, ``<prefix>priority``, ``<prefix>reprocessing`` and
``<prefix>dead-letter``; bodies are bare crash ids as Antenna and Socorro send them. The endpoint,
region and credentials come from the standard AWS environment (``AWS_ENDPOINT_URL_SQS``,
``AWS_REGION``, ...). Dead-lettering is done here from ``ApproximateReceiveCount`` rather than by
an SQS redrive policy, so that ``QUEUE_MAX_RECEIVES`` means the same for every backend.
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
from collections.abc import Callable, Sequence
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError
from everett.manager import Option

from jansky.queue.base import (
    ALL_QUEUE_NAMES,
    DEAD_LETTER,
    CrashQueue,
    Message,
    QueueCounts,
    QueueError,
    check_queue_name,
)
from jansky.queue.messages import is_valid_body, validate_bodies

logger = logging.getLogger(__name__)

BATCH_SIZE = 10  # the most SQS takes in one send_message_batch or returns from one receive
MAX_VISIBILITY_SECONDS = 43200
RETENTION_SECONDS = 1209600  # 14 days, the SQS maximum: a dead letter waits for a human
_PREFIX = re.compile(r"[A-Za-z0-9_-]{0,68}")  # queue names: at most 80 of [A-Za-z0-9_-]
# Error codes meaning "this receipt no longer names a delivery": the message was acked, or its
# lease expired and it was delivered again under another receipt.
_STALE_RECEIPT_CODES = {
    "ReceiptHandleIsInvalid",
    "AWS.SimpleQueueService.ReceiptHandleIsInvalid",
    "MessageNotInflight",
    "AWS.SimpleQueueService.MessageNotInflight",
}
_MISSING_QUEUE_CODES = {"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"}
_QUEUE_EXISTS_CODES = {"QueueNameExists", "QueueAlreadyExists"}


class SqsQueueConfig:
    """SQS queue client: timeouts and retries of every call to SQS."""

    class Config:
        queue_sqs_connect_timeout = Option(
            default="5",
            parser=float,
            doc="Seconds to wait for a connection to SQS before the attempt fails.",
        )
        queue_sqs_read_timeout = Option(
            default="30",
            parser=float,
            doc="Seconds to wait for an SQS response before the attempt fails.",
        )
        queue_sqs_max_attempts = Option(
            default="3",
            parser=int,
            doc="Attempts per SQS call (first try included) before the queue reports an error.",
        )


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _is_stale_receipt(exc: ClientError) -> bool:
    """Whether SQS refused a receipt because the delivery it named is over (acked or expired)."""
    return _is_stale_code(_error_code(exc), str(exc.response.get("Error", {}).get("Message", "")))


def _is_stale_code(code: str, message: str) -> bool:
    """Whether an error code and message (of a call or a batch entry) mean a stale receipt."""
    if code in _STALE_RECEIPT_CODES:
        return True
    return code == "InvalidParameterValue" and "receipt handle" in message.lower()


class SqsCrashQueue(CrashQueue):
    """The three crash queues and the dead-letter queue on SQS, named ``<prefix><queue>``."""

    def __init__(
        self,
        prefix: str = "jansky-",
        lease_seconds: float = 300,
        max_receives: int = 5,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_attempts: int = 3,
        client: Any = None,
    ) -> None:
        if not _PREFIX.fullmatch(prefix):
            raise ValueError(
                f"invalid SQS queue prefix {prefix!r}: use at most 68 characters from "
                "A-Z, a-z, 0-9, '-' and '_'"
            )
        if max_receives < 1:
            raise ValueError(f"max_receives must be at least 1, got {max_receives!r}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts!r}")
        self.prefix = prefix
        self.lease_seconds = _visibility(lease_seconds, "lease_seconds", minimum=1)
        self.max_receives = max_receives
        self.max_attempts = max_attempts
        self._urls: dict[str, str] = {}
        self._urls_lock = threading.Lock()
        if client is None:
            config = BotoConfig(
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                retries={"max_attempts": max_attempts, "mode": "standard"},
            )
            try:
                # botocore reads only AWS_DEFAULT_REGION; AWS_REGION is what other SDKs use.
                client = boto3.session.Session().client(
                    "sqs", region_name=os.environ.get("AWS_REGION") or None, config=config
                )
            except BotoCoreError as exc:
                raise QueueError(
                    f"cannot create the SQS client: {exc} (set AWS_REGION and, for ElasticMQ, "
                    "AWS_ENDPOINT_URL_SQS)"
                ) from exc
        self._client = client

    def __repr__(self) -> str:
        return f"SqsCrashQueue(prefix={self.prefix!r}, endpoint={self._client.meta.endpoint_url!r})"

    def queue_name(self, queue: str) -> str:
        """The SQS name of a logical queue."""
        return self.prefix + check_queue_name(queue, allow_dead_letter=True)

    def _call(self, queue: str, method: Callable[..., Any], **kwargs: Any) -> Any:
        """Call SQS, turning every failure into a QueueError naming the queue."""
        try:
            return method(**kwargs)
        except ClientError as exc:
            raise QueueError(
                f"SQS queue {self.queue_name(queue)!r}: {method.__name__} failed: {exc}"
            ) from exc
        except BotoCoreError as exc:
            raise QueueError(
                f"SQS queue {self.queue_name(queue)!r}: {method.__name__} failed: {exc}"
            ) from exc

    def _url(self, queue: str) -> str:
        """The queue URL, looked up once and then cached."""
        url = self._urls.get(queue)
        if url is None:
            url = self._lookup_url(queue)
            with self._urls_lock:
                self._urls[queue] = url
        return url

    def _lookup_url(self, queue: str) -> str:
        name = self.queue_name(queue)
        try:
            return self._client.get_queue_url(QueueName=name)["QueueUrl"]
        except ClientError as exc:
            if _error_code(exc) in _MISSING_QUEUE_CODES:
                raise QueueError(
                    f"SQS queue {name!r} does not exist at {self._client.meta.endpoint_url}: "
                    "create the queues (SqsCrashQueue.create_queues) or fix the prefix in QUEUE_URL"
                ) from exc
            raise QueueError(f"SQS queue {name!r}: get_queue_url failed: {exc}") from exc
        except BotoCoreError as exc:
            raise QueueError(f"SQS queue {name!r}: get_queue_url failed: {exc}") from exc

    def create_queues(self) -> None:
        """Create the four queues if they do not exist yet (safe to call again)."""
        attributes = {
            "VisibilityTimeout": str(self.lease_seconds),
            "MessageRetentionPeriod": str(RETENTION_SECONDS),
        }
        for queue in ALL_QUEUE_NAMES:
            name = self.queue_name(queue)
            try:
                url = self._client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
            except ClientError as exc:
                # The queue exists with other attributes (for example another lease): use it.
                if _error_code(exc) not in _QUEUE_EXISTS_CODES:
                    raise QueueError(f"SQS queue {name!r}: create_queue failed: {exc}") from exc
                url = self._lookup_url(queue)
            except BotoCoreError as exc:
                raise QueueError(f"SQS queue {name!r}: create_queue failed: {exc}") from exc
            with self._urls_lock:
                self._urls[queue] = url

    def publish(self, queue: str, bodies: Sequence[str]) -> None:
        check_queue_name(queue)
        checked = validate_bodies(bodies)
        if not checked:
            return
        url = self._url(queue)
        for start in range(0, len(checked), BATCH_SIZE):
            self._send_batch(queue, url, checked[start : start + BATCH_SIZE])
        logger.debug("published %d messages to queue %s", len(checked), self.queue_name(queue))

    def _send_batch(self, queue: str, url: str, bodies: list[str]) -> None:
        """Send up to ten bodies, resending the entries SQS failed for reasons of its own."""
        pending = dict(enumerate(bodies))
        for _attempt in range(self.max_attempts):
            entries = [{"Id": str(index), "MessageBody": body} for index, body in pending.items()]
            response = self._call(
                queue, self._client.send_message_batch, QueueUrl=url, Entries=entries
            )
            failed = response.get("Failed", [])
            if not failed:
                return
            sender_faults = [entry for entry in failed if entry.get("SenderFault")]
            if sender_faults:
                details = "; ".join(
                    f"{pending[int(entry['Id'])]}: {entry.get('Message', entry.get('Code'))}"
                    for entry in sender_faults
                )
                raise QueueError(f"SQS queue {self.queue_name(queue)!r} refused: {details}")
            pending = {int(entry["Id"]): pending[int(entry["Id"])] for entry in failed}
        raise QueueError(
            f"SQS queue {self.queue_name(queue)!r}: could not publish "
            f"{', '.join(pending.values())} after {self.max_attempts} attempts"
        )

    def receive(
        self, queue: str, max_messages: int = 10, lease_seconds: float | None = None
    ) -> list[Message]:
        check_queue_name(queue, allow_dead_letter=True)
        if max_messages < 1:
            raise ValueError(f"max_messages must be at least 1, got {max_messages!r}")
        lease = (
            self.lease_seconds
            if lease_seconds is None
            else _visibility(lease_seconds, "lease_seconds", minimum=1)
        )
        url = self._url(queue)
        received: list[Message] = []
        while len(received) < max_messages:
            wanted = min(BATCH_SIZE, max_messages - len(received))
            response = self._call(
                queue,
                self._client.receive_message,
                QueueUrl=url,
                MaxNumberOfMessages=wanted,
                VisibilityTimeout=lease,
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
            batch = response.get("Messages", [])
            kept = [message for item in batch if (message := self._take(queue, url, item))]
            received.extend(kept)
            # Ask again only to fill the batch: after a full answer, or after setting some aside.
            if not batch or (len(batch) < wanted and len(kept) == len(batch)):
                break
        return received

    def _take(self, queue: str, url: str, item: dict[str, Any]) -> Message | None:
        """The received message, or None after dead-lettering or dropping it."""
        body = item.get("Body", "")
        receipt = item["ReceiptHandle"]
        receive_count = int(item.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        if not is_valid_body(body):
            self._call(queue, self._client.delete_message, QueueUrl=url, ReceiptHandle=receipt)
            logger.warning(
                "queue %s: dropped a message that is not a crash id: %r",
                self.queue_name(queue),
                body[:100],
            )
            return None
        if queue != DEAD_LETTER and receive_count > self.max_receives:
            self._call(
                DEAD_LETTER,
                self._client.send_message,
                QueueUrl=self._url(DEAD_LETTER),
                MessageBody=body,
            )
            self._call(queue, self._client.delete_message, QueueUrl=url, ReceiptHandle=receipt)
            logger.warning(
                "%s: received %d times from queue %s; moved to the dead-letter queue",
                body,
                receive_count - 1,
                self.queue_name(queue),
            )
            return None
        return Message(queue=queue, body=body, receipt=receipt, receive_count=receive_count)

    def ack(self, message: Message) -> None:
        self._settle(message, self._client.delete_message)

    def ack_many(self, messages: Sequence[Message]) -> None:
        """``delete_message_batch`` calls of up to ten; stale receipts are ignored as by ack.

        Every batch is attempted; an error is raised at the end naming what was not acked.
        """
        by_queue: dict[str, list[Message]] = {}
        for message in messages:
            check_queue_name(message.queue, allow_dead_letter=True)
            by_queue.setdefault(message.queue, []).append(message)
        problems = []
        for queue, queued in by_queue.items():
            url = self._url(queue)
            for start in range(0, len(queued), BATCH_SIZE):
                batch = queued[start : start + BATCH_SIZE]
                try:
                    problems += self._delete_batch(queue, url, batch)
                except QueueError as exc:
                    problems.append(str(exc))
        if problems:
            raise QueueError("; ".join(problems))

    def _delete_batch(self, queue: str, url: str, batch: list[Message]) -> list[str]:
        """Delete up to ten messages; returns what went wrong for entries that were refused."""
        entries = [
            {"Id": str(index), "ReceiptHandle": message.receipt}
            for index, message in enumerate(batch)
        ]
        response = self._call(
            queue, self._client.delete_message_batch, QueueUrl=url, Entries=entries
        )
        problems = []
        for entry in response.get("Failed", []):
            message = batch[int(entry["Id"])]
            code, text = str(entry.get("Code", "")), str(entry.get("Message", ""))
            if _is_stale_code(code, text):
                logger.info(
                    "%s: ack ignored, the receipt is no longer valid (%s)", message.body, code
                )
            else:
                problems.append(
                    f"SQS queue {self.queue_name(queue)!r}: delete failed for {message.body}: "
                    f"{code} {text}".rstrip()
                )
        return problems

    def release(self, message: Message, delay_seconds: float = 0) -> None:
        delay = _visibility(delay_seconds, "delay_seconds", minimum=0)
        self._settle(message, self._client.change_message_visibility, VisibilityTimeout=delay)

    def _settle(self, message: Message, method: Callable[..., Any], **kwargs: Any) -> None:
        """Ack or release; a stale receipt is ignored, as the message is no longer ours."""
        url = self._url(message.queue)
        try:
            method(QueueUrl=url, ReceiptHandle=message.receipt, **kwargs)
        except ClientError as exc:
            if not _is_stale_receipt(exc):
                raise QueueError(
                    f"SQS queue {self.queue_name(message.queue)!r}: {method.__name__} failed "
                    f"for {message.body}: {exc}"
                ) from exc
            logger.info(
                "%s: %s ignored, the receipt is no longer valid (%s)",
                message.body,
                method.__name__,
                _error_code(exc),
            )
        except BotoCoreError as exc:
            raise QueueError(
                f"SQS queue {self.queue_name(message.queue)!r}: {method.__name__} failed "
                f"for {message.body}: {exc}"
            ) from exc

    def counts(self) -> dict[str, QueueCounts]:
        """Approximate messages per queue (dead-letter included), as SQS reports them."""
        counts = {}
        for queue in ALL_QUEUE_NAMES:
            attributes = self._call(
                queue,
                self._client.get_queue_attributes,
                QueueUrl=self._url(queue),
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                    "ApproximateNumberOfMessagesDelayed",
                ],
            )["Attributes"]
            counts[queue] = QueueCounts(
                visible=int(attributes.get("ApproximateNumberOfMessages", 0)),
                in_flight=int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))
                + int(attributes.get("ApproximateNumberOfMessagesDelayed", 0)),
            )
        return counts

    def check_health(self) -> None:
        for queue in ALL_QUEUE_NAMES:
            url = self._lookup_url(queue)
            with self._urls_lock:
                self._urls[queue] = url


def _visibility(seconds: float, name: str, minimum: int) -> int:
    """Whole seconds for SQS (rounded up, so a lease is never shorter than asked)."""
    whole = math.ceil(seconds)
    if not minimum <= whole <= MAX_VISIBILITY_SECONDS:
        raise ValueError(
            f"{name} must be between {minimum} and {MAX_VISIBILITY_SECONDS} seconds, "
            f"got {seconds!r}"
        )
    return whole
