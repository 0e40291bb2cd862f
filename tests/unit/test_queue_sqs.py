"""SQS backend paths ElasticMQ does not produce: AWS error codes and partial batch failures.

The behaviour shared with every backend is covered by tests/integration/test_queue_contract.py.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from botocore.stub import Stubber

from jansky.queue.base import Message, QueueError
from jansky.queue.sqs import SqsCrashQueue

URL = "http://sqs.example/000000000000/t-standard"
CRASH_ID = "de1bb258-cbbf-4589-a673-34f800160918"


@pytest.fixture
def stubbed() -> Iterator[tuple[SqsCrashQueue, Stubber]]:
    client = boto3.client(
        "sqs", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    queue = SqsCrashQueue(prefix="t-", max_attempts=2, client=client)
    with Stubber(client) as stubber:
        stubber.add_response("get_queue_url", {"QueueUrl": URL}, {"QueueName": "t-standard"})
        yield queue, stubber
        stubber.assert_no_pending_responses()


def message(receipt: str = "r1") -> Message:
    return Message(queue="standard", body=CRASH_ID, receipt=receipt, receive_count=1)


@pytest.mark.parametrize(
    ("code", "text"),
    [
        ("ReceiptHandleIsInvalid", "The input receipt handle is invalid."),
        (
            "InvalidParameterValue",
            "Value r1 for parameter ReceiptHandle is invalid. Reason: "
            "The receipt handle has expired.",
        ),
    ],
)
def test_ack_with_a_stale_receipt_is_ignored(
    stubbed: tuple[SqsCrashQueue, Stubber], code: str, text: str
) -> None:
    queue, stubber = stubbed
    stubber.add_client_error("delete_message", code, text)
    queue.ack(message())


def test_release_of_a_message_no_longer_in_flight_is_ignored(
    stubbed: tuple[SqsCrashQueue, Stubber],
) -> None:
    queue, stubber = stubbed
    stubber.add_client_error("change_message_visibility", "MessageNotInflight", "not in flight")
    queue.release(message(), delay_seconds=0.2)


def test_other_errors_become_queue_errors_naming_the_queue_and_crash(
    stubbed: tuple[SqsCrashQueue, Stubber],
) -> None:
    queue, stubber = stubbed
    stubber.add_client_error("delete_message", "AccessDenied", "no", http_status_code=403)
    with pytest.raises(QueueError, match=f"'t-standard'.*delete_message.*{CRASH_ID}.*AccessDenied"):
        queue.ack(message())


def test_ack_many_ignores_stale_entries_and_reports_the_others(
    stubbed: tuple[SqsCrashQueue, Stubber],
) -> None:
    queue, stubber = stubbed
    messages = [message(f"r{index}") for index in range(12)]
    stale = "The receipt handle has expired."
    stubber.add_response(
        "delete_message_batch",
        {
            "Successful": [{"Id": str(index)} for index in range(8)],
            "Failed": [
                {"Id": "8", "SenderFault": True, "Code": "ReceiptHandleIsInvalid"},
                {"Id": "9", "SenderFault": True, "Code": "InvalidParameterValue", "Message": stale},
            ],
        },
        {
            "QueueUrl": URL,
            "Entries": [{"Id": str(i), "ReceiptHandle": f"r{i}"} for i in range(10)],
        },
    )
    stubber.add_response(
        "delete_message_batch",
        {
            "Successful": [{"Id": "0"}],
            "Failed": [{"Id": "1", "SenderFault": False, "Code": "InternalError"}],
        },
        {
            "QueueUrl": URL,
            "Entries": [{"Id": "0", "ReceiptHandle": "r10"}, {"Id": "1", "ReceiptHandle": "r11"}],
        },
    )
    with pytest.raises(
        QueueError, match=f"'t-standard'.*delete failed for {CRASH_ID}: InternalError"
    ):
        queue.ack_many(messages)


def test_ack_many_tries_every_batch_before_raising(stubbed: tuple[SqsCrashQueue, Stubber]) -> None:
    queue, stubber = stubbed
    stubber.add_client_error("delete_message_batch", "AccessDenied", "no", http_status_code=403)
    stubber.add_response("delete_message_batch", {"Successful": [{"Id": "0"}], "Failed": []})
    with pytest.raises(QueueError, match=r"delete_message_batch.*AccessDenied"):
        queue.ack_many([message(f"r{index}") for index in range(11)])


def test_entries_sqs_failed_on_its_side_are_resent(stubbed: tuple[SqsCrashQueue, Stubber]) -> None:
    queue, stubber = stubbed
    other = CRASH_ID[:-1] + "9"
    stubber.add_response(
        "send_message_batch",
        {
            "Successful": [{"Id": "0", "MessageId": "m0", "MD5OfMessageBody": "x"}],
            "Failed": [{"Id": "1", "SenderFault": False, "Code": "InternalError"}],
        },
        {
            "QueueUrl": URL,
            "Entries": [{"Id": "0", "MessageBody": CRASH_ID}, {"Id": "1", "MessageBody": other}],
        },
    )
    stubber.add_response(
        "send_message_batch",
        {"Successful": [{"Id": "1", "MessageId": "m1", "MD5OfMessageBody": "x"}], "Failed": []},
        {"QueueUrl": URL, "Entries": [{"Id": "1", "MessageBody": other}]},
    )
    queue.publish("standard", [CRASH_ID, other])


def test_entries_refused_or_failing_every_attempt_raise(
    stubbed: tuple[SqsCrashQueue, Stubber],
) -> None:
    queue, stubber = stubbed
    failed = {"Successful": [], "Failed": [{"Id": "0", "SenderFault": False, "Code": "Internal"}]}
    stubber.add_response("send_message_batch", failed)
    stubber.add_response("send_message_batch", failed)
    with pytest.raises(QueueError, match=f"could not publish {CRASH_ID} after 2 attempts"):
        queue.publish("standard", [CRASH_ID])
    refused = {
        "Successful": [],
        "Failed": [{"Id": "0", "SenderFault": True, "Code": "TooBig", "Message": "too big"}],
    }
    stubber.add_response("send_message_batch", refused)
    with pytest.raises(QueueError, match=f"refused: {CRASH_ID}: too big"):
        queue.publish("standard", [CRASH_ID])


def test_a_missing_queue_says_how_to_create_it() -> None:
    client = boto3.client(
        "sqs", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    queue = SqsCrashQueue(prefix="t-", client=client)
    with Stubber(client) as stubber:
        stubber.add_client_error("get_queue_url", "QueueDoesNotExist", "no such queue")
        with pytest.raises(QueueError, match=r"'t-priority' does not exist.*create_queues"):
            queue.receive("priority")


def test_create_queues_uses_a_queue_that_exists_with_other_attributes() -> None:
    client = boto3.client(
        "sqs", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    queue = SqsCrashQueue(prefix="t-", lease_seconds=60, client=client)
    with Stubber(client) as stubber:
        for name in ("priority", "standard", "reprocessing", "dead-letter"):
            attributes = {"VisibilityTimeout": "60", "MessageRetentionPeriod": "1209600"}
            params = {"QueueName": f"t-{name}", "Attributes": attributes}
            if name == "standard":
                stubber.add_client_error("create_queue", "QueueNameExists", "exists", 400, params)
                stubber.add_response(
                    "get_queue_url", {"QueueUrl": URL}, {"QueueName": "t-standard"}
                )
            else:
                stubber.add_response("create_queue", {"QueueUrl": f"u/{name}"}, params)
        queue.create_queues()
        expected = {
            "QueueUrl": URL,
            "MaxNumberOfMessages": 10,
            "VisibilityTimeout": 60,
            "WaitTimeSeconds": 0,
            "MessageSystemAttributeNames": ["ApproximateReceiveCount"],
        }
        stubber.add_response("receive_message", {}, expected)
        assert queue.receive("standard") == []
        stubber.assert_no_pending_responses()
