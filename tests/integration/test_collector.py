"""The collector app against MinIO and ElasticMQ: Socorro's keys in S3, bare ids in SQS."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from falcon import testing

from antenna.app import create_app
from antenna.client import encode_report
from jansky.queue import open_queue

pytestmark = pytest.mark.integration

BUCKET = "jansky-crashes"


@pytest.fixture
def collector(aws_env, tmp_path):
    prefix = f"jansky-collector-{uuid.uuid4().hex[:8]}-"
    env = {
        **aws_env,
        "DATA_DIR": str(tmp_path),
        "STORAGE_URL": f"s3://{BUCKET}/{prefix}",
        "QUEUE_URL": f"sqs://?prefix={prefix}",
        "COLLECTOR_RETRY_SLEEP_SECONDS": "0",
    }
    queue = open_queue(env["QUEUE_URL"], env)
    queue.create_queues()
    s3 = boto3.client("s3", region_name=env["AWS_REGION"])
    yield testing.TestClient(create_app(env)), s3, prefix, env
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=BUCKET, Key=item["Key"])


def test_keys_and_queue_message_match_socorro(collector):
    client, s3, prefix, env = collector
    report = encode_report(
        {"ProductName": "Firefox", "Version": "1"},
        {"upload_file_minidump": b"abcd1234", "memory_report": b"{}"},
    )
    response = client.simulate_post("/submit", body=report.body, headers=report.headers)
    assert response.status_code == 200
    crash_id = response.text.strip()[len("CrashID=bp-") :]

    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix)["Contents"]
    keys = {item["Key"][len(prefix) :].lstrip("/") for item in listed}
    assert keys == {
        f"v1/raw_crash/20{crash_id[-6:]}/{crash_id}",
        f"v1/dump_names/{crash_id}",
        f"v1/dump/{crash_id}",
        f"v1/memory_report/{crash_id}",
    }

    def read(key: str) -> bytes:
        return s3.get_object(Bucket=BUCKET, Key=f"{prefix.rstrip('/')}/{key}")["Body"].read()

    assert json.loads(read(f"v1/dump_names/{crash_id}")) == [
        "memory_report",
        "upload_file_minidump",
    ]
    assert read(f"v1/dump/{crash_id}") == b"abcd1234"
    raw = json.loads(read(f"v1/raw_crash/20{crash_id[-6:]}/{crash_id}"))
    assert raw["uuid"] == crash_id and raw["metadata"]["throttle_rule"] == "accept_everything"

    sqs = boto3.client("sqs", region_name=env["AWS_REGION"])
    url = sqs.get_queue_url(QueueName=f"{prefix}standard")["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=2)
    assert [m["Body"] for m in messages["Messages"]] == [crash_id]


def test_heartbeat_checks_the_real_backends(collector):
    client, _s3, _prefix, env = collector
    assert client.simulate_get("/__heartbeat__").json == {"errors": []}
    broken = testing.TestClient(
        create_app(
            {
                **env,
                "QUEUE_URL": f"sqs://?prefix=jansky-absent-{uuid.uuid4().hex[:8]}-",
                "STORAGE_URL": f"s3://jansky-no-such-bucket-{uuid.uuid4().hex[:8]}",
            }
        )
    )
    response = broken.simulate_get("/__heartbeat__")
    assert response.status_code == 503
    assert [error.split(":")[0] for error in response.json["errors"]] == ["storage", "queue"]
