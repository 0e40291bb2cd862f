"""The environment `jansky services start` writes to var/services.env."""

from __future__ import annotations

from pathlib import Path

import pytest

from jansky.services import envfile
from jansky.services.definitions import ElasticMQ, Minio, all_services
from tests.servers import read_services_env


def test_environment_of_every_server(tmp_path: Path) -> None:
    env = envfile.services_environment(all_services(tmp_path, tmp_path))
    assert env == {
        "STORAGE_URL": "s3://jansky-crashes",
        "QUEUE_URL": "sqs://?prefix=jansky-",
        "SEARCH_URL": "opensearch+http://127.0.0.1:9201",
        "ELASTICSEARCH_URL": "elasticsearch+http://127.0.0.1:9202",
        "DATABASE_URL": "postgres://jansky:jansky@127.0.0.1:5433/jansky",
        "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9100",
        "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:9324",
        "AWS_ACCESS_KEY_ID": "jansky",
        "AWS_SECRET_ACCESS_KEY": "jansky-secret",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    keys = list(env)
    first_aws = min(i for i, key in enumerate(keys) if key.startswith("AWS_"))
    assert all(key.startswith("AWS_") for key in keys[first_aws:])


def test_environment_names_only_the_servers_given(tmp_path: Path) -> None:
    env = envfile.services_environment([ElasticMQ(tmp_path, tmp_path)])
    assert env["QUEUE_URL"] == "sqs://?prefix=jansky-"
    assert "STORAGE_URL" not in env
    assert "AWS_ENDPOINT_URL_S3" not in env
    assert "SEARCH_URL" not in env


def test_written_file_reads_back(tmp_path: Path) -> None:
    env = envfile.services_environment([Minio(tmp_path, tmp_path), ElasticMQ(tmp_path, tmp_path)])
    target = tmp_path / "var" / "services.env"
    envfile.write(target, env)
    assert read_services_env(target) == env
    assert target.read_text().startswith("#")
    assert not list(target.parent.glob("*.partial"))


@pytest.mark.parametrize(("key", "value"), [("BAD KEY", "x"), ("", "x"), ("GOOD", "two\nlines")])
def test_render_refuses_what_is_not_one_line(key: str, value: str) -> None:
    with pytest.raises(ValueError, match="one KEY=VALUE line"):
        envfile.render({key: value})
