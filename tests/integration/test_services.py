"""Every server `jansky services start` wrote to var/services.env answers a real request."""

from __future__ import annotations

import json
import os
import urllib.request
from typing import Any

import boto3
import psycopg
import pytest

from tests.servers import read_services_env, server_env

pytestmark = pytest.mark.integration

QUEUES = {"jansky-standard", "jansky-priority", "jansky-reprocessing", "jansky-dead-letter"}


def _client(service: str, env: dict[str, str]) -> Any:
    return boto3.session.Session().client(
        service,
        endpoint_url=env[f"AWS_ENDPOINT_URL_{service.upper()}"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_REGION"],
    )


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def _http_base(url: str) -> str:
    """``opensearch+http://host:port`` -> ``http://host:port``."""
    return url.split("+", 1)[1] if "+" in url.split("://", 1)[0] else url


def test_s3_bucket_exists_and_lists() -> None:
    env = server_env("AWS_ENDPOINT_URL_S3")
    bucket = env["STORAGE_URL"].removeprefix("s3://").split("/", 1)[0]
    response = _client("s3", env).list_objects_v2(Bucket=bucket, MaxKeys=1)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["Name"] == bucket


def test_sqs_has_the_four_queues() -> None:
    env = server_env("AWS_ENDPOINT_URL_SQS")
    urls = _client("sqs", env).list_queues(QueueNamePrefix="jansky-").get("QueueUrls", [])
    names = {url.rsplit("/", 1)[-1] for url in urls}
    assert names >= QUEUES, f"missing queues: {sorted(QUEUES - names)}"


def test_opensearch_cluster_is_healthy() -> None:
    env = server_env("SEARCH_URL")
    base = _http_base(env["SEARCH_URL"])
    assert _get_json(f"{base}/")["version"]["distribution"] == "opensearch"
    assert _get_json(f"{base}/_cluster/health")["status"] in {"green", "yellow"}


def test_elasticsearch_cluster_is_healthy() -> None:
    if "ELASTICSEARCH_URL" not in read_services_env() and os.environ.get(
        "JANSKY_SKIP_ELASTICSEARCH"
    ):
        pytest.skip("Elasticsearch was left out on purpose (JANSKY_SKIP_ELASTICSEARCH is set)")
    env = server_env("ELASTICSEARCH_URL")
    base = _http_base(env["ELASTICSEARCH_URL"])
    # The integration-test distribution has no handler for `GET /`: ask the node itself.
    with urllib.request.urlopen(f"{base}/_nodes/_local", timeout=10) as response:
        assert response.headers["X-elastic-product"] == "Elasticsearch"  # not an OpenSearch
        (node,) = json.loads(response.read())["nodes"].values()
    assert node["version"].split(".")[0] in {"7", "8"}
    assert _get_json(f"{base}/_cluster/health")["status"] in {"green", "yellow"}


def test_postgres_answers_select_one() -> None:
    env = server_env("DATABASE_URL")
    with psycopg.connect(env["DATABASE_URL"], connect_timeout=5) as connection:
        assert connection.execute("select 1").fetchone() == (1,)
        assert connection.info.dbname == "jansky"
