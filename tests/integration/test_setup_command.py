"""`jansky setup` against MinIO and ElasticMQ: creates a missing bucket and the queues."""

from __future__ import annotations

import uuid

import boto3
import pytest

from jansky.cli import main
from jansky.queue import open_queue
from jansky.queue.base import QUEUE_NAMES, STANDARD
from jansky.search import open_search

pytestmark = pytest.mark.integration


def test_setup_creates_bucket_and_queues(aws_env, monkeypatch, capsys) -> None:
    bucket = f"setup-{uuid.uuid4().hex[:12]}"
    prefix = f"setup-{uuid.uuid4().hex[:8]}-"
    monkeypatch.setenv("STORAGE_URL", f"s3://{bucket}")
    monkeypatch.setenv("QUEUE_URL", f"sqs://?prefix={prefix}")
    monkeypatch.setenv("SEARCH_URL", aws_env["SEARCH_URL"])
    monkeypatch.setenv("SEARCH_INDEX_TEMPLATE", f"{prefix}%Y%W")
    s3 = boto3.session.Session().client("s3", region_name=aws_env["AWS_REGION"])
    sqs = boto3.session.Session().client("sqs", region_name=aws_env["AWS_REGION"])
    try:
        assert main(["setup"]) == 0
        out = capsys.readouterr().out
        assert "created bucket" in out
        assert f"created {prefix}" in out
        s3.head_bucket(Bucket=bucket)
        names = {
            url.rsplit("/", 1)[-1] for url in sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"]
        }
        assert {prefix + name for name in (*QUEUE_NAMES, "dead-letter")} <= names
        queue = open_queue(f"sqs://?prefix={prefix}")
        queue.publish(STANDARD, ["de1bb258-cbbf-4589-a673-34f800160918"])
        assert main(["setup"]) == 0, "a second run must leave everything as it is"
        assert "created bucket" not in capsys.readouterr().out
    finally:
        for item in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
        s3.delete_bucket(Bucket=bucket)
        search = open_search(aws_env["SEARCH_URL"])
        search.client.delete(search.all_indices())
        for url in sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []):
            sqs.delete_queue(QueueUrl=url)
