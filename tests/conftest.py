"""Shared pytest fixtures."""

from __future__ import annotations

import pytest

from tests.servers import server_env


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment of the local MinIO and ElasticMQ, applied to this test's process."""
    env = server_env("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS")
    for key, value in env.items():
        if key.startswith("AWS_"):
            monkeypatch.setenv(key, value)
    return env
